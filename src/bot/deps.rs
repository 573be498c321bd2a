//! What every handler needs besides the update, what can go wrong in one, and the rule that
//! an update is handled once.

use crate::clock::Clock;
use crate::config::Config;
use crate::store::{Store, StoreError};
use crate::telegram::{SendError, Telegram};
use std::sync::Arc;
use teloxide::types::Update;
use tokio::sync::Notify;
use tracing::Instrument;

pub struct Deps {
    pub store: Store,
    /// The only way out to Telegram.
    pub tg: Telegram,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Wakes the outbox worker after a row was written.
    pub outbox_wake: Arc<Notify>,
    pub bot_username: String,
    /// Albums being received: one answer each.
    pub albums: Arc<super::album::Albums>,
    /// The operators' group as it is now (Telegram may move it; the bot may be removed).
    pub group: Arc<crate::desk::group::DeskGroup>,
    /// The highest update id received before this start: only ids up to it can be offered
    /// again after a crash, so only those are looked up.
    pub handled_before_start: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("telegram: {0}")]
    Send(#[from] SendError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("password hashing: {0}")]
    Hash(String),
}

pub type HandlerResult = Result<(), HandlerError>;

/// Runs a handler once per update: one offered again after a crash (by Telegram, or from
/// the inbox) is skipped if it was handled. The handler says whether it marked the update
/// itself (with a dialogue change); else it is marked here.
pub async fn once(
    deps: &Deps,
    update: &Update,
    handle: impl std::future::Future<Output = Result<bool, HandlerError>>,
) -> HandlerResult {
    let id = i64::from(update.id.0);
    // Every line logged while the update is handled carries its id and chat.
    let span = tracing::info_span!("update", update = id, chat = update.chat().map(|c| c.id.0));
    let kind = match &update.kind {
        teloxide::types::UpdateKind::Message(_) => "message",
        teloxide::types::UpdateKind::CallbackQuery(_) => "callback",
        _ => "other",
    };
    let started = std::time::Instant::now();
    let result = async move {
        if id <= deps.handled_before_start && deps.store.update_processed(id).await? {
            tracing::info!("already handled");
            return Ok(());
        }
        if !handle.await? {
            deps.store.mark_update_processed(id, deps.clock.now()).await?;
        }
        Ok(())
    }
    .instrument(span)
    .await;
    let m = crate::metrics::get();
    m.update(kind);
    m.handler_seconds.observe(started.elapsed().as_secs_f64());
    if result.is_err() {
        m.errors.inc();
    }
    result
}
