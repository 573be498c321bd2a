//! «Профиль»: the account's data, edits (name, phone, e-mail with a code), password change,
//! language, sign-out and deletion (withdrawal of consent).

use super::auth::{self, Verdict};
use super::codes;
use super::state::State;
use super::{Ctx, HandlerResult, esc, keyboards, menu, registration, start};
use crate::callback::Cb;
use crate::domain::items::Reminder;
use crate::domain::person::{mask_email, normalize_phone};
use crate::domain::{Email, Login, Name, NewPassword};
use crate::store::codes::{CodeCheck, CodeFor, Purpose, normalize_code};
use crate::store::outbox::OutboxMessage;
use teloxide::prelude::*;
use teloxide::types::KeyboardRemove;

pub async fn show(ctx: &Ctx) -> HandlerResult {
    let Some(acc) = ctx.user() else {
        return start::show_home(ctx).await;
    };
    let kind = acc.kind;
    let no_phone = ctx.t("profile.no_phone");
    let text = ctx.tf(
        "profile.card",
        &[
            ("kind", &registration::kind_label(ctx.loc, kind)),
            ("login_name", &registration::login_name(ctx.loc, kind)),
            ("login", &crate::domain::ids::mask_digits(acc.login())),
            ("name", &esc(acc.name.as_deref().unwrap_or_default())),
            ("email", &esc(acc.email())),
            ("phone", &esc(acc.phone.as_deref().unwrap_or(&no_phone))),
            ("since", &acc.created_at.format("%d.%m.%Y").to_string()),
        ],
    );
    let b = |key, cb| vec![keyboards::button(ctx.loc, key, cb)];
    let kb = keyboards::inline(vec![
        b("profile.edit", Cb::ProfileEdit),
        b("profile.password", Cb::ChangePassword),
        b("profile.language", Cb::ChooseLanguage),
        b("profile.logout", Cb::Logout),
        b("profile.reminders", Cb::Reminders),
        b("profile.delete", Cb::Delete),
    ]);
    ctx.say_with(text, kb).await
}

pub async fn prompt(ctx: &Ctx, state: &State) -> HandlerResult {
    let loc = ctx.loc;
    match state {
        State::EditName => ctx.say_with(ctx.t("profile.name_q"), keyboards::nav(loc, false)).await,
        State::EditPhone => {
            ctx.say_with(ctx.t("profile.phone_q"), keyboards::share_phone(loc))
                .await
        }
        State::EditEmailPassword => {
            ctx.say_with(ctx.t("profile.email_password_q"), keyboards::nav(loc, false))
                .await
        }
        State::EditEmail => ctx.say_with(ctx.t("profile.email_q"), keyboards::nav(loc, false)).await,
        State::EditEmailCode { email } => {
            let kb = keyboards::inline(vec![
                vec![keyboards::button(loc, "confirm.resend", Cb::Resend)],
                keyboards::nav_row(loc, false),
            ]);
            ctx.say_with(
                ctx.tf("profile.email_code_q", &[("email", &esc(&mask_email(email)))]),
                kb,
            )
            .await
        }
        State::ChangePwCurrent => {
            ctx.say_with(ctx.t("profile.pw_current_q"), keyboards::nav(loc, false))
                .await
        }
        State::ChangePwNew => {
            ctx.say_with(ctx.t("profile.pw_new_q"), keyboards::nav(loc, false))
                .await
        }
        State::ChangePwRepeat { .. } => {
            ctx.say_with(ctx.t("reg.password_repeat_q"), keyboards::nav(loc, true))
                .await
        }
        State::DeleteConfirm => {
            ctx.say_with(ctx.t("profile.delete_q"), keyboards::nav(loc, false))
                .await
        }
        _ => start::show_home(ctx).await,
    }
}

async fn go(ctx: &Ctx, state: State) -> HandlerResult {
    ctx.set(state.clone()).await?;
    prompt(ctx, &state).await
}

pub async fn on_callback(ctx: &mut Ctx, cb: Cb, state: State) -> HandlerResult {
    let Some(acc) = ctx.user().cloned() else {
        return start::stale_button(ctx).await;
    };
    match (cb, &state) {
        (Cb::Profile, _) => {
            ctx.reset().await?;
            show(ctx).await
        }
        (Cb::ProfileEdit, _) => {
            ctx.reset().await?;
            let b = |key, cb| vec![keyboards::button(ctx.loc, key, cb)];
            let name_key = if acc.kind == crate::domain::ApplicantKind::Legal {
                "profile.field_org"
            } else {
                "profile.field_name"
            };
            let kb = keyboards::inline(vec![
                b(name_key, Cb::EditName),
                b("profile.field_phone", Cb::EditPhone),
                b("profile.field_email", Cb::EditEmail),
                b("common.back", Cb::Profile),
            ]);
            ctx.say_with(ctx.t("profile.edit_q"), kb).await
        }
        (Cb::EditName, _) => go(ctx, State::EditName).await,
        (Cb::EditPhone, _) => go(ctx, State::EditPhone).await,
        (Cb::EditEmail, _) => go(ctx, State::EditEmailPassword).await,
        (Cb::ChangePassword, _) => go(ctx, State::ChangePwCurrent).await,
        (Cb::Delete, _) => go(ctx, State::DeleteConfirm).await,
        (Cb::Reminders, _) => reminders(ctx, acc.id).await,
        (Cb::ToggleReminder(which), _) => {
            ctx.store().toggle_reminder(acc.id, which).await?;
            reminders(ctx, acc.id).await
        }
        (Cb::Logout, _) => {
            ctx.store().sign_out(ctx.chat.0).await?;
            ctx.reset().await?;
            ctx.reload_session().await?;
            ctx.say_with(ctx.t("profile.logged_out"), KeyboardRemove::new()).await?;
            start::welcome(ctx).await
        }
        (Cb::Resend, State::EditEmailCode { email }) => {
            let email = email.clone();
            send_email_code(ctx, acc.id, &email, acc.name.as_deref().unwrap_or_default()).await
        }
        (Cb::Back, State::ChangePwRepeat { .. }) => go(ctx, State::ChangePwNew).await,
        _ => start::stale_button(ctx).await,
    }
}

pub async fn on_message(ctx: &mut Ctx, msg: &Message, state: State) -> HandlerResult {
    let Some(acc) = ctx.user().cloned() else {
        ctx.reset().await?;
        return start::show_home(ctx).await;
    };
    if state == State::EditPhone {
        return phone(ctx, msg, acc.id).await;
    }
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("common.text_expected")).await?;
        return prompt(ctx, &state).await;
    };
    match state {
        State::EditName => match Name::parse(acc.kind, text) {
            Ok(name) => {
                ctx.store().set_name(acc.id, name.as_str()).await?;
                saved(ctx).await
            }
            Err(e) => {
                ctx.say(registration::name_error_text(ctx, acc.kind, e)).await?;
                prompt(ctx, &state).await
            }
        },
        State::EditEmail => match Email::parse(text) {
            Ok(email) if email.as_str().eq_ignore_ascii_case(acc.email()) => {
                ctx.say(ctx.t("profile.email_same")).await?;
                prompt(ctx, &state).await
            }
            Ok(email) => {
                ctx.set(State::EditEmailCode {
                    email: email.as_str().to_owned(),
                })
                .await?;
                send_email_code(ctx, acc.id, email.as_str(), acc.name.as_deref().unwrap_or_default()).await
            }
            Err(_) => {
                ctx.say(ctx.t("email.invalid")).await?;
                prompt(ctx, &state).await
            }
        },
        State::EditEmailCode { .. } => {
            let Some(code) = normalize_code(text) else {
                ctx.say(ctx.t("reset.code_format")).await?;
                return prompt(ctx, &state).await;
            };
            let key = CodeFor {
                account_id: acc.id,
                purpose: Purpose::EmailChange,
                chat_id: ctx.chat.0,
            };
            let to_old = |old: &str, new: &str| email_changed_letter(ctx, old, new);
            match ctx.store().change_email_by_code(key, &code, to_old, ctx.now()).await? {
                CodeCheck::Ok { .. } => {
                    // The old address is told.
                    ctx.outbox_written();
                    ctx.reset().await?;
                    ctx.reload_session().await?;
                    ctx.say(ctx.t("profile.email_changed")).await?;
                    show(ctx).await
                }
                check @ CodeCheck::Wrong { .. } => {
                    menu::code_problem(ctx, &check, keyboards::nav(ctx.loc, false)).await
                }
                check => {
                    ctx.reset().await?;
                    let kb = keyboards::inline(vec![vec![keyboards::button(
                        ctx.loc,
                        "profile.field_email",
                        Cb::EditEmail,
                    )]]);
                    menu::code_problem(ctx, &check, kb).await
                }
            }
        }
        State::ChangePwCurrent | State::EditEmailPassword | State::DeleteConfirm => {
            super::delete_secret(ctx, msg).await;
            match auth::check(ctx, acc.login(), acc.password_hash.clone(), text).await? {
                Verdict::Right => match state {
                    State::ChangePwCurrent => go(ctx, State::ChangePwNew).await,
                    State::EditEmailPassword => go(ctx, State::EditEmail).await,
                    _ => delete(ctx, acc.id).await,
                },
                Verdict::Wrong => {
                    ctx.say(ctx.t("profile.pw_wrong")).await?;
                    prompt(ctx, &state).await
                }
                Verdict::Locked { until } => {
                    ctx.reset().await?;
                    let wait = auth::wait_words(ctx, until);
                    ctx.say(ctx.tf("profile.pw_locked", &[("wait", &wait)])).await?;
                    menu::show_menu(ctx).await
                }
                Verdict::ChatLimit => {
                    ctx.reset().await?;
                    ctx.say(ctx.t("login.chat_limit")).await?;
                    menu::show_menu(ctx).await
                }
            }
        }
        State::ChangePwNew => {
            super::delete_secret(ctx, msg).await;
            let login = Login::parse_any(acc.login()).ok();
            match NewPassword::parse(text, login.as_ref()) {
                Ok(pw) => {
                    let hash = super::hash_password(pw.expose().to_owned()).await?;
                    go(ctx, State::ChangePwRepeat { hash }).await
                }
                Err(e) => {
                    ctx.say(registration::password_error_text(ctx, e)).await?;
                    prompt(ctx, &state).await
                }
            }
        }
        State::ChangePwRepeat { hash } => {
            super::delete_secret(ctx, msg).await;
            if !super::verify_password(text.to_owned(), hash.clone()).await? {
                ctx.say(ctx.t("reg.password_mismatch")).await?;
                return go(ctx, State::ChangePwNew).await;
            }
            auth::set_password(ctx, acc.id, &hash).await?;
            ctx.reset().await?;
            ctx.say(ctx.t("profile.pw_changed")).await?;
            show(ctx).await
        }
        _ => start::reprompt(ctx).await,
    }
}

async fn phone(ctx: &mut Ctx, msg: &Message, account_id: i64) -> HandlerResult {
    let from = msg.from.as_ref().map(|u| u.id);
    let number = if let Some(contact) = msg.contact() {
        // Only the person's own number: a forwarded contact of someone else is refused.
        if contact.user_id.is_none() || contact.user_id != from {
            ctx.say(ctx.t("profile.phone_not_own")).await?;
            return prompt(ctx, &State::EditPhone).await;
        }
        normalize_phone(&contact.phone_number)
    } else if let Some(text) = msg.text() {
        if crate::i18n::LOCALES
            .iter()
            .any(|l| crate::i18n::t(l, "common.cancel") == text.trim())
        {
            return start::cancel(ctx).await;
        }
        normalize_phone(text)
    } else {
        None
    };
    match number {
        Some(n) => {
            ctx.store().set_phone(account_id, &n).await?;
            saved(ctx).await
        }
        None => {
            ctx.say(ctx.t("profile.phone_bad")).await?;
            prompt(ctx, &State::EditPhone).await
        }
    }
}

async fn saved(ctx: &mut Ctx) -> HandlerResult {
    ctx.reset().await?;
    ctx.reload_session().await?;
    ctx.say(ctx.t("common.saved")).await?;
    // The menu keyboard comes back (the phone step replaced it) and the profile shows the change.
    menu::show_menu(ctx).await?;
    show(ctx).await
}

/// Withdrawal of consent, the password given: the data erased, every other chat told.
async fn delete(ctx: &mut Ctx, account_id: i64) -> HandlerResult {
    let notices = auth::tell_chats(ctx, account_id, Some(ctx.chat.0), "auth.deleted_elsewhere").await?;
    ctx.store().delete_account(account_id, &notices, ctx.now()).await?;
    ctx.outbox_written();
    ctx.reset().await?;
    ctx.reload_session().await?;
    ctx.say_with(ctx.t("profile.deleted"), KeyboardRemove::new()).await?;
    start::welcome(ctx).await
}

/// To the address being replaced: what changed and what to do if it was not the owner.
fn email_changed_letter(ctx: &Ctx, old: &str, new: &str) -> OutboxMessage {
    let c = &ctx.deps.config;
    let contacts = [&c.org_phone, &c.org_email]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let args = [
        ("org", c.org_name.as_str()),
        ("email", &mask_email(new)),
        ("contacts", contacts.as_str()),
    ];
    OutboxMessage::Email {
        to: old.to_owned(),
        subject: ctx.tf("mail.email_changed.subject", &args),
        body: ctx.tf("mail.email_changed.body", &args),
    }
}

async fn send_email_code(ctx: &Ctx, account_id: i64, email: &str, name: &str) -> HandlerResult {
    let key = CodeFor {
        account_id,
        purpose: Purpose::EmailChange,
        chat_id: ctx.chat.0,
    };
    let sent = codes::send(ctx, key, email, name).await?;
    match codes::refusal(ctx, &sent) {
        Some(text) => ctx.say(text).await,
        None => {
            prompt(
                ctx,
                &State::EditEmailCode {
                    email: email.to_owned(),
                },
            )
            .await
        }
    }
}

/// «Напоминания»: each reminder with its state; a press turns it on or off.
async fn reminders(ctx: &Ctx, account_id: i64) -> HandlerResult {
    let (readings, verification) = ctx.store().reminder_settings(account_id).await?;
    let label = |key: &str, on: bool| {
        let state = ctx.t(if on { "profile.on" } else { "profile.off" });
        format!("{}: {state}", ctx.t(key))
    };
    let kb = keyboards::inline(vec![
        vec![teloxide::types::InlineKeyboardButton::callback(
            label("profile.remind_readings", readings),
            Cb::ToggleReminder(Reminder::Readings).encode(),
        )],
        vec![teloxide::types::InlineKeyboardButton::callback(
            label("profile.remind_verification", verification),
            Cb::ToggleReminder(Reminder::Verification).encode(),
        )],
        vec![keyboards::button(ctx.loc, "common.back", Cb::Profile)],
    ]);
    ctx.say_with(ctx.t("profile.reminders_q"), kb).await
}
