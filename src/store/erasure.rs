//! Erasure of a consumer's personal data: deletion (withdrawal of consent) and the back
//! office releasing a disputed login. What identifies someone is removed or blanked; what the
//! utility must keep stays, without identity.

use super::consumers::login_key;
use super::outbox::{self, OutboxMessage};
use super::sql;
use super::{Result, Store};
use chrono::{DateTime, Utc};

impl Store {
    /// Withdrawal of consent: every identifying value of the consumer erased (see `erase`),
    /// consent marked withdrawn, every chat signed out and told (`notices`), its dialogues
    /// dropped — in one transaction. The row stays, without identity, so the kept records (item
    /// numbers, statuses, dates, readings by meter) keep their owner id.
    pub async fn delete_consumer(&self, consumer_id: i64, notices: &[OutboxMessage], now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        erase(&mut tx, consumer_id, now).await?;
        sql::query("UPDATE consents SET withdrawn_at = $1 WHERE consumer_id = $2 AND withdrawn_at IS NULL")
            .bind(now)
            .bind(consumer_id)
            .execute(&mut tx)
            .await?;
        for n in notices {
            outbox::enqueue(&mut tx, n, now).await?;
        }
        tx.commit().await?;
        self.purge_freed_pages().await;
        Ok(())
    }

    /// Copies of erased pages left in SQLite's write-ahead log go with a checkpoint
    /// (`secure_delete` already zeroes them in the database file). Best effort: a reader holding
    /// the log keeps its pages until the next checkpoint. PostgreSQL's vacuum and WAL recycling
    /// are the database's own.
    pub async fn purge_freed_pages(&self) {
        if self.backend() == super::sql::Backend::Postgres {
            return;
        }
        if let Err(e) = sql::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await {
            tracing::warn!(error = %e, "checkpoint after an erasure failed");
        }
    }

    /// The back office frees a login that someone else holds: the holder's consumer loses its
    /// identity as on deletion, its chats are signed out and told; the release is audited.
    /// Returns false when no confirmed consumer holds the login.
    pub async fn release_login(
        &self,
        login: &str,
        reason: &str,
        notices: impl FnOnce(&[(i64, Option<String>)]) -> Vec<OutboxMessage>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let Some(acc) = self.confirmed_by_login(login).await? else {
            return Ok(false);
        };
        let chats = self.chats_of(acc.id).await?;
        let mut tx = self.pool.begin().await?;
        erase(&mut tx, acc.id, now).await?;
        sql::query(
            "INSERT INTO consumer_audit (at, action, login, consumer_id, reason) VALUES ($1, 'release', $2, $3, $4)",
        )
        .bind(now)
        .bind(login)
        .bind(acc.id)
        .bind(reason)
        .execute(&mut tx)
        .await?;
        for n in notices(&chats) {
            outbox::enqueue(&mut tx, &n, now).await?;
        }
        tx.commit().await?;
        self.purge_freed_pages().await;
        Ok(true)
    }
}

/// `erase`'s statements on the consumer's rows ($1 the consumer, $2 now).
const STEPS: &[&str] = &[
    "DELETE FROM email_codes WHERE consumer_id = $1",
    // Tickets: texts, fields, files.
    "DELETE FROM attachments WHERE owner_kind = 'ticket_message' AND owner_id IN
       (SELECT m.id FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.consumer_id = $1)",
    "UPDATE ticket_messages SET text = NULL WHERE ticket_id IN (SELECT id FROM tickets WHERE consumer_id = $1)",
    "UPDATE ticket_status_history SET note = NULL WHERE ticket_id IN (SELECT id FROM tickets WHERE consumer_id = $1)",
    "UPDATE tickets SET topic = '', fields = '{}' WHERE consumer_id = $1",
    // Connection applications: the applicant's copy, the form, additions, notes, files, drafts.
    "DELETE FROM attachments WHERE (owner_kind IN ('connection', 'connection_issued') AND owner_id IN
         (SELECT id FROM connection_applications WHERE consumer_id = $1))
       OR (owner_kind = 'connection_addition' AND owner_id IN
         (SELECT d.id FROM connection_additions d JOIN connection_applications a ON a.id = d.application_id
          WHERE a.consumer_id = $1))",
    "UPDATE connection_additions SET text = NULL WHERE application_id IN
       (SELECT id FROM connection_applications WHERE consumer_id = $1)",
    "UPDATE connection_status_history SET note = NULL WHERE application_id IN
       (SELECT id FROM connection_applications WHERE consumer_id = $1)",
    "UPDATE connection_applications SET object_name = '', fields = '{}', applicant = '{}' WHERE consumer_id = $1",
    "DELETE FROM connection_drafts WHERE consumer_id = $1",
    "DELETE FROM form_drafts WHERE consumer_id = $1",
    // Its personal accounts unlinked (the registry's accounts are the utility's), what it was told.
    "DELETE FROM account_links WHERE consumer_id = $1",
    "DELETE FROM bill_notices WHERE consumer_id = $1",
    "DELETE FROM outage_subscriptions WHERE consumer_id = $1",
    "DELETE FROM outage_notices WHERE consumer_id = $1",
    // Meters: where they are; requests' details and files; photos of readings.
    "DELETE FROM attachments WHERE owner_kind IN ('meter_request', 'meter_verification') AND owner_id IN
       (SELECT id FROM meter_requests WHERE consumer_id = $1)",
    "UPDATE meter_requests SET details = '{}', status_note = NULL WHERE consumer_id = $1",
    "UPDATE readings SET photo_file_id = NULL WHERE meter_id IN (SELECT id FROM meters WHERE consumer_id = $1)",
    "UPDATE meters SET address = '', place = '', model = NULL, archived_at = COALESCE(archived_at, $2),
            archived_by = COALESCE(archived_by, 'consumer')
     WHERE consumer_id = $1",
    // Its chats: dialogues dropped, signed out.
    "DELETE FROM dialogues WHERE chat_id IN (SELECT chat_id FROM chats WHERE consumer_id = $1)",
    "UPDATE chats SET consumer_id = NULL, linked_at = NULL WHERE consumer_id = $1",
    "UPDATE consumers SET status = 'deleted', login = NULL, name = NULL, email = NULL, phone = NULL,
            password_hash = NULL, failed_logins = 0, locked_until = NULL, deleted_at = $2
     WHERE id = $1",
];

/// Every identifying value of a consumer, in every table, removed or blanked: the consumer's
/// login, name, e-mail, phone and password; what its items say (texts, addresses, fields,
/// passport data, the applicant's copy, names of objects), their files, drafts, meters'
/// addresses and places, photos of readings, codes, letters and messages waiting or kept in
/// the outbox, and the dialogues of its chats, which are signed out. Kept without identity:
/// item numbers, kinds, statuses and their dates, meters (resource, serial, capacity,
/// verification date) with their readings, consents with their dates.
async fn erase(conn: &mut sql::Tx, consumer_id: i64, now: DateTime<Utc>) -> Result<()> {
    let (login,): (Option<String>,) = sql::query_as("SELECT login FROM consumers WHERE id = $1")
        .bind(consumer_id)
        .fetch_one(&mut *conn)
        .await?;
    if let Some(login) = login {
        // The lock-out counters of the login (keyed by its hash).
        sql::query("DELETE FROM rate_events WHERE key LIKE $1")
            .bind(format!("pw:{}:%", login_key(&login)))
            .execute(&mut *conn)
            .await?;
    }
    forget_in_group(&mut *conn, consumer_id, now).await?;
    // Letters to any address the consumer had, and messages to its chats: blanked. The one
    // step that reads inside the stored JSON, which each database spells its own way.
    sql::query(conn.backend().pick(
        "UPDATE outbox SET payload = '{}', last_error = NULL,
                status = CASE status WHEN 'pending' THEN 'failed' ELSE status END,
                done_at = COALESCE(done_at, $2)
         WHERE (channel = 'email' AND json_extract(payload, '$.to') IN
                  (SELECT email FROM consumers WHERE id = $1 UNION SELECT email FROM email_codes WHERE consumer_id = $1))
            OR (channel = 'telegram' AND json_extract(payload, '$.chat_id') IN
                  (SELECT chat_id FROM chats WHERE consumer_id = $1))",
        "UPDATE outbox SET payload = '{}', last_error = NULL,
                status = CASE status WHEN 'pending' THEN 'failed' ELSE status END,
                done_at = COALESCE(done_at, $2)
         WHERE (channel = 'email' AND payload::jsonb ->> 'to' IN
                  (SELECT email FROM consumers WHERE id = $1 UNION SELECT email FROM email_codes WHERE consumer_id = $1))
            OR (channel = 'telegram' AND CAST(payload::jsonb ->> 'chat_id' AS BIGINT) IN
                  (SELECT chat_id FROM chats WHERE consumer_id = $1))",
    ))
    .bind(consumer_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for step in STEPS {
        let uses_now = step.contains("$2");
        let q = sql::query(*step).bind(consumer_id);
        let q = if uses_now { q.bind(now) } else { q };
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// What the operators' group was shown of the consumer's items goes too: an event per item
/// for the outbox worker, which edits those messages and deletes the files posted there.
async fn forget_in_group(conn: &mut sql::Tx, consumer_id: i64, now: DateTime<Utc>) -> Result<()> {
    let shown: Vec<(String, i64)> = sql::query_as(
        "SELECT DISTINCT item_kind, item_id FROM desk_messages
         WHERE (item_kind = 'ticket' AND item_id IN (SELECT id FROM tickets WHERE consumer_id = $1))
            OR (item_kind = 'connection' AND item_id IN (SELECT id FROM connection_applications WHERE consumer_id = $1))
            OR (item_kind = 'meter_request' AND item_id IN (SELECT id FROM meter_requests WHERE consumer_id = $1))
            OR (item_kind = 'meter' AND item_id IN (SELECT id FROM meters WHERE consumer_id = $1))",
    )
    .bind(consumer_id)
    .fetch_all(&mut *conn)
    .await?;
    for (kind, id) in shown {
        let Some(item) = crate::domain::items::DeskTarget::from_str_opt(&kind) else {
            continue;
        };
        let out = OutboxMessage::Operator {
            item,
            id,
            event: crate::domain::items::DeskEvent::Erased,
            about: None,
            to: None,
        };
        outbox::enqueue(&mut *conn, &out, now).await?;
    }
    // An outage's card listing its appeals is drawn again without what they said.
    let grouped: Vec<i64> =
        sql::query_scalar("SELECT DISTINCT outage_id FROM tickets WHERE consumer_id = $1 AND outage_id IS NOT NULL")
            .bind(consumer_id)
            .fetch_all(&mut *conn)
            .await?;
    for outage in grouped {
        let out = OutboxMessage::Operator {
            item: crate::domain::items::DeskTarget::Outage,
            id: outage,
            event: crate::domain::items::DeskEvent::New,
            about: None,
            to: None,
        };
        outbox::enqueue(&mut *conn, &out, now).await?;
    }
    Ok(())
}
