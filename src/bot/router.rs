//! The one router: the update's context, commands, the buttons that mean the same everywhere,
//! which section owns a button or the state in progress, and what happens after a section's
//! step (its `Outcome`). Sections never call one another; they say where to go, and this
//! module goes there.

use super::ctx::Ctx;
use super::deps::{Deps, HandlerError, HandlerResult, once};
use super::outcome::Outcome;
use super::section::{Plug, Press};
use super::state::State;
use super::{drafts, operators, sections, ui};
use crate::callback::{Buttons, Cb, Lang, StepCb};
use crate::i18n;
use std::sync::Arc;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, KeyboardRemove};

pub fn schema() -> UpdateHandler<HandlerError> {
    dptree::entry()
        // The operators' group changing under the bot: a move to a supergroup, the bot removed
        // or let back.
        .branch(
            Update::filter_message()
                .filter(|m: Message| m.migrate_to_chat_id().is_some() || m.migrate_from_chat_id().is_some())
                .endpoint(operators::on_migration),
        )
        .branch(Update::filter_my_chat_member().endpoint(operators::on_my_chat_member))
        // The operators' group: replies to cards and the cards' buttons.
        .branch(
            Update::filter_message()
                .filter(|m: Message, deps: Arc<Deps>| operators::is_desk_group(&deps, m.chat.id))
                .endpoint(operators::on_group_message),
        )
        .branch(
            Update::filter_edited_message()
                .filter(|m: Message, deps: Arc<Deps>| operators::is_desk_group(&deps, m.chat.id))
                .endpoint(operators::on_group_edit),
        )
        .branch(
            Update::filter_callback_query()
                .filter(|q: CallbackQuery, deps: Arc<Deps>| {
                    q.message
                        .as_ref()
                        .is_some_and(|m| operators::is_desk_group(&deps, m.chat().id))
                })
                .endpoint(operators::on_group_callback),
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
                .filter(|q: CallbackQuery| q.message.as_ref().is_some_and(|m| m.chat().is_private()))
                .endpoint(on_callback),
        )
        // A button under a message in any other chat (a group the desk moved away from, a
        // message Telegram no longer shows us): its spinner is stopped, nothing else.
        .branch(Update::filter_callback_query().endpoint(on_foreign_callback))
}

async fn on_foreign_callback(update: Update, q: CallbackQuery, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    once(&d, &update, async move {
        tracing::info!(
            from = q.from.id.0,
            "a button outside the private chats and the desk: only answered"
        );
        deps.tg.answer_callback(&q.id, None, false);
        Ok(false)
    })
    .await
}

/// The command menu in both languages (Telegram shows the one matching the client).
pub async fn register_commands(tg: &crate::telegram::Telegram) -> Result<(), crate::telegram::SendError> {
    for (lang, loc) in [(None, "ru"), (Some("ru"), "ru"), (Some("en"), "en")] {
        let commands: Vec<BotCommand> = [
            ("start", "commands.start"),
            ("menu", "commands.menu"),
            ("cancel", "commands.cancel"),
            ("help", "commands.help"),
            ("language", "commands.language"),
        ]
        .into_iter()
        .map(|(c, key)| BotCommand::new(c, i18n::t(loc, key)))
        .collect();
        tg.set_commands(commands, lang).await?;
    }
    Ok(())
}

async fn context(update_id: i64, deps: Arc<Deps>, chat: ChatId, lang: Option<&str>) -> Result<Ctx, HandlerError> {
    let (session, stored) = deps.store.session_and_dialogue(chat.0).await?;
    let state = settle(stored.as_deref().map(State::from_stored).unwrap_or_default());
    let loc = i18n::pick_locale(session.locale.as_deref(), lang, &deps.config.default_locale);
    let deps_backend = deps.store.backend();
    Ok(Ctx {
        update_id,
        deps,
        chat,
        loc,
        session,
        state,
        marked: Default::default(),
        album: None,
        held: (deps_backend == crate::store::sql::Backend::Postgres).then(Default::default),
        pending: Default::default(),
        entered: Default::default(),
    })
}

/// A stored state checked against its section: one that no longer reads (an older
/// version's) is `Stale`; one that does knows whether it wants a secret.
fn settle(state: State) -> State {
    match state {
        State::In(mut p) => match sections::by_area(&p.area).and_then(|s| s.reads(&p.at)) {
            Some(secret) => {
                p.secret = secret;
                State::In(p)
            }
            None => State::Stale,
        },
        other => other,
    }
}

/// The section whose state is in progress.
fn current(state: &State) -> Option<&'static dyn Plug> {
    state.in_progress().and_then(|p| sections::by_area(&p.area))
}

/// Every failure ends in a sentence for the person, not in silence.
async fn apologise(ctx: &Ctx, e: &HandlerError) {
    tracing::error!(error = %e, "update failed");
    crate::metrics::get().errors.inc();
    let _ = ctx.say(ctx.t("common.error")).await;
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
    // Logged within the update's span (`once`): its id and chat are on every line.
    let lang = msg.from.as_ref().and_then(|u| u.language_code.clone());
    let mut ctx = context(update_id, deps, msg.chat.id, lang.as_deref()).await?;
    ctx.album = msg.media_group_id().map(|g| super::album::Gathered::new(&g.0));
    if let Err(e) = route_message(&mut ctx, &msg).await {
        apologise(&ctx, &e).await;
    }
    if let Some(album) = ctx.album.take() {
        let update = u32::try_from(update_id).unwrap_or(u32::MAX);
        ctx.deps
            .albums
            .settle(ctx.tg(), &ctx.deps.door, ctx.chat, update, album);
    }
    ctx.say_committed().await?;
    tracing::debug!("message handled");
    Ok(ctx.marked.into_inner())
}

async fn on_callback_inner(update_id: i64, q: CallbackQuery, deps: Arc<Deps>) -> Result<bool, HandlerError> {
    let Some(chat) = q.message.as_ref().map(|m| m.chat().id) else {
        return Ok(false);
    };
    // In a private chat only its owner can press its buttons; anything else is forged.
    let private = q.message.as_ref().is_some_and(|m| m.chat().is_private());
    if private && chat.0 != q.from.id.0 as i64 {
        tracing::warn!(from = q.from.id.0, "callback from someone else's private chat ignored");
        return Ok(false);
    }
    let mut ctx = context(update_id, deps, chat, q.from.language_code.as_deref()).await?;
    // Stop the button's spinner first; a refusal, if any, comes as a message.
    ctx.tg().answer_callback(&q.id, None, false);
    if let Err(e) = route_callback(&mut ctx, q.data.as_deref().unwrap_or_default()).await {
        apologise(&ctx, &e).await;
    }
    ctx.say_committed().await?;
    tracing::debug!("button handled");
    Ok(ctx.marked.into_inner())
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
    // A password read back from the inbox after a crash: it was never written there, so it is
    // asked for again (and the message that carried it goes from the chat).
    if msg.text() == Some(crate::webhook::REDACTED) {
        super::password::delete_secret(ctx, msg).await;
        ctx.say(ctx.t("auth.secret_again")).await?;
        return act(ctx, Outcome::Reprompt).await;
    }
    if let Some(text) = msg.text()
        && text.starts_with('/')
        && (!ctx.state.wants_secret() || command_where_secret(text))
    {
        let outcome = command(ctx, text).await?;
        return act(ctx, outcome).await;
    }
    // A main-menu button pressed in the middle of something: the person wants that section,
    // not to answer the question with the button's text.
    if ctx.user().is_some()
        && let Some(p) = ctx.state.in_progress()
        && let Some(entry) = msg.text().and_then(|t| ctx.deps.menu.entry_of(t))
    {
        // A draft is found again under the section's (first) menu entry.
        let drafts_in = sections::by_area(&p.area)
            .filter(|s| s.keeps_draft(&p.at))
            .and_then(|s| s.menu().first());
        let notice = match drafts_in {
            Some(e) => ctx.tf("common.left_draft_saved", &[("section", &ctx.t(e.key))]),
            None => match drafts::keep(ctx, p).await? {
                Some(kept) => kept,
                None => ctx.t("common.left_unfinished"),
            },
        };
        ctx.say(notice).await?;
        return act(ctx, Outcome::Open(entry)).await;
    }
    let state = ctx.state.clone();
    let section = current(&state);
    if section.is_some_and(|s| s.needs_user()) && ctx.user().is_none() {
        // Signed out meanwhile (another chat changed the password, the consumer was deleted).
        return act(ctx, Outcome::Home(None)).await;
    }
    let outcome = match (state, section) {
        (State::Stale, _) | (State::In(_), None) => return stale_state(ctx).await,
        (State::In(p), Some(s)) => s.on_message(ctx, msg, &p.at).await?,
        (State::Idle, _) => on_idle(ctx, msg).await?,
    };
    act(ctx, outcome).await
}

/// A message with nothing in progress: a menu entry by its label (signed in), else the first
/// section that takes it.
async fn on_idle(ctx: &mut Ctx, msg: &Message) -> Result<Outcome, HandlerError> {
    if ctx.user().is_some()
        && let Some(entry) = msg.text().and_then(|t| ctx.deps.menu.entry_of(t))
    {
        return Ok(Outcome::Open(entry));
    }
    for s in sections::ALL {
        if let Some(outcome) = s.on_idle(ctx, msg).await? {
            return Ok(outcome);
        }
    }
    Ok(Outcome::Home(None))
}

async fn route_callback(ctx: &mut Ctx, data: &str) -> HandlerResult {
    if ctx.state == State::Stale {
        return stale_state(ctx).await;
    }
    // Buttons that mean the same in every state.
    match Cb::decode(data) {
        Some(Cb::Lang(lang)) => return set_language(ctx, lang).await,
        Some(Cb::ChooseLanguage) => return choose_language(ctx).await,
        Some(Cb::Cancel) => return act(ctx, Outcome::Cancelled).await,
        Some(Cb::Menu) => {
            let kept = drafts::keep_current(ctx).await?;
            return act(ctx, Outcome::Home(kept)).await;
        }
        Some(Cb::DraftResume(place)) => {
            let outcome = drafts::resume(ctx, place).await?;
            return act(ctx, outcome).await;
        }
        Some(Cb::DraftFresh(place)) => {
            let outcome = drafts::fresh(ctx, place).await?;
            return act(ctx, outcome).await;
        }
        None => {}
    }
    let state = ctx.state.clone();
    let current = current(&state);
    // A step's button goes to what is in progress; a section's own button while something
    // of another is in progress leaves that behind.
    let (section, press, at) = if let Some(step) = StepCb::decode(data) {
        match current {
            Some(c) => (c, Press::Step(step), state.in_progress().map(|p| &p.at)),
            None => return act(ctx, Outcome::Stale).await,
        }
    } else if let Some(owner) = sections::by_button(data) {
        if current.is_some_and(|c| c.area() == owner.area()) {
            (owner, Press::Own(data), state.in_progress().map(|p| &p.at))
        } else {
            if current.is_some() {
                if let Some(kept) = drafts::keep_current(ctx).await? {
                    ctx.say(kept).await?;
                }
                ctx.reset().await?;
            }
            (owner, Press::Own(data), None)
        }
    } else {
        // An unknown button, or one of the desk's in a private chat.
        return act(ctx, Outcome::Stale).await;
    };
    if section.needs_user() && ctx.user().is_none() {
        return act(ctx, Outcome::Stale).await;
    }
    let outcome = section.on_button(ctx, press, at).await?;
    act(ctx, outcome).await
}

async fn command(ctx: &mut Ctx, text: &str) -> Result<Outcome, HandlerError> {
    let (head, arg) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let name = head.trim_start_matches('/').split('@').next().unwrap_or_default();
    match name {
        "start" if !arg.trim().is_empty() => {
            ctx.reset().await?;
            sections::start_link(ctx, arg.trim()).await
        }
        "start" | "menu" => Ok(Outcome::Home(drafts::keep_current(ctx).await?)),
        "cancel" => Ok(Outcome::Cancelled),
        "help" => {
            ctx.say(ctx.t("help.text")).await?;
            Ok(Outcome::Reprompt)
        }
        "language" => {
            choose_language(ctx).await?;
            Ok(Outcome::Done)
        }
        "queue" | "item" | "stats" if is_operator_command(ctx, name, arg).await? => Ok(Outcome::Done),
        _ => {
            ctx.say(ctx.t("common.unknown_command")).await?;
            Ok(Outcome::Reprompt)
        }
    }
}

/// An operator's command, answered in the desk's language (the operators' cards are in it
/// whatever the operator's Telegram speaks).
async fn is_operator_command(ctx: &mut Ctx, name: &str, arg: &str) -> Result<bool, HandlerError> {
    let own = ctx.loc;
    ctx.loc = i18n::pick_locale(Some(&ctx.deps.config.default_locale), None, "ru");
    let done = operators::command(ctx, name, arg).await;
    if !matches!(done, Ok(true)) {
        ctx.loc = own;
    }
    done
}

/// Does what a step asked for next; then, when the person came to a section (opened one of
/// its entries, or a step started one of its forms), a form kept there is offered back.
async fn act(ctx: &mut Ctx, outcome: Outcome) -> HandlerResult {
    let before = ctx.state.in_progress().map(|p| p.area.clone());
    let opened = follow(ctx, outcome).await?;
    let entered = ctx.entered.lock().expect("entered").take();
    let came_to = opened
        .map(str::to_owned)
        .or(entered.filter(|a| before.as_ref() != Some(a)));
    if let Some(area) = came_to {
        drafts::offer(ctx, &area).await?;
    }
    Ok(())
}

/// The outcomes, one after another: the area of the section opened, if one was.
async fn follow(ctx: &mut Ctx, mut outcome: Outcome) -> Result<Option<&'static str>, HandlerError> {
    let mut opened = None;
    // An opened section or a question asked again answers with an outcome of its own; a few
    // rounds at most (none of them asks for another round of the same kind).
    for _ in 0..4 {
        outcome = match outcome {
            Outcome::Done => return Ok(opened),
            // With nothing in progress there is no step to continue: the menu.
            Outcome::Stale if ctx.stored_state().await? == State::Idle => {
                ctx.say(ctx.t("common.old_button")).await?;
                home(ctx).await?
            }
            Outcome::Stale => {
                ctx.say(ctx.t("common.stale_button")).await?;
                reprompt(ctx).await?
            }
            Outcome::Reprompt => reprompt(ctx).await?,
            Outcome::Home(notice) => {
                ctx.reset().await?;
                ctx.reload_session().await?;
                if let Some(n) = notice {
                    ctx.say(n).await?;
                }
                home(ctx).await?
            }
            Outcome::Cancelled => {
                ctx.reset().await?;
                ctx.reload_session().await?;
                if ctx.user().is_some() {
                    ctx.say(ctx.t("common.cancelled")).await?;
                } else {
                    // Drop a reply keyboard left over from an edit step.
                    ctx.say_with(ctx.t("common.cancelled"), KeyboardRemove::new()).await?;
                }
                home(ctx).await?
            }
            Outcome::Open(entry) => {
                if ctx.state != State::Idle {
                    ctx.reset().await?;
                }
                // What the step changed (a name, an address) shows.
                ctx.reload_session().await?;
                opened = sections::by_entry(entry).map(|s| s.area());
                open(ctx, entry).await?
            }
        };
    }
    Ok(opened)
}

/// Where a person lands with nothing in progress.
async fn home(ctx: &Ctx) -> Result<Outcome, HandlerError> {
    sections::landing(ctx).await?;
    Ok(Outcome::Done)
}

async fn open(ctx: &mut Ctx, entry: &'static super::menu::Entry) -> Result<Outcome, HandlerError> {
    match sections::by_entry(entry) {
        Some(s) => s.open(ctx, entry).await,
        None => Ok(Outcome::Home(None)),
    }
}

/// Asks the question of the current state again (after help, a language switch, a refusal).
async fn reprompt(ctx: &mut Ctx) -> Result<Outcome, HandlerError> {
    // Read again: the step that answered may have changed it.
    let state = settle(ctx.stored_state().await?);
    match (&state, current(&state)) {
        (State::In(p), Some(s)) => s.prompt(ctx, &p.at).await,
        _ => home(ctx).await,
    }
}

async fn stale_state(ctx: &mut Ctx) -> HandlerResult {
    act(ctx, Outcome::Home(Some(ctx.t("common.stale_state")))).await
}

async fn choose_language(ctx: &Ctx) -> HandlerResult {
    ctx.say_with(ctx.t("start.choose_language"), ui::inline(vec![ui::language_row()]))
        .await
}

async fn set_language(ctx: &mut Ctx, lang: Lang) -> HandlerResult {
    ctx.store().set_locale(ctx.chat.0, lang.code()).await?;
    ctx.loc = if lang == Lang::En { "en" } else { "ru" };
    ctx.say(ctx.t("start.language_set")).await?;
    act(ctx, Outcome::Reprompt).await
}
