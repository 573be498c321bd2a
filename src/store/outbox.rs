//! The outbox: messages to deliver later (e-mails, Telegram pushes), written in the same
//! transaction as the change that causes them, delivered by `worker::outbox`. Telegram texts
//! are HTML (what people typed is escaped when the text is made).

use super::sql;
use super::{Result, Store};
use crate::domain::items::{DeskEvent, DeskTarget};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboxMessage {
    Email {
        to: String,
        subject: String,
        body: String,
        /// A letter with a code someone waits for: it may use the part of `MAIL_PER_HOUR`
        /// other letters leave free.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        code: bool,
    },
    Telegram {
        chat_id: i64,
        text: String,
        /// One inline button under the message (e.g. «Открыть» for the item).
        #[serde(default)]
        button: Option<Button>,
        /// Rows of inline buttons, when one is not enough.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        keyboard: Vec<Vec<Button>>,
        /// The message this one answers (in the operators' group: the card).
        #[serde(default)]
        reply_to: Option<i64>,
        /// Any other keyboard (a reply keyboard: the main menu), instead of the inline ones:
        /// a handler's answer as it was said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        markup: Option<teloxide::types::ReplyMarkup>,
        /// A broadcast (outage notices, announcements) sent with `allow_paid_broadcast`
        /// (`PAID_BROADCAST`): up to 1,000 a second, paid in Stars.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        paid: bool,
    },
    /// A new item or an addition for the operators' desk; waits until the desk takes it.
    Operator {
        item: DeskTarget,
        id: i64,
        event: DeskEvent,
        /// What the event was raised for: the consumer's message (`ticket_messages.id`) or
        /// addition (`connection_additions.id`). Rows written before it was kept have none
        /// and show the latest.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<i64>,
        /// The operators' group it goes to when an operator moved the item there (else its
        /// card's group, else its department's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<i64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub text: String,
    pub data: String,
}

impl OutboxMessage {
    /// A push to a chat with one button under it (the workers' reminders and notices).
    pub fn with_button(chat_id: i64, text: String, button: Button) -> Self {
        Self::Telegram {
            chat_id,
            text,
            button: Some(button),
            reply_to: None,
            keyboard: Vec::new(),
            markup: None,
            paid: false,
        }
    }

    /// A broadcast's message to a chat (an outage notice, an announcement), paid when
    /// `PAID_BROADCAST` says so.
    pub fn broadcast(chat_id: i64, text: String, button: Option<Button>, paid: bool) -> Self {
        Self::Telegram {
            chat_id,
            text,
            button,
            reply_to: None,
            keyboard: Vec::new(),
            markup: None,
            paid,
        }
    }

    fn channel(&self) -> &'static str {
        match self {
            Self::Email { .. } => "email",
            Self::Telegram { .. } => "telegram",
            Self::Operator { .. } => "operator",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub payload: String,
    pub attempts: i64,
}

impl OutboxRow {
    pub fn message(&self) -> serde_json::Result<OutboxMessage> {
        serde_json::from_str(&self.payload)
    }
}

pub async fn enqueue(conn: &mut sql::Tx, msg: &OutboxMessage, now: DateTime<Utc>) -> Result<i64> {
    insert(conn, msg, now, false).await
}

/// A broadcast's row (an outage notice, an announcement, a reminder): taken after every other
/// row that is due, so a broadcast never holds up a card, a push or a code.
pub async fn enqueue_bulk(conn: &mut sql::Tx, msg: &OutboxMessage, now: DateTime<Utc>) -> Result<i64> {
    insert(conn, msg, now, true).await
}

async fn insert(conn: &mut sql::Tx, msg: &OutboxMessage, now: DateTime<Utc>, bulk: bool) -> Result<i64> {
    let id = sql::query_scalar::<i64>(
        "INSERT INTO outbox (channel, payload, next_attempt_at, created_at, bulk) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(msg.channel())
    .bind(serde_json::to_string(msg)?)
    .bind(now)
    .bind(now)
    .bind(bulk)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A row that the writer will deliver itself right after its transaction commits (a reply
/// that must survive a crash): not due for the worker until `until`, unless a start releases
/// it (see `outbox_release_leases`).
pub async fn enqueue_leased(
    conn: &mut sql::Tx,
    msg: &OutboxMessage,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<i64> {
    let id = sql::query_scalar::<i64>(
        "INSERT INTO outbox (channel, payload, next_attempt_at, created_at, owner)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(msg.channel())
    .bind(serde_json::to_string(msg)?)
    .bind(until)
    .bind(now)
    .bind(super::inbox::replica())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// What a reply row says when the leader sends it again after its replica died while sending
/// it: it may arrive twice.
pub const RESENT: &str = "resent: its process stopped while sending it";

impl Store {
    /// At start: rows never tried (leased by a reply that a stopped process did not finish)
    /// are due now.
    pub async fn outbox_release_leases(&self, now: DateTime<Utc>) -> Result<()> {
        sql::query(
            "UPDATE outbox SET next_attempt_at = $1 WHERE status = 'pending' AND attempts = 0 AND next_attempt_at > $2",
        )
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replies a handler committed but could not send (the database failed half-way): due now
    /// for the outbox worker instead of when their lease runs out. Those sent already are done.
    pub async fn outbox_release_rows(&self, ids: &[i64], now: DateTime<Utc>) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        sql::query(format!(
            "UPDATE outbox SET next_attempt_at = $1
              WHERE id IN ({list}) AND status = 'pending' AND attempts = 0 AND next_attempt_at > $2"
        ))
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// On PostgreSQL, as a replica starts leading: rows the last leader's worker had begun
    /// sending when it died go again, saying so (they may arrive twice).
    pub async fn outbox_mark_interrupted(&self, now: DateTime<Utc>) -> Result<u64> {
        if self.backend() != super::sql::Backend::Postgres {
            return Ok(0);
        }
        let done = sql::query(format!(
            "UPDATE outbox SET last_error = '{RESENT}'
              WHERE status = 'pending' AND next_attempt_at <= $1 AND sending_at IS NOT NULL"
        ))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// On PostgreSQL: replies whose process is gone (no connection of it left: killed, its
    /// machine lost) are due now, not when their lease runs out. Every kabinet connection
    /// names its process (`application_name`).
    pub async fn outbox_release_orphans(&self, now: DateTime<Utc>) -> Result<u64> {
        if self.backend() != super::sql::Backend::Postgres {
            return Ok(0);
        }
        const GONE: &str =
            "owner IS NOT NULL AND owner NOT IN (SELECT substr(application_name, 9) FROM pg_stat_activity
                                                  WHERE application_name LIKE 'kabinet %')";
        // One whose sending had begun may have arrived already: Telegram cannot be asked, and
        // once too many is the lesser harm than never (the row says so).
        let done = sql::query(format!(
            "UPDATE outbox SET next_attempt_at = $1,
                    last_error = CASE WHEN sending_at IS NOT NULL THEN '{RESENT}' ELSE last_error END
              WHERE status = 'pending' AND attempts = 0 AND next_attempt_at > $2 AND {GONE}"
        ))
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// On PostgreSQL, right before a row's message leaves for Telegram: were this process to
    /// die now, the message may have arrived when the leader sends it again (see
    /// `outbox_release_orphans`). Nothing on SQLite (one process: a restart resends).
    pub async fn outbox_sending(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        if self.backend() == super::sql::Backend::Postgres {
            sql::query("UPDATE outbox SET sending_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// A reply row still under the lease its handler took: the lease is renewed to `until`
    /// and the row returned, with whether nothing of it can have been sent yet. None once the
    /// lease ran out (the outbox worker has it then) or the row is no longer pending. On
    /// PostgreSQL the row is marked as being sent (`outbox_sending`) in the same statement: a
    /// row not so marked before has no piece sent.
    pub async fn outbox_leased_row(
        &self,
        id: i64,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<(OutboxRow, bool)>> {
        let sending = (self.backend() == super::sql::Backend::Postgres).then_some(now);
        let row: Option<(i64, String, i64, Option<bool>)> = sql::query_as(
            "UPDATE outbox SET next_attempt_at = $1, sending_at = COALESCE(sending_at, $4)
              WHERE id = $2 AND status = 'pending' AND next_attempt_at > $3
             RETURNING id, payload, attempts, sending_at = $4",
        )
        .bind(until)
        .bind(id)
        .bind(now)
        .bind(sending)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, payload, attempts, fresh)| (OutboxRow { id, payload, attempts }, fresh == Some(true))))
    }

    /// Rows due now; those for the operators' desk only when `with_desk` (a group is set). On
    /// PostgreSQL they are claimed for this process for `WORKER_LEASE` (a worker of the last
    /// leader still finishing a row as another replica starts leading does not send it twice;
    /// a claim of a process that died is released by `outbox_release_orphans`).
    pub async fn outbox_due(&self, now: DateTime<Utc>, limit: i64, with_desk: bool) -> Result<Vec<OutboxRow>> {
        const DUE: &str = "status = 'pending' AND (channel IN ('email', 'telegram') OR ($1 AND channel = 'operator'))
                           AND next_attempt_at <= $2";
        if self.backend() == super::sql::Backend::Sqlite {
            return Ok(sql::query_as(format!(
                "SELECT id, payload, attempts FROM outbox WHERE {DUE} ORDER BY bulk, id LIMIT $3"
            ))
            .bind(with_desk)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?);
        }
        let mut rows: Vec<OutboxRow> = sql::query_as(format!(
            "UPDATE outbox SET owner = $4, next_attempt_at = $5
              WHERE id IN (SELECT id FROM outbox WHERE {DUE} ORDER BY bulk, id LIMIT $3 FOR UPDATE SKIP LOCKED)
             RETURNING id, payload, attempts"
        ))
        .bind(with_desk)
        .bind(now)
        .bind(limit)
        .bind(super::inbox::replica())
        .bind(now + chrono::Duration::from_std(WORKER_LEASE).unwrap_or_default())
        .fetch_all(&self.pool)
        .await?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// When the next pending row falls due, if any: the worker sleeps until then.
    pub async fn outbox_next_due(&self, with_desk: bool) -> Result<Option<DateTime<Utc>>> {
        let row: Option<(DateTime<Utc>,)> = sql::query_as(
            "SELECT next_attempt_at FROM outbox
             WHERE status = 'pending' AND (channel IN ('email', 'telegram') OR ($1 AND channel = 'operator'))
             ORDER BY next_attempt_at LIMIT 1",
        )
        .bind(with_desk)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.0))
    }

    /// Delivered. The payload of an e-mail may hold a one-time code: it is erased once sent.
    pub async fn outbox_done(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        mark_done(&self.pool, id, now).await
    }

    pub async fn outbox_retry(&self, id: i64, next: DateTime<Utc>, error: &str) -> Result<()> {
        self.outbox_reschedule(id, next, error, true).await
    }

    /// Tried again at `next`, the error kept (masked); `counted` as an attempt or not.
    pub(super) async fn outbox_reschedule(
        &self,
        id: i64,
        next: DateTime<Utc>,
        error: &str,
        counted: bool,
    ) -> Result<()> {
        sql::query("UPDATE outbox SET attempts = attempts + $1, next_attempt_at = $2, last_error = $3 WHERE id = $4")
            .bind(i64::from(counted))
            .bind(next)
            .bind(crate::domain::person::redact(error))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn outbox_failed(&self, id: i64, now: DateTime<Utc>, error: &str) -> Result<()> {
        sql::query(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, done_at = $1, last_error = $2,
                    payload = CASE channel WHEN 'email' THEN '{}' ELSE payload END
             WHERE id = $3",
        )
        .bind(now)
        .bind(crate::domain::person::redact(error))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// How long the outbox worker's claim on a due row holds on PostgreSQL (see `outbox_due`).
pub const WORKER_LEASE: std::time::Duration = std::time::Duration::from_secs(60);

/// Marks an outbox row delivered in `conn` (see `Store::outbox_done`).
pub(crate) async fn mark_done<'c>(conn: impl Into<sql::Exec<'c>>, id: i64, now: DateTime<Utc>) -> Result<()> {
    sql::query(
        "UPDATE outbox SET status = 'done', done_at = $1, attempts = attempts + 1,
                payload = CASE channel WHEN 'email' THEN '{}' ELSE payload END
         WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}
