//! `OPERATOR_TOPICS`: the forum topic the bot created in an operators' group for each kind of
//! item (`desk_topics`), so that a card of the kind is posted in it.

use super::sql;
use super::{Result, Store};
use chrono::{DateTime, Utc};

impl Store {
    /// The topic of `kind` in the group, if the bot made one.
    pub async fn desk_topic(&self, chat: i64, kind: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> = sql::query_as("SELECT thread_id FROM desk_topics WHERE chat_id = $1 AND kind = $2")
            .bind(chat)
            .bind(kind)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(t,)| t))
    }

    /// The topic just created for `kind`; one another process created meanwhile wins (its
    /// id is returned, and this one is left empty in the forum).
    pub async fn save_desk_topic(&self, chat: i64, kind: &str, thread: i64, now: DateTime<Utc>) -> Result<i64> {
        sql::query(
            "INSERT INTO desk_topics (chat_id, kind, thread_id, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (chat_id, kind) DO NOTHING",
        )
        .bind(chat)
        .bind(kind)
        .bind(thread)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(self.desk_topic(chat, kind).await?.unwrap_or(thread))
    }

    /// Telegram no longer knows the topic (deleted): the next card creates it again.
    pub async fn forget_desk_topic(&self, chat: i64, kind: &str, thread: i64) -> Result<()> {
        sql::query("DELETE FROM desk_topics WHERE chat_id = $1 AND kind = $2 AND thread_id = $3")
            .bind(chat)
            .bind(kind)
            .bind(thread)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
