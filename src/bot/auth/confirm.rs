//! A consumer registered from this chat and waiting for its e-mail: the code typed here, the
//! letter's link (`/start <token>`), «Отправить код ещё раз», «Начать регистрацию заново».

use crate::bot::code_mail;
use crate::bot::ctx::Ctx;
use crate::bot::deps::{HandlerError, HandlerResult};
use crate::bot::input_errors;
use crate::bot::outcome::Outcome;
use crate::bot::ui::{self, esc};
use crate::callback::AuthCb;
use crate::store::codes::{CodeFor, Purpose, normalize_code};
use crate::store::consumers::{ConfirmOutcome, TokenOutcome};
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

/// The home screen of an unconfirmed consumer: where the code went and what to do.
pub async fn confirm_reminder(ctx: &Ctx) -> HandlerResult {
    let email = ctx
        .pending()
        .map(|a| crate::domain::person::mask_email(a.email()))
        .unwrap_or_default();
    ctx.say_with(
        ctx.tf("confirm.reminder", &[("email", &esc(&email))]),
        ui::pending(ctx.loc),
    )
    .await
}

pub async fn on_message(ctx: &mut Ctx, msg: &Message) -> Result<Outcome> {
    let Some(consumer_id) = ctx.pending().map(|a| a.id) else {
        return Ok(Outcome::Home(None));
    };
    let Some(code) = msg.text().and_then(normalize_code) else {
        confirm_reminder(ctx).await?;
        return Ok(Outcome::Done);
    };
    match ctx
        .store()
        .confirm_by_code(consumer_id, ctx.chat.0, &code, ctx.now())
        .await?
    {
        ConfirmOutcome::Confirmed { .. } => Ok(Outcome::Home(Some(ctx.t("confirm.done")))),
        ConfirmOutcome::LoginTaken => login_taken(ctx).await,
        ConfirmOutcome::Code(check) => {
            if let Some(text) = input_errors::code_problem(ctx.loc, &check) {
                ctx.say_with(text, ui::pending(ctx.loc)).await?;
            }
            Ok(Outcome::Done)
        }
    }
}

/// Someone else confirmed the same login first.
async fn login_taken(ctx: &Ctx) -> Result<Outcome> {
    let kb = ui::inline(vec![
        ui::row(ctx.loc, "start.login", AuthCb::Login),
        ui::row(ctx.loc, "login.forgot", AuthCb::Forgot),
        ui::row(ctx.loc, "dispute.its_mine", AuthCb::Dispute),
        ui::row(ctx.loc, "confirm.restart", AuthCb::RestartRegistration),
    ]);
    ctx.say_with(ctx.t("confirm.login_taken"), kb).await?;
    Ok(Outcome::Done)
}

pub async fn resend(ctx: &Ctx) -> Result<Outcome> {
    let Some(acc) = ctx.pending().cloned() else {
        return Ok(Outcome::Stale);
    };
    let key = CodeFor {
        consumer_id: acc.id,
        purpose: Purpose::Register,
        chat_id: ctx.chat.0,
    };
    let sent = code_mail::send(
        ctx,
        key,
        acc.email(),
        &crate::wording::letter_hello(ctx.loc, acc.kind, None),
    )
    .await?;
    match code_mail::refusal(ctx, &sent) {
        Some(text) => ctx.say_with(text, ui::pending(ctx.loc)).await?,
        None => {
            let email = crate::domain::person::mask_email(acc.email());
            ctx.say(ctx.tf("code.resent", &[("email", &esc(&email))])).await?
        }
    }
    Ok(Outcome::Done)
}

/// `/start <token>`: the link from the confirmation letter.
pub async fn confirm_token(ctx: &mut Ctx, token: &str) -> Result<Outcome> {
    let notice = |key: &str| Ok(Outcome::Home(Some(ctx.t(key))));
    match ctx.store().confirm_by_token(ctx.chat.0, token, ctx.now()).await? {
        TokenOutcome::Confirmed { linked_here: true, .. } => notice("confirm.done"),
        TokenOutcome::Confirmed { linked_here: false, .. } => notice("confirm.link_elsewhere"),
        TokenOutcome::AlreadyConfirmed => notice("confirm.already"),
        TokenOutcome::LoginTaken => login_taken(ctx).await,
        TokenOutcome::Invalid => notice("confirm.link_invalid"),
    }
}
