//! «Добавить прибор»: resource, serial, model, place, address, zones, capacity, the next
//! verification and the readings at installation — a form on the step engine.

use super::list::{show_card, show_list};
use super::state::MetersState;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form::{self, Choice, EditStyle, Field, Form, FormData, Input, Summary};
use crate::bot::input_errors;
use crate::bot::outcome::Outcome;
use crate::bot::state::State;
use crate::bot::ui::{self, esc};
use crate::domain::meters::{Capacity, Resource, parse_date, parse_serial, parse_short_text};
use crate::domain::quantity::Quantity;
use crate::i18n::t;
use crate::policy::MAX_ACTIVE_METERS;
use crate::store::meters::{AddMeter as Added, NewMeter};

type Result<T> = std::result::Result<T, HandlerError>;

pub struct AddMeter;

pub async fn begin(ctx: &mut Ctx) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if ctx.store().active_meter_count(user.id).await? >= MAX_ACTIVE_METERS {
        ctx.say(ctx.tf("meters.too_many", &[("max", &MAX_ACTIVE_METERS.to_string())]))
            .await?;
        return show_list(ctx).await;
    }
    form::go(ctx, &AddMeter, FormData::default()).await
}

fn resource(data: &FormData) -> Option<Resource> {
    data.get("resource").and_then(Resource::from_str_opt)
}

fn zones(data: &FormData) -> u8 {
    data.get("zones").and_then(|z| z.parse().ok()).unwrap_or(1)
}

fn capacity(data: &FormData) -> Option<Capacity> {
    data.get("capacity").and_then(Capacity::parse)
}

/// A reading at installation, stored exactly (thousandths).
fn initial(data: &FormData, zone: u8) -> Option<Quantity> {
    data.get(&format!("initial_{zone}"))
        .and_then(|v| v.parse().ok())
        .map(Quantity)
}

/// «Не знаю» for the next verification date.
const UNKNOWN: &str = "unknown";

/// The meter as entered, when everything is there.
fn new_meter(data: &FormData) -> Option<NewMeter> {
    let z = zones(data);
    let initial = (1..=z).map(|i| initial(data, i)).collect::<Option<Vec<_>>>()?;
    Some(NewMeter {
        resource: Some(resource(data)?),
        serial: Some(data.get("serial")?.to_owned()),
        model: data.get("model").map(str::to_owned),
        model_skipped: data.get("model").is_none(),
        place: Some(data.get("place")?.to_owned()),
        address: Some(data.get("address")?.to_owned()),
        zones: Some(z),
        capacity: Some(capacity(data)?),
        next_verification: match data.get("verification")? {
            UNKNOWN => None,
            d => Some(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?),
        },
        verification_unknown: data.get("verification") == Some(UNKNOWN),
        initial,
    })
}

fn short(loc: &'static str, max: usize) -> form::Parser {
    Box::new(move |t| parse_short_text(t, max).ok_or_else(|| crate::i18n::t(loc, "add.text_bad")))
}

impl Form for AddMeter {
    fn state(&self, data: FormData) -> State {
        MetersState::Add(data).into()
    }

    async fn fields(&self, ctx: &Ctx, data: &FormData) -> Result<Vec<Field>> {
        let loc = ctx.loc;
        let today = ctx.today();
        let r = resource(data).unwrap_or(Resource::Electricity);
        let zones = zones(data);
        let cap = capacity(data).unwrap_or(r.default_capacity());
        let resources = Resource::ALL
            .into_iter()
            .map(|r| {
                Choice::new(
                    r.as_str(),
                    format!("{} {}", r.icon(), t(loc, crate::wording::resource_key(r))),
                )
            })
            .collect();
        let zone_options = [(1u8, "add.zones.1"), (2, "add.zones.2"), (3, "add.zones.3")]
            .into_iter()
            .map(|(z, key)| Choice::new(z.to_string(), t(loc, key)))
            .collect();
        let capacities = r
            .capacity_choices()
            .into_iter()
            .map(|c| Choice::new(c.label(), crate::wording::capacity(loc, c)))
            .collect();
        let mut fields = vec![
            Field::choice("resource", ctx.t("add.resource_q"), resources),
            Field::text(
                "serial",
                ctx.t("add.serial_q"),
                Box::new(move |t| parse_serial(t).ok_or_else(|| crate::i18n::t(loc, "add.serial_bad"))),
            )
            .label(ctx.t("add.label.serial")),
            Field::text("model", ctx.t("add.model_q"), short(loc, 100))
                .optional()
                .label(ctx.t("add.label.model")),
            Field::text("place", ctx.t("add.place_q"), short(loc, 100)).label(ctx.t("add.label.place")),
            Field::text("address", ctx.t("add.address_q"), short(loc, 300)).label(ctx.t("add.label.address")),
            Field::choice("zones", ctx.t("add.zones_q"), zone_options)
                .when(r.max_zones() > 1)
                .label(ctx.t("add.label.zones")),
            Field::new(
                "capacity",
                ctx.tf(
                    "add.capacity_q",
                    &[("default", &crate::wording::capacity(loc, r.default_capacity()))],
                ),
                Input::Choice {
                    options: capacities,
                    typed: Some(Box::new(move |t| {
                        Capacity::parse(t)
                            .map(|c| format!("{}+{}", c.int_digits, c.frac_digits))
                            .ok_or_else(|| crate::i18n::t(loc, "add.capacity_bad"))
                    })),
                },
            )
            .label(ctx.t("add.label.capacity")),
            // A date, or «Не знаю» (not in the passport at hand): the card asks for it later.
            Field::new(
                "verification",
                crate::wording::dated(&ctx.t("add.verification_q"), today),
                Input::Choice {
                    options: vec![Choice::new(UNKNOWN, ctx.t("add.verification_unknown"))],
                    typed: Some(Box::new(move |t| match parse_date(t, today) {
                        // A lapsed date is taken as it is: the meter is added and marked, and its
                        // readings wait for a new date or a request (never a false future date).
                        Some(d) => Ok(d.format("%Y-%m-%d").to_string()),
                        None => Err(crate::wording::date_bad(loc, today)),
                    })),
                },
            )
            .label(ctx.t("add.label.verification")),
        ];
        fields.extend(initial_fields(ctx, r, zones, cap));
        Ok(fields)
    }

    async fn summary(&self, ctx: &Ctx, data: &FormData) -> Result<Summary> {
        let loc = ctx.loc;
        let r = resource(data).unwrap_or(Resource::Electricity);
        let z = zones(data);
        let initial = (1..=z)
            .filter_map(|i| initial(data, i).map(|v| (i, v)))
            .map(|(i, v)| {
                let label = crate::wording::zone_label(loc, i64::from(z), i64::from(i));
                if label.is_empty() {
                    v.display()
                } else {
                    format!("{label}: {v}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let today = ctx.today();
        let verification = match data.get("verification") {
            Some(UNKNOWN) => ctx.t("meters.verification_unknown"),
            other => other
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .map(|d| {
                    let mut v = d.format("%d.%m.%Y").to_string();
                    if d < today {
                        v.push_str(&format!(" — {}", ctx.t("add.verification_lapsed")));
                    }
                    v
                })
                .unwrap_or_default(),
        };
        let text = ctx.tf(
            "add.summary",
            &[
                (
                    "resource",
                    &format!("{} {}", r.icon(), ctx.t(crate::wording::resource_key(r))),
                ),
                ("serial", &form::shown(data, "serial")),
                ("model", &form::shown(data, "model")),
                ("place", &form::shown(data, "place")),
                ("address", &form::shown(data, "address")),
                ("zones", &z.to_string()),
                (
                    "capacity",
                    &capacity(data)
                        .map(|c| crate::wording::capacity(ctx.loc, c))
                        .unwrap_or_default(),
                ),
                ("verification", &verification),
                ("initial", &esc(&initial)),
            ],
        );
        Ok(Summary {
            text,
            send: "add.save",
            edit: EditStyle::Picker("add.fix"),
            back: true,
        })
    }

    async fn submit(&self, ctx: &mut Ctx, data: FormData) -> Result<Outcome> {
        let Some(user) = ctx.user() else {
            return Ok(Outcome::Home(None));
        };
        let Some(meter) = new_meter(&data) else {
            return form::go(ctx, self, data).await;
        };
        if ctx.store().active_meter_count(user.id).await? >= MAX_ACTIVE_METERS {
            ctx.reset().await?;
            ctx.say(ctx.tf("meters.too_many", &[("max", &MAX_ACTIVE_METERS.to_string())]))
                .await?;
            return show_list(ctx).await;
        }
        let period = ctx.deps.config.readings_window().period_for(ctx.today());
        let finish = ctx.finish(vec![]);
        match ctx
            .store()
            .add_meter(user.id, &meter, period, ctx.now(), Some(&finish))
            .await?
        {
            Added::Added(id) => {
                // The menu gains «Передать показания» with the first meter.
                ui::with_menu(ctx, ctx.t("add.saved")).await?;
                show_card(ctx, id).await
            }
            Added::DuplicateSerial => form::ask_again(ctx, self, data, "serial", &ctx.t("add.duplicate")).await,
        }
    }
}

/// The readings at installation, one a zone the meter has.
fn initial_fields(ctx: &Ctx, r: Resource, zones: u8, cap: Capacity) -> Vec<Field> {
    let loc = ctx.loc;
    let mut fields = Vec::new();
    for (zone, key) in [(1u8, "initial_1"), (2, "initial_2"), (3, "initial_3")] {
        let question = ctx.tf(
            "add.initial_q",
            &[
                (
                    "zone",
                    &crate::wording::zone_suffix(loc, i64::from(zones), i64::from(zone)),
                ),
                ("unit", &crate::wording::unit(loc, r)),
            ],
        );
        let parse: form::Parser = Box::new(move |t| {
            cap.parse_value(t)
                .map(|q| q.0.to_string())
                .map_err(|e| input_errors::quantity_error(loc, e))
        });
        let label = ctx.tf(
            "add.label.initial",
            &[(
                "zone",
                &crate::wording::zone_suffix(loc, i64::from(zones), i64::from(zone)),
            )],
        );
        fields.push(Field::text(key, question, parse).when(zone <= zones).label(label));
    }
    fields
}
