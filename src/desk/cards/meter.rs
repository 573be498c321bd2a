//! A meter the consumer added, for review: its resource, address, place and verification (a lapsed one marked).

use super::super::{Card, btn, consumer_line, status_line};
use super::Render;
use crate::callback::DeskCb;
use crate::domain::items::{DeskAction, MeterReview};
use crate::i18n;
use crate::store::StoreError;
use crate::telegram::esc;
use teloxide::types::InlineKeyboardMarkup;

/// The card of the meter `id`, `None` when it is gone.
pub async fn render(c: &Render<'_>, id: i64) -> Result<Option<Card>, StoreError> {
    let (store, loc, k, taken, config, now) = (c.store, c.loc, c.kind, &c.taken, c.config, c.now);
    let take = |id| c.take(id);
    let Some(m) = store.meter_for_desk(id).await? else {
        return Ok(None);
    };
    let mut verification = match m.next_verification {
        Some(d) => d.format("%d.%m.%Y").to_string(),
        None => i18n::t(loc, "meters.verification_unknown"),
    };
    if m.next_verification.is_some_and(|d| d < config.today(now)) {
        verification.push_str(&format!(" ⛔ {}", i18n::t(loc, "desk.verification_lapsed")));
    }
    let body = format!(
        "🆕 <b>{} {}</b>\n{}\n{}: {}\n{}: {}\n{}: {}\n{}: {}",
        i18n::t(loc, "desk.new_meter"),
        esc(&m.serial),
        consumer_line(store, loc, m.consumer_id).await?,
        i18n::t(loc, "desk.resource"),
        i18n::t(loc, crate::wording::resource_key(m.resource)),
        i18n::t(loc, "ticket.f.address"),
        esc(&m.address),
        i18n::t(loc, "desk.place"),
        esc(&m.place),
        i18n::t(loc, "desk.verification"),
        verification,
    );
    let footer = format!("{}{taken}", status_line(loc, i18n::t(loc, m.review.key())));
    let mut rows = vec![];
    if m.review == MeterReview::Pending {
        rows.push(take(m.id));
        rows.push(btn(loc, "desk.accept_meter", DeskCb::Act(k, m.id, DeskAction::Done)));
    }
    Ok(Some(Card {
        body,
        footer,
        keyboard: InlineKeyboardMarkup::new(rows),
        files: Vec::new(),
        consumer_id: m.consumer_id,
        number: m.serial,
    }))
}
