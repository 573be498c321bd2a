//! The profile card and what it offers directly: the edit menu, reminders, signing out.

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::ui::{self, esc};
use crate::callback::{Buttons, Cb, ProfileCb};
use crate::domain::ApplicantKind;
use crate::domain::items::Reminder;
use teloxide::types::{InlineKeyboardButton, KeyboardRemove};

type Result<T> = std::result::Result<T, HandlerError>;

pub async fn show(ctx: &Ctx) -> Result<Outcome> {
    let Some(acc) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let kind = acc.kind;
    let no_phone = ctx.t("profile.no_phone");
    let text = ctx.tf(
        "profile.card",
        &[
            ("kind", &crate::wording::kind_label(ctx.loc, kind)),
            ("login_name", &crate::wording::login_name(ctx.loc, kind)),
            ("login", &crate::domain::ids::mask_digits(acc.login())),
            ("name_label", &crate::wording::name_label(ctx.loc, kind)),
            ("name", &esc(acc.name.as_deref().unwrap_or_default())),
            ("email", &esc(acc.email())),
            ("phone", &esc(acc.phone.as_deref().unwrap_or(&no_phone))),
            ("since", &acc.created_at.format("%d.%m.%Y").to_string()),
        ],
    );
    let loc = ctx.loc;
    let kb = ui::inline(vec![
        ui::row(loc, "profile.edit", ProfileCb::ProfileEdit),
        ui::row(loc, "profile.password", ProfileCb::ChangePassword),
        ui::row(loc, "profile.language", Cb::ChooseLanguage),
        ui::row(loc, "profile.logout", ProfileCb::Logout),
        ui::row(loc, "profile.reminders", ProfileCb::Reminders),
        ui::row(loc, "profile.delete", ProfileCb::Delete),
    ]);
    ctx.say_with(text, kb).await?;
    Ok(Outcome::Done)
}

/// «Редактировать профиль»: which field.
pub async fn edit_menu(ctx: &Ctx) -> Result<Outcome> {
    let Some(acc) = ctx.user() else {
        return Ok(Outcome::Stale);
    };
    let name_key = if acc.kind == ApplicantKind::Legal {
        "profile.field_org"
    } else {
        "profile.field_name"
    };
    let loc = ctx.loc;
    let kb = ui::inline(vec![
        ui::row(loc, name_key, ProfileCb::EditName),
        ui::row(loc, "profile.field_phone", ProfileCb::EditPhone),
        ui::row(loc, "profile.field_email", ProfileCb::EditEmail),
        ui::row(loc, "common.back", ProfileCb::Profile),
    ]);
    ctx.say_with(ctx.t("profile.edit_q"), kb).await?;
    Ok(Outcome::Done)
}

/// «Напоминания»: each reminder with its state; a press turns it on or off.
pub async fn reminders(ctx: &Ctx) -> Result<Outcome> {
    let Some(acc) = ctx.user() else {
        return Ok(Outcome::Stale);
    };
    let settings = ctx.store().reminder_settings(acc.id).await?;
    // The debt reminder only where the utility sends them (DEBT_REMINDER_DAYS).
    let debts = ctx.deps.config.debt_reminder_days > 0;
    let mut rows: Vec<_> = settings
        .into_iter()
        .filter(|(which, _)| debts || *which != Reminder::Debt)
        .map(|(which, on)| {
            let state = ctx.t(if on { "profile.on" } else { "profile.off" });
            vec![InlineKeyboardButton::callback(
                format!("{}: {state}", ctx.t(which.label_key())),
                ProfileCb::SetReminder(which, u8::from(!on)).encode(),
            )]
        })
        .collect();
    rows.push(ui::row(ctx.loc, "common.back", ProfileCb::Profile));
    let kb = ui::inline(rows);
    ctx.say_with(ctx.t("profile.reminders_q"), kb).await?;
    Ok(Outcome::Done)
}

pub async fn toggle_reminder(ctx: &Ctx, which: Reminder) -> Result<Outcome> {
    let Some(acc) = ctx.user() else {
        return Ok(Outcome::Stale);
    };
    ctx.store().toggle_reminder(acc.id, which).await?;
    reminders(ctx).await
}

/// A reminder set as its button said (an old list's button does what its label said).
pub async fn set_reminder(ctx: &Ctx, which: Reminder, on: bool) -> Result<Outcome> {
    let Some(acc) = ctx.user() else {
        return Ok(Outcome::Stale);
    };
    ctx.store().set_reminder(acc.id, which, on).await?;
    reminders(ctx).await
}

/// «Выйти»: asked once more (a sign-in costs the login, the password and perhaps a code).
pub async fn logout_q(ctx: &Ctx) -> Result<Outcome> {
    let kb = ui::inline(vec![
        ui::row(ctx.loc, "profile.logout_yes", ProfileCb::LogoutConfirmed),
        ui::row(ctx.loc, "profile.logout_no", ProfileCb::Profile),
    ]);
    ctx.say_with(ctx.t("profile.logout_q"), kb).await?;
    Ok(Outcome::Done)
}

pub async fn logout(ctx: &mut Ctx) -> Result<Outcome> {
    ctx.store().sign_out(ctx.chat.0).await?;
    ctx.say_with(ctx.t("profile.logged_out"), KeyboardRemove::new()).await?;
    Ok(Outcome::Home(None))
}
