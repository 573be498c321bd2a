//! «Оцените ответ»: a mark from 1 to 5 under an answer's or a closing's push, then an
//! optional comment; both reach the item's card in the operators' group.

use super::state::TicketsState;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::ui;
use crate::callback::TicketsCb;
use crate::domain::meters::parse_short_text;
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

/// The comment's length.
const COMMENT_MAX: usize = 500;

pub async fn rate(ctx: &Ctx, ticket_id: i64, mark: u8) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if !(1..=5).contains(&mark)
        || !ctx
            .store()
            .rate_ticket(user.id, ticket_id, Some(i64::from(mark)), None, ctx.now())
            .await?
    {
        return Ok(Outcome::Stale);
    }
    ctx.outbox_written();
    ctx.set(TicketsState::RateComment { ticket_id }).await?;
    prompt(ctx, ticket_id).await
}

pub async fn prompt(ctx: &Ctx, ticket_id: i64) -> Result<Outcome> {
    let kb = ui::inline(vec![ui::row(
        ctx.loc,
        "rate.no_comment",
        TicketsCb::RateDone(ticket_id),
    )]);
    ctx.say_with(ctx.t("rate.thanks"), kb).await?;
    Ok(Outcome::Done)
}

pub async fn comment(ctx: &Ctx, msg: &Message, ticket_id: i64) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let Some(text) = msg.text().and_then(|t| parse_short_text(t, COMMENT_MAX)) else {
        ctx.say(ctx.tf("rate.comment_bad", &[("max", &COMMENT_MAX.to_string())]))
            .await?;
        return prompt(ctx, ticket_id).await;
    };
    ctx.store()
        .rate_ticket(user.id, ticket_id, None, Some(&text), ctx.now())
        .await?;
    ctx.outbox_written();
    Ok(Outcome::Home(Some(ctx.t("rate.comment_saved"))))
}
