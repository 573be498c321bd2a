//! Tickets: appeals, complaints, requests and document requests, with their conversation,
//! status history and files. Queries that take an id from a button also take the caller's
//! consumer id.

use super::finish::{self, Filed, Finish, FinishFor};
use super::meters::{FileRef, insert_attachments, next_number};
use super::outbox::{self, OutboxMessage};
use super::sql;
use super::{Result, Store};
use crate::domain::items::{Author, DeskEvent, DeskTarget, FileOwner};
use crate::domain::tickets::{TicketKind, TicketStatus};
use chrono::{DateTime, Utc};

/// Appeals and complaints.
pub const APPEALS: super::menu::Count =
    super::menu::Count("SELECT COUNT(*) FROM tickets WHERE consumer_id = $1 AND kind IN ('appeal', 'complaint')");

/// Requests.
pub const REQUESTS: super::menu::Count =
    super::menu::Count("SELECT COUNT(*) FROM tickets WHERE consumer_id = $1 AND kind = 'request'");

/// Documents: the copies asked for and those issued on connection applications.
pub const DOCUMENTS: super::menu::Count = super::menu::Count(
    "SELECT (SELECT COUNT(*) FROM tickets WHERE consumer_id = $1 AND kind = 'document')
          + (SELECT COUNT(*) FROM attachments a JOIN connection_applications c ON c.id = a.owner_id
              WHERE a.owner_kind = 'connection_issued' AND c.consumer_id = $1)",
);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Ticket {
    pub id: i64,
    pub number: String,
    pub kind: TicketKind,
    pub consumer_id: i64,
    pub status: TicketStatus,
    pub topic: String,
    pub fields: String,
    pub email_copy: bool,
    pub deadline: DateTime<Utc>,
    pub unread_for_user: bool,
    pub created_at: DateTime<Utc>,
    /// Why the desk closed it (none while open, or when the consumer closed it).
    pub close_reason: Option<crate::domain::items::CloseReason>,
    /// The consumer's rating (1 to 5) and comment.
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
}

impl Ticket {
    pub fn fields(&self) -> serde_json::Value {
        serde_json::from_str(&self.fields).unwrap_or_default()
    }
}

const TICKET_COLUMNS: &str = "id, number, kind, consumer_id, status, topic, fields, email_copy, deadline, unread_for_user, created_at, close_reason, rating, rating_comment";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketMessage {
    pub id: i64,
    pub author: Author,
    pub text: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attachment {
    pub id: i64,
    pub owner_id: i64,
    pub file_id: String,
    pub name: Option<String>,
    pub mime: Option<String>,
    pub content: Option<Vec<u8>>,
}

/// A ticket as the person filed it.
pub struct NewTicket<'a> {
    pub consumer_id: i64,
    pub kind: TicketKind,
    pub topic: &'a str,
    pub fields: &'a serde_json::Value,
    pub text: Option<&'a str>,
    pub files: &'a [FileRef],
    pub email_copy: bool,
    pub deadline: DateTime<Utc>,
    /// The outage it is grouped with (on the outages' topic, at an address inside it).
    pub outage_id: Option<i64>,
}

/// A delivered file: Telegram's id and, when the desk has it, the bytes.
pub struct DeliveredFile<'a> {
    pub file: FileRef,
    pub content: Option<&'a [u8]>,
}

/// Files the desk delivered, kept for `owner` with their bytes when it has them.
pub(super) async fn insert_delivered(
    conn: &mut sql::Tx,
    owner: FileOwner,
    owner_id: i64,
    files: &[DeliveredFile<'_>],
    now: DateTime<Utc>,
) -> Result<()> {
    for f in files {
        sql::query(
            "INSERT INTO attachments (owner_kind, owner_id, file_id, file_unique_id, name, mime, size, created_at, content)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(owner)
        .bind(owner_id)
        .bind(&f.file.file_id)
        .bind(&f.file.file_unique_id)
        .bind(&f.file.name)
        .bind(&f.file.mime)
        .bind(f.file.size)
        .bind(now)
        .bind(f.content)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// What the person adds to a ticket: «Дополнить», or «Не решено» (`reopen`).
#[derive(Debug, Clone, Copy)]
pub struct UserMessage<'a> {
    pub text: Option<&'a str>,
    pub files: &'a [FileRef],
    pub reopen: bool,
}

impl Store {
    /// Number, ticket, first message, files, history and the operators' outbox row: one
    /// transaction.
    pub async fn create_ticket(
        &self,
        t: &NewTicket<'_>,
        now: DateTime<Utc>,
        finish: Option<FinishFor<'_>>,
    ) -> Result<Filed> {
        let mut tx = self.pool.begin().await?;
        let number = next_number(&mut tx, t.kind.prefix(), chrono::Datelike::year(&now)).await?;
        let id = sql::query_scalar::<i64>(
            "INSERT INTO tickets (number, kind, consumer_id, topic, fields, email_copy, deadline, created_at, updated_at, outage_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&number)
        .bind(t.kind.as_str())
        .bind(t.consumer_id)
        .bind(t.topic)
        .bind(t.fields.to_string())
        .bind(t.email_copy)
        .bind(t.deadline)
        .bind(now)
        .bind(now)
        .bind(t.outage_id)
        .fetch_one(&mut tx)
        .await?;
        let msg = insert_message(&mut tx, id, Author::User, None, t.text, now).await?;
        insert_attachments(&mut tx, FileOwner::TicketMessage, msg, t.files, now).await?;
        history(&mut tx, id, TicketStatus::New, None, now).await?;
        match t.outage_id {
            None => finish::file_new(tx, DeskTarget::Ticket, (id, number), finish, now).await,
            // Grouped: the outage's card is told of it, with no card of its own.
            Some(outage) => {
                let end = finish.map(|f| f(id, &number));
                let event = (DeskEvent::New, Some(id));
                let replies =
                    finish::tell_desk_and_commit(tx, DeskTarget::Outage, outage, event, end.as_ref(), now).await?;
                Ok(Filed { id, number, replies })
            }
        }
    }

    /// What routes a ticket to a department: its kind, its topic, and whether it is a question
    /// about an account's bill («Вопрос по начислению»).
    pub async fn ticket_route(&self, ticket_id: i64) -> Result<Option<(TicketKind, String, bool)>> {
        let row: Option<(TicketKind, String, String)> =
            sql::query_as("SELECT kind, topic, fields FROM tickets WHERE id = $1")
                .bind(ticket_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(kind, topic, fields)| {
            let billing = serde_json::from_str::<serde_json::Value>(&fields)
                .ok()
                .and_then(|f| f.get("bill_question").and_then(serde_json::Value::as_bool))
                .unwrap_or(false);
            (kind, topic, billing)
        }))
    }

    pub async fn ticket(&self, consumer_id: i64, ticket_id: i64) -> Result<Option<Ticket>> {
        Ok(sql::query_as(format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1 AND consumer_id = $2"
        ))
        .bind(ticket_id)
        .bind(consumer_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A page of the consumer's tickets of these kinds, newest first, and whether more follow.
    pub async fn tickets_of(
        &self,
        consumer_id: i64,
        kinds: &[TicketKind],
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<Ticket>, bool)> {
        let n = kinds.len();
        let placeholders: Vec<String> = (2..n + 2).map(|i| format!("${i}")).collect();
        let placeholders = placeholders.join(", ");
        let (limit, offset) = (n + 2, n + 3);
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE consumer_id = $1 AND kind IN ({placeholders})
             ORDER BY id DESC LIMIT ${limit} OFFSET ${offset}"
        );
        let mut q = sql::query_as(sql).bind(consumer_id);
        for k in kinds {
            q = q.bind(k.as_str());
        }
        let mut rows: Vec<Ticket> = q.bind(per_page + 1).bind(page * per_page).fetch_all(&self.pool).await?;
        let more = rows.len() as i64 > per_page;
        rows.truncate(per_page as usize);
        Ok((rows, more))
    }

    pub async fn ticket_messages(&self, ticket_id: i64) -> Result<Vec<TicketMessage>> {
        Ok(
            sql::query_as("SELECT id, author, text, created_at FROM ticket_messages WHERE ticket_id = $1 ORDER BY id")
                .bind(ticket_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The files of a ticket's messages, by message.
    pub async fn ticket_files(&self, ticket_id: i64) -> Result<Vec<Attachment>> {
        Ok(sql::query_as(
            "SELECT a.id, a.owner_id, a.file_id, a.name, a.mime, NULL AS content FROM attachments a
             JOIN ticket_messages m ON m.id = a.owner_id
             WHERE a.owner_kind = 'ticket_message' AND m.ticket_id = $1 ORDER BY a.id",
        )
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A file of one of the consumer's tickets (with its stored bytes), or nothing.
    pub async fn ticket_file(&self, consumer_id: i64, attachment_id: i64) -> Result<Option<Attachment>> {
        Ok(sql::query_as(
            "SELECT a.id, a.owner_id, a.file_id, a.name, a.mime, a.content FROM attachments a
             JOIN ticket_messages m ON m.id = a.owner_id JOIN tickets t ON t.id = m.ticket_id
             WHERE a.id = $1 AND a.owner_kind = 'ticket_message' AND t.consumer_id = $2",
        )
        .bind(attachment_id)
        .bind(consumer_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn mark_ticket_read(&self, ticket_id: i64) -> Result<()> {
        sql::query("UPDATE tickets SET unread_for_user = FALSE WHERE id = $1")
            .bind(ticket_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// «Дополнить» or «Не решено»: the person's message, and for a reopening the new status;
    /// the operators are told through the outbox.
    pub async fn add_user_message(
        &self,
        consumer_id: i64,
        ticket_id: i64,
        m: &UserMessage<'_>,
        now: DateTime<Utc>,
        finish: Option<&Finish>,
    ) -> Result<Option<Vec<i64>>> {
        let UserMessage { text, files, reopen } = *m;
        let mut tx = self.pool.begin().await?;
        let found: Option<(TicketStatus,)> =
            sql::query_as("SELECT status FROM tickets WHERE id = $1 AND consumer_id = $2")
                .bind(ticket_id)
                .bind(consumer_id)
                .fetch_optional(&mut tx)
                .await?;
        let Some((status,)) = found else { return Ok(None) };
        if (reopen && !status.can_reopen()) || (!reopen && !status.is_open()) {
            return Ok(None);
        }
        let msg = insert_message(&mut tx, ticket_id, Author::User, None, text, now).await?;
        insert_attachments(&mut tx, FileOwner::TicketMessage, msg, files, now).await?;
        if reopen {
            set_status(&mut tx, ticket_id, TicketStatus::Reopened, text, now).await?;
        } else {
            touch(&mut tx, ticket_id, now).await?;
        }
        let event = if reopen {
            DeskEvent::Reopened
        } else {
            DeskEvent::FollowUp
        };
        let replies =
            finish::tell_desk_and_commit(tx, DeskTarget::Ticket, ticket_id, (event, Some(msg)), finish, now).await?;
        Ok(Some(replies))
    }

    /// «Вопрос решён».
    pub async fn close_ticket(
        &self,
        consumer_id: i64,
        ticket_id: i64,
        now: DateTime<Utc>,
        finish: Option<&Finish>,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let found: Option<(i32,)> =
            sql::query_as("SELECT 1 FROM tickets WHERE id = $1 AND consumer_id = $2 AND status <> 'closed'")
                .bind(ticket_id)
                .bind(consumer_id)
                .fetch_optional(&mut tx)
                .await?;
        if found.is_none() {
            return Ok(false);
        }
        set_status(&mut tx, ticket_id, TicketStatus::Closed, None, now).await?;
        finish::tell_desk_and_commit(
            tx,
            DeskTarget::Ticket,
            ticket_id,
            (DeskEvent::Closed, None),
            finish,
            now,
        )
        .await?;
        Ok(true)
    }

    /// The operators' answer, as the desk writes it: message, files (with their bytes when
    /// the desk downloaded them), status «answered», unread for the person.
    pub async fn add_operator_answer(
        &self,
        ticket_id: i64,
        operator_id: i64,
        text: Option<&str>,
        files: &[DeliveredFile<'_>],
        notices: &[OutboxMessage],
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        for n in notices {
            outbox::enqueue(&mut tx, n, now).await?;
        }
        sql::query("UPDATE tickets SET first_answer_at = COALESCE(first_answer_at, $1) WHERE id = $2")
            .bind(now)
            .bind(ticket_id)
            .execute(&mut tx)
            .await?;
        let msg = insert_message(&mut tx, ticket_id, Author::Operator, Some(operator_id), text, now).await?;
        insert_delivered(&mut tx, FileOwner::TicketMessage, msg, files, now).await?;
        set_status(&mut tx, ticket_id, TicketStatus::Answered, None, now).await?;
        sql::query("UPDATE tickets SET unread_for_user = TRUE WHERE id = $1")
            .bind(ticket_id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(msg)
    }
}

async fn insert_message(
    conn: &mut sql::Tx,
    ticket_id: i64,
    author: Author,
    operator_id: Option<i64>,
    text: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(sql::query_scalar::<i64>(
        "INSERT INTO ticket_messages (ticket_id, author, operator_id, text, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(ticket_id)
    .bind(author)
    .bind(operator_id)
    .bind(text)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

async fn history(
    conn: &mut sql::Tx,
    ticket_id: i64,
    status: TicketStatus,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    sql::query("INSERT INTO ticket_status_history (ticket_id, status, note, at) VALUES ($1, $2, $3, $4)")
        .bind(ticket_id)
        .bind(status.as_str())
        .bind(note)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

async fn touch(conn: &mut sql::Tx, ticket_id: i64, now: DateTime<Utc>) -> Result<()> {
    sql::query("UPDATE tickets SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(ticket_id)
        .execute(conn)
        .await?;
    Ok(())
}

async fn set_status(
    conn: &mut sql::Tx,
    ticket_id: i64,
    status: TicketStatus,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    // A reason is the desk's closing's alone: any other change of status clears it.
    sql::query("UPDATE tickets SET status = $1, updated_at = $2, close_reason = NULL WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(ticket_id)
        .execute(&mut *conn)
        .await?;
    history(conn, ticket_id, status, note, now).await
}

/// Tickets as the operators' desk reaches them: by id, every consumer's.
impl Store {
    pub async fn ticket_by_id(&self, id: i64) -> Result<Option<super::tickets::Ticket>> {
        let consumer: Option<(i64,)> = sql::query_as("SELECT consumer_id FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match consumer {
            Some((a,)) => self.ticket(a, id).await,
            None => Ok(None),
        }
    }
    /// A ticket taken into work or closed by the desk, with the person's notices.
    pub async fn set_ticket_status_by_desk(
        &self,
        id: i64,
        status: crate::domain::tickets::TicketStatus,
        notices: &[super::outbox::OutboxMessage],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sql::query("UPDATE tickets SET status = $1, updated_at = $2, close_reason = NULL WHERE id = $3")
            .bind(status.as_str())
            .bind(now)
            .bind(id)
            .execute(&mut tx)
            .await?;
        sql::query("INSERT INTO ticket_status_history (ticket_id, status, at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(status.as_str())
            .bind(now)
            .execute(&mut tx)
            .await?;
        for n in notices {
            super::outbox::enqueue(&mut tx, n, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// The desk closes a ticket with a reason and, if the operator wrote one, an explanation
    /// (a message of the ticket, with its files), the consumer told: one transaction. A ticket
    /// closed already is left as it is (false).
    #[allow(clippy::too_many_arguments)]
    pub async fn close_ticket_by_desk(
        &self,
        id: i64,
        operator_id: i64,
        reason: crate::domain::items::CloseReason,
        text: Option<&str>,
        files: &[DeliveredFile<'_>],
        notices: &[OutboxMessage],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let closed = TicketStatus::Closed.as_str();
        let mut tx = self.pool.begin().await?;
        let changed = sql::query(
            "UPDATE tickets SET status = $1, close_reason = $2, updated_at = $3, unread_for_user = TRUE
             WHERE id = $4 AND status <> $5",
        )
        .bind(closed)
        .bind(reason.as_str())
        .bind(now)
        .bind(id)
        .bind(closed)
        .execute(&mut tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        history(&mut tx, id, TicketStatus::Closed, Some(reason.as_str()), now).await?;
        if text.is_some() || !files.is_empty() {
            let msg = insert_message(&mut tx, id, Author::Operator, Some(operator_id), text, now).await?;
            insert_delivered(&mut tx, FileOwner::TicketMessage, msg, files, now).await?;
        }
        for n in notices {
            outbox::enqueue(&mut tx, n, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
