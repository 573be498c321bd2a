//! The real lettre SMTP transport delivers the confirmation letter to a real SMTP server on
//! loopback (aiosmtpd), and the code read from that letter confirms the consumer.

use crate::flows::{IVANOV, fill_registration};
use crate::helpers::{TestApp, code_in, parse_mail, ru};
use kabinet::store::sql;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// An aiosmtpd server writing what it receives to a Maildir; killed on drop.
pub struct SmtpServer {
    child: tokio::process::Child,
    pub port: u16,
    pub maildir: tempfile::TempDir,
}

impl SmtpServer {
    pub async fn start() -> Self {
        let port = crate::helpers::free_port();
        Self::start_on(port).await
    }

    /// Waits for a letter in the Maildir and returns (to, body).
    pub async fn letter(&self) -> (String, String) {
        let new = self.maildir.path().join("box").join("new");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(p) = first_file(&new) {
                return parse_mail(&std::fs::read(p).unwrap());
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no letter reached the SMTP server"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl SmtpServer {
    /// Letters received so far.
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.maildir.path().join("box").join("new"))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn first_file(dir: &Path) -> Option<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .next()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmation_letter_goes_through_a_real_smtp_server() {
    let smtp = SmtpServer::start().await;
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let app = TestApp::spawn_with(&["--smtp-url", &url]).await;
    let mut c = app.user(7001);
    let summary = fill_registration(&mut c, &IVANOV).await;
    c.press(&summary, &ru("reg.ok"));
    c.expect_key("reg.sent").await;
    let (to, body) = smtp.letter().await;
    assert_eq!(to, "ivanov@example.ru");
    assert_eq!(app.mail_count(), 0, "nothing went to the folder");
    c.send(&code_in(&body));
    c.expect_key("confirm.done").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letter_waits_while_the_smtp_server_is_down_and_goes_when_it_is_back() {
    // A port with nothing listening yet.
    let port = crate::helpers::free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::spawn_with(&["--smtp-url", &url]).await;
    let mut c = app.user(7101);
    let summary = fill_registration(&mut c, &IVANOV).await;
    c.press(&summary, &ru("reg.ok"));
    c.expect_key("reg.sent").await;

    // The worker tries, fails and keeps the letter pending with its error.
    let store = app.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (attempts, status): (i64, String) =
            sql::query_as("SELECT attempts, status FROM outbox WHERE channel = 'email'")
                .fetch_one(&store.pool)
                .await
                .unwrap();
        if attempts >= 1 {
            assert_eq!(status, "pending");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the worker never tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The server comes up on that port; the retry (1 s in tests) delivers.
    let smtp = SmtpServer::start_on(port).await;
    let (_, body) = smtp.letter().await;
    c.send(&code_in(&body));
    c.expect_key("confirm.done").await;
}

impl SmtpServer {
    pub async fn start_on(port: u16) -> Self {
        let maildir = tempfile::tempdir().unwrap();
        let child = tokio::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("box"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "aiosmtpd did not start: is it installed?"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, port, maildir }
    }
}
