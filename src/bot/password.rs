//! Passwords: hashing off the async threads, the message with one deleted, and who may act in
//! a consumer. The password and its lock-out are counted per login and chat: a
//! stranger who knows a login and guesses slows only the stranger's own chat, never the owner
//! signing in from theirs. And what a new password or a deletion does to the consumer's other
//! chats: they are signed out and told.

use super::ctx::Ctx;
use super::deps::HandlerError;
use crate::i18n;
use crate::policy::{
    CHAT_PASSWORD_FAILURES_PER_HOUR, LOGIN_FAILURES_FREE, LOGIN_WAIT_MAX, OWNER_TOLD_AFTER, PASSWORD_FAILURES,
    PASSWORD_LOCK,
};
use crate::store::consumers::Consumer;
use crate::store::consumers::login_key;
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

/// Every chat's failures at one login (erased with the login's other counters).
fn login_all_key(login: &str) -> String {
    format!("pw:{}:all", login_key(login))
}

/// After `failures` wrong passwords for a login in a day (from any chats), the next try waits
/// this long after the last: nothing for the first few, then a minute, doubling.
fn login_wait(failures: i64) -> Duration {
    let over = failures - LOGIN_FAILURES_FREE;
    if over < 0 {
        return Duration::zero();
    }
    Duration::minutes(1i64 << over.min(20)).min(LOGIN_WAIT_MAX)
}

/// Checks `typed` as the password of `login` from this chat. `owner` is the consumer (none: no
/// such consumer — the same cost and answer as a wrong password, so logins cannot be probed).
/// Failures count per login and chat (that chat locked out for a while), per chat (whatever
/// the logins) and per login from every chat: past a few a day each try waits longer, and the
/// owner is told in their chats and by e-mail.
pub async fn check(ctx: &Ctx, login: &str, owner: Option<&Consumer>, typed: &str) -> Result<Verdict, HandlerError> {
    let now = ctx.now();
    let window = PASSWORD_LOCK;
    let (hour, day) = (Duration::hours(1), Duration::days(1));
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
    let all = login_all_key(login);
    // A chat signed in to the consumer itself (re-entering the password to change something)
    // is never slowed by what strangers tried.
    let own_chat = ctx.user().zip(owner).is_some_and(|(u, o)| u.id == o.id);
    let (everywhere, last_anywhere) = store.rate_recent(&all, now, day).await?;
    if let Some(until) = last_anywhere
        .map(|l| l + login_wait(everywhere))
        .filter(|u| *u > now && !own_chat)
    {
        return Ok(Verdict::Locked { until });
    }
    // Counted before the hash is checked: chats guessing at once cannot all slip through the
    // same wait (a right password takes it back).
    store.rate_add(&all, now, day).await?;
    let right = match owner.and_then(|a| a.password_hash.clone()) {
        Some(h) => verify(typed.to_owned(), h).await?,
        None => {
            let _ = self::hash(typed.to_owned()).await?;
            false
        }
    };
    if right {
        store.rate_clear(&pair).await?;
        store.rate_clear(&all).await?;
        return Ok(Verdict::Right);
    }
    store.rate_add(&pair, now, window).await?;
    store.rate_add(&chat, now, hour).await?;
    if everywhere + 1 == OWNER_TOLD_AFTER
        && let Some(acc) = owner
    {
        tell_owner(ctx, acc, everywhere + 1).await?;
    }
    if failures + 1 >= PASSWORD_FAILURES {
        return Ok(Verdict::Locked { until: now + window });
    }
    let wait = login_wait(everywhere + 1);
    if wait > Duration::zero() && !own_chat {
        return Ok(Verdict::Locked { until: now + wait });
    }
    Ok(Verdict::Wrong)
}

/// Someone keeps typing wrong passwords for this consumer: every chat of it and its address
/// are told (nothing the guesser typed is in either).
async fn tell_owner(ctx: &Ctx, acc: &Consumer, failures: i64) -> Result<(), HandlerError> {
    let mut notices = tell_chats(ctx, acc.id, None, "auth.failed_attempts").await?;
    if let Some(to) = acc.email.clone() {
        let loc = ctx.deps.config.default_locale.as_str();
        let org = ctx.deps.config.org_signature(loc);
        let hello = crate::wording::letter_hello(loc, acc.kind, acc.name.as_deref());
        let args = [("count", failures.to_string()), ("org", org), ("hello", hello)];
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        notices.push(OutboxMessage::Email {
            to,
            subject: i18n::tf(loc, "mail.failed_logins.subject", &args),
            body: i18n::tf(loc, "mail.failed_logins.body", &args),
            code: false,
        });
    }
    ctx.store().tell_about_meter(&notices, ctx.now()).await?;
    ctx.outbox_written();
    Ok(())
}

/// «попробуйте через 15 минут»: the wait, in words.
pub fn wait_words(ctx: &Ctx, until: DateTime<Utc>) -> String {
    let minutes = ((until - ctx.now()).num_seconds() + 59) / 60;
    i18n::plural(ctx.loc, "plural.minutes", minutes.max(1) as u64)
}

/// A message with `key` to every chat of the consumer but `except`, each in its language.
pub async fn tell_chats(
    ctx: &Ctx,
    consumer_id: i64,
    except: Option<i64>,
    key: &str,
) -> Result<Vec<OutboxMessage>, HandlerError> {
    let default = &ctx.deps.config.default_locale;
    Ok(ctx
        .store()
        .chats_of(consumer_id)
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
                markup: None,
                paid: false,
            }
        })
        .collect())
}

/// A new password for the consumer, from this chat: every other chat is signed out and told,
/// and the login's failures from every chat are forgotten (the owner proved who they are).
pub async fn set_password(ctx: &Ctx, consumer_id: i64, hash: &str) -> Result<(), HandlerError> {
    if let Some(acc) = ctx.store().consumer(consumer_id).await? {
        ctx.store().rate_clear(&login_all_key(acc.login())).await?;
    }
    let notices = tell_chats(ctx, consumer_id, Some(ctx.chat.0), "auth.password_changed_elsewhere").await?;
    ctx.store()
        .set_password(consumer_id, hash, ctx.chat.0, &notices, ctx.now())
        .await?;
    ctx.outbox_written();
    Ok(())
}

pub async fn hash(password: String) -> Result<String, HandlerError> {
    tokio::task::spawn_blocking(move || crate::hashing::hash(&password))
        .await
        .map_err(|e| HandlerError::Hash(e.to_string()))?
        .map_err(HandlerError::Hash)
}

pub async fn verify(password: String, hash: String) -> Result<bool, HandlerError> {
    tokio::task::spawn_blocking(move || crate::hashing::verify(&password, &hash))
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
