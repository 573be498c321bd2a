//! A reply in the group: the operator's answer to the item the replied-to message belongs to,
//! with the status they chose before (if that choice is still fresh) and any file attached.

use super::incoming::{refusal, reply_file};
use super::kinds::{self, On, Reply};
use super::{desk, tell_group};
use crate::bot::deps::{Deps, HandlerResult};
use crate::desk::card;
use crate::desk::deliver::action_label;
use crate::i18n;
use crate::store::operators::ItemRef;
use std::sync::Arc;
use teloxide::prelude::*;

/// A reply in the group: the operator's answer to the item the replied-to message belongs to.
pub async fn on_group_message(update: Update, msg: Message, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    crate::bot::deps::once(&d, &update, async { group_message(msg, deps).await.map(|()| false) }).await
}

async fn group_message(msg: Message, deps: Arc<Deps>) -> HandlerResult {
    // The desk's commands: /outage, /outages, /announce, and /queue and /stats of this group.
    if let Some(text) = msg.text().filter(|t| t.starts_with('/'))
        && (super::forms::command(&deps, &msg, text).await? || super::commands::in_group(&deps, &msg, text).await?)
    {
        return Ok(());
    }
    let Some(reply_to) = msg.reply_to_message() else {
        return Ok(());
    };
    if topic_root(&msg, reply_to) {
        return Ok(());
    }
    // An admin writing as the group (or a channel): nobody's name would reach the consumer.
    if msg.sender_chat.is_some() && reply_to.from.as_ref().is_some_and(|u| u.is_bot) {
        let loc = deps.config.default_locale.clone();
        return tell_group(&deps, msg.chat.id, msg.id, &i18n::t(&loc, "desk.anonymous"), None).await;
    }
    let Some(from) = msg.from.as_ref().filter(|u| !u.is_bot) else {
        return Ok(());
    };
    let to_bot = reply_to.from.as_ref().is_some_and(|u| u.is_bot);
    // A reply to an outage's card answers every appeal grouped on it.
    if to_bot
        && let Some(outage) = deps
            .store
            .outage_card_at(msg.chat.id.0, i64::from(reply_to.id.0))
            .await?
    {
        let op = from.id.0 as i64;
        if deps.store.operator(op).await?.is_none() {
            let loc = deps.config.default_locale.clone();
            return tell_group(&deps, msg.chat.id, msg.id, &i18n::t(&loc, "desk.operators_only"), None).await;
        }
        return super::outage_reply::answer_all(&deps, &msg, outage, op).await;
    }
    // The next answer of the operator's form (`/outage`, `/announce`), when it replies to its
    // question.
    if to_bot && super::forms::on_reply(&deps, &msg, from.id.0 as i64, reply_to).await? {
        return Ok(());
    }
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

/// In a forum topic every message «replies» to the topic's first message (the service
/// message that made it, the bot's when the bot made the topic): that is no reply to anything,
/// just talk in the topic.
fn topic_root(msg: &Message, reply_to: &Message) -> bool {
    msg.is_topic_message && msg.thread_id.is_some_and(|t| t.0 == reply_to.id)
}

/// An operator edited a reply to a card: the consumer has the first version and gets no
/// other; the group is told (the correction goes as a new reply).
pub async fn on_group_edit(update: Update, msg: Message, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    crate::bot::deps::once(&d, &update, async move {
        let (Some(reply_to), Some(from)) = (msg.reply_to_message(), msg.from.as_ref()) else {
            return Ok(false);
        };
        if topic_root(&msg, reply_to) {
            return Ok(false);
        }
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
    if let Some(refusal) = refusal(deps, &c, item, op, now).await? {
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
    let files = super::incoming::delivered(&file);
    let reply = Reply {
        on: On {
            deps,
            c: &c,
            item,
            op,
            now,
        },
        text: text.as_deref(),
        files: &files,
    };
    let confirmation = kinds::of(item.kind).reply(&reply, pending).await?;
    let confirmation = crate::wording::dated(&i18n::t(&loc, confirmation), deps.config.today(now));
    tell_group(deps, msg.chat.id, msg.id, &confirmation, Some(item)).await?;
    desk(deps, msg.chat.id).refresh_card(item).await?;
    deps.outbox_wake.notify_one();
    Ok(())
}
