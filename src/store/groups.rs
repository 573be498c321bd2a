//! The operators' group as Telegram changed it (a migration to a supergroup), and the outbox
//! rows that wait for it.

use super::sql;
use super::{Result, Store};
use chrono::{DateTime, Utc};

impl Store {
    /// Telegram said `from` is now `to`.
    pub async fn record_chat_migration(&self, from: i64, to: i64, now: DateTime<Utc>) -> Result<()> {
        sql::query(
            "INSERT INTO chat_migrations (from_chat_id, to_chat_id, migrated_at) VALUES ($1, $2, $3)
             ON CONFLICT (from_chat_id) DO UPDATE SET to_chat_id = excluded.to_chat_id, migrated_at = excluded.migrated_at",
        )
        .bind(from)
        .bind(to)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Where `chat` lives now, after every migration recorded (itself when none).
    pub async fn chat_now(&self, chat: i64) -> Result<i64> {
        let mut at = chat;
        // A group migrates once; a few steps cover an id set by hand to an older one.
        for _ in 0..5 {
            let next: Option<(i64,)> = sql::query_as("SELECT to_chat_id FROM chat_migrations WHERE from_chat_id = $1")
                .bind(at)
                .fetch_optional(&self.pool)
                .await?;
            match next {
                Some((to,)) if to != at => at = to,
                _ => break,
            }
        }
        Ok(at)
    }

    /// The group's rows are due now (the bot is back in the group).
    pub async fn outbox_desk_due_now(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(sql::query(
            "UPDATE outbox SET next_attempt_at = $1 WHERE status = 'pending' AND channel = 'operator' AND next_attempt_at > $2",
        )
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Tried again at `next` without counting an attempt: the row waits for its chat (the
    /// operators' group the bot cannot post to), it did not fail.
    pub async fn outbox_postpone(&self, id: i64, next: DateTime<Utc>, error: &str) -> Result<()> {
        self.outbox_reschedule(id, next, error, false).await
    }

    /// Failed rows of `channel` (all channels when `None`) pending again from their first
    /// attempt; e-mails whose letter was already erased cannot be and are left. The count.
    pub async fn outbox_requeue(&self, channel: Option<&str>, now: DateTime<Utc>) -> Result<u64> {
        Ok(sql::query(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, done_at = NULL
             WHERE status = 'failed' AND ($2 IS NULL OR channel = $3) AND payload <> '{}'",
        )
        .bind(now)
        .bind(channel)
        .bind(channel)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}
