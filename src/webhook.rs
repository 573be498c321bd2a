//! The webhook mode's server: Telegram (through the reverse proxy that ends TLS) posts each
//! update here; a request without the secret token is refused (401) and logged; an update is
//! kept in the inbox before the 200 that tells Telegram it arrived, then handed to the
//! dispatcher.

use crate::clock::Clock;
use crate::store::Store;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::AllowedUpdate;
use tokio::sync::{mpsc, watch};

/// The webhook mode: Telegram posts to `url`, which the reverse proxy passes to `listen`.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: url::Url,
    pub listen: std::net::SocketAddr,
    pub secret: String,
}

/// Keeps an update in the inbox; a failure is logged (the update is still handled).
pub async fn keep(store: &Store, clock: &Clock, update: &Update) {
    let kept = match serde_json::to_string(update) {
        Ok(json) => store
            .inbox_received(i64::from(update.id.0), &json, clock.now())
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = kept {
        tracing::error!(error = %e, update = update.id.0, "an update could not be kept in the inbox");
    }
}

struct Served {
    secret: String,
    store: Store,
    clock: Clock,
    tx: mpsc::UnboundedSender<Update>,
}

/// A secret for `setWebhook` when none is configured: 32 of the characters Telegram allows.
pub fn random_secret() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut rng = rand::thread_rng();
    (0..32)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Registers the webhook with Telegram and serves it until `stopping`; the updates come out of
/// the returned channel (already kept).
pub async fn start(
    bot: &Bot,
    hook: &Webhook,
    store: Store,
    clock: Clock,
    mut stopping: watch::Receiver<bool>,
) -> anyhow::Result<mpsc::UnboundedReceiver<Update>> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(hook.listen)
        .await
        .with_context(|| format!("cannot listen on {} (WEBHOOK_LISTEN)", hook.listen))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let served = Arc::new(Served {
        secret: hook.secret.clone(),
        store,
        clock,
        tx,
    });
    let app = axum::Router::new()
        .route(hook.url.path(), axum::routing::post(receive))
        .with_state(served);
    tokio::spawn(async move {
        let stop = async move {
            let _ = stopping.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
            tracing::error!(error = %e, "the webhook server stopped");
        }
    });
    bot.set_webhook(hook.url.clone())
        .secret_token(hook.secret.clone())
        .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
        .drop_pending_updates(false)
        .await
        .context("setWebhook failed: check WEBHOOK_URL (https, a port Telegram allows: 443, 80, 88, 8443)")?;
    tracing::info!(url = %hook.url, listen = %hook.listen, "receiving updates by webhook");
    Ok(rx)
}

/// Compares in time that does not depend on where the strings differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn receive(State(s): State<Arc<Served>>, headers: HeaderMap, body: String) -> StatusCode {
    let given = headers
        .get("x-telegram-bot-api-secret-token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same(given, s.secret.as_bytes()) {
        tracing::warn!(
            with_token = !given.is_empty(),
            "a webhook request without the right secret token refused"
        );
        return StatusCode::UNAUTHORIZED;
    }
    match serde_json::from_str::<Update>(&body) {
        Ok(update) => {
            keep(&s.store, &s.clock, &update).await;
            // The dispatcher is gone only when stopping: the update is kept for the next start.
            let _ = s.tx.send(update);
        }
        Err(e) => tracing::error!(error = %e, "a webhook update does not read; skipped"),
    }
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole_and_are_of_telegrams_alphabet() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd") && !same(b"abc", b"ab") && !same(b"", b"a"));
        let s = random_secret();
        assert_eq!(s.len(), 32);
        assert!(s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-'));
        assert_ne!(s, random_secret());
    }
}
