//! «Дополнить» and «Не решено»: a text and files added to an item, then «Отправить».

use super::card::{self, owned};
use super::state::TicketsState;
use crate::bot::compose::Compose;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::policy::{FOLLOW_UPS_PER_DAY, TICKET_FILES, TICKET_TYPES};
use crate::store::tickets::UserMessage;
use chrono::Duration;
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub async fn begin(ctx: &Ctx, ticket_id: i64, reopen: bool) -> Result<Outcome> {
    let Some(tk) = owned(ctx, ticket_id).await? else {
        return card::not_found(ctx).await;
    };
    let allowed = if reopen {
        tk.status.can_reopen()
    } else {
        tk.status.is_open()
    };
    if !allowed {
        ctx.say(ctx.t("ticket.not_now")).await?;
        return card::show(ctx, tk.id).await;
    }
    let message = Compose::default();
    ctx.set(TicketsState::FollowUp {
        ticket_id: tk.id,
        reopen,
        message: message.clone(),
    })
    .await?;
    prompt(ctx, reopen, &message).await
}

pub async fn prompt(ctx: &Ctx, reopen: bool, message: &Compose) -> Result<Outcome> {
    let key = if reopen { "ticket.reopen_q" } else { "ticket.add_q" };
    message.prompt(ctx, key).await?;
    Ok(Outcome::Done)
}

pub async fn on_message(
    ctx: &Ctx,
    msg: &Message,
    ticket_id: i64,
    reopen: bool,
    mut message: Compose,
) -> Result<Outcome> {
    message.take(ctx, msg, TICKET_TYPES, TICKET_FILES).await?;
    ctx.set(TicketsState::FollowUp {
        ticket_id,
        reopen,
        message: message.clone(),
    })
    .await?;
    prompt(ctx, reopen, &message).await
}

pub async fn send(ctx: &Ctx, ticket_id: i64, reopen: bool, message: Compose) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if reopen && message.text.is_none() {
        ctx.say(ctx.t("ticket.reopen_needs_text")).await?;
        return prompt(ctx, reopen, &message).await;
    }
    if message.is_empty() {
        return Ok(Outcome::Stale);
    }
    let key = format!("follow:{}", user.id);
    if ctx.store().rate_count(&key, ctx.now(), Duration::days(1)).await? >= FOLLOW_UPS_PER_DAY {
        ctx.reset().await?;
        let text = ctx.tf("ticket.follow_too_many", &[("max", &FOLLOW_UPS_PER_DAY.to_string())]);
        ctx.say(text).await?;
        return Ok(Outcome::Done);
    }
    let done = ctx.t(if reopen { "ticket.reopened" } else { "ticket.added" });
    let mut finish = ctx.finish(vec![ctx.queued_text(done)]);
    finish.rate_keys.push(key);
    let added = ctx
        .store()
        .add_user_message(
            user.id,
            ticket_id,
            &UserMessage {
                text: message.text.as_deref(),
                files: &message.files,
                reopen,
            },
            ctx.now(),
            Some(&finish),
        )
        .await?;
    let Some(replies) = added else {
        ctx.reset().await?;
        ctx.say(ctx.t("ticket.not_now")).await?;
        return card::show(ctx, ticket_id).await;
    };
    ctx.send_committed(&replies).await?;
    card::show(ctx, ticket_id).await
}
