//! «Войти в личный кабинет» from another Telegram account: the login, then its password, with
//! the lock-out counted per login and chat.

use super::state::AuthState;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::password::{self, Verdict};
use crate::bot::{input_errors, ui};
use crate::callback::AuthCb;
use crate::domain::Login;
use teloxide::types::{KeyboardRemove, Message};

type Result<T> = std::result::Result<T, HandlerError>;

pub async fn begin(ctx: &Ctx) -> Result<Outcome> {
    ctx.set(AuthState::LoginId).await?;
    ctx.say_with(ctx.t("login.start"), KeyboardRemove::new()).await?;
    prompt(ctx, &AuthState::LoginId).await
}

async fn go(ctx: &Ctx, state: AuthState) -> Result<Outcome> {
    ctx.set(state.clone()).await?;
    prompt(ctx, &state).await
}

pub async fn prompt(ctx: &Ctx, state: &AuthState) -> Result<Outcome> {
    let loc = ctx.loc;
    let (key, back) = match state {
        AuthState::LoginPassword { .. } => ("login.password_q", true),
        _ => ("login.id_q", false),
    };
    let kb = ui::inline(vec![
        ui::row(loc, "login.forgot", AuthCb::Forgot),
        ui::nav_row(loc, back),
    ]);
    ctx.say_with(ctx.t(key), kb).await?;
    Ok(Outcome::Done)
}

/// «Назад» from the password: the login again.
pub async fn back(ctx: &Ctx, state: AuthState) -> Result<Outcome> {
    match state {
        AuthState::LoginPassword { .. } => go(ctx, AuthState::LoginId).await,
        _ => Ok(Outcome::Stale),
    }
}

pub async fn on_message(ctx: &mut Ctx, msg: &Message, state: AuthState) -> Result<Outcome> {
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("common.text_expected")).await?;
        return prompt(ctx, &state).await;
    };
    match state {
        AuthState::LoginPassword { login } => {
            password::delete_secret(ctx, msg).await;
            check_password(ctx, &login, text).await
        }
        _ => match Login::parse_any(text) {
            Ok(login) => {
                go(
                    ctx,
                    AuthState::LoginPassword {
                        login: login.as_str().to_owned(),
                    },
                )
                .await
            }
            Err(e) => {
                ctx.say(input_errors::id_error(ctx.loc, super::guess_kind(text), e))
                    .await?;
                prompt(ctx, &state).await
            }
        },
    }
}

async fn check_password(ctx: &mut Ctx, login: &str, typed: &str) -> Result<Outcome> {
    let consumer = ctx.store().confirmed_by_login(login).await?;
    match password::check(ctx, login, consumer.as_ref(), typed).await? {
        Verdict::Right => match consumer {
            Some(acc) => super::signed_in(ctx, acc.id).await,
            None => Ok(Outcome::Done),
        },
        Verdict::Wrong if consumer.is_none() => {
            ctx.say(ctx.t("login.bad")).await?;
            go(ctx, AuthState::LoginId).await
        }
        Verdict::Wrong => {
            ctx.say(ctx.t("login.bad")).await?;
            let state = AuthState::LoginPassword {
                login: login.to_owned(),
            };
            prompt(ctx, &state).await
        }
        Verdict::Locked { until } => {
            let wait = password::wait_words(ctx, until);
            let kb = ui::inline(vec![
                ui::row(ctx.loc, "login.forgot", AuthCb::Forgot),
                ui::nav_row(ctx.loc, false),
            ]);
            ctx.set(AuthState::LoginId).await?;
            ctx.say_with(ctx.tf("login.locked", &[("wait", &wait)]), kb).await?;
            Ok(Outcome::Done)
        }
        Verdict::ChatLimit => Ok(Outcome::Home(Some(ctx.t("login.chat_limit")))),
    }
}
