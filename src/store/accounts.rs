//! Personal accounts and their meters as the billing's registry has them (`accounts`,
//! `account_meters`), written by `kabinet import accounts` in one transaction.

use super::sql;
use super::{Result, Store};
use crate::domain::accounts::{Contract, RegAccount, RegMeter};
use crate::domain::meters::Resource;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// Rows a chunk of a multi-row INSERT carries (well under both databases' limits on bound
/// values: 13 columns × 500).
const CHUNK: usize = 500;

/// What an import did to one table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub withdrawn: u64,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} added, {} updated, {} unchanged, {} withdrawn",
            self.added, self.updated, self.unchanged, self.withdrawn
        )
    }
}

/// What applying a registry did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    pub accounts: Counts,
    pub meters: Counts,
}

/// An account's own columns, as compared.
type AccountCols = (String, Option<String>, Contract);

/// A meter's columns, as compared: resource, zones, digits, verification, last values, their day.
type MeterCols = (
    Resource,
    i64,
    i64,
    i64,
    Option<NaiveDate>,
    [Option<i64>; 3],
    Option<NaiveDate>,
);

fn meter_cols(m: &RegMeter) -> MeterCols {
    let last = |i: usize| m.last.get(i).map(|q| q.0);
    (
        m.resource,
        i64::from(m.zones),
        i64::from(m.capacity.int_digits),
        i64::from(m.capacity.frac_digits),
        m.next_verification,
        [last(0), last(1), last(2)],
        m.last_on,
    )
}

impl Store {
    /// Applies the registry, all or nothing: accounts and meters added or updated, those absent
    /// from it withdrawn (never deleted), except the `spared` accounts' (a row of theirs was
    /// refused, so their absence proves nothing).
    pub async fn apply_registry(
        &self,
        accounts: &[RegAccount],
        spared: &HashSet<String>,
        now: DateTime<Utc>,
    ) -> Result<Applied> {
        let mut tx = self.pool.begin().await?;
        let mut applied = Applied::default();
        let ids = apply_accounts(&mut tx, accounts, spared, now, &mut applied.accounts).await?;
        apply_meters(&mut tx, accounts, &ids, spared, now, &mut applied.meters).await?;
        // Consumers who linked an account see its meters as the registry now has them.
        Store::sync_all_links(&mut tx, now).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// An account of the registry by its number: (id, address, whether withdrawn).
    pub async fn account_by_number(&self, number: &str) -> Result<Option<(i64, String, bool)>> {
        Ok(
            sql::query_as("SELECT id, address, withdrawn_at IS NOT NULL FROM accounts WHERE number = $1")
                .bind(number)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The meters of an account: (serial, resource, whether withdrawn), by serial.
    pub async fn account_meters(&self, account_id: i64) -> Result<Vec<(String, Resource, bool)>> {
        Ok(sql::query_as(
            "SELECT serial, resource, withdrawn_at IS NOT NULL FROM account_meters WHERE account_id = $1 ORDER BY serial",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// The accounts written; every number of the registry's id (existing and new).
async fn apply_accounts(
    tx: &mut sql::Tx,
    accounts: &[RegAccount],
    spared: &HashSet<String>,
    now: DateTime<Utc>,
    counts: &mut Counts,
) -> Result<HashMap<String, i64>> {
    let rows: Vec<(i64, String, String, Option<String>, Contract, bool)> =
        sql::query_as("SELECT id, number, address, holder, contract, withdrawn_at IS NOT NULL FROM accounts")
            .fetch_all(&mut *tx)
            .await?;
    let mut ids: HashMap<String, i64> = HashMap::new();
    let mut had: HashMap<String, (AccountCols, bool)> = HashMap::new();
    for (id, number, address, holder, contract, withdrawn) in rows {
        ids.insert(number.clone(), id);
        had.insert(number, ((address, holder, contract), withdrawn));
    }
    let mut new = Vec::new();
    for a in accounts {
        let cols = (a.address.clone(), a.holder.clone(), a.contract);
        match had.get(a.number.as_str()) {
            None => new.push(a),
            Some((old, false)) if *old == cols => counts.unchanged += 1,
            Some(_) => {
                counts.updated += 1;
                sql::query(
                    "UPDATE accounts SET address = $1, holder = $2, contract = $3, imported_at = $4, withdrawn_at = NULL
                     WHERE number = $5",
                )
                .bind(a.address.as_str())
                .bind(a.holder.as_deref())
                .bind(a.contract.as_str())
                .bind(now)
                .bind(a.number.as_str())
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    for chunk in new.chunks(CHUNK) {
        let mut q = sql::query(values(
            "INSERT INTO accounts (number, address, holder, contract, imported_at) VALUES ",
            5,
            chunk.len(),
        ));
        for a in chunk {
            q = q
                .bind(a.number.as_str())
                .bind(a.address.as_str())
                .bind(a.holder.as_deref())
                .bind(a.contract.as_str())
                .bind(now);
        }
        q.execute(&mut *tx).await?;
    }
    counts.added += new.len() as u64;
    if !new.is_empty() {
        let rows: Vec<(i64, String)> = sql::query_as("SELECT id, number FROM accounts WHERE imported_at = $1")
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
        ids.extend(rows.into_iter().map(|(id, n)| (n, id)));
    }
    // Gone from the registry: withdrawn, with their meters.
    let present: HashSet<&str> = accounts.iter().map(|a| a.number.as_str()).collect();
    for (number, (_, withdrawn)) in &had {
        if *withdrawn || present.contains(number.as_str()) || spared.contains(number) {
            continue;
        }
        counts.withdrawn += 1;
        let id = ids.get(number).copied().unwrap_or_default();
        sql::query("UPDATE accounts SET withdrawn_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(ids)
}

async fn apply_meters(
    tx: &mut sql::Tx,
    accounts: &[RegAccount],
    ids: &HashMap<String, i64>,
    spared: &HashSet<String>,
    now: DateTime<Utc>,
    counts: &mut Counts,
) -> Result<()> {
    type Row = (
        i64,
        i64,
        String,
        Resource,
        i64,
        i64,
        i64,
        Option<NaiveDate>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<NaiveDate>,
        bool,
    );
    let rows: Vec<Row> = sql::query_as(
        "SELECT id, account_id, serial, resource, zones, int_digits, frac_digits, next_verification,
                last_1, last_2, last_3, last_on, withdrawn_at IS NOT NULL FROM account_meters",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut had: HashMap<(i64, String), (i64, MeterCols, bool)> = HashMap::new();
    for (id, account, serial, resource, zones, int, frac, verif, l1, l2, l3, on, withdrawn) in rows {
        had.insert(
            (account, serial),
            (id, (resource, zones, int, frac, verif, [l1, l2, l3], on), withdrawn),
        );
    }
    let mut new: Vec<(i64, &RegMeter)> = Vec::new();
    let mut changed: Vec<(i64, MeterCols)> = Vec::new();
    let mut present: HashSet<(i64, &str)> = HashSet::new();
    for a in accounts {
        let Some(&account) = ids.get(a.number.as_str()) else {
            continue;
        };
        for m in &a.meters {
            present.insert((account, m.serial.as_str()));
            let cols = meter_cols(m);
            match had.get(&(account, m.serial.clone())) {
                None => new.push((account, m)),
                Some((_, old, false)) if *old == cols => counts.unchanged += 1,
                Some((id, _, _)) => changed.push((*id, cols)),
            }
        }
    }
    counts.updated += changed.len() as u64;
    update_meters(tx, &changed, now).await?;
    insert_meters(tx, &new, now).await?;
    counts.added += new.len() as u64;
    // Gone from its account in the registry (or its account gone): withdrawn.
    let spared_ids: HashSet<i64> = spared.iter().filter_map(|n| ids.get(n)).copied().collect();
    for ((account, serial), (id, _, withdrawn)) in &had {
        if *withdrawn || present.contains(&(*account, serial.as_str())) || spared_ids.contains(account) {
            continue;
        }
        counts.withdrawn += 1;
        sql::query("UPDATE account_meters SET withdrawn_at = $1 WHERE id = $2")
            .bind(now)
            .bind(*id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// New meters, in chunks of multi-row INSERTs.
async fn insert_meters(tx: &mut sql::Tx, new: &[(i64, &RegMeter)], now: DateTime<Utc>) -> Result<()> {
    for chunk in new.chunks(CHUNK) {
        let mut q = sql::query(values(
            "INSERT INTO account_meters (account_id, serial, resource, zones, int_digits, frac_digits,
                 next_verification, last_1, last_2, last_3, last_on, imported_at) VALUES ",
            12,
            chunk.len(),
        ));
        for (account, m) in chunk {
            let (resource, zones, int, frac, verif, last, on) = meter_cols(m);
            q = q
                .bind(*account)
                .bind(m.serial.as_str())
                .bind(resource.as_str())
                .bind(zones)
                .bind(int)
                .bind(frac)
                .bind(verif)
                .bind(last[0])
                .bind(last[1])
                .bind(last[2])
                .bind(on)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Changed meters (a month's registry changes every meter's readings). On PostgreSQL in
/// chunks, one UPDATE … FROM (VALUES …) a chunk: a round trip a row is what costs there. On
/// SQLite a statement a row, in the process, is faster than its join over VALUES (measured:
/// 16.9 s against 22.4 s for 250,000 meters).
async fn update_meters(tx: &mut sql::Tx, changed: &[(i64, MeterCols)], now: DateTime<Utc>) -> Result<()> {
    if tx.backend() == sql::Backend::Sqlite {
        for (id, cols) in changed {
            update_meter(tx, *id, cols, now).await?;
        }
        return Ok(());
    }
    for chunk in changed.chunks(CHUNK) {
        let mut q = sql::query(format!(
            "UPDATE account_meters SET resource = v.column2, zones = v.column3, int_digits = v.column4,
                    frac_digits = v.column5, next_verification = v.column6, last_1 = v.column7, last_2 = v.column8,
                    last_3 = v.column9, last_on = v.column10, imported_at = v.column11, withdrawn_at = NULL
             FROM ({}) AS v WHERE account_meters.id = v.column1",
            values("VALUES ", 11, chunk.len())
        ));
        for (id, (resource, zones, int, frac, verif, last, on)) in chunk {
            q = q
                .bind(*id)
                .bind(resource.as_str())
                .bind(*zones)
                .bind(*int)
                .bind(*frac)
                .bind(*verif)
                .bind(last[0])
                .bind(last[1])
                .bind(last[2])
                .bind(*on)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

async fn update_meter(tx: &mut sql::Tx, id: i64, cols: &MeterCols, now: DateTime<Utc>) -> Result<()> {
    let (resource, zones, int, frac, verif, last, on) = *cols;
    sql::query(
        "UPDATE account_meters SET resource = $1, zones = $2, int_digits = $3, frac_digits = $4, next_verification = $5,
                last_1 = $6, last_2 = $7, last_3 = $8, last_on = $9, imported_at = $10, withdrawn_at = NULL
         WHERE id = $11",
    )
    .bind(resource.as_str())
    .bind(zones)
    .bind(int)
    .bind(frac)
    .bind(verif)
    .bind(last[0])
    .bind(last[1])
    .bind(last[2])
    .bind(on)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// «INSERT … VALUES ($1, $2), ($3, $4)» for `rows` rows of `columns` values.
pub(super) fn values(head: &str, columns: usize, rows: usize) -> String {
    let mut s = String::from(head);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..columns {
            if c > 0 {
                s.push_str(", ");
            }
            s.push_str(&format!("${}", r * columns + c + 1));
        }
        s.push(')');
    }
    s
}
