//! Sending a one-time code by e-mail, with the limits: a new code at most once a minute and
//! six a day (the first and five resends) per consumer, purpose and the chat that asks.

use super::ctx::Ctx;
use super::deps::HandlerError;
use crate::i18n::tf;
use crate::policy::{CODE_COOLDOWN_SECS, CODES_PER_DAY};
use crate::store::codes::{CodeFor, Issued, Purpose};
use crate::store::outbox::OutboxMessage;
use chrono::Duration;

pub enum Sent {
    Yes,
    WaitSecs(i64),
    DailyLimit,
    /// The address had its letters for today (from whatever chats).
    AddressLimit,
}

/// The rate key of letters to an address (hashed: no address in the table).
pub fn address_key(to: &str) -> String {
    let hash = crate::store::codes::hash(&format!("mail:{}", to.trim().to_lowercase()));
    format!("mail-to:{}", &hash[..16])
}

/// Whether `to` may get another letter with a code today.
pub async fn address_allows(ctx: &Ctx, to: &str) -> Result<bool, HandlerError> {
    let sent = ctx
        .store()
        .rate_count(&address_key(to), ctx.now(), Duration::days(1))
        .await?;
    Ok(sent < crate::policy::LETTERS_PER_ADDRESS_PER_DAY)
}

/// The letter with the code (and the deep link, for registration); `hello` is its greeting
/// (`wording::letter_hello`).
pub fn letter(ctx: &Ctx, purpose: Purpose, to: &str, hello: &str, issued: &Issued) -> OutboxMessage {
    let (subject, body) = purpose.letter_keys();
    let link = issued
        .token
        .as_ref()
        .map(|t| format!("https://t.me/{}?start={t}", ctx.deps.bot_username))
        .unwrap_or_default();
    let org = ctx.deps.config.org_signature(ctx.loc);
    let org = org.as_str();
    let (minutes, hours) = (code_ttl(ctx.loc), link_ttl(ctx.loc));
    let args = [
        ("hello", hello),
        ("code", issued.code.as_str()),
        ("link", link.as_str()),
        ("org", org),
        ("code_ttl", minutes.as_str()),
        ("link_ttl", hours.as_str()),
    ];
    OutboxMessage::Email {
        to: to.to_owned(),
        subject: tf(ctx.loc, subject, &args),
        body: tf(ctx.loc, body, &args),
        code: true,
    }
}

/// Whether the limits allow another code now.
pub async fn allowed(ctx: &Ctx, key: CodeFor) -> Result<Sent, HandlerError> {
    let now = ctx.now();
    let stats = ctx.store().codes_sent_since(key, now - Duration::days(1)).await?;
    if let Some(last) = stats.last {
        let wait = CODE_COOLDOWN_SECS - (now - last).num_seconds();
        if wait > 0 {
            return Ok(Sent::WaitSecs(wait));
        }
    }
    if stats.count >= CODES_PER_DAY {
        return Ok(Sent::DailyLimit);
    }
    Ok(Sent::Yes)
}

pub async fn send(ctx: &Ctx, key: CodeFor, to: &str, hello: &str) -> Result<Sent, HandlerError> {
    let verdict = allowed(ctx, key).await?;
    if !matches!(verdict, Sent::Yes) {
        return Ok(verdict);
    }
    if !address_allows(ctx, to).await? {
        return Ok(Sent::AddressLimit);
    }
    let issued = Issued::generate(key.purpose == Purpose::Register);
    let mail = letter(ctx, key.purpose, to, hello, &issued);
    ctx.store().issue_code(key, to, &issued, &mail, ctx.now()).await?;
    ctx.store()
        .rate_add(&address_key(to), ctx.now(), Duration::days(1))
        .await?;
    ctx.outbox_written();
    Ok(Sent::Yes)
}

/// The sentence for a refused send.
pub fn refusal(ctx: &Ctx, sent: &Sent) -> Option<String> {
    match sent {
        Sent::Yes => None,
        Sent::WaitSecs(s) => Some(ctx.tf(
            "code.cooldown",
            &[(
                "wait",
                &crate::i18n::plural(ctx.loc, "plural.seconds", (*s).max(1) as u64),
            )],
        )),
        Sent::DailyLimit => Some(ctx.t("code.daily_limit")),
        Sent::AddressLimit => Some(ctx.t("code.address_limit")),
    }
}

/// How long a code lives, in words («30 минут»): the letter and the chat say the same.
pub fn code_ttl(loc: &str) -> String {
    crate::i18n::plural(loc, "plural.minutes_for", crate::store::codes::CODE_TTL_MIN as u64)
}

/// How long a link in a letter lives, in words («24 часа»).
pub fn link_ttl(loc: &str) -> String {
    crate::i18n::plural(loc, "plural.hours_for", crate::store::codes::TOKEN_TTL_HOURS as u64)
}
