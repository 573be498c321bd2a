//! «Добавить лицевой счёт»: the number, a proof only the holder has (a meter's serial or the
//! last bill's amount, as the utility allows), then a short name. A wrong proof says nothing of
//! whether the number exists; wrong proofs are limited per consumer (a lock of minutes) and
//! per account from everyone (a day). The consumers who had the account before are told.

use super::card;
use super::state::AccountsState;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::ui::{self, esc};
use crate::callback::AccountsCb;
use crate::callback::{Buttons, TicketsCb};
use crate::domain::accounts::{AccountNumber, ProofKind, parse_account_name};
use crate::domain::money::Money;
use crate::domain::tickets::TicketKind;
use crate::i18n;
use crate::policy::{ACCOUNT_PROOF_FAILURES_PER_DAY, ACCOUNTS_MAX, PROOF_FAILURES, PROOF_LOCK, PROOF_TRIES_PER_DAY};
use crate::store::links::serial_key;
use crate::store::outbox::{Button, OutboxMessage};
use chrono::{DateTime, Duration, Utc};
use teloxide::types::{InlineKeyboardButton, Message};

type Result<T> = std::result::Result<T, HandlerError>;

/// The suggested names, in their buttons' order; the last keeps the number.
const NAMES: [&str; 4] = [
    "account.name_flat",
    "account.name_house",
    "account.name_dacha",
    "account.name_number",
];

fn consumer_key(consumer_id: i64) -> String {
    format!("acc-proof:{consumer_id}")
}

/// Every try of a day, never taken back.
fn day_key(consumer_id: i64) -> String {
    format!("acc-proof-day:{consumer_id}")
}

fn account_key(number: &str) -> String {
    format!("acc-proof-n:{number}")
}

pub async fn begin(ctx: &mut Ctx) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if ctx.store().linked_accounts(user.id).await?.len() >= ACCOUNTS_MAX {
        ctx.say(ctx.tf("account.too_many", &[("max", &ACCOUNTS_MAX.to_string())]))
            .await?;
        return card::show_list(ctx).await;
    }
    if let Some(until) = locked_until(ctx, user.id).await? {
        return locked(ctx, until).await;
    }
    go(ctx, AccountsState::Number).await
}

async fn go(ctx: &Ctx, state: AccountsState) -> Result<Outcome> {
    ctx.set(state.clone()).await?;
    prompt(ctx, &state).await
}

pub async fn prompt(ctx: &Ctx, state: &AccountsState) -> Result<Outcome> {
    let loc = ctx.loc;
    let (text, mut rows) = match state {
        AccountsState::Number => (ctx.t("account.number_q"), vec![ui::nav_row(loc, false)]),
        AccountsState::ProofChoice { .. } => (
            ctx.t("account.proof_q"),
            vec![
                ui::row(loc, "account.proof_meter", AccountsCb::ProofBy(0)),
                ui::row(loc, "account.proof_bill", AccountsCb::ProofBy(1)),
                ui::nav_row(loc, true),
            ],
        ),
        AccountsState::Proof { by, .. } => {
            let key = match by {
                ProofKind::Meter => "account.proof_meter_q",
                ProofKind::Bill => "account.proof_bill_q",
            };
            (ctx.t(key), vec![ui::nav_row(loc, true)])
        }
        AccountsState::Name { account_id } => {
            let address = match ctx.store().account_address(*account_id).await? {
                Some(a) => a,
                None => return Ok(Outcome::Home(None)),
            };
            let names = NAMES
                .iter()
                .enumerate()
                .map(|(i, k)| ui::button(loc, k, AccountsCb::NameAs(i as u8)))
                .collect::<Vec<_>>();
            let rows = names.chunks(2).map(<[InlineKeyboardButton]>::to_vec).collect();
            (ctx.tf("account.name_q", &[("address", &esc(&address))]), rows)
        }
        AccountsState::Rename { .. } => return card::rename_prompt(ctx).await,
    };
    if matches!(state, AccountsState::Name { .. }) {
        rows.push(ui::nav_row(loc, false));
    }
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

/// «Назад»: the number from the proof, the choice of proof from the proof when there was one.
pub async fn back(ctx: &Ctx, state: AccountsState) -> Result<Outcome> {
    match state {
        AccountsState::Proof { number, .. } if ctx.deps.config.account_proof.kinds().len() > 1 => {
            go(ctx, AccountsState::ProofChoice { number }).await
        }
        AccountsState::Proof { .. } | AccountsState::ProofChoice { .. } => go(ctx, AccountsState::Number).await,
        _ => Ok(Outcome::Stale),
    }
}

pub async fn on_message(ctx: &mut Ctx, msg: &Message, state: AccountsState) -> Result<Outcome> {
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("common.text_expected")).await?;
        return prompt(ctx, &state).await;
    };
    match state {
        AccountsState::Number => match AccountNumber::parse(text) {
            Some(n) => number_given(ctx, n.as_str().to_owned()).await,
            None => {
                ctx.say(ctx.t("account.number_bad")).await?;
                prompt(ctx, &state).await
            }
        },
        AccountsState::ProofChoice { .. } => {
            ctx.say(ctx.t("common.use_buttons")).await?;
            prompt(ctx, &state).await
        }
        AccountsState::Proof { number, by } => check_proof(ctx, &number, by, text).await,
        AccountsState::Name { account_id } => match parse_account_name(text) {
            Some(name) => save(ctx, account_id, &name).await,
            None => {
                ctx.say(ctx.t("account.name_bad")).await?;
                prompt(ctx, &state).await
            }
        },
        AccountsState::Rename { .. } => Ok(Outcome::Stale),
    }
}

async fn number_given(ctx: &Ctx, number: String) -> Result<Outcome> {
    // One's own account again: said at once (nothing to prove, nothing revealed).
    if let Some(user) = ctx.user()
        && let Some(mine) = ctx
            .store()
            .linked_accounts(user.id)
            .await?
            .into_iter()
            .find(|a| a.number == number)
    {
        ctx.reset().await?;
        ctx.say(ctx.t("account.already")).await?;
        return card::show_card(ctx, mine.account_id).await;
    }
    match ctx.deps.config.account_proof.kinds().as_slice() {
        [by] => go(ctx, AccountsState::Proof { number, by: *by }).await,
        _ => go(ctx, AccountsState::ProofChoice { number }).await,
    }
}

pub async fn proof_chosen(ctx: &Ctx, state: AccountsState, kind: u8) -> Result<Outcome> {
    let (AccountsState::ProofChoice { number }, Some(by)) = (state, ProofKind::ALL.get(usize::from(kind))) else {
        return Ok(Outcome::Stale);
    };
    go(ctx, AccountsState::Proof { number, by: *by }).await
}

/// Until when this consumer may not try a proof (none: they may).
async fn locked_until(ctx: &Ctx, consumer_id: i64) -> Result<Option<DateTime<Utc>>> {
    let (failures, last) = ctx
        .store()
        .rate_recent(&consumer_key(consumer_id), ctx.now(), PROOF_LOCK)
        .await?;
    Ok(last
        .filter(|_| failures >= PROOF_FAILURES)
        .map(|l| l + PROOF_LOCK)
        .filter(|u| *u > ctx.now()))
}

async fn locked(ctx: &Ctx, until: DateTime<Utc>) -> Result<Outcome> {
    let wait = crate::bot::password::wait_words(ctx, until);
    Ok(Outcome::Home(Some(ctx.tf("account.proof_locked", &[("wait", &wait)]))))
}

async fn check_proof(ctx: &Ctx, number: &str, by: ProofKind, typed: &str) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let (now, day) = (ctx.now(), Duration::days(1));
    if let Some(until) = locked_until(ctx, user.id).await? {
        return locked(ctx, until).await;
    }
    let amount = match by {
        ProofKind::Bill => match Money::parse(typed) {
            Some(m) => Some(m.0),
            None => {
                ctx.say(ctx.t("account.proof_bill_bad")).await?;
                return prompt(
                    ctx,
                    &AccountsState::Proof {
                        number: number.into(),
                        by,
                    },
                )
                .await;
            }
        },
        ProofKind::Meter => None,
    };
    let store = ctx.store();
    let tries = match count_try(ctx, user.id, number).await? {
        Ok(tries) => tries,
        Err(refused) => return Ok(refused),
    };
    let proof = store.account_proof(number).await?;
    let right = match (&proof, by) {
        (Some(p), ProofKind::Meter) => p.serials.iter().any(|s| serial_key(s) == serial_key(typed)),
        // Nothing due proves nothing: «0» would open every paid-up account.
        (Some(p), ProofKind::Bill) => p.last_due.is_some_and(|d| d > 0) && p.last_due == amount,
        (None, _) => false,
    };
    match proof.filter(|_| right) {
        Some(p) => {
            if store.linked_account(user.id, p.account_id).await?.is_some() {
                ctx.reset().await?;
                ctx.say(ctx.t("account.already")).await?;
                return card::show_card(ctx, p.account_id).await;
            }
            go(
                ctx,
                AccountsState::Name {
                    account_id: p.account_id,
                },
            )
            .await
        }
        None => {
            store.rate_add(&account_key(number), now, day).await?;
            let left = PROOF_FAILURES - tries;
            if left <= 0 {
                return locked(ctx, now + PROOF_LOCK).await;
            }
            let what = ctx.t(match by {
                ProofKind::Meter => "account.proof_wrong_meter",
                ProofKind::Bill => "account.proof_wrong_bill",
            });
            let left = i18n::plural(ctx.loc, "plural.attempts_left", left as u64);
            ctx.say(ctx.tf("account.proof_wrong", &[("what", &what), ("left", &left)]))
                .await?;
            prompt(
                ctx,
                &AccountsState::Proof {
                    number: number.into(),
                    by,
                },
            )
            .await
        }
    }
}

/// Counts this try (before it is checked, right ones too: only a new link takes the count
/// back, so chats racing or a right proof of one's own account cannot reset it): the tries in
/// the window, or what to answer instead of checking.
async fn count_try(ctx: &Ctx, consumer_id: i64, number: &str) -> Result<std::result::Result<i64, Outcome>> {
    let (store, now, day) = (ctx.store(), ctx.now(), Duration::days(1));
    // The account's own limit: nothing more today, whoever tries, said as such (the key is the
    // typed number's whether or not it exists) and not counted against this consumer.
    if store.rate_count(&account_key(number), now, day).await? >= ACCOUNT_PROOF_FAILURES_PER_DAY {
        return Ok(Err(Outcome::Home(Some(ctx.t("account.proof_number_locked")))));
    }
    let mine = consumer_key(consumer_id);
    store.rate_add(&mine, now, PROOF_LOCK).await?;
    store.rate_add(&day_key(consumer_id), now, day).await?;
    let tries = store.rate_count(&mine, now, PROOF_LOCK).await?;
    if tries > PROOF_FAILURES || store.rate_count(&day_key(consumer_id), now, day).await? > PROOF_TRIES_PER_DAY {
        return Ok(Err(locked(ctx, now + PROOF_LOCK).await?));
    }
    Ok(Ok(tries))
}

pub async fn name_chosen(ctx: &Ctx, account_id: i64, which: u8) -> Result<Outcome> {
    let name = match NAMES.get(usize::from(which)) {
        Some(&"account.name_number") => match ctx.store().account_number(account_id).await? {
            Some(n) => n,
            None => return Ok(Outcome::Stale),
        },
        Some(key) => ctx.t(key),
        None => return Ok(Outcome::Stale),
    };
    save(ctx, account_id, &name).await
}

/// The account linked under `name`, the earlier holders told in the same transaction.
async fn save(ctx: &Ctx, account_id: i64, name: &str) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let store = ctx.store();
    let (Some(number), Some(address)) = (
        store.account_number(account_id).await?,
        store.account_address(account_id).await?,
    ) else {
        return Ok(Outcome::Home(None));
    };
    let mut notices = Vec::new();
    let default = &ctx.deps.config.default_locale;
    for holder in store.account_holders(account_id, user.id).await? {
        for (chat, locale) in store.consumer_chats(holder).await? {
            let loc = i18n::pick_locale(locale.as_deref(), None, default);
            let text = i18n::tf(
                loc,
                "account.other_holder",
                &[("number", &esc(&number)), ("address", &esc(&address))],
            );
            let appeal = Button {
                text: i18n::t(loc, "ticket.new.appeal"),
                data: TicketsCb::NewTicket(TicketKind::Appeal).encode(),
            };
            notices.push(OutboxMessage::with_button(chat, text, appeal));
        }
    }
    if !store
        .link_account(user.id, account_id, name, &notices, ctx.now())
        .await?
    {
        // Linked a moment ago (a button pressed twice).
        ctx.reset().await?;
        ctx.say(ctx.t("account.already")).await?;
        return card::show_card(ctx, account_id).await;
    }
    // A new link: the tries that led to it are taken back (not the day's).
    store.rate_clear(&consumer_key(user.id)).await?;
    if !notices.is_empty() {
        ctx.outbox_written();
    }
    ctx.reset().await?;
    ctx.say(ctx.tf("account.added", &[("number", &esc(&number))])).await?;
    card::show_card(ctx, account_id).await
}
