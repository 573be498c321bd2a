//! Home: the welcome for a stranger, the main menu for a signed-in person (its keyboard and
//! what a typed text that is no entry gets), «Интерактивные сервисы» and «Полезная
//! информация».

use super::ctx::Ctx;
use super::deps::{HandlerError, HandlerResult};
use super::menu::{Entry, Shown};
use super::outcome::Outcome;
use super::section::{Press, Section, Stateless};
use super::ui::{self, esc};
use crate::callback::{AuthCb, Cb, HomeCb};
use teloxide::prelude::*;
use teloxide::types::InlineKeyboardButton;

type Result<T> = std::result::Result<T, HandlerError>;

pub struct Home;

impl Section for Home {
    type Button = HomeCb;
    type State = Stateless;
    const MENU: &'static [Entry] = &[Entry {
        key: "menu.services",
        shown: Shown::Always,
    }];

    async fn open(ctx: &mut Ctx, _entry: &'static Entry) -> Result<Outcome> {
        services(ctx).await
    }

    /// Signed in, nothing in progress, a text that is no menu entry: the menu again.
    async fn on_idle(ctx: &mut Ctx, _msg: &Message) -> Result<Option<Outcome>> {
        if ctx.user().is_none() {
            return Ok(None);
        }
        ctx.say(ctx.t("menu.unknown")).await?;
        show_menu(ctx).await?;
        Ok(Some(Outcome::Done))
    }

    async fn on_message(_: &mut Ctx, _: &Message, state: Stateless) -> Result<Outcome> {
        match state {}
    }

    async fn on_button(ctx: &mut Ctx, press: Press<HomeCb>, _: Option<Stateless>) -> Result<Outcome> {
        match press {
            Press::Own(HomeCb::Services) => services(ctx).await,
            Press::Own(HomeCb::UsefulInfo) => useful_info(ctx).await,
            Press::Step(_) => Ok(Outcome::Stale),
        }
    }

    async fn prompt(_: &Ctx, state: &Stateless) -> Result<Outcome> {
        match *state {}
    }
}

pub async fn welcome(ctx: &Ctx) -> HandlerResult {
    let org = ctx.deps.config.org_named(ctx.loc);
    let org = org
        .map(|o| ctx.tf("start.welcome_org", &[("org", &esc(o))]))
        .unwrap_or_default();
    let text = ctx.tf("start.welcome", &[("org", &org)]);
    let kb = ui::inline(vec![
        ui::row(ctx.loc, "start.register", AuthCb::Register),
        ui::row(ctx.loc, "start.login", AuthCb::Login),
        ui::language_row(),
    ]);
    ctx.say_with(text, kb).await
}

pub async fn show_menu(ctx: &Ctx) -> HandlerResult {
    ui::with_menu(ctx, ctx.t("menu.title")).await
}

/// «Интерактивные сервисы»: everything a person can start, in one list (each section's
/// services, as its count allows).
pub async fn services(ctx: &Ctx) -> Result<Outcome> {
    let mut rows = Vec::new();
    if let Some(u) = ctx.user() {
        for s in ctx.deps.menu.services_for(ctx.store(), u.id).await? {
            rows.push(vec![InlineKeyboardButton::callback(ctx.t(s.key), s.data.clone())]);
        }
    }
    if super::faq::of(ctx).is_some() {
        // Beside «Отключения», before the forms.
        let at = rows.len().min(2);
        rows.insert(at, ui::row(ctx.loc, "faq.section", crate::callback::FaqCb::Faq));
    }
    // Only when the utility configured something to show.
    if ctx.deps.config.has_useful_info() {
        rows.push(ui::row(ctx.loc, "services.info", HomeCb::UsefulInfo));
    }
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
    let mut any = false;
    for (key, value) in c.useful_info() {
        if let Some(v) = value {
            any = true;
            text.push_str(&format!("\n{}: {}", ctx.t(key), esc(v)));
        }
    }
    if !any {
        text.push_str(&format!("\n{}", ctx.t("info.none")));
    }
    let kb = ui::inline(vec![vec![
        ui::button(ctx.loc, "common.back", HomeCb::Services),
        ui::button(ctx.loc, "common.to_menu", Cb::Menu),
    ]]);
    ctx.say_with(text, kb).await?;
    Ok(Outcome::Done)
}
