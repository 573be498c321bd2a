//! Telling consumers of outages at their addresses: each change of an outage (published,
//! extended, closed) once to every consumer with an address inside its area — of a linked
//! account, of a meter, or subscribed to — who did not turn «Об отключениях» off; and the
//! evening before a planned outage, a reminder. Run right after `kabinet
//! outage …` and on every reminders run (for what a stopped bot did not tell).

use crate::callback::{Buttons, OutagesCb};
use crate::config::Config;
use crate::domain::address::{Address, Area};
use crate::domain::outages::Change;
use crate::i18n;
use crate::store::Store;
use crate::store::outages::{ConsumerAddress, EVENING, Outage};
use crate::store::outbox::{Button, OutboxMessage};
use crate::telegram::esc;
use chrono::{DateTime, Timelike, Utc};
use std::collections::BTreeMap;

/// Tells every untold change, and from `OUTAGE_EVENING_HOUR` reminds of tomorrow's planned
/// outages; returns how many messages were queued.
pub async fn run_once(store: &Store, config: &Config, now: DateTime<Utc>) -> crate::store::Result<usize> {
    let untold = store.untold_outages().await?;
    let evening = tomorrows(store, config, now).await?;
    if untold.is_empty() && evening.is_empty() {
        return Ok(0);
    }
    let addresses = store.consumer_addresses(None).await?;
    let mut queued = 0;
    for (o, version) in untold
        .iter()
        .map(|o| (o, o.version))
        .chain(evening.iter().map(|o| (o, EVENING)))
    {
        let inside = inside(o, &addresses);
        let mut told = Vec::with_capacity(inside.len());
        for (consumer_id, address) in inside {
            let mut messages = Vec::new();
            for (chat, locale) in store.consumer_chats(consumer_id).await? {
                let loc = i18n::pick_locale(locale.as_deref(), None, &config.default_locale);
                messages.push(message(config, loc, chat, o, &address, version == EVENING));
            }
            told.push((consumer_id, messages));
        }
        queued += store.record_outage_notices(o.id, version, &told, now).await?;
    }
    Ok(queued)
}

/// From the evening hour on, the planned outages that start tomorrow (the utility's days).
async fn tomorrows(store: &Store, config: &Config, now: DateTime<Utc>) -> crate::store::Result<Vec<Outage>> {
    let local = config.local(now);
    if local.hour() < config.outage_evening_hour {
        return Ok(Vec::new());
    }
    let offset = chrono::Duration::hours(i64::from(config.utc_offset_hours));
    let tomorrow = local.date() + chrono::Duration::days(1);
    let start = tomorrow.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - offset;
    store
        .outages_for_evening(start, start + chrono::Duration::days(1))
        .await
}

/// The consumers with an address inside the outage's area, each with the first such address.
pub fn inside(o: &Outage, addresses: &[ConsumerAddress]) -> BTreeMap<i64, String> {
    let Some(area) = Area::parse(&o.area) else {
        tracing::warn!(outage = %o.number, "an outage's area does not read: nobody told");
        return BTreeMap::new();
    };
    inside_area(&area, addresses)
}

/// The consumers with an address inside `area`, each with the first such address.
pub fn inside_area(area: &Area, addresses: &[ConsumerAddress]) -> BTreeMap<i64, String> {
    let mut out = BTreeMap::new();
    for a in addresses {
        if out.contains_key(&a.consumer_id) {
            continue;
        }
        if Address::parse(&a.address).is_some_and(|parsed| area.holds(&parsed)) {
            out.insert(a.consumer_id, a.address.clone());
        }
    }
    out
}

/// «07.12 10:00» in the utility's time.
fn at(config: &Config, t: DateTime<Utc>) -> String {
    config.local(t).format("%d.%m.%Y %H:%M").to_string()
}

fn message(config: &Config, loc: &str, chat: i64, o: &Outage, address: &str, evening: bool) -> OutboxMessage {
    let key = match (o.last_change, o.planned) {
        _ if evening => "outage.evening",
        (Change::Published, true) => "outage.planned",
        (Change::Published, false) => "outage.emergency",
        (Change::Extended, _) => "outage.extended",
        (Change::Closed, _) => "outage.closed",
    };
    let reason = if o.reason.is_empty() || o.last_change == Change::Closed {
        String::new()
    } else {
        i18n::tf(loc, "outage.reason", &[("reason", &esc(&o.reason))])
    };
    let args = [
        ("resource", i18n::t(loc, crate::wording::resource_key(o.resource))),
        ("address", esc(address)),
        ("from", at(config, o.starts_at)),
        ("to", at(config, o.ends_at)),
        ("number", o.number.clone()),
        ("reason", reason),
    ];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let text = i18n::tf(loc, key, &args);
    // An English client reads item numbers in Latin letters, as everywhere.
    let text = if loc == "en" {
        crate::domain::numbers::latin(&text)
    } else {
        text
    };
    let open = Button {
        text: i18n::t(loc, "outage.open"),
        data: OutagesCb::Outages.encode(),
    };
    OutboxMessage::broadcast(chat, text, Some(open), config.paid_broadcast)
}
