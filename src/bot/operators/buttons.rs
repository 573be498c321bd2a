//! A button on a card: take the item, close a ticket, or choose what the operator's next
//! reply does (a visit date, a connection status).

use super::kinds::{self, Answer, On};
use super::{department_name, desk, edit_in_group, tell_group, tell_group_with};
use crate::bot::deps::{Deps, HandlerError, HandlerResult};
use crate::callback::{Buttons, DeskCb, FormCb};
use crate::desk::{Card, card};
use crate::domain::items::DeskAction;
use crate::i18n;
use crate::store::operators::ItemRef;
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

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
    if let Some(cb) = q.data.as_deref().and_then(FormCb::decode) {
        return super::forms::on_button(&deps, &q, cb).await;
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
    let answer = match action {
        DeskAction::Move => move_question(&deps, item, group).await?,
        DeskAction::MoveTo(to) => move_to(&deps, &c, item, to).await?,
        _ => act(&deps, &c, item, op, action).await?,
    };
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
        Answer::Ask(text, buttons) => {
            tg.answer_callback(&q.id, None, false);
            // Under the message pressed: the card, or the question before.
            let at = q.message.as_ref().map(|m| m.id()).unwrap_or(MessageId(0));
            tell_group_with(&deps, group, at, text, Some(item), Some(buttons.clone()))?;
        }
    }
    desk(&deps, group).refresh_card(item).await?;
    deps.outbox_wake.notify_one();
    Ok(())
}

/// Does what the button says and says what the operator is told: «Взять в работу» and
/// «Передать другому» the same for every kind, the rest as the item's kind does it.
async fn act(deps: &Deps, c: &Card, item: ItemRef, op: i64, action: DeskAction) -> Result<Answer, HandlerError> {
    let on = On {
        deps,
        c,
        item,
        op,
        now: deps.clock.now(),
    };
    let kind = kinds::of(item.kind);
    match action {
        DeskAction::Take => {
            // A second press (or a colleague's) changes nothing and tells the consumer nothing.
            if !deps.store.take_card(item, op).await? {
                let loc = deps.config.default_locale.as_str();
                return Ok(Answer::Only(i18n::t(loc, "desk.already_taken")));
            }
            kind.taken(&on).await?;
            Ok(Answer::Done)
        }
        DeskAction::Release => {
            deps.store.release_card(item).await?;
            Ok(Answer::Done)
        }
        _ => kind.act(&on, action).await,
    }
}

/// «Передать в отдел»: the other operators' groups, each named by what it takes.
async fn move_question(deps: &Deps, item: ItemRef, here: ChatId) -> Result<Answer, HandlerError> {
    let loc = deps.config.default_locale.as_str();
    let rows: Vec<Vec<InlineKeyboardButton>> = deps
        .group
        .chats()
        .into_iter()
        .enumerate()
        .filter(|(_, chat)| *chat != here)
        .map(|(i, chat)| {
            vec![InlineKeyboardButton::callback(
                department_name(deps, chat),
                DeskCb::Act(item.kind, item.id, DeskAction::MoveTo(i as u8)).encode(),
            )]
        })
        .collect();
    if rows.is_empty() {
        return Ok(Answer::Only(i18n::t(loc, "desk.no_departments")));
    }
    Ok(Answer::Ask(
        i18n::t(loc, "desk.move_q"),
        InlineKeyboardMarkup::new(rows),
    ))
}

/// The card re-posted in the chosen group (the consumer is not told); the old one says where
/// it went and loses its buttons.
async fn move_to(deps: &Deps, c: &Card, item: ItemRef, to: u8) -> Result<Answer, HandlerError> {
    let loc = deps.config.default_locale.as_str();
    let (Some(target), Some((from, message, _))) = (
        deps.group.chats().get(usize::from(to)).copied(),
        deps.store.card(item).await?,
    ) else {
        return Ok(Answer::Only(i18n::t(loc, "desk.no_departments")));
    };
    if target.0 == from {
        return Ok(Answer::Only(i18n::t(loc, "desk.move_same")));
    }
    if !deps.store.move_card(item, from, target.0, deps.clock.now()).await? {
        return Ok(Answer::Only(i18n::t(loc, "desk.move_same")));
    }
    tracing::info!(item = %c.number, from, to = target.0, "a card moved to another operators' group");
    let moved = i18n::tf(loc, "desk.moved", &[("department", &department_name(deps, target))]);
    let text = format!("{}\n\n{moved}", c.parts().pop().unwrap_or_default());
    edit_in_group(deps, ChatId(from), MessageId(message as i32), text, None)?;
    deps.outbox_wake.notify_one();
    Ok(Answer::Done)
}
