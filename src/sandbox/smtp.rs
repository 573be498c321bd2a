//! The sandbox's SMTP sink: a real SMTP server on loopback that the bot's ordinary SMTP
//! transport talks to. `mailin` (the state machine behind mailin-embedded, which cannot be
//! built without a TLS stack of its own) speaks the protocol; tokio carries the lines. Every
//! letter is decoded (mail-parser) and shown in the mailbox pane; nothing is sent anywhere.

use super::Log;
use mailin::{Action, Handler, Response, SessionBuilder, response};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

struct Collector {
    log: Arc<Log>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let parsed = mail_parser::MessageParser::default().parse(&self.data);
        let (subject, text) = parsed
            .as_ref()
            .map(|m| {
                (
                    m.subject().unwrap_or_default().to_owned(),
                    m.body_text(0).map(|t| t.trim_end().to_owned()).unwrap_or_default(),
                )
            })
            .unwrap_or_default();
        self.log.push(json!({
            "kind": "mail",
            "to": self.to.join(", "),
            "subject": subject,
            "text": text,
        }));
        self.data.clear();
        response::OK
    }
}

/// The running sink; dropping it stops accepting.
pub(super) struct Sink {
    address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Sink {
    pub(super) async fn start(log: Arc<Log>) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((socket, peer)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    if let Err(e) = session(socket, peer, log).await {
                        tracing::debug!(error = %e, "sandbox SMTP session ended");
                    }
                });
            }
        });
        Ok(Self { address, task })
    }

    pub(super) fn address(&self) -> SocketAddr {
        self.address
    }
}

/// One SMTP conversation: each line goes through mailin's session; its answers go back.
async fn session(socket: tokio::net::TcpStream, peer: SocketAddr, log: Arc<Log>) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut reader = BufReader::new(read);
    let handler = Collector {
        log,
        to: Vec::new(),
        data: Vec::new(),
    };
    let mut session = SessionBuilder::new("sandbox.kabinet.invalid").build(peer.ip(), handler);
    write.write_all(&session.greeting().buffer()?).await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let answer = session.process(&line);
        match answer.action {
            Action::NoReply => {}
            Action::Close => {
                write.write_all(&answer.buffer()?).await?;
                return Ok(());
            }
            Action::Reply | Action::UpgradeTls => write.write_all(&answer.buffer()?).await?,
        }
    }
}
