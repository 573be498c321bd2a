//! Home: the welcome for a stranger, the main menu for a signed-in person (its keyboard and
//! what a typed section name opens), «Интерактивные сервисы» and «Полезная информация».

use super::ctx::Ctx;
use super::deps::{HandlerError, HandlerResult};
use super::outcome::Outcome;
use super::ui::{self, esc};
use crate::callback::Cb;
use crate::domain::tickets::TicketKind;
use teloxide::prelude::*;

type Result<T> = std::result::Result<T, HandlerError>;

pub async fn welcome(ctx: &Ctx) -> HandlerResult {
    let org = ctx.deps.config.org_named(ctx.loc);
    let org = org
        .map(|o| ctx.tf("start.welcome_org", &[("org", &esc(o))]))
        .unwrap_or_default();
    let text = ctx.tf("start.welcome", &[("org", &org)]);
    let kb = ui::inline(vec![
        ui::row(ctx.loc, "start.register", Cb::Register),
        ui::row(ctx.loc, "start.login", Cb::Login),
        ui::language_row(),
    ]);
    ctx.say_with(text, kb).await
}

pub async fn show_menu(ctx: &Ctx) -> HandlerResult {
    ui::with_menu(ctx, ctx.t("menu.title")).await
}

/// A message with nothing in progress, signed in: a section of the menu by its name, or the
/// menu again.
pub async fn on_message(ctx: &Ctx, msg: &Message) -> Result<Outcome> {
    match msg.text().and_then(ui::section_of) {
        Some(section) => Ok(Outcome::Open(section)),
        None => {
            ctx.say(ctx.t("menu.unknown")).await?;
            show_menu(ctx).await?;
            Ok(Outcome::Done)
        }
    }
}

pub async fn on_callback(ctx: &Ctx, cb: Cb) -> Result<Outcome> {
    match cb {
        Cb::Services => services(ctx).await,
        Cb::UsefulInfo => useful_info(ctx).await,
        _ => Ok(Outcome::Stale),
    }
}

/// «Интерактивные сервисы»: everything a person can start, in one list.
pub async fn services(ctx: &Ctx) -> Result<Outcome> {
    let has_meters = match ctx.user() {
        Some(u) => ctx.store().active_meter_count(u.id).await? > 0,
        None => false,
    };
    let mut rows = Vec::new();
    if has_meters {
        rows.push(ui::row(ctx.loc, "menu.send_readings", Cb::ChooseMeter));
    }
    rows.push(ui::row(ctx.loc, "meters.add", Cb::AddMeter));
    rows.push(ui::row(ctx.loc, "conn.new", Cb::NewConn));
    for kind in TicketKind::ALL {
        let key = format!("ticket.new.{}", kind.as_str());
        rows.push(ui::row(ctx.loc, &key, Cb::NewTicket(kind)));
    }
    rows.push(ui::row(ctx.loc, "services.info", Cb::UsefulInfo));
    rows.push(ui::row(ctx.loc, "common.to_menu", Cb::Menu));
    ctx.say_with(ctx.t("services.title"), ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

/// «Полезная информация»: the utility's contacts, as configured.
async fn useful_info(ctx: &Ctx) -> Result<Outcome> {
    let c = &ctx.deps.config;
    let mut text = format!("<b>{}</b>", ctx.t("info.title"));
    if let Some(org) = c.org_named(ctx.loc) {
        text.push_str(&format!("\n{}", esc(org)));
    }
    let fields = [
        ("info.phone", &c.org_phone),
        ("info.email", &c.org_email),
        ("info.address", &c.org_address),
        ("info.hours", &c.org_hours),
        ("info.website", &c.org_website),
        ("info.connection_forms", &c.connection_forms_url),
    ];
    let mut any = false;
    for (key, value) in fields {
        if let Some(v) = value {
            any = true;
            text.push_str(&format!("\n{}: {}", ctx.t(key), esc(v)));
        }
    }
    if !any {
        text.push_str(&format!("\n{}", ctx.t("info.none")));
    }
    let kb = ui::inline(vec![vec![
        ui::button(ctx.loc, "common.back", Cb::Services),
        ui::button(ctx.loc, "common.to_menu", Cb::Menu),
    ]]);
    ctx.say_with(text, kb).await?;
    Ok(Outcome::Done)
}
