//! A button on a card: take the item, close a ticket, or choose what the operator's next
//! reply does (a visit date, a connection status).

use super::{desk, tell_group};
use crate::bot::deps::{Deps, HandlerError, HandlerResult};
use crate::callback::{Buttons, ConnCb, DeskCb, MetersCb, TicketsCb};
use crate::desk::{Card, card, notices};
use crate::domain::items::{ConnStatus, DeskAction, ItemKind, MeterRequestKind, MeterRequestStatus};
use crate::domain::tickets::TicketStatus;
use crate::i18n;
use crate::store::desk::ItemRef;
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::MessageId;

pub async fn on_group_callback(update: Update, q: CallbackQuery, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    crate::bot::deps::once(&d, &update, async { group_callback(q, deps).await.map(|()| false) }).await
}

async fn group_callback(q: CallbackQuery, deps: Arc<Deps>) -> HandlerResult {
    let loc = deps.config.default_locale.clone();
    let Some(group) = q.message.as_ref().map(|m| m.chat().id) else {
        return Ok(());
    };
    let tg = &deps.tg;
    if deps.store.operator(q.from.id.0 as i64).await?.is_none() {
        tg.answer_callback(&q.id, Some(&i18n::t(&loc, "desk.operators_only")), true);
        return Ok(());
    }
    let Some(DeskCb::Act(kind, id, action)) = q.data.as_deref().and_then(DeskCb::decode) else {
        tg.answer_callback(&q.id, None, false);
        return Ok(());
    };
    let item = ItemRef { kind, id };
    let Some(c) = card(&deps.store, &deps.config, deps.clock.now(), item).await? else {
        tg.answer_callback(&q.id, None, false);
        return Ok(());
    };
    let op = q.from.id.0 as i64;
    let answer = act(&deps, &c, item, op, action).await?;
    match &answer {
        Answer::Done => tg.answer_callback(&q.id, Some(&i18n::t(&loc, "desk.ok")), false),
        Answer::Only(text) => {
            tg.answer_callback(&q.id, Some(text), true);
        }
        Answer::Next(text) => {
            tg.answer_callback(&q.id, Some(text), false);
            // The instruction also goes to the group, as a reply to the card, so it is not
            // missed.
            if let Some((_, card_msg, _)) = deps.store.card(item).await? {
                tell_group(&deps, group, MessageId(card_msg as i32), text, Some(item)).await?;
            }
        }
    }
    desk(&deps, group).refresh_card(item).await?;
    deps.outbox_wake.notify_one();
    Ok(())
}

/// What the operator who pressed is told.
enum Answer {
    /// «Готово».
    Done,
    /// What the next reply to the card does (shown, and posted under the card).
    Next(String),
    /// Only to the operator who pressed (nothing changed).
    Only(String),
}

/// Does what the button says and says what the operator is told.
async fn act(deps: &Deps, c: &Card, item: ItemRef, op: i64, action: DeskAction) -> Result<Answer, HandlerError> {
    let loc = deps.config.default_locale.as_str();
    let now = deps.clock.now();
    match (item.kind, action) {
        (_, DeskAction::Take) => {
            // A second press (or a colleague's) changes nothing and tells the consumer nothing.
            if !deps.store.take_card(item, op).await? {
                return Ok(Answer::Only(i18n::t(loc, "desk.already_taken")));
            }
            if item.kind == ItemKind::Ticket {
                ticket_status(deps, c, item.id, TicketStatus::InProgress, "desk.push.in_progress").await?;
            }
        }
        (_, DeskAction::Release) => deps.store.release_card(item).await?,
        (ItemKind::Ticket, DeskAction::Close) => {
            ticket_status(deps, c, item.id, TicketStatus::Closed, "desk.push.closed").await?
        }
        (_, DeskAction::Reopen) => reopen(deps, c, item).await?,
        (ItemKind::MeterRequest, DeskAction::Schedule) => {
            deps.store.set_pending(op, item, action, now).await?;
            return Ok(Answer::Next(i18n::t(loc, "desk.reply_with_date")));
        }
        // A verification is done by its certificate: the operator's reply brings it.
        (ItemKind::MeterRequest, DeskAction::Done)
            if deps.store.meter_request_by_id(item.id).await?.map(|r| r.kind)
                == Some(MeterRequestKind::Verification) =>
        {
            deps.store.set_pending(op, item, action, now).await?;
            return Ok(Answer::Next(i18n::t(loc, "desk.reply_with_certificate")));
        }
        (ItemKind::MeterRequest, DeskAction::Done | DeskAction::Reject) => {
            let (status, key) = if action == DeskAction::Done {
                (MeterRequestStatus::Done, "desk.push.done")
            } else {
                (MeterRequestStatus::Rejected, "desk.push.rejected")
            };
            let meter = meter_of(deps, item.id).await?;
            let n = notices(
                &deps.store,
                &deps.config,
                c.account_id,
                key,
                &c.number,
                None,
                MetersCb::Meter(meter),
            )
            .await?;
            deps.store
                .set_meter_request_status(item.id, status, None, None, &n, now)
                .await?;
        }
        (ItemKind::Meter, DeskAction::Done) => {
            let n = notices(
                &deps.store,
                &deps.config,
                c.account_id,
                "desk.push.meter_accepted",
                &c.number,
                None,
                MetersCb::Meter(item.id),
            )
            .await?;
            if !deps.store.accept_meter(item.id, &n, now).await? {
                return Ok(Answer::Only(i18n::t(loc, "desk.meter_accepted_already")));
            }
        }
        (ItemKind::Connection, DeskAction::Status(status)) => {
            deps.store.set_pending(op, item, action, now).await?;
            let status = i18n::t(loc, &format!("conn.status.{status}"));
            return Ok(Answer::Next(i18n::tf(
                loc,
                "desk.reply_with_comment",
                &[("status", &status)],
            )));
        }
        // A button that does not belong to this kind of card: nothing to do.
        _ => {}
    }
    Ok(Answer::Done)
}

/// «Открыть снова» on a closed ticket (in progress again) or a final application (under
/// review again); the consumer is told.
async fn reopen(deps: &Deps, c: &Card, item: ItemRef) -> HandlerResult {
    let id = item.id;
    // A second press, or one on an old card, finds it open already: nothing to do.
    match item.kind {
        ItemKind::Ticket => {
            let closed = deps.store.ticket_by_id(id).await?.is_some_and(|t| !t.status.is_open());
            if closed {
                ticket_status(deps, c, id, TicketStatus::InProgress, "desk.push.in_progress").await?;
            }
            return Ok(());
        }
        ItemKind::Connection => {
            let fin = deps
                .store
                .application_by_id(id)
                .await?
                .is_some_and(|(_, a)| a.status.is_final());
            if !fin {
                return Ok(());
            }
        }
        ItemKind::MeterRequest | ItemKind::Meter => return Ok(()),
    }
    let loc = deps.config.default_locale.as_str();
    let status = ConnStatus::UnderReview;
    let detail = i18n::tf(
        loc,
        "desk.push.status",
        &[("status", &i18n::t(loc, &format!("conn.status.{status}")))],
    );
    let n = notices(
        &deps.store,
        &deps.config,
        c.account_id,
        "desk.push.connection",
        &c.number,
        Some(&detail),
        ConnCb::ConnApp(id),
    )
    .await?;
    deps.store
        .set_application_status(id, status, None, &[], &n, deps.clock.now())
        .await?;
    Ok(())
}

pub(super) async fn meter_of(deps: &Deps, request_id: i64) -> Result<i64, HandlerError> {
    Ok(deps
        .store
        .meter_request_by_id(request_id)
        .await?
        .map(|r| r.meter_id)
        .unwrap_or_default())
}

/// A ticket's status set by the desk, with the consumer told in the same transaction (the
/// push's words agree with the ticket's kind: `push_key.{kind}`).
async fn ticket_status(deps: &Deps, c: &Card, id: i64, status: TicketStatus, push_key: &str) -> HandlerResult {
    let Some(ticket) = deps.store.ticket_by_id(id).await? else {
        return Ok(());
    };
    let n = notices(
        &deps.store,
        &deps.config,
        c.account_id,
        &format!("{push_key}.{}", ticket.kind),
        &c.number,
        None,
        TicketsCb::Ticket(id),
    )
    .await?;
    deps.store
        .set_ticket_status_by_desk(id, status, &n, deps.clock.now())
        .await?;
    Ok(())
}
