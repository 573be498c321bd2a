//! A button on a card: take the item, close a ticket, or choose what the operator's next
//! reply does (a visit date, a connection status).

use super::kinds::{self, Answer, On};
use super::{desk, tell_group};
use crate::bot::deps::{Deps, HandlerError, HandlerResult};
use crate::callback::{Buttons, DeskCb};
use crate::desk::{Card, card};
use crate::domain::items::DeskAction;
use crate::i18n;
use crate::store::operators::ItemRef;
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
