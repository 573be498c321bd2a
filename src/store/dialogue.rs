//! teloxide's dialogue `Storage` on our own pool (not teloxide's sqlite storage: that would be a
//! second sqlx stack and a second pool on the same file).

use super::{Store, StoreError};
use crate::bot::state::State;
use chrono::Utc;
use futures::future::BoxFuture;
use std::sync::Arc;
use teloxide::dispatching::dialogue::Storage;
use teloxide::types::ChatId;

impl Storage<State> for Store {
    type Error = StoreError;

    fn remove_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            sqlx::query("DELETE FROM dialogues WHERE chat_id = ?")
                .bind(chat_id.0)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn update_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
        dialogue: State,
    ) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            let json = serde_json::to_string(&dialogue)?;
            sqlx::query(
                "INSERT INTO dialogues (chat_id, state, updated_at) VALUES (?, ?, ?)
                 ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            )
            .bind(chat_id.0)
            .bind(json)
            .bind(Utc::now())
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn get_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<'static, Result<Option<State>, Self::Error>> {
        Box::pin(async move {
            let row: Option<(String,)> = sqlx::query_as("SELECT state FROM dialogues WHERE chat_id = ?")
                .bind(chat_id.0)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|(json,)| State::from_stored(&json)))
        })
    }
}

impl Store {
    /// The highest update handled so far: only updates up to it can be offered again.
    pub async fn last_processed_update(&self) -> super::Result<i64> {
        let (max,): (Option<i64>,) = sqlx::query_as("SELECT MAX(update_id) FROM processed_updates")
            .fetch_one(&self.pool)
            .await?;
        Ok(max.unwrap_or(0))
    }

    pub async fn update_processed(&self, update_id: i64) -> super::Result<bool> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM processed_updates WHERE update_id = ?")
            .bind(update_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Records a handled update (forgotten by the scheduled pruning after two days: Telegram
    /// offers an unconfirmed update again for 24 hours).
    pub async fn mark_update_processed(&self, update_id: i64) -> super::Result<()> {
        sqlx::query("INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)")
            .bind(update_id)
            .bind(Utc::now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
