//! The dialogue in progress per chat (its state as JSON; the bot reads and writes it), and the
//! inbox of updates: kept as they arrive, marked when handled.

use super::Store;
use super::sql;
use chrono::{DateTime, Utc};

impl Store {
    /// A chat's dialogue state, as stored.
    pub async fn dialogue_state(&self, chat_id: i64) -> super::Result<Option<String>> {
        let row: Option<(String,)> = sql::query_as("SELECT state FROM dialogues WHERE chat_id = $1")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// The highest update received so far: only updates up to it can be offered again (by
    /// Telegram, or from the inbox after a crash).
    pub async fn last_received_update(&self) -> super::Result<i64> {
        let (max,): (Option<i64>,) = sql::query_as("SELECT MAX(update_id) FROM inbox")
            .fetch_one(&self.pool)
            .await?;
        Ok(max.unwrap_or(0))
    }

    pub async fn update_processed(&self, update_id: i64) -> super::Result<bool> {
        let row: Option<(i32,)> = sql::query_as("SELECT 1 FROM inbox WHERE update_id = $1 AND handled_at IS NOT NULL")
            .bind(update_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Records a handled update (its stored copy is dropped; the mark is pruned after two
    /// days: Telegram offers an unconfirmed update again for 24 hours).
    pub async fn mark_update_processed(&self, update_id: i64, now: DateTime<Utc>) -> super::Result<()> {
        mark_handled(&self.pool, update_id, now).await
    }

    /// An update as it arrives, kept until it is handled. A private message comes with a copy
    /// without what its person typed (`redacted`), kept instead while the chat's dialogue
    /// expects a password: decided in the one statement, the typed text is only ever a bound
    /// value, never a row. `None` when it was seen before (kept or handled already: Telegram
    /// posted it again); else whether the copy without the secret was kept.
    pub async fn inbox_received(
        &self,
        update_id: i64,
        payload: &str,
        redacted: Option<(i64, &str)>,
        now: DateTime<Utc>,
    ) -> super::Result<Option<bool>> {
        let (chat, without) = redacted.map_or((None, None), |(c, r)| (Some(c), Some(r)));
        let row: Option<(bool,)> = sql::query_as(
            "INSERT INTO inbox (update_id, payload, received_at)
             SELECT $1, CASE WHEN s.secret THEN $3 ELSE $2 END, $4
               FROM (SELECT COALESCE((SELECT secret FROM dialogues WHERE chat_id = $5), FALSE) AS secret) s
              WHERE TRUE
             ON CONFLICT (update_id) DO NOTHING
             RETURNING payload IS DISTINCT FROM $2",
        )
        .bind(update_id)
        .bind(payload)
        .bind(without)
        .bind(now)
        .bind(chat)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(r,)| r))
    }

    /// Updates kept before `before` and not handled yet (their handling failed, e.g. the
    /// database went away half-way), oldest first, a hundred at most.
    pub async fn inbox_stale(&self, before: DateTime<Utc>) -> super::Result<Vec<(i64, String)>> {
        Ok(sql::query_as(
            "SELECT update_id, payload FROM inbox
             WHERE handled_at IS NULL AND payload IS NOT NULL AND received_at < $1
             ORDER BY update_id LIMIT 100",
        )
        .bind(before)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Updates received but never handled (the process stopped in between), oldest first.
    pub async fn inbox_unhandled(&self) -> super::Result<Vec<(i64, String)>> {
        Ok(sql::query_as(
            "SELECT update_id, payload FROM inbox WHERE handled_at IS NULL AND payload IS NOT NULL ORDER BY update_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Marks an update handled in `conn` (a transaction, when it goes with what the update did).
pub(crate) async fn mark_handled<'c>(
    conn: impl Into<sql::Exec<'c>>,
    update_id: i64,
    now: chrono::DateTime<Utc>,
) -> super::Result<()> {
    sql::query(
        "INSERT INTO inbox (update_id, received_at, handled_at) VALUES ($1, $2, $2)
         ON CONFLICT (update_id) DO UPDATE SET handled_at = excluded.handled_at, payload = NULL",
    )
    .bind(update_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
