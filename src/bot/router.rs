//! The one router: the update's context, commands, the buttons that mean the same everywhere,
//! which section owns a button or the state in progress, and what happens after a section's
//! step (its `Outcome`). Sections never call one another; they say where to go, and this
//! module goes there.

use super::ctx::Ctx;
use super::deps::{Deps, HandlerError, HandlerResult, once};
use super::outcome::Outcome;
use super::state::{Area, State};
use super::{auth, connection, home, meters, operators, profile, tickets, ui};
use crate::callback::{Cb, Lang};
use crate::domain::menu::Section;
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
        let commands: Vec<BotCommand> = ["start", "menu", "cancel", "help", "language"]
            .into_iter()
            .map(|c| BotCommand::new(c, i18n::t(loc, &format!("commands.{c}"))))
            .collect();
        tg.set_commands(commands, lang).await?;
    }
    Ok(())
}

async fn context(update_id: i64, deps: Arc<Deps>, chat: ChatId, lang: Option<&str>) -> Result<Ctx, HandlerError> {
    let (session, stored) = deps.store.session_and_dialogue(chat.0).await?;
    let state = stored.as_deref().map(State::from_stored).unwrap_or_default();
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
    })
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
        ctx.deps.albums.settle(ctx.tg(), ctx.chat, album);
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
    let cb = q.data.as_deref().and_then(Cb::decode);
    if let Err(e) = route_callback(&mut ctx, cb).await {
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
        && ctx.state.area().is_some()
        && let Some(section) = msg.text().and_then(ui::section_of)
    {
        let notice = if ctx.state.keeps_draft() {
            ctx.tf("common.left_draft_saved", &[("section", &ctx.t("menu.connection"))])
        } else {
            ctx.t("common.left_unfinished")
        };
        ctx.say(notice).await?;
        return act(ctx, Outcome::Open(section)).await;
    }
    let state = ctx.state.clone();
    if state.area().is_some_and(Area::needs_user) && ctx.user().is_none() {
        // Signed out meanwhile (another chat changed the password, the account was deleted).
        return act(ctx, Outcome::Home(None)).await;
    }
    let outcome = match state {
        State::Stale => return stale_state(ctx).await,
        State::Idle if ctx.user().is_some() => home::on_message(ctx, msg).await?,
        State::Idle => auth::on_idle_message(ctx, msg).await?,
        State::Auth(s) => auth::on_message(ctx, msg, s).await?,
        State::Profile(s) => profile::on_message(ctx, msg, s).await?,
        State::Meters(s) => meters::on_message(ctx, msg, s).await?,
        State::Tickets(s) => tickets::on_message(ctx, msg, s).await?,
        State::Connection(s) => connection::on_message(ctx, msg, s).await?,
    };
    act(ctx, outcome).await
}

/// The section whose button it is; none for a step's buttons («Назад», «Пропустить», an
/// option…), which belong to whatever is in progress.
fn owner(cb: &Cb) -> Option<Area> {
    use Cb::*;
    Some(match cb {
        Services | UsefulInfo => Area::Home,
        Register | Login | Forgot | Resend | RestartRegistration | Dispute => Area::Auth,
        Profile | ProfileEdit | EditName | EditPhone | EditEmail | ResendEmailCode | ChangePassword | Logout
        | Delete | Reminders | ToggleReminder(_) => Area::Profile,
        Meters | AddMeter | ChooseMeter | Meter(_) | Read(_) | History(..) | ReqTaking(_) | ReqCommission(_)
        | ReqReplace(_) | ReqVerify(_) | MeterFile(_) | MeterEdit(_) | MeterEditField(..) | MeterDelete(_)
        | MeterDeleteYes(_) | ReadingPhoto(_) => Area::Meters,
        NewTicket(_) | TicketList(..) | Ticket(_) | TicketAdd(_) | TicketClose(_) | TicketReopen(_) | File(_) => {
            Area::Tickets
        }
        NewConn | ConnKind(_) | ConnResume(_) | ConnRestart(_) | ConnGroup(..) | ConnApp(_) | ConnAdd(_)
        | ConnFile(_) => Area::Connection,
        Lang(_) | ChooseLanguage | Cancel | Menu | Back | Skip | Save | Done | Yes | No | Opt(..) | FormEdit(_)
        | FormFix | Desk(..) => return None,
    })
}

async fn route_callback(ctx: &mut Ctx, cb: Option<Cb>) -> HandlerResult {
    if ctx.state == State::Stale {
        return stale_state(ctx).await;
    }
    let Some(cb) = cb else {
        return act(ctx, Outcome::Stale).await;
    };
    // Buttons that mean the same in every state.
    match cb {
        Cb::Lang(lang) => return set_language(ctx, lang).await,
        Cb::ChooseLanguage => return choose_language(ctx).await,
        Cb::Cancel => return act(ctx, Outcome::Cancelled).await,
        Cb::Menu => return act(ctx, Outcome::Home(None)).await,
        _ => {}
    }
    let state = ctx.state.clone();
    let current = state.area();
    // A section's own button while something of another is in progress leaves that behind;
    // a step's button goes to what is in progress.
    let (area, state) = match (owner(&cb), current) {
        (Some(a), c) if c == Some(a) => (a, Some(state)),
        (Some(a), c) => {
            if c.is_some() {
                ctx.reset().await?;
            }
            (a, None)
        }
        (None, Some(c)) => (c, Some(state)),
        (None, None) => return act(ctx, Outcome::Stale).await,
    };
    if area.needs_user() && ctx.user().is_none() {
        return act(ctx, Outcome::Stale).await;
    }
    let outcome = match (area, state) {
        (Area::Home, _) => home::on_callback(ctx, cb).await?,
        (Area::Auth, s) => auth::on_callback(ctx, cb, s.and_then(auth_state)).await?,
        (Area::Profile, Some(State::Profile(s))) => profile::on_callback(ctx, cb, Some(s)).await?,
        (Area::Profile, _) => profile::on_callback(ctx, cb, None).await?,
        (Area::Meters, Some(State::Meters(s))) => meters::on_callback(ctx, cb, Some(s)).await?,
        (Area::Meters, _) => meters::on_callback(ctx, cb, None).await?,
        (Area::Tickets, Some(State::Tickets(s))) => tickets::on_callback(ctx, cb, Some(s)).await?,
        (Area::Tickets, _) => tickets::on_callback(ctx, cb, None).await?,
        (Area::Connection, Some(State::Connection(s))) => connection::on_callback(ctx, cb, Some(s)).await?,
        (Area::Connection, _) => connection::on_callback(ctx, cb, None).await?,
    };
    act(ctx, outcome).await
}

fn auth_state(s: State) -> Option<auth::state::AuthState> {
    match s {
        State::Auth(a) => Some(a),
        _ => None,
    }
}

async fn command(ctx: &mut Ctx, text: &str) -> Result<Outcome, HandlerError> {
    let (head, arg) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let name = head.trim_start_matches('/').split('@').next().unwrap_or_default();
    match name {
        "start" if !arg.trim().is_empty() => {
            ctx.reset().await?;
            auth::confirm_token(ctx, arg.trim()).await
        }
        "start" | "menu" => Ok(Outcome::Home(None)),
        "cancel" => Ok(Outcome::Cancelled),
        "help" => {
            ctx.say(ctx.t("help.text")).await?;
            Ok(Outcome::Reprompt)
        }
        "language" => {
            choose_language(ctx).await?;
            Ok(Outcome::Done)
        }
        "queue" | "item" | "stats" if operators::command(ctx, name, arg).await? => Ok(Outcome::Done),
        _ => {
            ctx.say(ctx.t("common.unknown_command")).await?;
            Ok(Outcome::Reprompt)
        }
    }
}

/// Does what a step asked for next.
async fn act(ctx: &mut Ctx, mut outcome: Outcome) -> HandlerResult {
    // An opened section or a question asked again answers with an outcome of its own; a few
    // rounds at most (none of them asks for another round of the same kind).
    for _ in 0..4 {
        outcome = match outcome {
            Outcome::Done => return Ok(()),
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
            Outcome::Open(section) => {
                if ctx.state != State::Idle {
                    ctx.reset().await?;
                }
                // What the step changed (a name, an address) shows.
                ctx.reload_session().await?;
                open(ctx, section).await?
            }
        };
    }
    Ok(())
}

/// Where a person lands with nothing in progress: the menu, the confirmation reminder or the
/// welcome.
async fn home(ctx: &Ctx) -> Result<Outcome, HandlerError> {
    if ctx.user().is_some() {
        home::show_menu(ctx).await?;
    } else if ctx.pending().is_some() {
        auth::confirm_reminder(ctx).await?;
    } else {
        home::welcome(ctx).await?;
    }
    Ok(Outcome::Done)
}

async fn open(ctx: &mut Ctx, section: Section) -> Result<Outcome, HandlerError> {
    match section {
        Section::Services => home::services(ctx).await,
        Section::Profile => profile::show(ctx).await,
        Section::Meters => meters::show_list(ctx).await,
        Section::SendReadings => meters::send_readings(ctx).await,
        Section::Tickets | Section::Requests | Section::Documents => tickets::show_section(ctx, section).await,
        Section::Connection => connection::show_section(ctx).await,
    }
}

/// Asks the question of the current state again (after help, a language switch, a refusal).
async fn reprompt(ctx: &mut Ctx) -> Result<Outcome, HandlerError> {
    // Read again: the step that answered may have changed it.
    match ctx.stored_state().await? {
        State::Idle | State::Stale => home(ctx).await,
        State::Auth(s) => auth::prompt(ctx, &s).await,
        State::Profile(s) => profile::prompt(ctx, &s).await,
        State::Meters(s) => meters::prompt(ctx, &s).await,
        State::Tickets(s) => tickets::prompt(ctx, &s).await,
        State::Connection(s) => connection::prompt(ctx, &s).await,
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
