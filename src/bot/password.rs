//! Passwords: hashing off the async threads, the message with one deleted, and who may act in
//! an account. The password and its lock-out are counted per login and chat: a
//! stranger who knows a login and guesses slows only the stranger's own chat, never the owner
//! signing in from theirs. And what a new password or a deletion does to the account's other
//! chats: they are signed out and told.

use super::ctx::Ctx;
use super::deps::HandlerError;
use crate::i18n;
use crate::policy::{CHAT_PASSWORD_FAILURES_PER_HOUR, PASSWORD_FAILURES, PASSWORD_LOCK};
use crate::store::accounts::login_key;
use crate::store::outbox::OutboxMessage;
use chrono::{DateTime, Duration, Utc};
use teloxide::types::Message;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Right,
    Wrong,
    /// This chat may not try this login until then.
    Locked {
        until: DateTime<Utc>,
    },
    /// This chat tried too many passwords this hour.
    ChatLimit,
}

fn pair_key(login: &str, chat: i64) -> String {
    format!("pw:{}:{chat}", login_key(login))
}

fn chat_key(chat: i64) -> String {
    format!("login-fail:{chat}")
}

/// Checks `typed` as the password of `login` from this chat. `hash` is the account's (none: no
/// such account — the same cost and answer as a wrong password, so logins cannot be probed).
pub async fn check(ctx: &Ctx, login: &str, hash: Option<String>, typed: &str) -> Result<Verdict, HandlerError> {
    let now = ctx.now();
    let window = PASSWORD_LOCK;
    let hour = Duration::hours(1);
    let store = ctx.store();
    let chat = chat_key(ctx.chat.0);
    if store.rate_count(&chat, now, hour).await? >= CHAT_PASSWORD_FAILURES_PER_HOUR {
        return Ok(Verdict::ChatLimit);
    }
    let pair = pair_key(login, ctx.chat.0);
    let (failures, last) = store.rate_recent(&pair, now, window).await?;
    if failures >= PASSWORD_FAILURES
        && let Some(until) = last.map(|l| l + window).filter(|u| *u > now)
    {
        return Ok(Verdict::Locked { until });
    }
    let right = match hash {
        Some(h) => verify(typed.to_owned(), h).await?,
        None => {
            let _ = self::hash(typed.to_owned()).await?;
            false
        }
    };
    if right {
        store.rate_clear(&pair).await?;
        return Ok(Verdict::Right);
    }
    store.rate_add(&pair, now, window).await?;
    store.rate_add(&chat, now, hour).await?;
    if failures + 1 >= PASSWORD_FAILURES {
        return Ok(Verdict::Locked { until: now + window });
    }
    Ok(Verdict::Wrong)
}

/// «попробуйте через 15 минут»: the wait, in words.
pub fn wait_words(ctx: &Ctx, until: DateTime<Utc>) -> String {
    let minutes = ((until - ctx.now()).num_seconds() + 59) / 60;
    i18n::plural(ctx.loc, "plural.minutes", minutes.max(1) as u64)
}

/// A message with `key` to every chat of the account but `except`, each in its language.
pub async fn tell_chats(
    ctx: &Ctx,
    account_id: i64,
    except: Option<i64>,
    key: &str,
) -> Result<Vec<OutboxMessage>, HandlerError> {
    let default = &ctx.deps.config.default_locale;
    Ok(ctx
        .store()
        .chats_of(account_id)
        .await?
        .into_iter()
        .filter(|(chat, _)| Some(*chat) != except)
        .map(|(chat, locale)| {
            let loc = i18n::pick_locale(locale.as_deref(), None, default);
            OutboxMessage::Telegram {
                chat_id: chat,
                text: i18n::t(loc, key),
                button: None,
                keyboard: Vec::new(),
                reply_to: None,
            }
        })
        .collect())
}

/// A new password for the account, from this chat: every other chat is signed out and told.
pub async fn set_password(ctx: &Ctx, account_id: i64, hash: &str) -> Result<(), HandlerError> {
    let notices = tell_chats(ctx, account_id, Some(ctx.chat.0), "auth.password_changed_elsewhere").await?;
    ctx.store()
        .set_password(account_id, hash, ctx.chat.0, &notices, ctx.now())
        .await?;
    ctx.outbox_written();
    Ok(())
}

pub async fn hash(password: String) -> Result<String, HandlerError> {
    tokio::task::spawn_blocking(move || crate::password::hash(&password))
        .await
        .map_err(|e| HandlerError::Hash(e.to_string()))?
        .map_err(HandlerError::Hash)
}

pub async fn verify(password: String, hash: String) -> Result<bool, HandlerError> {
    tokio::task::spawn_blocking(move || crate::password::verify(&password, &hash))
        .await
        .map_err(|e| HandlerError::Hash(e.to_string()))
}

/// Deletes a message that carried a password (through the chat's lane); failing that is
/// logged, not fatal.
pub async fn delete_secret(ctx: &Ctx, msg: &Message) {
    let (tg, chat, id) = (ctx.tg().clone(), ctx.chat, msg.id);
    ctx.tg().queue(chat, async move {
        if let Err(e) = tg.delete(chat, id).await {
            tracing::warn!(error = %e, "could not delete a message with a password");
        }
    });
}
