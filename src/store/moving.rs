//! Moving house: an SQLite database copied into an empty PostgreSQL one (`kabinet migrate-db`).
//! Every table in the order its foreign keys need, every row with each value in its
//! PostgreSQL type (a moment as `TIMESTAMPTZ`, a flag as `BOOLEAN`…), in one transaction that
//! commits only when each table's row count and checksum read back from PostgreSQL equal the
//! SQLite ones. The identities then go on after the copied ids.

use super::sql::{self, Arg, Db};
use super::{Result, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use futures::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::borrow::Cow;

/// PostgreSQL takes at most 65,535 values in one statement.
const VALUES_PER_INSERT: usize = 30_000;
/// Nor a statement of a gigabyte: a batch of files' contents goes at this size.
const BYTES_PER_INSERT: usize = 32 << 20;

/// About what a row weighs in a statement.
fn weight(row: &[Arg]) -> usize {
    row.iter()
        .map(|v| match v {
            Arg::Text(Some(t)) => t.len(),
            Arg::Bytes(Some(b)) => b.len(),
            _ => 8,
        })
        .sum()
}

/// One table moved: its rows and the checksum both databases gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub table: String,
    pub rows: u64,
    pub checksum: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// A column and the PostgreSQL type its values take.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    ty: String,
}

/// A table's rows as a multiset: the count and a sum of row hashes (the same whatever order
/// each database returns them in; text orders differently under PostgreSQL's collation).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    rows: u64,
    sum: u128,
}

impl Tally {
    fn add(&mut self, row: &[Arg]) {
        let mut h = Sha256::new();
        for v in row {
            let text: Cow<'_, str> = match v {
                Arg::I64(Some(n)) => n.to_string().into(),
                Arg::Bool(Some(b)) => (if *b { "t" } else { "f" }).into(),
                Arg::Text(Some(t)) => Cow::Borrowed(t.as_ref()),
                Arg::Bytes(Some(b)) => hex::encode(b).into(),
                // PostgreSQL keeps microseconds.
                Arg::Time(Some(t)) => t.timestamp_micros().to_string().into(),
                Arg::Date(Some(d)) => d.to_string().into(),
                Arg::F64(Some(f)) => f.to_string().into(),
                _ => "\u{0}NULL".into(),
            };
            h.update(text.as_bytes());
            h.update([0x1f]);
        }
        let digest = h.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        self.rows += 1;
        self.sum = self.sum.wrapping_add(u128::from_be_bytes(first));
    }
}

fn truncated_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// A value of an SQLite row read as the PostgreSQL column's type.
fn sqlite_value(row: &sqlx::sqlite::SqliteRow, i: usize, ty: &str) -> sqlx::Result<Arg> {
    Ok(match ty {
        "bigint" | "integer" | "smallint" => Arg::I64(row.try_get(i)?),
        "boolean" => Arg::Bool(row.try_get(i)?),
        "timestamp with time zone" => Arg::Time(row.try_get::<Option<DateTime<Utc>>, _>(i)?.map(truncated_to_micros)),
        "date" => Arg::Date(row.try_get::<Option<NaiveDate>, _>(i)?),
        "bytea" => Arg::Bytes(row.try_get(i)?),
        "double precision" => Arg::F64(row.try_get(i)?),
        _ => Arg::Text(row.try_get::<Option<String>, _>(i)?.map(Cow::Owned)),
    })
}

fn pg_value(row: &sqlx::postgres::PgRow, i: usize, ty: &str) -> sqlx::Result<Arg> {
    Ok(match ty {
        "bigint" => Arg::I64(row.try_get(i)?),
        "integer" => Arg::I64(row.try_get::<Option<i32>, _>(i)?.map(i64::from)),
        "smallint" => Arg::I64(row.try_get::<Option<i16>, _>(i)?.map(i64::from)),
        "boolean" => Arg::Bool(row.try_get(i)?),
        "timestamp with time zone" => Arg::Time(row.try_get(i)?),
        "date" => Arg::Date(row.try_get(i)?),
        "bytea" => Arg::Bytes(row.try_get(i)?),
        "double precision" => Arg::F64(row.try_get(i)?),
        _ => Arg::Text(row.try_get::<Option<String>, _>(i)?.map(Cow::Owned)),
    })
}

/// The tables of the PostgreSQL schema, each after those its foreign keys name.
async fn tables_in_order(target: &Store) -> Result<Vec<(String, Vec<Column>)>> {
    let names: Vec<String> = sql::query_scalar(
        "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'
         ORDER BY 1",
    )
    .fetch_all(&target.pool)
    .await?;
    let edges: Vec<(String, String)> = sql::query_as(
        "SELECT CAST(c.conrelid::regclass AS TEXT), CAST(c.confrelid::regclass AS TEXT) FROM pg_constraint c
         JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE c.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(&target.pool)
    .await?;
    let mut ordered: Vec<String> = Vec::new();
    let mut left = names.clone();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|t| {
                edges
                    .iter()
                    .all(|(from, to)| from != *t || to == *t || ordered.contains(to))
            })
            .cloned()
            .collect();
        if ready.is_empty() {
            // A cycle of foreign keys: the rest in name order (the schema has none today).
            ordered.append(&mut left);
            break;
        }
        left.retain(|t| !ready.contains(t));
        ordered.extend(ready);
    }
    let mut out = Vec::new();
    for table in ordered {
        let columns: Vec<(String, String)> = sql::query_as(
            "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(table.as_str())
        .fetch_all(&target.pool)
        .await?;
        out.push((
            table,
            columns.into_iter().map(|(name, ty)| Column { name, ty }).collect(),
        ));
    }
    Ok(out)
}

fn quoted(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn insert_batch(tx: &mut sql::Tx, table: &str, columns: &[Column], rows: &mut Vec<Vec<Arg>>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let width = columns.len();
    let groups: Vec<String> = (0..rows.len())
        .map(|r| {
            let ps: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", ps.join(", "))
        })
        .collect();
    let mut q = sql::query(format!(
        "INSERT INTO \"{table}\" ({}) VALUES {}",
        quoted(columns),
        groups.join(", ")
    ));
    for row in rows.drain(..) {
        for v in row {
            q = q.bind(v);
        }
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// One table: its rows read from SQLite, inserted in batches, read back from PostgreSQL in
/// the same transaction and compared.
async fn copy_table(
    lite: &sqlx::SqlitePool,
    tx: &mut sql::Tx,
    table: &str,
    columns: &[Column],
) -> Result<Moved, MoveError> {
    let mut sent = Tally::default();
    let mut batch: Vec<Vec<Arg>> = Vec::new();
    let mut batch_bytes = 0;
    let per_insert = (VALUES_PER_INSERT / columns.len().max(1)).max(1);
    let select = format!("SELECT {} FROM \"{table}\"", quoted(columns));
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(select.clone())).fetch(lite);
    while let Some(row) = rows.try_next().await? {
        let values = columns
            .iter()
            .enumerate()
            .map(|(i, c)| sqlite_value(&row, i, &c.ty))
            .collect::<sqlx::Result<Vec<_>>>()?;
        sent.add(&values);
        batch_bytes += weight(&values);
        batch.push(values);
        if batch.len() >= per_insert || batch_bytes >= BYTES_PER_INSERT {
            insert_batch(tx, table, columns, &mut batch).await?;
            batch_bytes = 0;
        }
    }
    drop(rows);
    insert_batch(tx, table, columns, &mut batch).await?;
    // Read back inside the transaction, as PostgreSQL now holds it.
    let sql::Tx::Postgres(pg) = tx else {
        unreachable!("a PostgreSQL transaction")
    };
    let mut landed = Tally::default();
    let mut back = sqlx::query(sqlx::AssertSqlSafe(select)).fetch(&mut **pg);
    while let Some(row) = back.try_next().await? {
        let values = columns
            .iter()
            .enumerate()
            .map(|(i, c)| pg_value(&row, i, &c.ty))
            .collect::<sqlx::Result<Vec<_>>>()?;
        landed.add(&values);
    }
    if landed != sent {
        return Err(MoveError::Refused(format!(
            "{table}: {} rows read from SQLite, {} found in PostgreSQL, or their checksums differ; nothing was committed",
            sent.rows, landed.rows
        )));
    }
    Ok(Moved {
        table: table.to_owned(),
        rows: sent.rows,
        checksum: format!("{:032x}", sent.sum),
    })
}

/// Copies `source` (SQLite, not in use, migrated to this version) into `target` (PostgreSQL,
/// migrated here, empty). Nothing is committed unless every table checks out.
pub async fn sqlite_into_postgres(source: &Store, target: &Store) -> Result<Vec<Moved>, MoveError> {
    let Db::Sqlite(lite) = &source.pool else {
        return Err(MoveError::Refused("the source must be an SQLite database".into()));
    };
    let Db::Postgres(_) = &target.pool else {
        return Err(MoveError::Refused("the target must be a PostgreSQL database".into()));
    };
    let state = source.migration_state().await?;
    if state.pending > 0 || state.unknown > 0 {
        return Err(MoveError::Refused(format!(
            "the SQLite database is not at this version's schema ({} migrations to run, {} unknown): \
             run `kabinet migrate` on it with this binary first",
            state.pending, state.unknown
        )));
    }
    // No bot may start on the target while it is filled (it would refuse: this holds its lock).
    let _lock = target.lock_postgres_alone().await?;
    target.migrate().await?;
    let tables = tables_in_order(target).await?;
    let mut tx = target.pool.begin().await?;
    for (table, _) in &tables {
        let (n,): (i64,) = sql::query_as(format!("SELECT COUNT(*) FROM \"{table}\""))
            .fetch_one(&mut tx)
            .await?;
        if n > 0 {
            return Err(MoveError::Refused(format!(
                "the PostgreSQL database is not empty ({table} has {n} rows): migrate-db copies into an empty one only"
            )));
        }
    }
    let mut moved = Vec::new();
    for (table, columns) in &tables {
        let copied = copy_table(lite, &mut tx, table, columns).await.map_err(|e| match e {
            MoveError::Db(d) => MoveError::Refused(format!("{table}: {d}; nothing was committed")),
            other => other,
        })?;
        moved.push(copied);
    }
    // The identities go on after the ids copied.
    let identities: Vec<(String, String)> = sql::query_as(
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns
         WHERE table_schema = current_schema() AND is_identity = 'YES'",
    )
    .fetch_all(&mut tx)
    .await?;
    for (table, column) in identities {
        sql::query(format!(
            "SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'),
                           COALESCE((SELECT MAX(\"{column}\") FROM \"{table}\"), 0) + 1, false)"
        ))
        .execute(&mut tx)
        .await?;
    }
    tx.commit().await?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, text: &str, at: DateTime<Utc>) -> Vec<Arg> {
        vec![
            Arg::I64(Some(id)),
            Arg::Text(Some(text.to_owned().into())),
            Arg::Time(Some(at)),
            Arg::Bool(None),
        ]
    }

    #[test]
    fn a_tally_ignores_the_order_of_rows_and_sees_any_changed_value() {
        let at = DateTime::from_timestamp(1_800_000_000, 123_456_789).unwrap();
        let tally = |rows: &[Vec<Arg>]| {
            let mut t = Tally::default();
            rows.iter().for_each(|r| t.add(r));
            t
        };
        let (a, b) = (row(1, "Иванов", at), row(2, "Петров", at));
        assert_eq!(tally(&[a.clone(), b.clone()]), tally(&[b.clone(), a.clone()]));
        assert_ne!(
            tally(&[a.clone(), b.clone()]),
            tally(&[a.clone(), row(2, "Петрова", at)])
        );
        assert_ne!(
            tally(std::slice::from_ref(&a)),
            tally(&[a.clone(), a.clone()]),
            "a row twice"
        );
        // Nanoseconds PostgreSQL cannot keep are not a difference; a microsecond is.
        let micros = truncated_to_micros(at);
        assert_eq!(tally(std::slice::from_ref(&a)), tally(&[row(1, "Иванов", micros)]));
        let later = micros + chrono::Duration::microseconds(1);
        assert_ne!(tally(std::slice::from_ref(&a)), tally(&[row(1, "Иванов", later)]));
        // NULL is not the empty text.
        assert_ne!(
            tally(&[vec![Arg::Text(None)]]),
            tally(&[vec![Arg::Text(Some("".into()))]])
        );
    }
}
