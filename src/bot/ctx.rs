//! One update's context: who, in which language, signed in as whom, in which dialogue; and the
//! ways a step answers (messages now, or replies committed with what the step did).

use super::deps::{Deps, HandlerResult};
use super::state::State;
use crate::callback::Buttons;
use crate::i18n;
use crate::store::StoreError;
use crate::store::consumers::{ChatSession, Consumer, ConsumerStatus};
use crate::store::finish::{DialogueAfter, Finish};
use crate::store::outbox::{Button, OutboxMessage};
use crate::telegram::push::{self, Push};
use crate::telegram::{Extras, Priority, Telegram};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use teloxide::types::{ChatId, ReplyMarkup};

/// Something said in an update, in order (see `Ctx::held`).
#[derive(Debug, Clone)]
pub enum Said {
    /// Said, not written yet.
    Held(OutboxMessage),
    /// Written with what a step did (an outbox row), to be sent.
    Committed(i64),
}

pub struct Ctx {
    /// The update being handled: what it does is written with the mark that it was handled.
    pub update_id: i64,
    pub deps: Arc<Deps>,
    pub chat: ChatId,
    pub loc: &'static str,
    pub session: ChatSession,
    /// The dialogue's state as the update found it (read with the session, in one query).
    pub state: State,
    /// The handled mark is written (with a dialogue change); nothing more to mark at the end.
    pub marked: AtomicBool,
    /// The update is a part of an album: what is said is held for the album's one answer.
    pub album: Option<super::album::Gathered>,
    /// On PostgreSQL: what is said, held to be written with the update's handled mark (as
    /// outbox rows) and sent right after, in the order said, with the replies a step committed
    /// itself: a replica killed in between has said nothing, and its answers go out once, by
    /// another (see `say_committed`).
    pub held: Option<std::sync::Mutex<Vec<Said>>>,
    /// With `held`: the dialogue's change a step asked for, written with the mark at the end
    /// of the update (with everything said), not before what follows it.
    pub pending: std::sync::Mutex<Option<DialogueAfter>>,
    /// The section whose state a step set during this update (where the person went).
    pub entered: std::sync::Mutex<Option<String>>,
}

impl Ctx {
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.loc, key)
    }

    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        i18n::tf(self.loc, key, args)
    }

    pub fn store(&self) -> &crate::store::Store {
        &self.deps.store
    }

    pub fn tg(&self) -> &Telegram {
        &self.deps.tg
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.deps.clock.now()
    }

    /// Today in the utility's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.deps.config.today(self.now())
    }

    /// A moment's date as people read it, in the utility's time zone.
    pub fn date(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        self.deps.config.local_date(at)
    }

    /// The consumer this chat is signed in to and that is confirmed.
    pub fn user(&self) -> Option<&Consumer> {
        self.session
            .consumer
            .as_ref()
            .filter(|a| a.status == ConsumerStatus::Confirmed)
    }

    /// The consumer registered from this chat and waiting for its e-mail code.
    pub fn pending(&self) -> Option<&Consumer> {
        self.session
            .consumer
            .as_ref()
            .filter(|a| a.status == ConsumerStatus::Pending)
    }

    /// A message to this chat (HTML; split into several when too long), handed to the
    /// chat's lane: it leaves after what was said before it, and the handler does not wait.
    pub async fn say(&self, text: impl Into<String>) -> HandlerResult {
        self.say_now(text.into(), Extras::default());
        Ok(())
    }

    fn say_now(&self, text: String, extras: Extras) {
        let (text, extras) = self.for_reader(text, extras);
        match (&self.album, &self.held) {
            (Some(album), _) => album.push(text, extras),
            (None, Some(held)) => held
                .lock()
                .expect("held replies")
                .push(Said::Held(OutboxMessage::Telegram {
                    chat_id: self.chat.0,
                    text,
                    button: None,
                    keyboard: Vec::new(),
                    reply_to: extras.reply_to.map(|m| i64::from(m.0)),
                    markup: extras.markup,
                    paid: false,
                })),
            (None, None) => self.tg().queue_send(self.chat, text, extras),
        }
    }

    /// What is said as its reader reads it: an English client gets item numbers in Latin
    /// letters, in the text and on the buttons (`domain::numbers`).
    fn for_reader(&self, text: String, mut extras: Extras) -> (String, Extras) {
        if self.loc != "en" {
            return (text, extras);
        }
        if let Some(ReplyMarkup::InlineKeyboard(kb)) = extras.markup.as_mut() {
            for b in kb.inline_keyboard.iter_mut().flatten() {
                b.text = crate::domain::numbers::latin(&b.text);
            }
        }
        (crate::domain::numbers::latin(&text), extras)
    }

    /// At the end of the update: what is held is written with the handled mark and the
    /// dialogue's change (if a step asked for one), then everything said is sent in order.
    /// Whether the update was marked here.
    pub async fn say_committed(&self) -> Result<bool, super::HandlerError> {
        let Some(held) = &self.held else { return Ok(false) };
        let said = std::mem::take(&mut *held.lock().expect("held replies"));
        let pending = self.pending.lock().expect("pending dialogue").take();
        let replies: Vec<OutboxMessage> = said
            .iter()
            .filter_map(|s| match s {
                Said::Held(m) => Some(m.clone()),
                Said::Committed(_) => None,
            })
            .collect();
        let mut written = Vec::new();
        let marked = !replies.is_empty() || pending.is_some();
        if marked {
            let mut f = self.finish(Vec::new());
            f.dialogue = pending.unwrap_or(DialogueAfter::Keep);
            f.replies = replies;
            match self.store().finish(&f, self.now()).await {
                Ok(rows) => written = rows,
                // Another replica took the update over (this one's lease ran out): it answers.
                Err(e @ StoreError::TakenOver(_)) => return Err(e.into()),
                // Not written (the database went away): said now all the same (an apology
                // above all), and the update is left unmarked.
                Err(e) => {
                    for m in said.into_iter().filter_map(|s| match s {
                        Said::Held(m) => Some(m),
                        Said::Committed(_) => None,
                    }) {
                        if let OutboxMessage::Telegram {
                            text, markup, reply_to, ..
                        } = m
                        {
                            let extras = Extras {
                                markup,
                                reply_to: reply_to.map(|r| teloxide::types::MessageId(r as i32)),
                                thread: None,
                            };
                            self.tg().queue_send(self.chat, text, extras);
                        }
                    }
                    return Err(e.into());
                }
            }
            self.marked.store(true, Ordering::Relaxed);
        }
        let mut written = written.into_iter();
        let rows: Vec<i64> = said
            .iter()
            .filter_map(|s| match s {
                Said::Held(_) => written.next(),
                Said::Committed(row) => Some(*row),
            })
            .collect();
        if !rows.is_empty() {
            self.deliver_committed(&rows, true);
        }
        Ok(marked)
    }

    /// A message with a keyboard (on its last part, when it is split).
    pub async fn say_with(&self, text: impl Into<String>, markup: impl Into<ReplyMarkup>) -> HandlerResult {
        self.say_now(text.into(), Extras::markup(markup));
        Ok(())
    }

    /// The dialogue's next state, written with the mark that this update was handled: a step
    /// offered again after a crash is not answered twice (the state is stored before the
    /// question that expects the answer is sent).
    pub async fn set(&self, state: impl Into<State>) -> HandlerResult {
        let state = state.into();
        if let Some(p) = state.in_progress() {
            *self.entered.lock().expect("entered") = Some(p.area.clone());
        }
        let json = state.to_stored();
        self.end(DialogueAfter::Set {
            state: json,
            secret: state.wants_secret(),
        })
        .await
    }

    /// Nothing in progress any more (written with the handled mark, as `set`).
    pub async fn reset(&self) -> HandlerResult {
        self.end(DialogueAfter::Clear).await
    }

    async fn end(&self, dialogue: DialogueAfter) -> HandlerResult {
        // Written (and the update marked) by `say_committed` at the end of the update.
        if self.held.is_some() {
            *self.pending.lock().expect("pending dialogue") = Some(dialogue);
            return Ok(());
        }
        let mut f = self.finish(Vec::new());
        f.dialogue = dialogue;
        let rows = self.store().finish(&f, self.now()).await?;
        self.marked.store(true, Ordering::Relaxed);
        if !rows.is_empty() {
            self.deliver_committed(&rows, true);
        }
        Ok(())
    }

    /// The dialogue's state as stored now (a step may have changed it).
    pub async fn stored_state(&self) -> Result<State, super::HandlerError> {
        match self.pending.lock().expect("pending dialogue").clone() {
            Some(DialogueAfter::Clear) => return Ok(State::default()),
            Some(DialogueAfter::Set { state, .. }) => return Ok(State::from_stored(&state)),
            Some(DialogueAfter::Keep) | None => {}
        }
        Ok(self
            .store()
            .dialogue_state(self.chat.0)
            .await?
            .map(|s| State::from_stored(&s))
            .unwrap_or_default())
    }

    pub fn outbox_written(&self) {
        self.deps.outbox_wake.notify_one();
    }

    /// The end of this update, to be written in the same transaction as what it did: the
    /// dialogue cleared, the update marked handled, `replies` queued to arrive exactly once
    /// (sent by `send_committed` right after the commit).
    pub fn finish(&self, replies: Vec<OutboxMessage>) -> Finish {
        // A step that writes its own end supersedes a dialogue change asked for before.
        *self.pending.lock().expect("pending dialogue") = None;
        Finish {
            update_id: self.update_id,
            chat_id: self.chat.0,
            dialogue: DialogueAfter::Clear,
            rate_keys: Vec::new(),
            replies,
        }
    }

    /// A reply to this chat as a queued message (HTML), without buttons.
    pub fn queued_text(&self, text: String) -> OutboxMessage {
        self.queued::<crate::callback::StepCb>(text, &[])
    }

    /// A reply to this chat as a queued message (HTML), with rows of buttons (their locale
    /// keys and what they do).
    pub fn queued<B: Buttons>(&self, text: String, rows: &[&[(&str, B)]]) -> OutboxMessage {
        let (text, _) = self.for_reader(text, Extras::default());
        OutboxMessage::Telegram {
            chat_id: self.chat.0,
            text,
            button: None,
            keyboard: rows
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|(key, cb)| Button {
                            text: self.t(key),
                            data: cb.encode(),
                        })
                        .collect()
                })
                .collect(),
            reply_to: None,
            markup: None,
            paid: false,
        }
    }

    /// Sends the replies committed with this update, in order, through the chat's lane. One
    /// that does not go is left to the outbox worker (it is already queued), never lost and
    /// never sent twice.
    pub async fn send_committed(&self, rows: &[i64]) -> HandlerResult {
        // The transaction may have queued more than the replies (a card for the operators'
        // group, a letter): the outbox worker takes those.
        self.outbox_written();
        if !self.hold_committed(rows) {
            self.deliver_committed(rows, false);
        }
        Ok(())
    }

    /// On PostgreSQL, committed replies wait their turn among what is said (see `held`).
    /// Sent at once when nothing said before them is held.
    fn hold_committed(&self, rows: &[i64]) -> bool {
        let Some(held) = &self.held else { return false };
        let mut said = held.lock().expect("held replies");
        if !said.iter().any(|s| matches!(s, Said::Held(_))) {
            return false;
        }
        said.extend(rows.iter().map(|r| Said::Committed(*r)));
        true
    }

    /// As `send_committed`, for a transaction that queued nothing but these replies: the
    /// outbox worker is woken only for one that did not go now (saves its two queries).
    pub async fn send_replies(&self, rows: &[i64]) -> HandlerResult {
        if !self.hold_committed(rows) {
            self.deliver_committed(rows, true);
        }
        Ok(())
    }

    /// Hands committed replies to the chat's lane; `wake` the outbox worker when one is left
    /// to it.
    fn deliver_committed(&self, rows: &[i64], wake: bool) {
        crate::failpoint::hit(crate::failpoint::AFTER_COMMIT);
        let rows = rows.to_vec();
        let (store, tg, clock) = (self.store().clone(), self.tg().clone(), self.deps.clock.clone());
        let outbox = self.deps.outbox_wake.clone();
        self.tg().queue(self.chat, async move {
            match deliver_rows(&store, &tg, &clock, &rows).await {
                Ok(true) => {}
                Ok(false) => {
                    if wake {
                        outbox.notify_one();
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "committed replies are left to the outbox");
                    // Due now rather than after their lease (minutes), if the database answers.
                    if let Err(e) = store.outbox_release_rows(&rows, clock.now()).await {
                        tracing::warn!(error = %e, "the replies go when their lease runs out");
                    }
                    outbox.notify_one();
                }
            }
        });
    }

    pub async fn reload_session(&mut self) -> HandlerResult {
        self.session = self.store().session(self.chat.0).await?;
        Ok(())
    }
}

/// Sends committed replies in order; false when one was left to the outbox worker.
async fn deliver_rows(
    store: &crate::store::Store,
    tg: &Telegram,
    clock: &crate::clock::Clock,
    rows: &[i64],
) -> Result<bool, StoreError> {
    let mut all_sent = true;
    for &row in rows {
        // Waiting in the lane may outlast the reply's lease: then the outbox worker sends it.
        let now = clock.now();
        let Some((r, fresh)) = store
            .outbox_leased_row(row, now, now + crate::store::finish::REPLY_LEASE)
            .await?
        else {
            continue;
        };
        let Ok(OutboxMessage::Telegram {
            chat_id,
            text,
            button,
            keyboard,
            reply_to,
            markup,
            ..
        }) = r.message()
        else {
            continue;
        };
        let p = Push {
            row,
            chat_id,
            text: &text,
            keyboard: markup.or_else(|| push::keyboard(button.as_ref(), &keyboard).map(ReplyMarkup::InlineKeyboard)),
            reply_to,
            fresh,
        };
        match push::deliver(tg, store, Priority::Reply, &p).await {
            // A fresh row is marked with its last piece.
            Ok(()) if fresh => {}
            Ok(()) => store.outbox_done(row, clock.now()).await?,
            Err(e) => {
                tracing::warn!(error = %e, row, "a committed reply is left to the outbox");
                store.outbox_retry(row, clock.now(), &e.to_string()).await?;
                all_sent = false;
            }
        }
    }
    Ok(all_sent)
}
