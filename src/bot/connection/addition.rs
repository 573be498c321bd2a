//! «Дополнить заявку»: a text and files added to an application still under way.

use super::section::{not_found, owned, show_card};
use super::state::ConnState;
use crate::bot::compose::Compose;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::policy::{CONNECTION_FILES, CONNECTION_TYPES};
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub async fn begin(ctx: &Ctx, app_id: i64) -> Result<Outcome> {
    let Some(app) = owned(ctx, app_id).await? else {
        return not_found(ctx).await;
    };
    if app.status.is_final() {
        ctx.say(ctx.t("ticket.not_now")).await?;
        return Ok(Outcome::Done);
    }
    let message = Compose::default();
    ctx.set(ConnState::Add {
        app_id: app.id,
        message: message.clone(),
    })
    .await?;
    prompt(ctx, &message).await
}

pub async fn prompt(ctx: &Ctx, message: &Compose) -> Result<Outcome> {
    message.prompt(ctx, "conn.add_q").await?;
    Ok(Outcome::Done)
}

pub async fn on_message(ctx: &Ctx, msg: &Message, app_id: i64, mut message: Compose) -> Result<Outcome> {
    message.take(ctx, msg, CONNECTION_TYPES, CONNECTION_FILES).await?;
    ctx.set(ConnState::Add {
        app_id,
        message: message.clone(),
    })
    .await?;
    prompt(ctx, &message).await
}

pub async fn send(ctx: &Ctx, app_id: i64, message: Compose) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if message.is_empty() {
        return Ok(Outcome::Stale);
    }
    let key = format!("conn-add:{}", user.id);
    let max = crate::policy::CONNECTION_ADDITIONS_PER_DAY;
    if ctx
        .store()
        .rate_count(&key, ctx.now(), chrono::Duration::days(1))
        .await?
        >= max
    {
        ctx.reset().await?;
        ctx.say(ctx.tf("ticket.follow_too_many", &[("max", &max.to_string())]))
            .await?;
        return Ok(Outcome::Done);
    }
    let mut finish = ctx.finish(vec![ctx.queued_text(ctx.t("conn.added"))]);
    finish.rate_keys.push(key);
    let added = ctx
        .store()
        .add_to_application(
            user.id,
            app_id,
            message.text.as_deref(),
            &message.files,
            ctx.now(),
            Some(&finish),
        )
        .await?;
    let Some(replies) = added else {
        ctx.reset().await?;
        return not_found(ctx).await;
    };
    ctx.send_committed(&replies).await?;
    show_card(ctx, app_id).await
}
