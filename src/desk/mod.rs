//! The operators' desk as the group sees it: an item's card (what it shows and offers) and
//! the notices a consumer gets when the desk acts. Delivery of cards and events to the group
//! is in [`deliver`]; the group's replies and buttons are handled in `bot::operators`.

mod cards;
pub mod deliver;
pub mod group;
pub mod outage_card;
pub mod topics;

use crate::callback::Buttons;
use crate::config::Config;
use crate::i18n;
use crate::store::operators::{ItemKind, ItemRef};
use crate::store::outbox::{Button, OutboxMessage};
use crate::store::tickets::Attachment;
use crate::store::{Store, StoreError};
use crate::telegram::{TEXT_LIMIT, esc, split};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// Why a desk row was not delivered: Telegram's answer, or the database's.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Send(#[from] crate::telegram::SendError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A status button waits this long for the operator's reply; after it, the choice lapses.
pub const PENDING_TTL: chrono::Duration = chrono::Duration::minutes(10);

/// Room kept at the end of a card's last message for its footer (status, deadline, who took
/// it), so the footer can change without moving the card's other parts.
const FOOTER_ROOM: usize = 512;

/// What a card shows and offers, and the files that go with it. The body never changes once
/// posted; the footer does (status, taken by), and lives in the card's last message, which
/// carries the buttons and is the one edited.
pub struct Card {
    pub body: String,
    pub footer: String,
    pub keyboard: InlineKeyboardMarkup,
    pub files: Vec<Attachment>,
    pub consumer_id: i64,
    pub number: String,
}

impl Card {
    /// The card as messages: the body split to fit, the footer added to the last.
    pub fn parts(&self) -> Vec<String> {
        let mut parts = split::split(&self.body, TEXT_LIMIT - FOOTER_ROOM);
        let footer = split::truncate(&self.footer, FOOTER_ROOM - 2);
        if let Some(last) = parts.last_mut() {
            last.push_str("\n\n");
            last.push_str(&footer);
        }
        parts
    }

    /// The whole card as one text (split by the sender when it is long).
    pub fn text(&self) -> String {
        format!("{}\n\n{}", self.body, self.footer)
    }
}

fn btn(loc: &str, key: &str, cb: impl Buttons) -> Vec<InlineKeyboardButton> {
    vec![InlineKeyboardButton::callback(i18n::t(loc, key), cb.encode())]
}

/// A ticket's own fields (address, meter, …) as lines, in the order people think of them.
pub fn field_lines(loc: &str, fields: &serde_json::Value) -> String {
    let mut out = String::new();
    for (key, field) in [
        ("ticket.f.account", "account"),
        ("ticket.f.doc_type", "doc_type"),
        ("ticket.f.period", "period"),
        ("ticket.f.address", "address"),
        ("ticket.f.meter", "meter"),
        ("ticket.f.violation_at", "violation_at"),
        ("ticket.f.comment", "comment"),
    ] {
        if let Some(v) = fields.get(field).and_then(|v| v.as_str()) {
            out.push_str(&format!("\n{}: {}", i18n::t(loc, key), esc(v)));
        }
    }
    out
}

async fn consumer_line(store: &Store, loc: &str, consumer_id: i64) -> Result<String, StoreError> {
    let acc = store.consumer(consumer_id).await?;
    Ok(match acc {
        Some(a) => i18n::tf(
            loc,
            "desk.consumer",
            &[
                ("name", &esc(a.name.as_deref().unwrap_or("—"))),
                ("login_name", &crate::wording::login_name(loc, a.kind)),
                ("login", &crate::domain::ids::mask_digits(a.login())),
            ],
        ),
        None => String::new(),
    })
}

/// «Взял в работу: Мария», when someone took the item.
/// Who has the item (the card's line), if anybody.
async fn taken_line(store: &Store, loc: &str, taken_by: Option<i64>) -> Result<String, StoreError> {
    let Some(op) = taken_by else {
        return Ok(String::new());
    };
    let name = store
        .operator(op)
        .await?
        .and_then(|o| o.name)
        .unwrap_or_else(|| op.to_string());
    let name: String = name.chars().take(64).collect();
    Ok(format!(
        "\n{}",
        i18n::tf(loc, "desk.taken_by", &[("name", &esc(&name))])
    ))
}

fn status_line(loc: &str, status: String) -> String {
    i18n::tf(loc, "desk.status", &[("status", &status)])
}

/// What an item is for routing, most specific first: a ticket's topic, «billing» for a
/// question about an account's bill, its kind.
pub async fn route_keys(
    store: &Store,
    target: crate::domain::items::DeskTarget,
    id: i64,
) -> Result<Vec<String>, StoreError> {
    use crate::domain::items::DeskTarget as T;
    Ok(match target {
        T::Ticket => match store.ticket_route(id).await? {
            Some((kind, topic, billing)) => {
                let mut keys = vec![crate::domain::routes::topic_key(&topic)];
                if billing {
                    keys.push("billing".into());
                }
                keys.push(kind.as_str().to_owned());
                keys
            }
            None => Vec::new(),
        },
        T::MeterRequest => vec!["meter_request".into()],
        T::Connection => vec!["connection".into()],
        T::Meter => vec!["meter".into()],
        T::Dispute => vec!["dispute".into()],
        T::Outage => vec![
            crate::domain::routes::topic_key(&crate::i18n::t("ru", "topic.appeal.outages")),
            "outage".into(),
            "appeal".into(),
        ],
    })
}

/// The card of an item as the operators see it (the passport number masked) at `now` (a
/// lapsed verification is marked).
pub async fn card(
    store: &Store,
    config: &Config,
    now: chrono::DateTime<chrono::Utc>,
    item: ItemRef,
) -> Result<Option<Card>, StoreError> {
    card_for(store, config, now, item, false).await
}

/// The card; with `reveal`, the passport number in full (`/item <number> passport`). Each kind
/// of item has its renderer (`cards`).
pub async fn card_for(
    store: &Store,
    config: &Config,
    now: chrono::DateTime<chrono::Utc>,
    item: ItemRef,
    reveal: bool,
) -> Result<Option<Card>, StoreError> {
    let loc = config.default_locale.as_str();
    let taken_by = store.card(item).await?.and_then(|(_, _, op)| op);
    let c = cards::Render {
        store,
        config,
        loc,
        now,
        reveal,
        kind: item.kind,
        taken_by,
        taken: taken_line(store, loc, taken_by).await?,
    };
    let mut card = match item.kind {
        ItemKind::Ticket => cards::ticket::render(&c, item.id).await,
        ItemKind::MeterRequest => cards::meter_request::render(&c, item.id).await,
        ItemKind::Connection => cards::connection::render(&c, item.id).await,
        ItemKind::Meter => cards::meter::render(&c, item.id).await,
    }?;
    // With departments, any card can go to another one.
    let departments =
        config.operator_chat_id.is_some() && config.operator_chats.as_ref().is_some_and(|r| !r.is_empty());
    if let Some(card) = card.as_mut().filter(|_| departments) {
        card.keyboard.inline_keyboard.push(btn(
            loc,
            "desk.move",
            crate::callback::DeskCb::Act(item.kind, item.id, crate::domain::items::DeskAction::Move),
        ));
    }
    Ok(card)
}

/// Notices to every chat of the consumer, each in its language: «<number>: <news>» and a
/// button that opens the item. `detail` is text someone wrote (escaped here).
pub async fn notices(
    store: &Store,
    config: &Config,
    consumer_id: i64,
    key: &str,
    number: &str,
    detail: Option<&str>,
    open: impl Buttons,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let detail = detail.map(str::to_owned);
    notices_in(store, config, consumer_id, key, number, |_| detail.clone(), open).await
}

/// `notices` with a detail in each chat's language (`detail(locale)`, escaped here).
pub async fn notices_in(
    store: &Store,
    config: &Config,
    consumer_id: i64,
    key: &str,
    number: &str,
    detail: impl Fn(&str) -> Option<String>,
    open: impl Buttons,
) -> Result<Vec<OutboxMessage>, StoreError> {
    rated_notices(store, config, consumer_id, key, number, detail, open, None).await
}

/// `notices_in`, and with `rate` (a ticket answered or closed) «Оцените ответ» and a button
/// per mark under each.
#[allow(clippy::too_many_arguments)]
pub async fn rated_notices(
    store: &Store,
    config: &Config,
    consumer_id: i64,
    key: &str,
    number: &str,
    detail: impl Fn(&str) -> Option<String>,
    open: impl Buttons,
    rate: Option<i64>,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut out = Vec::new();
    for (chat, locale) in store.consumer_chats(consumer_id).await? {
        let loc = i18n::pick_locale(locale.as_deref(), None, &config.default_locale);
        let mut text = i18n::tf(loc, key, &[("number", &esc(number))]);
        if let Some(d) = detail(loc).filter(|d| !d.is_empty()) {
            text.push_str(&format!("\n\n{}", esc(&d)));
        }
        let open_button = Button {
            text: i18n::t(loc, "ticket.open"),
            data: open.encode(),
        };
        let mut keyboard = Vec::new();
        if let Some(ticket) = rate {
            text.push_str(&format!("\n\n{}", i18n::t(loc, "rate.ask")));
            // Rows replace the one button: «Открыть» goes first among them.
            keyboard.push(vec![open_button.clone()]);
            keyboard.push(
                (1..=5u8)
                    .map(|m| Button {
                        text: format!("{m} ⭐"),
                        data: crate::callback::TicketsCb::Rate(ticket, m).encode(),
                    })
                    .collect(),
            );
        }
        if loc == "en" {
            text = crate::domain::numbers::latin(&text);
        }
        out.push(OutboxMessage::Telegram {
            chat_id: chat,
            text,
            button: Some(open_button),
            reply_to: None,
            keyboard,
            markup: None,
            paid: false,
        });
    }
    Ok(out)
}
