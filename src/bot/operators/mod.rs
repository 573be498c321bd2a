//! The operators' desk in the group: operators take items, change their status with the
//! card's buttons and answer by replying to any bot message of the item. The consumer is told
//! through the outbox, in the same transaction as the change. Only operators act; anyone else
//! gets a refusal and nothing changes. Cards themselves are made and posted by `crate::desk`.

mod buttons;
mod commands;
mod forms;
mod incoming;
mod kinds;
mod outage_reply;
mod reply;

pub use buttons::on_group_callback;
pub use commands::command;
pub use reply::{on_group_edit, on_group_message};

use crate::bot::deps::{Deps, HandlerError, HandlerResult};
use crate::desk::deliver::{Desk, DeskError};
use crate::store::operators::ItemRef;
use crate::telegram::{Extras, Priority};
use std::sync::Arc;
use teloxide::types::{ChatId, ChatMemberUpdated, Message, MessageId, Update};

pub fn is_desk_group(deps: &Deps, chat: ChatId) -> bool {
    deps.group.is(chat)
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
    tell_group_with(deps, group, to, text, item, None)
}

/// `tell_group` with buttons under the notice.
fn tell_group_with(
    deps: &Deps,
    group: ChatId,
    to: MessageId,
    text: &str,
    item: Option<ItemRef>,
    buttons: Option<teloxide::types::InlineKeyboardMarkup>,
) -> HandlerResult {
    let (tg, store, text) = (deps.tg.clone(), deps.store.clone(), text.to_owned());
    let extras = Extras {
        markup: buttons.map(Into::into),
        reply_to: Some(to),
        thread: None,
    };
    deps.tg.queue(group, async move {
        let sent = match tg.send(group, Priority::Reply, &text, extras).await {
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

/// The command a group message names, if it is addressed to this bot: «/queue» of
/// «/queue@kabinet_bot 5» (none for «/queue@another_bot»).
fn group_command<'a>(deps: &Deps, text: &'a str) -> Option<&'a str> {
    let head = text.split_whitespace().next()?;
    let (name, to) = head.split_once('@').unwrap_or((head, ""));
    (to.is_empty() || to.eq_ignore_ascii_case(&deps.bot_username)).then_some(name)
}

/// Replaces a bot message in a group (through the group's lane); without `buttons` it loses
/// those it had.
fn edit_in_group(
    deps: &Deps,
    chat: ChatId,
    message: MessageId,
    text: String,
    buttons: Option<teloxide::types::InlineKeyboardMarkup>,
) -> HandlerResult {
    let tg = deps.tg.clone();
    deps.tg.queue(chat, async move {
        let markup = buttons.unwrap_or_else(|| teloxide::types::InlineKeyboardMarkup::new(Vec::<Vec<_>>::new()));
        if let Err(e) = tg.edit(chat, message, &text, Some(markup.into())).await {
            tracing::warn!(error = %e, "a message in the operators' group was not edited");
        }
    });
    Ok(())
}

/// An operators' group as operators call it: what its mappings name, or «Основная группа».
fn department_name(deps: &Deps, chat: ChatId) -> String {
    let loc = deps.config.default_locale.as_str();
    match deps.group.takes(chat) {
        t if t.is_empty() => crate::i18n::t(loc, "desk.main_group"),
        t => crate::i18n::tf(loc, "desk.department", &[("takes", &t)]),
    }
}

/// Telegram tells the bot its own membership changed. In the operators' group: removed or not
/// allowed to write, the cards wait (and the log, /readyz and the metrics say so); back, what
/// waited goes out at once.
pub async fn on_my_chat_member(update: Update, m: ChatMemberUpdated, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    crate::bot::deps::once(&d, &update, async move {
        if !deps.group.is(m.chat.id) {
            return Ok(false);
        }
        use teloxide::types::ChatMemberKind as K;
        let can_post = match &m.new_chat_member.kind {
            K::Owner(_) | K::Administrator(_) | K::Member(_) => true,
            K::Restricted(r) => r.is_member && r.can_send_messages,
            K::Left | K::Banned(_) => false,
        };
        if can_post {
            deps.group.unblock(m.chat.id);
            deps.store.outbox_desk_due_now(deps.clock.now()).await?;
            // The outbox worker may run in another process (the leader), which knows the group
            // as blocked until told.
            deps.store.group_opened(m.chat.id.0).await;
            deps.outbox_wake.notify_one();
        } else {
            let why = match &m.new_chat_member.kind {
                K::Restricted(_) => "the bot may not write in the group",
                _ => "the bot was removed from the group",
            };
            deps.group.block(m.chat.id, why);
        }
        Ok(false)
    })
    .await
}

/// The group became a supergroup: Telegram says so in the old group (`migrate_to_chat_id`) and
/// in the new one (`migrate_from_chat_id`). The bot moves to the new id at once.
pub async fn on_migration(update: Update, msg: Message, deps: Arc<Deps>) -> HandlerResult {
    let d = deps.clone();
    crate::bot::deps::once(&d, &update, async move {
        let (from, to) = match (msg.migrate_to_chat_id(), msg.migrate_from_chat_id()) {
            (Some(to), _) => (msg.chat.id, *to),
            (_, Some(from)) => (*from, msg.chat.id),
            _ => return Ok(false),
        };
        if deps.group.is(from) {
            deps.store.record_chat_migration(from.0, to.0, deps.clock.now()).await?;
            deps.group.moved(from, to.0);
            deps.store.outbox_desk_due_now(deps.clock.now()).await?;
            deps.outbox_wake.notify_one();
        }
        Ok(false)
    })
    .await
}
