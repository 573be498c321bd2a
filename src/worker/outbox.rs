//! Delivers outbox rows: e-mails through the mailer, messages through Telegram. Retries with the
//! configured backoff, honours 429 `retry_after`, marks chats that blocked the bot, and since
//! every row lives in the database, survives restarts: a row is either delivered or pending.

use crate::clock::Clock;
use crate::config::Schedule;
use crate::mail::Mailer;
use crate::store::Store;
use crate::store::outbox::Button;
use crate::store::outbox::{OutboxMessage, OutboxRow};
use chrono::Duration;
use futures::StreamExt;
use std::sync::Arc;
use teloxide::adaptors::Throttle;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};
use teloxide::{ApiError, RequestError};
use tokio::sync::{Notify, watch};

/// Telegram's limits with a margin: its counting and ours never line up to the millisecond,
/// and one 429 stalls the chat for its retry_after.
pub fn limits() -> teloxide::adaptors::throttle::Limits {
    teloxide::adaptors::throttle::Limits {
        messages_per_sec_chat: 1,
        messages_per_min_chat: 19,
        messages_per_min_channel_or_supergroup: 19,
        messages_per_sec_overall: 27,
    }
}

pub struct OutboxWorker {
    pub store: Store,
    /// Throttled to Telegram's limits: 30 messages/s overall, 1/s per chat, 20/min per group.
    pub bot: Throttle<Bot>,
    pub config: std::sync::Arc<crate::config::Config>,
    /// The operators' group; without it, rows for the desk wait.
    pub operator_chat: Option<ChatId>,
    pub mailer: Mailer,
    pub clock: Clock,
    pub schedule: Schedule,
    pub max_attempts: i64,
    pub wake: Arc<Notify>,
}

enum Outcome {
    Done,
    Retry { after_secs: u64, error: String },
    Permanent(String),
}

impl OutboxWorker {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            let idle = match self.drain().await {
                Ok(()) => self.until_next_due().await,
                Err(e) => {
                    tracing::error!(error = %e, "outbox: database error");
                    std::time::Duration::from_secs(5)
                }
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(idle) => {}
                _ = stop.changed() => return,
            }
        }
    }

    async fn until_next_due(&self) -> std::time::Duration {
        let max = std::time::Duration::from_secs(60);
        match self.store.outbox_next_due(self.operator_chat.is_some()).await {
            Ok(Some(at)) => (at - self.clock.now()).to_std().unwrap_or_default().min(max),
            _ => max,
        }
    }

    async fn send(&self, chat_id: i64, text: String, button: Option<Button>) -> Result<Message, RequestError> {
        let req = self.bot.send_message(ChatId(chat_id), text);
        match button {
            Some(b) => {
                let kb = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback(b.text, b.data)]]);
                req.reply_markup(kb).await
            }
            None => req.await,
        }
    }

    /// Delivers every row that is due now.
    pub async fn drain(&self) -> crate::store::Result<()> {
        loop {
            let rows = self
                .store
                .outbox_due(self.clock.now(), 50, self.operator_chat.is_some())
                .await?;
            if rows.is_empty() {
                return Ok(());
            }
            // Chats in parallel, so the throttle can fill each of its ticks; one chat's messages
            // in order. The desk's rows stay in one sequence (cards before their replies).
            let mut groups: Vec<(String, Vec<OutboxRow>)> = Vec::new();
            for row in rows {
                let key = match row.message() {
                    Ok(OutboxMessage::Telegram { chat_id, .. }) => format!("chat:{chat_id}"),
                    Ok(OutboxMessage::Operator { .. }) => "desk".to_owned(),
                    _ => format!("row:{}", row.id),
                };
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, g)) => g.push(row),
                    None => groups.push((key, vec![row])),
                }
            }
            let results: Vec<crate::store::Result<()>> = futures::stream::iter(groups)
                .map(|(_, group)| async move {
                    for row in group {
                        self.deliver(row).await?;
                    }
                    Ok(())
                })
                .buffer_unordered(32)
                .collect()
                .await;
            for r in results {
                r?;
            }
        }
    }

    async fn deliver(&self, row: OutboxRow) -> crate::store::Result<()> {
        let outcome = match row.message() {
            Ok(OutboxMessage::Email { to, subject, body }) => match self.mailer.send(&to, &subject, &body).await {
                Ok(()) => Outcome::Done,
                Err(crate::mail::MailError::Address(a)) => Outcome::Permanent(format!("bad address {a}")),
                Err(e) => Outcome::Retry {
                    after_secs: 0,
                    error: e.to_string(),
                },
            },
            Ok(OutboxMessage::Telegram { chat_id, text, button }) => match self.send(chat_id, text, button).await {
                Ok(_) => Outcome::Done,
                Err(RequestError::RetryAfter(secs)) => Outcome::Retry {
                    after_secs: secs.seconds().into(),
                    error: "429 retry_after".into(),
                },
                Err(RequestError::Api(ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::ChatNotFound)) => {
                    self.store.mark_chat_blocked(chat_id, self.clock.now()).await?;
                    Outcome::Permanent("chat unreachable (blocked the bot)".into())
                }
                Err(e) => Outcome::Retry {
                    after_secs: 0,
                    error: e.to_string(),
                },
            },
            Ok(OutboxMessage::Operator { item, id, event }) => {
                let Some(group) = self.operator_chat else { return Ok(()) };
                let desk = crate::bot::desk::Desk {
                    bot: &self.bot,
                    store: &self.store,
                    config: &self.config,
                    clock: &self.clock,
                    group,
                };
                match desk.deliver(&item, id, &event).await {
                    Ok(()) => Outcome::Done,
                    Err(crate::bot::HandlerError::Telegram(RequestError::RetryAfter(secs))) => Outcome::Retry {
                        after_secs: secs.seconds().into(),
                        error: "429 retry_after".into(),
                    },
                    Err(e) => Outcome::Retry {
                        after_secs: 0,
                        error: e.to_string(),
                    },
                }
            }
            Err(e) => Outcome::Permanent(format!("unreadable payload: {e}")),
        };
        let now = self.clock.now();
        match outcome {
            Outcome::Done => self.store.outbox_done(row.id, now).await,
            Outcome::Permanent(error) => {
                tracing::warn!(id = row.id, %error, "outbox: gave up");
                self.store.outbox_failed(row.id, now, &error).await
            }
            Outcome::Retry { .. } if row.attempts + 1 >= self.max_attempts => {
                self.store.outbox_failed(row.id, now, "too many attempts").await
            }
            Outcome::Retry { after_secs, error } => {
                let wait = after_secs.max(self.schedule.delay(row.attempts + 1));
                tracing::warn!(id = row.id, attempt = row.attempts + 1, wait, %error, "outbox: will retry");
                let wait = i64::try_from(wait).unwrap_or(i64::MAX / 1000);
                self.store
                    .outbox_retry(row.id, now + Duration::seconds(wait), &error)
                    .await
            }
        }
    }
}
