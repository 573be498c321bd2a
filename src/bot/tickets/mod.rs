//! Appeals, complaints, requests and document requests: filing them (`filing`, a form on the
//! step engine), the lists of the menu sections (`list`), an item's card with its whole
//! conversation and files (`card`), and follow-ups, closing and reopening (`follow_up`). Every
//! id from a button is looked up with the caller's consumer.

mod card;
mod filing;
mod follow_up;
mod list;
pub mod state;

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form;
use crate::bot::menu::{Entry, Service, Shown};
use crate::bot::outcome::Outcome;
use crate::bot::section::{Press, Section, SectionState};
use crate::callback::{Buttons, StepCb, TicketsCb};
use crate::domain::tickets::{TicketKind, TicketSection};
use crate::store::tickets::{APPEALS, DOCUMENTS, REQUESTS};
use state::TicketsState;
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub struct Tickets;

impl SectionState for TicketsState {
    const AREA: &'static str = "tickets";
}

/// The menu's entries, one a list.
const ENTRIES: [(Entry, TicketSection); 3] = [
    (
        Entry {
            key: "menu.tickets",
            shown: Shown::WithItems(APPEALS),
        },
        TicketSection::Appeals,
    ),
    (
        Entry {
            key: "menu.requests",
            shown: Shown::WithItems(REQUESTS),
        },
        TicketSection::Requests,
    ),
    (
        Entry {
            key: "menu.documents",
            shown: Shown::WithItems(DOCUMENTS),
        },
        TicketSection::Documents,
    ),
];

impl Section for Tickets {
    type Button = TicketsCb;
    type State = TicketsState;
    const MENU: &'static [Entry] = &[ENTRIES[0].0, ENTRIES[1].0, ENTRIES[2].0];

    fn services() -> Vec<Service> {
        TicketKind::ALL
            .into_iter()
            .map(|kind| Service {
                key: filing::new_key(kind),
                data: TicketsCb::NewTicket(kind).encode(),
                shown: Shown::Always,
            })
            .collect()
    }

    async fn open(ctx: &mut Ctx, entry: &'static Entry) -> Result<Outcome> {
        let section = ENTRIES
            .iter()
            .find(|(e, _)| e == entry)
            .map_or(TicketSection::Appeals, |(_, s)| *s);
        list::show(ctx, section, 0).await
    }

    async fn on_message(ctx: &mut Ctx, msg: &Message, state: TicketsState) -> Result<Outcome> {
        match state {
            TicketsState::New { kind, form } => form::on_message(ctx, &filing::TicketForm { kind }, form, msg).await,
            TicketsState::FollowUp {
                ticket_id,
                reopen,
                message,
            } => follow_up::on_message(ctx, msg, ticket_id, reopen, message).await,
        }
    }

    async fn on_button(ctx: &mut Ctx, press: Press<TicketsCb>, state: Option<TicketsState>) -> Result<Outcome> {
        match press {
            Press::Own(b) => {
                // A button that opens or starts something leaves what was in progress (a
                // file is only sent).
                if !matches!(b, TicketsCb::File(_)) && state.is_some() {
                    ctx.reset().await?;
                }
                on_own_button(ctx, b).await
            }
            Press::Step(cb) => on_step(ctx, cb, state).await,
        }
    }

    async fn prompt(ctx: &Ctx, state: &TicketsState) -> Result<Outcome> {
        match state {
            TicketsState::New { kind, form } => form::ask(ctx, &filing::TicketForm { kind: *kind }, form).await,
            TicketsState::FollowUp { reopen, message, .. } => follow_up::prompt(ctx, *reopen, message).await,
        }
    }
}

async fn on_own_button(ctx: &mut Ctx, b: TicketsCb) -> Result<Outcome> {
    match b {
        TicketsCb::NewTicket(kind) => filing::begin(ctx, kind).await,
        TicketsCb::TicketList(section, page) => list::show(ctx, section, page).await,
        TicketsCb::Ticket(id) => card::show(ctx, id).await,
        TicketsCb::TicketAdd(id) => follow_up::begin(ctx, id, false).await,
        TicketsCb::TicketReopen(id) => follow_up::begin(ctx, id, true).await,
        TicketsCb::TicketClose(id) => card::close(ctx, id).await,
        TicketsCb::File(id) => card::send_file(ctx, id).await,
    }
}

async fn on_step(ctx: &mut Ctx, cb: StepCb, state: Option<TicketsState>) -> Result<Outcome> {
    match (cb, state) {
        (cb, Some(TicketsState::New { kind, form })) => {
            form::on_callback(ctx, &filing::TicketForm { kind }, form, cb).await
        }
        (
            StepCb::Save,
            Some(TicketsState::FollowUp {
                ticket_id,
                reopen,
                message,
            }),
        ) => follow_up::send(ctx, ticket_id, reopen, message).await,
        _ => Ok(Outcome::Stale),
    }
}
