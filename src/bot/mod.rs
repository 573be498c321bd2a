//! The Telegram face: one schema composed of sections, a `Ctx` per update, texts through i18n.

pub mod auth;
pub mod codes;
pub mod connection;
pub mod desk;
pub mod dispute;
pub mod files;
pub mod keyboards;
pub mod login;
pub mod menu;
pub mod meters;
pub mod profile;
pub mod registration;
pub mod start;
pub mod state;
pub mod tickets;

use crate::callback::Cb;
use crate::clock::Clock;
use crate::config::Config;
use crate::i18n;
use crate::store::accounts::{AccountStatus, ChatSession};
use crate::store::finish::{DialogueAfter, Finish};
use crate::store::outbox::{Button, OutboxMessage};
use crate::store::{Store, StoreError};
use crate::telegram::push::{self, Push};
use crate::telegram::{Extras, Priority, SendError, Telegram};
use state::State;
use std::sync::Arc;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::ReplyMarkup;
use tokio::sync::Notify;
use tracing::Instrument;

/// What every handler needs besides the update.
pub struct Deps {
    pub store: Store,
    /// The only way out to Telegram.
    pub tg: Telegram,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Wakes the outbox worker after a row was written.
    pub outbox_wake: Arc<Notify>,
    pub bot_username: String,
    /// The highest update id received before this start: only ids up to it can be offered
    /// again after a crash, so only those are looked up.
    pub handled_before_start: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("telegram: {0}")]
    Send(#[from] SendError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("password hashing: {0}")]
    Hash(String),
}

pub type HandlerResult = Result<(), HandlerError>;

/// One update's context: who, in which language, signed in as whom, in which dialogue.
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
    pub marked: std::sync::atomic::AtomicBool,
}

impl Ctx {
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.loc, key)
    }

    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        i18n::tf(self.loc, key, args)
    }

    pub fn store(&self) -> &Store {
        &self.deps.store
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.deps.clock.now()
    }

    /// Today in the utility's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.deps.config.today(self.now())
    }

    /// The account this chat is signed in to and that is confirmed.
    pub fn user(&self) -> Option<&crate::store::accounts::Account> {
        self.session
            .account
            .as_ref()
            .filter(|a| a.status == AccountStatus::Confirmed)
    }

    pub fn pending(&self) -> Option<&crate::store::accounts::Account> {
        self.session
            .account
            .as_ref()
            .filter(|a| a.status == AccountStatus::Pending)
    }

    pub fn tg(&self) -> &Telegram {
        &self.deps.tg
    }

    /// A message to this chat (HTML; split into several when too long).
    pub async fn say(&self, text: impl Into<String>) -> HandlerResult {
        self.tg()
            .send(self.chat, Priority::Reply, &text.into(), Extras::default())
            .await?;
        Ok(())
    }

    /// A message with a keyboard (on its last part, when it is split).
    pub async fn say_with(&self, text: impl Into<String>, markup: impl Into<ReplyMarkup>) -> HandlerResult {
        self.tg()
            .send(self.chat, Priority::Reply, &text.into(), Extras::markup(markup))
            .await?;
        Ok(())
    }

    /// The dialogue's next state, written with the mark that this update was handled: a step
    /// offered again after a crash is not answered twice (the state is stored before the
    /// question that expects the answer is sent).
    pub async fn set(&self, state: State) -> HandlerResult {
        let json = serde_json::to_string(&state).map_err(StoreError::from)?;
        self.end(DialogueAfter::Set(json)).await
    }

    /// Nothing in progress any more (written with the handled mark, as `set`).
    pub async fn reset(&self) -> HandlerResult {
        self.end(DialogueAfter::Clear).await
    }

    async fn end(&self, dialogue: DialogueAfter) -> HandlerResult {
        let mut f = self.finish(Vec::new());
        f.dialogue = dialogue;
        self.store().finish(&f, self.now()).await?;
        self.marked.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// The dialogue's state as stored now (a handler may have changed it).
    pub async fn stored_state(&self) -> Result<State, HandlerError> {
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
        Finish {
            update_id: self.update_id,
            chat_id: self.chat.0,
            dialogue: DialogueAfter::Clear,
            rate_keys: Vec::new(),
            replies,
        }
    }

    /// A reply to this chat as a queued message (HTML), with rows of buttons (their locale
    /// keys and what they do).
    pub fn queued(&self, text: String, rows: &[&[(&str, Cb)]]) -> OutboxMessage {
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
        }
    }

    /// Sends the replies committed with this update, in order. One that does not go now is
    /// left to the outbox worker (it is already queued), never lost and never sent twice.
    pub async fn send_committed(&self, rows: &[i64]) -> HandlerResult {
        crate::failpoint::hit(crate::failpoint::AFTER_COMMIT);
        self.outbox_written();
        for &row in rows {
            let Some(r) = self.store().outbox_pending_row(row).await? else {
                continue;
            };
            let Ok(OutboxMessage::Telegram {
                chat_id,
                text,
                button,
                keyboard,
                reply_to,
            }) = r.message()
            else {
                continue;
            };
            let p = Push {
                row,
                chat_id,
                text: &text,
                keyboard: push::keyboard(button.as_ref(), &keyboard),
                reply_to,
            };
            match push::deliver(self.tg(), self.store(), Priority::Reply, &p).await {
                Ok(()) => self.store().outbox_done(row, self.now()).await?,
                Err(e) => {
                    tracing::warn!(error = %e, row, "a committed reply is left to the outbox");
                    self.store().outbox_retry(row, self.now(), &e.to_string()).await?;
                }
            }
        }
        Ok(())
    }

    pub async fn reload_session(&mut self) -> HandlerResult {
        self.session = self.store().session(self.chat.0).await?;
        Ok(())
    }
}

pub use crate::telegram::esc;

pub fn schema() -> UpdateHandler<HandlerError> {
    dptree::entry()
        // The operators' group: replies to cards and the cards' buttons.
        .branch(
            Update::filter_message()
                .filter(|m: Message, deps: Arc<Deps>| desk::is_desk_group(&deps, m.chat.id))
                .endpoint(desk::on_group_message),
        )
        .branch(
            Update::filter_callback_query()
                .filter(|q: CallbackQuery, deps: Arc<Deps>| {
                    q.message
                        .as_ref()
                        .is_some_and(|m| desk::is_desk_group(&deps, m.chat().id))
                })
                .endpoint(desk::on_group_callback),
        )
        // Private chats. The dialogue's state is read together with the session (see
        // `context`) rather than by teloxide's `enter_dialogue`, which reads it on its own and
        // writes a default for every chat that has none.
        .branch(
            Update::filter_message()
                .filter(|m: Message| m.chat.is_private())
                .endpoint(on_message),
        )
        .branch(
            Update::filter_callback_query()
                .filter(|q: CallbackQuery| q.message.is_some())
                .endpoint(on_callback),
        )
}

async fn context(update_id: i64, deps: Arc<Deps>, chat: ChatId, lang: Option<&str>) -> Result<Ctx, HandlerError> {
    let (session, stored) = deps.store.session_and_dialogue(chat.0).await?;
    let state = stored.as_deref().map(State::from_stored).unwrap_or_default();
    let loc = i18n::pick_locale(session.locale.as_deref(), lang, &deps.config.default_locale);
    Ok(Ctx {
        update_id,
        deps,
        chat,
        loc,
        session,
        state,
        marked: Default::default(),
    })
}

/// Every failure ends in a sentence for the person, not in silence.
async fn apologise(ctx: &Ctx, e: &HandlerError) {
    tracing::error!(error = %e, "update failed");
    let _ = ctx.say(ctx.t("common.error")).await;
}

/// Runs a handler once per update: one offered again after a crash (by Telegram, or from
/// the inbox) is skipped if it was handled. The handler says whether it marked the update
/// itself (with a dialogue change); else it is marked here.
pub(crate) async fn once(
    deps: &Deps,
    update: &Update,
    handle: impl std::future::Future<Output = Result<bool, HandlerError>>,
) -> HandlerResult {
    let id = i64::from(update.id.0);
    if id <= deps.handled_before_start && deps.store.update_processed(id).await? {
        tracing::info!(update = id, "already handled");
        return Ok(());
    }
    if !handle.await? {
        deps.store.mark_update_processed(id, deps.clock.now()).await?;
    }
    Ok(())
}

async fn on_message(update: Update, msg: Message, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    once(&d, &update, on_message_inner(i64::from(update.id.0), msg, deps)).await
}

async fn on_callback(update: Update, q: CallbackQuery, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    once(&d, &update, on_callback_inner(i64::from(update.id.0), q, deps)).await
}

async fn on_message_inner(update_id: i64, msg: Message, deps: Arc<Deps>) -> Result<bool, HandlerError> {
    let span = tracing::info_span!("message", chat = msg.chat.id.0, msg = msg.id.0);
    async move {
        let lang = msg.from.as_ref().and_then(|u| u.language_code.clone());
        let mut ctx = context(update_id, deps, msg.chat.id, lang.as_deref()).await?;
        if let Err(e) = route_message(&mut ctx, &msg).await {
            apologise(&ctx, &e).await;
        }
        Ok(ctx.marked.into_inner())
    }
    .instrument(span)
    .await
}

async fn on_callback_inner(update_id: i64, q: CallbackQuery, deps: Arc<Deps>) -> Result<bool, HandlerError> {
    let Some(chat) = q.message.as_ref().map(|m| m.chat().id) else {
        return Ok(false);
    };
    let span = tracing::info_span!("callback", chat = chat.0);
    // In a private chat only its owner can press its buttons; anything else is forged.
    let private = q.message.as_ref().is_some_and(|m| m.chat().is_private());
    if private && chat.0 != q.from.id.0 as i64 {
        tracing::warn!(from = q.from.id.0, "callback from someone else's private chat ignored");
        return Ok(false);
    }
    async move {
        let mut ctx = context(update_id, deps, chat, q.from.language_code.as_deref()).await?;
        let cb = q.data.as_deref().and_then(Cb::decode);
        // Stop the button's spinner first; a refusal, if any, comes as a message.
        ctx.tg().answer_callback(&q.id, None, false).await;
        let result = match cb {
            Some(cb) => route_callback(&mut ctx, cb).await,
            None => start::stale_button(&ctx).await,
        };
        if let Err(e) = result {
            apologise(&ctx, &e).await;
        }
        Ok(ctx.marked.into_inner())
    }
    .instrument(span)
    .await
}

/// A command even where a password is expected: the menu's own commands, bare (all shorter
/// than a password may be), and the confirmation letter's link.
fn command_where_secret(text: &str) -> bool {
    let t = text.trim();
    let (head, arg) = t.split_once(' ').unwrap_or((t, ""));
    let name = head.split('@').next().unwrap_or_default();
    match (name, arg) {
        ("/start" | "/menu" | "/cancel" | "/help" | "/language", "") => true,
        ("/start", token) => token.len() == 48 && token.chars().all(|c| c.is_ascii_hexdigit()),
        _ => false,
    }
}

async fn route_message(ctx: &mut Ctx, msg: &Message) -> HandlerResult {
    if let Some(text) = msg.text()
        && text.starts_with('/')
        && (!ctx.state.wants_secret() || command_where_secret(text))
    {
        return start::command(ctx, text).await;
    }
    let state = ctx.state.clone();
    match state {
        State::Stale => start::stale_state(ctx).await,
        State::Idle => menu::idle_message(ctx, msg).await,
        State::Registration { step, form } => registration::on_message(ctx, msg, step, form).await,
        State::LoginId
        | State::LoginPassword { .. }
        | State::ResetLogin
        | State::ResetCode { .. }
        | State::ResetPassword { .. }
        | State::ResetPasswordRepeat { .. } => login::on_message(ctx, msg, state).await,
        State::EditName
        | State::EditPhone
        | State::EditEmailPassword
        | State::EditEmail
        | State::EditEmailCode { .. }
        | State::ChangePwCurrent
        | State::ChangePwNew
        | State::ChangePwRepeat { .. }
        | State::DeleteConfirm => profile::on_message(ctx, msg, state).await,
        State::AddMeter { .. }
        | State::Reading { .. }
        | State::ReadingPhoto { .. }
        | State::MeterReq { .. }
        | State::MeterEditValue { .. } => meters::on_message(ctx, msg, state).await,
        State::TicketNew { .. } | State::TicketFollowUp { .. } => tickets::on_message(ctx, msg, state).await,
        State::Dispute { .. } => dispute::on_message(ctx, msg, state).await,
        State::ConnForm { .. } | State::ConnAdd { .. } => connection::on_message(ctx, msg, state).await,
    }
}

async fn route_callback(ctx: &mut Ctx, cb: Cb) -> HandlerResult {
    let state = ctx.state.clone();
    if state == State::Stale {
        return start::stale_state(ctx).await;
    }
    // Buttons that mean the same in every state.
    match cb {
        Cb::Lang(lang) => return start::set_language(ctx, lang).await,
        Cb::ChooseLanguage => return start::choose_language(ctx).await,
        Cb::Cancel => return start::cancel(ctx).await,
        Cb::Menu => return start::to_menu(ctx).await,
        _ => {}
    }
    if cb == Cb::Dispute {
        return dispute_from(ctx, &state).await;
    }
    if let State::Dispute { .. } = state {
        return dispute::on_callback(ctx, cb, state).await;
    }
    if meters::handles(cb, &state) {
        return meters::on_callback(ctx, cb, state).await;
    }
    if tickets::handles(cb, &state) {
        return tickets::on_callback(ctx, cb, state).await;
    }
    if connection::handles(cb, &state) {
        return connection::on_callback(ctx, cb, state).await;
    }
    match state {
        State::Registration { step, form } => registration::on_callback(ctx, cb, step, form).await,
        State::LoginId
        | State::LoginPassword { .. }
        | State::ResetLogin
        | State::ResetCode { .. }
        | State::ResetPassword { .. }
        | State::ResetPasswordRepeat { .. } => login::on_callback(ctx, cb, state).await,
        _ => menu::idle_callback(ctx, cb, state).await,
    }
}

/// «Это мой номер», from the login step of a registration or from an unconfirmed account whose
/// login someone confirmed first.
async fn dispute_from(ctx: &mut Ctx, state: &State) -> HandlerResult {
    let typed = match state {
        State::Registration { form, .. } => form.taken_login.clone().zip(form.kind),
        _ => None,
    };
    let pending = ctx.pending().and_then(|a| a.login.clone().map(|l| (l, a.kind)));
    match typed.or(pending) {
        Some((login, kind)) if ctx.user().is_none() => dispute::begin(ctx, login, kind).await,
        _ => start::stale_button(ctx).await,
    }
}

/// Deletes a message that carried a password; failing that is logged, not fatal.
pub async fn delete_secret(ctx: &Ctx, msg: &Message) {
    if let Err(e) = ctx.tg().delete(ctx.chat, msg.id).await {
        tracing::warn!(error = %e, "could not delete a message with a password");
    }
}

pub async fn hash_password(password: String) -> Result<String, HandlerError> {
    tokio::task::spawn_blocking(move || crate::password::hash(&password))
        .await
        .map_err(|e| HandlerError::Hash(e.to_string()))?
        .map_err(HandlerError::Hash)
}

pub async fn verify_password(password: String, hash: String) -> Result<bool, HandlerError> {
    tokio::task::spawn_blocking(move || crate::password::verify(&password, &hash))
        .await
        .map_err(|e| HandlerError::Hash(e.to_string()))
}
