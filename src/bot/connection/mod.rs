//! «Заявка на технологическое присоединение»: the three forms over the field lists of
//! `domain::connection` on the step engine, with drafts that survive leaving and restarts
//! (`form`); the section with applications listed by object name and an application's card
//! (`section`); «Дополнить заявку» (`addition`).

mod addition;
mod form;
mod section;
pub mod state;
mod view;

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::menu::{Entry, Service, Shown};
use crate::bot::outcome::Outcome;
use crate::bot::section::{Press, Section, SectionState};
use crate::callback::{Buttons, ConnCb, StepCb};
use crate::store::connection::CONNECTION;
use state::ConnState;
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub struct Connection;

impl SectionState for ConnState {
    const AREA: &'static str = "connection";

    fn keeps_draft(&self) -> bool {
        matches!(self, ConnState::Form { .. })
    }
}

impl Section for Connection {
    type Button = ConnCb;
    type State = ConnState;
    const MENU: &'static [Entry] = &[Entry {
        key: "menu.connection",
        shown: Shown::WithItems(CONNECTION),
    }];

    fn services() -> Vec<Service> {
        vec![Service {
            key: "conn.new",
            data: ConnCb::NewConn.encode(),
            shown: Shown::Always,
        }]
    }

    async fn open(ctx: &mut Ctx, _entry: &'static Entry) -> Result<Outcome> {
        section::show_section(ctx).await
    }

    async fn on_message(ctx: &mut Ctx, msg: &Message, state: ConnState) -> Result<Outcome> {
        match state {
            ConnState::Form { kind, form } => form::on_message(ctx, kind, form, msg).await,
            ConnState::Add { app_id, message } => addition::on_message(ctx, msg, app_id, message).await,
        }
    }

    async fn on_button(ctx: &mut Ctx, press: Press<ConnCb>, state: Option<ConnState>) -> Result<Outcome> {
        match press {
            Press::Own(b) => {
                // A button that opens or starts something leaves what was in progress (a
                // file is only sent).
                if !matches!(b, ConnCb::ConnFile(_)) && state.is_some() {
                    ctx.reset().await?;
                }
                on_own_button(ctx, b).await
            }
            Press::Step(cb) => match (cb, state) {
                (cb, Some(ConnState::Form { kind, form })) => form::on_callback(ctx, kind, form, cb).await,
                (StepCb::Save, Some(ConnState::Add { app_id, message })) => addition::send(ctx, app_id, message).await,
                _ => Ok(Outcome::Stale),
            },
        }
    }

    async fn prompt(ctx: &Ctx, state: &ConnState) -> Result<Outcome> {
        match state {
            ConnState::Form { kind, form } => form::prompt(ctx, *kind, form).await,
            ConnState::Add { message, .. } => addition::prompt(ctx, message).await,
        }
    }
}

async fn on_own_button(ctx: &mut Ctx, b: ConnCb) -> Result<Outcome> {
    match b {
        ConnCb::NewConn => form::choose_kind(ctx).await,
        ConnCb::ConnKind(kind) => form::open_kind(ctx, kind).await,
        ConnCb::ConnResume(kind) => form::resume(ctx, kind).await,
        ConnCb::ConnRestart(kind) => form::restart(ctx, kind).await,
        ConnCb::ConnGroup(kind, page) => section::show_group(ctx, kind, page).await,
        ConnCb::ConnApp(id) => section::show_card(ctx, id).await,
        ConnCb::ConnAdd(id) => addition::begin(ctx, id).await,
        ConnCb::ConnFile(id) => section::send_file(ctx, id).await,
    }
}
