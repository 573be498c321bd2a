//! A reply in the group: the operator's answer to the item the replied-to message belongs to,
//! with the status they chose before (if that choice is still fresh) and any file attached.

use super::callback::meter_of;
use super::{desk, tell_group};
use crate::bot::deps::{Deps, HandlerError, HandlerResult};
use crate::callback::{ConnCb, MetersCb, TicketsCb};
use crate::desk::deliver::action_label;
use crate::desk::{Card, card, notices};
use crate::domain::items::{ConnStatus, DeskAction, ItemKind, MeterRequestStatus};
use crate::i18n;
use crate::store::desk::ItemRef;
use crate::store::meters::FileRef;
use crate::store::outbox::OutboxMessage;
use crate::store::tickets::DeliveredFile;
use crate::wording;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use teloxide::prelude::*;

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
    let content = deps.tg.download(&file_id, crate::policy::MAX_FILE_BYTES).await;
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
    crate::bot::deps::once(&d, &update, async { group_message(msg, deps).await.map(|()| false) }).await
}

async fn group_message(msg: Message, deps: Arc<Deps>) -> HandlerResult {
    let Some(reply_to) = msg.reply_to_message() else {
        return Ok(());
    };
    // An admin writing as the group (or a channel): nobody's name would reach the consumer.
    if msg.sender_chat.is_some() && reply_to.from.as_ref().is_some_and(|u| u.is_bot) {
        let loc = deps.config.default_locale.clone();
        return tell_group(&deps, msg.chat.id, msg.id, &i18n::t(&loc, "desk.anonymous"), None).await;
    }
    let Some(from) = msg.from.as_ref().filter(|u| !u.is_bot) else {
        return Ok(());
    };
    let to_bot = reply_to.from.as_ref().is_some_and(|u| u.is_bot);
    // A reply to a message the bot posted moments ago may arrive before the outbox worker has
    // recorded which item that message is: wait for it a little rather than drop the answer.
    let fresh = to_bot && (deps.clock.now() - reply_to.date).num_seconds().abs() < 10;
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

/// An operator edited a reply to a card: the consumer has the first version and gets no
/// other; the group is told (the correction goes as a new reply).
pub async fn on_group_edit(update: Update, msg: Message, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    crate::bot::deps::once(&d, &update, async move {
        let (Some(reply_to), Some(from)) = (msg.reply_to_message(), msg.from.as_ref()) else {
            return Ok(false);
        };
        let item = deps
            .store
            .desk_item_waiting(msg.chat.id.0, i64::from(reply_to.id.0), std::time::Duration::ZERO)
            .await?;
        if item.is_some() && deps.store.operator(from.id.0 as i64).await?.is_some() {
            let loc = deps.config.default_locale.clone();
            tell_group(&deps, msg.chat.id, msg.id, &i18n::t(&loc, "desk.edit_not_sent"), None).await?;
        }
        Ok(false)
    })
    .await
}

/// The operator's reply to an item: text and/or a file, with the status they chose before if
/// that choice is still fresh.
async fn answer(deps: &Deps, msg: &Message, item: ItemRef, op: i64) -> HandlerResult {
    let loc = deps.config.default_locale.clone();
    let now = deps.clock.now();
    let text = msg.text().or(msg.caption()).map(str::to_owned);
    let file = reply_file(deps, msg).await;
    let Some(c) = card(&deps.store, &deps.config, deps.clock.now(), item).await? else {
        return Ok(());
    };
    if let Some(refusal) = refusal(deps, &c, item).await? {
        return tell_group(deps, msg.chat.id, msg.id, &refusal, Some(item)).await;
    }
    let pending = match deps.store.take_pending(op, item).await? {
        Some((action, at)) if now - at > crate::desk::PENDING_TTL => {
            let note = i18n::tf(&loc, "desk.pending_lapsed", &[("action", &action_label(&loc, action))]);
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
        ItemKind::MeterRequest => reply.to_meter_request(deps, pending).await?,
        ItemKind::Connection => reply.to_application(deps, pending).await?,
        ItemKind::Meter => reply.to_meter(deps).await?,
    };
    tell_group(deps, msg.chat.id, msg.id, &i18n::t(&loc, confirmation), Some(item)).await?;
    desk(deps, msg.chat.id).refresh_card(item).await?;
    deps.outbox_wake.notify_one();
    Ok(())
}

/// Why a reply cannot go to the consumer, if it cannot: the consumer deleted the account; the
/// item is closed or final (a ticket or an application reopens with «Открыть снова»).
async fn refusal(deps: &Deps, c: &Card, item: ItemRef) -> Result<Option<String>, HandlerError> {
    let loc = deps.config.default_locale.as_str();
    let gone = deps
        .store
        .account(c.account_id)
        .await?
        .is_none_or(|a| a.status == crate::store::accounts::AccountStatus::Deleted);
    if gone {
        return Ok(Some(i18n::t(loc, "desk.account_gone")));
    }
    let closed = |status: String| i18n::tf(loc, "desk.closed_item", &[("number", &c.number), ("status", &status)]);
    Ok(match item.kind {
        ItemKind::Ticket => deps
            .store
            .ticket_by_id(item.id)
            .await?
            .filter(|t| !t.status.is_open())
            .map(|t| closed(i18n::t(loc, &t.status.label_key(t.kind)))),
        ItemKind::Connection => deps
            .store
            .application_by_id(item.id)
            .await?
            .map(|(_, a)| a.status)
            .filter(|s| s.is_final())
            .map(|s| closed(i18n::t(loc, &format!("conn.status.{s}")))),
        ItemKind::MeterRequest => deps
            .store
            .meter_request_by_id(item.id)
            .await?
            .filter(|r| !r.status.is_open())
            .map(|r| {
                i18n::tf(
                    loc,
                    "desk.final_request",
                    &[
                        ("number", &c.number),
                        ("status", &i18n::t(loc, &format!("req_status.{}", r.status))),
                    ],
                )
            }),
        ItemKind::Meter => None,
    })
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
            TicketsCb::Ticket(id),
        )
        .await?;
        if let Some(t) = deps.store.ticket_by_id(id).await?
            && t.email_copy
            && let Some(acc) = deps.store.account(t.account_id).await?
            && let Some(to) = acc.email.clone()
        {
            let text = self.text.unwrap_or("");
            let org = deps.config.org_signature(loc);
            // By name; and the operator's own greeting is not preceded by a second one.
            let greeting = if wording::starts_with_greeting(text) {
                String::new()
            } else {
                let name = acc.name.as_deref().map(|n| wording::addressed(acc.kind, n));
                match name {
                    Some(name) => i18n::tf(loc, "desk.mail.hello_name", &[("name", &name)]),
                    None => i18n::t(loc, "desk.mail.hello"),
                }
            };
            let mut body = i18n::tf(
                loc,
                "desk.mail.body",
                &[
                    ("hello", &greeting),
                    ("number", &t.number),
                    ("text", text),
                    ("org", &org),
                ],
            );
            if !self.files.is_empty() {
                body.push_str(&format!("\n\n{}", i18n::t(loc, "desk.mail.files")));
            }
            n.push(OutboxMessage::Email {
                to,
                subject: i18n::tf(loc, "desk.mail.subject", &[("number", &t.number), ("org", &org)]),
                body,
                code: false,
            });
        }
        deps.store
            .add_operator_answer(id, self.op, self.text, self.files, &n, self.now)
            .await?;
        Ok("desk.sent")
    }

    /// A reply on a meter request: the visit date after «Назначить дату», else a comment.
    async fn to_meter_request(&self, deps: &Deps, pending: Option<DeskAction>) -> Result<&'static str, HandlerError> {
        let loc = deps.config.default_locale.as_str();
        let id = self.item.id;
        let meter = meter_of(deps, id).await?;
        if pending == Some(DeskAction::Schedule) {
            let today = deps.config.today(self.now);
            let Some(date) = self
                .text
                .and_then(|t| crate::domain::meters::parse_date(t, today))
                .filter(|d| *d >= today)
            else {
                deps.store
                    .set_pending(self.op, self.item, DeskAction::Schedule, self.now)
                    .await?;
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
                MetersCb::Meter(meter),
            )
            .await?;
            deps.store
                .set_meter_request_status(id, MeterRequestStatus::Scheduled, Some(date), None, &n, self.now)
                .await?;
            return Ok("desk.sent");
        }
        if pending == Some(DeskAction::Done) {
            return self.verified(deps, meter).await;
        }
        let Some(status) = deps.store.meter_request_by_id(id).await?.map(|r| r.status) else {
            return Ok("desk.no_item");
        };
        let n = notices(
            &deps.store,
            &deps.config,
            self.c.account_id,
            "desk.push.comment",
            &self.c.number,
            self.text,
            MetersCb::Meter(meter),
        )
        .await?;
        deps.store
            .set_meter_request_status(id, status, None, self.text, &n, self.now)
            .await?;
        Ok("desk.sent")
    }

    /// The reply after «Выполнено» on a verification request: the certificate (a file) with
    /// the next verification date in its caption closes it; anything less is asked again.
    async fn verified(&self, deps: &Deps, meter: i64) -> Result<&'static str, HandlerError> {
        let loc = deps.config.default_locale.as_str();
        let today = deps.config.today(self.now);
        let date = self
            .text
            .and_then(|t| {
                t.split_whitespace()
                    .find_map(|w| crate::domain::meters::parse_date(w, today))
            })
            .filter(|d| *d > today);
        let (Some(date), false) = (date, self.files.is_empty()) else {
            deps.store
                .set_pending(self.op, self.item, DeskAction::Done, self.now)
                .await?;
            return Ok("desk.certificate_needed");
        };
        let shown = date.format("%d.%m.%Y").to_string();
        let detail = i18n::tf(loc, "desk.verified_detail", &[("date", &shown)]);
        let n = notices(
            &deps.store,
            &deps.config,
            self.c.account_id,
            "desk.push.verified",
            &self.c.number,
            Some(&detail),
            MetersCb::Meter(meter),
        )
        .await?;
        deps.store
            .complete_verification(self.item.id, date, self.files, &n, self.now)
            .await?;
        Ok("desk.sent")
    }

    /// A reply on a new meter's card: the operators' question or remark, to the consumer.
    async fn to_meter(&self, deps: &Deps) -> Result<&'static str, HandlerError> {
        let n = notices(
            &deps.store,
            &deps.config,
            self.c.account_id,
            "desk.push.meter_comment",
            &self.c.number,
            self.text,
            MetersCb::Meter(self.item.id),
        )
        .await?;
        deps.store.tell_about_meter(&n, self.now).await?;
        Ok("desk.sent")
    }

    /// A reply on a connection application: the chosen status (documents issued when a file
    /// comes without one) with the comment and the files.
    async fn to_application(&self, deps: &Deps, pending: Option<DeskAction>) -> Result<&'static str, HandlerError> {
        let loc = deps.config.default_locale.as_str();
        let id = self.item.id;
        let Some(current) = deps.store.application_by_id(id).await?.map(|(_, a)| a.status) else {
            return Ok("desk.no_item");
        };
        let status = match pending {
            Some(DeskAction::Status(s)) => s,
            _ if self.files.is_empty() => current,
            _ => ConnStatus::DocumentsIssued,
        };
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
            ConnCb::ConnApp(id),
        )
        .await?;
        deps.store
            .set_application_status(id, status, self.text, self.files, &n, self.now)
            .await?;
        Ok("desk.sent")
    }
}
