//! A meter the consumer added, checked by the operators: «на проверке» until accepted.

use super::meters::{METER_COLUMNS, Meter};
use super::outbox::{self, OutboxMessage};
use super::sql;
use super::{Result, Store};
use crate::domain::items::MeterReview;
use chrono::{DateTime, Utc};

impl Store {
    /// A meter as the operators' card shows it, whoever's it is (none once removed).
    pub async fn meter_for_desk(&self, id: i64) -> Result<Option<Meter>> {
        Ok(sql::query_as(format!(
            "SELECT {METER_COLUMNS} FROM meters WHERE id = $1 AND archived_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// «Принять прибор»: accepted, the consumer told in the same transaction; false when it
    /// was accepted already (a second press tells nobody anything).
    pub async fn accept_meter(&self, id: i64, notices: &[OutboxMessage], now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sql::query("UPDATE meters SET review = $1 WHERE id = $2 AND review = $3")
            .bind(MeterReview::Accepted)
            .bind(id)
            .bind(MeterReview::Pending)
            .execute(&mut tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        for n in notices {
            outbox::enqueue(&mut tx, n, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The operators' word on a meter (a reply to its card), to the consumer's chats.
    pub async fn tell_about_meter(&self, notices: &[OutboxMessage], now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for n in notices {
            outbox::enqueue(&mut tx, n, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
