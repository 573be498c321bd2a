//! Reading and verification reminders. Each goes once per meter and period (or verification
//! date): the record and the messages are written in one transaction.

use crate::callback::{Buttons, MetersCb};
use crate::clock::Clock;
use crate::config::Config;
use crate::i18n;
use crate::store::Store;
use crate::store::outbox::{Button, OutboxMessage};
use chrono::{Datelike, Duration};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::watch;

/// Checks who is due a reminder now and queues the messages; returns how many were queued.
pub async fn run_once(store: &Store, config: &Config, clock: &Clock) -> crate::store::Result<usize> {
    // Each kind on its own: one failing does not keep the others from going.
    let now = clock.now();
    let runs = [
        ("readings", readings(store, config, clock).await),
        ("verification", verification(store, config, clock).await),
        ("bills", super::bills::run_once(store, config, now).await),
        ("outages", super::outages::run_once(store, config, now).await),
    ];
    let mut queued = 0;
    let mut failed = None;
    for (what, run) in runs {
        match run {
            Ok(n) => queued += n,
            Err(e) => {
                tracing::error!(error = %e, what, "reminders: this kind failed, the others went on");
                failed = Some(e);
            }
        }
    }
    crate::metrics::get().reminders.inc_by(queued as u64);
    match failed {
        Some(e) if queued == 0 => Err(e),
        _ => Ok(queued),
    }
}

/// The readings reminder, from its day to the window's end: one message a chat naming the
/// consumer's meters still without this period's reading.
async fn readings(store: &Store, config: &Config, clock: &Clock) -> crate::store::Result<usize> {
    let now = clock.now();
    let today = config.today(now);
    let window = config.readings_window();
    if !(config.readings_reminder_day..=window.last_day).contains(&today.day()) {
        return Ok(0);
    }
    let period = window.period_for(today);
    let due = store.due_reading_reminders(&period.key()).await?;
    let mut by_consumer: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for d in &due {
        by_consumer.entry(d.consumer_id).or_default().push(d.serial.clone());
    }
    let mut messages = Vec::new();
    for (consumer, serials) in &by_consumer {
        for (chat, locale) in store.consumer_chats(*consumer).await? {
            let loc = i18n::pick_locale(locale.as_deref(), None, &config.default_locale);
            let text = i18n::tf(
                loc,
                "reminder.readings",
                &[
                    ("period", &crate::wording::period(loc, period)),
                    ("meters", &crate::telegram::esc(&serials.join(", "))),
                    ("last", &window.last_day.to_string()),
                ],
            );
            let button = Button {
                text: i18n::t(loc, "menu.send_readings"),
                data: MetersCb::ChooseMeter.encode(),
            };
            messages.push(OutboxMessage::with_button(chat, text, button));
        }
    }
    let sent: Vec<(i64, String)> = due.iter().map(|d| (d.meter_id, period.key())).collect();
    if sent.is_empty() {
        return Ok(0);
    }
    store.record_reminders("readings", &sent, &messages, now).await?;
    Ok(messages.len())
}

/// The verification reminder: a message a chat per meter whose verification is due within 30
/// days.
async fn verification(store: &Store, config: &Config, clock: &Clock) -> crate::store::Result<usize> {
    let now = clock.now();
    let today = config.today(now);
    let due = store
        .due_verification_reminders(today, today + Duration::days(30))
        .await?;
    let mut messages = Vec::new();
    for d in &due {
        for (chat, locale) in store.consumer_chats(d.consumer_id).await? {
            let loc = i18n::pick_locale(locale.as_deref(), None, &config.default_locale);
            let text = i18n::tf(
                loc,
                "reminder.verification",
                &[
                    ("serial", &crate::telegram::esc(&d.serial)),
                    ("date", &d.next_verification.format("%d.%m.%Y").to_string()),
                ],
            );
            let button = Button {
                text: i18n::t(loc, "meters.to_card"),
                data: MetersCb::Meter(d.meter_id).encode(),
            };
            messages.push(OutboxMessage::with_button(chat, text, button));
        }
    }
    let sent: Vec<(i64, String)> = due
        .iter()
        .map(|d| (d.meter_id, d.next_verification.format("%Y-%m-%d").to_string()))
        .collect();
    if sent.is_empty() {
        return Ok(0);
    }
    store.record_reminders("verification", &sent, &messages, now).await?;
    Ok(messages.len())
}

/// Checks every `interval` until stopped; wakes the outbox worker when something was queued.
pub async fn run(
    store: Store,
    config: Arc<Config>,
    clock: Clock,
    wake: Arc<crate::store::signals::Wake>,
    interval: std::time::Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        match run_once(&store, &config, &clock).await {
            Ok(n) if n > 0 => wake.notify_one(),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "reminders: database error"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
    }
}
