//! The operators' desk in the group: operators take items, change their status with the
//! card's buttons and answer by replying to any bot message of the item. The consumer is told
//! through the outbox, in the same transaction as the change. Only operators act; anyone else
//! gets a refusal and nothing changes. Cards themselves are made and posted by `crate::desk`.

mod callback;
mod commands;
mod reply;

pub use callback::on_group_callback;
pub use commands::command;
pub use reply::on_group_message;

use crate::bot::deps::{Deps, HandlerError, HandlerResult};
use crate::desk::deliver::{Desk, DeskError};
use crate::store::desk::ItemRef;
use crate::telegram::{Extras, Priority};
use teloxide::types::{ChatId, MessageId};

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
/// to it answers the item). Goes through the group's lane: the handler does not wait for the
/// group's 20 messages a minute.
async fn tell_group(deps: &Deps, group: ChatId, to: MessageId, text: &str, item: Option<ItemRef>) -> HandlerResult {
    let (tg, store, text) = (deps.tg.clone(), deps.store.clone(), text.to_owned());
    deps.tg.queue(group, async move {
        let sent = match tg
            .send(group, Priority::Reply, &text, Extras::default().reply_to(to))
            .await
        {
            Ok(sent) => sent,
            Err(e) => {
                tracing::warn!(error = %e, "a notice to the operators' group was not sent");
                return;
            }
        };
        if let Some(item) = item {
            for m in sent {
                if let Err(e) = store.map_desk_message(group.0, i64::from(m.0), item).await {
                    tracing::error!(error = %e, "a notice in the group was not tied to its item");
                }
            }
        }
    });
    Ok(())
}
