//! What Telegram accepted piece by piece (so a retry sends only what is missing) and what it
//! refused for good.

use super::operators::ItemRef;
use super::sql;
use super::{Result, Store};
use chrono::{DateTime, Utc};

impl Store {
    /// The message a piece of a delivery became, if Telegram accepted it before.
    pub async fn piece(&self, key: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> = sql::query_as("SELECT message_id FROM sent_pieces WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// Telegram accepted a piece; with `item`, the message also belongs to that item on the
    /// desk (a reply to it answers the item). One transaction.
    pub async fn record_piece(
        &self,
        key: &str,
        chat_id: i64,
        message_id: i64,
        item: Option<ItemRef>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_piece(&mut tx, key, chat_id, message_id, now).await?;
        if let Some(item) = item {
            super::operators::map_message(&mut tx, chat_id, message_id, item).await?;
        }
        tx.commit().await?;
        if item.is_some() {
            self.signal(super::signals::Signal::Desk).await;
        }
        Ok(())
    }

    /// `record_piece` for the last piece of outbox row `row`, the row marked delivered in the
    /// same transaction.
    pub async fn record_last_piece(
        &self,
        key: &str,
        chat_id: i64,
        message_id: i64,
        row: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_piece(&mut tx, key, chat_id, message_id, now).await?;
        super::outbox::mark_done(&mut tx, row, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn record_refusal(&self, chat_id: i64, method: &str, reason: &str, now: DateTime<Utc>) -> Result<()> {
        sql::query("INSERT INTO telegram_refusals (at, chat_id, method, reason) VALUES ($1, $2, $3, $4)")
            .bind(now)
            .bind(chat_id)
            .bind(method)
            .bind(reason)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Telegram's refusals since `since`.
    pub async fn refusals_since(&self, since: DateTime<Utc>) -> Result<i64> {
        let (n,): (i64,) = sql::query_as("SELECT COUNT(*) FROM telegram_refusals WHERE at >= $1")
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}

/// A piece Telegram accepted, in `tx` (again under the same key: the newer message).
async fn insert_piece(tx: &mut sql::Tx, key: &str, chat_id: i64, message_id: i64, now: DateTime<Utc>) -> Result<()> {
    sql::query(
        "INSERT INTO sent_pieces (key, chat_id, message_id, at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO UPDATE SET chat_id = excluded.chat_id, message_id = excluded.message_id, at = excluded.at",
    )
    .bind(key)
    .bind(chat_id)
    .bind(message_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
