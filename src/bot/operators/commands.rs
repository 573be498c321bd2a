//! The operators' commands in their private chat: /queue, /item <number>, /stats.

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::desk::card_for;
use crate::i18n;
use crate::store::operators::Queued;
use crate::telegram::esc;
use chrono::Duration;

/// /queue, /item <number>, /stats for operators. Returns false when the sender is not one.
pub async fn command(ctx: &Ctx, name: &str, arg: &str) -> Result<bool, HandlerError> {
    if ctx.store().operator(ctx.chat.0).await?.is_none() {
        return Ok(false);
    }
    match name {
        "queue" => queue(ctx).await?,
        "item" => item(ctx, arg).await?,
        _ => stats(ctx).await?,
    }
    Ok(true)
}

/// /queue: the open items, oldest first, the overdue marked.
async fn queue(ctx: &Ctx) -> Result<(), HandlerError> {
    let (loc, now, config) = (ctx.loc, ctx.now(), &ctx.deps.config);
    let rows = ctx.store().queue(30).await?;
    let mut text = format!("<b>{}</b>", i18n::t(loc, "desk.queue"));
    if rows.is_empty() {
        text.push_str(&format!("\n{}", i18n::t(loc, "ticket.empty")));
    }
    for r in rows {
        let overdue = if r.deadline.is_some_and(|d| d < now) {
            "🔥 "
        } else {
            ""
        };
        // Its kind and status in words, the status agreeing with the kind.
        let (kind, status) = match r.item {
            Queued::Ticket(k, s) => (k.key(), s.label_key(k)),
            Queued::MeterRequest(k, s) => (k.key(), s.key()),
            Queued::Connection(k, s) => (k.key(), s.key()),
            Queued::Meter(_, review) => ("desk.new_meter", review.key()),
        };
        text.push_str(&format!(
            "\n{overdue}{} · {} · {} · {}",
            esc(&r.number),
            i18n::t(loc, kind),
            config.local_date(r.created_at),
            i18n::t(loc, status)
        ));
    }
    ctx.say(text).await?;
    Ok(())
}

/// `/item <number> [паспорт]`: the item's card, with the passport number in full when asked
/// (who asked is logged: the item's number, no personal data).
async fn item(ctx: &Ctx, arg: &str) -> Result<(), HandlerError> {
    let mut words = arg.split_whitespace();
    let number = words.next().unwrap_or_default();
    let reveal = words.next().is_some_and(|w| {
        let w = w.to_lowercase();
        w == "паспорт" || w == "passport"
    });
    let found = match ctx.store().item_by_number(number).await? {
        Some(item) => {
            if reveal {
                tracing::info!(operator = ctx.chat.0, number, "passport shown to an operator");
            }
            card_for(ctx.store(), &ctx.deps.config, ctx.now(), item, reveal).await?
        }
        None => None,
    };
    match found {
        Some(c) => ctx.say(c.text()).await?,
        None => ctx.say(i18n::t(ctx.loc, "desk.no_item")).await?,
    };
    Ok(())
}

/// /stats: open, overdue, answered today, the median first answer, deliveries that failed.
async fn stats(ctx: &Ctx) -> Result<(), HandlerError> {
    let (loc, now, config) = (ctx.loc, ctx.now(), &ctx.deps.config);
    let s = ctx.store().stats(now, config.local_midnight(now)).await?;
    let refused = ctx.store().refusals_since(now - Duration::days(1)).await?;
    let median = s
        .median_first_answer_secs
        .map(|m| format!("{} ч {} мин", m / 3600, (m % 3600) / 60))
        .unwrap_or_else(|| "—".into());
    ctx.say(i18n::tf(
        loc,
        "desk.stats",
        &[
            ("open", &s.open.to_string()),
            ("overdue", &s.overdue.to_string()),
            ("answered", &s.answered_today.to_string()),
            ("median", &median),
            ("failed", &s.failed_deliveries.to_string()),
            ("queued", &s.queued_for_desk.to_string()),
            ("refused", &refused.to_string()),
        ],
    ))
    .await?;
    Ok(())
}
