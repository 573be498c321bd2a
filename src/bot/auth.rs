//! Who may act in an account. The password and its lock-out are counted per login and chat: a
//! stranger who knows a login and guesses slows only the stranger's own chat, never the owner
//! signing in from theirs. And what a new password or a deletion does to the account's other
//! chats: they are signed out and told.

use super::{Ctx, HandlerError};
use crate::i18n;
use crate::store::accounts::login_key;
use crate::store::outbox::OutboxMessage;
use chrono::{DateTime, Duration, Utc};

/// Wrong passwords for one login from one chat before that chat's attempts at it are locked.
pub use crate::policy::PASSWORD_FAILURES as MAX_FAILURES;
pub const LOCK_MINUTES: i64 = crate::policy::PASSWORD_LOCK.num_minutes();
/// Wrong passwords from one chat per hour, whatever the login: against trying many accounts.
pub use crate::policy::CHAT_PASSWORD_FAILURES_PER_HOUR as CHAT_FAILURES_PER_HOUR;

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
    let window = Duration::minutes(LOCK_MINUTES);
    let hour = Duration::hours(1);
    let store = ctx.store();
    let chat = chat_key(ctx.chat.0);
    if store.rate_count(&chat, now, hour).await? >= CHAT_FAILURES_PER_HOUR {
        return Ok(Verdict::ChatLimit);
    }
    let pair = pair_key(login, ctx.chat.0);
    let (failures, last) = store.rate_recent(&pair, now, window).await?;
    if failures >= MAX_FAILURES
        && let Some(until) = last.map(|l| l + window).filter(|u| *u > now)
    {
        return Ok(Verdict::Locked { until });
    }
    let right = match hash {
        Some(h) => super::verify_password(typed.to_owned(), h).await?,
        None => {
            let _ = super::hash_password(typed.to_owned()).await?;
            false
        }
    };
    if right {
        store.rate_clear(&pair).await?;
        return Ok(Verdict::Right);
    }
    store.rate_add(&pair, now, window).await?;
    store.rate_add(&chat, now, hour).await?;
    if failures + 1 >= MAX_FAILURES {
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
