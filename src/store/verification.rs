//! A meter's verification: «Заявка на поверку» closed by the certificate and the next date,
//! and whether readings may be taken from a meter whose verification has lapsed.

use super::outbox::{self, OutboxMessage};
use super::sql;
use super::tickets::{Attachment, DeliveredFile, insert_delivered};
use super::{Result, Store};
use crate::domain::items::{FileOwner, MeterRequestKind, MeterRequestStatus};
use chrono::{DateTime, NaiveDate, Utc};

impl Store {
    /// A verification or replacement request on the meter that is still open: readings of a
    /// lapsed meter are taken meanwhile.
    pub async fn has_open_verification_request(&self, meter_id: i64) -> Result<bool> {
        let (n,): (i64,) = sql::query_as(
            "SELECT COUNT(*) FROM meter_requests
             WHERE meter_id = $1 AND kind IN ($2, $3) AND status IN ($4, $5)",
        )
        .bind(meter_id)
        .bind(MeterRequestKind::Verification)
        .bind(MeterRequestKind::Replacement)
        .bind(MeterRequestStatus::Submitted)
        .bind(MeterRequestStatus::Scheduled)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// The desk closes a «Заявка на поверку»: done, the meter's next verification moved, the
    /// certificate kept for the consumer, the consumer told — in one transaction.
    pub async fn complete_verification(
        &self,
        request_id: i64,
        next: NaiveDate,
        certificate: &[DeliveredFile<'_>],
        notices: &[OutboxMessage],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sql::query("UPDATE meter_requests SET status = $1 WHERE id = $2")
            .bind(MeterRequestStatus::Done)
            .bind(request_id)
            .execute(&mut tx)
            .await?;
        sql::query(
            "UPDATE meters SET next_verification = $1, verification_unknown = FALSE WHERE id = (SELECT meter_id FROM meter_requests WHERE id = $2)",
        )
        .bind(next)
        .bind(request_id)
        .execute(&mut tx)
        .await?;
        insert_delivered(&mut tx, FileOwner::Verification, request_id, certificate, now).await?;
        for n in notices {
            outbox::enqueue(&mut tx, n, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The newest verification certificate of the meter (its attachment id), if any.
    pub async fn latest_certificate(&self, meter_id: i64) -> Result<Option<i64>> {
        let row: Option<(i64,)> = sql::query_as(
            "SELECT a.id FROM attachments a JOIN meter_requests q ON q.id = a.owner_id
             WHERE a.owner_kind = $1 AND q.meter_id = $2 ORDER BY a.id DESC LIMIT 1",
        )
        .bind(FileOwner::Verification)
        .bind(meter_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id,)| id))
    }

    /// A certificate of one of the consumer's meters (with its bytes), or nothing.
    pub async fn certificate(&self, consumer_id: i64, attachment_id: i64) -> Result<Option<Attachment>> {
        Ok(sql::query_as(
            "SELECT a.id, a.owner_id, a.file_id, a.name, a.mime, a.content FROM attachments a
             JOIN meter_requests q ON q.id = a.owner_id
             WHERE a.id = $1 AND a.owner_kind = $2 AND q.consumer_id = $3",
        )
        .bind(attachment_id)
        .bind(FileOwner::Verification)
        .bind(consumer_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}
