//! Requests on a meter (reading taking, commissioning, replacement, verification): filing
//! them, the meter's list, and what the operators' desk reads and sets.

use super::finish::{self, Filed, FinishFor};
use super::meters::{FileRef, insert_attachments, next_number};
use super::sql;
use super::{Result, Store};
use crate::domain::items::{DeskTarget, FileOwner, MeterRequestKind, MeterRequestStatus};
use crate::domain::meters::Resource;
use chrono::{DateTime, NaiveDate, Utc};

/// A meter request as the desk shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MeterRequest {
    pub id: i64,
    pub number: String,
    pub kind: MeterRequestKind,
    pub status: MeterRequestStatus,
    pub preferred_date: NaiveDate,
    pub scheduled_for: Option<NaiveDate>,
    pub status_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A request on a meter as filed.
#[derive(Clone, Copy)]
pub struct NewMeterRequest<'a> {
    pub consumer_id: i64,
    pub meter_id: i64,
    pub kind: MeterRequestKind,
    pub details: &'a serde_json::Value,
    pub preferred_date: NaiveDate,
    pub files: &'a [FileRef],
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeskMeterRequest {
    pub id: i64,
    pub number: String,
    pub kind: MeterRequestKind,
    pub status: MeterRequestStatus,
    pub details: String,
    pub preferred_date: chrono::NaiveDate,
    pub scheduled_for: Option<chrono::NaiveDate>,
    pub consumer_id: i64,
    pub meter_id: i64,
    pub serial: String,
    pub resource: Resource,
    pub address: String,
    /// The personal account the meter is of (from the registry), if it is one's.
    pub account: Option<String>,
}

impl Store {
    /// Files a request on a meter: number, row, attachments and the operators' outbox row in
    /// one transaction.
    pub async fn create_meter_request(
        &self,
        r: &NewMeterRequest<'_>,
        now: DateTime<Utc>,
        finish: Option<FinishFor<'_>>,
    ) -> Result<Filed> {
        let NewMeterRequest {
            consumer_id,
            meter_id,
            kind,
            details,
            preferred_date,
            files,
        } = *r;
        let mut tx = self.pool.begin().await?;
        let number = next_number(&mut tx, "ПУ", chrono::Datelike::year(&now)).await?;
        let id = sql::query_scalar::<i64>(
            "INSERT INTO meter_requests (number, meter_id, consumer_id, kind, details, preferred_date, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&number)
        .bind(meter_id)
        .bind(consumer_id)
        .bind(kind)
        .bind(details.to_string())
        .bind(preferred_date)
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        insert_attachments(&mut tx, FileOwner::MeterRequest, id, files, now).await?;
        finish::file_new(tx, DeskTarget::MeterRequest, (id, number), finish, now).await
    }

    pub async fn meter_requests(&self, meter_id: i64) -> Result<Vec<MeterRequest>> {
        Ok(sql::query_as(
            "SELECT id, number, kind, status, preferred_date, scheduled_for, status_note, created_at
             FROM meter_requests WHERE meter_id = $1 ORDER BY id DESC LIMIT 10",
        )
        .bind(meter_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn meter_request_by_id(&self, id: i64) -> Result<Option<DeskMeterRequest>> {
        Ok(sql::query_as(
            "SELECT q.id, q.number, q.kind, q.status, q.details, q.preferred_date, q.scheduled_for, q.consumer_id,
                    q.meter_id, m.serial, m.resource, m.address, ac.number AS account
             FROM meter_requests q JOIN meters m ON m.id = q.meter_id
             LEFT JOIN account_meters am ON am.id = m.account_meter_id LEFT JOIN accounts ac ON ac.id = am.account_id
             WHERE q.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn meter_request_files(&self, id: i64) -> Result<Vec<super::tickets::Attachment>> {
        Ok(sql::query_as(
            "SELECT id, owner_id, file_id, name, mime, NULL AS content FROM attachments
             WHERE owner_kind = 'meter_request' AND owner_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The desk's decision on a meter request, with the person's notices, in one transaction.
    pub async fn set_meter_request_status(
        &self,
        id: i64,
        status: MeterRequestStatus,
        scheduled_for: Option<chrono::NaiveDate>,
        note: Option<&str>,
        notices: &[super::outbox::OutboxMessage],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sql::query(
            "UPDATE meter_requests SET status = $1, scheduled_for = COALESCE($2, scheduled_for),
                    status_note = COALESCE($3, status_note) WHERE id = $4",
        )
        .bind(status)
        .bind(scheduled_for)
        .bind(note)
        .bind(id)
        .execute(&mut tx)
        .await?;
        for n in notices {
            super::outbox::enqueue(&mut tx, n, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
