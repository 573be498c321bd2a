//! «Приборы учета»: the list and a meter's card (`list`), adding a meter (`add`), readings with
//! their rules (`reading`), the history (`history`), the three requests on a meter
//! (`request`), and changing or deleting one (`edit`). Every meter id from a button is looked
//! up together with the caller's consumer: another user's id finds nothing.

mod add;
mod edit;
mod history;
mod list;
mod reading;
mod request;
pub mod state;

use list::show_list;
use reading::send_readings;

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form;
use crate::bot::menu::{Entry, Service, Shown};
use crate::bot::outcome::Outcome;
use crate::bot::section::{Press, Section, SectionState};
use crate::callback::{Buttons, MetersCb};
use crate::domain::items::MeterRequestKind;
use crate::store::meters::METERS;
use state::MetersState;
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub struct Meters;

const SEND_READINGS: Entry = Entry {
    key: "menu.send_readings",
    shown: Shown::WithItems(METERS),
};

impl SectionState for MetersState {
    const AREA: &'static str = "meters";
    const KEEPS_FORMS: bool = true;

    fn draft(&self) -> Option<String> {
        match self {
            MetersState::Add(f) if f.started() => Some("draft.meter_add".into()),
            MetersState::Request { form, .. } if form.started() => Some("draft.meter_request".into()),
            _ => None,
        }
    }

    fn fresh(&self) -> Option<Self> {
        match self {
            MetersState::Add(_) => Some(MetersState::Add(form::FormData::default())),
            MetersState::Request { meter_id, kind, .. } => Some(MetersState::Request {
                meter_id: *meter_id,
                kind: *kind,
                form: form::FormData::default(),
            }),
            _ => None,
        }
    }
}

impl Section for Meters {
    type Button = MetersCb;
    type State = MetersState;
    const MENU: &'static [Entry] = &[
        Entry {
            key: "menu.meters",
            shown: Shown::Always,
        },
        SEND_READINGS,
    ];

    fn services() -> Vec<Service> {
        vec![
            Service {
                key: "menu.send_readings",
                data: MetersCb::ChooseMeter.encode(),
                shown: Shown::WithItems(METERS),
            },
            Service {
                key: "meters.add",
                data: MetersCb::AddMeter.encode(),
                shown: Shown::Always,
            },
        ]
    }

    async fn open(ctx: &mut Ctx, entry: &'static Entry) -> Result<Outcome> {
        if *entry == SEND_READINGS {
            send_readings(ctx).await
        } else {
            show_list(ctx).await
        }
    }

    async fn on_message(ctx: &mut Ctx, msg: &Message, state: MetersState) -> Result<Outcome> {
        on_message(ctx, msg, state).await
    }

    async fn on_button(ctx: &mut Ctx, press: Press<MetersCb>, state: Option<MetersState>) -> Result<Outcome> {
        match press {
            Press::Own(b) => {
                // A button that opens or starts something leaves what was in progress.
                if state.is_some() {
                    ctx.reset().await?;
                }
                on_own_button(ctx, b).await
            }
            Press::Step(cb) => on_step(ctx, cb, state).await,
        }
    }

    async fn prompt(ctx: &Ctx, state: &MetersState) -> Result<Outcome> {
        prompt(ctx, state).await
    }
}

async fn on_message(ctx: &mut Ctx, msg: &Message, state: MetersState) -> Result<Outcome> {
    match state {
        MetersState::Add(data) => form::on_message(ctx, &add::AddMeter, data, msg).await,
        MetersState::Reading(r) => reading::on_message(ctx, msg, r).await,
        MetersState::Photo { meter_id } => reading::photo(ctx, msg, meter_id).await,
        MetersState::Request { meter_id, kind, form } => match request::form_for(ctx, meter_id, kind).await? {
            Some(f) => form::on_message(ctx, &f, form, msg).await,
            None => list::not_found(ctx).await,
        },
        MetersState::Edit { meter_id, field, form } => {
            form::on_message(ctx, &edit::EditField { meter_id, field }, form, msg).await
        }
    }
}

async fn on_own_button(ctx: &mut Ctx, b: MetersCb) -> Result<Outcome> {
    match b {
        MetersCb::Meters => show_list(ctx).await,
        MetersCb::AddMeter => add::begin(ctx).await,
        MetersCb::ChooseMeter => send_readings(ctx).await,
        MetersCb::Meter(id) => list::show_card(ctx, id).await,
        MetersCb::Read(id) => reading::start(ctx, id).await,
        MetersCb::History(id, page) => history::show(ctx, id, page).await,
        MetersCb::ReqTaking(id) => request::begin(ctx, id, MeterRequestKind::ReadingTaking).await,
        MetersCb::ReqCommission(id) => request::begin(ctx, id, MeterRequestKind::Commissioning).await,
        MetersCb::ReqReplace(id) => request::begin(ctx, id, MeterRequestKind::Replacement).await,
        MetersCb::ReqVerify(id) => request::begin(ctx, id, MeterRequestKind::Verification).await,
        MetersCb::MeterFile(id) => list::send_certificate(ctx, id).await,
        MetersCb::MeterEdit(id) => edit::menu(ctx, id).await,
        MetersCb::MeterEditField(id, field) => edit::begin(ctx, id, field).await,
        MetersCb::MeterDelete(id) => edit::delete_question(ctx, id).await,
        MetersCb::MeterDeleteYes(id) => edit::delete(ctx, id).await,
        MetersCb::ReadingPhoto(id) => reading::photo_begin(ctx, id).await,
    }
}

async fn on_step(ctx: &mut Ctx, cb: crate::callback::StepCb, state: Option<MetersState>) -> Result<Outcome> {
    match state {
        Some(MetersState::Add(data)) => form::on_callback(ctx, &add::AddMeter, data, cb).await,
        Some(MetersState::Reading(r)) => reading::on_callback(ctx, cb, r).await,
        Some(MetersState::Request { meter_id, kind, form }) => match request::form_for(ctx, meter_id, kind).await? {
            Some(f) => form::on_callback(ctx, &f, form, cb).await,
            None => list::not_found(ctx).await,
        },
        Some(MetersState::Edit { meter_id, field, form }) => {
            form::on_callback(ctx, &edit::EditField { meter_id, field }, form, cb).await
        }
        _ => Ok(Outcome::Stale),
    }
}

async fn prompt(ctx: &Ctx, state: &MetersState) -> Result<Outcome> {
    match state {
        MetersState::Add(data) => form::ask(ctx, &add::AddMeter, data).await,
        MetersState::Reading(r) => reading::prompt(ctx, r).await,
        MetersState::Photo { .. } => reading::photo_prompt(ctx).await,
        MetersState::Request { meter_id, kind, form } => match request::form_for(ctx, *meter_id, *kind).await? {
            Some(f) => form::ask(ctx, &f, form).await,
            None => list::not_found(ctx).await,
        },
        MetersState::Edit { meter_id, field, form } => {
            let f = edit::EditField {
                meter_id: *meter_id,
                field: *field,
            };
            form::ask(ctx, &f, form).await
        }
    }
}
