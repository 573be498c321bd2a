//! Forms left half-way for another section, kept per consumer and section (`form_drafts`): the
//! dialogue state as it was, offered back with «Продолжить» / «Начать заново».

use super::sql;
use super::{Result, Store};
use chrono::{DateTime, Duration, Utc};

/// A draft older than this is not offered (and goes with the next save or prune).
pub const DRAFT_KEPT: Duration = Duration::days(30);

/// A kept form: its section's stored state and when it was left.
#[derive(Debug, Clone, PartialEq)]
pub struct FormDraft {
    pub state: serde_json::Value,
    pub saved_at: DateTime<Utc>,
}

impl Store {
    /// Keeps the form in progress of `area` (one per section; a newer one replaces it).
    pub async fn save_form_draft(
        &self,
        consumer_id: i64,
        area: &str,
        state: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sql::query(
            "INSERT INTO form_drafts (consumer_id, area, state, saved_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (consumer_id, area) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at",
        )
        .bind(consumer_id)
        .bind(area)
        .bind(state.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The section's kept form, if one younger than `DRAFT_KEPT` is there.
    pub async fn form_draft(&self, consumer_id: i64, area: &str, now: DateTime<Utc>) -> Result<Option<FormDraft>> {
        let row: Option<(String, DateTime<Utc>)> = sql::query_as(
            "SELECT state, saved_at FROM form_drafts WHERE consumer_id = $1 AND area = $2 AND saved_at > $3",
        )
        .bind(consumer_id)
        .bind(area)
        .bind(now - DRAFT_KEPT)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(state, saved_at)| {
            Some(FormDraft {
                state: serde_json::from_str(&state).ok()?,
                saved_at,
            })
        }))
    }

    /// The section's kept form, taken out (continued) or dropped (started anew): whether one
    /// was there, so a second press of the same button does nothing twice.
    pub async fn take_form_draft(&self, consumer_id: i64, area: &str) -> Result<Option<serde_json::Value>> {
        let row: Option<(String,)> =
            sql::query_as("DELETE FROM form_drafts WHERE consumer_id = $1 AND area = $2 RETURNING state")
                .bind(consumer_id)
                .bind(area)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(s,)| serde_json::from_str(&s).ok()))
    }
}
