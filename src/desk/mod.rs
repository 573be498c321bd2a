//! The operators' desk as the group sees it: an item's card (what it shows and offers) and
//! the notices a consumer gets when the desk acts. Delivery of cards and events to the group
//! is in [`deliver`]; the group's replies and buttons are handled in `bot::operators`.

mod cards;
pub mod deliver;
pub mod group;

use crate::callback::Buttons;
use crate::config::Config;
use crate::i18n;
use crate::store::operators::{ItemKind, ItemRef};
use crate::store::outbox::{Button, OutboxMessage};
use crate::store::tickets::Attachment;
use crate::store::{Store, StoreError};
use crate::telegram::{TEXT_LIMIT, esc, split};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

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
    match item.kind {
        ItemKind::Ticket => cards::ticket::render(&c, item.id).await,
        ItemKind::MeterRequest => cards::meter_request::render(&c, item.id).await,
        ItemKind::Connection => cards::connection::render(&c, item.id).await,
        ItemKind::Meter => cards::meter::render(&c, item.id).await,
    }
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
    let mut out = Vec::new();
    for (chat, locale) in store.consumer_chats(consumer_id).await? {
        let loc = i18n::pick_locale(locale.as_deref(), None, &config.default_locale);
        let mut text = i18n::tf(loc, key, &[("number", &esc(number))]);
        if let Some(d) = detail.filter(|d| !d.is_empty()) {
            text.push_str(&format!("\n\n{}", esc(d)));
        }
        out.push(OutboxMessage::Telegram {
            chat_id: chat,
            text,
            button: Some(Button {
                text: i18n::t(loc, "ticket.open"),
                data: open.encode(),
            }),
            reply_to: None,
            keyboard: Vec::new(),
            markup: None,
        });
    }
    Ok(out)
}
