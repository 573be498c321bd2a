//! A meter request (taking, commissioning, replacement, verification): the meter, the address, the preferred date and the details.

use super::super::{Card, btn, consumer_line, status_line};
use super::Render;
use crate::callback::{Buttons, DeskCb};
use crate::callback::{ReplaceReason, TimeOfDay};
use crate::domain::items::DeskAction;
use crate::i18n;
use crate::store::StoreError;
use crate::telegram::esc;
use crate::wording;
use serde::Deserialize;
use teloxide::types::InlineKeyboardButton;
use teloxide::types::InlineKeyboardMarkup;

/// The card of the meter request `id`, `None` when it is gone.
pub async fn render(c: &Render<'_>, id: i64) -> Result<Option<Card>, StoreError> {
    let (store, loc, k, taken) = (c.store, c.loc, c.kind, &c.taken);
    let take = |id| c.take(id);
    let Some(q) = store.meter_request_by_id(id).await? else {
        return Ok(None);
    };
    let mut body = format!(
        "🔧 <b>{} {}</b>\n{}\n{}: {} ({})\n{}: {}\n{}: {}",
        i18n::t(loc, q.kind.key()),
        esc(&q.number),
        consumer_line(store, loc, q.consumer_id).await?,
        i18n::t(loc, "desk.meter"),
        esc(&q.serial),
        i18n::t(loc, crate::wording::resource_key(q.resource)),
        i18n::t(loc, "ticket.f.address"),
        esc(&q.address),
        i18n::t(loc, "req.f.date"),
        q.preferred_date.format("%d.%m.%Y"),
    );
    if let Some(number) = &q.account {
        body.push_str(&format!("\n{}: {}", i18n::t(loc, "ticket.f.account"), esc(number)));
    }
    body.push_str(&request_details(loc, &q.details));
    let mut footer = status_line(loc, i18n::t(loc, q.status.key()));
    if let Some(d) = q.scheduled_for {
        footer.push_str(&format!(
            "\n{}",
            i18n::tf(loc, "desk.scheduled", &[("date", &d.format("%d.%m.%Y").to_string())])
        ));
    }
    footer.push_str(taken);
    let mut rows = vec![];
    if q.status.is_open() {
        rows.push(take(q.id));
        rows.push(btn(loc, "desk.schedule", DeskCb::Act(k, q.id, DeskAction::Schedule)));
        rows.push(vec![
            InlineKeyboardButton::callback(
                i18n::t(loc, "desk.done"),
                DeskCb::Act(k, q.id, DeskAction::Done).encode(),
            ),
            InlineKeyboardButton::callback(
                i18n::t(loc, "desk.reject"),
                DeskCb::Act(k, q.id, DeskAction::Reject).encode(),
            ),
        ]);
    }
    let files = store.meter_request_files(q.id).await?;
    Ok(Some(Card {
        body,
        footer,
        keyboard: InlineKeyboardMarkup::new(rows),
        files,
        consumer_id: q.consumer_id,
        number: q.number,
    }))
}

/// A meter request's own details (time of day, reason, installer, …) as lines.
fn request_details(loc: &str, details: &str) -> String {
    let details: serde_json::Value = serde_json::from_str(details).unwrap_or_default();
    let mut out = String::new();
    for (field, label) in [
        ("time_of_day", "req.f.tod"),
        ("reason", "req.f.reason"),
        ("reason_text", "req.f.reason"),
        ("install_date", "req.f.install_date"),
        ("installer", "req.f.installer"),
        ("seal", "req.f.seal"),
        ("readings", "req.f.readings"),
        ("comment", "req.f.comment"),
    ] {
        let value = match (field, &details[field]) {
            (_, serde_json::Value::Null) => continue,
            ("time_of_day", v) => match TimeOfDay::deserialize(v) {
                Ok(tod) => i18n::t(loc, tod.key()),
                Err(_) => continue,
            },
            ("reason", v) => match ReplaceReason::deserialize(v) {
                Ok(reason) => i18n::t(loc, reason.key()),
                Err(_) => continue,
            },
            ("install_date", serde_json::Value::String(v)) => wording::date_text(v),
            (_, serde_json::Value::String(v)) => v.clone(),
            (_, serde_json::Value::Array(a)) if a.is_empty() => continue,
            (_, serde_json::Value::Array(a)) => a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", "),
            (_, other) => other.to_string(),
        };
        out.push_str(&format!("\n{}: {}", i18n::t(loc, label), esc(&value)));
    }
    out
}
