//! E-mail out: lettre's SMTP transport, or `.eml` files in a folder when no SMTP is set.

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("bad address: {0}")]
    Address(String),
    #[error("building the letter: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("writing the .eml file: {0}")]
    File(#[from] std::io::Error),
    #[error("mail folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
}

#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a folder, each written whole under a temporary name and then renamed:
    /// whoever reads the folder never sees half a letter.
    Files(PathBuf),
}

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, mail_dir: &Path, from: &str) -> Result<Self, MailError> {
        let from: Mailbox = from.parse().map_err(|_| MailError::Address(from.to_owned()))?;
        let transport = match smtp_url {
            Some(url) => Transport::Smtp(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build()),
            None => {
                std::fs::create_dir_all(mail_dir).map_err(|source| MailError::Folder {
                    path: mail_dir.display().to_string(),
                    source,
                })?;
                Transport::Files(mail_dir.to_owned())
            }
        };
        Ok(Self { from, transport })
    }

    /// Where letters go, for the start-up log (never the SMTP password).
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "SMTP (SMTP_URL)".into(),
            Transport::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|_| MailError::Address(to.to_owned()))?;
        let letter = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())?;
        match &self.transport {
            Transport::Smtp(t) => {
                t.send(letter).await?;
            }
            Transport::Files(dir) => {
                let name = format!(
                    "{}-{:016x}",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
                    rand::random::<u64>()
                );
                let tmp = dir.join(format!(".{name}.tmp"));
                let bytes = letter.formatted();
                let path = tmp.clone();
                tokio::task::spawn_blocking(move || {
                    use std::io::Write;
                    crate::private_file::create(&path)?.write_all(&bytes)
                })
                .await
                .map_err(std::io::Error::other)??;
                tokio::fs::rename(&tmp, dir.join(format!("{name}.eml"))).await?;
            }
        }
        Ok(())
    }
}
