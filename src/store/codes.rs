//! One-time codes and deep-link tokens sent by e-mail. Stored as SHA-256 hashes only; they
//! expire and count wrong attempts.

use super::sql;
use super::{Result, Store};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};

pub const CODE_TTL_MIN: i64 = 30;
pub const TOKEN_TTL_HOURS: i64 = 24;
pub const MAX_ATTEMPTS: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Register,
    EmailChange,
    PasswordReset,
}

impl Purpose {
    /// The letter with the code: its subject's and its body's locale keys.
    pub fn letter_keys(self) -> (&'static str, &'static str) {
        match self {
            Self::Register => ("mail.register.subject", "mail.register.body"),
            Self::EmailChange => ("mail.email_change.subject", "mail.email_change.body"),
            Self::PasswordReset => ("mail.password_reset.subject", "mail.password_reset.body"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::EmailChange => "email_change",
            Self::PasswordReset => "password_reset",
        }
    }
}

/// A fresh code (and token) in clear: goes into the letter, never into the database.
pub struct Issued {
    pub code: String,
    pub token: Option<String>,
}

impl Issued {
    pub fn generate(with_token: bool) -> Self {
        let mut rng = rand::thread_rng();
        let code = format!("{:06}", rng.gen_range(0..1_000_000u32));
        let token = with_token.then(|| {
            let bytes: [u8; 24] = rng.r#gen();
            hex::encode(bytes)
        });
        Self { code, token }
    }
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Issued(***)")
    }
}

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Salted by the consumer and purpose so equal codes of two consumers hash differently.
fn code_hash(consumer_id: i64, purpose: Purpose, code: &str) -> String {
    hash(&format!("{consumer_id}:{}:{code}", purpose.as_str()))
}

/// Keeps only the digits of what the person typed: «123 456» is «123456».
pub fn normalize_code(input: &str) -> Option<String> {
    let t = input.trim();
    if !t.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-') {
        return None;
    }
    let d: String = t.chars().filter(char::is_ascii_digit).collect();
    (d.len() == 6).then_some(d)
}

/// Whose code: a consumer, what for, and the chat that asked for it. Each chat has its own
/// codes: a stranger who asks for one voids nothing of the owner's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeFor {
    pub consumer_id: i64,
    pub purpose: Purpose,
    pub chat_id: i64,
}

/// Stores a new code; the older ones of the same consumer, purpose and chat are closed and
/// their links die with them.
pub async fn insert(conn: &mut sql::Tx, key: CodeFor, email: &str, issued: &Issued, now: DateTime<Utc>) -> Result<()> {
    sql::query(
        "UPDATE email_codes SET code_closed_at = COALESCE(code_closed_at, $1),
                token_expires_at = CASE WHEN token_expires_at > $1 THEN $1 ELSE token_expires_at END
         WHERE consumer_id = $2 AND purpose = $3 AND chat_id IS NOT DISTINCT FROM $4
           AND (code_closed_at IS NULL OR token_expires_at > $1)",
    )
    .bind(now)
    .bind(key.consumer_id)
    .bind(key.purpose.as_str())
    .bind(key.chat_id)
    .execute(&mut *conn)
    .await?;
    sql::query(
        "INSERT INTO email_codes (consumer_id, purpose, email, code_hash, code_expires_at,
                                  token_hash, token_expires_at, created_at, chat_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(key.consumer_id)
    .bind(key.purpose.as_str())
    .bind(email)
    .bind(code_hash(key.consumer_id, key.purpose, &issued.code))
    .bind(now + Duration::minutes(CODE_TTL_MIN))
    .bind(issued.token.as_deref().map(hash))
    .bind(issued.token.as_ref().map(|_| now + Duration::hours(TOKEN_TTL_HOURS)))
    .bind(now)
    .bind(key.chat_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What came of a typed code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right: the code is now used. Carries the e-mail the code was sent to.
    Ok {
        email: String,
    },
    Wrong {
        attempts_left: i64,
    },
    /// The fifth wrong attempt: the code is void.
    Exhausted,
    Expired,
    /// No open code (never sent, used, voided or replaced).
    NoCode,
}

/// Checks a typed code inside the caller's transaction, counting the attempt.
pub async fn check(conn: &mut sql::Tx, key: CodeFor, typed: &str, now: DateTime<Utc>) -> Result<CodeCheck> {
    let CodeFor {
        consumer_id, purpose, ..
    } = key;
    let row: Option<(i64, String, DateTime<Utc>, i64, String)> = sql::query_as(
        "SELECT id, code_hash, code_expires_at, attempts, email FROM email_codes
         WHERE consumer_id = $1 AND purpose = $2 AND chat_id IS NOT DISTINCT FROM $3 AND code_closed_at IS NULL
         ORDER BY id DESC LIMIT 1",
    )
    .bind(consumer_id)
    .bind(purpose.as_str())
    .bind(key.chat_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, stored, expires, _attempts, email)) = row else {
        return Ok(CodeCheck::NoCode);
    };
    if expires <= now {
        close(conn, id, now).await?;
        return Ok(CodeCheck::Expired);
    }
    if code_hash(consumer_id, purpose, typed) == stored {
        // Closed by this statement or by nobody: a code two requests typed at once passes once.
        if !close(conn, id, now).await? {
            return Ok(CodeCheck::NoCode);
        }
        return Ok(CodeCheck::Ok { email });
    }
    // Counted in the database: wrong codes typed at once from two chats each count.
    let counted: Option<i64> = sql::query_scalar(
        "UPDATE email_codes SET attempts = attempts + 1 WHERE id = $1 AND code_closed_at IS NULL RETURNING attempts",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(attempts) = counted else {
        return Ok(CodeCheck::Exhausted);
    };
    if attempts >= MAX_ATTEMPTS {
        close(conn, id, now).await?;
        return Ok(CodeCheck::Exhausted);
    }
    Ok(CodeCheck::Wrong {
        attempts_left: MAX_ATTEMPTS - attempts,
    })
}

/// Closes the code; false when it was closed already (by a request at the same moment).
async fn close(conn: &mut sql::Tx, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let done = sql::query("UPDATE email_codes SET code_closed_at = $1 WHERE id = $2 AND code_closed_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// How many codes of this purpose went out since `since`, and when the last one did.
pub struct SentStats {
    pub count: i64,
    pub last: Option<DateTime<Utc>>,
}

impl Store {
    /// Codes sent for this consumer and purpose to this chat's requests since `since`.
    pub async fn codes_sent_since(&self, key: CodeFor, since: DateTime<Utc>) -> Result<SentStats> {
        let (count, last): (i64, Option<DateTime<Utc>>) = sql::query_as(
            "SELECT COUNT(*), MAX(created_at) FROM email_codes
             WHERE consumer_id = $1 AND purpose = $2 AND chat_id IS NOT DISTINCT FROM $3 AND created_at > $4",
        )
        .bind(key.consumer_id)
        .bind(key.purpose.as_str())
        .bind(key.chat_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(SentStats { count, last })
    }

    /// Stores a code and queues its letter in one transaction.
    pub async fn issue_code(
        &self,
        key: CodeFor,
        email: &str,
        issued: &Issued,
        letter: &super::outbox::OutboxMessage,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert(&mut tx, key, email, issued, now).await?;
        super::outbox::enqueue(&mut tx, letter, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks a code that needs nothing else done in its transaction (password reset).
    pub async fn check_code(&self, key: CodeFor, typed: &str, now: DateTime<Utc>) -> Result<CodeCheck> {
        let mut tx = self.pool.begin().await?;
        let r = check(&mut tx, key, typed, now).await?;
        tx.commit().await?;
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_tokens_fit_a_deep_link() {
        for _ in 0..100 {
            let i = Issued::generate(true);
            assert_eq!(i.code.len(), 6);
            let t = i.token.unwrap();
            // Telegram's /start payload: at most 64 of [A-Za-z0-9_-].
            assert!(t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn typed_codes_are_normalized() {
        assert_eq!(normalize_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(normalize_code("12345"), None);
        assert_eq!(normalize_code("12345a"), None);
    }
}
