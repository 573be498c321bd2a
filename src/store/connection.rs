//! Technological connection applications: filing (with the draft removed in the same
//! transaction), lists by object name, the card's history, additions, documents issued.

use super::finish::{self, Filed, Finish, FinishFor};
use super::meters::{FileRef, insert_attachments, next_number};
use super::outbox::{self, OutboxMessage};
use super::sql;
use super::tickets::{Attachment, DeliveredFile, insert_delivered};
use super::{Result, Store};
use crate::domain::connection::ConnKind;
use crate::domain::items::{ConnStatus, DeskEvent, DeskTarget, FileOwner};
use chrono::{DateTime, Utc};

/// Connection applications, and drafts of one (a draft is content: the section is where it
/// is continued).
pub const CONNECTION: super::menu::Count = super::menu::Count(
    "SELECT (SELECT COUNT(*) FROM connection_applications WHERE consumer_id = $1)
          + (SELECT COUNT(*) FROM connection_drafts WHERE consumer_id = $1)",
);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Application {
    pub id: i64,
    pub number: String,
    pub kind: ConnKind,
    pub object_name: String,
    pub status: ConnStatus,
    pub fields: String,
    pub created_at: DateTime<Utc>,
}

/// A file with what it belongs to.
#[derive(sqlx::FromRow)]
struct Owned {
    label: FileOwner,
    #[sqlx(flatten)]
    file: Attachment,
}

/// A file with the number of its application.
#[derive(sqlx::FromRow)]
struct Labelled {
    label: String,
    #[sqlx(flatten)]
    file: Attachment,
}

const APP_COLUMNS: &str = "id, number, kind, object_name, status, fields, created_at";

pub struct NewApplication<'a> {
    pub consumer_id: i64,
    pub kind: ConnKind,
    pub object_name: &'a str,
    pub fields: &'a serde_json::Value,
    pub applicant: &'a serde_json::Value,
    pub files: &'a [FileRef],
}

impl Store {
    pub async fn save_draft(
        &self,
        consumer_id: i64,
        kind: ConnKind,
        form: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sql::query(
            "INSERT INTO connection_drafts (consumer_id, kind, form, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (consumer_id, kind) DO UPDATE SET form = excluded.form, updated_at = excluded.updated_at",
        )
        .bind(consumer_id)
        .bind(kind.as_str())
        .bind(form.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn draft(&self, consumer_id: i64, kind: ConnKind) -> Result<Option<serde_json::Value>> {
        let row: Option<(String,)> =
            sql::query_as("SELECT form FROM connection_drafts WHERE consumer_id = $1 AND kind = $2")
                .bind(consumer_id)
                .bind(kind.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(j,)| serde_json::from_str(&j).ok()))
    }

    /// The kinds the consumer has a draft of.
    pub async fn draft_kinds(&self, consumer_id: i64) -> Result<Vec<ConnKind>> {
        Ok(
            sql::query_scalar("SELECT kind FROM connection_drafts WHERE consumer_id = $1 ORDER BY kind")
                .bind(consumer_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn delete_draft(&self, consumer_id: i64, kind: ConnKind) -> Result<()> {
        sql::query("DELETE FROM connection_drafts WHERE consumer_id = $1 AND kind = $2")
            .bind(consumer_id)
            .bind(kind.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn create_application(
        &self,
        a: &NewApplication<'_>,
        now: DateTime<Utc>,
        finish: Option<FinishFor<'_>>,
    ) -> Result<Filed> {
        let mut tx = self.pool.begin().await?;
        let number = next_number(&mut tx, a.kind.prefix(), chrono::Datelike::year(&now)).await?;
        let id = sql::query_scalar::<i64>(
            "INSERT INTO connection_applications (number, consumer_id, kind, object_name, fields, applicant, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&number)
        .bind(a.consumer_id)
        .bind(a.kind.as_str())
        .bind(a.object_name)
        .bind(a.fields.to_string())
        .bind(a.applicant.to_string())
        .bind(now)
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        insert_attachments(&mut tx, FileOwner::Connection, id, a.files, now).await?;
        status_row(&mut tx, id, ConnStatus::Submitted, None, now).await?;
        sql::query("DELETE FROM connection_drafts WHERE consumer_id = $1 AND kind = $2")
            .bind(a.consumer_id)
            .bind(a.kind.as_str())
            .execute(&mut tx)
            .await?;
        finish::file_new(tx, DeskTarget::Connection, (id, number), finish, now).await
    }

    pub async fn application_count(&self, consumer_id: i64) -> Result<Vec<(ConnKind, i64)>> {
        Ok(
            sql::query_as("SELECT kind, COUNT(*) FROM connection_applications WHERE consumer_id = $1 GROUP BY kind")
                .bind(consumer_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// A page of the consumer's applications of a kind, by object name; and whether more follow.
    pub async fn applications_of(
        &self,
        consumer_id: i64,
        kind: ConnKind,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<Application>, bool)> {
        let mut rows: Vec<Application> = sql::query_as(format!(
            "SELECT {APP_COLUMNS} FROM connection_applications WHERE consumer_id = $1 AND kind = $2
             ORDER BY object_name, id LIMIT $3 OFFSET $4"
        ))
        .bind(consumer_id)
        .bind(kind.as_str())
        .bind(per_page + 1)
        .bind(page * per_page)
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() as i64 > per_page;
        rows.truncate(per_page as usize);
        Ok((rows, more))
    }

    pub async fn application(&self, consumer_id: i64, id: i64) -> Result<Option<Application>> {
        Ok(sql::query_as(format!(
            "SELECT {APP_COLUMNS} FROM connection_applications WHERE id = $1 AND consumer_id = $2"
        ))
        .bind(id)
        .bind(consumer_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn application_history(&self, id: i64) -> Result<Vec<(ConnStatus, Option<String>, DateTime<Utc>)>> {
        Ok(sql::query_as(
            "SELECT status, note, at FROM connection_status_history WHERE application_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Files of an application: what the person attached (`connection`, `connection_addition`)
    /// and what the utility issued (`connection_issued`), as (owner kind, file).
    pub async fn application_files(&self, id: i64) -> Result<Vec<(FileOwner, Attachment)>> {
        let rows: Vec<Owned> = sql::query_as(
            "SELECT a.owner_kind AS label, a.id, a.owner_id, a.file_id, a.name, a.mime, NULL AS content FROM attachments a
             WHERE (a.owner_kind IN ('connection', 'connection_issued') AND a.owner_id = $1)
                OR (a.owner_kind = 'connection_addition'
                    AND a.owner_id IN (SELECT id FROM connection_additions WHERE application_id = $2))
             ORDER BY a.id",
        )
        .bind(id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.label, r.file)).collect())
    }

    /// A file of one of the consumer's applications (with its stored bytes), or nothing.
    pub async fn application_file(&self, consumer_id: i64, attachment_id: i64) -> Result<Option<Attachment>> {
        Ok(sql::query_as(
            "SELECT a.id, a.owner_id, a.file_id, a.name, a.mime, a.content FROM attachments a
             WHERE a.id = $1 AND (
               (a.owner_kind IN ('connection', 'connection_issued')
                AND a.owner_id IN (SELECT id FROM connection_applications WHERE consumer_id = $2))
               OR (a.owner_kind = 'connection_addition' AND a.owner_id IN
                   (SELECT d.id FROM connection_additions d JOIN connection_applications c ON c.id = d.application_id
                    WHERE c.consumer_id = $3)))",
        )
        .bind(attachment_id)
        .bind(consumer_id)
        .bind(consumer_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// «Дополнить заявку»: allowed until the application is connected or rejected.
    pub async fn add_to_application(
        &self,
        consumer_id: i64,
        id: i64,
        text: Option<&str>,
        files: &[FileRef],
        now: DateTime<Utc>,
        finish: Option<&Finish>,
    ) -> Result<Option<Vec<i64>>> {
        let mut tx = self.pool.begin().await?;
        let found: Option<(i32,)> = sql::query_as(
            "SELECT 1 FROM connection_applications WHERE id = $1 AND consumer_id = $2 AND status NOT IN ('connected', 'rejected')",
        )
        .bind(id)
        .bind(consumer_id)
        .fetch_optional(&mut tx)
        .await?;
        if found.is_none() {
            return Ok(None);
        }
        let add = sql::query_scalar::<i64>(
            "INSERT INTO connection_additions (application_id, text, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(id)
        .bind(text)
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        insert_attachments(&mut tx, FileOwner::ConnectionAddition, add, files, now).await?;
        sql::query("UPDATE connection_applications SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut tx)
            .await?;
        let replies = finish::tell_desk_and_commit(
            tx,
            DeskTarget::Connection,
            id,
            (DeskEvent::Addition, Some(add)),
            finish,
            now,
        )
        .await?;
        Ok(Some(replies))
    }

    /// The utility's decision, as the operators' desk writes it: status, note, issued files.
    pub async fn set_application_status(
        &self,
        id: i64,
        status: ConnStatus,
        note: Option<&str>,
        issued: &[DeliveredFile<'_>],
        notices: &[OutboxMessage],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for n in notices {
            outbox::enqueue(&mut tx, n, now).await?;
        }
        sql::query("UPDATE connection_applications SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status)
            .bind(now)
            .bind(id)
            .execute(&mut tx)
            .await?;
        status_row(&mut tx, id, status, note, now).await?;
        insert_delivered(&mut tx, FileOwner::ConnectionIssued, id, issued, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The text of the latest «Дополнить заявку», for the operators.
    /// The text of the addition `addition` to application `id`, or of its latest when `None`;
    /// with the addition's id.
    pub async fn addition_text(&self, id: i64, addition: Option<i64>) -> Result<Option<(i64, Option<String>)>> {
        Ok(sql::query_as(
            "SELECT id, text FROM connection_additions WHERE application_id = $1 AND ($2 IS NULL OR id = $3)
             ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .bind(addition)
        .bind(addition)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Documents issued on connection applications, for «Документы».
    pub async fn issued_documents(&self, consumer_id: i64) -> Result<Vec<(String, Attachment)>> {
        let rows: Vec<Labelled> = sql::query_as(
            "SELECT c.number AS label, a.id, a.owner_id, a.file_id, a.name, a.mime, NULL AS content FROM attachments a
             JOIN connection_applications c ON c.id = a.owner_id
             WHERE a.owner_kind = 'connection_issued' AND c.consumer_id = $1 ORDER BY a.id",
        )
        .bind(consumer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.label, r.file)).collect())
    }
}

async fn status_row(
    conn: &mut sql::Tx,
    id: i64,
    status: ConnStatus,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    sql::query("INSERT INTO connection_status_history (application_id, status, note, at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(status)
        .bind(note)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Applications as the operators' desk reaches them: by id, every consumer's.
impl Store {
    pub async fn application_by_id(&self, id: i64) -> Result<Option<(i64, super::connection::Application)>> {
        let consumer: Option<(i64,)> = sql::query_as("SELECT consumer_id FROM connection_applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match consumer {
            Some((a,)) => Ok(self.application(a, id).await?.map(|app| (a, app))),
            None => Ok(None),
        }
    }
}
