//! What consumers are told of their accounts' bills (`bill_notices`): a new bill once per
//! account and period, a debt reminder once per bill. The record and the messages are written
//! in one transaction, and a message only with a record new in it: two processes finding the
//! same bill at once tell the consumer once.

use super::outbox::{self, OutboxMessage};
use super::sql;
use super::{Result, Store};
use chrono::{DateTime, NaiveDate, Utc};

/// A bill a consumer who linked its account may be told of.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BillNotice {
    pub consumer_id: i64,
    pub account_id: i64,
    pub number: String,
    pub name: String,
    pub period: String,
    pub due: i64,
    pub due_date: Option<NaiveDate>,
    pub imported_at: DateTime<Utc>,
}

/// What the notice is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Bill,
    Debt,
}

impl NoticeKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Bill => "bill",
            Self::Debt => "debt",
        }
    }

    /// The consumer's setting that allows it.
    fn column(self) -> &'static str {
        match self {
            Self::Bill => "c.notify_bills",
            Self::Debt => "c.remind_debt",
        }
    }
}

/// At most this many notices a run (the next run takes the rest).
const BATCH: i64 = 5000;

impl Store {
    /// Accounts' latest bills of which the consumers who linked them were not told (`kind`),
    /// for consumers who want to be: for a new bill, bills imported after the link and
    /// between `from` and `to`; for a debt, bills with something due between those days. Each starts
    /// from the bills' own index, never from every link.
    pub async fn bill_notices_due(
        &self,
        kind: NoticeKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<BillNotice>> {
        let which = match kind {
            NoticeKind::Bill => "b.imported_at >= $1 AND b.imported_at <= $2 AND b.imported_at >= l.linked_at",
            NoticeKind::Debt => "b.due_date >= $1 AND b.due_date <= $2 AND b.due > 0",
        };
        let q = sql::query_as(format!(
            "SELECT l.consumer_id, a.id AS account_id, a.number, l.name, b.period, b.due, b.due_date, b.imported_at
             FROM bills b JOIN account_links l ON l.account_id = b.account_id
             JOIN accounts a ON a.id = b.account_id JOIN consumers c ON c.id = l.consumer_id
             WHERE {which} AND {} AND c.status = 'confirmed'
               AND b.period = (SELECT MAX(b2.period) FROM bills b2 WHERE b2.account_id = b.account_id)
               AND NOT EXISTS (SELECT 1 FROM bill_notices n WHERE n.consumer_id = l.consumer_id
                               AND n.account_id = b.account_id AND n.period = b.period AND n.kind = $3)
             ORDER BY l.consumer_id, a.id LIMIT $4",
            kind.column()
        ));
        let q = match kind {
            NoticeKind::Bill => q.bind(from).bind(to),
            NoticeKind::Debt => q.bind(from.date_naive()).bind(to.date_naive()),
        };
        Ok(q.bind(kind.as_str()).bind(BATCH).fetch_all(&self.pool).await?)
    }

    /// Records the notices and queues each one's messages (`told[i]` goes with `messages[i]`);
    /// returns how many messages were queued.
    pub async fn record_bill_notices(
        &self,
        kind: NoticeKind,
        told: &[&BillNotice],
        messages: &[Vec<OutboxMessage>],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let mut tx = self.pool.begin().await?;
        let mut queued = 0;
        for (n, msgs) in told.iter().zip(messages) {
            let fresh = sql::query(
                "INSERT INTO bill_notices (consumer_id, account_id, period, kind, sent_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (consumer_id, account_id, period, kind) DO NOTHING",
            )
            .bind(n.consumer_id)
            .bind(n.account_id)
            .bind(n.period.as_str())
            .bind(kind.as_str())
            .bind(now)
            .execute(&mut tx)
            .await?
            .rows_affected();
            if fresh == 0 {
                continue;
            }
            for m in msgs {
                outbox::enqueue_bulk(&mut tx, m, now).await?;
                queued += 1;
            }
        }
        tx.commit().await?;
        Ok(queued)
    }
}
