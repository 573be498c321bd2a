//! Appeals, complaints, requests and document requests: filing them (`filing`, a form on the
//! step engine), the lists of the menu sections (`list`), an item's card with its whole
//! conversation and files (`card`), and follow-ups, closing and reopening (`follow_up`). Every
//! id from a button is looked up with the caller's account.

mod card;
mod filing;
mod follow_up;
mod list;
pub mod state;

pub use list::show_section;

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form;
use crate::bot::outcome::Outcome;
use crate::callback::Cb;
use state::TicketsState;
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub async fn on_message(ctx: &mut Ctx, msg: &Message, state: TicketsState) -> Result<Outcome> {
    match state {
        TicketsState::New { kind, form } => form::on_message(ctx, &filing::TicketForm { kind }, form, msg).await,
        TicketsState::FollowUp {
            ticket_id,
            reopen,
            message,
        } => follow_up::on_message(ctx, msg, ticket_id, reopen, message).await,
    }
}

pub async fn on_callback(ctx: &mut Ctx, cb: Cb, state: Option<TicketsState>) -> Result<Outcome> {
    // A button that opens or starts something leaves what was in progress (a file is only
    // sent).
    if !cb.is_step() && !matches!(cb, Cb::File(_)) && state.is_some() {
        ctx.reset().await?;
    }
    match (cb, state) {
        (Cb::NewTicket(kind), _) => filing::begin(ctx, kind).await,
        (Cb::TicketList(section, page), _) => list::show(ctx, section, page).await,
        (Cb::Ticket(id), _) => card::show(ctx, id).await,
        (Cb::TicketAdd(id), _) => follow_up::begin(ctx, id, false).await,
        (Cb::TicketReopen(id), _) => follow_up::begin(ctx, id, true).await,
        (Cb::TicketClose(id), _) => card::close(ctx, id).await,
        (Cb::File(id), _) => card::send_file(ctx, id).await,
        (cb, Some(TicketsState::New { kind, form })) => {
            form::on_callback(ctx, &filing::TicketForm { kind }, form, cb).await
        }
        (
            Cb::Save,
            Some(TicketsState::FollowUp {
                ticket_id,
                reopen,
                message,
            }),
        ) => follow_up::send(ctx, ticket_id, reopen, message).await,
        _ => Ok(Outcome::Stale),
    }
}

pub async fn prompt(ctx: &Ctx, state: &TicketsState) -> Result<Outcome> {
    match state {
        TicketsState::New { kind, form } => form::ask(ctx, &filing::TicketForm { kind: *kind }, form).await,
        TicketsState::FollowUp { reopen, message, .. } => follow_up::prompt(ctx, *reopen, message).await,
    }
}
