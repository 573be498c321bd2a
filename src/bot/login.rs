//! «Войти в личный кабинет» from another Telegram account, and «Забыли пароль?».

use super::cb::Cb;
use super::codes;
use super::state::State;
use super::{Ctx, HandlerResult, keyboards, menu, registration, start};
use crate::domain::{Login, NewPassword};
use crate::store::accounts::PasswordLogin;
use crate::store::codes::{CodeCheck, Purpose, normalize_code};
use chrono::Duration;
use teloxide::prelude::*;
use teloxide::types::KeyboardRemove;

pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;
/// Wrong sign-ins from one chat per hour, whatever the login: against trying many accounts.
pub const CHAT_FAILURES_PER_HOUR: i64 = 20;

pub async fn begin(ctx: &mut Ctx) -> HandlerResult {
    ctx.set(State::LoginId).await?;
    ctx.say_with(ctx.t("login.start"), KeyboardRemove::new()).await?;
    prompt(ctx, &State::LoginId).await
}

pub async fn begin_reset(ctx: &mut Ctx) -> HandlerResult {
    ctx.set(State::ResetLogin).await?;
    prompt(ctx, &State::ResetLogin).await
}

pub async fn prompt(ctx: &Ctx, state: &State) -> HandlerResult {
    let loc = ctx.loc;
    match state {
        State::LoginId => {
            let kb = keyboards::inline(vec![
                vec![keyboards::button(loc, "login.forgot", Cb::Forgot)],
                keyboards::nav_row(loc, false),
            ]);
            ctx.say_with(ctx.t("login.id_q"), kb).await
        }
        State::LoginPassword { .. } => {
            let kb = keyboards::inline(vec![
                vec![keyboards::button(loc, "login.forgot", Cb::Forgot)],
                keyboards::nav_row(loc, true),
            ]);
            ctx.say_with(ctx.t("login.password_q"), kb).await
        }
        State::ResetLogin => ctx.say_with(ctx.t("reset.login_q"), keyboards::nav(loc, false)).await,
        State::ResetCode { .. } => ctx.say_with(ctx.t("reset.code_q"), keyboards::nav(loc, true)).await,
        State::ResetPassword { .. } => ctx.say_with(ctx.t("reset.new_q"), keyboards::nav(loc, false)).await,
        State::ResetPasswordRepeat { .. } => {
            ctx.say_with(ctx.t("reg.password_repeat_q"), keyboards::nav(loc, true))
                .await
        }
        _ => start::show_home(ctx).await,
    }
}

pub async fn on_callback(ctx: &mut Ctx, cb: Cb, state: State) -> HandlerResult {
    match (cb, &state) {
        (Cb::Forgot, _) => begin_reset(ctx).await,
        (Cb::Back, State::LoginPassword { .. }) => {
            ctx.set(State::LoginId).await?;
            prompt(ctx, &State::LoginId).await
        }
        (Cb::Back, State::ResetCode { .. }) => begin_reset(ctx).await,
        (Cb::Back, State::ResetPasswordRepeat { .. }) => start::cancel(ctx).await,
        _ => start::stale_button(ctx).await,
    }
}

pub async fn on_message(ctx: &mut Ctx, msg: &Message, state: State) -> HandlerResult {
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("common.text_expected")).await?;
        return prompt(ctx, &state).await;
    };
    match state {
        State::LoginId | State::ResetLogin => match Login::parse_any(text) {
            Ok(login) if state == State::LoginId => {
                let next = State::LoginPassword {
                    login: login.as_str().to_owned(),
                };
                ctx.set(next.clone()).await?;
                prompt(ctx, &next).await
            }
            Ok(login) => send_reset_code(ctx, &login).await,
            Err(e) => {
                let kind = guess_kind(text);
                ctx.say(registration::id_error_text(ctx, kind, e)).await?;
                prompt(ctx, &state).await
            }
        },
        State::LoginPassword { login } => {
            super::delete_secret(ctx, msg).await;
            password_login(ctx, &login, text).await
        }
        State::ResetCode { account_id } => {
            let Some(code) = normalize_code(text) else {
                ctx.say(ctx.t("reset.code_format")).await?;
                return prompt(ctx, &state).await;
            };
            let check = match account_id {
                Some(id) => {
                    ctx.store()
                        .check_code(id, Purpose::PasswordReset, &code, ctx.now())
                        .await?
                }
                // No such account: the same answer as a wrong code, so logins cannot be probed.
                None => CodeCheck::Wrong { attempts_left: 4 },
            };
            match (check, account_id) {
                (CodeCheck::Ok { .. }, Some(id)) => {
                    let login = ctx.store().account(id).await?.and_then(|a| a.login).unwrap_or_default();
                    let next = State::ResetPassword { account_id: id, login };
                    ctx.set(next.clone()).await?;
                    prompt(ctx, &next).await
                }
                (check @ CodeCheck::Wrong { .. }, _) => {
                    menu::code_problem(ctx, &check, keyboards::nav(ctx.loc, true)).await
                }
                (check, _) => {
                    ctx.set(State::ResetLogin).await?;
                    menu::code_problem(ctx, &check, keyboards::nav(ctx.loc, false)).await?;
                    prompt(ctx, &State::ResetLogin).await
                }
            }
        }
        State::ResetPassword { account_id, login } => {
            super::delete_secret(ctx, msg).await;
            let parsed = Login::parse_any(&login).ok();
            match NewPassword::parse(text, parsed.as_ref()) {
                Ok(pw) => {
                    let hash = super::hash_password(pw.expose().to_owned()).await?;
                    let next = State::ResetPasswordRepeat { account_id, hash };
                    ctx.set(next.clone()).await?;
                    prompt(ctx, &next).await
                }
                Err(e) => {
                    ctx.say(registration::password_error_text(ctx, e)).await?;
                    prompt(ctx, &State::ResetPassword { account_id, login }).await
                }
            }
        }
        State::ResetPasswordRepeat { account_id, hash } => {
            super::delete_secret(ctx, msg).await;
            if !super::verify_password(text.to_owned(), hash.clone()).await? {
                ctx.say(ctx.t("reg.password_mismatch")).await?;
                let login = ctx
                    .store()
                    .account(account_id)
                    .await?
                    .and_then(|a| a.login)
                    .unwrap_or_default();
                let back = State::ResetPassword { account_id, login };
                ctx.set(back.clone()).await?;
                return prompt(ctx, &back).await;
            }
            ctx.store().set_password_hash(account_id, &hash).await?;
            ctx.say(ctx.t("reset.done")).await?;
            signed_in(ctx, account_id).await
        }
        _ => start::reprompt(ctx).await,
    }
}

/// For the wording of an error when the kind was not asked: by the typed length.
fn guess_kind(text: &str) -> crate::domain::ApplicantKind {
    use crate::domain::ApplicantKind::*;
    match text.chars().filter(char::is_ascii_digit).count() {
        13 => Legal,
        15 => Entrepreneur,
        _ => Individual,
    }
}

async fn password_login(ctx: &mut Ctx, login: &str, password: &str) -> HandlerResult {
    let now = ctx.now();
    let chat_key = format!("login-fail:{}", ctx.chat.0);
    let hour = Duration::hours(1);
    if ctx.store().rate_count(&chat_key, now, hour).await? >= CHAT_FAILURES_PER_HOUR {
        ctx.reset().await?;
        ctx.say(ctx.t("login.chat_limit")).await?;
        return start::show_home(ctx).await;
    }
    let outcome = ctx.store().begin_password_login(login, now).await?;
    if !matches!(outcome, PasswordLogin::Check { .. }) {
        ctx.store().rate_add(&chat_key, now, hour).await?;
    }
    match outcome {
        PasswordLogin::NoSuchLogin => {
            // Same cost and answer as a wrong password: logins cannot be probed.
            let _ = super::hash_password(password.to_owned()).await?;
            ctx.say(ctx.t("login.bad")).await?;
            ctx.set(State::LoginId).await?;
            prompt(ctx, &State::LoginId).await
        }
        PasswordLogin::Locked { until } => locked(ctx, until).await,
        PasswordLogin::Check { account_id, hash } => {
            if super::verify_password(password.to_owned(), hash).await? {
                return signed_in(ctx, account_id).await;
            }
            ctx.store().rate_add(&chat_key, now, hour).await?;
            let lock = ctx
                .store()
                .login_failed(account_id, now, MAX_FAILURES, Duration::minutes(LOCK_MINUTES))
                .await?;
            match lock {
                Some(until) => locked(ctx, until).await,
                None => {
                    ctx.say(ctx.t("login.bad")).await?;
                    prompt(
                        ctx,
                        &State::LoginPassword {
                            login: login.to_owned(),
                        },
                    )
                    .await
                }
            }
        }
    }
}

async fn locked(ctx: &mut Ctx, until: chrono::DateTime<chrono::Utc>) -> HandlerResult {
    let minutes = ((until - ctx.now()).num_seconds() + 59) / 60;
    let wait = crate::i18n::plural(ctx.loc, "plural.minutes", minutes.max(1) as u64);
    let kb = keyboards::inline(vec![
        vec![keyboards::button(ctx.loc, "login.forgot", Cb::Forgot)],
        keyboards::nav_row(ctx.loc, false),
    ]);
    ctx.set(State::LoginId).await?;
    ctx.say_with(ctx.tf("login.locked", &[("wait", &wait)]), kb).await
}

async fn signed_in(ctx: &mut Ctx, account_id: i64) -> HandlerResult {
    let notice = ctx.t("login.notice_other");
    ctx.store().sign_in(ctx.chat.0, account_id, &notice, ctx.now()).await?;
    ctx.outbox_written();
    ctx.reset().await?;
    ctx.reload_session().await?;
    ctx.say(ctx.t("login.done")).await?;
    menu::show_menu(ctx).await
}

async fn send_reset_code(ctx: &mut Ctx, login: &Login) -> HandlerResult {
    let account = ctx.store().confirmed_by_login(login.as_str()).await?;
    if let Some(acc) = &account {
        let sent = codes::send(
            ctx,
            acc.id,
            Purpose::PasswordReset,
            acc.email(),
            acc.name.as_deref().unwrap_or_default(),
        )
        .await?;
        if let Some(text) = codes::refusal(ctx, &sent) {
            // A code sent a moment ago is still good: let them type it.
            if matches!(sent, codes::Sent::WaitSecs(_)) {
                ctx.set(State::ResetCode {
                    account_id: Some(acc.id),
                })
                .await?;
            }
            return ctx.say_with(text, keyboards::nav(ctx.loc, false)).await;
        }
    }
    let next = State::ResetCode {
        account_id: account.map(|a| a.id),
    };
    ctx.set(next.clone()).await?;
    ctx.say(ctx.t("reset.sent")).await?;
    prompt(ctx, &next).await
}
