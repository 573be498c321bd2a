//! «Изменить» a meter (model, place, address, the next verification: each a one-field form on
//! the step engine) and «Удалить» it (archived; its readings stay).

use super::list::{not_found, owned, show_card, show_list};
use super::state::MetersState;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form::{self, Field, Form, FormData};
use crate::bot::outcome::Outcome;
use crate::bot::state::State;
use crate::bot::ui::{self, esc};
use crate::callback::{MeterField, MetersCb};
use crate::domain::meters::{parse_date, parse_short_text};
use crate::store::meters::MeterEdit;

type Result<T> = std::result::Result<T, HandlerError>;

/// The field's button and its question.
fn keys(f: MeterField) -> (&'static str, &'static str) {
    match f {
        MeterField::Model => ("edit.model", "edit.model_q"),
        MeterField::Place => ("edit.place", "edit.place_q"),
        MeterField::Address => ("edit.address", "edit.address_q"),
        MeterField::Verification => ("edit.verification", "edit.verification_q"),
    }
}

pub async fn menu(ctx: &Ctx, meter_id: i64) -> Result<Outcome> {
    let Some(m) = owned(ctx, meter_id).await? else {
        return not_found(ctx).await;
    };
    let mut rows: Vec<_> = MeterField::ALL
        .into_iter()
        .map(|f| ui::row(ctx.loc, keys(f).0, MetersCb::MeterEditField(m.id, f)))
        .collect();
    rows.push(ui::row(ctx.loc, "meters.to_card", MetersCb::Meter(m.id)));
    ctx.say_with(ctx.t("edit.q"), ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

pub async fn begin(ctx: &mut Ctx, meter_id: i64, field: MeterField) -> Result<Outcome> {
    let Some(m) = owned(ctx, meter_id).await? else {
        return not_found(ctx).await;
    };
    form::go(ctx, &EditField { meter_id: m.id, field }, FormData::default()).await
}

/// One field of a meter, typed anew.
pub struct EditField {
    pub meter_id: i64,
    pub field: MeterField,
}

impl Form for EditField {
    fn state(&self, form: FormData) -> State {
        MetersState::Edit {
            meter_id: self.meter_id,
            field: self.field,
            form,
        }
        .into()
    }

    fn has_summary(&self) -> bool {
        false
    }

    async fn fields(&self, ctx: &Ctx, _data: &FormData) -> Result<Vec<Field>> {
        let (loc, today) = (ctx.loc, ctx.today());
        let question = crate::wording::dated(&ctx.t(keys(self.field).1), ctx.today());
        let short = move |max: usize| -> form::Parser {
            Box::new(move |t| parse_short_text(t, max).ok_or_else(|| crate::i18n::t(loc, "add.text_bad")))
        };
        let parse = match self.field {
            MeterField::Model | MeterField::Place => short(100),
            MeterField::Address => short(300),
            MeterField::Verification => Box::new(move |t: &str| match parse_date(t, today) {
                Some(d) if d >= today => Ok(d.format("%Y-%m-%d").to_string()),
                _ => Err(crate::i18n::t(loc, "add.verification_past")),
            }),
        };
        Ok(vec![Field::text("value", question, parse)])
    }

    async fn submit(&self, ctx: &mut Ctx, data: FormData) -> Result<Outcome> {
        let Some(user) = ctx.user() else {
            return Ok(Outcome::Home(None));
        };
        let value = data.get("value").unwrap_or_default().to_owned();
        let edit = match self.field {
            MeterField::Model => MeterEdit::Model(value),
            MeterField::Place => MeterEdit::Place(value),
            MeterField::Address => MeterEdit::Address(value),
            MeterField::Verification => match chrono::NaiveDate::parse_from_str(&value, "%Y-%m-%d") {
                Ok(d) => MeterEdit::Verification(d),
                Err(_) => return form::go(ctx, self, FormData::default()).await,
            },
        };
        if !ctx.store().update_meter(user.id, self.meter_id, &edit).await? {
            return not_found(ctx).await;
        }
        ctx.reset().await?;
        ctx.say(ctx.t("common.saved")).await?;
        show_card(ctx, self.meter_id).await
    }

    /// «Назад»: the meter's card.
    async fn back_out(&self, ctx: &Ctx) -> Result<Outcome> {
        ctx.reset().await?;
        show_card(ctx, self.meter_id).await
    }
}

pub async fn delete_question(ctx: &Ctx, meter_id: i64) -> Result<Outcome> {
    let Some(m) = owned(ctx, meter_id).await? else {
        return not_found(ctx).await;
    };
    let kb = ui::inline(vec![
        ui::row(ctx.loc, "meters.delete_yes", MetersCb::MeterDeleteYes(m.id)),
        ui::row(ctx.loc, "meters.to_card", MetersCb::Meter(m.id)),
    ]);
    ctx.say_with(ctx.tf("meters.delete_q", &[("serial", &esc(&m.serial))]), kb)
        .await?;
    Ok(Outcome::Done)
}

pub async fn delete(ctx: &Ctx, meter_id: i64) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if !ctx.store().archive_meter(user.id, meter_id, ctx.now()).await? {
        return not_found(ctx).await;
    }
    ctx.say(ctx.t("meters.deleted")).await?;
    // The menu loses «Передать показания» with the last meter.
    ui::with_menu(ctx, ctx.t("menu.title")).await?;
    show_list(ctx).await
}
