//! «Это мой номер»: someone says a login that a confirmed consumer holds is theirs. The dispute
//! goes to the operators' group; the back office checks and may release the login.

use super::finish::{self, Finish};
use super::sql;
use super::{Result, Store};
use chrono::{DateTime, Utc};

pub struct NewDispute<'a> {
    pub login: &'a str,
    pub kind: crate::domain::ApplicantKind,
    pub name: &'a str,
    pub email: &'a str,
    pub phone: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub chat_id: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Dispute {
    pub id: i64,
    pub login: String,
    pub kind: crate::domain::ApplicantKind,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, login, kind, name, email, phone, comment, created_at";

impl Store {
    /// Files a dispute and queues it for the operators' group, with the update's end.
    pub async fn create_dispute(
        &self,
        d: &NewDispute<'_>,
        now: DateTime<Utc>,
        end: Option<&Finish>,
    ) -> Result<Vec<i64>> {
        let mut tx = self.pool.begin().await?;
        let id = sql::query_scalar::<i64>(
            "INSERT INTO login_disputes (login, kind, name, email, phone, comment, chat_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(d.login)
        .bind(d.kind)
        .bind(d.name)
        .bind(d.email)
        .bind(d.phone)
        .bind(d.comment)
        .bind(d.chat_id)
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        use crate::domain::items::{DeskEvent, DeskTarget};
        finish::tell_desk_and_commit(tx, DeskTarget::Dispute, id, (DeskEvent::New, None), end, now).await
    }

    pub async fn dispute(&self, id: i64) -> Result<Option<Dispute>> {
        Ok(
            sql::query_as(format!("SELECT {COLUMNS} FROM login_disputes WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The disputes about a login, newest first.
    pub async fn disputes_about(&self, login: &str) -> Result<Vec<Dispute>> {
        Ok(sql::query_as(format!(
            "SELECT {COLUMNS} FROM login_disputes WHERE login = $1 ORDER BY id DESC"
        ))
        .bind(login)
        .fetch_all(&self.pool)
        .await?)
    }
}
