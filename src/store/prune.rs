//! Bounded growth: what has served its purpose is removed on a schedule, by its age.

use super::sql;
use super::{Result, Store};
use chrono::{DateTime, Duration, Utc};

/// How long each kind of record is kept once it has served.
pub struct Retention {
    /// Delivered or failed outbox rows (and the pieces of their delivery).
    pub outbox: Duration,
    /// Received updates (handled or not): Telegram offers an unconfirmed update again for 24
    /// hours.
    pub handled_updates: Duration,
    /// Rate-limit events: the longest window is a day.
    pub rate_events: Duration,
    /// Codes and links after they expired.
    pub codes: Duration,
    /// A dialogue nobody touched for this long (a draft application is kept apart).
    pub idle_dialogues: Duration,
    /// Registrations never confirmed.
    pub unconfirmed: Duration,
    /// Telegram's refusals, for /stats.
    pub refusals: Duration,
    /// Disputed logins, once filed (the back office has long decided by then).
    pub disputes: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            outbox: Duration::days(7),
            handled_updates: Duration::days(2),
            rate_events: Duration::days(2),
            codes: Duration::days(1),
            idle_dialogues: Duration::days(30),
            unconfirmed: Duration::days(7),
            refusals: Duration::days(30),
            disputes: Duration::days(365),
        }
    }
}

/// What one pruning removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub outbox: u64,
    pub pieces: u64,
    pub handled_updates: u64,
    pub rate_events: u64,
    pub codes: u64,
    pub dialogues: u64,
    /// Forms left half-way a month ago and never continued.
    pub drafts: u64,
    pub unconfirmed: u64,
    pub refusals: u64,
    pub disputes: u64,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.outbox
            + self.pieces
            + self.handled_updates
            + self.rate_events
            + self.codes
            + self.dialogues
            + self.drafts
            + self.unconfirmed
            + self.refusals
            + self.disputes
    }
}

impl Store {
    pub async fn prune(&self, now: DateTime<Utc>, keep: &Retention) -> Result<Pruned> {
        let run = |sql: &'static str, before: DateTime<Utc>| async move {
            Ok::<u64, super::StoreError>(sql::query(sql).bind(before).execute(&self.pool).await?.rows_affected())
        };
        let outbox_before = now - keep.outbox;
        Ok(Pruned {
            outbox: run(
                "DELETE FROM outbox WHERE status <> 'pending' AND done_at < $1",
                outbox_before,
            )
            .await?,
            // The pieces of queued messages and events go with their rows; a card's stay with it.
            pieces: run(
                "DELETE FROM sent_pieces WHERE (key LIKE 'out:%' OR key LIKE 'ev:%') AND at < $1",
                outbox_before,
            )
            .await?,
            handled_updates: run("DELETE FROM inbox WHERE received_at < $1", now - keep.handled_updates).await?,
            rate_events: run("DELETE FROM rate_events WHERE at < $1", now - keep.rate_events).await?,
            codes: run(
                "DELETE FROM email_codes WHERE code_expires_at < $1
                   AND (token_expires_at IS NULL OR token_expires_at < $1)",
                now - keep.codes,
            )
            .await?,
            dialogues: run("DELETE FROM dialogues WHERE updated_at < $1", now - keep.idle_dialogues).await?,
            drafts: run(
                "DELETE FROM form_drafts WHERE saved_at < $1",
                now - super::drafts::DRAFT_KEPT,
            )
            .await?,
            unconfirmed: run(
                "DELETE FROM consumers WHERE status = 'pending' AND created_at < $1",
                now - keep.unconfirmed,
            )
            .await?,
            refusals: run("DELETE FROM telegram_refusals WHERE at < $1", now - keep.refusals).await?,
            disputes: run("DELETE FROM login_disputes WHERE created_at < $1", now - keep.disputes).await?,
        })
    }
}
