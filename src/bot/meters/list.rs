//! The list of meters, a meter's card, and «Передать показания» from the menu.

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::ui::{self, esc};
use crate::callback::{Buttons, MetersCb};
use crate::domain::items::MeterReview;
use crate::domain::meters::{self, Verification};
use crate::store::meters::{LastValue, Meter};
use teloxide::types::InlineKeyboardButton;

type Result<T> = std::result::Result<T, HandlerError>;

/// The caller's meter with this id (none for someone else's or an archived one).
pub async fn owned(ctx: &Ctx, meter_id: i64) -> Result<Option<Meter>> {
    let Some(user) = ctx.user() else {
        return Ok(None);
    };
    Ok(ctx.store().meter(user.id, meter_id).await?)
}

/// Someone else's (or an archived) meter id: refused, nothing changes, the list is shown.
pub async fn not_found(ctx: &Ctx) -> Result<Outcome> {
    ctx.reset().await?;
    ctx.say(ctx.t("meters.not_found")).await?;
    show_list(ctx).await
}

fn verification_mark(ctx: &Ctx, m: &Meter) -> &'static str {
    match meters::verification(m.next_verification, ctx.today()) {
        Verification::Expired => " ⛔",
        Verification::DueSoon => " ⚠️",
        Verification::Valid | Verification::Unknown => "",
    }
}

fn last_line(ctx: &Ctx, m: &Meter, last: &[LastValue]) -> String {
    let mine: Vec<_> = last.iter().filter(|l| l.meter_id == m.id).collect();
    let Some(first) = mine.first() else {
        return String::new();
    };
    let values = mine
        .iter()
        .map(|l| {
            let z = crate::wording::zone_label(ctx.loc, m.zones, l.zone);
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

pub async fn show_list(ctx: &Ctx) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let list = ctx.store().meters_of(user.id).await?;
    if list.is_empty() {
        let kb = ui::inline(vec![ui::row(ctx.loc, "meters.add", MetersCb::AddMeter)]);
        ctx.say_with(ctx.t("meters.empty"), kb).await?;
        return Ok(Outcome::Done);
    }
    let last = ctx.store().last_values(user.id).await?;
    let mut text = format!("<b>{}</b>\n", ctx.t("menu.meters"));
    let mut rows = Vec::new();
    let mut marked = false;
    for m in &list {
        let mark = verification_mark(ctx, m);
        marked |= !mark.is_empty();
        text.push_str(&format!(
            "\n{} {} · {}{}\n    {}",
            m.resource.icon(),
            esc(&m.serial),
            esc(&crate::wording::meter_place(ctx.loc, m)),
            mark,
            esc(&last_line(ctx, m, &last)),
        ));
        rows.push(vec![InlineKeyboardButton::callback(
            crate::wording::meter_label(ctx.loc, m),
            MetersCb::Meter(m.id).encode(),
        )]);
    }
    // The marks explained only where one is shown; the choice is said either way.
    let key = if marked { "meters.legend" } else { "meters.choose" };
    text.push_str(&format!("\n\n{}", ctx.t(key)));
    rows.push(ui::row(ctx.loc, "meters.add", MetersCb::AddMeter));
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

pub async fn show_card(ctx: &Ctx, meter_id: i64) -> Result<Outcome> {
    let (Some(user), Some(m)) = (ctx.user(), owned(ctx, meter_id).await?) else {
        return not_found(ctx).await;
    };
    let r = m.resource;
    let last = ctx.store().last_values(user.id).await?;
    let verif = match meters::verification(m.next_verification, ctx.today()) {
        Verification::Expired => ctx.t("meters.verif_expired"),
        Verification::DueSoon => ctx.t("meters.verif_soon"),
        Verification::Unknown => ctx.t("meters.verif_unknown"),
        Verification::Valid => String::new(),
    };
    let date = match m.next_verification {
        Some(d) => d.format("%d.%m.%Y").to_string(),
        None => ctx.t("meters.verification_unknown"),
    };
    let mut text = ctx.tf(
        "meters.card",
        &[
            ("icon", r.icon()),
            ("resource", &ctx.t(crate::wording::resource_key(r))),
            ("serial", &esc(&m.serial)),
            ("model", &esc(m.model.as_deref().unwrap_or("—"))),
            ("place", &esc(if m.place.trim().is_empty() { "—" } else { &m.place })),
            ("address", &esc(&m.address)),
            ("zones", &m.zones.to_string()),
            ("capacity", &crate::wording::capacity(ctx.loc, m.capacity())),
            ("verification", &date),
            ("verif_note", &verif),
        ],
    );
    if let Some(number) = &m.account {
        text.push_str(&ctx.tf("meters.account_line", &[("number", &esc(number))]));
    }
    if m.review == MeterReview::Pending {
        text.push_str(&ctx.t("meters.under_review"));
    }
    text.push_str(&format!("\n\n<b>{}</b>", ctx.t("meters.last_readings")));
    for l in last.iter().filter(|l| l.meter_id == m.id) {
        let z = crate::wording::zone_label(ctx.loc, m.zones, l.zone);
        let z = if z.is_empty() { String::new() } else { format!("{z}: ") };
        text.push_str(&format!(
            "\n{z}{} {} ({})",
            l.value,
            crate::wording::unit(ctx.loc, r),
            l.at.format("%d.%m.%Y")
        ));
    }
    text.push_str(&requests_of(ctx, m.id).await?);
    let (id, loc) = (m.id, ctx.loc);
    let mut rows = vec![
        ui::row(loc, "meters.send", MetersCb::Read(id)),
        ui::row(loc, "meters.history", MetersCb::History(id, 0)),
        ui::row(loc, "meters.req_taking", MetersCb::ReqTaking(id)),
        ui::row(loc, "meters.req_commission", MetersCb::ReqCommission(id)),
        ui::row(loc, "meters.req_replace", MetersCb::ReqReplace(id)),
        ui::row(loc, "meters.req_verify", MetersCb::ReqVerify(id)),
    ];
    if let Some(file) = ctx.store().latest_certificate(id).await? {
        rows.push(ui::row(loc, "meters.certificate", MetersCb::MeterFile(file)));
    }
    rows.push(vec![
        ui::button(loc, "meters.edit", MetersCb::MeterEdit(id)),
        ui::button(loc, "meters.delete", MetersCb::MeterDelete(id)),
    ]);
    rows.push(ui::row(loc, "meters.to_list", MetersCb::Meters));
    let kb = ui::inline(rows);
    ctx.say_with(text, kb).await?;
    Ok(Outcome::Done)
}

/// The card's part about the meter's requests (taking, commissioning…), if it has any.
async fn requests_of(ctx: &Ctx, meter_id: i64) -> Result<String> {
    let requests = ctx.store().meter_requests(meter_id).await?;
    if requests.is_empty() {
        return Ok(String::new());
    }
    let mut text = format!("\n\n<b>{}</b>", ctx.t("meters.requests"));
    for q in &requests {
        let mut status = ctx.t(q.status.key());
        if let Some(d) = q.scheduled_for {
            status.push_str(&format!(" {}", d.format("%d.%m.%Y")));
        }
        // The utility's word on it (the reason of a rejection, a comment).
        if let Some(note) = &q.status_note {
            status.push_str(&format!(" ({})", esc(note)));
        }
        text.push_str(&format!("\n{} — {}: {}", esc(&q.number), ctx.t(q.kind.key()), status));
    }
    Ok(text)
}

/// «Свидетельство о поверке»: the file, if it is of one of the caller's meters.
pub async fn send_certificate(ctx: &Ctx, attachment_id: i64) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    match ctx.store().certificate(user.id, attachment_id).await? {
        Some(f) => {
            crate::bot::files::send_attachment(ctx, f).await?;
            Ok(Outcome::Done)
        }
        None => not_found(ctx).await,
    }
}
