//! The operators' desk as the group sees it: an item's card (what it shows and offers) and
//! the notices a consumer gets when the desk acts. Delivery of cards and events to the group
//! is in [`deliver`]; the group's replies and buttons are handled in `bot::desk`.

pub mod deliver;
pub mod group;

use crate::callback::Cb;
use crate::config::Config;
use crate::domain::items::{ConnStatus, DeskAction, FileOwner, MeterReview};
use crate::i18n;
use crate::store::desk::{ItemKind, ItemRef};
use crate::store::outbox::{Button, OutboxMessage};
use crate::store::tickets::Attachment;
use crate::store::{Store, StoreError};
use crate::telegram::{TEXT_LIMIT, esc, split};
use crate::wording;
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
    pub account_id: i64,
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

fn btn(loc: &str, key: &str, cb: Cb) -> Vec<InlineKeyboardButton> {
    vec![InlineKeyboardButton::callback(i18n::t(loc, key), cb.encode())]
}

/// The name of a login kind (СНИЛС, ОГРНИП, ОГРН).
pub fn login_name(loc: &str, kind: crate::domain::ApplicantKind) -> String {
    i18n::t(loc, &format!("id.name.{}", kind.as_str()))
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

async fn consumer_line(store: &Store, loc: &str, account_id: i64) -> Result<String, StoreError> {
    let acc = store.account(account_id).await?;
    Ok(match acc {
        Some(a) => i18n::tf(
            loc,
            "desk.consumer",
            &[
                ("name", &esc(a.name.as_deref().unwrap_or("—"))),
                ("login_name", &login_name(loc, a.kind)),
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

/// The card; with `reveal`, the passport number in full (`/item <number> passport`).
pub async fn card_for(
    store: &Store,
    config: &Config,
    now: chrono::DateTime<chrono::Utc>,
    item: ItemRef,
    reveal: bool,
) -> Result<Option<Card>, StoreError> {
    let loc = config.default_locale.as_str();
    let taken_by = store.card(item).await?.and_then(|(_, _, op)| op);
    let taken = taken_line(store, loc, taken_by).await?;
    let k = item.kind;
    // «Взять в работу» while nobody has it, then «Передать другому».
    let take = |id| match taken_by {
        None => btn(loc, "desk.take", Cb::Desk(k, id, DeskAction::Take)),
        Some(_) => btn(loc, "desk.release", Cb::Desk(k, id, DeskAction::Release)),
    };
    match item.kind {
        ItemKind::Ticket => {
            let Some(t) = store.ticket_by_id(item.id).await? else {
                return Ok(None);
            };
            let messages = store.ticket_messages(t.id).await?;
            let first = messages.first().and_then(|m| m.text.clone()).unwrap_or_default();
            let mut body = format!(
                "📨 <b>{} {}</b>\n{}\n{}: {}",
                i18n::t(loc, &format!("ticket.kind.{}", t.kind)),
                esc(&t.number),
                consumer_line(store, loc, t.account_id).await?,
                i18n::t(loc, "ticket.f.topic"),
                esc(&t.topic),
            );
            body.push_str(&field_lines(loc, &t.fields()));
            if !first.is_empty() {
                body.push_str(&format!("\n\n{}", esc(&first)));
            }
            let footer = format!(
                "{}\n{}{taken}",
                status_line(loc, i18n::t(loc, &t.status.label_key(t.kind))),
                i18n::tf(loc, "desk.deadline", &[("date", &config.local_date(t.deadline))])
            );
            let mut rows = vec![];
            if t.status.is_open() {
                rows.push(take(t.id));
                rows.push(btn(loc, "desk.close", Cb::Desk(k, t.id, DeskAction::Close)));
            } else {
                rows.push(btn(loc, "desk.reopen", Cb::Desk(k, t.id, DeskAction::Reopen)));
            }
            let first_id = messages.first().map(|m| m.id);
            let files = store
                .ticket_files(t.id)
                .await?
                .into_iter()
                .filter(|f| Some(f.owner_id) == first_id)
                .collect();
            Ok(Some(Card {
                body,
                footer,
                keyboard: InlineKeyboardMarkup::new(rows),
                files,
                account_id: t.account_id,
                number: t.number,
            }))
        }
        ItemKind::MeterRequest => {
            let Some(q) = store.meter_request_by_id(item.id).await? else {
                return Ok(None);
            };
            let mut body = format!(
                "🔧 <b>{} {}</b>\n{}\n{}: {} ({})\n{}: {}\n{}: {}",
                i18n::t(loc, &format!("req_kind.{}", q.kind)),
                esc(&q.number),
                consumer_line(store, loc, q.account_id).await?,
                i18n::t(loc, "desk.meter"),
                esc(&q.serial),
                i18n::t(loc, &format!("resource.{}", q.resource)),
                i18n::t(loc, "ticket.f.address"),
                esc(&q.address),
                i18n::t(loc, "req.f.date"),
                q.preferred_date.format("%d.%m.%Y"),
            );
            body.push_str(&request_details(loc, &q.details));
            let mut footer = status_line(loc, i18n::t(loc, &format!("req_status.{}", q.status)));
            if let Some(d) = q.scheduled_for {
                footer.push_str(&format!(
                    "\n{}",
                    i18n::tf(loc, "desk.scheduled", &[("date", &d.format("%d.%m.%Y").to_string())])
                ));
            }
            footer.push_str(&taken);
            let mut rows = vec![];
            if q.status.is_open() {
                rows.push(take(q.id));
                rows.push(btn(loc, "desk.schedule", Cb::Desk(k, q.id, DeskAction::Schedule)));
                rows.push(vec![
                    InlineKeyboardButton::callback(
                        i18n::t(loc, "desk.done"),
                        Cb::Desk(k, q.id, DeskAction::Done).encode(),
                    ),
                    InlineKeyboardButton::callback(
                        i18n::t(loc, "desk.reject"),
                        Cb::Desk(k, q.id, DeskAction::Reject).encode(),
                    ),
                ]);
            }
            let files = store.meter_request_files(q.id).await?;
            Ok(Some(Card {
                body,
                footer,
                keyboard: InlineKeyboardMarkup::new(rows),
                files,
                account_id: q.account_id,
                number: q.number,
            }))
        }
        ItemKind::Connection => {
            let Some((account_id, app)) = store.application_by_id(item.id).await? else {
                return Ok(None);
            };
            let kind = app.kind;
            let values: crate::domain::connection::Values = serde_json::from_str(&app.fields).unwrap_or_default();
            let mut body = format!(
                "🏗 <b>{} {}</b>\n{}",
                i18n::t(loc, &format!("conn.kind.{}", kind.as_str())),
                esc(&app.number),
                consumer_line(store, loc, account_id).await?,
            );
            // In words, as the consumer's summary reads (no `new`, `yes`, ISO dates).
            for f in kind.fields() {
                if let Some(v) = values.get(f.key) {
                    let label = wording::label(loc, kind, f.key);
                    let value = wording::conn_card_value(loc, f, v, reveal);
                    body.push_str(&format!("\n{label}: {}", esc(&value)));
                }
            }
            if !reveal && values.contains_key("passport") {
                let hint = i18n::tf(loc, "desk.passport_hint", &[("number", &esc(&app.number))]);
                body.push_str(&format!("\n{hint}"));
            }
            let footer = format!(
                "{}{taken}",
                status_line(loc, i18n::t(loc, &format!("conn.status.{}", app.status)))
            );
            let mut rows = vec![];
            if !app.status.is_final() {
                rows.push(take(app.id));
                for status in ConnStatus::SET_BY_DESK {
                    rows.push(vec![InlineKeyboardButton::callback(
                        i18n::t(loc, &format!("conn.status.{status}")),
                        Cb::Desk(k, app.id, DeskAction::Status(status)).encode(),
                    )]);
                }
            } else {
                rows.push(btn(loc, "desk.reopen", Cb::Desk(k, app.id, DeskAction::Reopen)));
            }
            let files = store
                .application_files(app.id)
                .await?
                .into_iter()
                .filter(|(owner, _)| *owner == FileOwner::Connection)
                .map(|(_, f)| f)
                .collect();
            Ok(Some(Card {
                body,
                footer,
                keyboard: InlineKeyboardMarkup::new(rows),
                files,
                account_id,
                number: app.number,
            }))
        }
        ItemKind::Meter => {
            let Some(m) = store.meter_for_desk(item.id).await? else {
                return Ok(None);
            };
            let mut verification = m.next_verification.format("%d.%m.%Y").to_string();
            if m.next_verification < config.today(now) {
                verification.push_str(&format!(" ⛔ {}", i18n::t(loc, "desk.verification_lapsed")));
            }
            let body = format!(
                "🆕 <b>{} {}</b>\n{}\n{}: {}\n{}: {}\n{}: {}\n{}: {}",
                i18n::t(loc, "desk.new_meter"),
                esc(&m.serial),
                consumer_line(store, loc, m.account_id).await?,
                i18n::t(loc, "desk.resource"),
                i18n::t(loc, &format!("resource.{}", m.resource.as_str())),
                i18n::t(loc, "ticket.f.address"),
                esc(&m.address),
                i18n::t(loc, "desk.place"),
                esc(&m.place),
                i18n::t(loc, "desk.verification"),
                verification,
            );
            let footer = format!(
                "{}{taken}",
                status_line(loc, i18n::t(loc, &format!("review.{}", m.review)))
            );
            let mut rows = vec![];
            if m.review == MeterReview::Pending {
                rows.push(take(m.id));
                rows.push(btn(loc, "desk.accept_meter", Cb::Desk(k, m.id, DeskAction::Done)));
            }
            Ok(Some(Card {
                body,
                footer,
                keyboard: InlineKeyboardMarkup::new(rows),
                files: Vec::new(),
                account_id: m.account_id,
                number: m.serial,
            }))
        }
    }
}

/// A meter request's own details (time of day, reason, installer, …) as lines.
fn request_details(loc: &str, details: &str) -> String {
    let details: serde_json::Value = serde_json::from_str(details).unwrap_or_default();
    let mut out = String::new();
    for (field, label) in [
        ("time_of_day", "req.f.tod"),
        ("reason", "req.f.reason"),
        ("reason_text", "req.f.reason"),
        ("install_date", "req.f.install_date"),
        ("installer", "req.f.installer"),
        ("seal", "req.f.seal"),
        ("readings", "req.f.readings"),
        ("comment", "req.f.comment"),
    ] {
        let value = match (field, &details[field]) {
            (_, serde_json::Value::Null) => continue,
            ("time_of_day", serde_json::Value::String(v)) => i18n::t(loc, &format!("tod.{v}")),
            ("reason", serde_json::Value::String(v)) => i18n::t(loc, &format!("reason.{v}")),
            ("install_date", serde_json::Value::String(v)) => wording::date_text(v),
            (_, serde_json::Value::String(v)) => v.clone(),
            (_, serde_json::Value::Array(a)) if a.is_empty() => continue,
            (_, serde_json::Value::Array(a)) => a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", "),
            (_, other) => other.to_string(),
        };
        out.push_str(&format!("\n{}: {}", i18n::t(loc, label), esc(&value)));
    }
    out
}

/// Notices to every chat of the account, each in its language: «<number>: <news>» and a
/// button that opens the item. `detail` is text someone wrote (escaped here).
pub async fn notices(
    store: &Store,
    config: &Config,
    account_id: i64,
    key: &str,
    number: &str,
    detail: Option<&str>,
    open: Cb,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut out = Vec::new();
    for (chat, locale) in store.account_chats(account_id).await? {
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
