//! The consumer: registration (a form on the step engine), the e-mail confirmation, signing in
//! from another Telegram account, «Забыли пароль?», and «Это мой номер» when someone else
//! holds the login. Everything here works for a chat that is not signed in.

mod confirm;
mod dispute;
mod login;
mod registration;
mod reset;
pub mod state;

pub use confirm::{confirm_reminder, confirm_token};

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form;
use crate::bot::outcome::Outcome;
use crate::bot::section::{Press, Section};
use crate::callback::{AuthCb, StepCb};
use state::AuthState;
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

/// The consumer: for a chat that is not signed in.
pub struct Auth;

impl Section for Auth {
    type Button = AuthCb;
    type State = AuthState;
    const NEEDS_USER: bool = false;

    /// A message with nothing in progress and no signed-in consumer: the code of an
    /// unconfirmed consumer, or who are you.
    async fn on_idle(ctx: &mut Ctx, msg: &Message) -> Result<Option<Outcome>> {
        if ctx.user().is_some() {
            return Ok(None);
        }
        if ctx.pending().is_some() {
            return confirm::on_message(ctx, msg).await.map(Some);
        }
        Ok(Some(Outcome::Home(Some(ctx.t("start.who_are_you")))))
    }

    async fn on_message(ctx: &mut Ctx, msg: &Message, state: AuthState) -> Result<Outcome> {
        match state {
            AuthState::Registration(data) => form::on_message(ctx, &registration::Registration, data, msg).await,
            AuthState::Dispute { login, kind, form } => {
                form::on_message(ctx, &dispute::DisputeForm { login, kind }, form, msg).await
            }
            AuthState::LoginId | AuthState::LoginPassword { .. } => login::on_message(ctx, msg, state).await,
            _ => reset::on_message(ctx, msg, state).await,
        }
    }

    async fn on_button(ctx: &mut Ctx, press: Press<AuthCb>, state: Option<AuthState>) -> Result<Outcome> {
        match press {
            Press::Own(b) => on_own_button(ctx, b, state).await,
            Press::Step(cb) => on_step(ctx, cb, state).await,
        }
    }

    /// The current question again.
    async fn prompt(ctx: &Ctx, state: &AuthState) -> Result<Outcome> {
        match state {
            AuthState::Registration(data) => form::ask(ctx, &registration::Registration, data).await,
            AuthState::Dispute { login, kind, form } => {
                let f = dispute::DisputeForm {
                    login: login.clone(),
                    kind: *kind,
                };
                form::ask(ctx, &f, form).await
            }
            AuthState::LoginId | AuthState::LoginPassword { .. } => login::prompt(ctx, state).await,
            _ => reset::prompt(ctx, state).await,
        }
    }
}

async fn on_own_button(ctx: &mut Ctx, b: AuthCb, state: Option<AuthState>) -> Result<Outcome> {
    let stranger = ctx.user().is_none();
    let pending = ctx.pending().is_some();
    match b {
        AuthCb::Register if stranger => registration::begin(ctx).await,
        AuthCb::Login if stranger => login::begin(ctx).await,
        AuthCb::Forgot if stranger => reset::begin(ctx).await,
        AuthCb::Resend if pending => confirm::resend(ctx).await,
        AuthCb::RestartRegistration if pending => {
            ctx.store().abandon_pending(ctx.chat.0).await?;
            ctx.reload_session().await?;
            registration::begin(ctx).await
        }
        AuthCb::Dispute if stranger => dispute::from(ctx, state).await,
        _ => Ok(Outcome::Stale),
    }
}

async fn on_step(ctx: &mut Ctx, cb: StepCb, state: Option<AuthState>) -> Result<Outcome> {
    match (cb, state) {
        (_, Some(AuthState::Registration(data))) => form::on_callback(ctx, &registration::Registration, data, cb).await,
        (_, Some(AuthState::Dispute { login, kind, form })) => {
            form::on_callback(ctx, &dispute::DisputeForm { login, kind }, form, cb).await
        }
        (StepCb::Back, Some(s @ (AuthState::LoginId | AuthState::LoginPassword { .. }))) => login::back(ctx, s).await,
        (StepCb::Back, Some(s)) => reset::back(ctx, s).await,
        _ => Ok(Outcome::Stale),
    }
}

/// For the wording of an error when the kind was not asked: by the typed length.
fn guess_kind(text: &str) -> crate::domain::ApplicantKind {
    use crate::domain::ApplicantKind::*;
    match text.chars().filter(char::is_ascii_digit).count() {
        13 => Legal,
        15 => Entrepreneur,
        _ => Individual,
    }
}

/// Signed in to `consumer_id` from this chat (the other chats of the consumer are told).
async fn signed_in(ctx: &mut Ctx, consumer_id: i64) -> Result<Outcome> {
    let notice = ctx.t("login.notice_other");
    ctx.store().sign_in(ctx.chat.0, consumer_id, &notice, ctx.now()).await?;
    ctx.outbox_written();
    Ok(Outcome::Home(Some(ctx.t("login.done"))))
}
