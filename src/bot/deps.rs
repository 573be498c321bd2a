//! What every handler needs besides the update, what can go wrong in one, and the rule that
//! an update is handled once.

use crate::clock::Clock;
use crate::config::Config;
use crate::store::{Store, StoreError};
use crate::telegram::{SendError, Telegram};
use std::sync::Arc;
use teloxide::types::Update;
use tracing::Instrument;

pub struct Deps {
    pub store: Store,
    /// The only way out to Telegram.
    pub tg: Telegram,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Wakes the outbox worker after a row was written.
    pub outbox_wake: Arc<crate::store::signals::Wake>,
    pub bot_username: String,
    /// Albums being received: one answer each.
    pub albums: Arc<super::album::Albums>,
    /// The operators' group as it is now (Telegram may move it; the bot may be removed).
    pub group: Arc<crate::desk::group::DeskGroup>,
    /// The highest update id received before this start: only ids up to it can be offered
    /// again after a crash, so only those are looked up.
    pub handled_before_start: i64,
    /// Where updates are let in: one in the works here holds its place.
    pub door: Arc<crate::door::Door>,
    /// Every section's menu entries and services (`sections::catalog`).
    pub menu: Arc<super::menu::Catalog>,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("telegram: {0}")]
    Send(#[from] SendError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("password hashing: {0}")]
    Hash(String),
    /// A document the bot makes (a receipt, a picture) could not be made.
    #[error("making a file: {0}")]
    Making(String),
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
        if !my_turn(deps, id).await? {
            return Ok(());
        }
        if !handle.await? {
            deps.store.mark_update_processed(id, deps.clock.now()).await?;
        }
        answered(deps, update).await?;
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

/// On PostgreSQL, where several replicas handle a chat's updates: waits while an earlier update
/// of the chat is in the works elsewhere; false when this one is not handled here (handled or
/// taken over already, or it stepped back behind an earlier one nobody handles: it is claimed
/// again with or after it, so the chat's order holds).
async fn my_turn(deps: &Deps, id: i64) -> Result<bool, StoreError> {
    use crate::store::inbox::Turn;
    if deps.store.backend() != crate::store::sql::Backend::Postgres {
        return Ok(true);
    }
    let mut pause = std::time::Duration::from_millis(5);
    loop {
        match deps.store.inbox_turn(id, deps.clock.now()).await? {
            Turn::Go => return Ok(true),
            Turn::Taken => {
                tracing::info!("handled by another replica");
                return Ok(false);
            }
            Turn::Wait => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_millis(100));
            }
            Turn::Behind { earlier, until } => {
                // An earlier one queued here behind this one: claimed again at once, it comes
                // after it.
                let queued_here = u32::try_from(earlier).is_ok_and(|e| deps.door.holds(e));
                let until = if queued_here { deps.clock.now() } else { until };
                deps.store.inbox_step_back(id, until).await?;
                deps.store.signal(crate::store::signals::Signal::Inbox).await;
                tracing::info!(
                    earlier,
                    "an earlier update of the chat comes first: this one waits for it"
                );
                return Ok(false);
            }
        }
    }
}

/// On PostgreSQL: once the update's answers have gone out (its chat's lane has sent what was
/// queued before now), its lease is released and the chat's next update may go in another
/// replica (here the lane keeps the order by itself, so nothing waits for it): a chat's
/// answers arrive in the order of its messages.
async fn answered(deps: &Deps, update: &Update) -> Result<(), StoreError> {
    if deps.store.backend() != crate::store::sql::Backend::Postgres {
        return Ok(());
    }
    let id = i64::from(update.id.0);
    let Some(chat) = update.chat() else {
        return deps.store.inbox_release(id).await;
    };
    let (sent, out) = tokio::sync::oneshot::channel::<()>();
    deps.tg.queue(chat.id, async move {
        let _ = sent.send(());
    });
    let store = deps.store.clone();
    tokio::spawn(async move {
        let _ = tokio::time::timeout(crate::store::inbox::LEASE, out).await;
        if let Err(e) = store.inbox_release(id).await {
            tracing::warn!(error = %e, update = id, "inbox: a lease not released (it runs out by itself)");
        }
    });
    Ok(())
}
