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

/// Keeps an update in the inbox; false (and logged) when it could not be.
pub async fn keep(store: &Store, clock: &Clock, update: &Update) -> bool {
    let kept = match serde_json::to_string(update) {
        Ok(json) => store
            .inbox_received(i64::from(update.id.0), &json, clock.now())
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = &kept {
        tracing::error!(error = %e, update = update.id.0, "an update could not be kept in the inbox");
    }
    kept.is_ok()
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
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
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
        // Not kept: not taken either; Telegram posts it again shortly.
        Ok(update) if !keep(&s.store, &s.clock, &update).await => return StatusCode::SERVICE_UNAVAILABLE,
        Ok(update) => {
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

    /// An update that cannot be kept is not taken: 503 (Telegram posts it again), nothing
    /// handed to the dispatcher; once the database takes it, 200 and handed on.
    #[tokio::test]
    async fn an_update_not_kept_is_refused_and_taken_when_posted_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("k.db").display()))
            .await
            .unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let served = Arc::new(Served {
            secret: "s3cret".into(),
            store: store.clone(),
            clock: Clock::default(),
            tx,
        });
        let mut headers = HeaderMap::new();
        headers.insert("x-telegram-bot-api-secret-token", "s3cret".parse().unwrap());
        let body = r#"{"update_id":7,"message":{"message_id":1,"date":0,"chat":{"id":1,"type":"private","first_name":"X"},"from":{"id":1,"is_bot":false,"first_name":"X"},"text":"/start"}}"#;
        // The pool's one connection refuses writes.
        sqlx::query("PRAGMA query_only = ON")
            .execute(&store.pool)
            .await
            .unwrap();
        let refused = receive(State(served.clone()), headers.clone(), body.into()).await;
        assert_eq!(refused, StatusCode::SERVICE_UNAVAILABLE);
        assert!(rx.try_recv().is_err(), "not handed to the dispatcher");
        sqlx::query("PRAGMA query_only = OFF")
            .execute(&store.pool)
            .await
            .unwrap();
        let taken = receive(State(served), headers, body.into()).await;
        assert_eq!(taken, StatusCode::OK);
        assert_eq!(rx.try_recv().map(|u| u.id.0).ok(), Some(7));
        assert_eq!(store.inbox_unhandled().await.unwrap().len(), 1, "kept before the 200");
    }
}
