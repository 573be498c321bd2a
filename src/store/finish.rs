//! The end of a handled update, written in the same transaction as what the update did: the
//! dialogue's next state, the mark that the update was handled, the rate-limit events it
//! counts for, and the replies that must reach the person exactly once. An update offered
//! again after a crash is then either not done at all (no mark) or done and marked, never done
//! twice; its confirmation waits in the outbox even if the process dies before sending it.

use super::outbox::{OutboxMessage, enqueue_leased};
use super::sql;
use super::{Result, Store};
use chrono::{DateTime, Duration, Utc};

/// A committed reply is the chat's lane's to send for this long; then (or at the next start)
/// the outbox worker sends it. Longer than a reply may wait in its lane (a 429 is waited out
/// for up to five minutes), so the worker never sends it ahead of what was said before it.
pub const REPLY_LEASE: Duration = Duration::minutes(6);

/// What the dialogue becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogueAfter {
    Keep,
    Clear,
    /// The state, serialized, and whether it expects a password next (the inbox keeps such a
    /// message without its text).
    Set {
        state: String,
        secret: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Finish {
    pub update_id: i64,
    pub chat_id: i64,
    pub dialogue: DialogueAfter,
    /// Rate-limit keys this update counts for.
    pub rate_keys: Vec<String>,
    /// Replies to deliver exactly once (see `REPLY_LEASE`).
    pub replies: Vec<OutboxMessage>,
}

impl Finish {
    /// Writes the update's end in `conn`'s transaction; returns the outbox rows of the replies.
    pub(crate) async fn write(&self, conn: &mut sql::Tx, now: DateTime<Utc>) -> Result<Vec<i64>> {
        match &self.dialogue {
            DialogueAfter::Keep => {}
            DialogueAfter::Clear => {
                sql::query("DELETE FROM dialogues WHERE chat_id = $1")
                    .bind(self.chat_id)
                    .execute(&mut *conn)
                    .await?;
            }
            DialogueAfter::Set { state, secret } => {
                sql::query(
                    "INSERT INTO dialogues (chat_id, state, updated_at, secret) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
                                                         secret = excluded.secret",
                )
                .bind(self.chat_id)
                .bind(state)
                .bind(now)
                .bind(secret)
                .execute(&mut *conn)
                .await?;
            }
        }
        super::inbox::mark_handled(&mut *conn, self.update_id, now).await?;
        for key in &self.rate_keys {
            sql::query("INSERT INTO rate_events (key, at) VALUES ($1, $2)")
                .bind(key)
                .bind(now)
                .execute(&mut *conn)
                .await?;
        }
        let mut rows = Vec::with_capacity(self.replies.len());
        for r in &self.replies {
            rows.push(enqueue_leased(conn, r, now, now + REPLY_LEASE).await?);
        }
        crate::failpoint::hit(crate::failpoint::BEFORE_COMMIT);
        Ok(rows)
    }
}

/// The end of an update that creates an item: made once the item's id and number are known.
pub type FinishFor<'a> = &'a (dyn Fn(i64, &str) -> Finish + Sync);

/// An item created by an update, and the outbox rows of the replies committed with it.
#[derive(Debug, Clone)]
pub struct Filed {
    pub id: i64,
    pub number: String,
    pub replies: Vec<i64>,
}

/// Writes `finish`, if any, in the transaction.
pub(crate) async fn write(finish: Option<&Finish>, conn: &mut sql::Tx, now: DateTime<Utc>) -> Result<Vec<i64>> {
    match finish {
        Some(f) => f.write(conn, now).await,
        None => Ok(Vec::new()),
    }
}

impl Store {
    /// An update that changes nothing but its own end (used where the effect itself is in
    /// another statement already made idempotent).
    pub async fn finish(&self, f: &Finish, now: DateTime<Utc>) -> Result<Vec<i64>> {
        let mut tx = self.pool.begin().await?;
        let rows = f.write(&mut tx, now).await?;
        tx.commit().await?;
        Ok(rows)
    }
}

/// The end every filing shares: the operators' desk told about `id` (`event`, `about` the row
/// it concerns), what the update ends with written (`finish`), all committed with what `tx`
/// already holds. Returns the replies to send.
pub(crate) async fn tell_desk_and_commit(
    mut tx: sql::Tx,
    item: crate::domain::items::DeskTarget,
    id: i64,
    (event, about): (crate::domain::items::DeskEvent, Option<i64>),
    finish: Option<&Finish>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let out = super::outbox::OutboxMessage::Operator {
        item,
        id,
        event,
        about,
        to: None,
    };
    super::outbox::enqueue(&mut tx, &out, now).await?;
    let replies = write(finish, &mut tx, now).await?;
    tx.commit().await?;
    Ok(replies)
}

/// The end of filing a new item numbered `number`: the desk told it is new, the update's
/// end (made for the item's id and number) written, committed.
pub(crate) async fn file_new(
    tx: sql::Tx,
    item: crate::domain::items::DeskTarget,
    (id, number): (i64, String),
    finish: Option<FinishFor<'_>>,
    now: DateTime<Utc>,
) -> Result<Filed> {
    let end = finish.map(|f| f(id, &number));
    let event = (crate::domain::items::DeskEvent::New, None);
    let replies = tell_desk_and_commit(tx, item, id, event, end.as_ref(), now).await?;
    Ok(Filed { id, number, replies })
}
