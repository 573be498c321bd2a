//! «Подписаться на адрес» step by step: the settlements the utility's registry knows, then a
//! settlement's streets, then a street's houses, a page at a time — or the address typed at any
//! step (the form waits for it throughout). The registry's places are read once a minute at
//! most per database, not on every press.

use super::{Outages, OutagesState};
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::section::Section;
use crate::bot::ui;
use crate::callback::{Buttons, OutagesCb};
use crate::domain::places::{Places, chosen_address, house_shown, key, title};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use teloxide::types::InlineKeyboardButton;

type Result<T> = std::result::Result<T, HandlerError>;

/// Settlements or streets on a page (two a row).
const NAMES_PER_PAGE: usize = 20;
/// Houses on a page (four a row).
const HOUSES_PER_PAGE: usize = 40;
/// How long the registry's places are kept before they are read again.
const KEPT: Duration = Duration::from_secs(60);

type Cache = Mutex<HashMap<String, (Instant, Arc<Places>)>>;

fn cache() -> &'static Cache {
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The registry's places, as read at most `KEPT` ago.
pub async fn places(ctx: &Ctx) -> Result<Arc<Places>> {
    let db = ctx.deps.config.database_url.clone();
    if let Some((at, p)) = cache().lock().expect("places cache").get(&db)
        && at.elapsed() < KEPT
    {
        return Ok(p.clone());
    }
    let addresses = ctx.store().registry_addresses().await?;
    let p = Arc::new(Places::from_addresses(addresses.iter().map(String::as_str)));
    cache()
        .lock()
        .expect("places cache")
        .insert(db, (Instant::now(), p.clone()));
    Ok(p)
}

/// A page of `names` as buttons (`per_row` a row), «« Предыдущие» / «Ещё »» under them.
fn page_rows<T>(
    ctx: &Ctx,
    items: &[T],
    page: u16,
    per_page: usize,
    per_row: usize,
    button: impl Fn(&T) -> InlineKeyboardButton,
    to_page: impl Fn(u16) -> OutagesCb,
) -> Vec<Vec<InlineKeyboardButton>> {
    let pages = items.len().div_ceil(per_page).max(1);
    let page = usize::from(page).min(pages - 1);
    let mut rows: Vec<Vec<InlineKeyboardButton>> = items
        .iter()
        .skip(page * per_page)
        .take(per_page)
        .collect::<Vec<_>>()
        .chunks(per_row)
        .map(|c| c.iter().map(|i| button(i)).collect())
        .collect();
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(ui::button(ctx.loc, "outage.less", to_page(page as u16 - 1)));
    }
    if page + 1 < pages {
        nav.push(ui::button(ctx.loc, "outage.more", to_page(page as u16 + 1)));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    rows
}

/// The list changed since the buttons were made (a registry import): said, and the first step.
async fn changed(ctx: &Ctx) -> Result<Outcome> {
    ctx.say(ctx.t("outage.list_changed")).await?;
    Box::pin(settlements(ctx, 0)).await
}

/// The first step: settlements (straight to the streets when there is one).
pub async fn settlements(ctx: &Ctx, page: u16) -> Result<Outcome> {
    let p = places(ctx).await?;
    let all = p.settlements();
    if let [one] = all.as_slice() {
        return streets(ctx, key(one), 0, true).await;
    }
    ctx.set(OutagesState::Subscribe).await?;
    let mut rows = page_rows(
        ctx,
        &all,
        page,
        NAMES_PER_PAGE,
        2,
        |s| InlineKeyboardButton::callback(title(s), OutagesCb::Streets(key(s), 0).encode()),
        OutagesCb::Places,
    );
    rows.push(ui::row(ctx.loc, "common.back", OutagesCb::Outages));
    let text = format!("{}\n\n{}", ctx.t("outage.pick_place"), ctx.t("outage.subscribe_q"));
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

/// A settlement's streets; `first`: the first step (one settlement), which says an address
/// may be typed instead.
pub async fn streets(ctx: &Ctx, place: u32, page: u16, first: bool) -> Result<Outcome> {
    let p = places(ctx).await?;
    let Some(settlement) = p.settlement(place) else {
        return changed(ctx).await;
    };
    ctx.set(OutagesState::Subscribe).await?;
    let all = p.streets(settlement);
    let mut rows = page_rows(
        ctx,
        &all,
        page,
        NAMES_PER_PAGE,
        2,
        |s| InlineKeyboardButton::callback(title(s), OutagesCb::Houses(place, key(s), 0).encode()),
        |n| OutagesCb::Streets(place, n),
    );
    let back = if p.settlements().len() > 1 {
        OutagesCb::Places(0)
    } else {
        OutagesCb::Outages
    };
    rows.push(ui::row(ctx.loc, "common.back", back));
    let mut text = ctx.tf("outage.pick_street", &[("place", &ui::esc(&title(settlement)))]);
    if first {
        text = format!("{text}\n\n{}", ctx.t("outage.subscribe_q"));
    }
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

pub async fn houses(ctx: &Ctx, place: u32, street_key: u32, page: u16) -> Result<Outcome> {
    let p = places(ctx).await?;
    let Some((settlement, street)) = p.settlement(place).and_then(|s| Some((s, p.street(s, street_key)?))) else {
        return changed(ctx).await;
    };
    ctx.set(OutagesState::Subscribe).await?;
    let all = p.houses(settlement, street);
    let mut rows = page_rows(
        ctx,
        &all,
        page,
        HOUSES_PER_PAGE,
        4,
        |h| {
            let shown = house_shown(h);
            InlineKeyboardButton::callback(shown.clone(), OutagesCb::House(place, street_key, key(&shown)).encode())
        },
        |n| OutagesCb::Houses(place, street_key, n),
    );
    rows.push(ui::row(ctx.loc, "common.back", OutagesCb::Streets(place, 0)));
    let text = ctx.tf(
        "outage.pick_house",
        &[
            ("place", &ui::esc(&title(settlement))),
            ("street", &ui::esc(&title(street))),
        ],
    );
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

/// The house chosen: subscribed, as if its address were typed.
pub async fn house(ctx: &Ctx, place: u32, street_key: u32, house_key: u32) -> Result<Outcome> {
    let p = places(ctx).await?;
    let chosen = p.settlement(place).and_then(|s| {
        let street = p.street(s, street_key)?;
        Some(chosen_address(s, street, p.house(s, street, house_key)?))
    });
    let Some(address) = chosen else {
        return changed(ctx).await;
    };
    ctx.set(OutagesState::Subscribe).await?;
    super::subscribe_address(ctx, &address).await
}

/// Nothing to choose from: the address typed, as before.
pub async fn typed(ctx: &Ctx) -> Result<Outcome> {
    ctx.set(OutagesState::Subscribe).await?;
    <Outages as Section>::prompt(ctx, &OutagesState::Subscribe).await
}
