//! The requests on a meter as forms on the step engine: reading taking and verification (a
//! date, a time of day, a comment), commissioning (installation, installer, seal, readings, a
//! date, a time, papers) and replacement (the reason, a date, a comment).

use super::list::{not_found, owned, show_card};
use super::state::MetersState;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form::{self, Choice, EditStyle, Field, Form, FormData, Input, Summary};
use crate::bot::input_errors;
use crate::bot::outcome::Outcome;
use crate::bot::state::State;
use crate::bot::ui::esc;
use crate::callback::{MetersCb, ReplaceReason, TimeOfDay};
use crate::domain::items::MeterRequestKind;
use crate::domain::meters::{parse_date, parse_short_text};
use crate::domain::quantity::Quantity;
use crate::i18n::{plural, t};
use crate::policy::{METER_REQUEST_FILES, METER_REQUESTS_PER_DAY, PHOTO_OR_PDF};
use crate::store::meter_requests::NewMeterRequest;
use crate::store::meters::Meter;
use chrono::{Duration, NaiveDate};

type Result<T> = std::result::Result<T, HandlerError>;

pub struct RequestForm {
    pub meter: Meter,
    pub kind: MeterRequestKind,
}

/// The form of a request on the caller's meter (none for someone else's).
pub async fn form_for(ctx: &Ctx, meter_id: i64, kind: MeterRequestKind) -> Result<Option<RequestForm>> {
    Ok(owned(ctx, meter_id).await?.map(|meter| RequestForm { meter, kind }))
}

fn rate_key(consumer_id: i64) -> String {
    format!("meter-req:{consumer_id}")
}

async fn too_many(ctx: &Ctx, consumer_id: i64) -> Result<bool> {
    let n = ctx
        .store()
        .rate_count(&rate_key(consumer_id), ctx.now(), Duration::days(1))
        .await?;
    Ok(n >= METER_REQUESTS_PER_DAY)
}

pub async fn begin(ctx: &mut Ctx, meter_id: i64, kind: MeterRequestKind) -> Result<Outcome> {
    let (Some(user), Some(f)) = (ctx.user(), form_for(ctx, meter_id, kind).await?) else {
        return not_found(ctx).await;
    };
    if too_many(ctx, user.id).await? {
        let text = ctx.tf("req.too_many", &[("max", &METER_REQUESTS_PER_DAY.to_string())]);
        ctx.say(text).await?;
        return show_card(ctx, f.meter.id).await;
    }
    form::go(ctx, &f, FormData::default()).await
}

fn date_of(data: &FormData, key: &str) -> Option<NaiveDate> {
    data.get(key)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

fn shown_date(data: &FormData, key: &str) -> String {
    date_of(data, key)
        .map(|d| d.format("%d.%m.%Y").to_string())
        .unwrap_or_default()
}

fn time_of_day(data: &FormData) -> Option<TimeOfDay> {
    data.get("time_of_day")
        .and_then(|v| serde_json::from_value(serde_json::Value::String(v.to_owned())).ok())
}

fn reason(data: &FormData) -> Option<ReplaceReason> {
    data.get("reason")
        .and_then(|v| serde_json::from_value(serde_json::Value::String(v.to_owned())).ok())
}

fn code<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn readings(data: &FormData, zones: i64) -> Vec<Quantity> {
    (1..=zones)
        .filter_map(|z| {
            data.get(&format!("reading_{z}"))
                .and_then(|v| v.parse().ok())
                .map(Quantity)
        })
        .collect()
}

fn text_of(loc: &'static str, max: usize, problem: &'static str) -> form::Parser {
    Box::new(move |t| {
        parse_short_text(t, max).ok_or_else(|| match problem {
            "" => input_errors::too_long(loc, max),
            key => crate::i18n::t(loc, key),
        })
    })
}

impl Form for RequestForm {
    fn state(&self, form: FormData) -> State {
        MetersState::Request {
            meter_id: self.meter.id,
            kind: self.kind,
            form,
        }
        .into()
    }

    fn title(&self, ctx: &Ctx) -> Option<String> {
        Some(ctx.tf(self.kind.title_key(), &[("serial", &esc(&self.meter.serial))]))
    }

    async fn fields(&self, ctx: &Ctx, data: &FormData) -> Result<Vec<Field>> {
        use MeterRequestKind::*;
        let (loc, today, m) = (ctx.loc, ctx.today(), &self.meter);
        let [(a, full), (b, short)] = crate::wording::date_examples(today + Duration::days(7));
        let question = ctx.tf("req.date_q", &[(a, &full), (b, &short)]);
        let date = Field::text("date", question, visit_date(loc, today));
        let tod = Field::choice(
            "time_of_day",
            ctx.t("req.tod_q"),
            TimeOfDay::ALL
                .into_iter()
                .map(|v| Choice::new(code(v), t(loc, v.key())))
                .collect(),
        );
        let comment = Field::text("comment", ctx.t("req.comment_q"), text_of(loc, 1000, "")).optional();
        Ok(match self.kind {
            ReadingTaking | Verification => vec![date, tod, comment],
            Replacement => vec![
                Field::choice(
                    "reason",
                    ctx.t("req.reason_q"),
                    ReplaceReason::ALL
                        .into_iter()
                        .map(|r| Choice::new(code(r), t(loc, r.key())))
                        .collect(),
                ),
                Field::text("reason_text", ctx.t("req.reason_text_q"), text_of(loc, 1000, ""))
                    .when(reason(data) == Some(ReplaceReason::Other)),
                date,
                comment,
            ],
            Commissioning => {
                let mut fields = vec![
                    Field::text(
                        "install_date",
                        ctx.tf("req.install_date_q", &[("full", &today.format("%d.%m.%Y").to_string())]),
                        install_date(loc, today),
                    ),
                    Field::text("installer", ctx.t("req.installer_q"), text_of(loc, 200, "add.text_bad")),
                    Field::text("seal", ctx.t("req.seal_q"), text_of(loc, 200, "add.text_bad")),
                ];
                fields.extend(first_readings(ctx, m));
                fields.push(date);
                fields.push(tod);
                fields.push(Field::new(
                    "files",
                    ctx.t("req.files_q"),
                    Input::Files {
                        allowed: PHOTO_OR_PDF,
                        max: METER_REQUEST_FILES,
                    },
                ));
                fields
            }
        })
    }

    async fn summary(&self, ctx: &Ctx, data: &FormData) -> Result<Summary> {
        let loc = ctx.loc;
        let m = &self.meter;
        let mut lines = Vec::new();
        let mut line = |key: &str, value: String| lines.push(format!("{}: {}", t(loc, key), value));
        if let Some(r) = reason(data) {
            let mut v = t(loc, r.key());
            if let Some(x) = data.get("reason_text") {
                v = format!("{v} — {}", esc(x));
            }
            line("req.f.reason", v);
        }
        if self.kind == MeterRequestKind::Commissioning {
            line("req.f.install_date", shown_date(data, "install_date"));
            line("req.f.installer", form::shown(data, "installer"));
            line("req.f.seal", form::shown(data, "seal"));
            let values = readings(data, m.zones)
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let z = crate::wording::zone_label(loc, m.zones, i as i64 + 1);
                    if z.is_empty() { v.display() } else { format!("{z}: {v}") }
                })
                .collect::<Vec<_>>()
                .join(", ");
            line("req.f.readings", values);
        }
        line("req.f.date", shown_date(data, "date"));
        if let Some(tod) = time_of_day(data) {
            line("req.f.tod", t(loc, tod.key()));
        }
        if self.kind == MeterRequestKind::Commissioning {
            line("req.f.files", plural(loc, "plural.files", data.files.len() as u64));
        } else {
            line("req.f.comment", form::shown(data, "comment"));
        }
        let title = self.title(ctx).unwrap_or_default();
        Ok(Summary {
            text: format!("<b>{title}</b>\n\n{}", lines.join("\n")),
            send: "req.send",
            edit: EditStyle::None,
            back: true,
        })
    }

    /// «Назад» on the first question: the meter's card.
    async fn back_out(&self, ctx: &Ctx) -> Result<Outcome> {
        ctx.reset().await?;
        show_card(ctx, self.meter.id).await
    }

    async fn submit(&self, ctx: &mut Ctx, data: FormData) -> Result<Outcome> {
        let Some(user) = ctx.user() else {
            return Ok(Outcome::Home(None));
        };
        let Some(date) = date_of(&data, "date") else {
            return form::go(ctx, self, data).await;
        };
        let m = &self.meter;
        if too_many(ctx, user.id).await? {
            ctx.reset().await?;
            ctx.say(ctx.tf("req.too_many", &[("max", &METER_REQUESTS_PER_DAY.to_string())]))
                .await?;
            return show_card(ctx, m.id).await;
        }
        let details = serde_json::json!({
            "time_of_day": time_of_day(&data),
            "comment": data.get("comment"),
            "install_date": date_of(&data, "install_date"),
            "installer": data.get("installer"),
            "seal": data.get("seal"),
            "readings": readings(&data, m.zones).iter().map(|q| q.display()).collect::<Vec<_>>(),
            "reason": reason(&data),
            "reason_text": data.get("reason_text"),
        });
        let request = NewMeterRequest {
            consumer_id: user.id,
            meter_id: m.id,
            kind: self.kind,
            details: &details,
            preferred_date: date,
            files: &data.files,
        };
        let key = rate_key(user.id);
        let finish = |_: i64, number: &str| {
            let text = ctx.tf("req.sent", &[("number", &esc(number))]);
            let mut f = ctx.finish(vec![ctx.queued(text, &[&[("meters.to_card", MetersCb::Meter(m.id))]])]);
            f.rate_keys.push(key.clone());
            f
        };
        let filed = ctx
            .store()
            .create_meter_request(&request, ctx.now(), Some(&finish))
            .await?;
        ctx.send_committed(&filed.replies).await?;
        Ok(Outcome::Done)
    }
}

/// The visit's date: from today to 90 days on.
fn visit_date(loc: &'static str, today: chrono::NaiveDate) -> form::Parser {
    Box::new(move |t| match parse_date(t, today) {
        Some(d) if d < today => Err(crate::i18n::t(loc, "req.date_past")),
        Some(d) if d > today + Duration::days(90) => Err(crate::i18n::t(loc, "req.date_far")),
        Some(d) => Ok(d.format("%Y-%m-%d").to_string()),
        None => Err(crate::wording::date_bad(loc, today)),
    })
}

/// The installation's date: not in the future («28.11» typed for a past date means this
/// year, not next).
fn install_date(loc: &'static str, today: chrono::NaiveDate) -> form::Parser {
    Box::new(move |t| match crate::domain::meters::parse_date_behind(t, today) {
        Some(d) if d > today => Err(crate::i18n::t(loc, "req.install_future")),
        Some(d) => Ok(d.format("%Y-%m-%d").to_string()),
        None => Err(crate::i18n::t(loc, "common.date_bad_past")),
    })
}

/// The readings at commissioning, one a tariff zone of the meter.
fn first_readings(ctx: &Ctx, m: &Meter) -> Vec<Field> {
    let (loc, cap) = (ctx.loc, m.capacity());
    [(1, "reading_1"), (2, "reading_2"), (3, "reading_3")]
        .into_iter()
        .map(|(zone, key)| {
            let question = ctx.tf(
                "req.readings_q",
                &[
                    ("zone", &crate::wording::zone_suffix(loc, m.zones, zone)),
                    ("unit", &crate::wording::unit(loc, m.resource)),
                ],
            );
            let parse: form::Parser = Box::new(move |t| {
                cap.parse_value(t)
                    .map(|q| q.0.to_string())
                    .map_err(|e| input_errors::quantity_error(loc, e))
            });
            Field::text(key, question, parse).when(zone <= m.zones)
        })
        .collect()
}
