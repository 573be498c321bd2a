//! «Войти в личный кабинет» from another Telegram account, and «Забыли пароль?».

use super::auth::{self, Verdict};
use super::codes;
use super::state::State;
use super::{Ctx, HandlerResult, keyboards, menu, registration, start};
use crate::callback::Cb;
use crate::domain::{Login, NewPassword};
use crate::store::codes::{CodeCheck, CodeFor, MAX_ATTEMPTS, Purpose, normalize_code};
use chrono::Duration;
use teloxide::prelude::*;
use teloxide::types::KeyboardRemove;

pub use auth::CHAT_FAILURES_PER_HOUR;

/// Reset requests one chat may make in a day, whatever the logins: against mail bombing.
pub use crate::policy::RESETS_PER_CHAT_PER_DAY;

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
        State::ResetCode { account_id, attempts } => {
            let Some(code) = normalize_code(text) else {
                ctx.say(ctx.t("reset.code_format")).await?;
                return prompt(ctx, &state).await;
            };
            let check = match account_id {
                Some(id) => {
                    let key = CodeFor {
                        account_id: id,
                        purpose: Purpose::PasswordReset,
                        chat_id: ctx.chat.0,
                    };
                    ctx.store().check_code(key, &code, ctx.now()).await?
                }
                // No such account: the answers a wrong code would get, attempt by attempt, so
                // logins cannot be probed.
                None => {
                    let attempts = i64::from(attempts) + 1;
                    ctx.set(State::ResetCode {
                        account_id: None,
                        attempts: attempts as u8,
                    })
                    .await?;
                    if attempts >= MAX_ATTEMPTS {
                        CodeCheck::Exhausted
                    } else {
                        CodeCheck::Wrong {
                            attempts_left: MAX_ATTEMPTS - attempts,
                        }
                    }
                }
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
            auth::set_password(ctx, account_id, &hash).await?;
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
    let account = ctx.store().confirmed_by_login(login).await?;
    let hash = account.as_ref().and_then(|a| a.password_hash.clone());
    match auth::check(ctx, login, hash, password).await? {
        Verdict::Right => match account {
            Some(acc) => signed_in(ctx, acc.id).await,
            None => Ok(()),
        },
        Verdict::Wrong if account.is_none() => {
            ctx.say(ctx.t("login.bad")).await?;
            ctx.set(State::LoginId).await?;
            prompt(ctx, &State::LoginId).await
        }
        Verdict::Wrong => {
            ctx.say(ctx.t("login.bad")).await?;
            prompt(
                ctx,
                &State::LoginPassword {
                    login: login.to_owned(),
                },
            )
            .await
        }
        Verdict::Locked { until } => locked(ctx, until).await,
        Verdict::ChatLimit => {
            ctx.reset().await?;
            ctx.say(ctx.t("login.chat_limit")).await?;
            start::show_home(ctx).await
        }
    }
}

async fn locked(ctx: &mut Ctx, until: chrono::DateTime<chrono::Utc>) -> HandlerResult {
    let wait = auth::wait_words(ctx, until);
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

/// «Забыли пароль?»: a code to the account's e-mail if the login has an account. The answer is
/// the same whether it has one or not, and whether a letter went now or a minute ago; each chat
/// has its own codes and quota, so a stranger asking voids nothing of the owner's.
async fn send_reset_code(ctx: &mut Ctx, login: &Login) -> HandlerResult {
    let account = ctx.store().confirmed_by_login(login.as_str()).await?;
    let chat_key = format!("reset:{}", ctx.chat.0);
    let day = Duration::days(1);
    let within_limit = ctx.store().rate_count(&chat_key, ctx.now(), day).await? < RESETS_PER_CHAT_PER_DAY;
    if within_limit {
        ctx.store().rate_add(&chat_key, ctx.now(), day).await?;
    }
    if let Some(acc) = account.as_ref().filter(|_| within_limit) {
        let key = CodeFor {
            account_id: acc.id,
            purpose: Purpose::PasswordReset,
            chat_id: ctx.chat.0,
        };
        codes::send(ctx, key, acc.email(), acc.name.as_deref().unwrap_or_default()).await?;
    }
    let next = State::ResetCode {
        account_id: account.map(|a| a.id),
        attempts: 0,
    };
    ctx.set(next.clone()).await?;
    ctx.say(ctx.t("reset.sent")).await?;
    prompt(ctx, &next).await
}
