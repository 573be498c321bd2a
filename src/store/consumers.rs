//! Consumers, the Telegram chats linked to them and their consents.

use super::codes::{self, CodeCheck, CodeFor, Issued, Purpose};
use super::outbox::{self, OutboxMessage};
use super::sql;
use super::{Result, Store, is_unique_violation};
use crate::domain::ApplicantKind;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerStatus {
    Pending,
    Confirmed,
    Deleted,
}

impl ConsumerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Deleted => "deleted",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        [Self::Pending, Self::Confirmed, Self::Deleted]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

crate::domain::stored_as_text!(ConsumerStatus);
sql::bind_text!(ConsumerStatus);

impl std::fmt::Display for ConsumerStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Consumer {
    pub id: i64,
    pub kind: ApplicantKind,
    pub login: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
    pub status: ConsumerStatus,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl Consumer {
    pub fn login(&self) -> &str {
        self.login.as_deref().unwrap_or_default()
    }

    pub fn email(&self) -> &str {
        self.email.as_deref().unwrap_or_default()
    }
}

const CONSUMER_COLUMNS: &str = "id, kind, login, name, email, phone, password_hash, status, \
     failed_logins, locked_until, created_at, confirmed_at";

/// What the bot knows about a chat at the start of every update.
#[derive(Debug, Clone, Default)]
pub struct ChatSession {
    pub locale: Option<String>,
    pub consumer: Option<Consumer>,
}

/// A registration that the person confirmed in the summary.
pub struct NewConsumer<'a> {
    pub kind: ApplicantKind,
    pub login: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub policy_version: &'a str,
    pub consent_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Confirmed {
        consumer_id: i64,
    },
    /// Someone else confirmed the same login first.
    LoginTaken,
    Code(CodeCheck),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOutcome {
    Confirmed {
        consumer_id: i64,
        linked_here: bool,
    },
    AlreadyConfirmed,
    LoginTaken,
    /// Unknown, used or expired.
    Invalid,
}

/// A chat joined with its consumer (all of the consumer's columns may be NULL).
#[derive(sqlx::FromRow)]
struct SessionRow {
    locale: Option<String>,
    blocked_at: Option<DateTime<Utc>>,
    id: Option<i64>,
    kind: Option<ApplicantKind>,
    login: Option<String>,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    password_hash: Option<String>,
    status: Option<ConsumerStatus>,
    failed_logins: Option<i64>,
    locked_until: Option<DateTime<Utc>>,
    created_at: Option<DateTime<Utc>>,
    confirmed_at: Option<DateTime<Utc>>,
    dialogue: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    code_id: i64,
    consumer_id: i64,
    expires: Option<DateTime<Utc>>,
    used: Option<DateTime<Utc>>,
    status: String,
}

impl Store {
    /// The chat's language and consumer.
    pub async fn session(&self, chat_id: i64) -> Result<ChatSession> {
        Ok(self.session_and_dialogue(chat_id).await?.0)
    }

    /// The chat's language, consumer and stored dialogue in one query: it runs on every update.
    pub async fn session_and_dialogue(&self, chat_id: i64) -> Result<(ChatSession, Option<String>)> {
        let r: SessionRow = sql::query_as(
            "SELECT c.locale, c.blocked_at, a.id, a.kind, a.login, a.name, a.email, a.phone, a.password_hash,
                    a.status, a.failed_logins, a.locked_until, a.created_at, a.confirmed_at, d.state AS dialogue
             FROM (SELECT CAST($1 AS BIGINT) AS chat_id) k
             LEFT JOIN chats c ON c.chat_id = k.chat_id
             LEFT JOIN consumers a ON a.id = c.consumer_id
             LEFT JOIN dialogues d ON d.chat_id = k.chat_id",
        )
        .bind(chat_id)
        .fetch_one(&self.pool)
        .await?;
        if r.blocked_at.is_some() {
            // They write again, so they unblocked the bot: deliveries may resume.
            sql::query("UPDATE chats SET blocked_at = NULL WHERE chat_id = $1")
                .bind(chat_id)
                .execute(&self.pool)
                .await?;
        }
        let consumer = match (r.id, r.kind, r.status, r.created_at) {
            (Some(id), Some(kind), Some(status), Some(created_at)) => Some(Consumer {
                id,
                kind,
                login: r.login,
                name: r.name,
                email: r.email,
                phone: r.phone,
                password_hash: r.password_hash,
                status,
                failed_logins: r.failed_logins.unwrap_or_default(),
                locked_until: r.locked_until,
                created_at,
                confirmed_at: r.confirmed_at,
            }),
            _ => None,
        };
        Ok((
            ChatSession {
                locale: r.locale,
                consumer,
            },
            r.dialogue,
        ))
    }

    pub async fn consumer(&self, id: i64) -> Result<Option<Consumer>> {
        Ok(
            sql::query_as(format!("SELECT {CONSUMER_COLUMNS} FROM consumers WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn confirmed_by_login(&self, login: &str) -> Result<Option<Consumer>> {
        Ok(sql::query_as(format!(
            "SELECT {CONSUMER_COLUMNS} FROM consumers WHERE login = $1 AND status = 'confirmed'"
        ))
        .bind(login)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn set_locale(&self, chat_id: i64, locale: &str) -> Result<()> {
        sql::query(
            "INSERT INTO chats (chat_id, locale) VALUES ($1, $2)
             ON CONFLICT (chat_id) DO UPDATE SET locale = excluded.locale",
        )
        .bind(chat_id)
        .bind(locale)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Creates the unconfirmed consumer, its consent, the chat link, the code and the letter,
    /// all or nothing. A previous unconfirmed registration from this chat is replaced.
    pub async fn register_pending(
        &self,
        chat_id: i64,
        new: &NewConsumer<'_>,
        issued: &Issued,
        letter: &OutboxMessage,
        now: DateTime<Utc>,
        finish: Option<&super::finish::Finish>,
    ) -> Result<(i64, Vec<i64>)> {
        let mut tx = self.pool.begin().await?;
        sql::query(
            "DELETE FROM consumers WHERE status = 'pending'
               AND id IN (SELECT consumer_id FROM chats WHERE chat_id = $1)",
        )
        .bind(chat_id)
        .execute(&mut tx)
        .await?;
        let id = sql::query_scalar::<i64>(
            "INSERT INTO consumers (kind, login, name, email, password_hash, status, created_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING id",
        )
        .bind(new.kind.as_str())
        .bind(new.login)
        .bind(new.name)
        .bind(new.email)
        .bind(new.password_hash)
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        sql::query("INSERT INTO consents (consumer_id, policy_version, given_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(new.policy_version)
            .bind(new.consent_at)
            .execute(&mut tx)
            .await?;
        link(&mut tx, chat_id, id, now).await?;
        let key = CodeFor {
            consumer_id: id,
            purpose: Purpose::Register,
            chat_id,
        };
        codes::insert(&mut tx, key, new.email, issued, now).await?;
        outbox::enqueue(&mut tx, letter, now).await?;
        let replies = super::finish::write(finish, &mut tx, now).await?;
        tx.commit().await?;
        Ok((id, replies))
    }

    /// The person gave up an unconfirmed registration: it goes, the chat is free again.
    pub async fn abandon_pending(&self, chat_id: i64) -> Result<()> {
        sql::query(
            "DELETE FROM consumers WHERE status = 'pending'
               AND id IN (SELECT consumer_id FROM chats WHERE chat_id = $1)",
        )
        .bind(chat_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn confirm_by_code(
        &self,
        consumer_id: i64,
        chat_id: i64,
        typed: &str,
        now: DateTime<Utc>,
    ) -> Result<ConfirmOutcome> {
        let mut tx = self.pool.begin().await?;
        let key = CodeFor {
            consumer_id,
            purpose: Purpose::Register,
            chat_id,
        };
        let check = codes::check(&mut tx, key, typed, now).await?;
        if !matches!(check, CodeCheck::Ok { .. }) {
            tx.commit().await?;
            return Ok(ConfirmOutcome::Code(check));
        }
        match mark_confirmed(&mut tx, consumer_id, now).await {
            Ok(()) => {
                tx.commit().await?;
                Ok(ConfirmOutcome::Confirmed { consumer_id })
            }
            Err(e) if is_unique_violation(&e) => Ok(ConfirmOutcome::LoginTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// The deep link from the letter. Opened in the chat that registered, it signs that chat
    /// in; opened elsewhere it only confirms the e-mail (a link proves the mailbox, not who
    /// holds the password).
    pub async fn confirm_by_token(&self, chat_id: i64, token: &str, now: DateTime<Utc>) -> Result<TokenOutcome> {
        let mut tx = self.pool.begin().await?;
        let row: Option<TokenRow> = sql::query_as(
            "SELECT c.id AS code_id, c.consumer_id, c.token_expires_at AS expires,
                    c.token_used_at AS used, a.status
             FROM email_codes c JOIN consumers a ON a.id = c.consumer_id
             WHERE c.token_hash = $1 AND c.purpose = 'register'",
        )
        .bind(codes::hash(token))
        .fetch_optional(&mut tx)
        .await?;
        let Some(TokenRow {
            code_id,
            consumer_id,
            expires,
            used,
            status,
        }) = row
        else {
            return Ok(TokenOutcome::Invalid);
        };
        if status == "confirmed" {
            return Ok(TokenOutcome::AlreadyConfirmed);
        }
        if status != "pending" || used.is_some() || expires.is_none_or(|e| e <= now) {
            return Ok(TokenOutcome::Invalid);
        }
        sql::query(
            "UPDATE email_codes SET token_used_at = $1, code_closed_at = COALESCE(code_closed_at, $2) WHERE id = $3",
        )
        .bind(now)
        .bind(now)
        .bind(code_id)
        .execute(&mut tx)
        .await?;
        match mark_confirmed(&mut tx, consumer_id, now).await {
            Ok(()) => {}
            Err(e) if is_unique_violation(&e) => return Ok(TokenOutcome::LoginTaken),
            Err(e) => return Err(e.into()),
        }
        let linked: Option<(i32,)> = sql::query_as("SELECT 1 FROM chats WHERE chat_id = $1 AND consumer_id = $2")
            .bind(chat_id)
            .bind(consumer_id)
            .fetch_optional(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(TokenOutcome::Confirmed {
            consumer_id,
            linked_here: linked.is_some(),
        })
    }

    /// Signs this chat in and tells the consumer's other chats, in one transaction.
    pub async fn sign_in(&self, chat_id: i64, consumer_id: i64, notice: &str, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let others: Vec<(i64,)> =
            sql::query_as("SELECT chat_id FROM chats WHERE consumer_id = $1 AND chat_id <> $2 AND blocked_at IS NULL")
                .bind(consumer_id)
                .bind(chat_id)
                .fetch_all(&mut tx)
                .await?;
        for (other,) in others {
            let msg = OutboxMessage::Telegram {
                chat_id: other,
                text: notice.to_owned(),
                button: None,
                reply_to: None,
                keyboard: Vec::new(),
                markup: None,
                paid: false,
            };
            outbox::enqueue(&mut tx, &msg, now).await?;
        }
        // A chat that was in the middle of an unconfirmed registration drops it.
        sql::query(
            "DELETE FROM consumers WHERE status = 'pending'
               AND id IN (SELECT consumer_id FROM chats WHERE chat_id = $1)",
        )
        .bind(chat_id)
        .execute(&mut tx)
        .await?;
        link(&mut tx, chat_id, consumer_id, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn sign_out(&self, chat_id: i64) -> Result<()> {
        sql::query("UPDATE chats SET consumer_id = NULL, linked_at = NULL WHERE chat_id = $1")
            .bind(chat_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A new password: every chat of the consumer but `keep` is signed out, its dialogue
    /// dropped, and told (`notices`, one per chat, in its language) — in one transaction.
    pub async fn set_password(
        &self,
        consumer_id: i64,
        hash: &str,
        keep: i64,
        notices: &[OutboxMessage],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sql::query("UPDATE consumers SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(consumer_id)
            .execute(&mut tx)
            .await?;
        sign_out_all(&mut tx, consumer_id, Some(keep)).await?;
        for n in notices {
            outbox::enqueue(&mut tx, n, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every consumer with this login (confirmed, pending), newest first.
    pub async fn consumers_by_login(&self, login: &str) -> Result<Vec<Consumer>> {
        Ok(sql::query_as(format!(
            "SELECT {CONSUMER_COLUMNS} FROM consumers WHERE login = $1 ORDER BY id DESC"
        ))
        .bind(login)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every chat of the consumer that would be told something, with its language (blocked ones
    /// too: they are signed out all the same).
    pub async fn chats_of(&self, consumer_id: i64) -> Result<Vec<(i64, Option<String>)>> {
        Ok(
            sql::query_as("SELECT chat_id, locale FROM chats WHERE consumer_id = $1")
                .bind(consumer_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn set_name(&self, consumer_id: i64, name: &str) -> Result<()> {
        sql::query("UPDATE consumers SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(consumer_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_phone(&self, consumer_id: i64, phone: &str) -> Result<()> {
        sql::query("UPDATE consumers SET phone = $1 WHERE id = $2")
            .bind(phone)
            .bind(consumer_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A code sent to the new address replaces the e-mail only when it comes back right; the
    /// old address is told (`to_old`, made from the new address) in the same transaction.
    pub async fn change_email_by_code(
        &self,
        key: CodeFor,
        typed: &str,
        to_old: impl FnOnce(&str, &str) -> OutboxMessage,
        now: DateTime<Utc>,
    ) -> Result<CodeCheck> {
        let mut tx = self.pool.begin().await?;
        let check = codes::check(&mut tx, key, typed, now).await?;
        if let CodeCheck::Ok { email } = &check {
            let (old,): (Option<String>,) = sql::query_as("SELECT email FROM consumers WHERE id = $1")
                .bind(key.consumer_id)
                .fetch_one(&mut tx)
                .await?;
            sql::query("UPDATE consumers SET email = $1 WHERE id = $2")
                .bind(email)
                .bind(key.consumer_id)
                .execute(&mut tx)
                .await?;
            if let Some(old) = old.filter(|o| !o.eq_ignore_ascii_case(email)) {
                outbox::enqueue(&mut tx, &to_old(&old, email), now).await?;
            }
        }
        tx.commit().await?;
        Ok(check)
    }
}

/// Signs out every chat of the consumer (but `keep`) and drops their dialogues.
async fn sign_out_all(conn: &mut sql::Tx, consumer_id: i64, keep: Option<i64>) -> Result<()> {
    let keep = keep.unwrap_or(0);
    sql::query(
        "DELETE FROM dialogues WHERE chat_id IN (SELECT chat_id FROM chats WHERE consumer_id = $1 AND chat_id <> $2)",
    )
    .bind(consumer_id)
    .bind(keep)
    .execute(&mut *conn)
    .await?;
    sql::query("UPDATE chats SET consumer_id = NULL, linked_at = NULL WHERE consumer_id = $1 AND chat_id <> $2")
        .bind(consumer_id)
        .bind(keep)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A login as it appears in rate-limit keys: hashed, never in clear.
pub fn login_key(login: &str) -> String {
    codes::hash(&format!("login:{login}"))[..16].to_owned()
}

async fn mark_confirmed(conn: &mut sql::Tx, consumer_id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
    sql::query("UPDATE consumers SET status = 'confirmed', confirmed_at = $1 WHERE id = $2 AND status = 'pending'")
        .bind(now)
        .bind(consumer_id)
        .execute(conn)
        .await?;
    Ok(())
}

async fn link(conn: &mut sql::Tx, chat_id: i64, consumer_id: i64, now: DateTime<Utc>) -> Result<()> {
    sql::query(
        "INSERT INTO chats (chat_id, consumer_id, linked_at) VALUES ($1, $2, $3)
         ON CONFLICT (chat_id) DO UPDATE SET consumer_id = excluded.consumer_id, linked_at = excluded.linked_at",
    )
    .bind(chat_id)
    .bind(consumer_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// The person blocked the bot: stop sending until they write again.
    pub async fn mark_chat_blocked(&self, chat_id: i64, now: DateTime<Utc>) -> Result<()> {
        sql::query("UPDATE chats SET blocked_at = $1 WHERE chat_id = $2")
            .bind(now)
            .bind(chat_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Store {
    /// The chats a consumer is signed in from (not those that blocked the bot), with their
    /// language.
    pub async fn consumer_chats(&self, consumer_id: i64) -> Result<Vec<(i64, Option<String>)>> {
        Ok(
            sql::query_as("SELECT chat_id, locale FROM chats WHERE consumer_id = $1 AND blocked_at IS NULL")
                .bind(consumer_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
