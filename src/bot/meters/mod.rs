//! «Приборы учета»: the list and a meter's card (`list`), adding a meter (`add`), readings with
//! their rules (`reading`), the history (`history`), the three requests on a meter
//! (`request`), and changing or deleting one (`edit`). Every meter id from a button is looked
//! up together with the caller's account: another user's id finds nothing.

mod add;
mod edit;
mod history;
mod list;
mod reading;
mod request;
pub mod state;

pub use list::show_list;
pub use reading::send_readings;

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form;
use crate::bot::outcome::Outcome;
use crate::callback::Cb;
use crate::domain::items::MeterRequestKind;
use state::MetersState;
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub async fn on_message(ctx: &mut Ctx, msg: &Message, state: MetersState) -> Result<Outcome> {
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

pub async fn on_callback(ctx: &mut Ctx, cb: Cb, state: Option<MetersState>) -> Result<Outcome> {
    // A button that opens or starts something leaves what was in progress.
    if !cb.is_step() && state.is_some() {
        ctx.reset().await?;
    }
    match cb {
        Cb::Meters => return show_list(ctx).await,
        Cb::AddMeter => return add::begin(ctx).await,
        Cb::ChooseMeter => return send_readings(ctx).await,
        Cb::Meter(id) => return list::show_card(ctx, id).await,
        Cb::Read(id) => return reading::start(ctx, id).await,
        Cb::History(id, page) => return history::show(ctx, id, page).await,
        Cb::ReqTaking(id) => return request::begin(ctx, id, MeterRequestKind::ReadingTaking).await,
        Cb::ReqCommission(id) => return request::begin(ctx, id, MeterRequestKind::Commissioning).await,
        Cb::ReqReplace(id) => return request::begin(ctx, id, MeterRequestKind::Replacement).await,
        Cb::ReqVerify(id) => return request::begin(ctx, id, MeterRequestKind::Verification).await,
        Cb::MeterFile(id) => return list::send_certificate(ctx, id).await,
        Cb::MeterEdit(id) => return edit::menu(ctx, id).await,
        Cb::MeterEditField(id, field) => return edit::begin(ctx, id, field).await,
        Cb::MeterDelete(id) => return edit::delete_question(ctx, id).await,
        Cb::MeterDeleteYes(id) => return edit::delete(ctx, id).await,
        Cb::ReadingPhoto(id) => return reading::photo_begin(ctx, id).await,
        _ => {}
    }
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

pub async fn prompt(ctx: &Ctx, state: &MetersState) -> Result<Outcome> {
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
