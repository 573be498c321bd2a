//! The list of the consumer's accounts, an account's card (its balance in a line, its meters'
//! readings, «Начисления и оплата»), renaming and removing one.

use super::balance;
use super::state::AccountsState;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::ui::{self, esc};
use crate::callback::{AccountsCb, Buttons, MetersCb};
use crate::domain::accounts::parse_account_name;
use crate::store::links::Linked;
use teloxide::types::{InlineKeyboardButton, Message};

type Result<T> = std::result::Result<T, HandlerError>;

/// The caller's account with this id (none for someone else's).
pub async fn owned(ctx: &Ctx, account_id: i64) -> Result<Option<Linked>> {
    let Some(user) = ctx.user() else {
        return Ok(None);
    };
    Ok(ctx.store().linked_account(user.id, account_id).await?)
}

/// Someone else's account id (or one removed meanwhile): refused, the list shown.
pub async fn not_found(ctx: &Ctx) -> Result<Outcome> {
    ctx.say(ctx.t("account.not_found")).await?;
    show_list(ctx).await
}

pub async fn show_list(ctx: &Ctx) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let list = ctx.store().linked_accounts(user.id).await?;
    let add = ui::row(ctx.loc, "account.add", AccountsCb::AddAccount);
    if list.is_empty() {
        ctx.say_with(ctx.t("account.empty"), ui::inline(vec![add])).await?;
        return Ok(Outcome::Done);
    }
    let mut text = ctx.t("account.list_title");
    let mut rows = Vec::new();
    for a in &list {
        // Named by its number: the number once.
        let label = if a.name == a.number {
            format!("№ {}", a.number)
        } else {
            format!("{} · № {}", a.name, a.number)
        };
        text.push_str(&format!("\n\n🏠 <b>{}</b>\n{}", esc(&label), esc(&a.address)));
        rows.push(vec![InlineKeyboardButton::callback(
            format!("🏠 {label}"),
            AccountsCb::Account(a.account_id).encode(),
        )]);
    }
    text.push_str(&format!("\n\n{}", ctx.t("account.choose")));
    rows.push(add);
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

pub async fn show_card(ctx: &Ctx, account_id: i64) -> Result<Outcome> {
    let Some(a) = owned(ctx, account_id).await? else {
        return not_found(ctx).await;
    };
    let mut text = ctx.tf(
        "account.card",
        &[
            ("name", &esc(&a.name)),
            ("number", &esc(&a.number)),
            ("address", &esc(&a.address)),
        ],
    );
    text.push_str(&balance::summary(ctx, account_id).await?);
    if a.withdrawn {
        text.push_str(&ctx.t("account.withdrawn"));
    }
    let (id, loc) = (account_id, ctx.loc);
    let kb = ui::inline(vec![
        ui::row(loc, "account.charges", AccountsCb::Charges(id)),
        ui::row(loc, "account.readings", AccountsCb::Readings(id)),
        vec![
            ui::button(loc, "account.rename", AccountsCb::Rename(id)),
            ui::button(loc, "account.remove", AccountsCb::Remove(id)),
        ],
        ui::row(loc, "account.to_list", AccountsCb::Accounts),
    ]);
    ctx.say_with(text, kb).await?;
    Ok(Outcome::Done)
}

/// «Передать показания» of the account: its meters, each opening its reading.
pub async fn readings(ctx: &Ctx, account_id: i64) -> Result<Outcome> {
    let (Some(user), Some(_)) = (ctx.user(), owned(ctx, account_id).await?) else {
        return not_found(ctx).await;
    };
    let ids = ctx.store().account_meter_ids(user.id, account_id).await?;
    let back = ui::row(ctx.loc, "account.to_card", AccountsCb::Account(account_id));
    if ids.is_empty() {
        ctx.say_with(ctx.t("account.no_meters"), ui::inline(vec![back])).await?;
        return Ok(Outcome::Done);
    }
    let mut rows = Vec::new();
    for m in ctx.store().meters_of(user.id).await? {
        if ids.contains(&m.id) {
            rows.push(vec![InlineKeyboardButton::callback(
                format!("{} {}", m.resource.icon(), m.serial),
                MetersCb::Read(m.id).encode(),
            )]);
        }
    }
    rows.push(back);
    ctx.say_with(ctx.t("meters.which"), ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

pub async fn rename(ctx: &Ctx, account_id: i64) -> Result<Outcome> {
    if owned(ctx, account_id).await?.is_none() {
        return not_found(ctx).await;
    }
    ctx.set(AccountsState::Rename { account_id }).await?;
    rename_prompt(ctx).await
}

pub async fn rename_prompt(ctx: &Ctx) -> Result<Outcome> {
    ctx.say_with(ctx.t("account.rename_q"), ui::nav(ctx.loc, false)).await?;
    Ok(Outcome::Done)
}

pub async fn rename_to(ctx: &Ctx, msg: &Message, account_id: i64) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let Some(name) = msg.text().and_then(parse_account_name) else {
        ctx.say(ctx.t("account.name_bad")).await?;
        return rename_prompt(ctx).await;
    };
    ctx.reset().await?;
    if !ctx.store().rename_link(user.id, account_id, &name).await? {
        return not_found(ctx).await;
    }
    ctx.say(ctx.t("account.renamed")).await?;
    show_card(ctx, account_id).await
}

pub async fn remove_q(ctx: &Ctx, account_id: i64) -> Result<Outcome> {
    let Some(a) = owned(ctx, account_id).await? else {
        return not_found(ctx).await;
    };
    let kb = ui::inline(vec![
        ui::row(ctx.loc, "account.remove_yes", AccountsCb::RemoveYes(account_id)),
        ui::row(ctx.loc, "account.to_card", AccountsCb::Account(account_id)),
    ]);
    ctx.say_with(ctx.tf("account.remove_q", &[("number", &esc(&a.number))]), kb)
        .await?;
    Ok(Outcome::Done)
}

pub async fn remove(ctx: &Ctx, account_id: i64) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if !ctx.store().unlink_account(user.id, account_id, ctx.now()).await? {
        return not_found(ctx).await;
    }
    ctx.say(ctx.t("account.removed")).await?;
    show_list(ctx).await
}
