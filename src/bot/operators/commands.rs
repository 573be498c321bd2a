//! The operators' commands in their private chat: /queue, /item <number>, /stats.

use crate::bot::ctx::Ctx;
use crate::bot::deps::{Deps, HandlerError};
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

/// /queue: the open items, oldest first, the overdue marked; in a group, those whose card is
/// there.
async fn queue(ctx: &Ctx) -> Result<(), HandlerError> {
    let text = queue_text(&ctx.deps, ctx.loc, None).await?;
    ctx.say(text).await?;
    Ok(())
}

async fn queue_text(deps: &Deps, loc: &str, group: Option<i64>) -> Result<String, HandlerError> {
    let (now, config) = (deps.clock.now(), &deps.config);
    let rows = deps.store.queue(30, group).await?;
    let title = if group.is_some() {
        "desk.queue_here"
    } else {
        "desk.queue"
    };
    let mut text = if group.is_some() {
        i18n::t(loc, title)
    } else {
        format!("<b>{}</b>", i18n::t(loc, title))
    };
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
    Ok(text)
}

/// `/item <number> [паспорт]`: the item's card, with the passport number in full when asked
/// (who asked is logged: the item's number, no personal data).
async fn item(ctx: &Ctx, arg: &str) -> Result<(), HandlerError> {
    let mut words = arg.split_whitespace();
    // Typed as an English client reads it («ZH-2026-000002») or as stored.
    let number = crate::domain::numbers::stored(words.next().unwrap_or_default());
    let number = number.as_str();
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
    let mut text = stats_text(&ctx.deps, ctx.loc, None).await?;
    // Each department's ratings, when there are departments.
    if ctx.deps.group.has_departments() {
        for chat in ctx.deps.group.chats() {
            let name = super::department_name(&ctx.deps, chat);
            if let Some(r) = ratings(&ctx.deps, ctx.loc, Some(chat.0)).await? {
                text.push_str(&format!("\n\n<b>{}</b>\n{r}", esc(&name)));
            }
        }
    }
    ctx.say(text).await?;
    Ok(())
}

/// Ratings over 7 and 30 days (of a group's items), once something was answered.
async fn ratings(deps: &Deps, loc: &str, group: Option<i64>) -> Result<Option<String>, HandlerError> {
    let now = deps.clock.now();
    let mut ratings = Vec::new();
    for days in [7, 30] {
        let r = deps.store.rating_stats(now - Duration::days(days), group).await?;
        let average = r
            .average
            .map_or_else(|| "—".to_owned(), |a| format!("{a:.1}").replace('.', ","));
        let share = if r.answered > 0 { r.rated * 100 / r.answered } else { 0 };
        ratings.push((r.answered, days.to_string(), average, share.to_string()));
    }
    Ok(match ratings.as_slice() {
        [(_, d7, a7, s7), (answered, d30, a30, s30)] if *answered > 0 => {
            let args = [
                ("d7", d7),
                ("a7", a7),
                ("s7", s7),
                ("d30", d30),
                ("a30", a30),
                ("s30", s30),
            ];
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            Some(i18n::tf(loc, "rate.stats", &args))
        }
        _ => None,
    })
}

async fn stats_text(deps: &Deps, loc: &str, group: Option<i64>) -> Result<String, HandlerError> {
    let (now, config) = (deps.clock.now(), &deps.config);
    let s = deps.store.stats(now, config.local_midnight(now), group).await?;
    let refused = deps.store.refusals_since(now - Duration::days(1)).await?;
    let median = s
        .median_first_answer_secs
        .map(|m| format!("{} ч {} мин", m / 3600, (m % 3600) / 60))
        .unwrap_or_else(|| "—".into());
    let (helped, filed) = deps.store.faq_counts(now - Duration::days(30)).await?;
    let mut faq = if helped + filed > 0 && group.is_none() {
        let share = (helped * 100 / (helped + filed)).to_string();
        let args = [
            ("helped", helped.to_string()),
            ("filed", filed.to_string()),
            ("share", share),
        ];
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        i18n::tf(loc, "faq.stats", &args)
    } else {
        String::new()
    };
    if let Some(r) = ratings(deps, loc, group).await? {
        faq = format!("{faq}\n\n{r}");
    }
    Ok(i18n::tf(
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
    ) + &faq)
}

/// `/queue` and `/stats` in an operators' group: that group's items (a department's work).
/// False for any other command.
pub async fn in_group(deps: &Deps, msg: &teloxide::types::Message, text: &str) -> Result<bool, HandlerError> {
    let Some(name @ ("/queue" | "/stats")) = super::group_command(deps, text) else {
        return Ok(false);
    };
    let loc = deps.config.default_locale.clone();
    let group = msg.chat.id;
    let operator = msg.from.as_ref().filter(|u| !u.is_bot).map(|u| u.id.0 as i64);
    let allowed = match operator {
        Some(op) => deps.store.operator(op).await?.is_some(),
        None => false,
    };
    let text = if !allowed {
        i18n::t(&loc, "desk.operators_only")
    } else if name == "/queue" {
        queue_text(deps, &loc, Some(group.0)).await?
    } else {
        stats_text(deps, &loc, Some(group.0)).await?
    };
    super::tell_group(deps, group, msg.id, &text, None).await?;
    Ok(true)
}
