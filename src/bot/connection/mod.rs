//! «Заявка на технологическое присоединение»: the three forms over the field lists of
//! `domain::connection` on the step engine, with drafts that survive leaving and restarts
//! (`form`); the section with applications listed by object name and an application's card
//! (`section`); «Дополнить заявку» (`addition`).

mod addition;
mod form;
mod section;
pub mod state;
mod view;

pub use section::show_section;

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::callback::Cb;
use state::ConnState;
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub async fn on_message(ctx: &mut Ctx, msg: &Message, state: ConnState) -> Result<Outcome> {
    match state {
        ConnState::Form { kind, form } => form::on_message(ctx, kind, form, msg).await,
        ConnState::Add { app_id, message } => addition::on_message(ctx, msg, app_id, message).await,
    }
}

pub async fn on_callback(ctx: &mut Ctx, cb: Cb, state: Option<ConnState>) -> Result<Outcome> {
    // A button that opens or starts something leaves what was in progress (a file is only
    // sent).
    if !cb.is_step() && !matches!(cb, Cb::ConnFile(_)) && state.is_some() {
        ctx.reset().await?;
    }
    match (cb, state) {
        (Cb::NewConn, _) => form::choose_kind(ctx).await,
        (Cb::ConnKind(kind), _) => form::open_kind(ctx, kind).await,
        (Cb::ConnResume(kind), _) => form::resume(ctx, kind).await,
        (Cb::ConnRestart(kind), _) => form::restart(ctx, kind).await,
        (Cb::ConnGroup(kind, page), _) => section::show_group(ctx, kind, page).await,
        (Cb::ConnApp(id), _) => section::show_card(ctx, id).await,
        (Cb::ConnAdd(id), _) => addition::begin(ctx, id).await,
        (Cb::ConnFile(id), _) => section::send_file(ctx, id).await,
        (cb, Some(ConnState::Form { kind, form })) => form::on_callback(ctx, kind, form, cb).await,
        (Cb::Save, Some(ConnState::Add { app_id, message })) => addition::send(ctx, app_id, message).await,
        _ => Ok(Outcome::Stale),
    }
}

pub async fn prompt(ctx: &Ctx, state: &ConnState) -> Result<Outcome> {
    match state {
        ConnState::Form { kind, form } => form::prompt(ctx, *kind, form).await,
        ConnState::Add { message, .. } => addition::prompt(ctx, message).await,
    }
}
