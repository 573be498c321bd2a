//! Pushes about personal accounts' bills: «Готова квитанция» once per account and period
//! after an import of charges (right after `kabinet import charges`, and on every reminders
//! run for what was missed), and the debt reminder some days before the due date
//! (`DEBT_REMINDER_DAYS`, off by default; each consumer turns it on in «Профиль»).

use crate::callback::{AccountsCb, Buttons};
use crate::config::Config;
use crate::domain::meters::Period;
use crate::domain::money::Money;
use crate::i18n;
use crate::store::Store;
use crate::store::notices::{BillNotice, NoticeKind};
use crate::store::outbox::{Button, OutboxMessage};
use chrono::{DateTime, Duration, Utc};

/// Queues what is due now; returns how many messages were queued.
pub async fn run_once(store: &Store, config: &Config, now: DateTime<Utc>) -> crate::store::Result<usize> {
    Ok(new_bills(store, config, now).await? + debts(store, config, now).await?)
}

/// «Готова квитанция»: the latest bill of each linked account, once.
pub async fn new_bills(store: &Store, config: &Config, now: DateTime<Utc>) -> crate::store::Result<usize> {
    // Bills of the last month: a bot stopped for days still tells of them when it is back.
    let due = store
        .bill_notices_due(NoticeKind::Bill, now - Duration::days(31), now)
        .await?;
    tell(store, config, NoticeKind::Bill, due.iter().collect(), now).await
}

/// A debt reminder: bills due within `DEBT_REMINDER_DAYS` with something still owed after the
/// payments since.
async fn debts(store: &Store, config: &Config, now: DateTime<Utc>) -> crate::store::Result<usize> {
    if config.debt_reminder_days == 0 {
        return Ok(0);
    }
    let today = config.today(now);
    let until = today + Duration::days(i64::from(config.debt_reminder_days));
    let day = |d: chrono::NaiveDate| d.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    let due = store.bill_notices_due(NoticeKind::Debt, day(today), day(until)).await?;
    let mut owing = Vec::new();
    let mut paid_up = Vec::new();
    for mut n in due {
        let from = crate::store::bills::payments_from(n.imported_at, config.utc_offset_hours);
        n.due -= store.paid_since(n.account_id, from).await?.sum;
        if n.due > 0 { owing.push(n) } else { paid_up.push(n) }
    }
    // Paid up: recorded as told without a word, so they are not looked at again (and those
    // after them in the batch are reached).
    let nothing: Vec<Vec<OutboxMessage>> = paid_up.iter().map(|_| Vec::new()).collect();
    store
        .record_bill_notices(NoticeKind::Debt, &paid_up.iter().collect::<Vec<_>>(), &nothing, now)
        .await?;
    tell(store, config, NoticeKind::Debt, owing.iter().collect(), now).await
}

async fn tell(
    store: &Store,
    config: &Config,
    kind: NoticeKind,
    due: Vec<&BillNotice>,
    now: DateTime<Utc>,
) -> crate::store::Result<usize> {
    if due.is_empty() {
        return Ok(0);
    }
    let mut messages = Vec::with_capacity(due.len());
    for n in &due {
        let Some(p) = Period::parse_key(&n.period) else {
            messages.push(Vec::new());
            continue;
        };
        let mut mine = Vec::new();
        for (chat, locale) in store.consumer_chats(n.consumer_id).await? {
            let loc = i18n::pick_locale(locale.as_deref(), None, &config.default_locale);
            let date = n.due_date.map(|d| d.format("%d.%m.%Y").to_string()).unwrap_or_default();
            let args = [
                ("period", crate::wording::period(loc, p)),
                ("name", crate::telegram::esc(&n.name)),
                ("number", crate::telegram::esc(&n.number)),
                ("sum", Money(n.due.max(0)).to_string()),
                ("date", date),
            ];
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let key = match kind {
                NoticeKind::Bill => "bill.new",
                NoticeKind::Debt => "bill.debt",
            };
            let open = Button {
                text: i18n::t(loc, "bill.open"),
                data: AccountsCb::Bill(n.account_id, p.code()).encode(),
            };
            mine.push(OutboxMessage::with_button(chat, i18n::tf(loc, key, &args), open));
        }
        messages.push(mine);
    }
    store.record_bill_notices(kind, &due, &messages, now).await
}
