//! A consumer's personal accounts (`account_links`) and the meters that come with them: linking
//! an account makes a consumer's meter of each of its registry meters (or takes a meter the
//! consumer typed before, matched by its serial), so readings go per account through the same
//! steps; removing it puts those meters away (their readings stay); an import keeps them in
//! step with the registry.

use super::outbox::{self, OutboxMessage};
use super::sql;
use super::{Result, Store};
use crate::domain::meters::{Period, Resource};
use chrono::{DateTime, NaiveDate, Utc};

/// An account as a consumer who linked it sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Linked {
    pub account_id: i64,
    pub number: String,
    pub name: String,
    pub address: String,
    /// Gone from the billing's registry: kept to read, nothing new comes.
    pub withdrawn: bool,
}

/// What proves an account is the person's: its meters' serials and its last bill's amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub account_id: i64,
    pub serials: Vec<String>,
    /// The latest period's amount due, in kopecks.
    pub last_due: Option<i64>,
}

/// A serial as compared: no spaces, dashes, dots or slashes, letters upper-cased, and the
/// Cyrillic letters that look like Latin ones read as those («ем 12-34» = «EM1234»: the same
/// plate typed on either keyboard).
pub fn serial_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '/' | '_'))
        .flat_map(char::to_uppercase)
        .map(|c| match c {
            'А' => 'A',
            'В' => 'B',
            'Е' | 'Ё' => 'E',
            'К' => 'K',
            'М' => 'M',
            'Н' => 'H',
            'О' => 'O',
            'Р' => 'P',
            'С' => 'C',
            'Т' => 'T',
            'У' => 'Y',
            'Х' => 'X',
            c => c,
        })
        .collect()
}

/// Nearly the same in SQL, to keep a typed meter from being made twice (SQLite's UPPER is
/// ASCII's; `take_over_typed` compares in Rust before).
const SERIAL_KEY_M: &str = "UPPER(REPLACE(REPLACE(m.serial, ' ', ''), '-', ''))";
const SERIAL_KEY_AM: &str = "UPPER(REPLACE(REPLACE(am.serial, ' ', ''), '-', ''))";

const LINKED: &str = "SELECT a.id AS account_id, a.number, l.name, a.address, a.withdrawn_at IS NOT NULL AS withdrawn
     FROM account_links l JOIN accounts a ON a.id = l.account_id";

impl Store {
    /// The consumer's accounts, in the order they were linked.
    pub async fn linked_accounts(&self, consumer_id: i64) -> Result<Vec<Linked>> {
        Ok(
            sql::query_as(format!("{LINKED} WHERE l.consumer_id = $1 ORDER BY l.linked_at, l.id"))
                .bind(consumer_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// One of the consumer's accounts (another consumer's id finds nothing).
    pub async fn linked_account(&self, consumer_id: i64, account_id: i64) -> Result<Option<Linked>> {
        Ok(
            sql::query_as(format!("{LINKED} WHERE l.consumer_id = $1 AND l.account_id = $2"))
                .bind(consumer_id)
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// What proves the account of this number (none: no such account in use).
    pub async fn account_proof(&self, number: &str) -> Result<Option<Proof>> {
        let Some((account_id,)): Option<(i64,)> =
            sql::query_as("SELECT id FROM accounts WHERE number = $1 AND withdrawn_at IS NULL")
                .bind(number)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let serials: Vec<(String,)> =
            sql::query_as("SELECT serial FROM account_meters WHERE account_id = $1 AND withdrawn_at IS NULL")
                .bind(account_id)
                .fetch_all(&self.pool)
                .await?;
        let last_due: Option<(i64,)> =
            sql::query_as("SELECT due FROM bills WHERE account_id = $1 ORDER BY period DESC LIMIT 1")
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(Some(Proof {
            account_id,
            serials: serials.into_iter().map(|(s,)| s).collect(),
            last_due: last_due.map(|(d,)| d),
        }))
    }

    pub async fn account_number(&self, account_id: i64) -> Result<Option<String>> {
        Ok(sql::query_scalar("SELECT number FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The holder's name as the registry has it.
    pub async fn account_holder(&self, account_id: i64) -> Result<Option<String>> {
        Ok(
            sql::query_scalar::<Option<String>>("SELECT holder FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    pub async fn account_address(&self, account_id: i64) -> Result<Option<String>> {
        Ok(sql::query_scalar("SELECT address FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The other consumers who have this account.
    pub async fn account_holders(&self, account_id: i64, except: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> =
            sql::query_as("SELECT consumer_id FROM account_links WHERE account_id = $1 AND consumer_id <> $2")
                .bind(account_id)
                .bind(except)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }

    /// Links the account under `name`, with its meters, and queues `notices` (the earlier
    /// holders told), in one transaction. False: it was linked already.
    pub async fn link_account(
        &self,
        consumer_id: i64,
        account_id: i64,
        name: &str,
        notices: &[OutboxMessage],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sql::query(
            "INSERT INTO account_links (consumer_id, account_id, name, linked_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (consumer_id, account_id) DO NOTHING",
        )
        .bind(consumer_id)
        .bind(account_id)
        .bind(name)
        .bind(now)
        .execute(&mut tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        sync_meters(&mut tx, Some(consumer_id), Some(account_id), now).await?;
        for m in notices {
            outbox::enqueue(&mut tx, m, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Renames one of the consumer's accounts; false when it is not theirs.
    pub async fn rename_link(&self, consumer_id: i64, account_id: i64, name: &str) -> Result<bool> {
        let n = sql::query("UPDATE account_links SET name = $1 WHERE consumer_id = $2 AND account_id = $3")
            .bind(name)
            .bind(consumer_id)
            .bind(account_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// Removes the account from the consumer's: its meters are put away (their readings
    /// stay); false when it was not theirs.
    pub async fn unlink_account(&self, consumer_id: i64, account_id: i64, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sql::query("DELETE FROM account_links WHERE consumer_id = $1 AND account_id = $2")
            .bind(consumer_id)
            .bind(account_id)
            .execute(&mut tx)
            .await?
            .rows_affected();
        if n > 0 {
            sql::query(
                "UPDATE meters SET archived_at = $1, archived_by = 'unlink' WHERE consumer_id = $2 AND archived_at IS NULL
                   AND account_meter_id IN (SELECT id FROM account_meters WHERE account_id = $3)",
            )
            .bind(now)
            .bind(consumer_id)
            .bind(account_id)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    /// The consumer's meters of an account (ids), in the list's order.
    pub async fn account_meter_ids(&self, consumer_id: i64, account_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = sql::query_as(
            "SELECT m.id FROM meters m JOIN account_meters am ON am.id = m.account_meter_id
             WHERE m.consumer_id = $1 AND am.account_id = $2 AND m.archived_at IS NULL ORDER BY m.id",
        )
        .bind(consumer_id)
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

/// A registry meter a consumer who linked its account has no meter of yet.
#[derive(sqlx::FromRow)]
struct Missing {
    consumer_id: i64,
    account_meter_id: i64,
    resource: Resource,
    serial: String,
    zones: i64,
    int_digits: i64,
    frac_digits: i64,
    next_verification: Option<NaiveDate>,
    address: String,
}

/// Brings consumers' meters in step with the registry, for one consumer and account, or (None)
/// for every link: meters the consumer typed are matched by serial and resource, meters put
/// away with a removed account come back, the rest are made (accepted: billing's own, with the
/// registry's last readings as their first), and those withdrawn from the registry put away.
pub(super) async fn sync_meters(
    tx: &mut sql::Tx,
    consumer: Option<i64>,
    account: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    // -1: every consumer, every account.
    let (c, a) = (consumer.unwrap_or(-1), account.unwrap_or(-1));
    take_over_typed(tx, c, a).await?;
    bring_back(tx, c, a).await?;
    make_missing(tx, c, a, now).await?;
    // The registry's verification date, where it has one, is the meter's (a verification
    // billing recorded moves the reminders on).
    sql::query(
        "UPDATE meters SET next_verification = (SELECT am.next_verification FROM account_meters am
                                                 WHERE am.id = meters.account_meter_id),
                           verification_unknown = FALSE
         WHERE archived_at IS NULL AND account_meter_id IN (
             SELECT am.id FROM account_meters am WHERE am.next_verification IS NOT NULL
               AND am.next_verification <> meters.next_verification)",
    )
    .execute(&mut *tx)
    .await?;
    // Withdrawn from the registry: put away.
    sql::query(
        "UPDATE meters SET archived_at = $1, archived_by = 'registry' WHERE archived_at IS NULL
           AND account_meter_id IN (SELECT id FROM account_meters WHERE withdrawn_at IS NOT NULL)",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The links a sync is for: $1 the consumer, $2 the account (-1: every one).
const LINKS: &str = "SELECT l.consumer_id, l.account_id FROM account_links l
                     WHERE ($1 = -1 OR l.consumer_id = $1) AND ($2 = -1 OR l.account_id = $2)";

/// Meters the consumer typed before, of the same serial (as `serial_key` compares them) and
/// resource: taken over.
async fn take_over_typed(tx: &mut sql::Tx, c: i64, a: i64) -> Result<()> {
    let typed: Vec<(i64, i64, Resource, String)> = sql::query_as(format!(
        "SELECT m.id, m.consumer_id, m.resource, m.serial FROM meters m
         WHERE m.archived_at IS NULL AND m.account_meter_id IS NULL
           AND m.consumer_id IN (SELECT k.consumer_id FROM ({LINKS}) k)"
    ))
    .bind(c)
    .bind(a)
    .fetch_all(&mut *tx)
    .await?;
    if typed.is_empty() {
        return Ok(());
    }
    let registry: Vec<(i64, i64, Resource, String)> = sql::query_as(format!(
        "SELECT k.consumer_id, am.id, am.resource, am.serial FROM ({LINKS}) k
         JOIN account_meters am ON am.account_id = k.account_id WHERE am.withdrawn_at IS NULL ORDER BY am.id"
    ))
    .bind(c)
    .bind(a)
    .fetch_all(&mut *tx)
    .await?;
    let mut by_key: std::collections::HashMap<(i64, Resource, String), i64> = std::collections::HashMap::new();
    for (consumer, am, resource, serial) in registry {
        by_key.entry((consumer, resource, serial_key(&serial))).or_insert(am);
    }
    for (id, consumer, resource, serial) in typed {
        if let Some(am) = by_key.remove(&(consumer, resource, serial_key(&serial))) {
            sql::query("UPDATE meters SET account_meter_id = $1 WHERE id = $2")
                .bind(am)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

/// Meters put away with an account removed once, or withdrawn from the registry and back in
/// it: back. Never one the consumer deleted.
async fn bring_back(tx: &mut sql::Tx, c: i64, a: i64) -> Result<()> {
    let links = LINKS;
    sql::query(format!(
        "UPDATE meters SET archived_at = NULL, archived_by = NULL
         WHERE archived_at IS NOT NULL AND archived_by IN ('unlink', 'registry') AND (consumer_id, account_meter_id) IN (
             SELECT k.consumer_id, am.id FROM ({links}) k JOIN account_meters am ON am.account_id = k.account_id
             WHERE am.withdrawn_at IS NULL)
           AND NOT EXISTS (SELECT 1 FROM meters m WHERE m.consumer_id = meters.consumer_id
                           AND m.archived_at IS NULL AND m.resource = meters.resource AND m.serial = meters.serial)"
    ))
    .bind(c)
    .bind(a)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The rest of the accounts' meters: made, with the registry's last readings as their first.
async fn make_missing(tx: &mut sql::Tx, c: i64, a: i64, now: DateTime<Utc>) -> Result<()> {
    let links = LINKS;
    let new: Vec<Missing> = sql::query_as(format!(
        "SELECT k.consumer_id, am.id AS account_meter_id, am.resource, am.serial, am.zones, am.int_digits, am.frac_digits,
                am.next_verification, a.address
         FROM ({links}) k JOIN account_meters am ON am.account_id = k.account_id
         JOIN accounts a ON a.id = am.account_id
         WHERE am.withdrawn_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM meters m WHERE m.consumer_id = k.consumer_id AND m.account_meter_id = am.id)
           AND NOT EXISTS (SELECT 1 FROM meters m WHERE m.consumer_id = k.consumer_id AND m.archived_at IS NULL
                           AND m.resource = am.resource AND {SERIAL_KEY_M} = {SERIAL_KEY_AM})
         ORDER BY k.consumer_id, am.id"
    ))
    .bind(c)
    .bind(a)
    .fetch_all(&mut *tx)
    .await?;
    for Missing {
        consumer_id,
        account_meter_id: am_id,
        resource,
        serial,
        zones,
        int_digits,
        frac_digits,
        next_verification: verification,
        address,
    } in new
    {
        let id: i64 = sql::query_scalar(
            "INSERT INTO meters (consumer_id, resource, serial, model, place, address, zones, int_digits, frac_digits,
                                 next_verification, verification_unknown, created_at, review, account_meter_id)
             VALUES ($1, $2, $3, NULL, '', $4, $5, $6, $7, $8, $9, $10, 'accepted', $11) RETURNING id",
        )
        .bind(consumer_id)
        .bind(resource.as_str())
        .bind(serial.as_str())
        .bind(address.as_str())
        .bind(zones)
        .bind(int_digits)
        .bind(frac_digits)
        .bind(verification.unwrap_or_else(super::meters::unknown_date))
        .bind(verification.is_none())
        .bind(now)
        .bind(am_id)
        .fetch_one(&mut *tx)
        .await?;
        first_readings(tx, id, am_id, now).await?;
    }
    Ok(())
}

/// The registry's last accepted readings as a new meter's first (the values to count from),
/// dated as billing dated them.
async fn first_readings(tx: &mut sql::Tx, meter_id: i64, am_id: i64, now: DateTime<Utc>) -> Result<()> {
    let (l1, l2, l3, on): (Option<i64>, Option<i64>, Option<i64>, Option<NaiveDate>) =
        sql::query_as("SELECT last_1, last_2, last_3, last_on FROM account_meters WHERE id = $1")
            .bind(am_id)
            .fetch_one(&mut *tx)
            .await?;
    let at = on
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .map(|d| d.and_utc())
        .filter(|d| *d <= now)
        .unwrap_or(now);
    let period = Period::of(at.date_naive());
    for (zone, v) in [l1, l2, l3].into_iter().enumerate() {
        let Some(v) = v else { continue };
        sql::query(
            "INSERT INTO readings (meter_id, zone, value_milli, period, source, submitted_at)
             VALUES ($1, $2, $3, $4, 'install', $5)",
        )
        .bind(meter_id)
        .bind(zone as i64 + 1)
        .bind(v)
        .bind(period.key())
        .bind(at)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// After a registry import: every linked consumer's meters in step (in the import's
    /// transaction).
    pub(super) async fn sync_all_links(tx: &mut sql::Tx, now: DateTime<Utc>) -> Result<()> {
        sync_meters(tx, None, None, now).await
    }
}
