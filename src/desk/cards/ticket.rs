//! An appeal, complaint, request or document request: the consumer's first message, its fields, its deadline.

use super::super::{Card, btn, consumer_line, field_lines, status_line};
use super::Render;
use crate::callback::DeskCb;
use crate::domain::items::DeskAction;
use crate::i18n;
use crate::store::StoreError;
use crate::telegram::esc;
use teloxide::types::InlineKeyboardMarkup;

/// The card of the ticket `id`, `None` when it is gone.
pub async fn render(c: &Render<'_>, id: i64) -> Result<Option<Card>, StoreError> {
    let (store, loc, k, taken, config) = (c.store, c.loc, c.kind, &c.taken, c.config);
    let take = |id| c.take(id);
    let Some(t) = store.ticket_by_id(id).await? else {
        return Ok(None);
    };
    let messages = store.ticket_messages(t.id).await?;
    let first = messages.first().and_then(|m| m.text.clone()).unwrap_or_default();
    let mut body = format!(
        "📨 <b>{} {}</b>\n{}\n{}: {}",
        i18n::t(loc, t.kind.key()),
        esc(&t.number),
        consumer_line(store, loc, t.consumer_id).await?,
        i18n::t(loc, "ticket.f.topic"),
        esc(&t.topic),
    );
    body.push_str(&field_lines(loc, &t.fields()));
    if t.rating.is_some() {
        let words = crate::desk::deliver::rating_words(&t);
        body.push_str(&format!(
            "\n{}",
            i18n::tf(loc, "desk.event.rated", &[("text", &esc(&words))])
        ));
    }
    if !first.is_empty() {
        body.push_str(&format!("\n\n{}", esc(&first)));
    }
    let footer = format!(
        "{}\n{}{taken}",
        status_line(loc, crate::wording::ticket_status(loc, &t)),
        i18n::tf(loc, "desk.deadline", &[("date", &config.local_date(t.deadline))])
    );
    let mut rows = vec![];
    if t.status.is_open() {
        rows.push(take(t.id));
        rows.push(btn(loc, "desk.close", DeskCb::Act(k, t.id, DeskAction::Close)));
    } else {
        rows.push(btn(loc, "desk.reopen", DeskCb::Act(k, t.id, DeskAction::Reopen)));
    }
    let first_id = messages.first().map(|m| m.id);
    let files = store
        .ticket_files(t.id)
        .await?
        .into_iter()
        .filter(|f| Some(f.owner_id) == first_id)
        .collect();
    Ok(Some(Card {
        body,
        footer,
        keyboard: InlineKeyboardMarkup::new(rows),
        files,
        consumer_id: t.consumer_id,
        number: t.number,
    }))
}
