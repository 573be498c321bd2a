//! Webhook mode, as Telegram does it: after `setWebhook` the server posts each update to the
//! URL (with the `X-Telegram-Bot-Api-Secret-Token` header when one was set), in order, and
//! forgets it once the bot answers 200; anything else is tried again shortly. `getUpdates`
//! is refused meanwhile.

use crate::Shared;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The webhook as set: where, and the secret token.
#[derive(Debug, Clone)]
pub(crate) struct Hook {
    pub url: String,
    pub secret: Option<String>,
}

/// Delivers updates to the webhook while one is set (a task for the server's lifetime).
pub(crate) async fn deliver(shared: Arc<Shared>) {
    loop {
        let notified = shared.new_update.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let next = {
            let mut inner = shared.inner.lock().unwrap();
            let (allowed, since) = (inner.allowed.clone(), inner.allowed_since);
            inner.updates.retain(|(id, u)| {
                (*id < since && crate::server::inner_default(u)) || crate::server::is_allowed(allowed.as_deref(), u)
            });
            match (&inner.webhook, inner.updates.front()) {
                (Some(hook), Some((id, update))) => Some((hook.clone(), *id, update.clone())),
                _ => None,
            }
        };
        let Some((hook, id, update)) = next else {
            let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
            continue;
        };
        match post(&hook, &update).await {
            Some(200) => {
                // Telegram did not see the 200: it posts the same update again.
                {
                    let mut f = shared.faults.lock().unwrap();
                    if f.webhook_reposts > 0 {
                        f.webhook_reposts -= 1;
                        f.webhook_reposted += 1;
                        continue;
                    }
                }
                let mut inner = shared.inner.lock().unwrap();
                if inner.updates.front().is_some_and(|(front, _)| *front == id) {
                    inner.updates.pop_front();
                }
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// One POST of an update over plain HTTP/1.1 (the bot is behind a TLS-ending proxy in
/// production; here it listens on loopback); the status, or None when it could not be sent.
async fn post(hook: &Hook, update: &Value) -> Option<u16> {
    let rest = hook.url.strip_prefix("http://")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let body = update.to_string();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(s) = &hook.secret {
        head.push_str(&format!("X-Telegram-Bot-Api-Secret-Token: {s}\r\n"));
    }
    head.push_str("\r\n");
    let exchange = async {
        let mut s = tokio::net::TcpStream::connect(host).await.ok()?;
        s.write_all(head.as_bytes()).await.ok()?;
        s.write_all(body.as_bytes()).await.ok()?;
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).await.ok()?;
        let text = String::from_utf8_lossy(&answer);
        text.split(' ').nth(1)?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .ok()
        .flatten()
}
