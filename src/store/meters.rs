//! Meters, readings, requests on meters and their attachments. Every query that takes a
//! meter id from a button also takes the caller's consumer id: a user reaches only their own.

use super::finish::{self, Finish};
use super::sql;
use super::{Result, Store, is_unique_violation};
use crate::domain::items::{DeskEvent, DeskTarget, FileOwner, ReadingSource};
use crate::domain::meters::{Capacity, Period, Resource};
use crate::domain::quantity::Quantity;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Meters in use.
pub const METERS: super::menu::Count =
    super::menu::Count("SELECT COUNT(*) FROM meters WHERE consumer_id = $1 AND archived_at IS NULL");

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Meter {
    pub id: i64,
    pub consumer_id: i64,
    pub resource: Resource,
    pub serial: String,
    pub model: Option<String>,
    pub place: String,
    pub address: String,
    pub zones: i64,
    pub int_digits: i64,
    pub frac_digits: i64,
    /// None: the consumer does not know it («Не знаю»).
    pub next_verification: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub review: crate::domain::items::MeterReview,
    /// The personal account it is a meter of (from the billing's registry).
    pub account: Option<String>,
}

impl Meter {
    pub fn capacity(&self) -> Capacity {
        Capacity {
            int_digits: self.int_digits as u8,
            frac_digits: self.frac_digits as u8,
        }
    }
}

pub(super) const METER_COLUMNS: &str = "id, consumer_id, resource, serial, model, place, address, zones, int_digits, \
     frac_digits, CASE WHEN verification_unknown THEN NULL ELSE next_verification END AS next_verification, created_at, review, \
     (SELECT a.number FROM account_meters am JOIN accounts a ON a.id = am.account_id WHERE am.id = meters.account_meter_id) AS account";

/// What the date column holds for a date the consumer does not know (it is NOT NULL).
pub(super) fn unknown_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default()
}

/// A meter as the user entered it, with its readings at installation (one per zone).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewMeter {
    pub resource: Option<Resource>,
    pub serial: Option<String>,
    pub model: Option<String>,
    /// Asked and skipped (the model is optional).
    #[serde(default)]
    pub model_skipped: bool,
    pub place: Option<String>,
    pub address: Option<String>,
    pub zones: Option<u8>,
    pub capacity: Option<Capacity>,
    pub next_verification: Option<NaiveDate>,
    /// «Не знаю» for the next verification (then `next_verification` is not asked for).
    #[serde(default)]
    pub verification_unknown: bool,
    #[serde(default)]
    pub initial: Vec<Quantity>,
}

/// The last accepted value of a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastValue {
    pub meter_id: i64,
    pub zone: i64,
    pub value: Quantity,
    pub at: DateTime<Utc>,
}

/// One row of a zone's history: the value of a period and what was consumed since the one
/// before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub period: String,
    pub value: Quantity,
    pub consumption: Option<Quantity>,
    pub at: DateTime<Utc>,
}

/// A file a person attached: Telegram's ids and what the bot checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub file_id: String,
    pub file_unique_id: String,
    pub name: Option<String>,
    pub mime: Option<String>,
    pub size: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddMeter {
    Added(i64),
    DuplicateSerial,
}

/// `ПУ-2026-000123`: the next number of a series, in the caller's transaction.
pub async fn next_number(conn: &mut sql::Tx, prefix: &str, year: i32) -> Result<String> {
    let name = format!("{prefix}-{year}");
    let (n,): (i64,) = sql::query_as(
        "INSERT INTO counters (name, value) VALUES ($1, 1)
         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
    )
    .bind(&name)
    .fetch_one(&mut *conn)
    .await?;
    Ok(format!("{name}-{n:06}"))
}

pub async fn insert_attachments(
    conn: &mut sql::Tx,
    owner_kind: FileOwner,
    owner_id: i64,
    files: &[FileRef],
    now: DateTime<Utc>,
) -> Result<()> {
    for f in files {
        sql::query(
            "INSERT INTO attachments (owner_kind, owner_id, file_id, file_unique_id, name, mime, size, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(owner_kind)
        .bind(owner_id)
        .bind(&f.file_id)
        .bind(&f.file_unique_id)
        .bind(&f.name)
        .bind(&f.mime)
        .bind(f.size)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Readings saved: one row per zone, and the replies committed with them.
#[derive(Debug, Clone)]
pub struct SavedReading {
    pub ids: Vec<i64>,
    pub replies: Vec<i64>,
}

/// A zone's value as it is saved: whether it passed zero, and whether the consumer confirmed
/// a consumption that looked implausible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ZoneValue {
    pub value: Quantity,
    pub rollover: bool,
    pub outlier: bool,
}

impl From<(Quantity, bool)> for ZoneValue {
    fn from((value, rollover): (Quantity, bool)) -> Self {
        Self {
            value,
            rollover,
            outlier: false,
        }
    }
}

/// A meter's values for a new reading of a period, by zone (index 0 is zone 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadingValues {
    /// The last accepted values the new one is compared with: not the consumer's own readings
    /// of that same period (those it would replace).
    pub base: Vec<Option<Quantity>>,
    /// When each base value was sent, if the consumer sent it (the days a consumption is over);
    /// none for the value at installation, whose day is not known.
    pub base_at: Vec<Option<DateTime<Utc>>>,
    /// What the consumer already sent for the period (empty when nothing was).
    pub sent: Vec<Option<Quantity>>,
}

/// The other holders' copies of the meter whose id is the parameter `$m` (a personal
/// account's meter is one physical meter, each holder has a copy; a meter typed by hand has
/// none): a subquery of their ids.
macro_rules! other_copies {
    ($m:literal) => {
        concat!(
            "SELECT c.id FROM meters m JOIN meters c ON c.account_meter_id = m.account_meter_id WHERE m.id = ",
            $m,
            " AND c.id <> ",
            $m
        )
    };
}

impl Store {
    pub async fn active_meter_count(&self, consumer_id: i64) -> Result<i64> {
        let (n,): (i64,) = sql::query_as("SELECT COUNT(*) FROM meters WHERE consumer_id = $1 AND archived_at IS NULL")
            .bind(consumer_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    /// Saves the meter and its readings at installation together.
    pub async fn add_meter(
        &self,
        consumer_id: i64,
        m: &NewMeter,
        period: Period,
        now: DateTime<Utc>,
        finish: Option<&Finish>,
    ) -> Result<AddMeter> {
        let (Some(resource), Some(serial), Some(place), Some(address), Some(zones), Some(cap), Some(verif)) = (
            m.resource,
            &m.serial,
            &m.place,
            &m.address,
            m.zones,
            m.capacity,
            m.next_verification.or(m.verification_unknown.then(unknown_date)),
        ) else {
            return Err(super::StoreError::Db(sqlx::Error::Protocol("incomplete meter".into())));
        };
        let mut tx = self.pool.begin().await?;
        let inserted = sql::query_scalar::<i64>(
            "INSERT INTO meters (consumer_id, resource, serial, model, place, address, zones, int_digits,
                                 frac_digits, next_verification, verification_unknown, created_at, review)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending') RETURNING id",
        )
        .bind(consumer_id)
        .bind(resource.as_str())
        .bind(serial)
        .bind(&m.model)
        .bind(place)
        .bind(address)
        .bind(i64::from(zones))
        .bind(i64::from(cap.int_digits))
        .bind(i64::from(cap.frac_digits))
        .bind(verif)
        .bind(m.next_verification.is_none() && m.verification_unknown)
        .bind(now)
        .fetch_one(&mut tx)
        .await;
        let id = match inserted {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => return Ok(AddMeter::DuplicateSerial),
            Err(e) => return Err(e.into()),
        };
        for (i, v) in m.initial.iter().enumerate() {
            sql::query(
                "INSERT INTO readings (meter_id, zone, value_milli, period, source, submitted_at)
                 VALUES ($1, $2, $3, $4, 'install', $5)",
            )
            .bind(id)
            .bind(i as i64 + 1)
            .bind(v.0)
            .bind(period.key())
            .bind(now)
            .execute(&mut tx)
            .await?;
        }
        // The operators check it: its card goes to their group.
        let card = super::outbox::OutboxMessage::Operator {
            item: DeskTarget::Meter,
            id,
            event: DeskEvent::New,
            about: None,
            to: None,
        };
        super::outbox::enqueue(&mut tx, &card, now).await?;
        finish::write(finish, &mut tx, now).await?;
        tx.commit().await?;
        Ok(AddMeter::Added(id))
    }

    pub async fn meters_of(&self, consumer_id: i64) -> Result<Vec<Meter>> {
        Ok(sql::query_as(format!(
            "SELECT {METER_COLUMNS} FROM meters WHERE consumer_id = $1 AND archived_at IS NULL ORDER BY id"
        ))
        .bind(consumer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The caller's active meter with this id, or nothing (someone else's id finds nothing).
    pub async fn meter(&self, consumer_id: i64, meter_id: i64) -> Result<Option<Meter>> {
        Ok(sql::query_as(format!(
            "SELECT {METER_COLUMNS} FROM meters WHERE id = $1 AND consumer_id = $2 AND archived_at IS NULL"
        ))
        .bind(meter_id)
        .bind(consumer_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The last accepted value of every zone of the consumer's active meters (an account
    /// meter's by any of its holders).
    pub async fn last_values(&self, consumer_id: i64) -> Result<Vec<LastValue>> {
        let rows: Vec<(i64, i64, i64, DateTime<Utc>)> = sql::query_as(
            "SELECT meter_id, zone, value_milli, submitted_at FROM (
                SELECT m.id AS meter_id, r.zone, r.value_milli, r.submitted_at,
                       ROW_NUMBER() OVER (PARTITION BY m.id, r.zone ORDER BY r.submitted_at DESC, r.id DESC) AS rn
                FROM meters m
                JOIN meters c ON c.id = m.id OR c.account_meter_id = m.account_meter_id
                JOIN readings r ON r.meter_id = c.id
                WHERE m.consumer_id = $1 AND m.archived_at IS NULL AND r.replaced_at IS NULL
                  AND (c.id = m.id OR r.source = 'user')
             ) AS latest WHERE rn = 1 ORDER BY meter_id, zone",
        )
        .bind(consumer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(meter_id, zone, v, at)| LastValue {
                meter_id,
                zone,
                value: Quantity(v),
                at,
            })
            .collect())
    }

    /// A meter's values for a reading of `period`, in one query on the meter's own readings
    /// (the `readings_meter` index, whatever the size of the table). A meter of a personal
    /// account is one physical meter for every holder of the account: each holder's copy reads
    /// what the others sent (their people's readings, not their starting values, which may be
    /// billing's older ones dated when the copy was made).
    pub async fn reading_values(&self, meter_id: i64, period: Period) -> Result<ReadingValues> {
        let rows: Vec<(i64, i64, bool, DateTime<Utc>, ReadingSource)> = sql::query_as(concat!(
            "SELECT zone, value_milli, source = 'user' AND period = $1, submitted_at, source FROM readings
                 WHERE (meter_id = $2 OR source = 'user' AND meter_id IN (",
            other_copies!("$2"),
            ")) AND replaced_at IS NULL ORDER BY zone, submitted_at DESC, id DESC"
        ))
        .bind(period.key())
        .bind(meter_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = ReadingValues {
            base: vec![None; 3],
            base_at: vec![None; 3],
            sent: Vec::new(),
        };
        // Newest first within a zone: the first of each kind is the one that counts.
        for (zone, v, this_period, at, source) in rows {
            let i = (zone.clamp(1, 3) - 1) as usize;
            if this_period {
                if out.sent.len() <= i {
                    out.sent.resize(i + 1, None);
                }
                out.sent[i].get_or_insert(Quantity(v));
            } else if out.base[i].is_none() {
                out.base[i] = Some(Quantity(v));
                // An installation value may be years older than the day it was entered.
                out.base_at[i] = (source == ReadingSource::User).then_some(at);
            }
        }
        Ok(out)
    }

    /// See `ReadingValues::base`.
    pub async fn base_values(&self, meter_id: i64, period: Period) -> Result<Vec<Option<Quantity>>> {
        Ok(self.reading_values(meter_id, period).await?.base)
    }

    /// A zone's accepted readings, newest first, with the consumption of each.
    pub async fn zone_history(&self, meter: &Meter, zone: i64) -> Result<Vec<HistoryRow>> {
        let rows: Vec<(String, i64, ReadingSource, bool, DateTime<Utc>)> = sql::query_as(concat!(
            "SELECT period, value_milli, source, rollover, submitted_at FROM readings
                 WHERE (meter_id = $1 OR source = 'user' AND meter_id IN (",
            other_copies!("$1"),
            ")) AND zone = $2 AND replaced_at IS NULL ORDER BY submitted_at, id"
        ))
        .bind(meter.id)
        .bind(zone)
        .fetch_all(&self.pool)
        .await?;
        let limit = meter.capacity().limit();
        let mut out = Vec::new();
        let mut prev: Option<Quantity> = None;
        for (period, v, source, rollover, at) in rows {
            let value = Quantity(v);
            if source == ReadingSource::User {
                let consumption = prev.map(|p| if rollover { (limit - p) + value } else { value - p });
                out.push(HistoryRow {
                    period,
                    value,
                    consumption,
                    at,
                });
            }
            prev = Some(value);
        }
        out.reverse();
        Ok(out)
    }

    /// Saves one reading per zone for a period; an earlier reading of the same period is
    /// marked replaced (kept in the history table), another holder's of the same account meter
    /// too: the billing gets one reading per meter and period. A save of the same period committed at
    /// the same moment (`readings_current` refuses the second) is replaced in a second try.
    pub async fn save_reading(
        &self,
        meter_id: i64,
        period: Period,
        values: &[impl Into<ZoneValue> + Copy],
        now: DateTime<Utc>,
        finish: Option<&Finish>,
    ) -> Result<SavedReading> {
        let values: Vec<ZoneValue> = values.iter().map(|v| (*v).into()).collect();
        let values = values.as_slice();
        match self.save_reading_once(meter_id, period, values, now, finish).await {
            Err(super::StoreError::Db(e)) if is_unique_violation(&e) => {
                self.save_reading_once(meter_id, period, values, now, finish).await
            }
            other => other,
        }
    }

    async fn save_reading_once(
        &self,
        meter_id: i64,
        period: Period,
        values: &[ZoneValue],
        now: DateTime<Utc>,
        finish: Option<&Finish>,
    ) -> Result<SavedReading> {
        let mut tx = self.pool.begin().await?;
        // Two holders saving at once on PostgreSQL: one waits for the other and then replaces
        // its reading (SQLite's writes are one at a time already).
        if self.backend() == sql::Backend::Postgres {
            sql::query("SELECT id FROM account_meters WHERE id = (SELECT account_meter_id FROM meters WHERE id = $1) FOR UPDATE")
                .bind(meter_id)
                .execute(&mut tx)
                .await?;
        }
        // The zones written: another holder's copy with more zones keeps the rest.
        sql::query(concat!(
            "UPDATE readings SET replaced_at = $1
                 WHERE (meter_id = $2 OR meter_id IN (",
            other_copies!("$2"),
            ")) AND period = $3 AND source = 'user' AND replaced_at IS NULL AND zone <= $4"
        ))
        .bind(now)
        .bind(meter_id)
        .bind(period.key())
        .bind(values.len() as i64)
        .execute(&mut tx)
        .await?;
        let mut ids = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let id = sql::query_scalar::<i64>(
                "INSERT INTO readings (meter_id, zone, value_milli, period, source, rollover, outlier, submitted_at)
                 VALUES ($1, $2, $3, $4, 'user', $5, $6, $7) RETURNING id",
            )
            .bind(meter_id)
            .bind(i as i64 + 1)
            .bind(v.value.0)
            .bind(period.key())
            .bind(v.rollover)
            .bind(v.outlier)
            .bind(now)
            .fetch_one(&mut tx)
            .await?;
            ids.push(id);
        }
        let replies = finish::write(finish, &mut tx, now).await?;
        tx.commit().await?;
        Ok(SavedReading { ids, replies })
    }

    /// Attaches a photo to this consumer's latest readings of a meter: what they sent, even
    /// when another holder of the account has sent the period's reading since (the photo is
    /// theirs, and goes with their data when they are erased).
    pub async fn attach_reading_photo(&self, consumer_id: i64, meter_id: i64, file_id: &str) -> Result<bool> {
        let r = sql::query(
            "UPDATE readings SET photo_file_id = $1
             WHERE id IN (SELECT r.id FROM readings r JOIN meters m ON m.id = r.meter_id
                          WHERE r.meter_id = $2 AND m.consumer_id = $3 AND r.source = 'user'
                            AND r.submitted_at = (SELECT MAX(submitted_at) FROM readings WHERE meter_id = $4 AND source = 'user'))",
        )
        .bind(file_id)
        .bind(meter_id)
        .bind(consumer_id)
        .bind(meter_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// «Удалить»: the meter leaves the list; its readings and requests stay.
    pub async fn archive_meter(&self, consumer_id: i64, meter_id: i64, now: DateTime<Utc>) -> Result<bool> {
        let r =
            sql::query("UPDATE meters SET archived_at = $1, archived_by = 'consumer' WHERE id = $2 AND consumer_id = $3 AND archived_at IS NULL")
                .bind(now)
                .bind(meter_id)
                .bind(consumer_id)
                .execute(&self.pool)
                .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn update_meter(&self, consumer_id: i64, meter_id: i64, edit: &MeterEdit) -> Result<bool> {
        use sql::Bind;
        let (sql, value): (&'static str, sql::Arg) = match edit {
            MeterEdit::Model(v) => (
                "UPDATE meters SET model = $1 WHERE id = $2 AND consumer_id = $3",
                v.arg(),
            ),
            MeterEdit::Place(v) => (
                "UPDATE meters SET place = $1 WHERE id = $2 AND consumer_id = $3",
                v.arg(),
            ),
            MeterEdit::Address(v) => (
                "UPDATE meters SET address = $1 WHERE id = $2 AND consumer_id = $3",
                v.arg(),
            ),
            MeterEdit::Verification(d) => (
                "UPDATE meters SET next_verification = $1, verification_unknown = FALSE WHERE id = $2 AND consumer_id = $3",
                d.arg(),
            ),
        };
        let r = sql::query(sql)
            .bind(value)
            .bind(meter_id)
            .bind(consumer_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn attachment_count(&self, owner_kind: &str, owner_id: i64) -> Result<i64> {
        let (n,): (i64,) = sql::query_as("SELECT COUNT(*) FROM attachments WHERE owner_kind = $1 AND owner_id = $2")
            .bind(owner_kind)
            .bind(owner_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MeterEdit {
    Model(String),
    Place(String),
    Address(String),
    Verification(NaiveDate),
}
