//! The operators' desk: items are posted to the operators' group as cards; operators take
//! them, change their status with the buttons and answer by replying to any bot message of the
//! item. The consumer is told through the outbox, in the same transaction as the change.
//! Only operators act; anyone else gets a refusal and nothing changes.

use super::cb::Cb;
use super::{Deps, HandlerError, HandlerResult, esc};
use crate::config::Config;
use crate::domain::connection::ConnKind;
use crate::domain::tickets::TicketStatus;
use crate::i18n;
use crate::store::Store;
use crate::store::desk::{ItemKind, ItemRef};
use crate::store::meters::FileRef;
use crate::store::outbox::{Button, OutboxMessage};
use crate::store::tickets::{Attachment, DeliveredFile};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use teloxide::RequestError;
use teloxide::net::Download;
use teloxide::payloads::setters::*;
use teloxide::prelude::*;
use teloxide::types::{
    FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, ParseMode, ReplyParameters,
};

pub const ACT_CLOSE: u8 = 0;
pub const ACT_SCHEDULE: u8 = 1;
pub const ACT_DONE: u8 = 2;
pub const ACT_REJECT: u8 = 3;
/// Connection statuses, set with the operator's next reply (comment and issued files).
const CONN_ACTIONS: [(u8, &str); 5] = [
    (4, "under_review"),
    (5, "documents_issued"),
    (6, "connected"),
    (7, "returned"),
    (ACT_REJECT, "rejected"),
];

fn kind_code(k: ItemKind) -> u8 {
    match k {
        ItemKind::Ticket => 0,
        ItemKind::MeterRequest => 1,
        ItemKind::Connection => 2,
    }
}

fn kind_of(c: u8) -> ItemKind {
    match c {
        0 => ItemKind::Ticket,
        1 => ItemKind::MeterRequest,
        _ => ItemKind::Connection,
    }
}

fn local(config: &Config, at: DateTime<Utc>) -> String {
    (at + Duration::hours(i64::from(config.utc_offset_hours)))
        .format("%d.%m.%Y")
        .to_string()
}

/// What a card shows and offers, and the files that go with it.
pub struct Card {
    pub text: String,
    pub keyboard: InlineKeyboardMarkup,
    pub files: Vec<Attachment>,
    pub account_id: i64,
    pub number: String,
}

fn btn(loc: &str, key: &str, cb: Cb) -> Vec<InlineKeyboardButton> {
    vec![InlineKeyboardButton::callback(i18n::t(loc, key), cb.encode())]
}

async fn consumer_line(store: &Store, loc: &str, account_id: i64) -> Result<String, HandlerError> {
    let acc = store.account(account_id).await?;
    Ok(match acc {
        Some(a) => i18n::tf(
            loc,
            "desk.consumer",
            &[
                ("name", &esc(a.name.as_deref().unwrap_or("—"))),
                ("login_name", &super::registration::login_name(loc, a.kind())),
                ("login", &crate::domain::ids::mask_digits(a.login())),
            ],
        ),
        None => String::new(),
    })
}

/// The card of an item as the operators see it.
pub async fn card(store: &Store, config: &Config, item: ItemRef) -> Result<Option<Card>, HandlerError> {
    let loc = config.default_locale.as_str();
    let taken = match store.card(item).await? {
        Some((_, _, Some(op))) => {
            let name = store
                .operator(op)
                .await?
                .and_then(|o| o.name)
                .unwrap_or_else(|| op.to_string());
            format!("\n{}", i18n::tf(loc, "desk.taken_by", &[("name", &esc(&name))]))
        }
        _ => String::new(),
    };
    let k = kind_code(item.kind);
    match item.kind {
        ItemKind::Ticket => {
            let Some(t) = store.ticket_by_id(item.id).await? else {
                return Ok(None);
            };
            let messages = store.ticket_messages(t.id).await?;
            let first = messages.first().and_then(|m| m.text.clone()).unwrap_or_default();
            let mut text = format!(
                "📨 <b>{} {}</b> · {}\n{}\n{}: {}",
                i18n::t(loc, &format!("ticket.kind.{}", t.kind)),
                esc(&t.number),
                i18n::t(loc, &format!("ticket.status.{}", t.status)),
                consumer_line(store, loc, t.account_id).await?,
                i18n::t(loc, "ticket.f.topic"),
                esc(&t.topic),
            );
            text.push_str(&super::tickets::field_lines(loc, &t.fields()));
            if !first.is_empty() {
                text.push_str(&format!("\n\n{}", esc(&first)));
            }
            text.push_str(&format!(
                "\n\n{}{taken}",
                i18n::tf(loc, "desk.deadline", &[("date", &local(config, t.deadline))])
            ));
            let mut rows = vec![];
            if t.status().is_open() {
                rows.push(btn(loc, "desk.take", Cb::DeskTake(k, t.id)));
                rows.push(btn(loc, "desk.close", Cb::DeskAct(k, t.id, ACT_CLOSE)));
            }
            let first_id = messages.first().map(|m| m.id);
            let files = store
                .ticket_files(t.id)
                .await?
                .into_iter()
                .filter(|f| Some(f.owner_id) == first_id)
                .collect();
            Ok(Some(Card {
                text,
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
            let mut text = format!(
                "🔧 <b>{} {}</b> · {}\n{}\n{}: {} ({})\n{}: {}\n{}: {}",
                i18n::t(loc, &format!("req_kind.{}", q.kind)),
                esc(&q.number),
                i18n::t(loc, &format!("req_status.{}", q.status)),
                consumer_line(store, loc, q.account_id).await?,
                i18n::t(loc, "desk.meter"),
                esc(&q.serial),
                i18n::t(loc, &format!("resource.{}", q.resource)),
                i18n::t(loc, "ticket.f.address"),
                esc(&q.address),
                i18n::t(loc, "req.f.date"),
                q.preferred_date.format("%d.%m.%Y"),
            );
            if let Some(d) = q.scheduled_for {
                text.push_str(&format!(
                    "\n{}",
                    i18n::tf(loc, "desk.scheduled", &[("date", &d.format("%d.%m.%Y").to_string())])
                ));
            }
            let details: serde_json::Value = serde_json::from_str(&q.details).unwrap_or_default();
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
                    (_, serde_json::Value::String(v)) => v.clone(),
                    (_, serde_json::Value::Array(a)) if a.is_empty() => continue,
                    (_, serde_json::Value::Array(a)) => {
                        a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
                    }
                    (_, other) => other.to_string(),
                };
                text.push_str(&format!("\n{}: {}", i18n::t(loc, label), esc(&value)));
            }
            text.push_str(&taken);
            let mut rows = vec![];
            if matches!(q.status.as_str(), "submitted" | "scheduled") {
                rows.push(btn(loc, "desk.take", Cb::DeskTake(k, q.id)));
                rows.push(btn(loc, "desk.schedule", Cb::DeskAct(k, q.id, ACT_SCHEDULE)));
                rows.push(vec![
                    InlineKeyboardButton::callback(i18n::t(loc, "desk.done"), Cb::DeskAct(k, q.id, ACT_DONE).encode()),
                    InlineKeyboardButton::callback(
                        i18n::t(loc, "desk.reject"),
                        Cb::DeskAct(k, q.id, ACT_REJECT).encode(),
                    ),
                ]);
            }
            let files = store.meter_request_files(q.id).await?;
            Ok(Some(Card {
                text,
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
            let kind = app.kind();
            let values: crate::domain::connection::Values = serde_json::from_str(&app.fields).unwrap_or_default();
            let mut text = format!(
                "🏗 <b>{} {}</b> · {}\n{}",
                i18n::t(loc, &format!("conn.kind.{}", kind.as_str())),
                esc(&app.number),
                i18n::t(loc, &format!("conn.status.{}", app.status)),
                consumer_line(store, loc, account_id).await?,
            );
            for f in kind.fields() {
                if let Some(v) = values.get(f.key) {
                    let label = if f.key == "object_name" && kind == ConnKind::Electricity {
                        i18n::t(loc, "conn.f.object_name_eu")
                    } else {
                        i18n::t(loc, &format!("conn.f.{}", f.key))
                    };
                    text.push_str(&format!("\n{label}: {}", esc(v)));
                }
            }
            text.push_str(&taken);
            let mut rows = vec![];
            if !matches!(app.status.as_str(), "connected" | "rejected") {
                rows.push(btn(loc, "desk.take", Cb::DeskTake(k, app.id)));
                for (code, status) in CONN_ACTIONS {
                    rows.push(vec![InlineKeyboardButton::callback(
                        i18n::t(loc, &format!("conn.status.{status}")),
                        Cb::DeskAct(k, app.id, code).encode(),
                    )]);
                }
            }
            let files = store
                .application_files(app.id)
                .await?
                .into_iter()
                .filter(|(owner, _)| owner == "connection")
                .map(|(_, f)| f)
                .collect();
            Ok(Some(Card {
                text,
                keyboard: InlineKeyboardMarkup::new(rows),
                files,
                account_id,
                number: app.number,
            }))
        }
    }
}

/// Notices to every chat of the account, each in its language: «<number>: <news>» and a
/// button that opens the item.
pub async fn notices(
    store: &Store,
    config: &Config,
    account_id: i64,
    key: &str,
    number: &str,
    detail: Option<&str>,
    open: Cb,
) -> Result<Vec<OutboxMessage>, HandlerError> {
    let mut out = Vec::new();
    for (chat, locale) in store.account_chats(account_id).await? {
        let loc = i18n::pick_locale(locale.as_deref(), None, &config.default_locale);
        let mut text = i18n::tf(loc, key, &[("number", number)]);
        if let Some(d) = detail.filter(|d| !d.is_empty()) {
            text.push_str(&format!("\n\n{d}"));
        }
        out.push(OutboxMessage::Telegram {
            chat_id: chat,
            text,
            button: Some(Button {
                text: i18n::t(loc, "ticket.open"),
                data: open.encode(),
            }),
        });
    }
    Ok(out)
}

fn is_photo(f: &Attachment) -> bool {
    f.name.is_none() && f.mime.as_deref() == Some("image/jpeg")
}

/// Delivery of the desk's outbox rows (used by the outbox worker, through its throttled bot).
pub struct Desk<'a, R> {
    pub bot: &'a R,
    pub store: &'a Store,
    pub config: &'a Config,
    pub clock: &'a crate::clock::Clock,
    pub group: ChatId,
}

impl<R> Desk<'_, R>
where
    R: Requester<Err = RequestError>,
{
    pub async fn deliver(&self, item: &str, id: i64, event: &str) -> Result<(), HandlerError> {
        let Some(kind) = ItemKind::from_str_opt(item) else {
            return Ok(());
        };
        let item = ItemRef { kind, id };
        let card = self.store.card(item).await?;
        let card_msg = match card {
            Some((_, message_id, _)) => MessageId(message_id as i32),
            None => self.post_card(item).await?,
        };
        if event == "new" {
            return Ok(());
        }
        let loc = self.config.default_locale.as_str();
        let text = self.event_text(item, event).await?;
        let sent = self
            .bot
            .send_message(
                self.group,
                i18n::tf(loc, &format!("desk.event.{event}"), &[("text", &esc(&text))]),
            )
            .parse_mode(ParseMode::Html)
            .reply_parameters(ReplyParameters::new(card_msg).allow_sending_without_reply())
            .await?;
        self.store
            .map_desk_message(self.group.0, i64::from(sent.id.0), item)
            .await?;
        for f in self.event_files(item, event).await? {
            self.send_file(&f, card_msg, item).await?;
        }
        self.refresh_card(item).await
    }

    async fn post_card(&self, item: ItemRef) -> Result<MessageId, HandlerError> {
        let Some(c) = card(self.store, self.config, item).await? else {
            return Ok(MessageId(0));
        };
        let sent = self
            .bot
            .send_message(self.group, c.text)
            .parse_mode(ParseMode::Html)
            .reply_markup(c.keyboard)
            .await?;
        self.store.save_card(item, self.group.0, i64::from(sent.id.0)).await?;
        for f in &c.files {
            self.send_file(f, sent.id, item).await?;
        }
        Ok(sent.id)
    }

    async fn send_file(&self, f: &Attachment, reply_to: MessageId, item: ItemRef) -> Result<(), HandlerError> {
        let reply = ReplyParameters::new(reply_to).allow_sending_without_reply();
        let file = InputFile::file_id(FileId(f.file_id.clone()));
        let sent = if is_photo(f) {
            self.bot.send_photo(self.group, file).reply_parameters(reply).await?
        } else {
            self.bot.send_document(self.group, file).reply_parameters(reply).await?
        };
        self.store
            .map_desk_message(self.group.0, i64::from(sent.id.0), item)
            .await?;
        Ok(())
    }

    pub async fn refresh_card(&self, item: ItemRef) -> Result<(), HandlerError> {
        let (Some((chat, message, _)), Some(c)) =
            (self.store.card(item).await?, card(self.store, self.config, item).await?)
        else {
            return Ok(());
        };
        let edited = self
            .bot
            .edit_message_text(ChatId(chat), MessageId(message as i32), c.text)
            .parse_mode(ParseMode::Html)
            .reply_markup(c.keyboard)
            .await;
        match edited {
            // Editing to the same text is refused by Telegram: nothing to do.
            Ok(_) | Err(RequestError::Api(teloxide::ApiError::MessageNotModified)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The latest thing the consumer wrote (for follow-ups, reopenings, additions).
    async fn event_text(&self, item: ItemRef, event: &str) -> Result<String, HandlerError> {
        match item.kind {
            ItemKind::Ticket if event != "closed" => Ok(self
                .store
                .ticket_messages(item.id)
                .await?
                .into_iter()
                .rev()
                .find(|m| m.author == "user")
                .and_then(|m| m.text)
                .unwrap_or_default()),
            ItemKind::Connection => Ok(self.store.last_addition_text(item.id).await?.unwrap_or_default()),
            _ => Ok(String::new()),
        }
    }

    async fn event_files(&self, item: ItemRef, event: &str) -> Result<Vec<Attachment>, HandlerError> {
        match item.kind {
            ItemKind::Ticket if event != "closed" => {
                let messages = self.store.ticket_messages(item.id).await?;
                let last = messages.iter().rev().find(|m| m.author == "user").map(|m| m.id);
                Ok(self
                    .store
                    .ticket_files(item.id)
                    .await?
                    .into_iter()
                    .filter(|f| Some(f.owner_id) == last)
                    .collect())
            }
            ItemKind::Connection => {
                let files = self.store.application_files(item.id).await?;
                let last = files
                    .iter()
                    .filter(|(k, _)| k == "connection_addition")
                    .map(|(_, f)| f.owner_id)
                    .max();
                Ok(files
                    .into_iter()
                    .filter(|(k, f)| k == "connection_addition" && Some(f.owner_id) == last)
                    .map(|(_, f)| f)
                    .collect())
            }
            _ => Ok(vec![]),
        }
    }
}

// ---------------------------------------------------------------- in the group

pub fn is_desk_group(deps: &Deps, chat: ChatId) -> bool {
    deps.config.operator_chat_id == Some(chat.0)
}

async fn refuse(bot: &Bot, msg: &Message, deps: &Deps) -> HandlerResult {
    let loc = deps.config.default_locale.as_str();
    bot.send_message(msg.chat.id, i18n::t(loc, "desk.operators_only"))
        .reply_parameters(ReplyParameters::new(msg.id).allow_sending_without_reply())
        .await?;
    Ok(())
}

fn desk<'a>(bot: &'a Bot, deps: &'a Deps, group: ChatId) -> Desk<'a, Bot> {
    Desk {
        bot,
        store: &deps.store,
        config: &deps.config,
        clock: &deps.clock,
        group,
    }
}

/// A button on a card.
pub async fn on_group_callback(bot: Bot, update: Update, q: CallbackQuery, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    super::once(&d, &update, group_callback(bot, q, deps)).await
}

async fn group_callback(bot: Bot, q: CallbackQuery, deps: Arc<Deps>) -> HandlerResult {
    let loc = deps.config.default_locale.clone();
    let Some(group) = q.message.as_ref().map(|m| m.chat().id) else {
        return Ok(());
    };
    if deps.store.operator(q.from.id.0 as i64).await?.is_none() {
        bot.answer_callback_query(q.id.clone())
            .text(i18n::t(&loc, "desk.operators_only"))
            .show_alert(true)
            .await?;
        return Ok(());
    }
    let op = q.from.id.0 as i64;
    let now = deps.clock.now();
    let (item, action) = match q.data.as_deref().and_then(Cb::decode) {
        Some(Cb::DeskTake(k, id)) => (ItemRef { kind: kind_of(k), id }, None),
        Some(Cb::DeskAct(k, id, a)) => (ItemRef { kind: kind_of(k), id }, Some(a)),
        _ => {
            bot.answer_callback_query(q.id.clone()).await?;
            return Ok(());
        }
    };
    let Some(c) = card(&deps.store, &deps.config, item).await? else {
        bot.answer_callback_query(q.id.clone()).await?;
        return Ok(());
    };
    let mut answer = i18n::t(&loc, "desk.ok");
    match (item.kind, action) {
        (_, None) => {
            deps.store.take_card(item, op).await?;
            if item.kind == ItemKind::Ticket {
                ticket_status(&deps, &c, item.id, TicketStatus::InProgress, "desk.push.in_progress").await?;
            }
        }
        (ItemKind::Ticket, Some(ACT_CLOSE)) => {
            ticket_status(&deps, &c, item.id, TicketStatus::Closed, "desk.push.closed").await?;
        }
        (ItemKind::MeterRequest, Some(ACT_SCHEDULE)) => {
            deps.store.set_pending(op, item, "schedule", now).await?;
            answer = i18n::t(&loc, "desk.reply_with_date");
        }
        (ItemKind::MeterRequest, Some(a @ (ACT_DONE | ACT_REJECT))) => {
            let (status, key) = if a == ACT_DONE {
                ("done", "desk.push.done")
            } else {
                ("rejected", "desk.push.rejected")
            };
            let meter = deps
                .store
                .meter_request_by_id(item.id)
                .await?
                .map(|r| r.meter_id)
                .unwrap_or_default();
            let n = notices(
                &deps.store,
                &deps.config,
                c.account_id,
                key,
                &c.number,
                None,
                Cb::Meter(meter),
            )
            .await?;
            deps.store
                .set_meter_request_status(item.id, status, None, None, &n, now)
                .await?;
        }
        (ItemKind::Connection, Some(a)) => {
            if let Some((_, status)) = CONN_ACTIONS.iter().find(|(code, _)| *code == a) {
                deps.store.set_pending(op, item, status, now).await?;
                let status = i18n::t(&loc, &format!("conn.status.{status}"));
                answer = i18n::tf(&loc, "desk.reply_with_comment", &[("status", &status)]);
            }
        }
        _ => {}
    }
    bot.answer_callback_query(q.id.clone()).text(answer.clone()).await?;
    if answer != i18n::t(&loc, "desk.ok") {
        // The instruction also goes to the group, as a reply to the card, so it is not missed.
        if let Some((_, card_msg, _)) = deps.store.card(item).await? {
            let sent = bot
                .send_message(group, answer)
                .reply_parameters(ReplyParameters::new(MessageId(card_msg as i32)).allow_sending_without_reply())
                .await?;
            deps.store.map_desk_message(group.0, i64::from(sent.id.0), item).await?;
        }
    }
    desk(&bot, &deps, group).refresh_card(item).await?;
    deps.outbox_wake.notify_one();
    Ok(())
}

/// A ticket's status set by the desk, with the consumer told in the same transaction.
async fn ticket_status(deps: &Deps, c: &Card, id: i64, status: TicketStatus, push_key: &str) -> HandlerResult {
    let n = notices(
        &deps.store,
        &deps.config,
        c.account_id,
        push_key,
        &c.number,
        None,
        Cb::Ticket(id),
    )
    .await?;
    deps.store
        .set_ticket_status_by_desk(id, status, &n, deps.clock.now())
        .await?;
    Ok(())
}

/// What an operator attached to a reply: the file reference and, where it can be fetched,
/// the bytes (kept so the document survives a change of bot token).
async fn reply_file(bot: &Bot, msg: &Message) -> Option<(FileRef, Option<Vec<u8>>)> {
    let (file_id, unique, name, mime, size) = if let Some(d) = msg.document() {
        (
            d.file.id.clone(),
            d.file.unique_id.0.clone(),
            d.file_name.clone(),
            d.mime_type.as_ref().map(|m| m.to_string()),
            d.file.size,
        )
    } else if let Some(p) = msg.photo().and_then(|p| p.iter().max_by_key(|p| p.width * p.height)) {
        (
            p.file.id.clone(),
            p.file.unique_id.0.clone(),
            None,
            Some("image/jpeg".to_owned()),
            p.file.size,
        )
    } else {
        return None;
    };
    let mut content = None;
    if size <= super::files::MAX_FILE_BYTES
        && let Ok(f) = bot.get_file(file_id.clone()).await
    {
        let mut buf = Vec::new();
        if bot.download_file(&f.path, &mut buf).await.is_ok() {
            content = Some(buf);
        }
    }
    let file = FileRef {
        file_id: file_id.0,
        file_unique_id: unique,
        name,
        mime,
        size: Some(i64::from(size)),
    };
    Some((file, content))
}

/// A reply in the group: the operator's answer to the item the replied-to message belongs to.
pub async fn on_group_message(bot: Bot, update: Update, msg: Message, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    super::once(&d, &update, group_message(bot, msg, deps)).await
}

async fn group_message(bot: Bot, msg: Message, deps: Arc<Deps>) -> HandlerResult {
    let Some(reply_to) = msg.reply_to_message() else {
        return Ok(());
    };
    // A reply to a message the bot posted moments ago may arrive before the outbox worker has
    // recorded which item that message is: wait for it a little rather than drop the answer.
    let fresh = reply_to.from.as_ref().is_some_and(|u| u.is_bot)
        && (chrono::Utc::now() - reply_to.date).num_seconds().abs() < 10;
    let wait = if fresh {
        std::time::Duration::from_secs(2)
    } else {
        std::time::Duration::ZERO
    };
    let Some(item) = deps
        .store
        .desk_item_waiting(msg.chat.id.0, i64::from(reply_to.id.0), wait)
        .await?
    else {
        return Ok(());
    };
    let Some(from) = msg.from.as_ref() else { return Ok(()) };
    if from.is_bot {
        return Ok(());
    }
    if deps.store.operator(from.id.0 as i64).await?.is_none() {
        return refuse(&bot, &msg, &deps).await;
    }
    let op = from.id.0 as i64;
    let loc = deps.config.default_locale.clone();
    let now = deps.clock.now();
    let text = msg.text().or(msg.caption()).map(str::to_owned);
    let file = reply_file(&bot, &msg).await;
    let Some(c) = card(&deps.store, &deps.config, item).await? else {
        return Ok(());
    };
    let pending = deps.store.take_pending(op, item).await?;
    let confirmation = match item.kind {
        ItemKind::Ticket => {
            let files: Vec<DeliveredFile> = file
                .iter()
                .map(|(f, content)| DeliveredFile {
                    file: f.clone(),
                    content: content.as_deref(),
                })
                .collect();
            let mut n = notices(
                &deps.store,
                &deps.config,
                c.account_id,
                "desk.push.answer",
                &c.number,
                text.as_deref(),
                Cb::Ticket(item.id),
            )
            .await?;
            if let Some(t) = deps.store.ticket_by_id(item.id).await?
                && t.email_copy
                && let Some(acc) = deps.store.account(t.account_id).await?
                && let Some(to) = acc.email.clone()
            {
                let mut body = i18n::tf(
                    &loc,
                    "desk.mail.body",
                    &[("number", &t.number), ("text", text.as_deref().unwrap_or(""))],
                );
                if !files.is_empty() {
                    body.push_str(&format!("\n\n{}", i18n::t(&loc, "desk.mail.files")));
                }
                n.push(OutboxMessage::Email {
                    to,
                    subject: i18n::tf(&loc, "desk.mail.subject", &[("number", &t.number)]),
                    body,
                });
            }
            deps.store
                .add_operator_answer(item.id, op, text.as_deref(), &files, &n, now)
                .await?;
            "desk.sent"
        }
        ItemKind::MeterRequest => {
            let meter = deps
                .store
                .meter_request_by_id(item.id)
                .await?
                .map(|r| r.meter_id)
                .unwrap_or_default();
            if pending.as_deref() == Some("schedule") {
                let today = (now + Duration::hours(i64::from(deps.config.utc_offset_hours))).date_naive();
                match text
                    .as_deref()
                    .and_then(|t| crate::domain::meters::parse_date(t, today))
                    .filter(|d| *d >= today)
                {
                    Some(date) => {
                        let detail = i18n::tf(
                            &loc,
                            "desk.scheduled",
                            &[("date", &date.format("%d.%m.%Y").to_string())],
                        );
                        let n = notices(
                            &deps.store,
                            &deps.config,
                            c.account_id,
                            "desk.push.scheduled",
                            &c.number,
                            Some(&detail),
                            Cb::Meter(meter),
                        )
                        .await?;
                        deps.store
                            .set_meter_request_status(item.id, "scheduled", Some(date), None, &n, now)
                            .await?;
                        "desk.sent"
                    }
                    None => {
                        deps.store.set_pending(op, item, "schedule", now).await?;
                        "desk.date_bad"
                    }
                }
            } else {
                let status = deps
                    .store
                    .meter_request_by_id(item.id)
                    .await?
                    .map(|r| r.status)
                    .unwrap_or_default();
                let n = notices(
                    &deps.store,
                    &deps.config,
                    c.account_id,
                    "desk.push.comment",
                    &c.number,
                    text.as_deref(),
                    Cb::Meter(meter),
                )
                .await?;
                deps.store
                    .set_meter_request_status(item.id, &status, None, text.as_deref(), &n, now)
                    .await?;
                "desk.sent"
            }
        }
        ItemKind::Connection => {
            let current = deps
                .store
                .application_by_id(item.id)
                .await?
                .map(|(_, a)| a.status)
                .unwrap_or_default();
            let status = pending.unwrap_or_else(|| {
                if file.is_some() {
                    "documents_issued".into()
                } else {
                    current
                }
            });
            let files: Vec<DeliveredFile> = file
                .iter()
                .map(|(f, content)| DeliveredFile {
                    file: f.clone(),
                    content: content.as_deref(),
                })
                .collect();
            let mut detail = i18n::tf(
                &loc,
                "desk.push.status",
                &[("status", &i18n::t(&loc, &format!("conn.status.{status}")))],
            );
            if let Some(t) = &text {
                detail.push_str(&format!("\n{t}"));
            }
            let n = notices(
                &deps.store,
                &deps.config,
                c.account_id,
                "desk.push.connection",
                &c.number,
                Some(&detail),
                Cb::ConnApp(item.id),
            )
            .await?;
            deps.store
                .set_application_status(item.id, &status, text.as_deref(), &files, &n, now)
                .await?;
            "desk.sent"
        }
    };
    let sent = bot
        .send_message(msg.chat.id, i18n::t(&loc, confirmation))
        .reply_parameters(ReplyParameters::new(msg.id).allow_sending_without_reply())
        .await?;
    deps.store
        .map_desk_message(msg.chat.id.0, i64::from(sent.id.0), item)
        .await?;
    desk(&bot, &deps, msg.chat.id).refresh_card(item).await?;
    deps.outbox_wake.notify_one();
    Ok(())
}

// ---------------------------------------------------------------- operator's private chat

/// /queue, /item <number>, /stats for operators. Returns false when the sender is not one.
pub async fn command(ctx: &super::Ctx, name: &str, arg: &str) -> Result<bool, HandlerError> {
    if ctx.store().operator(ctx.chat.0).await?.is_none() {
        return Ok(false);
    }
    let loc = ctx.loc;
    let now = ctx.now();
    match name {
        "queue" => {
            let rows = ctx.store().queue(30).await?;
            let mut text = format!("<b>{}</b>", i18n::t(loc, "desk.queue"));
            if rows.is_empty() {
                text.push_str(&format!("\n{}", i18n::t(loc, "ticket.empty")));
            }
            for r in rows {
                let overdue = if r.deadline.is_some_and(|d| d < now) {
                    "🔥 "
                } else {
                    ""
                };
                text.push_str(&format!(
                    "\n{overdue}{} · {} · {}",
                    esc(&r.number),
                    local(&ctx.deps.config, r.created_at),
                    esc(&r.status)
                ));
            }
            ctx.say(text).await?;
        }
        "item" => {
            let found = match ctx.store().item_by_number(arg.trim()).await? {
                Some(item) => card(ctx.store(), &ctx.deps.config, item).await?,
                None => None,
            };
            match found {
                Some(c) => ctx.say(c.text).await?,
                None => ctx.say(i18n::t(loc, "desk.no_item")).await?,
            }
        }
        _ => {
            let local_midnight = (now + Duration::hours(i64::from(ctx.deps.config.utc_offset_hours)))
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .map(|d| d.and_utc() - Duration::hours(i64::from(ctx.deps.config.utc_offset_hours)))
                .unwrap_or(now);
            let s = ctx.store().stats(now, local_midnight).await?;
            let median = s
                .median_first_answer_secs
                .map(|m| format!("{} ч {} мин", m / 3600, (m % 3600) / 60))
                .unwrap_or_else(|| "—".into());
            ctx.say(i18n::tf(
                loc,
                "desk.stats",
                &[
                    ("open", &s.open.to_string()),
                    ("overdue", &s.overdue.to_string()),
                    ("answered", &s.answered_today.to_string()),
                    ("median", &median),
                    ("failed", &s.failed_deliveries.to_string()),
                    ("queued", &s.queued_for_desk.to_string()),
                ],
            ))
            .await?;
        }
    }
    Ok(true)
}
