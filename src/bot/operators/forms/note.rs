//! «N: пояснение» in `/outages`: a published outage's note for consumers changed or removed. It
//! shows in «Отключения» and in the outage's next notices; by itself it is not a change
//! consumers are told of (they hear again when the outage is extended or closed).

use super::{Next, On, Screen};
use crate::bot::deps::HandlerError;
use crate::callback::FormCb;
use crate::telegram::esc;
use teloxide::types::InlineKeyboardMarkup;

/// The longest note (as the form's).
const MAX_NOTE: usize = 500;

pub(super) async fn screen(on: &On<'_>, outage: i64) -> Result<Screen, HandlerError> {
    let Some(o) = on.deps.store.outage_by_id(outage).await? else {
        return Ok(Screen {
            text: on.t("outdesk.gone"),
            buttons: None,
        });
    };
    let note = if o.reason.is_empty() {
        on.t("outdesk.no_note_now")
    } else {
        esc(&o.reason)
    };
    let max = MAX_NOTE.to_string();
    let args = [
        ("number", o.number.as_str()),
        ("area", &esc(&o.area)),
        ("note", &note),
        ("max", &max),
    ];
    Ok(Screen {
        text: on.tf("outdesk.q_note", &args),
        buttons: Some(InlineKeyboardMarkup::new(vec![
            vec![on.button("outdesk.remove_note", FormCb::NoReason(on.form))],
            on.cancel(),
        ])),
    })
}

pub(super) async fn text(on: &On<'_>, outage: i64, text: &str) -> Result<Next, HandlerError> {
    if text.chars().count() > MAX_NOTE {
        return Ok(Next::Again(
            on.tf("outdesk.too_long", &[("max", &MAX_NOTE.to_string())]),
        ));
    }
    save(on, outage, text).await
}

pub(super) async fn button(on: &On<'_>, outage: i64, cb: FormCb) -> Result<Next, HandlerError> {
    match cb {
        FormCb::NoReason(_) => save(on, outage, "").await,
        _ => Ok(Next::Ask),
    }
}

async fn save(on: &On<'_>, outage: i64, note: &str) -> Result<Next, HandlerError> {
    let Some(o) = on.deps.store.outage_by_id(outage).await? else {
        return Ok(Next::Done(on.t("outdesk.gone")));
    };
    let say = |key: &str| on.tf(key, &[("number", &o.number), ("messages", "0")]);
    Ok(match on.deps.store.note_by_form(on.form, outage, note).await? {
        None => Next::Done(on.t("outdesk.gone")),
        Some(false) => Next::Done(say("outdesk.already_closed")),
        Some(true) => {
            tracing::info!(operator = on.operator, outage = %o.number, "an outage's note changed from the group");
            Next::Done(say("outdesk.note_saved"))
        }
    })
}
