//! Delivers outbox rows: e-mails through the mailer, messages through Telegram (the one
//! sending path, with its limits), the desk's cards piece by piece. Retries with the configured
//! backoff, waits out 429 `retry_after`, gives up at once on what Telegram refuses for good,
//! and since every row lives in the database, survives restarts: a row is delivered, pending
//! or failed, never dropped. Stops between deliveries when told to.

use crate::clock::Clock;
use crate::config::Schedule;
use crate::desk::deliver::{Desk, DeskError};
use crate::domain::person::redact;
use crate::mail::Mailer;
use crate::store::Store;
use crate::store::operators::ItemRef;
use crate::store::outbox::{OutboxMessage, OutboxRow};
use crate::telegram::push::{self, Push, PushError};
use crate::telegram::{Priority, SendError, Telegram};
use chrono::Duration;
use futures::StreamExt;
use std::sync::Arc;
use tokio::sync::watch;

pub struct OutboxWorker {
    pub store: Store,
    pub tg: Telegram,
    pub config: Arc<crate::config::Config>,
    /// The operators' group (its id now, and whether the bot may post there); without one,
    /// or while the bot cannot post, rows for the desk wait.
    pub group: Arc<crate::desk::group::DeskGroup>,
    pub mailer: Mailer,
    pub clock: Clock,
    pub schedule: Schedule,
    pub max_attempts: i64,
    pub wake: Arc<crate::store::signals::Wake>,
    /// Letters sent in the last hour (their times), against `MAIL_PER_HOUR`.
    pub mail_sent: std::sync::Mutex<std::collections::VecDeque<std::time::Instant>>,
}

/// What became of one try at delivering an outbox row (the bot's `Outcome` is where a step
/// leads; this is the outbox's).
enum Attempt {
    Done,
    Retry {
        after_secs: u64,
        error: String,
    },
    Permanent(String),
    /// Waits for its chat (the operators' group the bot cannot post to now), no attempt
    /// counted: it never fails for that.
    Postpone {
        after_secs: u64,
        error: String,
    },
    /// Stopping: the row stays as it is, for the next start.
    Left,
}

impl From<SendError> for Attempt {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Stopped => Attempt::Left,
            SendError::RetryAfter(d) => Attempt::Retry {
                after_secs: d.as_secs().max(1),
                error: "429 retry_after".into(),
            },
            e if e.is_permanent() => Attempt::Permanent(e.to_string()),
            e => Attempt::Retry {
                after_secs: 0,
                error: e.to_string(),
            },
        }
    }
}

fn store_failure(e: crate::store::StoreError) -> Attempt {
    Attempt::Retry {
        after_secs: 0,
        error: format!("database: {e}"),
    }
}

impl OutboxWorker {
    /// A card or an event for the operators' group. While the bot cannot post there, one row a
    /// while tries (a probe) and the others wait without a call; a group that moved is
    /// followed at once; nothing fails because of the group.
    async fn deliver_desk(
        &self,
        row: &OutboxRow,
        group: teloxide::types::ChatId,
        item: crate::domain::items::DeskTarget,
        id: i64,
        event: crate::domain::items::DeskEvent,
        about: Option<i64>,
    ) -> crate::store::Result<Attempt> {
        let probe = crate::desk::group::PROBE_EVERY.as_secs();
        if !self.group.may_try(group) {
            return Ok(Attempt::Postpone {
                after_secs: probe,
                error: self.group.blocked().unwrap_or_default(),
            });
        }
        // On PostgreSQL: were this leader to die from here on, a card may have been posted
        // already (see `outbox_release_orphans`); its pieces are recorded as Telegram takes them.
        self.store.outbox_sending(row.id, self.clock.now()).await?;
        let desk = Desk {
            tg: &self.tg,
            store: &self.store,
            config: &self.config,
            clock: &self.clock,
            group,
        };
        let delivered = match item.item() {
            None if item == crate::domain::items::DeskTarget::Outage => desk.deliver_outage(id).await,
            None => desk.deliver_dispute(row.id, id).await,
            Some(kind) => desk.deliver(row.id, ItemRef { kind, id }, event, about).await,
        };
        Ok(match delivered {
            Ok(()) => {
                if self.group.unblock(group) {
                    self.store.outbox_desk_due_now(self.clock.now()).await?;
                }
                Attempt::Done
            }
            Err(DeskError::Send(SendError::Migrated(to))) if to != group.0 => {
                self.store.record_chat_migration(group.0, to, self.clock.now()).await?;
                self.group.moved(group, to);
                Attempt::Postpone {
                    after_secs: 0,
                    error: format!("the group became the supergroup {to}"),
                }
            }
            // A message of the group before its move (already followed): nothing to do there.
            Err(DeskError::Send(SendError::Migrated(_))) => Attempt::Done,
            Err(DeskError::Send(e)) if e.not_allowed() => {
                self.group.block(group, &e.to_string());
                Attempt::Postpone {
                    after_secs: probe,
                    error: e.to_string(),
                }
            }
            Err(DeskError::Send(e)) => e.into(),
            Err(DeskError::Store(e)) => store_failure(e),
        })
    }

    /// Whether another letter may go this hour (`MAIL_PER_HOUR`, all addresses together):
    /// over it, letters wait in the outbox instead of the utility's server sending a flood.
    /// A letter, within the hour's cap (over it, it waits without an attempt counted).
    async fn deliver_email(&self, to: &str, subject: &str, body: &str, code: bool) -> Attempt {
        if !self.mail_slot(code) {
            return Attempt::Postpone {
                after_secs: 60,
                error: "MAIL_PER_HOUR reached: the letter waits".into(),
            };
        }
        let sent = self.mailer.send(to, subject, body).await;
        crate::metrics::get().email(sent.is_ok());
        match sent {
            Ok(()) => Attempt::Done,
            Err(crate::mail::MailError::Address(_)) => Attempt::Permanent("bad address".into()),
            Err(e) => Attempt::Retry {
                after_secs: 0,
                error: e.to_string(),
            },
        }
    }

    /// A fifth of the hour's letters is kept for letters with a code (people wait for them,
    /// and they expire in 30 minutes): other letters cannot crowd them out. A slot given is
    /// taken at once (letters go in parallel: two must not both take the last one).
    fn mail_slot(&self, code: bool) -> bool {
        let mut sent = self.mail_sent.lock().expect("mail window lock");
        let hour = std::time::Duration::from_secs(3600);
        while sent.front().is_some_and(|t| t.elapsed() >= hour) {
            sent.pop_front();
        }
        let cap = self.config.mail_per_hour as usize;
        let cap = if code { cap } else { cap - cap / 5 };
        let free = sent.len() < cap;
        if free {
            sent.push_back(std::time::Instant::now());
        }
        free
    }

    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        // Rows never tried were leased by a reply that a stopped process did not finish: due now.
        // Not on PostgreSQL: there another replica's handler may hold the lease (alive), and a
        // dead one's runs out by itself.
        if self.store.backend() == crate::store::sql::Backend::Sqlite
            && let Err(e) = self.store.outbox_release_leases(self.clock.now()).await
        {
            tracing::error!(error = %e, "outbox: database error");
        }
        match self.store.outbox_mark_interrupted(self.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                rows = n,
                "messages the last leader was sending go again (they may arrive twice)"
            ),
            Err(e) => tracing::error!(error = %e, "outbox: database error"),
        }
        loop {
            if *stop.borrow() {
                return;
            }
            match self.store.outbox_release_orphans(self.clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(rows = n, "replies a stopped replica did not send are sent now"),
                Err(e) => tracing::error!(error = %e, "outbox: database error"),
            }
            let idle = match self.drain(&stop).await {
                Ok(()) => self.until_next_due().await,
                Err(e) => {
                    tracing::error!(error = %e, "outbox: database error");
                    std::time::Duration::from_secs(5)
                }
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(idle) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// The operators' group a desk row goes to: where an operator moved the item, else where
    /// its card is, else its department's (the main group for what no department takes).
    async fn desk_chat(
        &self,
        target: crate::domain::items::DeskTarget,
        id: i64,
        to: Option<i64>,
    ) -> crate::store::Result<Option<teloxide::types::ChatId>> {
        use teloxide::types::ChatId;
        if let Some(to) = to.map(ChatId).filter(|c| self.group.is(*c)) {
            return Ok(Some(to));
        }
        if let Some(kind) = target.item()
            && let Some((chat, _, _)) = self.store.card(ItemRef { kind, id }).await?
            && self.group.is(ChatId(chat))
        {
            return Ok(Some(ChatId(chat)));
        }
        if target == crate::domain::items::DeskTarget::Outage
            && let Some((chat, _)) = self.store.outage_card(id).await?
            && self.group.is(ChatId(chat))
        {
            return Ok(Some(ChatId(chat)));
        }
        if !self.group.has_departments() {
            return Ok(self.group.chat());
        }
        let keys = crate::desk::route_keys(&self.store, target, id).await?;
        Ok(self.group.route(&keys))
    }

    /// How long to sleep: until the next row falls due, and at most a second, so rows another
    /// process wrote (the back office's commands: an outage, an import's new bills) go out at
    /// once on SQLite, where no signal crosses processes (one indexed query a second).
    async fn until_next_due(&self) -> std::time::Duration {
        let max = std::time::Duration::from_secs(1);
        match self.store.outbox_next_due(self.group.chat().is_some()).await {
            Ok(Some(at)) => (at - self.clock.now()).to_std().unwrap_or_default().min(max),
            _ => max,
        }
    }

    /// Delivers every row that is due now, until stopped.
    pub async fn drain(&self, stop: &watch::Receiver<bool>) -> crate::store::Result<()> {
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            // A group another process heard is open again (the bot let back in): what waited
            // for it goes now, not at the next probe.
            for chat in self.store.signals().take_opened() {
                if self.group.unblock(teloxide::types::ChatId(chat)) {
                    self.store.outbox_desk_due_now(self.clock.now()).await?;
                }
            }
            let turn = self.group.turn();
            let rows = self
                .store
                .outbox_due(self.clock.now(), 200, self.group.chat().is_some())
                .await?;
            if rows.is_empty() {
                return Ok(());
            }
            // Chats in parallel, so the limits can be filled; one chat's messages in order. The
            // desk's rows stay in one sequence (cards before their replies).
            let mut groups: Vec<(String, Vec<OutboxRow>)> = Vec::new();
            for row in rows {
                let key = match row.message() {
                    Ok(OutboxMessage::Telegram { chat_id, .. }) => format!("chat:{chat_id}"),
                    Ok(OutboxMessage::Operator { .. }) => "desk".to_owned(),
                    _ => format!("row:{}", row.id),
                };
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, g)) => g.push(row),
                    None => groups.push((key, vec![row])),
                }
            }
            let results: Vec<crate::store::Result<bool>> = futures::stream::iter(groups)
                .map(|(_, group)| async move {
                    for row in group {
                        if *stop.borrow() || !self.deliver(row, turn).await? {
                            return Ok(false);
                        }
                    }
                    Ok(true)
                })
                .buffer_unordered(64)
                .collect()
                .await;
            for r in results {
                r?;
            }
        }
    }

    /// A queued Telegram message: sent piece by piece, a paid broadcast with its own limit.
    async fn deliver_push(&self, row: i64, m: OutboxMessage) -> Attempt {
        let OutboxMessage::Telegram {
            chat_id,
            text,
            button,
            keyboard,
            reply_to,
            markup,
            paid,
        } = m
        else {
            return Attempt::Permanent("not a Telegram message".into());
        };
        let p = Push {
            row,
            chat_id,
            text: &text,
            keyboard: markup.or_else(|| {
                push::keyboard(button.as_ref(), &keyboard).map(teloxide::types::ReplyMarkup::InlineKeyboard)
            }),
            reply_to,
            fresh: false,
        };
        let priority = if paid { Priority::Paid } else { Priority::Bulk };
        match push::deliver(&self.tg, &self.store, priority, &p).await {
            Ok(()) => Attempt::Done,
            Err(PushError::Send(e)) => e.into(),
            Err(PushError::Store(e)) => store_failure(e),
        }
    }

    /// Delivers one row (taken at the desk group's `turn`) and records the outcome; false when
    /// the row was left for later (stopping).
    async fn deliver(&self, row: OutboxRow, turn: u64) -> crate::store::Result<bool> {
        let outcome = match row.message() {
            Ok(OutboxMessage::Email {
                to,
                subject,
                body,
                code,
            }) => self.deliver_email(&to, &subject, &body, code).await,
            Ok(m @ OutboxMessage::Telegram { .. }) => self.deliver_push(row.id, m).await,
            Ok(OutboxMessage::Operator {
                item,
                id,
                event,
                about,
                to,
            }) => match self.desk_chat(item, id, to).await? {
                None => return Ok(true),
                // A group opened again since this row was taken: the rows that waited for it
                // are due now and go first, this one with them in their order.
                Some(_) if self.group.turn() != turn => Attempt::Postpone {
                    after_secs: 0,
                    error: "the operators' group opened again: the rows that waited go first".into(),
                },
                Some(group) => self.deliver_desk(&row, group, item, id, event, about).await?,
            },
            Err(e) => Attempt::Permanent(format!("unreadable payload: {e}")),
        };
        let now = self.clock.now();
        // Errors are logged and kept: what could identify someone (an address a server names
        // in its refusal) is masked first.
        let outcome = match outcome {
            Attempt::Retry { after_secs, error } => Attempt::Retry {
                after_secs,
                error: redact(&error),
            },
            Attempt::Permanent(error) => Attempt::Permanent(redact(&error)),
            Attempt::Postpone { after_secs, error } => Attempt::Postpone {
                after_secs,
                error: redact(&error),
            },
            other => other,
        };
        match outcome {
            Attempt::Left => return Ok(false),
            Attempt::Done => self.store.outbox_done(row.id, now).await?,
            Attempt::Permanent(error) => {
                tracing::warn!(id = row.id, %error, "outbox: gave up");
                self.store.outbox_failed(row.id, now, &error).await?
            }
            Attempt::Postpone { after_secs, error } => {
                let wait = i64::try_from(after_secs).unwrap_or(i64::MAX / 1000);
                self.store
                    .outbox_postpone(row.id, now + Duration::seconds(wait), &error)
                    .await?;
                // The group opened again while this row was being put off (its turn is counted
                // before the waiting rows are made due): what waited, this row too, goes now,
                // not a probe's minute later.
                if wait > 0 && self.group.turn() != turn {
                    self.store.outbox_desk_due_now(self.clock.now()).await?;
                }
            }
            Attempt::Retry { .. } if row.attempts + 1 >= self.max_attempts => {
                self.store.outbox_failed(row.id, now, "too many attempts").await?
            }
            Attempt::Retry { after_secs, error } => {
                let wait = after_secs.max(self.schedule.delay(row.attempts + 1));
                tracing::warn!(id = row.id, attempt = row.attempts + 1, wait, %error, "outbox: will retry");
                let wait = i64::try_from(wait).unwrap_or(i64::MAX / 1000);
                self.store
                    .outbox_retry(row.id, now + Duration::seconds(wait), &error)
                    .await?
            }
        }
        Ok(true)
    }
}
