//! The operators' short forms in their group (`desk_forms`): one per operator and group, its
//! answers as JSON (the bot's to read), the message whose reply is the next answer. What a form
//! ends in (an outage published, extended, an announcement sent) deletes the form in the same
//! transaction: a second press of «Опубликовать» finds nothing and does nothing.

use super::outbox::{self, OutboxMessage};
use super::sql;
use super::{Result, Store};
use crate::domain::meters::Resource;
use crate::domain::outages::NewOutage;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FormRow {
    pub id: i64,
    pub chat_id: i64,
    pub operator_id: i64,
    pub data: String,
    pub prompt_message_id: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, chat_id, operator_id, data, prompt_message_id, updated_at";

/// Deletes the form in the caller's transaction; false when it was gone already.
async fn take(tx: &mut sql::Tx, form: i64) -> Result<bool> {
    let n = sql::query("DELETE FROM desk_forms WHERE id = $1")
        .bind(form)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    Ok(n > 0)
}

impl Store {
    /// A new form of the operator's in the group, replacing one left unfinished there.
    pub async fn start_form(&self, chat: i64, operator: i64, data: &str, now: DateTime<Utc>) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        sql::query("DELETE FROM desk_forms WHERE chat_id = $1 AND operator_id = $2")
            .bind(chat)
            .bind(operator)
            .execute(&mut tx)
            .await?;
        let id = sql::query_scalar(
            "INSERT INTO desk_forms (chat_id, operator_id, data, updated_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(chat)
        .bind(operator)
        .bind(data)
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn form(&self, id: i64) -> Result<Option<FormRow>> {
        Ok(sql::query_as(format!("SELECT {COLUMNS} FROM desk_forms WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The operator's form in the group, if one is being filled.
    pub async fn operator_form(&self, chat: i64, operator: i64) -> Result<Option<FormRow>> {
        Ok(sql::query_as(format!(
            "SELECT {COLUMNS} FROM desk_forms WHERE chat_id = $1 AND operator_id = $2"
        ))
        .bind(chat)
        .bind(operator)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The answers so far; false when the form is gone (published or cancelled meanwhile).
    pub async fn update_form(&self, id: i64, data: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = sql::query("UPDATE desk_forms SET data = $1, updated_at = $2 WHERE id = $3")
            .bind(data)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// The message whose reply is the form's next answer (None: one is being posted).
    pub async fn set_form_prompt(&self, id: i64, message: Option<i64>) -> Result<()> {
        sql::query("UPDATE desk_forms SET prompt_message_id = $1 WHERE id = $2")
            .bind(message)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Cancelled; false when it was gone already.
    pub async fn drop_form(&self, id: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let taken = take(&mut tx, id).await?;
        tx.commit().await?;
        Ok(taken)
    }

    /// Forms left unfinished for a day go (run with the maintenance).
    pub async fn prune_forms(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(sql::query("DELETE FROM desk_forms WHERE updated_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// The form's outage published: its number, or None when the form was published (or
    /// cancelled) already.
    pub async fn publish_outage(&self, form: i64, o: &NewOutage, now: DateTime<Utc>) -> Result<Option<String>> {
        let mut tx = self.pool.begin().await?;
        if !take(&mut tx, form).await? {
            return Ok(None);
        }
        let number = super::outages::insert(&mut tx, o, now).await?;
        tx.commit().await?;
        Ok(Some(number))
    }

    /// The form's extension: None when the form is gone, Some(false) when the outage was
    /// closed meanwhile.
    pub async fn extend_by_form(&self, form: i64, outage: i64, ends_at: DateTime<Utc>) -> Result<Option<bool>> {
        let mut tx = self.pool.begin().await?;
        if !take(&mut tx, form).await? {
            return Ok(None);
        }
        let n = sql::query(
            "UPDATE outages SET ends_at = $1, version = version + 1, last_change = 'extended'
             WHERE id = $2 AND closed_at IS NULL",
        )
        .bind(ends_at)
        .bind(outage)
        .execute(&mut tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(Some(n > 0))
    }

    /// The form's new note for consumers: None when the form is gone, Some(false) when the
    /// outage was closed meanwhile.
    pub async fn note_by_form(&self, form: i64, outage: i64, note: &str) -> Result<Option<bool>> {
        let mut tx = self.pool.begin().await?;
        if !take(&mut tx, form).await? {
            return Ok(None);
        }
        let n = sql::query("UPDATE outages SET reason = $1 WHERE id = $2 AND closed_at IS NULL")
            .bind(note)
            .bind(outage)
            .execute(&mut tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Some(n > 0))
    }

    /// The chats an announcement goes to (with their language): of confirmed consumers who
    /// did not turn news off, every one or those with a meter of `resource`.
    pub async fn news_chats(&self, resource: Option<Resource>) -> Result<Vec<(i64, Option<String>)>> {
        let of = if resource.is_some() {
            "AND EXISTS (SELECT 1 FROM meters m WHERE m.consumer_id = c.id AND m.resource = $1
                         AND m.archived_at IS NULL)"
        } else {
            "AND CAST($1 AS TEXT) IS NULL"
        };
        Ok(sql::query_as(format!(
            "SELECT ch.chat_id, ch.locale FROM chats ch JOIN consumers c ON c.id = ch.consumer_id
             WHERE ch.blocked_at IS NULL AND c.status = 'confirmed' AND c.notify_news {of}
             ORDER BY ch.chat_id"
        ))
        .bind(resource.map(Resource::as_str))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The form's announcement recorded and its messages queued: how many, or None when the
    /// form was sent (or cancelled) already.
    pub async fn send_announcement(
        &self,
        form: i64,
        operator: i64,
        resource: Option<Resource>,
        text: &str,
        messages: &[OutboxMessage],
        now: DateTime<Utc>,
    ) -> Result<Option<usize>> {
        let mut tx = self.pool.begin().await?;
        if !take(&mut tx, form).await? {
            return Ok(None);
        }
        sql::query(
            "INSERT INTO announcements (resource, text, operator_id, messages, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(resource.map(Resource::as_str))
        .bind(text)
        .bind(operator)
        .bind(messages.len() as i64)
        .bind(now)
        .execute(&mut tx)
        .await?;
        for m in messages {
            outbox::enqueue_bulk(&mut tx, m, now).await?;
        }
        tx.commit().await?;
        Ok(Some(messages.len()))
    }
}
