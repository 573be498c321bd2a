//! «Приборы учета»: the list, adding a meter, its card, readings (with their rules), history,
//! and the three requests on a meter. Every meter id from a button is looked up together
//! with the caller's account: another user's id finds nothing.

use super::files::{self, FileProblem};
use super::state::{MeterStep, ReqForm, ReqKind, ReqStep, State};
use super::{Ctx, HandlerResult, esc, keyboards, menu, start};
use crate::callback::{Cb, MeterField, ReplaceReason, TimeOfDay};
use crate::domain::meters::{
    self, Capacity, Monotonic, Period, Resource, Verification, compare, is_abnormal, parse_date, parse_serial,
    parse_short_text,
};
use crate::domain::quantity::{Quantity, QuantityError};
use crate::i18n::{plural, t};
use crate::store::meters::{AddMeter, Meter, MeterEdit, NewMeter, NewMeterRequest};
use chrono::Duration;
use teloxide::prelude::*;
use teloxide::types::InlineKeyboardButton;

pub use crate::policy::MAX_ACTIVE_METERS;
pub use crate::policy::METER_REQUEST_FILES as MAX_REQUEST_FILES;
pub use crate::policy::METER_REQUESTS_PER_DAY as REQUESTS_PER_DAY;
const HISTORY_PAGE: usize = 6;
const HISTORY_PERIODS: usize = 12;

fn b(loc: &str, key: &str, cb: Cb) -> Vec<InlineKeyboardButton> {
    vec![keyboards::button(loc, key, cb)]
}

pub fn resource_key(r: Resource) -> &'static str {
    match r {
        Resource::Electricity => "resource.electricity",
        Resource::ColdWater => "resource.cold_water",
        Resource::HotWater => "resource.hot_water",
        Resource::Heat => "resource.heat",
    }
}

fn unit(loc: &str, r: Resource) -> String {
    t(loc, &format!("unit.{}", r.as_str()))
}

/// «T1 (день)» and so on, by the number of zones; empty for a single-zone meter.
pub fn zone_label(loc: &str, zones: i64, zone: i64) -> String {
    match zones {
        2 => t(loc, &format!("zone.two.t{zone}")),
        3 => t(loc, &format!("zone.three.t{zone}")),
        _ => String::new(),
    }
}

fn is_meter_state(s: &State) -> bool {
    matches!(
        s,
        State::AddMeter { .. }
            | State::Reading { .. }
            | State::ReadingPhoto { .. }
            | State::MeterReq { .. }
            | State::MeterEditValue { .. }
    )
}

pub fn handles(cb: Cb, state: &State) -> bool {
    is_meter_state(state)
        || matches!(
            cb,
            Cb::Meters
                | Cb::AddMeter
                | Cb::ChooseMeter
                | Cb::Meter(_)
                | Cb::Read(_)
                | Cb::History(..)
                | Cb::ReqTaking(_)
                | Cb::ReqCommission(_)
                | Cb::ReqReplace(_)
                | Cb::MeterEdit(_)
                | Cb::MeterEditField(..)
                | Cb::MeterDelete(_)
                | Cb::MeterDeleteYes(_)
                | Cb::ReadingPhoto(_)
        )
}

// ---------------------------------------------------------------- list and card

fn verification_mark(ctx: &Ctx, m: &Meter) -> &'static str {
    match meters::verification(m.next_verification, ctx.today()) {
        Verification::Expired => " ⛔",
        Verification::DueSoon => " ⚠️",
        Verification::Valid => "",
    }
}

fn last_line(ctx: &Ctx, m: &Meter, last: &[crate::store::meters::LastValue]) -> String {
    let mine: Vec<_> = last.iter().filter(|l| l.meter_id == m.id).collect();
    let Some(first) = mine.first() else {
        return String::new();
    };
    let values = mine
        .iter()
        .map(|l| {
            let z = zone_label(ctx.loc, m.zones, l.zone);
            if z.is_empty() {
                l.value.display()
            } else {
                format!("{} {}", z.split(' ').next().unwrap_or(""), l.value)
            }
        })
        .collect::<Vec<_>>()
        .join(" / ");
    format!("{values} ({})", first.at.format("%d.%m.%Y"))
}

pub async fn show_list(ctx: &Ctx) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return start::show_home(ctx).await;
    };
    let list = ctx.store().meters_of(user.id).await?;
    if list.is_empty() {
        let kb = keyboards::inline(vec![b(ctx.loc, "meters.add", Cb::AddMeter)]);
        return ctx.say_with(ctx.t("meters.empty"), kb).await;
    }
    let last = ctx.store().last_values(user.id).await?;
    let mut text = format!("<b>{}</b>\n", ctx.t("menu.meters"));
    let mut rows = Vec::new();
    for m in &list {
        let r = m.resource;
        text.push_str(&format!(
            "\n{} {} · {}{}\n    {}",
            r.icon(),
            esc(&m.serial),
            esc(&m.place),
            verification_mark(ctx, m),
            esc(&last_line(ctx, m, &last)),
        ));
        rows.push(vec![InlineKeyboardButton::callback(
            format!("{} {} · {}", r.icon(), m.serial, m.place),
            Cb::Meter(m.id).encode(),
        )]);
    }
    text.push_str(&format!("\n\n{}", ctx.t("meters.legend")));
    rows.push(b(ctx.loc, "meters.add", Cb::AddMeter));
    ctx.say_with(text, keyboards::inline(rows)).await
}

async fn owned(ctx: &Ctx, meter_id: i64) -> Result<Option<Meter>, super::HandlerError> {
    let Some(user) = ctx.user() else {
        return Ok(None);
    };
    Ok(ctx.store().meter(user.id, meter_id).await?)
}

/// Someone else's (or an archived) meter id: refused, nothing changes.
async fn not_found(ctx: &Ctx) -> HandlerResult {
    ctx.say(ctx.t("meters.not_found")).await?;
    show_list(ctx).await
}

pub async fn show_card(ctx: &Ctx, meter_id: i64) -> HandlerResult {
    let Some(m) = owned(ctx, meter_id).await? else {
        return not_found(ctx).await;
    };
    let Some(user) = ctx.user() else {
        return Ok(());
    };
    let r = m.resource;
    let last = ctx.store().last_values(user.id).await?;
    let verif = match meters::verification(m.next_verification, ctx.today()) {
        Verification::Expired => ctx.t("meters.verif_expired"),
        Verification::DueSoon => ctx.t("meters.verif_soon"),
        Verification::Valid => String::new(),
    };
    let mut text = ctx.tf(
        "meters.card",
        &[
            ("icon", r.icon()),
            ("resource", &ctx.t(resource_key(r))),
            ("serial", &esc(&m.serial)),
            ("model", &esc(m.model.as_deref().unwrap_or("—"))),
            ("place", &esc(&m.place)),
            ("address", &esc(&m.address)),
            ("zones", &m.zones.to_string()),
            ("capacity", &m.capacity().label()),
            ("verification", &m.next_verification.format("%d.%m.%Y").to_string()),
            ("verif_note", &verif),
        ],
    );
    text.push_str(&format!("\n\n<b>{}</b>", ctx.t("meters.last_readings")));
    let mine: Vec<_> = last.iter().filter(|l| l.meter_id == m.id).collect();
    for l in &mine {
        let z = zone_label(ctx.loc, m.zones, l.zone);
        let z = if z.is_empty() { String::new() } else { format!("{z}: ") };
        text.push_str(&format!(
            "\n{z}{} {} ({})",
            l.value,
            unit(ctx.loc, r),
            l.at.format("%d.%m.%Y")
        ));
    }
    let requests = ctx.store().meter_requests(m.id).await?;
    if !requests.is_empty() {
        text.push_str(&format!("\n\n<b>{}</b>", ctx.t("meters.requests")));
        for q in &requests {
            let mut status = ctx.t(&format!("req_status.{}", q.status));
            if let Some(d) = q.scheduled_for {
                status.push_str(&format!(" {}", d.format("%d.%m.%Y")));
            }
            // The utility's word on it (the reason of a rejection, a comment).
            if let Some(note) = &q.status_note {
                status.push_str(&format!(" ({})", esc(note)));
            }
            text.push_str(&format!(
                "\n{} — {}: {}",
                esc(&q.number),
                ctx.t(&format!("req_kind.{}", q.kind)),
                status
            ));
        }
    }
    let id = m.id;
    let kb = keyboards::inline(vec![
        b(ctx.loc, "meters.send", Cb::Read(id)),
        b(ctx.loc, "meters.history", Cb::History(id, 0)),
        b(ctx.loc, "meters.req_taking", Cb::ReqTaking(id)),
        b(ctx.loc, "meters.req_commission", Cb::ReqCommission(id)),
        b(ctx.loc, "meters.req_replace", Cb::ReqReplace(id)),
        vec![
            keyboards::button(ctx.loc, "meters.edit", Cb::MeterEdit(id)),
            keyboards::button(ctx.loc, "meters.delete", Cb::MeterDelete(id)),
        ],
        b(ctx.loc, "meters.to_list", Cb::Meters),
    ]);
    ctx.say_with(text, kb).await
}

/// «Передать показания» from the menu: one meter goes straight to it, several ask which.
pub async fn send_readings_entry(ctx: &Ctx) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return start::show_home(ctx).await;
    };
    let list = ctx.store().meters_of(user.id).await?;
    match list.as_slice() {
        [] => show_list(ctx).await,
        [one] => start_reading(ctx, one.id).await,
        many => {
            let mut rows: Vec<_> = many
                .iter()
                .map(|m| {
                    vec![InlineKeyboardButton::callback(
                        format!("{} {} · {}", m.resource.icon(), m.serial, m.place),
                        Cb::Read(m.id).encode(),
                    )]
                })
                .collect();
            rows.push(keyboards::nav_row(ctx.loc, false));
            ctx.say_with(ctx.t("meters.which"), keyboards::inline(rows)).await
        }
    }
}

// ---------------------------------------------------------------- adding a meter

async fn add_go(ctx: &Ctx, step: MeterStep, form: NewMeter) -> HandlerResult {
    ctx.set(State::AddMeter {
        step,
        form: form.clone(),
    })
    .await?;
    add_prompt(ctx, step, &form).await
}

fn next_add_step(f: &NewMeter) -> MeterStep {
    let r = f.resource;
    if r.is_none() {
        MeterStep::Resource
    } else if f.serial.is_none() {
        MeterStep::Serial
    } else if f.model.is_none() && !f.model_skipped {
        MeterStep::Model
    } else if f.place.is_none() {
        MeterStep::Place
    } else if f.address.is_none() {
        MeterStep::Address
    } else if f.zones.is_none() {
        MeterStep::Zones
    } else if f.capacity.is_none() {
        MeterStep::Capacity
    } else if f.next_verification.is_none() {
        MeterStep::Verification
    } else if f.initial.len() < usize::from(f.zones.unwrap_or(1)) {
        MeterStep::Initial
    } else {
        MeterStep::Summary
    }
}

fn previous_add_step(step: MeterStep, f: &NewMeter) -> Option<MeterStep> {
    use MeterStep::*;
    Some(match step {
        Resource => return None,
        Serial => Resource,
        Model => Serial,
        Place => Model,
        Address => Place,
        Zones => Address,
        Capacity if f.resource.is_some_and(|r| r.max_zones() > 1) => Zones,
        Capacity => Address,
        Verification => Capacity,
        Initial => Verification,
        Summary => Initial,
    })
}

/// Clears what a step and the ones after it entered, so «Назад» asks again.
fn clear_from(step: MeterStep, f: &mut NewMeter) {
    use MeterStep::*;
    let from = MeterStep::ALL.iter().position(|s| *s == step).unwrap_or(0);
    for s in &MeterStep::ALL[from..] {
        match s {
            Resource => f.resource = None,
            Serial => f.serial = None,
            Model => {
                f.model = None;
                f.model_skipped = false;
            }
            Place => f.place = None,
            Address => f.address = None,
            Zones => f.zones = None,
            Capacity => f.capacity = None,
            Verification => f.next_verification = None,
            Initial => f.initial.clear(),
            Summary => {}
        }
    }
}

async fn add_prompt(ctx: &Ctx, step: MeterStep, f: &NewMeter) -> HandlerResult {
    let loc = ctx.loc;
    let back = previous_add_step(step, f).is_some();
    let r = f.resource.unwrap_or(Resource::Electricity);
    match step {
        MeterStep::Resource => {
            let mut rows: Vec<_> = Resource::ALL
                .into_iter()
                .map(|r| {
                    vec![InlineKeyboardButton::callback(
                        format!("{} {}", r.icon(), t(loc, resource_key(r))),
                        Cb::Resource(r).encode(),
                    )]
                })
                .collect();
            rows.push(keyboards::nav_row(loc, false));
            ctx.say_with(ctx.t("add.resource_q"), keyboards::inline(rows)).await
        }
        MeterStep::Serial => ctx.say_with(ctx.t("add.serial_q"), keyboards::nav(loc, back)).await,
        MeterStep::Model => {
            let kb = keyboards::inline(vec![b(loc, "common.skip", Cb::Skip), keyboards::nav_row(loc, back)]);
            ctx.say_with(ctx.t("add.model_q"), kb).await
        }
        MeterStep::Place => ctx.say_with(ctx.t("add.place_q"), keyboards::nav(loc, back)).await,
        MeterStep::Address => ctx.say_with(ctx.t("add.address_q"), keyboards::nav(loc, back)).await,
        MeterStep::Zones => {
            let row = (1..=3u8)
                .map(|z| InlineKeyboardButton::callback(t(loc, &format!("add.zones.{z}")), Cb::Zones(z).encode()))
                .collect();
            ctx.say_with(
                ctx.t("add.zones_q"),
                keyboards::inline(vec![row, keyboards::nav_row(loc, back)]),
            )
            .await
        }
        MeterStep::Capacity => {
            let row = r
                .capacity_choices()
                .into_iter()
                .map(|c| InlineKeyboardButton::callback(c.label(), Cb::Capacity(c.int_digits, c.frac_digits).encode()))
                .collect();
            let text = ctx.tf("add.capacity_q", &[("default", &r.default_capacity().label())]);
            ctx.say_with(text, keyboards::inline(vec![row, keyboards::nav_row(loc, back)]))
                .await
        }
        MeterStep::Verification => {
            ctx.say_with(ctx.t("add.verification_q"), keyboards::nav(loc, back))
                .await
        }
        MeterStep::Initial => {
            let zones = i64::from(f.zones.unwrap_or(1));
            let zone = f.initial.len() as i64 + 1;
            let text = ctx.tf(
                "add.initial_q",
                &[("zone", &zone_label(loc, zones, zone)), ("unit", &unit(loc, r))],
            );
            ctx.say_with(text, keyboards::nav(loc, back)).await
        }
        MeterStep::Summary => {
            let zones = i64::from(f.zones.unwrap_or(1));
            let initial = f
                .initial
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let z = zone_label(loc, zones, i as i64 + 1);
                    if z.is_empty() { v.display() } else { format!("{z}: {v}") }
                })
                .collect::<Vec<_>>()
                .join(", ");
            let text = ctx.tf(
                "add.summary",
                &[
                    ("resource", &format!("{} {}", r.icon(), ctx.t(resource_key(r)))),
                    ("serial", &esc(f.serial.as_deref().unwrap_or_default())),
                    ("model", &esc(f.model.as_deref().unwrap_or("—"))),
                    ("place", &esc(f.place.as_deref().unwrap_or_default())),
                    ("address", &esc(f.address.as_deref().unwrap_or_default())),
                    ("zones", &zones.to_string()),
                    ("capacity", &f.capacity.map(Capacity::label).unwrap_or_default()),
                    (
                        "verification",
                        &f.next_verification
                            .map(|d| d.format("%d.%m.%Y").to_string())
                            .unwrap_or_default(),
                    ),
                    ("initial", &initial),
                ],
            );
            let kb = keyboards::inline(vec![b(loc, "add.save", Cb::Save), keyboards::nav_row(loc, true)]);
            ctx.say_with(text, kb).await
        }
    }
}

pub async fn begin_add(ctx: &Ctx) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return start::show_home(ctx).await;
    };
    if ctx.store().active_meter_count(user.id).await? >= MAX_ACTIVE_METERS {
        ctx.say(ctx.tf("meters.too_many", &[("max", &MAX_ACTIVE_METERS.to_string())]))
            .await?;
        return show_list(ctx).await;
    }
    add_go(ctx, MeterStep::Resource, NewMeter::default()).await
}

async fn add_callback(ctx: &Ctx, cb: Cb, step: MeterStep, mut f: NewMeter) -> HandlerResult {
    match (step, cb) {
        (_, Cb::Back) => match previous_add_step(step, &f) {
            Some(prev) => {
                clear_from(prev, &mut f);
                add_go(ctx, prev, f).await
            }
            None => start::cancel(ctx).await,
        },
        (MeterStep::Resource, Cb::Resource(r)) => {
            f.resource = Some(r);
            add_go(ctx, next_add_step(&f), f).await
        }
        (MeterStep::Model, Cb::Skip) => {
            f.model_skipped = true;
            add_go(ctx, next_add_step(&f), f).await
        }
        (MeterStep::Zones, Cb::Zones(z)) if z <= f.resource.map(Resource::max_zones).unwrap_or(1) => {
            f.zones = Some(z);
            add_go(ctx, next_add_step(&f), f).await
        }
        (MeterStep::Capacity, Cb::Capacity(i, fr)) => match Capacity::parse(&format!("{i}+{fr}")) {
            Some(c) => {
                f.capacity = Some(c);
                add_go(ctx, next_add_step(&f), f).await
            }
            None => start::stale_button(ctx).await,
        },
        (MeterStep::Summary, Cb::Save) => save_meter(ctx, f).await,
        _ => start::stale_button(ctx).await,
    }
}

async fn add_message(ctx: &Ctx, msg: &Message, step: MeterStep, mut f: NewMeter) -> HandlerResult {
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("common.text_expected")).await?;
        return add_prompt(ctx, step, &f).await;
    };
    let r = f.resource.unwrap_or(Resource::Electricity);
    let problem: Option<String> = match step {
        MeterStep::Serial => match parse_serial(text) {
            Some(s) => {
                f.serial = Some(s);
                None
            }
            None => Some(ctx.t("add.serial_bad")),
        },
        MeterStep::Model => match parse_short_text(text, 100) {
            Some(s) => {
                f.model = Some(s);
                None
            }
            None => Some(ctx.t("add.text_bad")),
        },
        MeterStep::Place => match parse_short_text(text, 100) {
            Some(s) => {
                f.place = Some(s);
                None
            }
            None => Some(ctx.t("add.text_bad")),
        },
        MeterStep::Address => match parse_short_text(text, 300) {
            Some(s) => {
                f.address = Some(s);
                if r.max_zones() == 1 {
                    f.zones = Some(1);
                }
                None
            }
            None => Some(ctx.t("add.text_bad")),
        },
        MeterStep::Capacity => match Capacity::parse(text) {
            Some(c) => {
                f.capacity = Some(c);
                None
            }
            None => Some(ctx.t("add.capacity_bad")),
        },
        MeterStep::Verification => match parse_date(text, ctx.today()) {
            Some(d) if d < ctx.today() => Some(ctx.t("add.verification_past")),
            Some(d) => {
                f.next_verification = Some(d);
                None
            }
            None => Some(ctx.t("common.date_bad")),
        },
        MeterStep::Initial => match f.capacity.unwrap_or(r.default_capacity()).parse_value(text) {
            Ok(v) => {
                f.initial.push(v);
                None
            }
            Err(e) => Some(quantity_error(ctx, e)),
        },
        MeterStep::Resource | MeterStep::Zones | MeterStep::Summary => Some(ctx.t("common.use_buttons")),
    };
    match problem {
        Some(p) => {
            ctx.say(p).await?;
            add_prompt(ctx, step, &f).await
        }
        None => add_go(ctx, next_add_step(&f), f).await,
    }
}

async fn save_meter(ctx: &Ctx, f: NewMeter) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return start::show_home(ctx).await;
    };
    if next_add_step(&f) != MeterStep::Summary {
        return add_go(ctx, next_add_step(&f), f).await;
    }
    if ctx.store().active_meter_count(user.id).await? >= MAX_ACTIVE_METERS {
        ctx.reset().await?;
        ctx.say(ctx.tf("meters.too_many", &[("max", &MAX_ACTIVE_METERS.to_string())]))
            .await?;
        return show_list(ctx).await;
    }
    let period = current_period(ctx);
    let finish = ctx.finish(vec![]);
    match ctx
        .store()
        .add_meter(user.id, &f, period, ctx.now(), Some(&finish))
        .await?
    {
        AddMeter::Added(id) => {
            ctx.say(ctx.t("add.saved")).await?;
            // The menu gains «Передать показания» with the first meter.
            menu::show_menu(ctx).await?;
            show_card(ctx, id).await
        }
        AddMeter::DuplicateSerial => {
            let mut f = f;
            f.serial = None;
            ctx.set(State::AddMeter {
                step: MeterStep::Serial,
                form: f.clone(),
            })
            .await?;
            ctx.say(ctx.t("add.duplicate")).await?;
            add_prompt(ctx, MeterStep::Serial, &f).await
        }
    }
}

fn quantity_error(ctx: &Ctx, e: QuantityError) -> String {
    match e {
        QuantityError::NotNumber => ctx.t("reading.not_number"),
        QuantityError::Negative => ctx.t("reading.negative"),
        QuantityError::TooManyIntDigits { max } => ctx.tf("reading.too_many_int", &[("max", &max.to_string())]),
        QuantityError::TooManyFracDigits { max: 0 } => ctx.t("reading.no_fraction"),
        QuantityError::TooManyFracDigits { max } => ctx.tf("reading.too_many_frac", &[("max", &max.to_string())]),
    }
}

// ---------------------------------------------------------------- readings

async fn start_reading(ctx: &Ctx, meter_id: i64) -> HandlerResult {
    let Some(m) = owned(ctx, meter_id).await? else {
        return not_found(ctx).await;
    };
    if meters::verification(m.next_verification, ctx.today()) == Verification::Expired {
        ctx.reset().await?;
        let kb = keyboards::inline(vec![
            b(ctx.loc, "meters.req_replace", Cb::ReqReplace(m.id)),
            b(ctx.loc, "meters.to_card", Cb::Meter(m.id)),
        ]);
        let text = ctx.tf(
            "reading.verification_expired",
            &[("date", &m.next_verification.format("%d.%m.%Y").to_string())],
        );
        return ctx.say_with(text, kb).await;
    }
    let state = State::Reading {
        meter_id,
        values: vec![],
        rollover: vec![],
        pending: None,
        confirming: false,
    };
    ctx.set(state.clone()).await?;
    reading_prompt(ctx, &m, &state).await
}

/// The billing period a reading sent today counts for.
fn current_period(ctx: &Ctx) -> Period {
    ctx.deps.config.readings_window().period_for(ctx.today())
}

async fn reading_prompt(ctx: &Ctx, m: &Meter, state: &State) -> HandlerResult {
    let base = ctx.store().base_values(m.id, current_period(ctx)).await?;
    reading_prompt_with(ctx, m, state, &base).await
}

/// The question for the next zone (or the rollover question), with the base values at hand.
async fn reading_prompt_with(ctx: &Ctx, m: &Meter, state: &State, base: &[Option<Quantity>]) -> HandlerResult {
    let State::Reading { values, pending, .. } = state else {
        return Ok(());
    };
    let zone = values.len() as i64 + 1;
    if let Some(v) = pending {
        let last = base.get(zone as usize - 1).copied().flatten().unwrap_or_default();
        let kb = keyboards::inline(vec![
            b(ctx.loc, "reading.rollover_yes", Cb::Yes),
            b(ctx.loc, "reading.rollover_no", Cb::No),
        ]);
        let text = ctx.tf(
            "reading.rollover_q",
            &[("value", &v.display()), ("last", &last.display())],
        );
        return ctx.say_with(text, kb).await;
    }
    let z = zone_label(ctx.loc, m.zones, zone);
    let last = match base.get(zone as usize - 1).copied().flatten() {
        Some(v) => ctx.tf("reading.last", &[("value", &v.display())]),
        None => String::new(),
    };
    let text = ctx.tf(
        "reading.q",
        &[
            ("serial", &esc(&m.serial)),
            ("zone", &if z.is_empty() { String::new() } else { format!(" {z}") }),
            ("unit", &unit(ctx.loc, m.resource)),
            ("last", &last),
        ],
    );
    ctx.say_with(text, keyboards::nav(ctx.loc, zone > 1)).await
}

async fn reading_message(ctx: &Ctx, msg: &Message, state: State) -> HandlerResult {
    let State::Reading {
        meter_id,
        mut values,
        mut rollover,
        pending,
        confirming,
    } = state.clone()
    else {
        return Ok(());
    };
    let Some(m) = owned(ctx, meter_id).await? else {
        ctx.reset().await?;
        return not_found(ctx).await;
    };
    if pending.is_some() || confirming {
        ctx.say(ctx.t("common.use_buttons")).await?;
        return if confirming {
            reading_confirm_prompt(ctx, &m, &state).await
        } else {
            reading_prompt(ctx, &m, &state).await
        };
    }
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("reading.number_expected")).await?;
        return reading_prompt(ctx, &m, &state).await;
    };
    let value = match m.capacity().parse_value(text) {
        Ok(v) => v,
        Err(e) => {
            ctx.say(quantity_error(ctx, e)).await?;
            return reading_prompt(ctx, &m, &state).await;
        }
    };
    let period = current_period(ctx);
    let base = ctx.store().base_values(m.id, period).await?;
    let zone = values.len();
    match compare(value, base.get(zone).copied().flatten(), m.capacity()) {
        Monotonic::Ok { .. } => {
            values.push(value);
            rollover.push(false);
        }
        Monotonic::MaybeRollover { .. } => {
            let s = State::Reading {
                meter_id,
                values,
                rollover,
                pending: Some(value),
                confirming: false,
            };
            ctx.set(s.clone()).await?;
            return reading_prompt_with(ctx, &m, &s, &base).await;
        }
        Monotonic::Lower { last } => {
            ctx.say(ctx.tf("reading.lower", &[("last", &last.display())])).await?;
            return reading_prompt_with(ctx, &m, &state, &base).await;
        }
    }
    after_value(ctx, &m, values, rollover, &base).await
}

/// A zone's value was accepted: the next zone, or the checks that need a confirmation, or save.
/// `base` is what `base_values` gave for this meter and period.
async fn after_value(
    ctx: &Ctx,
    m: &Meter,
    values: Vec<Quantity>,
    rollover: Vec<bool>,
    base: &[Option<Quantity>],
) -> HandlerResult {
    let entered = values.len() as i64;
    let mut s = State::Reading {
        meter_id: m.id,
        values,
        rollover,
        pending: None,
        confirming: false,
    };
    if entered < m.zones {
        ctx.set(s.clone()).await?;
        return reading_prompt_with(ctx, m, &s, base).await;
    }
    let checks = reading_checks(ctx, m, &s, base).await?;
    if checks.is_empty() {
        return save_reading(ctx, m, s, base).await;
    }
    if let State::Reading { confirming, .. } = &mut s {
        *confirming = true;
    }
    ctx.set(s).await?;
    confirm_prompt(ctx, &checks).await
}

/// What needs the person's confirmation: a period that already has a reading, and
/// consumption more than three times the average.
async fn reading_checks(
    ctx: &Ctx,
    m: &Meter,
    s: &State,
    base: &[Option<Quantity>],
) -> Result<Vec<String>, super::HandlerError> {
    let State::Reading { values, rollover, .. } = s else {
        return Ok(vec![]);
    };
    let period = current_period(ctx);
    let u = unit(ctx.loc, m.resource);
    let mut replaces = false;
    let mut anomalies = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let last = base.get(i).copied().flatten();
        // Zone 1's history also tells whether this period already has a reading (all zones
        // are saved together); other zones' only matter with a value to compare with.
        if i > 0 && last.is_none() {
            continue;
        }
        let history = ctx.store().zone_history(m, i as i64 + 1).await?;
        if i == 0 {
            replaces = history.iter().any(|h| h.period == period.key());
        }
        let Some(last) = last else {
            continue;
        };
        let consumption = if rollover.get(i).copied().unwrap_or(false) {
            (m.capacity().limit() - last) + *v
        } else {
            *v - last
        };
        let earlier: Vec<Quantity> = history
            .into_iter()
            .filter(|h| h.period != period.key())
            .filter_map(|h| h.consumption)
            .collect();
        if is_abnormal(consumption, &earlier) {
            let avg = Quantity(earlier.iter().map(|q| q.0).sum::<i64>() / earlier.len() as i64);
            let z = zone_label(ctx.loc, m.zones, i as i64 + 1);
            anomalies.push(ctx.tf(
                "reading.anomaly_warn",
                &[
                    ("zone", &z),
                    ("consumption", &format!("{consumption} {u}")),
                    ("average", &format!("{avg} {u}")),
                ],
            ));
        }
    }
    let mut out = Vec::new();
    if replaces {
        out.push(ctx.tf("reading.replace_warn", &[("period", &period.label())]));
    }
    out.extend(anomalies);
    Ok(out)
}

async fn reading_confirm_prompt(ctx: &Ctx, m: &Meter, s: &State) -> HandlerResult {
    let base = ctx.store().base_values(m.id, current_period(ctx)).await?;
    let checks = reading_checks(ctx, m, s, &base).await?;
    confirm_prompt(ctx, &checks).await
}

/// The warnings that need a «Подтвердить» and the buttons.
async fn confirm_prompt(ctx: &Ctx, checks: &[String]) -> HandlerResult {
    let kb = keyboards::inline(vec![
        b(ctx.loc, "reading.confirm", Cb::Yes),
        b(ctx.loc, "reading.retype", Cb::No),
        keyboards::nav_row(ctx.loc, false),
    ]);
    ctx.say_with(format!("{}\n\n{}", checks.join("\n\n"), ctx.t("reading.confirm_q")), kb)
        .await
}

async fn save_reading(ctx: &Ctx, m: &Meter, s: State, base: &[Option<Quantity>]) -> HandlerResult {
    let State::Reading { values, rollover, .. } = s else {
        return Ok(());
    };
    let window = ctx.deps.config.readings_window();
    let today = ctx.today();
    let period = window.period_for(today);
    let pairs: Vec<(Quantity, bool)> = values.iter().copied().zip(rollover.iter().copied()).collect();
    let u = unit(ctx.loc, m.resource);
    let mut lines = Vec::new();
    for (i, (v, roll)) in pairs.iter().enumerate() {
        let z = zone_label(ctx.loc, m.zones, i as i64 + 1);
        let z = if z.is_empty() { String::new() } else { format!("{z}: ") };
        let consumption = base.get(i).copied().flatten().map(|last| {
            if *roll {
                (m.capacity().limit() - last) + *v
            } else {
                *v - last
            }
        });
        let c = consumption
            .map(|c| ctx.tf("reading.consumption", &[("value", &format!("{c} {u}"))]))
            .unwrap_or_default();
        lines.push(format!("{z}{v} {u}{c}"));
    }
    let mut text = ctx.tf(
        "reading.accepted",
        &[("values", &lines.join("\n")), ("period", &period.label())],
    );
    if !window.contains(today) {
        text.push_str("\n\n");
        text.push_str(&ctx.tf(
            "reading.outside_window",
            &[
                ("first", &window.first_day.to_string()),
                ("last", &window.last_day.to_string()),
                ("period", &period.label()),
            ],
        ));
    }
    let reply = ctx.queued(
        text,
        &[
            &[("reading.add_photo", Cb::ReadingPhoto(m.id))],
            &[("meters.to_card", Cb::Meter(m.id))],
        ],
    );
    let finish = ctx.finish(vec![reply]);
    let saved = ctx
        .store()
        .save_reading(m.id, period, &pairs, ctx.now(), Some(&finish))
        .await?;
    ctx.send_committed(&saved.replies).await
}

async fn reading_callback(ctx: &Ctx, cb: Cb, state: State) -> HandlerResult {
    let State::Reading {
        meter_id,
        mut values,
        mut rollover,
        pending,
        confirming,
    } = state.clone()
    else {
        return Ok(());
    };
    let Some(m) = owned(ctx, meter_id).await? else {
        ctx.reset().await?;
        return not_found(ctx).await;
    };
    let period = current_period(ctx);
    match cb {
        Cb::Yes if pending.is_some() => {
            values.push(pending.unwrap_or_default());
            rollover.push(true);
            let base = ctx.store().base_values(m.id, period).await?;
            after_value(ctx, &m, values, rollover, &base).await
        }
        Cb::No if pending.is_some() => {
            let s = State::Reading {
                meter_id,
                values,
                rollover,
                pending: None,
                confirming: false,
            };
            ctx.set(s.clone()).await?;
            reading_prompt(ctx, &m, &s).await
        }
        Cb::Yes if confirming => {
            let base = ctx.store().base_values(m.id, period).await?;
            save_reading(ctx, &m, state, &base).await
        }
        Cb::No if confirming => start_reading(ctx, meter_id).await,
        Cb::Back if !values.is_empty() && !confirming && pending.is_none() => {
            values.pop();
            rollover.pop();
            let s = State::Reading {
                meter_id,
                values,
                rollover,
                pending: None,
                confirming: false,
            };
            ctx.set(s.clone()).await?;
            reading_prompt(ctx, &m, &s).await
        }
        _ => start::stale_button(ctx).await,
    }
}

// ---------------------------------------------------------------- history

async fn show_history(ctx: &Ctx, meter_id: i64, page: u8) -> HandlerResult {
    let Some(m) = owned(ctx, meter_id).await? else {
        return not_found(ctx).await;
    };
    let u = unit(ctx.loc, m.resource);
    let mut by_zone = Vec::new();
    for zone in 1..=m.zones {
        by_zone.push(ctx.store().zone_history(&m, zone).await?);
    }
    let mut periods: Vec<String> = by_zone.iter().flatten().map(|h| h.period.clone()).collect();
    periods.sort();
    periods.dedup();
    periods.reverse();
    periods.truncate(HISTORY_PERIODS);
    let pages = periods.len().div_ceil(HISTORY_PAGE).max(1);
    let page = usize::from(page).min(pages - 1);
    let mut text = ctx.tf("history.title", &[("serial", &esc(&m.serial))]);
    if periods.is_empty() {
        text.push_str(&format!("\n\n{}", ctx.t("history.empty")));
    }
    for p in periods.iter().skip(page * HISTORY_PAGE).take(HISTORY_PAGE) {
        let label = Period::parse_key(p).map(Period::label).unwrap_or_else(|| p.clone());
        text.push_str(&format!("\n\n<b>{label}</b>"));
        for (zi, rows) in by_zone.iter().enumerate() {
            if let Some(h) = rows.iter().find(|h| &h.period == p) {
                let z = zone_label(ctx.loc, m.zones, zi as i64 + 1);
                let z = if z.is_empty() { String::new() } else { format!("{z}: ") };
                let c = h.consumption.map(|c| format!(" (+{c} {u})")).unwrap_or_default();
                text.push_str(&format!("\n{z}{} {u}{c}", h.value));
            }
        }
    }
    if pages > 1 {
        text.push_str(&format!(
            "\n\n{}",
            ctx.tf(
                "history.page",
                &[("page", &(page + 1).to_string()), ("pages", &pages.to_string())]
            )
        ));
    }
    let mut nav = Vec::new();
    if page + 1 < pages {
        nav.push(keyboards::button(
            ctx.loc,
            "history.older",
            Cb::History(m.id, (page + 1) as u8),
        ));
    }
    if page > 0 {
        nav.push(keyboards::button(
            ctx.loc,
            "history.newer",
            Cb::History(m.id, (page - 1) as u8),
        ));
    }
    let mut rows = vec![];
    if !nav.is_empty() {
        rows.push(nav);
    }
    rows.push(b(ctx.loc, "meters.to_card", Cb::Meter(m.id)));
    ctx.say_with(text, keyboards::inline(rows)).await
}

// ---------------------------------------------------------------- requests on a meter

async fn begin_request(ctx: &Ctx, meter_id: i64, kind: ReqKind) -> HandlerResult {
    let Some(m) = owned(ctx, meter_id).await? else {
        return not_found(ctx).await;
    };
    let Some(user) = ctx.user() else {
        return Ok(());
    };
    let key = format!("meter-req:{}", user.id);
    if ctx.store().rate_count(&key, ctx.now(), Duration::days(1)).await? >= REQUESTS_PER_DAY {
        ctx.say(ctx.tf("req.too_many", &[("max", &REQUESTS_PER_DAY.to_string())]))
            .await?;
        return show_card(ctx, m.id).await;
    }
    let step = kind.steps()[0];
    req_go(ctx, &m, kind, step, ReqForm::default()).await
}

async fn req_go(ctx: &Ctx, m: &Meter, kind: ReqKind, step: ReqStep, form: ReqForm) -> HandlerResult {
    ctx.set(State::MeterReq {
        meter_id: m.id,
        kind,
        step,
        form: form.clone(),
    })
    .await?;
    req_prompt(ctx, m, kind, step, &form).await
}

fn req_next(kind: ReqKind, step: ReqStep, form: &ReqForm, zones: i64) -> ReqStep {
    if step == ReqStep::Reason && form.reason == Some(ReplaceReason::Other) && form.reason_text.is_none() {
        return ReqStep::ReasonText;
    }
    if step == ReqStep::Readings && (form.readings.len() as i64) < zones {
        return ReqStep::Readings;
    }
    let steps = kind.steps();
    let at = if step == ReqStep::ReasonText {
        steps.iter().position(|s| *s == ReqStep::Reason)
    } else {
        steps.iter().position(|s| *s == step)
    };
    at.and_then(|i| steps.get(i + 1)).copied().unwrap_or(ReqStep::Summary)
}

fn req_prev(kind: ReqKind, step: ReqStep) -> Option<ReqStep> {
    if step == ReqStep::ReasonText {
        return Some(ReqStep::Reason);
    }
    let steps = kind.steps();
    let i = steps.iter().position(|s| *s == step)?;
    i.checked_sub(1).map(|j| steps[j])
}

fn tod_buttons(loc: &str) -> Vec<InlineKeyboardButton> {
    TimeOfDay::ALL
        .into_iter()
        .map(|t| keyboards::button(loc, t.key(), Cb::Tod(t)))
        .collect()
}

async fn req_prompt(ctx: &Ctx, m: &Meter, kind: ReqKind, step: ReqStep, f: &ReqForm) -> HandlerResult {
    let loc = ctx.loc;
    let back = req_prev(kind, step).is_some();
    let nav = keyboards::nav_row(loc, back);
    let title = ctx.tf(&format!("req.title.{}", kind.as_str()), &[("serial", &esc(&m.serial))]);
    let (text, rows): (String, Vec<Vec<InlineKeyboardButton>>) = match step {
        ReqStep::Reason => (
            ctx.t("req.reason_q"),
            ReplaceReason::ALL
                .into_iter()
                .map(|r| b(loc, r.key(), Cb::Reason(r)))
                .chain([nav])
                .collect(),
        ),
        ReqStep::ReasonText => (ctx.t("req.reason_text_q"), vec![nav]),
        ReqStep::InstallDate => (ctx.t("req.install_date_q"), vec![nav]),
        ReqStep::Installer => (ctx.t("req.installer_q"), vec![nav]),
        ReqStep::Seal => (ctx.t("req.seal_q"), vec![nav]),
        ReqStep::Readings => {
            let zone = f.readings.len() as i64 + 1;
            let z = zone_label(loc, m.zones, zone);
            (
                ctx.tf("req.readings_q", &[("zone", &z), ("unit", &unit(loc, m.resource))]),
                vec![nav],
            )
        }
        ReqStep::Date => (ctx.t("req.date_q"), vec![nav]),
        ReqStep::TimeOfDay => (ctx.t("req.tod_q"), vec![tod_buttons(loc), nav]),
        ReqStep::Comment => (ctx.t("req.comment_q"), vec![b(loc, "common.skip", Cb::Skip), nav]),
        ReqStep::Files => {
            let n = f.files.len();
            let mut rows = Vec::new();
            if n > 0 {
                rows.push(b(loc, "req.files_done", Cb::Done));
            } else {
                rows.push(b(loc, "common.skip", Cb::Done));
            }
            rows.push(nav);
            let text = ctx.tf(
                "req.files_q",
                &[
                    ("max", &MAX_REQUEST_FILES.to_string()),
                    ("count", &plural(loc, "plural.files", n as u64)),
                ],
            );
            (text, rows)
        }
        ReqStep::Summary => (
            req_summary(ctx, m, kind, f),
            vec![b(loc, "req.send", Cb::Save), keyboards::nav_row(loc, true)],
        ),
    };
    ctx.say_with(format!("<b>{title}</b>\n\n{text}"), keyboards::inline(rows))
        .await
}

fn req_summary(ctx: &Ctx, m: &Meter, kind: ReqKind, f: &ReqForm) -> String {
    let loc = ctx.loc;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%d.%m.%Y").to_string()).unwrap_or_default();
    let mut lines = Vec::new();
    let mut line = |key: &str, value: String| lines.push(format!("{}: {}", t(loc, key), value));
    if let Some(r) = f.reason {
        let mut v = t(loc, r.key());
        if let Some(x) = &f.reason_text {
            v = format!("{v} — {}", esc(x));
        }
        line("req.f.reason", v);
    }
    if kind == ReqKind::Commissioning {
        line("req.f.install_date", date(f.install_date));
        line("req.f.installer", esc(f.installer.as_deref().unwrap_or_default()));
        line("req.f.seal", esc(f.seal.as_deref().unwrap_or_default()));
        let values = f
            .readings
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let z = zone_label(loc, m.zones, i as i64 + 1);
                if z.is_empty() { v.display() } else { format!("{z}: {v}") }
            })
            .collect::<Vec<_>>()
            .join(", ");
        line("req.f.readings", values);
    }
    line("req.f.date", date(f.preferred_date));
    if let Some(tod) = f.time_of_day {
        line("req.f.tod", t(loc, tod.key()));
    }
    if kind != ReqKind::Commissioning {
        line("req.f.comment", esc(f.comment.as_deref().unwrap_or("—")));
    } else {
        line("req.f.files", plural(loc, "plural.files", f.files.len() as u64));
    }
    lines.join("\n")
}

async fn req_callback(ctx: &Ctx, cb: Cb, state: State) -> HandlerResult {
    let State::MeterReq {
        meter_id,
        kind,
        step,
        mut form,
    } = state
    else {
        return Ok(());
    };
    let Some(m) = owned(ctx, meter_id).await? else {
        ctx.reset().await?;
        return not_found(ctx).await;
    };
    match (step, cb) {
        (_, Cb::Back) => match req_prev(kind, step) {
            Some(prev) => {
                if prev == ReqStep::Readings {
                    form.readings.clear();
                }
                if prev == ReqStep::Reason {
                    form.reason_text = None;
                }
                req_go(ctx, &m, kind, prev, form).await
            }
            None => {
                ctx.reset().await?;
                show_card(ctx, m.id).await
            }
        },
        (ReqStep::Reason, Cb::Reason(r)) => {
            form.reason = Some(r);
            form.reason_text = None;
            req_go(ctx, &m, kind, req_next(kind, step, &form, m.zones), form).await
        }
        (ReqStep::TimeOfDay, Cb::Tod(tod)) => {
            form.time_of_day = Some(tod);
            req_go(ctx, &m, kind, req_next(kind, step, &form, m.zones), form).await
        }
        (ReqStep::Comment, Cb::Skip) => req_go(ctx, &m, kind, req_next(kind, step, &form, m.zones), form).await,
        (ReqStep::Files, Cb::Done) => req_go(ctx, &m, kind, ReqStep::Summary, form).await,
        (ReqStep::Summary, Cb::Save) => submit_request(ctx, &m, kind, form).await,
        _ => start::stale_button(ctx).await,
    }
}

async fn req_message(ctx: &Ctx, msg: &Message, state: State) -> HandlerResult {
    let State::MeterReq {
        meter_id,
        kind,
        step,
        mut form,
    } = state
    else {
        return Ok(());
    };
    let Some(m) = owned(ctx, meter_id).await? else {
        ctx.reset().await?;
        return not_found(ctx).await;
    };
    if step == ReqStep::Files {
        return match files::file_of(msg, files::PHOTO_OR_PDF) {
            Ok(_) if form.files.len() >= MAX_REQUEST_FILES => {
                ctx.say(ctx.tf("files.too_many", &[("max", &MAX_REQUEST_FILES.to_string())]))
                    .await?;
                req_prompt(ctx, &m, kind, step, &form).await
            }
            Ok(file) => {
                form.files.push(file);
                let n = form.files.len();
                ctx.set(State::MeterReq {
                    meter_id,
                    kind,
                    step,
                    form,
                })
                .await?;
                let kb = keyboards::inline(vec![b(ctx.loc, "req.files_done", Cb::Done)]);
                ctx.say_with(
                    ctx.tf("files.added", &[("count", &plural(ctx.loc, "plural.files", n as u64))]),
                    kb,
                )
                .await
            }
            Err(p) => {
                ctx.say(file_problem(ctx, p)).await?;
                req_prompt(ctx, &m, kind, step, &form).await
            }
        };
    }
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("common.text_expected")).await?;
        return req_prompt(ctx, &m, kind, step, &form).await;
    };
    let today = ctx.today();
    let problem: Option<String> = match step {
        ReqStep::ReasonText | ReqStep::Comment => match parse_short_text(text, 1000) {
            Some(s) if step == ReqStep::ReasonText => {
                form.reason_text = Some(s);
                None
            }
            Some(s) => {
                form.comment = Some(s);
                None
            }
            None => Some(ctx.tf("req.text_too_long", &[("max", "1000")])),
        },
        ReqStep::Installer | ReqStep::Seal => match parse_short_text(text, 200) {
            Some(s) if step == ReqStep::Installer => {
                form.installer = Some(s);
                None
            }
            Some(s) => {
                form.seal = Some(s);
                None
            }
            None => Some(ctx.t("add.text_bad")),
        },
        ReqStep::InstallDate => match parse_date(text, today) {
            Some(d) if d > today => Some(ctx.t("req.install_future")),
            Some(d) => {
                form.install_date = Some(d);
                None
            }
            // «28.11» typed for a past date means this year, not next.
            None => Some(ctx.t("common.date_bad")),
        },
        ReqStep::Date => match parse_date(text, today) {
            Some(d) if d < today => Some(ctx.t("req.date_past")),
            Some(d) if d > today + Duration::days(90) => Some(ctx.t("req.date_far")),
            Some(d) => {
                form.preferred_date = Some(d);
                None
            }
            None => Some(ctx.t("common.date_bad")),
        },
        ReqStep::Readings => match m.capacity().parse_value(text) {
            Ok(v) => {
                form.readings.push(v);
                None
            }
            Err(e) => Some(quantity_error(ctx, e)),
        },
        ReqStep::Reason | ReqStep::TimeOfDay | ReqStep::Files | ReqStep::Summary => Some(ctx.t("common.use_buttons")),
    };
    match problem {
        Some(p) => {
            ctx.say(p).await?;
            req_prompt(ctx, &m, kind, step, &form).await
        }
        None => {
            let next = req_next(kind, step, &form, m.zones);
            req_go(ctx, &m, kind, next, form).await
        }
    }
}

pub fn file_problem(ctx: &Ctx, p: FileProblem) -> String {
    match p {
        FileProblem::NotAFile => ctx.t("files.not_a_file"),
        FileProblem::WrongType => ctx.t("files.wrong_type"),
        FileProblem::TooBig => ctx.tf("files.too_big", &[("max", "20")]),
    }
}

async fn submit_request(ctx: &Ctx, m: &Meter, kind: ReqKind, f: ReqForm) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return Ok(());
    };
    let Some(date) = f.preferred_date else {
        return req_go(ctx, m, kind, ReqStep::Date, f).await;
    };
    let key = format!("meter-req:{}", user.id);
    let day = Duration::days(1);
    if ctx.store().rate_count(&key, ctx.now(), day).await? >= REQUESTS_PER_DAY {
        ctx.reset().await?;
        ctx.say(ctx.tf("req.too_many", &[("max", &REQUESTS_PER_DAY.to_string())]))
            .await?;
        return show_card(ctx, m.id).await;
    }
    let details = serde_json::json!({
        "time_of_day": f.time_of_day,
        "comment": f.comment,
        "install_date": f.install_date,
        "installer": f.installer,
        "seal": f.seal,
        "readings": f.readings.iter().map(|q| q.display()).collect::<Vec<_>>(),
        "reason": f.reason,
        "reason_text": f.reason_text,
    });
    let request = NewMeterRequest {
        account_id: user.id,
        meter_id: m.id,
        kind: kind.typed(),
        details: &details,
        preferred_date: date,
        files: &f.files,
    };
    let finish = |_: i64, number: &str| {
        let text = ctx.tf("req.sent", &[("number", &esc(number))]);
        let mut f = ctx.finish(vec![ctx.queued(text, &[&[("meters.to_card", Cb::Meter(m.id))]])]);
        f.rate_keys.push(key.clone());
        f
    };
    let filed = ctx
        .store()
        .create_meter_request(&request, ctx.now(), Some(&finish))
        .await?;
    ctx.send_committed(&filed.replies).await
}

// ---------------------------------------------------------------- edit, delete, photo

async fn edit_menu(ctx: &Ctx, meter_id: i64) -> HandlerResult {
    let Some(m) = owned(ctx, meter_id).await? else {
        return not_found(ctx).await;
    };
    let mut rows: Vec<_> = MeterField::ALL
        .into_iter()
        .map(|f| b(ctx.loc, &format!("edit.{}", field_name(f)), Cb::MeterEditField(m.id, f)))
        .collect();
    rows.push(b(ctx.loc, "meters.to_card", Cb::Meter(m.id)));
    ctx.say_with(ctx.t("edit.q"), keyboards::inline(rows)).await
}

fn field_name(f: MeterField) -> &'static str {
    match f {
        MeterField::Model => "model",
        MeterField::Place => "place",
        MeterField::Address => "address",
        MeterField::Verification => "verification",
    }
}

async fn edit_value(ctx: &Ctx, msg: &Message, meter_id: i64, field: MeterField) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return Ok(());
    };
    let prompt = ctx.t(&format!("edit.{}_q", field_name(field)));
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("common.text_expected")).await?;
        return ctx.say_with(prompt, keyboards::nav(ctx.loc, false)).await;
    };
    let edit = match field {
        MeterField::Model => parse_short_text(text, 100).map(MeterEdit::Model),
        MeterField::Place => parse_short_text(text, 100).map(MeterEdit::Place),
        MeterField::Address => parse_short_text(text, 300).map(MeterEdit::Address),
        MeterField::Verification => parse_date(text, ctx.today())
            .filter(|d| *d >= ctx.today())
            .map(MeterEdit::Verification),
    };
    let Some(edit) = edit else {
        let key = if field == MeterField::Verification {
            "add.verification_past"
        } else {
            "add.text_bad"
        };
        ctx.say(ctx.t(key)).await?;
        return ctx.say_with(prompt, keyboards::nav(ctx.loc, false)).await;
    };
    if !ctx.store().update_meter(user.id, meter_id, &edit).await? {
        ctx.reset().await?;
        return not_found(ctx).await;
    }
    ctx.reset().await?;
    ctx.say(ctx.t("common.saved")).await?;
    show_card(ctx, meter_id).await
}

// ---------------------------------------------------------------- routing

pub async fn prompt(ctx: &Ctx, state: &State) -> HandlerResult {
    match state {
        State::AddMeter { step, form } => add_prompt(ctx, *step, form).await,
        State::Reading {
            meter_id, confirming, ..
        } => match owned(ctx, *meter_id).await? {
            Some(m) if *confirming => reading_confirm_prompt(ctx, &m, state).await,
            Some(m) => reading_prompt(ctx, &m, state).await,
            None => not_found(ctx).await,
        },
        State::ReadingPhoto { .. } => {
            ctx.say_with(ctx.t("reading.photo_q"), keyboards::nav(ctx.loc, false))
                .await
        }
        State::MeterReq {
            meter_id,
            kind,
            step,
            form,
        } => match owned(ctx, *meter_id).await? {
            Some(m) => req_prompt(ctx, &m, *kind, *step, form).await,
            None => not_found(ctx).await,
        },
        State::MeterEditValue { field, .. } => {
            ctx.say_with(
                ctx.t(&format!("edit.{}_q", field_name(*field))),
                keyboards::nav(ctx.loc, false),
            )
            .await
        }
        _ => start::show_home(ctx).await,
    }
}

pub async fn on_message(ctx: &mut Ctx, msg: &Message, state: State) -> HandlerResult {
    if ctx.user().is_none() {
        ctx.reset().await?;
        return start::show_home(ctx).await;
    }
    match state {
        State::AddMeter { step, form } => add_message(ctx, msg, step, form).await,
        State::Reading { .. } => reading_message(ctx, msg, state).await,
        State::ReadingPhoto { meter_id } => {
            let Some(user) = ctx.user() else {
                return Ok(());
            };
            match msg.photo().and_then(|p| p.iter().max_by_key(|p| p.width * p.height)) {
                Some(p) => {
                    if ctx
                        .store()
                        .attach_reading_photo(user.id, meter_id, &p.file.id.0)
                        .await?
                    {
                        ctx.reset().await?;
                        ctx.say(ctx.t("reading.photo_saved")).await?;
                        show_card(ctx, meter_id).await
                    } else {
                        ctx.reset().await?;
                        not_found(ctx).await
                    }
                }
                None => {
                    ctx.say(ctx.t("reading.photo_expected")).await?;
                    prompt(ctx, &State::ReadingPhoto { meter_id }).await
                }
            }
        }
        State::MeterReq { .. } => req_message(ctx, msg, state).await,
        State::MeterEditValue { meter_id, field } => edit_value(ctx, msg, meter_id, field).await,
        _ => start::reprompt(ctx).await,
    }
}

pub async fn on_callback(ctx: &mut Ctx, cb: Cb, state: State) -> HandlerResult {
    if ctx.user().is_none() {
        return start::stale_button(ctx).await;
    }
    // Buttons that start something new work from any state (an old card, a fresh list).
    match cb {
        Cb::Meters => {
            ctx.reset().await?;
            return show_list(ctx).await;
        }
        Cb::AddMeter => return begin_add(ctx).await,
        Cb::ChooseMeter => return send_readings_entry(ctx).await,
        Cb::Meter(id) => {
            ctx.reset().await?;
            return show_card(ctx, id).await;
        }
        Cb::Read(id) => return start_reading(ctx, id).await,
        Cb::History(id, page) => return show_history(ctx, id, page).await,
        Cb::ReqTaking(id) => return begin_request(ctx, id, ReqKind::ReadingTaking).await,
        Cb::ReqCommission(id) => return begin_request(ctx, id, ReqKind::Commissioning).await,
        Cb::ReqReplace(id) => return begin_request(ctx, id, ReqKind::Replacement).await,
        Cb::MeterEdit(id) => {
            ctx.reset().await?;
            return edit_menu(ctx, id).await;
        }
        Cb::MeterEditField(id, field) => {
            let Some(m) = owned(ctx, id).await? else {
                return not_found(ctx).await;
            };
            let s = State::MeterEditValue { meter_id: m.id, field };
            ctx.set(s.clone()).await?;
            return prompt(ctx, &s).await;
        }
        Cb::MeterDelete(id) => {
            let Some(m) = owned(ctx, id).await? else {
                return not_found(ctx).await;
            };
            let kb = keyboards::inline(vec![
                b(ctx.loc, "meters.delete_yes", Cb::MeterDeleteYes(m.id)),
                b(ctx.loc, "meters.to_card", Cb::Meter(m.id)),
            ]);
            return ctx
                .say_with(ctx.tf("meters.delete_q", &[("serial", &esc(&m.serial))]), kb)
                .await;
        }
        Cb::MeterDeleteYes(id) => {
            let Some(user) = ctx.user() else {
                return Ok(());
            };
            if !ctx.store().archive_meter(user.id, id, ctx.now()).await? {
                return not_found(ctx).await;
            }
            ctx.reset().await?;
            ctx.say(ctx.t("meters.deleted")).await?;
            menu::show_menu(ctx).await?;
            return show_list(ctx).await;
        }
        Cb::ReadingPhoto(id) => {
            let Some(m) = owned(ctx, id).await? else {
                return not_found(ctx).await;
            };
            let s = State::ReadingPhoto { meter_id: m.id };
            ctx.set(s.clone()).await?;
            return prompt(ctx, &s).await;
        }
        _ => {}
    }
    match state {
        State::AddMeter { step, form } => add_callback(ctx, cb, step, form).await,
        State::Reading { .. } => reading_callback(ctx, cb, state).await,
        State::MeterReq { .. } => req_callback(ctx, cb, state).await,
        _ => start::stale_button(ctx).await,
    }
}
