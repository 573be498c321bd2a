//! What an operator's reply in the group carries (its file) and whether it may go to the
//! consumer: shared by a reply to an item's card and one to an outage's card.

use super::kinds::{self, On};
use crate::bot::deps::{Deps, HandlerError};
use crate::desk::Card;
use crate::i18n;
use crate::store::meters::FileRef;
use crate::store::operators::ItemRef;
use crate::store::tickets::DeliveredFile;
use teloxide::prelude::*;

/// What an operator attached to a reply: the file reference and, where it can be fetched,
/// the bytes (kept so the document survives a change of bot token).
pub(super) async fn reply_file(deps: &Deps, msg: &Message) -> Option<(FileRef, Option<Vec<u8>>)> {
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

/// Why a reply cannot go to the consumer, if it cannot: the consumer deleted the consumer; the
/// item is closed or final (a ticket or an application reopens with «Открыть снова»).
pub(super) async fn refusal(
    deps: &Deps,
    c: &Card,
    item: ItemRef,
    op: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<String>, HandlerError> {
    let loc = deps.config.default_locale.as_str();
    let gone = deps
        .store
        .consumer(c.consumer_id)
        .await?
        .is_none_or(|a| a.status == crate::store::consumers::ConsumerStatus::Deleted);
    if gone {
        return Ok(Some(i18n::t(loc, "desk.consumer_gone")));
    }
    let on = On { deps, c, item, op, now };
    kinds::of(item.kind).refusal(&on).await
}

/// The reply's file as the answer carries it.
pub(super) fn delivered(file: &Option<(FileRef, Option<Vec<u8>>)>) -> Vec<DeliveredFile<'_>> {
    file.iter()
        .map(|(f, content)| DeliveredFile {
            file: f.clone(),
            content: content.as_deref(),
        })
        .collect()
}
