//! An application for technological connection: its fields in words, as the consumer's summary reads, the passport number masked unless asked.

use super::super::{Card, btn, consumer_line, status_line};
use super::Render;
use crate::callback::{Buttons, DeskCb};
use crate::domain::items::{ConnStatus, DeskAction, FileOwner};
use crate::i18n;
use crate::store::StoreError;
use crate::telegram::esc;
use crate::wording;
use teloxide::types::InlineKeyboardButton;
use teloxide::types::InlineKeyboardMarkup;

/// The card of the application `id`, `None` when it is gone.
pub async fn render(c: &Render<'_>, id: i64) -> Result<Option<Card>, StoreError> {
    let (store, loc, k, taken, reveal) = (c.store, c.loc, c.kind, &c.taken, c.reveal);
    let take = |id| c.take(id);
    let Some((consumer_id, app)) = store.application_by_id(id).await? else {
        return Ok(None);
    };
    let kind = app.kind;
    let values: crate::domain::connection::Values = serde_json::from_str(&app.fields).unwrap_or_default();
    let mut body = format!(
        "🏗 <b>{} {}</b>\n{}",
        i18n::t(loc, kind.key()),
        esc(&app.number),
        consumer_line(store, loc, consumer_id).await?,
    );
    // In words, as the consumer's summary reads (no `new`, `yes`, ISO dates).
    for f in kind.fields() {
        if let Some(v) = values.get(f.key) {
            let label = wording::label(loc, kind, f.key);
            let value = wording::conn_card_value(loc, f, v, reveal);
            body.push_str(&format!("\n{label}: {}", esc(&value)));
        }
    }
    if !reveal && values.contains_key("passport") {
        let hint = i18n::tf(loc, "desk.passport_hint", &[("number", &esc(&app.number))]);
        body.push_str(&format!("\n{hint}"));
    }
    let footer = format!("{}{taken}", status_line(loc, i18n::t(loc, app.status.key())));
    let mut rows = vec![];
    if !app.status.is_final() {
        rows.push(take(app.id));
        for status in ConnStatus::SET_BY_DESK {
            rows.push(vec![InlineKeyboardButton::callback(
                i18n::t(loc, status.key()),
                DeskCb::Act(k, app.id, DeskAction::Status(status)).encode(),
            )]);
        }
    } else {
        rows.push(btn(loc, "desk.reopen", DeskCb::Act(k, app.id, DeskAction::Reopen)));
    }
    let files = store
        .application_files(app.id)
        .await?
        .into_iter()
        .filter(|(owner, _)| *owner == FileOwner::Connection)
        .map(|(_, f)| f)
        .collect();
    Ok(Some(Card {
        body,
        footer,
        keyboard: InlineKeyboardMarkup::new(rows),
        files,
        consumer_id,
        number: app.number,
    }))
}
