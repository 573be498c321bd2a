//! Bills of personal accounts (`bills`, `bill_lines`), written by `kabinet import charges` in
//! one transaction: a bill new for its account and period is added, a changed one replaced, an
//! identical one left as it is.

use super::accounts::Counts;
use super::sql;
use super::{Result, Store};
use crate::domain::bills::Bill;
use crate::domain::meters::Period;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// An account's bill as the consumer reads it (kopecks).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BillRow {
    pub id: i64,
    pub period: String,
    pub opening: i64,
    pub charged: i64,
    pub recalculation: i64,
    pub benefit: i64,
    pub paid: i64,
    pub penalty: i64,
    pub due: i64,
    pub due_date: Option<NaiveDate>,
    pub imported_at: DateTime<Utc>,
}

impl BillRow {
    pub fn period(&self) -> Option<Period> {
        Period::parse_key(&self.period)
    }

    /// The first day whose payments the bill cannot hold: the day after it was imported (the
    /// utility's days). A payment between the bill's making and its import is left out rather
    /// than counted twice: the balance errs towards a debt, never towards a false «paid».
    pub fn payments_from(&self, utc_offset_hours: i32) -> NaiveDate {
        payments_from(self.imported_at, utc_offset_hours)
    }
}

/// See `BillRow::payments_from`.
pub fn payments_from(imported_at: DateTime<Utc>, utc_offset_hours: i32) -> NaiveDate {
    (imported_at + chrono::Duration::hours(i64::from(utc_offset_hours))).date_naive() + chrono::Duration::days(1)
}

/// A service's line of a bill.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LineRow {
    pub service: String,
    /// Thousandths of the unit.
    pub volume: Option<i64>,
    pub unit: Option<String>,
    pub tariff: Option<String>,
    pub amount: i64,
    pub recalculation: i64,
    pub benefit: i64,
}

/// Payments that came after a bill: their sum and when the latest was imported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaidSince {
    pub sum: i64,
    pub imported_at: Option<DateTime<Utc>>,
}

const BILL_COLUMNS: &str =
    "id, period, opening, charged, recalculation, benefit, paid, penalty, due, due_date, imported_at";

/// Rows a chunk of a multi-row INSERT carries.
const CHUNK: usize = 500;

impl Store {
    /// The registry's accounts by number, for the numbers asked (unknown ones are absent).
    pub async fn account_ids(&self) -> Result<HashMap<String, i64>> {
        let rows: Vec<(i64, String)> = sql::query_as("SELECT id, number FROM accounts")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|(id, n)| (n, id)).collect())
    }

    /// The amount due of an account's bill for a period (kopecks), if it was imported.
    pub async fn bill_due(&self, number: &str, period: Period) -> Result<Option<i64>> {
        Ok(sql::query_scalar(
            "SELECT b.due FROM bills b JOIN accounts a ON a.id = b.account_id WHERE a.number = $1 AND b.period = $2",
        )
        .bind(number)
        .bind(period.key())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// An account's bills, the latest first.
    pub async fn bills_of(&self, account_id: i64, limit: i64) -> Result<Vec<BillRow>> {
        Ok(sql::query_as(format!(
            "SELECT {BILL_COLUMNS} FROM bills WHERE account_id = $1 ORDER BY period DESC LIMIT $2"
        ))
        .bind(account_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// An account's bill for a period.
    pub async fn bill_of(&self, account_id: i64, period: Period) -> Result<Option<BillRow>> {
        Ok(sql::query_as(format!(
            "SELECT {BILL_COLUMNS} FROM bills WHERE account_id = $1 AND period = $2"
        ))
        .bind(account_id)
        .bind(period.key())
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn bill_lines(&self, bill_id: i64) -> Result<Vec<LineRow>> {
        Ok(sql::query_as(
            "SELECT service, volume, unit, tariff, amount, recalculation, benefit FROM bill_lines
             WHERE bill_id = $1 ORDER BY place",
        )
        .bind(bill_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// What the account paid on or after `from` (the day after a bill's period).
    pub async fn paid_since(&self, account_id: i64, from: NaiveDate) -> Result<PaidSince> {
        let (sum, imported_at): (i64, Option<DateTime<Utc>>) = sql::query_as(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT), MAX(imported_at) FROM payments
             WHERE account_id = $1 AND paid_on >= $2",
        )
        .bind(account_id)
        .bind(from)
        .fetch_one(&self.pool)
        .await?;
        Ok(PaidSince { sum, imported_at })
    }

    /// Payments between bills (each with its account's id): new ones added, ones already there
    /// (the same account, day, amount and document) left.
    pub async fn apply_payments(
        &self,
        payments: &[(i64, &crate::domain::bills::Payment)],
        now: DateTime<Utc>,
    ) -> Result<Counts> {
        let mut tx = self.pool.begin().await?;
        let mut added = 0;
        for chunk in payments.chunks(CHUNK) {
            let mut sql = super::accounts::values(
                "INSERT INTO payments (account_id, paid_on, amount, document, source, imported_at) VALUES ",
                6,
                chunk.len(),
            );
            sql.push_str(" ON CONFLICT (account_id, paid_on, amount, document) DO NOTHING");
            let mut q = sql::query(sql);
            for (account, p) in chunk {
                q = q
                    .bind(*account)
                    .bind(p.paid_on)
                    .bind(p.amount.0)
                    .bind(p.document.as_str())
                    .bind(p.source.as_deref())
                    .bind(now);
            }
            added += q.execute(&mut tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(Counts {
            added,
            unchanged: payments.len() as u64 - added,
            ..Counts::default()
        })
    }

    /// Applies a period's bills (each with its account's id), all or nothing.
    pub async fn apply_bills(&self, period: Period, bills: &[(i64, &Bill)], now: DateTime<Utc>) -> Result<Counts> {
        let mut tx = self.pool.begin().await?;
        let had: Vec<(i64, i64, String)> =
            sql::query_as("SELECT account_id, id, fingerprint FROM bills WHERE period = $1")
                .bind(period.key())
                .fetch_all(&mut tx)
                .await?;
        let had: HashMap<i64, (i64, String)> = had.into_iter().map(|(a, id, fp)| (a, (id, fp))).collect();
        let mut counts = Counts::default();
        let mut lines: Vec<(i64, &Bill)> = Vec::new();
        let mut new: Vec<(i64, &Bill, String)> = Vec::new();
        for (account, bill) in bills {
            let fp = bill.fingerprint();
            match had.get(account) {
                Some((_, old)) if *old == fp => counts.unchanged += 1,
                Some((id, _)) => {
                    counts.updated += 1;
                    sql::query("DELETE FROM bill_lines WHERE bill_id = $1")
                        .bind(*id)
                        .execute(&mut tx)
                        .await?;
                    update_bill(&mut tx, *id, bill, &fp, now).await?;
                    lines.push((*id, bill));
                }
                None => new.push((*account, bill, fp)),
            }
        }
        counts.added = new.len() as u64;
        for chunk in new.chunks(CHUNK) {
            let mut q = sql::query(super::accounts::values(
                "INSERT INTO bills (account_id, period, opening, charged, recalculation, benefit, paid, penalty, due,
                                    due_date, fingerprint, imported_at) VALUES ",
                12,
                chunk.len(),
            ));
            for (account, b, fp) in chunk {
                q = q
                    .bind(*account)
                    .bind(period.key())
                    .bind(b.opening.0)
                    .bind(b.charged().0)
                    .bind(b.recalculation().0)
                    .bind(b.benefit().0)
                    .bind(b.paid.0)
                    .bind(b.penalty.0)
                    .bind(b.due.0)
                    .bind(b.due_date)
                    .bind(fp.as_str())
                    .bind(now);
            }
            q.execute(&mut tx).await?;
        }
        if !new.is_empty() {
            let ids: Vec<(i64, i64)> =
                sql::query_as("SELECT account_id, id FROM bills WHERE period = $1 AND imported_at = $2")
                    .bind(period.key())
                    .bind(now)
                    .fetch_all(&mut tx)
                    .await?;
            let ids: HashMap<i64, i64> = ids.into_iter().collect();
            lines.extend(new.iter().filter_map(|(a, b, _)| ids.get(a).map(|id| (*id, *b))));
        }
        insert_lines(&mut tx, &lines).await?;
        tx.commit().await?;
        Ok(counts)
    }
}

/// A changed bill's own values (its lines are written again by the caller).
async fn update_bill(tx: &mut sql::Tx, id: i64, bill: &Bill, fp: &str, now: DateTime<Utc>) -> Result<()> {
    sql::query(
        "UPDATE bills SET opening = $1, charged = $2, recalculation = $3, benefit = $4, paid = $5,
                penalty = $6, due = $7, due_date = $8, fingerprint = $9, imported_at = $10 WHERE id = $11",
    )
    .bind(bill.opening.0)
    .bind(bill.charged().0)
    .bind(bill.recalculation().0)
    .bind(bill.benefit().0)
    .bind(bill.paid.0)
    .bind(bill.penalty.0)
    .bind(bill.due.0)
    .bind(bill.due_date)
    .bind(fp)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn insert_lines(tx: &mut sql::Tx, bills: &[(i64, &Bill)]) -> Result<()> {
    let rows: Vec<(i64, usize, &crate::domain::bills::BillLine)> = bills
        .iter()
        .flat_map(|(id, b)| b.lines.iter().enumerate().map(move |(i, l)| (*id, i + 1, l)))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        let mut q = sql::query(super::accounts::values(
            "INSERT INTO bill_lines (bill_id, place, service, volume, unit, tariff, amount, recalculation, benefit) VALUES ",
            9,
            chunk.len(),
        ));
        for (id, place, l) in chunk {
            q = q
                .bind(*id)
                .bind(*place as i64)
                .bind(l.service.as_str())
                .bind(l.volume.map(|v| v.0))
                .bind(l.unit.as_deref())
                .bind(l.tariff.as_deref())
                .bind(l.amount.0)
                .bind(l.recalculation.0)
                .bind(l.benefit.0);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}
