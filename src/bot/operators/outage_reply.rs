//! A reply to an outage's card in the group: the answer to every appeal grouped on it that is
//! still open, each consumer told as for a reply to their own card; the card then shows them
//! answered.

use super::kinds::{self, On, Reply};
use super::{desk, tell_group};
use crate::bot::deps::{Deps, HandlerResult};
use crate::desk::card;
use crate::i18n;
use crate::store::operators::{ItemKind, ItemRef};
use teloxide::types::Message;

pub async fn answer_all(deps: &Deps, msg: &Message, outage: i64, op: i64) -> HandlerResult {
    let loc = deps.config.default_locale.clone();
    let now = deps.clock.now();
    let text = msg.text().or(msg.caption()).map(str::to_owned);
    let file = super::incoming::reply_file(deps, msg).await;
    if text.as_deref().is_none_or(|t| t.trim().is_empty()) && file.is_none() {
        return tell_group(deps, msg.chat.id, msg.id, &i18n::t(&loc, "desk.outage_text_only"), None).await;
    }
    let files = super::incoming::delivered(&file);
    let mut answered = 0;
    for t in deps.store.outage_tickets(outage).await? {
        // Answered already, or with a card of its own now (the consumer wrote again): not here.
        if !t.waiting() {
            continue;
        }
        let item = ItemRef {
            kind: ItemKind::Ticket,
            id: t.id,
        };
        let Some(c) = card(&deps.store, &deps.config, now, item).await? else {
            continue;
        };
        // A consumer who deleted their account meanwhile is skipped.
        if super::incoming::refusal(deps, &c, item, op, now).await?.is_some() {
            continue;
        }
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
        kinds::of(ItemKind::Ticket).reply(&reply, None).await?;
        answered += 1;
    }
    tracing::info!(
        operator = op,
        outage,
        answered,
        "the appeals of an outage answered at once"
    );
    let note = i18n::tf(&loc, "desk.outage_answered", &[("n", &answered.to_string())]);
    tell_group(deps, msg.chat.id, msg.id, &note, None).await?;
    desk(deps, msg.chat.id).deliver_outage(outage).await?;
    deps.outbox_wake.notify_one();
    Ok(())
}
