//! «Забыли пароль?»: a code to the consumer's e-mail, then a new password twice. The answers
//! are the same whether the login has a consumer or not, and whether a letter went now or a
//! minute ago; each chat has its own codes and quota, so a stranger asking voids nothing of
//! the owner's.

use super::state::AuthState;
use crate::bot::code_mail;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::password;
use crate::bot::{input_errors, ui};
use crate::domain::{Login, NewPassword};
use crate::policy::RESETS_PER_CHAT_PER_DAY;
use crate::store::codes::{CodeCheck, CodeFor, MAX_ATTEMPTS, Purpose, normalize_code};
use chrono::Duration;
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub async fn begin(ctx: &Ctx) -> Result<Outcome> {
    go(ctx, AuthState::ResetLogin).await
}

async fn go(ctx: &Ctx, state: AuthState) -> Result<Outcome> {
    ctx.set(state.clone()).await?;
    prompt(ctx, &state).await
}

pub async fn prompt(ctx: &Ctx, state: &AuthState) -> Result<Outcome> {
    let (key, back) = match state {
        AuthState::ResetCode { .. } => ("reset.code_q", true),
        AuthState::ResetPassword { .. } => ("reset.new_q", false),
        AuthState::ResetPasswordRepeat { .. } => ("reg.password_repeat_q", true),
        _ => ("reset.login_q", false),
    };
    ctx.say_with(ctx.t(key), ui::nav(ctx.loc, back)).await?;
    Ok(Outcome::Done)
}

pub async fn back(ctx: &Ctx, state: AuthState) -> Result<Outcome> {
    match state {
        AuthState::ResetCode { .. } => begin(ctx).await,
        AuthState::ResetPasswordRepeat { .. } => Ok(Outcome::Cancelled),
        _ => Ok(Outcome::Stale),
    }
}

pub async fn on_message(ctx: &mut Ctx, msg: &Message, state: AuthState) -> Result<Outcome> {
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("common.text_expected")).await?;
        return prompt(ctx, &state).await;
    };
    match state {
        AuthState::ResetCode { consumer_id, attempts } => code(ctx, text, consumer_id, attempts).await,
        AuthState::ResetPassword { consumer_id, login } => {
            password::delete_secret(ctx, msg).await;
            let parsed = Login::parse_any(&login).ok();
            match NewPassword::parse(text, parsed.as_ref()) {
                Ok(pw) => {
                    let hash = password::hash(pw.expose().to_owned()).await?;
                    go(ctx, AuthState::ResetPasswordRepeat { consumer_id, hash }).await
                }
                Err(e) => {
                    ctx.say(input_errors::password_error(ctx.loc, e)).await?;
                    prompt(ctx, &AuthState::ResetPassword { consumer_id, login }).await
                }
            }
        }
        AuthState::ResetPasswordRepeat { consumer_id, hash } => {
            password::delete_secret(ctx, msg).await;
            if !password::verify(text.to_owned(), hash.clone()).await? {
                ctx.say(ctx.t("reg.password_mismatch")).await?;
                let login = login_of(ctx, consumer_id).await?;
                return go(ctx, AuthState::ResetPassword { consumer_id, login }).await;
            }
            password::set_password(ctx, consumer_id, &hash).await?;
            ctx.say(ctx.t("reset.done")).await?;
            super::signed_in(ctx, consumer_id).await
        }
        _ => match Login::parse_any(text) {
            Ok(login) => send_code(ctx, &login).await,
            Err(e) => {
                ctx.say(input_errors::id_error(ctx.loc, super::guess_kind(text), e))
                    .await?;
                prompt(ctx, &state).await
            }
        },
    }
}

async fn login_of(ctx: &Ctx, consumer_id: i64) -> Result<String> {
    Ok(ctx
        .store()
        .consumer(consumer_id)
        .await?
        .and_then(|a| a.login)
        .unwrap_or_default())
}

/// A code to the consumer's e-mail if the login has a consumer, within the chat's quota.
async fn send_code(ctx: &Ctx, login: &Login) -> Result<Outcome> {
    let consumer = ctx.store().confirmed_by_login(login.as_str()).await?;
    let chat_key = format!("reset:{}", ctx.chat.0);
    let day = Duration::days(1);
    let within_limit = ctx.store().rate_count(&chat_key, ctx.now(), day).await? < RESETS_PER_CHAT_PER_DAY;
    if within_limit {
        ctx.store().rate_add(&chat_key, ctx.now(), day).await?;
    }
    if let Some(acc) = consumer.as_ref().filter(|_| within_limit) {
        let key = CodeFor {
            consumer_id: acc.id,
            purpose: Purpose::PasswordReset,
            chat_id: ctx.chat.0,
        };
        code_mail::send(
            ctx,
            key,
            acc.email(),
            &crate::wording::letter_hello(ctx.loc, acc.kind, acc.name.as_deref()),
        )
        .await?;
    }
    let next = AuthState::ResetCode {
        consumer_id: consumer.map(|a| a.id),
        attempts: 0,
    };
    ctx.set(next.clone()).await?;
    ctx.say(ctx.t("reset.sent")).await?;
    prompt(ctx, &next).await
}

async fn code(ctx: &Ctx, text: &str, consumer_id: Option<i64>, attempts: u8) -> Result<Outcome> {
    let Some(code) = normalize_code(text) else {
        ctx.say(ctx.t("reset.code_format")).await?;
        return prompt(ctx, &AuthState::ResetCode { consumer_id, attempts }).await;
    };
    let check = match consumer_id {
        Some(id) => {
            let key = CodeFor {
                consumer_id: id,
                purpose: Purpose::PasswordReset,
                chat_id: ctx.chat.0,
            };
            ctx.store().check_code(key, &code, ctx.now()).await?
        }
        // No such consumer: the answers a wrong code would get, attempt by attempt.
        None => {
            let attempts = i64::from(attempts) + 1;
            ctx.set(AuthState::ResetCode {
                consumer_id: None,
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
    match (check, consumer_id) {
        (CodeCheck::Ok { .. }, Some(id)) => {
            let login = login_of(ctx, id).await?;
            go(ctx, AuthState::ResetPassword { consumer_id: id, login }).await
        }
        (check @ CodeCheck::Wrong { .. }, _) => {
            let text = input_errors::code_problem(ctx.loc, &check).unwrap_or_default();
            ctx.say_with(text, ui::nav(ctx.loc, true)).await?;
            Ok(Outcome::Done)
        }
        (check, _) => {
            ctx.set(AuthState::ResetLogin).await?;
            let text = input_errors::code_problem(ctx.loc, &check).unwrap_or_default();
            ctx.say_with(text, ui::nav(ctx.loc, false)).await?;
            prompt(ctx, &AuthState::ResetLogin).await
        }
    }
}
