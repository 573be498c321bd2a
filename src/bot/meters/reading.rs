//! «Передать показания»: a value per zone, checked against the last one (lower is refused,
//! unless it passed zero), a confirmation for a second reading in the period or an implausible
//! consumption, then saved with its reply in one transaction. And the photo of the meter.

use super::list::{not_found, owned, show_card, show_list};
use super::state::{MetersState, Reading};
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::input_errors;
use crate::bot::outcome::Outcome;
use crate::bot::ui::{self, esc};
use crate::callback::{Buttons, MetersCb, StepCb};
use crate::domain::consumption::{self, Implausible};
use crate::domain::meters::{self, Monotonic, Period, Verification, compare};
use crate::domain::quantity::Quantity;
use crate::store::meters::{Meter, ReadingValues, ZoneValue};
use crate::wording;
use chrono::Datelike;
use teloxide::types::{InlineKeyboardButton, Message};

type Result<T> = std::result::Result<T, HandlerError>;

/// «Передать показания» from the menu: one meter goes straight to it, several ask which.
pub async fn send_readings(ctx: &mut Ctx) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let list = ctx.store().meters_of(user.id).await?;
    match list.as_slice() {
        [] => show_list(ctx).await,
        [one] => start(ctx, one.id).await,
        many => {
            let mut rows: Vec<_> = many
                .iter()
                .map(|m| {
                    vec![InlineKeyboardButton::callback(
                        crate::wording::meter_label(ctx.loc, m),
                        MetersCb::Read(m.id).encode(),
                    )]
                })
                .collect();
            rows.push(ui::nav_row(ctx.loc, false));
            ctx.say_with(ctx.t("meters.which"), ui::inline(rows)).await?;
            Ok(Outcome::Done)
        }
    }
}

/// The billing period a reading sent today counts for.
fn current_period(ctx: &Ctx) -> Period {
    ctx.deps.config.readings_window().period_for(ctx.today())
}

pub async fn start(ctx: &Ctx, meter_id: i64) -> Result<Outcome> {
    let Some(m) = owned(ctx, meter_id).await? else {
        return not_found(ctx).await;
    };
    // A lapsed verification: no readings until a new date is entered or a request to verify
    // or replace the meter is filed.
    if meters::verification(m.next_verification, ctx.today()) == Verification::Expired
        && !ctx.store().has_open_verification_request(m.id).await?
    {
        ctx.reset().await?;
        let kb = ui::inline(vec![
            ui::row(ctx.loc, "meters.req_verify", MetersCb::ReqVerify(m.id)),
            ui::row(ctx.loc, "meters.req_replace", MetersCb::ReqReplace(m.id)),
            ui::row(
                ctx.loc,
                "reading.new_verification_date",
                MetersCb::MeterEditField(m.id, crate::callback::MeterField::Verification),
            ),
            ui::row(ctx.loc, "meters.to_card", MetersCb::Meter(m.id)),
        ]);
        let text = ctx.tf(
            "reading.verification_expired",
            &[(
                "date",
                &m.next_verification
                    .map(|d| d.format("%d.%m.%Y").to_string())
                    .unwrap_or_default(),
            )],
        );
        ctx.say_with(text, kb).await?;
        return Ok(Outcome::Done);
    }
    let r = Reading {
        meter_id,
        ..Default::default()
    };
    ctx.set(MetersState::Reading(r.clone())).await?;
    // Sent already for this period: what is there comes first, so the person knows.
    let period = current_period(ctx);
    let values = ctx.store().reading_values(m.id, period).await?;
    if values.sent.iter().any(Option::is_some) {
        let sent = zone_values(ctx, &m, &values.sent);
        let text = ctx.tf(
            "reading.already_sent",
            &[("period", &wording::period(ctx.loc, period)), ("values", &sent)],
        );
        ctx.say(text).await?;
    }
    ask_with(ctx, &m, &r, &values.base).await
}

pub async fn prompt(ctx: &Ctx, r: &Reading) -> Result<Outcome> {
    match owned(ctx, r.meter_id).await? {
        Some(m) if r.confirming => confirm_prompt(ctx, &m, r).await,
        Some(m) => ask(ctx, &m, r).await,
        None => not_found(ctx).await,
    }
}

async fn ask(ctx: &Ctx, m: &Meter, r: &Reading) -> Result<Outcome> {
    let base = ctx.store().base_values(m.id, current_period(ctx)).await?;
    ask_with(ctx, m, r, &base).await
}

/// The question for the next zone (or the rollover question), with the base values at hand.
async fn ask_with(ctx: &Ctx, m: &Meter, r: &Reading, base: &[Option<Quantity>]) -> Result<Outcome> {
    let zone = r.values.len() as i64 + 1;
    let last = base.get(zone as usize - 1).copied().flatten();
    if let Some(v) = r.pending {
        let kb = ui::inline(vec![
            ui::row(ctx.loc, "reading.rollover_yes", StepCb::Yes),
            ui::row(ctx.loc, "reading.rollover_no", StepCb::No),
        ]);
        let text = ctx.tf(
            "reading.rollover_q",
            &[("value", &v.display()), ("last", &last.unwrap_or_default().display())],
        );
        ctx.say_with(text, kb).await?;
        return Ok(Outcome::Done);
    }
    let z = crate::wording::zone_suffix(ctx.loc, m.zones, zone);
    let last = match last {
        Some(v) => ctx.tf("reading.last", &[("value", &v.display())]),
        None => String::new(),
    };
    let text = ctx.tf(
        "reading.q",
        &[
            ("serial", &esc(&m.serial)),
            ("zone", &z),
            ("unit", &crate::wording::unit(ctx.loc, m.resource)),
            ("last", &last),
        ],
    );
    // «Назад» on the first zone goes back to the meter's card.
    ctx.say_with(text, ui::nav(ctx.loc, true)).await?;
    Ok(Outcome::Done)
}

pub async fn on_message(ctx: &Ctx, msg: &Message, mut r: Reading) -> Result<Outcome> {
    let Some(m) = owned(ctx, r.meter_id).await? else {
        return not_found(ctx).await;
    };
    if r.pending.is_some() || r.confirming {
        ctx.say(ctx.t("common.use_buttons")).await?;
        return prompt(ctx, &r).await;
    }
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("reading.number_expected")).await?;
        return ask(ctx, &m, &r).await;
    };
    let value = match m.capacity().parse_value(text) {
        Ok(v) => v,
        Err(e) => {
            ctx.say(input_errors::quantity_error(ctx.loc, e)).await?;
            return ask(ctx, &m, &r).await;
        }
    };
    let values = ctx.store().reading_values(m.id, current_period(ctx)).await?;
    let base = &values.base;
    match compare(value, base.get(r.values.len()).copied().flatten(), m.capacity()) {
        Monotonic::Ok { .. } => {
            r.values.push(value);
            r.rollover.push(false);
            after_value(ctx, &m, r, &values).await
        }
        Monotonic::MaybeRollover { .. } => {
            r.pending = Some(value);
            ctx.set(MetersState::Reading(r.clone())).await?;
            ask_with(ctx, &m, &r, base).await
        }
        Monotonic::Lower { last } => {
            ctx.say(ctx.tf("reading.lower", &[("last", &last.display())])).await?;
            ask_with(ctx, &m, &r, base).await
        }
    }
}

/// A zone's value was accepted: the next zone, or the checks that need a confirmation, or
/// save. `values` is what `reading_values` gave for this meter and period.
async fn after_value(ctx: &Ctx, m: &Meter, mut r: Reading, values: &ReadingValues) -> Result<Outcome> {
    let base = &values.base;
    r.pending = None;
    r.confirming = false;
    if (r.values.len() as i64) < m.zones {
        ctx.set(MetersState::Reading(r.clone())).await?;
        return ask_with(ctx, m, &r, base).await;
    }
    let checks = checks(ctx, m, &r, values).await?;
    if checks.notes.is_empty() {
        return save(ctx, m, r, base, &checks.outliers).await;
    }
    r.confirming = true;
    ctx.set(MetersState::Reading(r)).await?;
    warn(ctx, &checks.notes).await
}

/// What needs the person's second look before a reading is saved, and which zones' consumption
/// looked implausible (saved marked if confirmed).
struct Checks {
    notes: Vec<String>,
    outliers: Vec<bool>,
}

/// A period that already has a reading, and a consumption implausible for the resource and the
/// days since the last reading (`domain::consumption`).
async fn checks(ctx: &Ctx, m: &Meter, r: &Reading, values: &ReadingValues) -> Result<Checks> {
    let period = current_period(ctx);
    let u = crate::wording::unit(ctx.loc, m.resource);
    let per_day = ctx.deps.config.consumption_ceiling.per_day(m.resource);
    let mut outliers = vec![false; r.values.len()];
    let mut notes = Vec::new();
    if values.sent.iter().any(Option::is_some) {
        notes.push(replace_note(ctx, m, r, &values.sent));
    }
    for (i, v) in r.values.iter().enumerate() {
        let (Some(last), Some(at)) = (values.base[i], values.base_at[i]) else {
            continue;
        };
        let consumption = consumed(m, last, *v, r.rollover.get(i).copied().unwrap_or(false));
        let days = (ctx.today() - ctx.deps.config.today(at)).num_days().max(1);
        let earlier: Vec<Quantity> = ctx
            .store()
            .zone_history(m, i as i64 + 1)
            .await?
            .into_iter()
            .filter(|h| h.period != period.key())
            .filter_map(|h| h.consumption)
            .collect();
        let Some(why) = consumption::check(consumption, days, per_day, &earlier) else {
            continue;
        };
        outliers[i] = true;
        let (key, name, amount) = match why {
            Implausible::Ceiling { limit } => ("reading.check_ceiling", "limit", limit),
            Implausible::Average { usual } => ("reading.check_average", "usual", usual),
        };
        notes.push(ctx.tf(
            key,
            &[
                ("zone", &crate::wording::zone_suffix(ctx.loc, m.zones, i as i64 + 1)),
                ("consumption", &format!("{consumption} {u}")),
                ("days", &crate::i18n::plural(ctx.loc, "plural.days", days as u64)),
                (name, &format!("{amount} {u}")),
            ],
        ));
    }
    Ok(Checks { notes, outliers })
}

/// «За ноябрь показания уже переданы. Новые заменят их: 12400 → 12410 кВт·ч».
fn replace_note(ctx: &Ctx, m: &Meter, r: &Reading, old: &[Option<Quantity>]) -> String {
    let u = crate::wording::unit(ctx.loc, m.resource);
    let lines: Vec<String> = r
        .values
        .iter()
        .enumerate()
        .map(|(i, new)| {
            let z = crate::wording::zone_label(ctx.loc, m.zones, i as i64 + 1);
            let z = if z.is_empty() { String::new() } else { format!("{z}: ") };
            let was = old
                .get(i)
                .copied()
                .flatten()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "—".into());
            format!("{z}{was} → {new} {u}")
        })
        .collect();
    ctx.tf(
        "reading.replace_warn",
        &[
            ("period", &wording::period(ctx.loc, current_period(ctx))),
            ("changes", &lines.join("\n")),
        ],
    )
}

/// «T1 12400,2 кВт·ч, T2 4500 кВт·ч» (one zone: the value alone).
fn zone_values(ctx: &Ctx, m: &Meter, values: &[Option<Quantity>]) -> String {
    let u = crate::wording::unit(ctx.loc, m.resource);
    values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let v = (*v)?;
            let z = crate::wording::zone_label(ctx.loc, m.zones, i as i64 + 1);
            Some(if z.is_empty() {
                format!("{v} {u}")
            } else {
                format!("{z} {v} {u}")
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What was used since `last` (through zero when it rolled over).
fn consumed(m: &Meter, last: Quantity, now: Quantity, rollover: bool) -> Quantity {
    if rollover {
        (m.capacity().limit() - last) + now
    } else {
        now - last
    }
}

async fn confirm_prompt(ctx: &Ctx, m: &Meter, r: &Reading) -> Result<Outcome> {
    let values = ctx.store().reading_values(m.id, current_period(ctx)).await?;
    warn(ctx, &checks(ctx, m, r, &values).await?.notes).await
}

/// The warnings that need a «Подтвердить», and the buttons.
async fn warn(ctx: &Ctx, checks: &[String]) -> Result<Outcome> {
    let kb = ui::inline(vec![
        ui::row(ctx.loc, "reading.confirm", StepCb::Yes),
        ui::row(ctx.loc, "reading.retype", StepCb::No),
        ui::nav_row(ctx.loc, false),
    ]);
    let text = format!("{}\n\n{}", checks.join("\n\n"), ctx.t("reading.confirm_q"));
    ctx.say_with(text, kb).await?;
    Ok(Outcome::Done)
}

async fn save(ctx: &Ctx, m: &Meter, r: Reading, base: &[Option<Quantity>], outliers: &[bool]) -> Result<Outcome> {
    let window = ctx.deps.config.readings_window();
    let today = ctx.today();
    let period = window.period_for(today);
    let zones: Vec<ZoneValue> = (r.values.iter().zip(&r.rollover).enumerate())
        .map(|(i, (v, roll))| ZoneValue {
            value: *v,
            rollover: *roll,
            outlier: outliers.get(i).copied().unwrap_or(false),
        })
        .collect();
    let u = crate::wording::unit(ctx.loc, m.resource);
    let mut lines = Vec::new();
    for (
        i,
        ZoneValue {
            value: v,
            rollover: roll,
            ..
        },
    ) in zones.iter().enumerate()
    {
        let z = crate::wording::zone_label(ctx.loc, m.zones, i as i64 + 1);
        let z = if z.is_empty() { String::new() } else { format!("{z}: ") };
        let c = base
            .get(i)
            .copied()
            .flatten()
            .map(|last| consumed(m, last, *v, *roll))
            .map(|c| ctx.tf("reading.consumption", &[("value", &format!("{c} {u}"))]))
            .unwrap_or_default();
        lines.push(format!("{z}{v} {u}{c}"));
    }
    let mut text = ctx.tf(
        "reading.accepted",
        &[
            ("values", &lines.join("\n")),
            ("period", &wording::period(ctx.loc, period)),
        ],
    );
    // Said only when true: before the window the reading counts for this month, after it for
    // the next.
    if !window.contains(today) {
        let key = if today.day() < window.first_day {
            "reading.before_window"
        } else {
            "reading.after_window"
        };
        text.push_str("\n\n");
        text.push_str(&ctx.tf(
            key,
            &[
                ("first", &window.first_day.to_string()),
                ("last", &window.last_day.to_string()),
                ("period", &wording::period(ctx.loc, period)),
            ],
        ));
    }
    let reply = ctx.queued(
        text,
        &[
            &[("reading.add_photo", MetersCb::ReadingPhoto(m.id))],
            &[("meters.to_card", MetersCb::Meter(m.id))],
        ],
    );
    let finish = ctx.finish(vec![reply]);
    let saved = ctx
        .store()
        .save_reading(m.id, period, &zones, ctx.now(), Some(&finish))
        .await?;
    // Saving a reading queues nothing but its confirmation.
    ctx.send_replies(&saved.replies).await?;
    Ok(Outcome::Done)
}

pub async fn on_callback(ctx: &Ctx, cb: StepCb, mut r: Reading) -> Result<Outcome> {
    let Some(m) = owned(ctx, r.meter_id).await? else {
        return not_found(ctx).await;
    };
    let values = ctx.store().reading_values(m.id, current_period(ctx)).await?;
    let base = &values.base;
    match cb {
        StepCb::Yes if r.pending.is_some() => {
            r.values.push(r.pending.unwrap_or_default());
            r.rollover.push(true);
            after_value(ctx, &m, r, &values).await
        }
        StepCb::No if r.pending.is_some() => {
            r.pending = None;
            ctx.set(MetersState::Reading(r.clone())).await?;
            ask_with(ctx, &m, &r, base).await
        }
        StepCb::Yes if r.confirming => {
            let outliers = checks(ctx, &m, &r, &values).await?.outliers;
            save(ctx, &m, r, base, &outliers).await
        }
        StepCb::No if r.confirming => start(ctx, m.id).await,
        StepCb::Back if !r.values.is_empty() && !r.confirming && r.pending.is_none() => {
            r.values.pop();
            r.rollover.pop();
            ctx.set(MetersState::Reading(r.clone())).await?;
            ask_with(ctx, &m, &r, base).await
        }
        StepCb::Back if !r.confirming && r.pending.is_none() => {
            ctx.reset().await?;
            show_card(ctx, m.id).await
        }
        _ => Ok(Outcome::Stale),
    }
}

// ---------------------------------------------------------------- the photo

pub async fn photo_begin(ctx: &Ctx, meter_id: i64) -> Result<Outcome> {
    let Some(m) = owned(ctx, meter_id).await? else {
        return not_found(ctx).await;
    };
    ctx.set(MetersState::Photo { meter_id: m.id }).await?;
    photo_prompt(ctx).await
}

pub async fn photo_prompt(ctx: &Ctx) -> Result<Outcome> {
    ctx.say_with(ctx.t("reading.photo_q"), ui::nav(ctx.loc, false)).await?;
    Ok(Outcome::Done)
}

pub async fn photo(ctx: &Ctx, msg: &Message, meter_id: i64) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let Some(p) = msg.photo().and_then(|p| p.iter().max_by_key(|p| p.width * p.height)) else {
        ctx.say(ctx.t("reading.photo_expected")).await?;
        return photo_prompt(ctx).await;
    };
    if !ctx
        .store()
        .attach_reading_photo(user.id, meter_id, &p.file.id.0)
        .await?
    {
        return not_found(ctx).await;
    }
    ctx.reset().await?;
    ctx.say(ctx.t("reading.photo_saved")).await?;
    super::list::show_card(ctx, meter_id).await
}
