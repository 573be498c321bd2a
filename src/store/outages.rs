//! Outages (`outages`) and who was told of which version (`outage_notices`). A change raises
//! the version; the notices of a version and the messages are written in one transaction, a
//! message only with a notice new in it, so a consumer hears of each version once whoever runs
//! the telling (the back-office command or the bot's worker).

use super::meters::next_number;
use super::outbox::{self, OutboxMessage};
use super::sql;
use super::{Result, Store};
use crate::domain::meters::Resource;
use crate::domain::outages::{Change, NewOutage};
use chrono::{DateTime, Datelike, Utc};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Outage {
    pub id: i64,
    pub number: String,
    pub resource: Resource,
    pub planned: bool,
    pub area: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub version: i64,
    pub last_change: Change,
    pub closed_at: Option<DateTime<Utc>>,
}

/// The notice «version» of the evening reminder (versions of changes start at 1).
pub const EVENING: i64 = 0;

const COLUMNS: &str =
    "id, number, resource, planned, area, starts_at, ends_at, reason, version, last_change, closed_at";

/// An address of a consumer's: of a linked account, or of one of their meters.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConsumerAddress {
    pub consumer_id: i64,
    pub address: String,
}

/// An outage written with its new number, in the caller's transaction.
pub(super) async fn insert(tx: &mut sql::Tx, o: &NewOutage, now: DateTime<Utc>) -> Result<String> {
    let number = next_number(tx, "ОТК", now.year()).await?;
    sql::query(
        "INSERT INTO outages (number, resource, planned, area, starts_at, ends_at, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(number.as_str())
    .bind(o.resource.as_str())
    .bind(o.planned)
    .bind(o.area_text.as_str())
    .bind(o.starts_at)
    .bind(o.ends_at)
    .bind(o.reason.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(number)
}

impl Store {
    /// Publishes an outage; its number («ОТК-2026-000001»).
    pub async fn add_outage(&self, o: &NewOutage, now: DateTime<Utc>) -> Result<String> {
        let mut tx = self.pool.begin().await?;
        let number = insert(&mut tx, o, now).await?;
        tx.commit().await?;
        Ok(number)
    }

    /// An imported table of outages, all or nothing: new ones published; one already there (the
    /// same resource, area and start, not closed) extended when its end changed, else left.
    pub async fn apply_outages(&self, list: &[NewOutage], now: DateTime<Utc>) -> Result<super::accounts::Counts> {
        let mut tx = self.pool.begin().await?;
        let mut counts = super::accounts::Counts::default();
        for o in list {
            let had: Option<(i64, DateTime<Utc>)> = sql::query_as(
                "SELECT id, ends_at FROM outages WHERE resource = $1 AND area = $2 AND starts_at = $3 AND closed_at IS NULL",
            )
            .bind(o.resource.as_str())
            .bind(o.area_text.as_str())
            .bind(o.starts_at)
            .fetch_optional(&mut tx)
            .await?;
            match had {
                Some((_, ends)) if ends == o.ends_at => counts.unchanged += 1,
                Some((id, _)) => {
                    counts.updated += 1;
                    sql::query("UPDATE outages SET ends_at = $1, version = version + 1, last_change = 'extended' WHERE id = $2")
                        .bind(o.ends_at)
                        .bind(id)
                        .execute(&mut tx)
                        .await?;
                }
                None => {
                    counts.added += 1;
                    insert(&mut tx, o, now).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(counts)
    }

    pub async fn outage(&self, number: &str) -> Result<Option<Outage>> {
        Ok(
            sql::query_as(format!("SELECT {COLUMNS} FROM outages WHERE number = $1"))
                .bind(number)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn outage_by_id(&self, id: i64) -> Result<Option<Outage>> {
        Ok(sql::query_as(format!("SELECT {COLUMNS} FROM outages WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Outages not closed and not over before `now`, the soonest first.
    pub async fn open_outages(&self, now: DateTime<Utc>) -> Result<Vec<Outage>> {
        Ok(sql::query_as(format!(
            "SELECT {COLUMNS} FROM outages WHERE closed_at IS NULL AND ends_at > $1 ORDER BY starts_at, id"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A new expected end: a change consumers are told of. False when there is no such open
    /// outage.
    pub async fn extend_outage(&self, number: &str, ends_at: DateTime<Utc>) -> Result<bool> {
        let n = sql::query(
            "UPDATE outages SET ends_at = $1, version = version + 1, last_change = 'extended'
             WHERE number = $2 AND closed_at IS NULL",
        )
        .bind(ends_at)
        .bind(number)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// The supply is back: closed, told. False when there is no such open outage.
    pub async fn close_outage(&self, number: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = sql::query(
            "UPDATE outages SET closed_at = $1, version = version + 1, last_change = 'closed'
             WHERE number = $2 AND closed_at IS NULL",
        )
        .bind(now)
        .bind(number)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// Planned outages starting between `from` and `to` whose consumers were not reminded the
    /// evening before.
    pub async fn outages_for_evening(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Outage>> {
        Ok(sql::query_as(format!(
            "SELECT {COLUMNS} FROM outages WHERE planned AND NOT evening_told AND closed_at IS NULL
               AND starts_at >= $1 AND starts_at < $2 ORDER BY id"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Outages with a version nobody was told of yet.
    pub async fn untold_outages(&self) -> Result<Vec<Outage>> {
        Ok(sql::query_as(format!(
            "SELECT {COLUMNS} FROM outages WHERE told_version < version ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every address of consumers who want outage notices (`all`: of every confirmed
    /// consumer, for the section): their linked accounts' and their meters'. Read once per
    /// outage change.
    pub async fn consumer_addresses(&self, consumer: Option<i64>) -> Result<Vec<ConsumerAddress>> {
        let (who, id) = match consumer {
            Some(id) => ("c.id = $1", id),
            None => ("c.notify_outages AND $1 = $1", 0),
        };
        Ok(sql::query_as(format!(
            "SELECT l.consumer_id, a.address FROM account_links l JOIN accounts a ON a.id = l.account_id
             JOIN consumers c ON c.id = l.consumer_id WHERE {who} AND c.status = 'confirmed'
             UNION
             SELECT m.consumer_id, m.address FROM meters m JOIN consumers c ON c.id = m.consumer_id
             WHERE {who} AND c.status = 'confirmed' AND m.archived_at IS NULL AND m.address <> ''
             UNION
             SELECT s.consumer_id, s.address FROM outage_subscriptions s JOIN consumers c ON c.id = s.consumer_id
             WHERE {who} AND c.status = 'confirmed'"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The addresses of the registry's accounts not withdrawn, each once (to choose from).
    pub async fn registry_addresses(&self) -> Result<Vec<String>> {
        Ok(
            sql::query_scalar("SELECT DISTINCT address FROM accounts WHERE withdrawn_at IS NULL")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The addresses the consumer subscribed to: (id, address), in the order added.
    pub async fn subscriptions(&self, consumer_id: i64) -> Result<Vec<(i64, String)>> {
        Ok(
            sql::query_as("SELECT id, address FROM outage_subscriptions WHERE consumer_id = $1 ORDER BY id")
                .bind(consumer_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn subscribe(&self, consumer_id: i64, address: &str, now: DateTime<Utc>) -> Result<()> {
        sql::query("INSERT INTO outage_subscriptions (consumer_id, address, created_at) VALUES ($1, $2, $3)")
            .bind(consumer_id)
            .bind(address)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// False when it is not the consumer's.
    pub async fn unsubscribe(&self, consumer_id: i64, id: i64) -> Result<bool> {
        let n = sql::query("DELETE FROM outage_subscriptions WHERE id = $1 AND consumer_id = $2")
            .bind(id)
            .bind(consumer_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// Records that `told` consumers were told of the outage's `version` (0: the evening
    /// reminder), queueing each one's messages with a notice new in this transaction; then marks
    /// the version (or the evening) told. Returns how many messages were queued.
    pub async fn record_outage_notices(
        &self,
        outage_id: i64,
        version: i64,
        told: &[(i64, Vec<OutboxMessage>)],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let mut tx = self.pool.begin().await?;
        // Changed meanwhile (extended by another process): this version is not told, the next
        // run tells the newer one — never an older word after a newer one.
        let (now_version,): (i64,) = sql::query_as("SELECT version FROM outages WHERE id = $1")
            .bind(outage_id)
            .fetch_one(&mut tx)
            .await?;
        if version != EVENING && version != now_version {
            return Ok(0);
        }
        let mut queued = 0;
        for (consumer_id, messages) in told {
            let fresh = sql::query(
                "INSERT INTO outage_notices (outage_id, consumer_id, version, sent_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (outage_id, consumer_id, version) DO NOTHING",
            )
            .bind(outage_id)
            .bind(*consumer_id)
            .bind(version)
            .bind(now)
            .execute(&mut tx)
            .await?
            .rows_affected();
            if fresh == 0 {
                continue;
            }
            for m in messages {
                outbox::enqueue_bulk(&mut tx, m, now).await?;
                queued += 1;
            }
        }
        let mark = if version == EVENING {
            "UPDATE outages SET evening_told = TRUE WHERE id = $2 AND $1 = $1"
        } else {
            "UPDATE outages SET told_version = $1 WHERE id = $2 AND told_version < $1"
        };
        sql::query(mark).bind(version).bind(outage_id).execute(&mut tx).await?;
        tx.commit().await?;
        Ok(queued)
    }
}
