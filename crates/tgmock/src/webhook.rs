//! Webhook mode, as Telegram does it: after `setWebhook` the server posts each update to the
//! URL (with the `X-Telegram-Bot-Api-Secret-Token` header when one was set) and forgets it
//! once the bot answers 200; anything else is tried again shortly. Up to `max_connections`
//! posts are open at once (40 unless the bot asked otherwise), one chat's updates one at a
//! time and in order: a chat's next update is posted after its last one was answered 200.
//! `getUpdates` is refused meanwhile. With backends set (`MockBotApi::balance`), the posts go
//! to them in turn, as a load balancer in front of several replicas passes them on.

use crate::Shared;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Telegram's default for `max_connections`.
pub(crate) const MAX_CONNECTIONS: usize = 40;

/// The webhook as set: where, the secret token, and how many posts may be open at once.
#[derive(Debug, Clone)]
pub(crate) struct Hook {
    pub url: String,
    pub secret: Option<String>,
    pub max_connections: usize,
}

/// What keeps a chat's updates in order: its chat, or the update itself when it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Lane {
    Chat(i64),
    Alone(i64),
}

fn lane(id: i64, u: &Value) -> Lane {
    let chat = ["message", "edited_message", "my_chat_member", "chat_member"]
        .iter()
        .find_map(|k| u[*k]["chat"]["id"].as_i64())
        .or_else(|| u["callback_query"]["message"]["chat"]["id"].as_i64())
        .or_else(|| u["callback_query"]["from"]["id"].as_i64());
    chat.map_or(Lane::Alone(id), Lane::Chat)
}

/// Delivers updates to the webhook while one is set (a task for the server's lifetime).
pub(crate) async fn deliver(shared: Arc<Shared>) {
    let flying: Arc<Mutex<HashSet<i64>>> = Default::default();
    loop {
        let notified = shared.new_update.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let starts = {
            let mut inner = shared.inner.lock().unwrap();
            let (allowed, since) = (inner.allowed.clone(), inner.allowed_since);
            inner.updates.retain(|(id, u)| {
                (*id < since && crate::server::inner_default(u)) || crate::server::is_allowed(allowed.as_deref(), u)
            });
            let mut starts = Vec::new();
            if let Some(hook) = inner.webhook.clone() {
                let flying = flying.lock().unwrap();
                let mut open = flying.len();
                let mut waiting: HashSet<Lane> = HashSet::new();
                let mut picked = Vec::new();
                for (id, u) in inner.updates.iter() {
                    let lane = lane(*id, u);
                    // In flight, or behind one of its chat: its chat waits.
                    if !waiting.insert(lane) || flying.contains(id) {
                        continue;
                    }
                    if open >= hook.max_connections {
                        break;
                    }
                    open += 1;
                    picked.push((*id, u.clone()));
                }
                for (id, u) in picked {
                    let url = target(&mut inner, &hook.url);
                    starts.push((hook.clone(), url, id, u));
                }
            }
            starts
        };
        for (hook, url, id, update) in starts {
            flying.lock().unwrap().insert(id);
            let (shared, flying) = (shared.clone(), flying.clone());
            tokio::spawn(async move {
                let status = post(&url, hook.secret.as_deref(), &update).await;
                let answered = status == Some(200) && {
                    // Telegram did not see the 200: it posts the same update again.
                    let mut f = shared.faults.lock().unwrap();
                    let repost = f.webhook_reposts > 0;
                    if repost {
                        f.webhook_reposts -= 1;
                        f.webhook_reposted += 1;
                    }
                    !repost
                };
                if answered {
                    let mut inner = shared.inner.lock().unwrap();
                    if let Some(at) = inner.updates.iter().position(|(u, _)| *u == id) {
                        inner.updates.remove(at);
                    }
                } else if status != Some(200) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                flying.lock().unwrap().remove(&id);
                shared.new_update.notify_waiters();
            });
        }
        let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
    }
}

/// Where the next post goes: the webhook's URL, or with backends set the next one in turn
/// (the URL's path kept).
fn target(inner: &mut crate::Inner, url: &str) -> String {
    if inner.backends.is_empty() {
        return url.to_owned();
    }
    let backend = inner.backends[inner.next_backend % inner.backends.len()].clone();
    inner.next_backend = inner.next_backend.wrapping_add(1);
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    format!("http://{backend}{path}")
}

/// One POST of an update over plain HTTP/1.1 (the bot is behind a TLS-ending proxy in
/// production; here it listens on loopback); the status, or None when it could not be sent.
async fn post(url: &str, secret: Option<&str>, update: &Value) -> Option<u16> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let body = update.to_string();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(s) = secret {
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
