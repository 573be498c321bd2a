//! Reminders: who is due one, and a record that it went (once per kind, meter and period).

use super::outbox::{self, OutboxMessage};
use super::sql;
use super::{Result, Store};
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueMeter {
    pub consumer_id: i64,
    pub meter_id: i64,
    pub serial: String,
    pub next_verification: NaiveDate,
}

impl Store {
    /// Active meters of confirmed consumers that want the reminder, with no reading for the
    /// period (by any holder of the account, for an account's meter) and no reminder sent for
    /// it yet.
    pub async fn due_reading_reminders(&self, period: &str) -> Result<Vec<DueMeter>> {
        Ok(sql::query_as(
            "SELECT m.consumer_id, m.id AS meter_id, m.serial, m.next_verification
             FROM meters m JOIN consumers a ON a.id = m.consumer_id
             WHERE m.archived_at IS NULL AND a.status = 'confirmed' AND a.remind_readings
               AND NOT EXISTS (SELECT 1 FROM readings r WHERE r.meter_id = m.id AND r.period = $1
                               AND r.source = 'user' AND r.replaced_at IS NULL)
               AND NOT EXISTS (SELECT 1 FROM meters c JOIN readings r ON r.meter_id = c.id
                               WHERE m.account_meter_id IS NOT NULL AND c.account_meter_id = m.account_meter_id
                                 AND r.period = $1 AND r.source = 'user' AND r.replaced_at IS NULL)
               AND NOT EXISTS (SELECT 1 FROM reminders_sent s WHERE s.kind = 'readings' AND s.meter_id = m.id AND s.period = $1)
             ORDER BY m.consumer_id, m.id",
        )
        .bind(period)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Meters whose verification falls between `from` and `to`, not yet reminded of it. (A day
    /// cast to text is `YYYY-MM-DD` on both: sqlx opens PostgreSQL sessions with ISO dates.)
    pub async fn due_verification_reminders(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DueMeter>> {
        Ok(sql::query_as(
            "SELECT m.consumer_id, m.id AS meter_id, m.serial, m.next_verification
             FROM meters m JOIN consumers a ON a.id = m.consumer_id
             WHERE m.archived_at IS NULL AND a.status = 'confirmed' AND a.remind_verification
               AND m.next_verification BETWEEN $1 AND $2
               AND NOT EXISTS (SELECT 1 FROM reminders_sent s WHERE s.kind = 'verification' AND s.meter_id = m.id
                               AND s.period = CAST(m.next_verification AS TEXT))
             ORDER BY m.consumer_id, m.id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Marks the reminders sent and queues their messages, together.
    pub async fn record_reminders(
        &self,
        kind: &str,
        sent: &[(i64, String)],
        messages: &[OutboxMessage],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for (meter_id, period) in sent {
            sql::query(
                "INSERT INTO reminders_sent (kind, meter_id, period, sent_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (kind, meter_id, period) DO NOTHING",
            )
            .bind(kind)
            .bind(meter_id)
            .bind(period)
            .bind(now)
            .execute(&mut tx)
            .await?;
        }
        for m in messages {
            outbox::enqueue_bulk(&mut tx, m, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Each reminder with whether it is on, in `Reminder::ALL`'s order.
    pub async fn reminder_settings(&self, consumer_id: i64) -> Result<Vec<(crate::domain::items::Reminder, bool)>> {
        let (a, b, c, d, e, f): (bool, bool, bool, bool, bool, bool) = sql::query_as(
            "SELECT remind_readings, remind_verification, notify_bills, remind_debt, notify_outages, notify_news
             FROM consumers WHERE id = $1",
        )
        .bind(consumer_id)
        .fetch_one(&self.pool)
        .await?;
        let on = [a, b, c, d, e, f];
        Ok(crate::domain::items::Reminder::ALL.iter().copied().zip(on).collect())
    }

    pub async fn set_reminder(&self, consumer_id: i64, which: crate::domain::items::Reminder, on: bool) -> Result<()> {
        let column = which.column();
        sql::query(format!("UPDATE consumers SET {column} = $1 WHERE id = $2"))
            .bind(on)
            .bind(consumer_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Flips one reminder; returns the new setting.
    pub async fn toggle_reminder(&self, consumer_id: i64, which: crate::domain::items::Reminder) -> Result<bool> {
        let column = which.column();
        let (v,): (bool,) = sql::query_as(format!(
            "UPDATE consumers SET {column} = NOT {column} WHERE id = $1 RETURNING {column}"
        ))
        .bind(consumer_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(v)
    }
}
