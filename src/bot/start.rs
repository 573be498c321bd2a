//! Commands, the welcome, the language, cancel, and what happens with an outdated button or
//! state: every path ends in a question or the menu.

use super::state::State;
use super::{Ctx, HandlerResult, keyboards, login, menu, meters, profile, registration};
use crate::callback::Lang;
use teloxide::types::{BotCommand, KeyboardRemove};

pub async fn command(ctx: &mut Ctx, text: &str) -> HandlerResult {
    let (head, arg) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let name = head.trim_start_matches('/').split('@').next().unwrap_or_default();
    match name {
        "start" if !arg.trim().is_empty() => menu::confirm_token(ctx, arg.trim()).await,
        "start" | "menu" => {
            ctx.reset().await?;
            show_home(ctx).await
        }
        "cancel" => cancel(ctx).await,
        "help" => {
            ctx.say(ctx.t("help.text")).await?;
            reprompt(ctx).await
        }
        "language" => choose_language(ctx).await,
        "queue" | "item" | "stats" if super::desk::command(ctx, name, arg).await? => Ok(()),
        _ => {
            ctx.say(ctx.t("common.unknown_command")).await?;
            reprompt(ctx).await
        }
    }
}

/// Where a person lands with nothing in progress: menu, confirmation reminder or welcome.
pub async fn show_home(ctx: &Ctx) -> HandlerResult {
    if ctx.user().is_some() {
        menu::show_menu(ctx).await
    } else if ctx.pending().is_some() {
        menu::confirm_reminder(ctx).await
    } else {
        welcome(ctx).await
    }
}

pub async fn welcome(ctx: &Ctx) -> HandlerResult {
    let text = ctx.tf("start.welcome", &[("org", &super::esc(&ctx.deps.config.org_name))]);
    ctx.say_with(text, keyboards::welcome(ctx.loc)).await
}

pub async fn cancel(ctx: &Ctx) -> HandlerResult {
    ctx.reset().await?;
    if ctx.user().is_some() {
        ctx.say(ctx.t("common.cancelled")).await?;
    } else {
        // Drop a reply keyboard left over from an edit step.
        ctx.say_with(ctx.t("common.cancelled"), KeyboardRemove::new()).await?;
    }
    show_home(ctx).await
}

pub async fn to_menu(ctx: &mut Ctx) -> HandlerResult {
    ctx.reset().await?;
    show_home(ctx).await
}

pub async fn stale_state(ctx: &Ctx) -> HandlerResult {
    ctx.reset().await?;
    ctx.say(ctx.t("common.stale_state")).await?;
    show_home(ctx).await
}

/// A button from an old message: say so, then ask the current question again.
pub async fn stale_button(ctx: &Ctx) -> HandlerResult {
    ctx.say(ctx.t("common.stale_button")).await?;
    reprompt(ctx).await
}

/// Asks the question of the current state again (after help, a language switch, bad input).
pub async fn reprompt(ctx: &Ctx) -> HandlerResult {
    // Read again: the handler that asks may have changed it.
    let state = ctx.stored_state().await?;
    match state {
        State::Idle | State::Stale => show_home(ctx).await,
        State::Registration { step, form } => registration::prompt(ctx, step, &form).await,
        State::LoginId
        | State::LoginPassword { .. }
        | State::ResetLogin
        | State::ResetCode { .. }
        | State::ResetPassword { .. }
        | State::ResetPasswordRepeat { .. } => login::prompt(ctx, &state).await,
        State::AddMeter { .. }
        | State::Reading { .. }
        | State::ReadingPhoto { .. }
        | State::MeterReq { .. }
        | State::MeterEditValue { .. } => meters::prompt(ctx, &state).await,
        State::TicketNew { .. } | State::TicketFollowUp { .. } => super::tickets::prompt(ctx, &state).await,
        State::Dispute { .. } => super::dispute::prompt(ctx, &state).await,
        State::ConnForm { .. } | State::ConnAdd { .. } => super::connection::prompt(ctx, &state).await,
        _ => profile::prompt(ctx, &state).await,
    }
}

pub async fn choose_language(ctx: &Ctx) -> HandlerResult {
    ctx.say_with(
        ctx.t("start.choose_language"),
        keyboards::inline(vec![keyboards::language_row()]),
    )
    .await
}

pub async fn set_language(ctx: &mut Ctx, lang: Lang) -> HandlerResult {
    ctx.store().set_locale(ctx.chat.0, lang.code()).await?;
    ctx.loc = if lang == Lang::En { "en" } else { "ru" };
    ctx.say(ctx.t("start.language_set")).await?;
    reprompt(ctx).await
}

/// The command menu in both languages (Telegram shows the one matching the client).
pub async fn register_commands(tg: &crate::telegram::Telegram) -> Result<(), crate::telegram::SendError> {
    for (lang, loc) in [(None, "ru"), (Some("ru"), "ru"), (Some("en"), "en")] {
        let commands: Vec<BotCommand> = ["start", "menu", "cancel", "help", "language"]
            .into_iter()
            .map(|c| BotCommand::new(c, crate::i18n::t(loc, &format!("commands.{c}"))))
            .collect();
        tg.set_commands(commands, lang).await?;
    }
    Ok(())
}
