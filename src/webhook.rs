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
#[derive(Clone)]
pub struct Webhook {
    pub url: url::Url,
    pub listen: std::net::SocketAddr,
    pub secret: String,
}

/// Without the secret.
impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

/// What became of an update offered to the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// First seen now: kept (this process's), to be handled here.
    New,
    /// First seen now: kept for any replica to claim (`keep`'s `offer`), not handled here.
    Offered,
    /// Seen before (Telegram posted it again, or polling offered one the inbox replayed):
    /// handled already or being handled; not dispatched again.
    Seen,
    /// The database did not take it (logged).
    Failed,
}

/// What a message that carried a secret says in the inbox instead: the handler of an update
/// read back from there (after a crash) asks for the secret again.
pub const REDACTED: &str = "\u{2063}[redacted]";

/// Keeps an update in the inbox. A private message goes with a copy without what was typed
/// (its text replaced by [`REDACTED`]), and the database keeps that copy while the chat's
/// dialogue expects a password: the secret never reaches the database file, its log or a
/// backup (the handler still gets the update as it came). A private edit is kept without its
/// text always (nothing handles one).
///
/// `offer`: kept for whichever replica claims it first (polling on PostgreSQL, where the leader
/// polls and every replica handles), when its stored copy reads back as the update itself;
/// otherwise kept as this process's.
pub async fn keep(store: &Store, clock: &Clock, update: &Update, offer: bool) -> Kept {
    let mut offered = false;
    let kept = match payloads(update) {
        Ok((json, redacted)) => {
            offered = offer && reads_back(&json, update);
            store
                .inbox_received(
                    i64::from(update.id.0),
                    update.chat().map(|c| c.id.0),
                    &json,
                    redacted.as_deref(),
                    clock.now(),
                    offered,
                )
                .await
                .map_err(|e| e.to_string())
        }
        Err(e) => Err(e),
    };
    match kept {
        Ok(Some(redacted)) => {
            if redacted {
                crate::failpoint::hit(crate::failpoint::SECRET_KEPT);
            }
            // A copy without the secret is this process's to handle (it alone has the text).
            if offered && !redacted { Kept::Offered } else { Kept::New }
        }
        Ok(None) => {
            tracing::info!(update = update.id.0, "an update seen before: not handled again");
            crate::metrics::get().shed("repeated");
            Kept::Seen
        }
        Err(e) => {
            tracing::error!(error = %e, update = update.id.0, "an update could not be kept in the inbox");
            Kept::Failed
        }
    }
}

/// The update as JSON, and for a private message a copy without what was typed (the database
/// chooses which to keep).
fn payloads(update: &Update) -> Result<(String, Option<String>), String> {
    use teloxide::types::UpdateKind;
    let json = |u: &Update| serde_json::to_string(u).map_err(|e| e.to_string());
    let mut redacted = update.clone();
    match &mut redacted.kind {
        // Never kept as typed.
        UpdateKind::EditedMessage(m) if m.chat.is_private() => {
            redact(m);
            Ok((json(&redacted)?, None))
        }
        UpdateKind::Message(m) if m.chat.is_private() => {
            redact(m);
            Ok((json(update)?, Some(json(&redacted)?)))
        }
        _ => Ok((json(update)?, None)),
    }
}

/// Whether the stored copy reads back as the update itself (only such a copy is handled by
/// another process).
fn reads_back(json: &str, update: &Update) -> bool {
    serde_json::from_str::<Update>(json).is_ok_and(|u| &u == update)
}

/// Whatever in `m` a person typed: the text (replaced by [`REDACTED`]), a caption, a quote,
/// the message it replies to.
fn redact(m: &mut teloxide::types::Message) {
    use teloxide::types::{MediaKind, MessageKind};
    let MessageKind::Common(c) = &mut m.kind else {
        return;
    };
    c.reply_to_message = None;
    c.quote = None;
    match &mut c.media_kind {
        MediaKind::Text(t) => {
            t.text = REDACTED.to_owned();
            t.entities.clear();
        }
        MediaKind::Photo(p) => {
            p.caption = None;
            p.caption_entities.clear();
        }
        MediaKind::Document(d) => {
            d.caption = None;
            d.caption_entities.clear();
        }
        MediaKind::Video(v) => {
            v.caption = None;
            v.caption_entities.clear();
        }
        _ => {}
    }
}

struct Served {
    secret: String,
    store: Store,
    clock: Clock,
    /// The door: a flood's excess is answered 200 and never kept.
    gate: Option<Arc<crate::gate::Gate>>,
    tx: mpsc::UnboundedSender<Update>,
}

/// The secret for `setWebhook` when none is configured: derived from the bot's token, so every
/// replica expects the one the leader set, and nobody without the token can work it out (64
/// hex digits: of the characters Telegram allows).
pub fn secret_from_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(format!("kabinet webhook secret\n{token}")))
}

/// Serves the webhook until `stopping`; the updates come out of the returned channel (already
/// kept). Registering it with Telegram is the leader's (`set`).
pub async fn start(
    hook: &Webhook,
    gate: Arc<crate::gate::Gate>,
    mut stopping: watch::Receiver<bool>,
) -> anyhow::Result<mpsc::UnboundedReceiver<Update>> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(hook.listen)
        .await
        .with_context(|| format!("cannot listen on {} (WEBHOOK_LISTEN)", hook.listen))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let served = Arc::new(Served {
        secret: hook.secret.clone(),
        store: gate.store.clone(),
        clock: gate.clock.clone(),
        gate: Some(gate),
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
    tracing::info!(url = %hook.url, listen = %hook.listen, "receiving updates by webhook");
    Ok(rx)
}

/// Registers the webhook with Telegram (the leader does, as it starts leading; a replica that
/// stops never deletes it).
pub async fn set(bot: &Bot, hook: &Webhook) -> anyhow::Result<()> {
    use anyhow::Context;
    bot.set_webhook(hook.url.clone())
        .secret_token(hook.secret.clone())
        .allowed_updates(ALLOWED_UPDATES.to_vec())
        .drop_pending_updates(false)
        .await
        .context("setWebhook failed: check WEBHOOK_URL (https, a port Telegram allows: 443, 80, 88, 8443)")?;
    Ok(())
}

/// The updates the bot asks for, by webhook and by polling: its own membership
/// (`my_chat_member`) tells it when it is removed from the operators' group and let back;
/// edits tell an operator that a corrected reply does not reach the consumer.
pub const ALLOWED_UPDATES: [AllowedUpdate; 4] = [
    AllowedUpdate::Message,
    AllowedUpdate::EditedMessage,
    AllowedUpdate::CallbackQuery,
    AllowedUpdate::MyChatMember,
];

/// The door let `update` in but it goes no further: its place is free again.
fn release(s: &Served, update: &Update) {
    if let Some(g) = &s.gate {
        g.door.done(update.id.0);
    }
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
        // Over its chat's rate: taken (200) and dropped, never kept.
        Ok(update) if s.gate.as_ref().is_some_and(|g| !g.pass(&update, false)) => {}
        Ok(update) => match keep(&s.store, &s.clock, &update, false).await {
            // Not kept: not taken either; Telegram posts it again shortly.
            Kept::Failed => {
                release(&s, &update);
                return StatusCode::SERVICE_UNAVAILABLE;
            }
            // Posted again (Telegram missed our 200): taken once already.
            Kept::Seen => release(&s, &update),
            Kept::New | Kept::Offered => {
                // The dispatcher is gone only when stopping: the update is kept for the next start.
                let _ = s.tx.send(update);
            }
        },
        Err(e) => tracing::error!(error = %e, "a webhook update does not read; skipped"),
    }
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of update the bot gets reads back from the inbox as it came, so another
    /// replica (or the next start) handles it as this one would have.
    #[test]
    fn kept_updates_read_back_as_they_came() {
        use tgmock::TgUser;
        let u = TgUser::new(5, "Иван");
        let sent = tgmock::BotMessage {
            chat_id: 5,
            message_id: 9,
            text: "Выберите".into(),
            document: None,
            reply_to: None,
            parse_mode: None,
            reply_markup: Some(serde_json::json!({ "inline_keyboard": [[{ "text": "A", "callback_data": "a" }]] })),
            thread: None,
        };
        let text = u.text(1, "привет");
        let mut all = vec![
            text.clone(),
            u.sticker(2),
            u.photo(3),
            u.voice(4),
            u.document(5, "акт.pdf", "application/pdf", 1000),
            u.contact(6, "+79000000000", Some(5)),
            u.press("q1", &sent, "a"),
            u.press_old("q2", 9, "a"),
            u.in_group(-1_005, 7, Some(&sent), serde_json::json!({ "text": "ответ" })),
            TgUser::anonymous_in_group(-1_005, 8, Some(&sent), serde_json::json!({ "text": "ответ" })),
            TgUser::edited(&text, serde_json::json!({ "text": "привет!" })),
        ];
        all.extend(u.album(10, 3, "g1"));
        let bot = serde_json::json!({ "id": tgmock::BOT_ID, "is_bot": true, "first_name": "Kabinet", "username": "kabinet_bot" });
        all.push(serde_json::json!({ "my_chat_member": {
            "chat": { "id": -1_005, "type": "supergroup", "title": "Группа" },
            "from": u.user_json(), "date": 1_700_000_000,
            "old_chat_member": { "user": bot, "status": "member" },
            "new_chat_member": { "user": bot, "status": "kicked", "until_date": 0 },
        }}));
        all.push(serde_json::json!({ "message": {
            "message_id": 11, "date": 1_700_000_000, "from": u.user_json(),
            "chat": { "id": -5, "type": "group", "title": "Группа" },
            "migrate_to_chat_id": -1_005,
        }}));
        all.push(serde_json::json!({ "message": {
            "message_id": 12, "date": 1_700_000_000, "from": u.user_json(),
            "chat": { "id": -1_005, "type": "supergroup", "title": "Группа" },
            "migrate_from_chat_id": -5,
        }}));
        for (n, mut raw) in all.into_iter().enumerate() {
            raw["update_id"] = (n as i64 + 1).into();
            let update: Update = serde_json::from_value(raw.clone()).unwrap();
            let json = serde_json::to_string(&update).unwrap();
            assert!(reads_back(&json, &update), "{raw}\nkept as\n{json}");
        }
    }

    #[test]
    fn secrets_compare_whole_and_are_of_telegrams_alphabet() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd") && !same(b"abc", b"ab") && !same(b"", b"a"));
        let s = secret_from_token("42:TOKEN");
        assert_eq!(s.len(), 64);
        assert!(s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-'));
        assert_eq!(s, secret_from_token("42:TOKEN"), "every replica derives the same");
        assert_ne!(s, secret_from_token("42:TOKEM"));
        assert!(!s.contains("TOKEN"));
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
            gate: None,
            tx,
        });
        let mut headers = HeaderMap::new();
        headers.insert("x-telegram-bot-api-secret-token", "s3cret".parse().unwrap());
        let body = r#"{"update_id":7,"message":{"message_id":1,"date":0,"chat":{"id":1,"type":"private","first_name":"X"},"from":{"id":1,"is_bot":false,"first_name":"X"},"text":"/start"}}"#;
        // The pool's one connection refuses writes.
        crate::store::sql::query("PRAGMA query_only = ON")
            .execute(&store.pool)
            .await
            .unwrap();
        let refused = receive(State(served.clone()), headers.clone(), body.into()).await;
        assert_eq!(refused, StatusCode::SERVICE_UNAVAILABLE);
        assert!(rx.try_recv().is_err(), "not handed to the dispatcher");
        crate::store::sql::query("PRAGMA query_only = OFF")
            .execute(&store.pool)
            .await
            .unwrap();
        let taken = receive(State(served), headers, body.into()).await;
        assert_eq!(taken, StatusCode::OK);
        assert_eq!(rx.try_recv().map(|u| u.id.0).ok(), Some(7));
        let (kept,): (i64,) = crate::store::sql::query_as("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(kept, 1, "kept before the 200");
    }
}
