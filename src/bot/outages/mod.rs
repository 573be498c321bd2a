//! «Отключения»: the current and planned outages at the consumer's addresses (of their linked
//! accounts, their meters and the addresses they subscribed to), from «Интерактивные сервисы»
//! or a push's button; subscribing to an address (typed, checked that it reads) and leaving it.

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::menu::{Service, Shown};
use crate::bot::outcome::Outcome;
use crate::bot::section::{Press, Section, SectionState};
use crate::bot::ui::{self, esc};
use crate::callback::{AccountsCb, Buttons, HomeCb, OutagesCb};
use crate::domain::address::Address;
use crate::domain::tickets::TicketKind;
use crate::policy::OUTAGE_SUBSCRIPTIONS_MAX;
use crate::store::outages::{ConsumerAddress, Outage};
use serde::{Deserialize, Serialize};
use teloxide::types::{InlineKeyboardButton, Message};

type Result<T> = std::result::Result<T, HandlerError>;

mod pick;

pub struct Outages;

/// «Подписаться на адрес»: the address asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "snake_case")]
pub enum OutagesState {
    Subscribe,
}

impl SectionState for OutagesState {
    const AREA: &'static str = "outages";
}

impl Section for Outages {
    type Button = OutagesCb;
    type State = OutagesState;

    fn services() -> Vec<Service> {
        vec![Service {
            key: "outage.section",
            data: OutagesCb::Outages.encode(),
            shown: Shown::Always,
        }]
    }

    async fn on_message(ctx: &mut Ctx, msg: &Message, OutagesState::Subscribe: OutagesState) -> Result<Outcome> {
        subscribe_to(ctx, msg).await
    }

    async fn on_button(ctx: &mut Ctx, press: Press<OutagesCb>, state: Option<OutagesState>) -> Result<Outcome> {
        if matches!(press, Press::Own(_)) && state.is_some() {
            ctx.reset().await?;
        }
        match press {
            Press::Own(OutagesCb::Outages) => show(ctx).await,
            Press::Own(OutagesCb::Subscribe) => subscribe(ctx).await,
            Press::Own(OutagesCb::Unsubscribe(id)) => unsubscribe(ctx, id).await,
            Press::Own(OutagesCb::Places(page)) => pick::settlements(ctx, page).await,
            Press::Own(OutagesCb::Streets(place, page)) => pick::streets(ctx, place, page, false).await,
            Press::Own(OutagesCb::Houses(place, street, page)) => pick::houses(ctx, place, street, page).await,
            Press::Own(OutagesCb::House(place, street, house)) => pick::house(ctx, place, street, house).await,
            Press::Step(_) => Ok(Outcome::Stale),
        }
    }

    async fn prompt(ctx: &Ctx, OutagesState::Subscribe: &OutagesState) -> Result<Outcome> {
        ctx.say_with(ctx.t("outage.subscribe_q"), ui::nav(ctx.loc, false))
            .await?;
        Ok(Outcome::Done)
    }
}

/// An address short enough for one button line (Telegram cuts longer ones).
fn short(address: &str) -> String {
    const MAX: usize = 32;
    if address.chars().count() <= MAX {
        return address.to_owned();
    }
    let tail: String = address
        .chars()
        .rev()
        .take(MAX - 1)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

fn line(ctx: &Ctx, o: &Outage, address: &str) -> String {
    let when = |t| ctx.deps.config.local(t).format("%d.%m.%Y %H:%M").to_string();
    let kind = if o.planned {
        "outage.kind_planned"
    } else {
        "outage.kind_emergency"
    };
    let mut s = ctx.tf(
        "outage.item",
        &[
            ("kind", &ctx.t(kind)),
            ("resource", &ctx.t(crate::wording::resource_key(o.resource))),
            ("address", &esc(address)),
            ("from", &when(o.starts_at)),
            ("to", &when(o.ends_at)),
        ],
    );
    if !o.reason.is_empty() {
        s.push_str(&ctx.tf("outage.reason", &[("reason", &esc(&o.reason))]));
    }
    s
}

/// The outages on right now at the consumer's addresses, a paragraph each (for an appeal
/// about to be filed: the answer may already be here).
pub async fn on_now(ctx: &Ctx) -> Result<Vec<String>> {
    let Some(user) = ctx.user() else {
        return Ok(Vec::new());
    };
    let now = ctx.now();
    let open: Vec<Outage> = ctx
        .store()
        .open_outages(now)
        .await?
        .into_iter()
        .filter(|o| o.starts_at <= now)
        .collect();
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let addresses = ctx.store().consumer_addresses(Some(user.id)).await?;
    Ok(open
        .iter()
        .filter_map(|o| {
            let address = crate::worker::outages::inside(o, &addresses).into_values().next()?;
            Some(line(ctx, o, &address))
        })
        .collect())
}

/// The outage an appeal or a complaint on the outages' topic is grouped with: one on now at
/// the address it names, or (naming none) at one of the consumer's.
pub async fn grouping_outage(ctx: &Ctx, kind: TicketKind, topic: &str, address: Option<&str>) -> Result<Option<i64>> {
    // «Отключения и аварии» (in either language): another topic is another matter.
    let on_topic = {
        let t = topic.trim().to_lowercase();
        ["ru", "en"]
            .iter()
            .any(|loc| t == crate::i18n::t(loc, "topic.appeal.outages").to_lowercase())
    };
    let (true, Some(user)) = (
        matches!(kind, TicketKind::Appeal | TicketKind::Complaint) && on_topic,
        ctx.user(),
    ) else {
        return Ok(None);
    };
    let addresses = match address.filter(|a| !a.trim().is_empty()) {
        Some(a) => vec![ConsumerAddress {
            consumer_id: user.id,
            address: a.to_owned(),
        }],
        None => ctx.store().consumer_addresses(Some(user.id)).await?,
    };
    let now = ctx.now();
    Ok(ctx
        .store()
        .open_outages(now)
        .await?
        .into_iter()
        .filter(|o| o.starts_at <= now)
        .find(|o| !crate::worker::outages::inside(o, &addresses).is_empty())
        .map(|o| o.id))
}

/// The outages now and planned at the consumer's addresses, those now first.
async fn show(ctx: &Ctx) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let addresses = ctx.store().consumer_addresses(Some(user.id)).await?;
    let subscriptions = ctx.store().subscriptions(user.id).await?;
    let mut rows = Vec::new();
    if subscriptions.len() < OUTAGE_SUBSCRIPTIONS_MAX {
        rows.push(ui::row(ctx.loc, "outage.subscribe", OutagesCb::Subscribe));
    }
    for (id, address) in &subscriptions {
        rows.push(vec![InlineKeyboardButton::callback(
            format!("✖ {}", ctx.tf("outage.unsubscribe", &[("address", &short(address))])),
            OutagesCb::Unsubscribe(*id).encode(),
        )]);
    }
    rows.push(ui::row(ctx.loc, "common.back", HomeCb::Services));
    if addresses.is_empty() {
        rows.insert(0, ui::row(ctx.loc, "account.add", AccountsCb::AddAccount));
        ctx.say_with(ctx.t("outage.no_addresses"), ui::inline(rows)).await?;
        return Ok(Outcome::Done);
    }
    let now = ctx.now();
    let (mut current, mut planned) = (Vec::new(), Vec::new());
    for o in ctx.store().open_outages(now).await? {
        if let Some(address) = crate::worker::outages::inside(&o, &addresses).into_values().next() {
            let text = line(ctx, &o, &address);
            if o.starts_at <= now {
                current.push(text)
            } else {
                planned.push(text)
            }
        }
    }
    let mut text = ctx.t("outage.title");
    if current.is_empty() && planned.is_empty() {
        text.push_str(&format!("\n\n{}", ctx.t("outage.none")));
    }
    if !current.is_empty() {
        text.push_str(&format!("\n\n<b>{}</b>\n{}", ctx.t("outage.now"), current.join("\n\n")));
    }
    if !planned.is_empty() {
        text.push_str(&format!(
            "\n\n<b>{}</b>\n{}",
            ctx.t("outage.planned_title"),
            planned.join("\n\n")
        ));
    }
    // The addresses watched (subscriptions are listed below), then those it cannot read.
    let mut watched: Vec<(Address, &str)> = Vec::new();
    for a in &addresses {
        if let Some(parsed) = Address::parse(&a.address)
            && !watched.iter().any(|(w, _)| *w == parsed)
            && !subscriptions.iter().any(|(_, s)| *s == a.address)
        {
            watched.push((parsed, &a.address));
        }
    }
    if !watched.is_empty() {
        let list: Vec<String> = watched.iter().map(|(_, a)| format!("• {}", esc(a))).collect();
        text.push_str(&format!("\n\n{}\n{}", ctx.t("outage.watching"), list.join("\n")));
    }
    // An address the bot cannot read is never told of: said, with what to do.
    for a in addresses.iter().filter(|a| Address::parse(&a.address).is_none()) {
        text.push_str(&format!(
            "\n\n{}",
            ctx.tf("outage.unreadable", &[("address", &esc(&a.address))])
        ));
    }
    if !subscriptions.is_empty() {
        let list: Vec<String> = subscriptions.iter().map(|(_, a)| format!("• {}", esc(a))).collect();
        text.push_str(&format!("\n\n{}\n{}", ctx.t("outage.subscribed"), list.join("\n")));
    }
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

async fn subscribe(ctx: &Ctx) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if ctx.store().subscriptions(user.id).await?.len() >= OUTAGE_SUBSCRIPTIONS_MAX {
        ctx.say(ctx.tf("outage.too_many", &[("max", &OUTAGE_SUBSCRIPTIONS_MAX.to_string())]))
            .await?;
        return show(ctx).await;
    }
    // Chosen step by step from the registry's places, or typed when it has none.
    if pick::places(ctx).await?.is_empty() {
        return pick::typed(ctx).await;
    }
    pick::settlements(ctx, 0).await
}

/// The typed address, if it reads as a street and a house of a settlement.
async fn subscribe_to(ctx: &Ctx, msg: &Message) -> Result<Outcome> {
    let typed = msg.text().map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "));
    subscribe_address(ctx, typed.as_deref().unwrap_or_default()).await
}

/// Subscribes to `typed` (or chosen) if it reads as a street and a house of a settlement, is
/// not one subscribed to already, and the limit allows.
async fn subscribe_address(ctx: &Ctx, typed: &str) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let typed = Some(typed.to_owned()).filter(|t| !t.is_empty());
    let readable = typed
        .as_deref()
        .filter(|t| t.chars().count() <= 200)
        .and_then(Address::parse)
        .filter(|a| !a.settlement.is_empty() && a.house.is_some());
    let (Some(address), Some(_)) = (typed, readable.clone()) else {
        ctx.say(ctx.t("outage.subscribe_bad")).await?;
        return <Outages as Section>::prompt(ctx, &OutagesState::Subscribe).await;
    };
    let already = ctx.store().subscriptions(user.id).await?;
    if already.iter().any(|(_, a)| Address::parse(a) == readable) {
        ctx.reset().await?;
        ctx.say(ctx.t("outage.already_subscribed")).await?;
        return show(ctx).await;
    }
    // An old list's button pressed after the limit was reached.
    if already.len() >= OUTAGE_SUBSCRIPTIONS_MAX {
        ctx.reset().await?;
        ctx.say(ctx.tf("outage.too_many", &[("max", &OUTAGE_SUBSCRIPTIONS_MAX.to_string())]))
            .await?;
        return show(ctx).await;
    }
    ctx.store().subscribe(user.id, &address, ctx.now()).await?;
    ctx.reset().await?;
    ctx.say(ctx.tf("outage.subscribed_to", &[("address", &esc(&address))]))
        .await?;
    show(ctx).await
}

async fn unsubscribe(ctx: &Ctx, id: i64) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if ctx.store().unsubscribe(user.id, id).await? {
        ctx.say(ctx.t("outage.unsubscribed")).await?;
    }
    show(ctx).await
}
