//! What the operators' desk keeps: the operators, which group message belongs to which item,
//! the cards and who took them, the choices waiting for a reply, the queue and the figures of
//! /stats. (The items themselves are their own modules'; the cards are made in the `desk` module,
//! and the operators' side of the bot is `bot::operators`.)

use super::sql;
use super::{Result, Store};
use crate::domain::connection::ConnKind;
use crate::domain::items::{ConnStatus, DeskAction, MeterRequestKind, MeterRequestStatus, MeterReview};
use crate::domain::meters::Resource;
use crate::domain::tickets::{TicketKind, TicketStatus};
use chrono::{DateTime, Utc};

/// A stored pending choice, checked.
fn pending_action(name: &str) -> Result<DeskAction> {
    DeskAction::from_pending(name).ok_or_else(|| super::StoreError::Unknown {
        what: "desk action",
        value: name.to_owned(),
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Operator {
    pub telegram_id: i64,
    pub name: Option<String>,
    pub added_at: DateTime<Utc>,
}

/// An item the desk knows: what kind and which row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemRef {
    pub kind: ItemKind,
    pub id: i64,
}

pub use crate::domain::items::ItemKind;

/// One open item in the queue.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub item: Queued,
    pub id: i64,
    pub number: String,
    pub created_at: DateTime<Utc>,
    pub deadline: Option<DateTime<Utc>>,
}

/// What an open item is, and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    Ticket(TicketKind, TicketStatus),
    MeterRequest(MeterRequestKind, MeterRequestStatus),
    Connection(ConnKind, ConnStatus),
    /// A new meter waiting to be accepted.
    Meter(Resource, MeterReview),
}

/// The queue's row as the union query gives it: kinds and statuses of four tables as text.
#[derive(sqlx::FromRow)]
struct QueueText {
    kind: ItemKind,
    sub: String,
    id: i64,
    number: String,
    status: String,
    created_at: DateTime<Utc>,
    deadline: Option<DateTime<Utc>>,
}

impl QueueText {
    fn typed(self) -> Result<QueueRow> {
        fn known<T>(what: &'static str, value: &str, parsed: Option<T>) -> Result<T> {
            parsed.ok_or_else(|| super::StoreError::Unknown {
                what,
                value: value.to_owned(),
            })
        }
        let (sub, status) = (self.sub.as_str(), self.status.as_str());
        let item = match self.kind {
            ItemKind::Ticket => Queued::Ticket(
                known("ticket kind", sub, TicketKind::from_str_opt(sub))?,
                known("ticket status", status, TicketStatus::from_str_opt(status))?,
            ),
            ItemKind::MeterRequest => Queued::MeterRequest(
                known("meter request kind", sub, MeterRequestKind::from_str_opt(sub))?,
                known("meter request status", status, MeterRequestStatus::from_str_opt(status))?,
            ),
            ItemKind::Connection => Queued::Connection(
                known("connection kind", sub, ConnKind::from_str_opt(sub))?,
                known("connection status", status, ConnStatus::from_str_opt(status))?,
            ),
            ItemKind::Meter => Queued::Meter(
                known("resource", sub, Resource::from_str_opt(sub))?,
                known("meter review", status, MeterReview::from_str_opt(status))?,
            ),
        };
        Ok(QueueRow {
            item,
            id: self.id,
            number: self.number,
            created_at: self.created_at,
            deadline: self.deadline,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub open: i64,
    pub overdue: i64,
    pub answered_today: i64,
    pub median_first_answer_secs: Option<i64>,
    pub failed_deliveries: i64,
    pub queued_for_desk: i64,
}

impl Store {
    pub async fn add_operator(&self, telegram_id: i64, name: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        sql::query(
            "INSERT INTO operators (telegram_id, name, added_at) VALUES ($1, $2, $3)
             ON CONFLICT (telegram_id) DO UPDATE SET name = COALESCE(excluded.name, operators.name)",
        )
        .bind(telegram_id)
        .bind(name)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn remove_operator(&self, telegram_id: i64) -> Result<bool> {
        let r = sql::query("DELETE FROM operators WHERE telegram_id = $1")
            .bind(telegram_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn operators(&self) -> Result<Vec<Operator>> {
        Ok(
            sql::query_as("SELECT telegram_id, name, added_at FROM operators ORDER BY telegram_id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn operator(&self, telegram_id: i64) -> Result<Option<Operator>> {
        Ok(
            sql::query_as("SELECT telegram_id, name, added_at FROM operators WHERE telegram_id = $1")
                .bind(telegram_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn map_desk_message(&self, chat_id: i64, message_id: i64, item: ItemRef) -> Result<()> {
        map_message(&self.pool, chat_id, message_id, item).await?;
        self.signal(super::signals::Signal::Desk).await;
        Ok(())
    }

    /// The item a group message belongs to; if none yet, waits up to `wait` for one to be
    /// recorded (the card was just sent and its id is on its way to the database).
    pub async fn desk_item_waiting(
        &self,
        chat_id: i64,
        message_id: i64,
        wait: std::time::Duration,
    ) -> Result<Option<ItemRef>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let mapped = self.signals.desk.notified();
            tokio::pin!(mapped);
            mapped.as_mut().enable();
            if let Some(item) = self.desk_item(chat_id, message_id).await? {
                return Ok(Some(item));
            }
            if tokio::time::timeout_at(deadline, mapped).await.is_err() {
                return Ok(None);
            }
        }
    }

    pub async fn desk_item(&self, chat_id: i64, message_id: i64) -> Result<Option<ItemRef>> {
        let row: Option<(String, i64)> =
            sql::query_as("SELECT item_kind, item_id FROM desk_messages WHERE chat_id = $1 AND message_id = $2")
                .bind(chat_id)
                .bind(message_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(k, id)| ItemKind::from_str_opt(&k).map(|kind| ItemRef { kind, id })))
    }

    pub async fn save_card(&self, item: ItemRef, chat_id: i64, message_id: i64) -> Result<()> {
        sql::query(
            "INSERT INTO desk_cards (item_kind, item_id, chat_id, message_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (item_kind, item_id) DO UPDATE SET chat_id = excluded.chat_id, message_id = excluded.message_id",
        )
        .bind(item.kind.as_str())
        .bind(item.id)
        .bind(chat_id)
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        self.map_desk_message(chat_id, message_id, item).await
    }

    /// The item's card moved to the operators' group `to`: the card forgotten here (its pieces
    /// too, so it is posted whole there) and queued for that group. False when it has no card
    /// (moved meanwhile by a colleague's press).
    pub async fn move_card(&self, item: ItemRef, from: i64, to: i64, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sql::query("DELETE FROM desk_cards WHERE item_kind = $1 AND item_id = $2 AND chat_id = $3")
            .bind(item.kind.as_str())
            .bind(item.id)
            .bind(from)
            .execute(&mut tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        sql::query("DELETE FROM sent_pieces WHERE key LIKE $1")
            .bind(format!("card:{}:{}:%", item.kind.as_str(), item.id))
            .execute(&mut tx)
            .await?;
        let target = match item.kind {
            ItemKind::Ticket => crate::domain::items::DeskTarget::Ticket,
            ItemKind::MeterRequest => crate::domain::items::DeskTarget::MeterRequest,
            ItemKind::Connection => crate::domain::items::DeskTarget::Connection,
            ItemKind::Meter => crate::domain::items::DeskTarget::Meter,
        };
        let card = super::outbox::OutboxMessage::Operator {
            item: target,
            id: item.id,
            event: crate::domain::items::DeskEvent::New,
            about: None,
            to: Some(to),
        };
        super::outbox::enqueue(&mut tx, &card, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// (chat, message, taken by) of an item's card.
    pub async fn card(&self, item: ItemRef) -> Result<Option<(i64, i64, Option<i64>)>> {
        Ok(
            sql::query_as("SELECT chat_id, message_id, taken_by FROM desk_cards WHERE item_kind = $1 AND item_id = $2")
                .bind(item.kind.as_str())
                .bind(item.id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Takes the item for the operator if nobody has it; false when it was taken already (a
    /// second press, or another operator was quicker).
    pub async fn take_card(&self, item: ItemRef, operator_id: i64) -> Result<bool> {
        let done = sql::query(
            "UPDATE desk_cards SET taken_by = $1 WHERE item_kind = $2 AND item_id = $3 AND taken_by IS NULL",
        )
        .bind(operator_id)
        .bind(item.kind.as_str())
        .bind(item.id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// «Передать другому»: nobody has the item now, any operator may take it.
    pub async fn release_card(&self, item: ItemRef) -> Result<()> {
        sql::query("UPDATE desk_cards SET taken_by = NULL WHERE item_kind = $1 AND item_id = $2")
            .bind(item.kind.as_str())
            .bind(item.id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_pending(
        &self,
        operator_id: i64,
        item: ItemRef,
        action: DeskAction,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sql::query(
            "INSERT INTO desk_pending (operator_id, item_kind, item_id, action, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (operator_id, item_kind, item_id) DO UPDATE SET action = excluded.action, at = excluded.at",
        )
        .bind(operator_id)
        .bind(item.kind.as_str())
        .bind(item.id)
        .bind(action.pending_name())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The action the operator chose for this item and when, taken (removed) as it is used.
    pub async fn take_pending(&self, operator_id: i64, item: ItemRef) -> Result<Option<(DeskAction, DateTime<Utc>)>> {
        let row: Option<(String, DateTime<Utc>)> = sql::query_as(
            "DELETE FROM desk_pending WHERE operator_id = $1 AND item_kind = $2 AND item_id = $3 RETURNING action, at",
        )
        .bind(operator_id)
        .bind(item.kind)
        .bind(item.id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(action, at)| Ok((pending_action(&action)?, at))).transpose()
    }

    /// Chosen actions older than `before`, removed: (operator, item, action).
    pub async fn take_expired_pending(&self, before: DateTime<Utc>) -> Result<Vec<(i64, ItemRef, DeskAction)>> {
        let rows: Vec<(i64, ItemKind, i64, String)> =
            sql::query_as("DELETE FROM desk_pending WHERE at < $1 RETURNING operator_id, item_kind, item_id, action")
                .bind(before)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(op, kind, id, action)| Ok((op, ItemRef { kind, id }, pending_action(&action)?)))
            .collect()
    }

    /// Open items of every kind, oldest first; with `chat`, those whose card is in that
    /// operators' group.
    pub async fn queue(&self, limit: i64, chat: Option<i64>) -> Result<Vec<QueueRow>> {
        let rows: Vec<QueueText> = sql::query_as(format!(
            "SELECT * FROM (
                SELECT 'ticket' AS kind, kind AS sub, id, number, status, created_at, deadline FROM tickets
                 WHERE status IN ('new', 'in_progress', 'reopened') AND {t}
                UNION ALL
                SELECT 'meter_request', kind, id, number, status, created_at, NULL FROM meter_requests
                 WHERE status IN ('submitted', 'scheduled') AND {r}
                UNION ALL
                SELECT 'connection', kind, id, number, status, created_at, NULL FROM connection_applications
                 WHERE status IN ('submitted', 'under_review', 'returned') AND {c}
                UNION ALL
                SELECT 'meter', resource, id, serial, review, created_at, NULL FROM meters
                 WHERE review = 'pending' AND archived_at IS NULL AND {m}
             ) AS open_items ORDER BY created_at LIMIT $1",
            t = in_group("ticket", "tickets", "id"),
            r = in_group("meter_request", "meter_requests", "id"),
            c = in_group("connection", "connection_applications", "id"),
            m = in_group("meter", "meters", "id"),
        ))
        .bind(limit)
        .bind(chat)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(QueueText::typed).collect()
    }

    /// The item with this number, whatever its kind.
    pub async fn item_by_number(&self, number: &str) -> Result<Option<ItemRef>> {
        let row: Option<(String, i64)> = sql::query_as(
            "SELECT 'ticket', id FROM tickets WHERE number = $1
             UNION ALL SELECT 'meter_request', id FROM meter_requests WHERE number = $1
             UNION ALL SELECT 'connection', id FROM connection_applications WHERE number = $1 LIMIT 1",
        )
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(k, id)| ItemKind::from_str_opt(&k).map(|kind| ItemRef { kind, id })))
    }

    /// Open items by kind, and how many of them are past their deadline: counted by the
    /// database, whatever their number; with `chat`, of that operators' group.
    pub async fn open_counts(&self, now: DateTime<Utc>, chat: Option<i64>) -> Result<Vec<(String, i64, i64)>> {
        Ok(sql::query_as(format!(
            "SELECT kind, COUNT(*), COUNT(*) FILTER (WHERE deadline IS NOT NULL AND deadline < $1) FROM (
                SELECT 'ticket' AS kind, deadline FROM tickets
                 WHERE status IN ('new', 'in_progress', 'reopened') AND {t}
                UNION ALL
                SELECT 'meter_request', NULL FROM meter_requests WHERE status IN ('submitted', 'scheduled') AND {r}
                UNION ALL
                SELECT 'connection', NULL FROM connection_applications
                 WHERE status IN ('submitted', 'under_review', 'returned') AND {c}
                UNION ALL
                SELECT 'meter', NULL FROM meters WHERE review = 'pending' AND archived_at IS NULL AND {m}
             ) AS open_items GROUP BY kind",
            t = in_group("ticket", "tickets", "id"),
            r = in_group("meter_request", "meter_requests", "id"),
            c = in_group("connection", "connection_applications", "id"),
            m = in_group("meter", "meters", "id"),
        ))
        .bind(now)
        .bind(chat)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The figures of /stats, counted by the database; the median time to a first answer over
    /// the tickets first answered in the last 90 days.
    pub async fn stats(&self, now: DateTime<Utc>, day_start: DateTime<Utc>, chat: Option<i64>) -> Result<Stats> {
        let counts = self.open_counts(now, chat).await?;
        let open = counts.iter().map(|c| c.1).sum();
        let overdue = counts.iter().map(|c| c.2).sum();
        let (answered_today,): (i64,) = sql::query_as(format!(
            "SELECT COUNT(DISTINCT ticket_id) FROM ticket_messages WHERE author = 'operator' AND created_at >= $1
               AND {}",
            in_group("ticket", "ticket_messages", "ticket_id")
        ))
        .bind(day_start)
        .bind(chat)
        .fetch_one(&self.pool)
        .await?;
        let since = now - chrono::Duration::days(90);
        let t = in_group("ticket", "tickets", "id");
        let secs = self.backend().pick(
            "(julianday(first_answer_at) - julianday(created_at)) * 86400.0",
            "CAST(EXTRACT(EPOCH FROM first_answer_at - created_at) AS DOUBLE PRECISION)",
        );
        let median: Option<(f64,)> = sql::query_as(format!(
            "SELECT {secs} AS secs FROM tickets WHERE first_answer_at >= $1 AND {t} ORDER BY secs
             LIMIT 1 OFFSET (SELECT COUNT(*) FROM tickets WHERE first_answer_at >= $1 AND {t}) / 2"
        ))
        .bind(since)
        .bind(chat)
        .fetch_optional(&self.pool)
        .await?;
        let median = median.map(|(s,)| s.round() as i64);
        let (failed,): (i64,) = sql::query_as("SELECT COUNT(*) FROM outbox WHERE status = 'failed'")
            .fetch_one(&self.pool)
            .await?;
        let (queued,): (i64,) =
            sql::query_as("SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND channel = 'operator'")
                .fetch_one(&self.pool)
                .await?;
        Ok(Stats {
            open,
            overdue,
            answered_today,
            median_first_answer_secs: median,
            failed_deliveries: failed,
            queued_for_desk: queued,
        })
    }
}

/// «the item's card is in the operators' group $2 (or in the group it was before Telegram moved
/// it), or no group was asked ($2 NULL)», for an
/// item of `kind` whose id is `table.column` in the query.
pub(super) fn in_group(kind: &str, table: &str, column: &str) -> String {
    format!(
        "(CAST($2 AS BIGINT) IS NULL OR EXISTS (SELECT 1 FROM desk_cards dc WHERE dc.item_kind = '{kind}' AND dc.item_id = {table}.{column}
           AND (dc.chat_id = $2 OR dc.chat_id IN (SELECT from_chat_id FROM chat_migrations WHERE to_chat_id = $2))))"
    )
}

/// A bot message in the operators' group belongs to this item: a reply to it answers the item.
pub(super) async fn map_message<'c>(
    conn: impl Into<sql::Exec<'c>>,
    chat_id: i64,
    message_id: i64,
    item: ItemRef,
) -> Result<()> {
    sql::query(
        "INSERT INTO desk_messages (chat_id, message_id, item_kind, item_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (chat_id, message_id) DO UPDATE SET item_kind = excluded.item_kind, item_id = excluded.item_id",
    )
    .bind(chat_id)
    .bind(message_id)
    .bind(item.kind.as_str())
    .bind(item.id)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Every message in the group that belongs to `item` (its card, files, events, notes).
    pub async fn desk_messages_of(&self, item: ItemRef) -> Result<Vec<(i64, i64)>> {
        Ok(sql::query_as(
            "SELECT chat_id, message_id FROM desk_messages WHERE item_kind = $1 AND item_id = $2 ORDER BY message_id",
        )
        .bind(item.kind.as_str())
        .bind(item.id)
        .fetch_all(&self.pool)
        .await?)
    }
}
