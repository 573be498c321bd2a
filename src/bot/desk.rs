//! The operators' desk in the group: operators take items, change their status with the
//! card's buttons and answer by replying to any bot message of the item. The consumer is told
//! through the outbox, in the same transaction as the change. Only operators act; anyone else
//! gets a refusal and nothing changes. Cards themselves are made and posted by `crate::desk`.

use super::cb::Cb;
use super::{Deps, HandlerError, HandlerResult, esc};
use crate::desk::deliver::{Desk, DeskError, action_label};
use crate::desk::{ACT_CLOSE, ACT_DONE, ACT_REJECT, ACT_SCHEDULE, CONN_ACTIONS, Card, card, kind_of, notices};
use crate::domain::tickets::TicketStatus;
use crate::i18n;
use crate::store::desk::{ItemKind, ItemRef};
use crate::store::meters::FileRef;
use crate::store::outbox::OutboxMessage;
use crate::store::tickets::DeliveredFile;
use crate::telegram::{Extras, Priority};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::MessageId;

pub fn is_desk_group(deps: &Deps, chat: ChatId) -> bool {
    deps.config.operator_chat_id == Some(chat.0)
}

impl From<DeskError> for HandlerError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::Send(e) => e.into(),
            DeskError::Store(e) => e.into(),
        }
    }
}

fn desk(deps: &Deps, group: ChatId) -> Desk<'_> {
    Desk {
        tg: &deps.tg,
        store: &deps.store,
        config: &deps.config,
        clock: &deps.clock,
        group,
    }
}

/// A short message in the group as a reply to `to`; it belongs to `item` when given (a reply
/// to it answers the item).
async fn tell_group(deps: &Deps, group: ChatId, to: MessageId, text: &str, item: Option<ItemRef>) -> HandlerResult {
    let sent = deps
        .tg
        .send(group, Priority::Reply, text, Extras::default().reply_to(to))
        .await?;
    if let Some(item) = item {
        for m in sent {
            deps.store.map_desk_message(group.0, i64::from(m.0), item).await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- buttons on a card

/// A button on a card.
pub async fn on_group_callback(update: Update, q: CallbackQuery, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    super::once(&d, &update, async { group_callback(q, deps).await.map(|()| false) }).await
}

async fn group_callback(q: CallbackQuery, deps: Arc<Deps>) -> HandlerResult {
    let loc = deps.config.default_locale.clone();
    let Some(group) = q.message.as_ref().map(|m| m.chat().id) else {
        return Ok(());
    };
    let tg = &deps.tg;
    if deps.store.operator(q.from.id.0 as i64).await?.is_none() {
        tg.answer_callback(&q.id, Some(&i18n::t(&loc, "desk.operators_only")), true)
            .await;
        return Ok(());
    }
    let op = q.from.id.0 as i64;
    let now = deps.clock.now();
    let (item, action) = match q.data.as_deref().and_then(Cb::decode) {
        Some(Cb::DeskTake(k, id)) => (ItemRef { kind: kind_of(k), id }, None),
        Some(Cb::DeskAct(k, id, a)) => (ItemRef { kind: kind_of(k), id }, Some(a)),
        _ => {
            tg.answer_callback(&q.id, None, false).await;
            return Ok(());
        }
    };
    let Some(c) = card(&deps.store, &deps.config, item).await? else {
        tg.answer_callback(&q.id, None, false).await;
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
            let meter = meter_of(&deps, item.id).await?;
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
    tg.answer_callback(&q.id, Some(&answer), false).await;
    if answer != i18n::t(&loc, "desk.ok")
        && let Some((_, card_msg, _)) = deps.store.card(item).await?
    {
        // The instruction also goes to the group, as a reply to the card, so it is not missed.
        tell_group(&deps, group, MessageId(card_msg as i32), &answer, Some(item)).await?;
    }
    desk(&deps, group).refresh_card(item).await?;
    deps.outbox_wake.notify_one();
    Ok(())
}

async fn meter_of(deps: &Deps, request_id: i64) -> Result<i64, HandlerError> {
    Ok(deps
        .store
        .meter_request_by_id(request_id)
        .await?
        .map(|r| r.meter_id)
        .unwrap_or_default())
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

// ---------------------------------------------------------------- replies in the group

/// What an operator attached to a reply: the file reference and, where it can be fetched,
/// the bytes (kept so the document survives a change of bot token).
async fn reply_file(deps: &Deps, msg: &Message) -> Option<(FileRef, Option<Vec<u8>>)> {
    let (file_id, unique, name, mime, size) = if let Some(d) = msg.document() {
        (
            d.file.id.0.clone(),
            d.file.unique_id.0.clone(),
            d.file_name.clone(),
            d.mime_type.as_ref().map(|m| m.to_string()),
            d.file.size,
        )
    } else if let Some(p) = msg.photo().and_then(|p| p.iter().max_by_key(|p| p.width * p.height)) {
        (
            p.file.id.0.clone(),
            p.file.unique_id.0.clone(),
            None,
            Some("image/jpeg".to_owned()),
            p.file.size,
        )
    } else {
        return None;
    };
    let content = deps.tg.download(&file_id, super::files::MAX_FILE_BYTES).await;
    let file = FileRef {
        file_id,
        file_unique_id: unique,
        name,
        mime,
        size: Some(i64::from(size)),
    };
    Some((file, content))
}

/// A reply in the group: the operator's answer to the item the replied-to message belongs to.
pub async fn on_group_message(update: Update, msg: Message, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    super::once(&d, &update, async { group_message(msg, deps).await.map(|()| false) }).await
}

async fn group_message(msg: Message, deps: Arc<Deps>) -> HandlerResult {
    let Some(reply_to) = msg.reply_to_message() else {
        return Ok(());
    };
    let Some(from) = msg.from.as_ref().filter(|u| !u.is_bot) else {
        return Ok(());
    };
    let to_bot = reply_to.from.as_ref().is_some_and(|u| u.is_bot);
    // A reply to a message the bot posted moments ago may arrive before the outbox worker has
    // recorded which item that message is: wait for it a little rather than drop the answer.
    let fresh = to_bot && (Utc::now() - reply_to.date).num_seconds().abs() < 10;
    let wait = if fresh {
        std::time::Duration::from_secs(2)
    } else {
        std::time::Duration::ZERO
    };
    let item = deps
        .store
        .desk_item_waiting(msg.chat.id.0, i64::from(reply_to.id.0), wait)
        .await?;
    let operator = deps.store.operator(from.id.0 as i64).await?.is_some();
    let loc = deps.config.default_locale.clone();
    match (item, operator) {
        (_, false) if item.is_some() || to_bot => {
            tell_group(&deps, msg.chat.id, msg.id, &i18n::t(&loc, "desk.operators_only"), None).await
        }
        (None, true) if to_bot => {
            // A bot message that belongs to no item (an old instruction, a note): say what to do.
            tell_group(&deps, msg.chat.id, msg.id, &i18n::t(&loc, "desk.not_an_item"), None).await
        }
        (Some(item), true) => answer(&deps, &msg, item, from.id.0 as i64).await,
        _ => Ok(()),
    }
}

/// The operator's reply to an item: text and/or a file, with the status they chose before if
/// that choice is still fresh.
async fn answer(deps: &Deps, msg: &Message, item: ItemRef, op: i64) -> HandlerResult {
    let loc = deps.config.default_locale.clone();
    let now = deps.clock.now();
    let text = msg.text().or(msg.caption()).map(str::to_owned);
    let file = reply_file(deps, msg).await;
    let Some(c) = card(&deps.store, &deps.config, item).await? else {
        return Ok(());
    };
    let pending = match deps.store.take_pending(op, item).await? {
        Some((action, at)) if now - at > crate::desk::PENDING_TTL => {
            let note = i18n::tf(&loc, "desk.pending_lapsed", &[("action", &action_label(&loc, &action))]);
            tell_group(deps, msg.chat.id, msg.id, &note, Some(item)).await?;
            None
        }
        other => other.map(|(action, _)| action),
    };
    let files: Vec<DeliveredFile> = file
        .iter()
        .map(|(f, content)| DeliveredFile {
            file: f.clone(),
            content: content.as_deref(),
        })
        .collect();
    let reply = Reply {
        c: &c,
        item,
        op,
        text: text.as_deref(),
        files: &files,
        now,
    };
    let confirmation = match item.kind {
        ItemKind::Ticket => reply.to_ticket(deps).await?,
        ItemKind::MeterRequest => reply.to_meter_request(deps, pending.as_deref()).await?,
        ItemKind::Connection => reply.to_application(deps, pending).await?,
    };
    tell_group(deps, msg.chat.id, msg.id, &i18n::t(&loc, confirmation), Some(item)).await?;
    desk(deps, msg.chat.id).refresh_card(item).await?;
    deps.outbox_wake.notify_one();
    Ok(())
}

/// An operator's reply about to be applied to an item.
struct Reply<'a> {
    c: &'a Card,
    item: ItemRef,
    op: i64,
    text: Option<&'a str>,
    files: &'a [DeliveredFile<'a>],
    now: DateTime<Utc>,
}

impl Reply<'_> {
    /// An answer to a ticket: a push to every chat, and a copy by e-mail when asked for.
    async fn to_ticket(&self, deps: &Deps) -> Result<&'static str, HandlerError> {
        let loc = deps.config.default_locale.as_str();
        let id = self.item.id;
        let mut n = notices(
            &deps.store,
            &deps.config,
            self.c.account_id,
            "desk.push.answer",
            &self.c.number,
            self.text,
            Cb::Ticket(id),
        )
        .await?;
        if let Some(t) = deps.store.ticket_by_id(id).await?
            && t.email_copy
            && let Some(acc) = deps.store.account(t.account_id).await?
            && let Some(to) = acc.email.clone()
        {
            let mut body = i18n::tf(
                loc,
                "desk.mail.body",
                &[("number", &t.number), ("text", self.text.unwrap_or(""))],
            );
            if !self.files.is_empty() {
                body.push_str(&format!("\n\n{}", i18n::t(loc, "desk.mail.files")));
            }
            n.push(OutboxMessage::Email {
                to,
                subject: i18n::tf(loc, "desk.mail.subject", &[("number", &t.number)]),
                body,
            });
        }
        deps.store
            .add_operator_answer(id, self.op, self.text, self.files, &n, self.now)
            .await?;
        Ok("desk.sent")
    }

    /// A reply on a meter request: the visit date after «Назначить дату», else a comment.
    async fn to_meter_request(&self, deps: &Deps, pending: Option<&str>) -> Result<&'static str, HandlerError> {
        let loc = deps.config.default_locale.as_str();
        let id = self.item.id;
        let meter = meter_of(deps, id).await?;
        if pending == Some("schedule") {
            let today = deps.config.today(self.now);
            let Some(date) = self
                .text
                .and_then(|t| crate::domain::meters::parse_date(t, today))
                .filter(|d| *d >= today)
            else {
                deps.store.set_pending(self.op, self.item, "schedule", self.now).await?;
                return Ok("desk.date_bad");
            };
            let detail = i18n::tf(loc, "desk.scheduled", &[("date", &date.format("%d.%m.%Y").to_string())]);
            let n = notices(
                &deps.store,
                &deps.config,
                self.c.account_id,
                "desk.push.scheduled",
                &self.c.number,
                Some(&detail),
                Cb::Meter(meter),
            )
            .await?;
            deps.store
                .set_meter_request_status(id, "scheduled", Some(date), None, &n, self.now)
                .await?;
            return Ok("desk.sent");
        }
        let status = deps
            .store
            .meter_request_by_id(id)
            .await?
            .map(|r| r.status)
            .unwrap_or_default();
        let n = notices(
            &deps.store,
            &deps.config,
            self.c.account_id,
            "desk.push.comment",
            &self.c.number,
            self.text,
            Cb::Meter(meter),
        )
        .await?;
        deps.store
            .set_meter_request_status(id, &status, None, self.text, &n, self.now)
            .await?;
        Ok("desk.sent")
    }

    /// A reply on a connection application: the chosen status (documents issued when a file
    /// comes without one) with the comment and the files.
    async fn to_application(&self, deps: &Deps, pending: Option<String>) -> Result<&'static str, HandlerError> {
        let loc = deps.config.default_locale.as_str();
        let id = self.item.id;
        let current = deps
            .store
            .application_by_id(id)
            .await?
            .map(|(_, a)| a.status)
            .unwrap_or_default();
        let status = pending.unwrap_or_else(|| {
            if self.files.is_empty() {
                current
            } else {
                "documents_issued".into()
            }
        });
        let mut detail = i18n::tf(
            loc,
            "desk.push.status",
            &[("status", &i18n::t(loc, &format!("conn.status.{status}")))],
        );
        if let Some(t) = self.text {
            detail.push_str(&format!("\n{t}"));
        }
        let n = notices(
            &deps.store,
            &deps.config,
            self.c.account_id,
            "desk.push.connection",
            &self.c.number,
            Some(&detail),
            Cb::ConnApp(id),
        )
        .await?;
        deps.store
            .set_application_status(id, &status, self.text, self.files, &n, self.now)
            .await?;
        Ok("desk.sent")
    }
}

// ---------------------------------------------------------------- operator's private chat

/// /queue, /item <number>, /stats for operators. Returns false when the sender is not one.
pub async fn command(ctx: &super::Ctx, name: &str, arg: &str) -> Result<bool, HandlerError> {
    if ctx.store().operator(ctx.chat.0).await?.is_none() {
        return Ok(false);
    }
    let loc = ctx.loc;
    let now = ctx.now();
    let config = &ctx.deps.config;
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
                    config.local_date(r.created_at),
                    esc(&r.status)
                ));
            }
            ctx.say(text).await?;
        }
        "item" => {
            let found = match ctx.store().item_by_number(arg.trim()).await? {
                Some(item) => card(ctx.store(), config, item).await?,
                None => None,
            };
            match found {
                Some(c) => ctx.say(c.text()).await?,
                None => ctx.say(i18n::t(loc, "desk.no_item")).await?,
            }
        }
        _ => {
            let s = ctx.store().stats(now, config.local_midnight(now)).await?;
            let refused = ctx.store().refusals_since(now - Duration::days(1)).await?;
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
                    ("refused", &refused.to_string()),
                ],
            ))
            .await?;
        }
    }
    Ok(true)
}
