//! The back office: the accepted readings of a period for billing, and a copy of the
//! database while it is in use.

use super::sql;
use super::{Result, Store};
use crate::domain::meters::Resource;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    pub login: Option<String>,
    pub name: Option<String>,
    pub serial: String,
    pub resource: Resource,
    pub zone: i64,
    pub value_milli: i64,
    pub submitted_at: DateTime<Utc>,
    /// A meter not yet accepted by the operators: its readings are marked.
    pub review: crate::domain::items::MeterReview,
    /// The consumer confirmed a consumption that looked implausible.
    pub outlier: bool,
    /// The personal account of the meter (from the registry), if it is one's.
    pub account: Option<String>,
}

impl Store {
    /// The accepted readings of a billing period, one row per meter and zone, as they are read
    /// (a region's period is millions of rows: none is held longer than it takes to write it).
    pub fn export_readings(
        &self,
        period: String,
    ) -> futures::stream::BoxStream<'_, std::result::Result<ExportRow, sqlx::Error>> {
        sql::query_as(
            "SELECT a.login, a.name, m.serial, m.resource, r.zone, r.value_milli, r.submitted_at, m.review, r.outlier,
                    ac.number AS account
             FROM readings r JOIN meters m ON m.id = r.meter_id JOIN consumers a ON a.id = m.consumer_id
             LEFT JOIN account_meters am ON am.id = m.account_meter_id LEFT JOIN accounts ac ON ac.id = am.account_id
             WHERE r.period = $1 AND r.source = 'user' AND r.replaced_at IS NULL
             ORDER BY a.login, m.serial, r.zone",
        )
        .bind(period)
        .fetch(&self.pool)
    }
    /// A consistent copy of an SQLite database while it is in use, on a connection of its own: the
    /// copy of a region's database takes tens of seconds, and the pool's one connection goes on
    /// serving updates meanwhile (a reader does not block the writer in WAL mode).
    pub async fn backup(&self, path: &str) -> Result<()> {
        let mut conn = self.side_connection().await?;
        sql::query("VACUUM INTO $1").bind(path).execute(&mut conn).await?;
        sqlx::Connection::close(conn).await?;
        Ok(())
    }
}
