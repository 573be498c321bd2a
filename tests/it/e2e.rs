//! Black-box: the `kabinet` binary as a separate process, over HTTP to the local Bot API
//! server, SMTP to aiosmtpd, on a SQLite file.

use crate::flows::IVANOV;
use crate::helpers::{Client, GROUP, Group, code_in, ru};
use crate::smtp::SmtpServer;
use std::sync::Arc;
use std::time::Duration;
use tgmock::{MockBotApi, TgUser};
use tokio::process::{Child, Command};

pub struct E2e {
    pub api: Arc<MockBotApi>,
    pub dir: tempfile::TempDir,
    pub smtp: SmtpServer,
    child: Option<Child>,
    env: Vec<(String, String)>,
}

impl E2e {
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let mut e = Self {
            api: Arc::new(MockBotApi::start().await),
            dir: tempfile::tempdir().unwrap(),
            smtp: SmtpServer::start().await,
            child: None,
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        };
        e.spawn();
        e
    }

    pub fn db_url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("kabinet.db").display())
    }

    pub fn spawn(&mut self) {
        assert!(self.child.is_none());
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kabinet"));
        cmd.arg("run")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TELOXIDE_TOKEN", "42:E2E")
            .env("TELOXIDE_API_URL", self.api.url())
            .env("DATABASE_URL", self.db_url())
            .env("SMTP_URL", format!("smtp://127.0.0.1:{}", self.smtp.port))
            .env("OUTBOX_RETRY_SECONDS", "1")
            .env("RUST_LOG", "warn")
            .current_dir(self.dir.path())
            .kill_on_drop(true);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        self.child = Some(cmd.spawn().expect("spawn kabinet"));
    }

    pub async fn kill9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().await.unwrap();
    }

    /// SIGTERM; returns how long the process took to exit and whether it exited cleanly.
    pub async fn sigterm(&mut self) -> (Duration, bool) {
        let mut child = self.child.take().expect("running");
        let pid = child.id().unwrap().to_string();
        let started = std::time::Instant::now();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
            .await
            .expect("exits")
            .unwrap();
        (started.elapsed(), status.success())
    }

    pub fn user(&self, id: i64) -> Client {
        Client::new(self.api.clone(), TgUser::new(id, "Тест"))
    }
}

/// Registration up to the letter; returns after «Почти готово».
async fn register(e: &E2e, c: &mut Client) -> String {
    let summary = crate::flows::fill_registration(c, &IVANOV).await;
    c.press(&summary, &ru("reg.ok"));
    c.expect("Почти готово").await;
    let (_, body) = e.smtp.letter().await;
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_through_the_real_binary_and_smtp() {
    let e = E2e::start(&[]).await;
    let mut c = e.user(20_001);
    let letter = register(&e, &mut c).await;
    c.send(&code_in(&letter));
    c.expect_key("confirm.done").await;
    c.expect_key("menu.title").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_in_the_middle_of_registration_and_the_step_is_kept() {
    let mut e = E2e::start(&[]).await;
    let mut c = e.user(20_101);
    c.send("/start");
    let w = c.expect_key("start.welcome").await;
    c.press(&w, &ru("start.register"));
    let consent = c.expect_key("reg.consent").await;
    c.press(&consent, &ru("reg.consent_yes"));
    let kind = c.expect_key("reg.kind_q").await;
    c.press(&kind, &ru("kind.individual"));
    c.expect("Шаг 3 из 6").await;
    c.send("112-233-445 95");
    c.expect("Шаг 4 из 6").await;
    e.kill9().await;
    e.spawn();
    c.send("Иванов Иван Иванович");
    c.expect_key("reg.email_q").await;
    // An update offered again after the crash was not answered a second time.
    let step4 = e
        .api
        .events_for(c.id())
        .iter()
        .filter(|ev| matches!(ev, tgmock::Event::Sent(m) if m.text.contains("Шаг 4 из 6")))
        .count();
    assert_eq!(step4, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_updates_and_loses_none() {
    let mut e = E2e::start(&[]).await;
    let mut c = e.user(20_201);
    c.send("/start");
    c.expect_key("start.welcome").await;
    for _ in 0..5 {
        c.send("/help");
    }
    // Some of them are in flight when the signal comes.
    c.expect(&ru("help.text")).await;
    let (took, clean) = e.sigterm().await;
    assert!(clean, "exit code 0");
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");
    e.spawn();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let helps = e
            .api
            .events_for(c.id())
            .iter()
            .filter(|ev| matches!(ev, tgmock::Event::Sent(m) if m.text == ru("help.text")))
            .count();
        if helps == 5 {
            break;
        }
        assert!(helps < 5, "an update was answered twice");
        assert!(tokio::time::Instant::now() < deadline, "only {helps} of 5 answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(e.api.pending_updates(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bot_api_answers_are_survived() {
    let e = E2e::start(&[]).await;
    let mut c = e.user(20_301);
    e.api.garbage_next(2);
    c.send("/start");
    c.expect_key("start.welcome").await;
    // And it carries on normally.
    c.send("/help");
    c.expect(&ru("help.text")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appeal_answered_in_the_operators_group_reaches_the_consumer() {
    let group_id = GROUP.to_string();
    let e = E2e::start(&[("OPERATOR_CHAT_ID", &group_id)]).await;
    let mut c = e.user(20_401);
    let letter = register(&e, &mut c).await;
    c.send(&code_in(&letter));
    c.expect_key("confirm.done").await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args([
            "--database-url",
            &e.db_url(),
            "operator",
            "add",
            "900001",
            "--name",
            "Мария",
        ])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success());

    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    c.press(&hub, &ru("ticket.new.appeal"));
    let q = c.expect_key("ticket.topic_q").await;
    c.press(&q, &ru("topic.appeal.quality"));
    c.send("Мигает свет");
    let q = c.expect_key("ticket.address_q").await;
    c.press(&q, &ru("common.skip"));
    let q = c.expect("Приложите фото").await;
    c.press(&q, &ru("common.skip"));
    let q = c.expect("Прислать копию ответа").await;
    c.press(&q, &ru("ticket.email_no"));
    let s = c.expect("Проверьте перед отправкой").await;
    c.press(&s, &ru("req.send"));
    c.expect("зарегистрировано").await;

    let mut group = Group {
        api: e.api.clone(),
        cursor: 0,
        query: 0,
    };
    let card = group.expect("О-2026-000001").await;
    // Give the bot the moment it needs to record the card (no store to poll from here).
    let op = TgUser::new(900_001, "Мария");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        group.reply(&op, &card, "Заменили провод на вводе.");
        if tokio::time::timeout(Duration::from_secs(2), c.expect("Заменили провод"))
            .await
            .is_ok()
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no push");
    }
}
