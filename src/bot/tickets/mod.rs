//! Appeals, complaints, requests and document requests: filing them (`filing`, a form on the
//! step engine), the lists of the menu sections (`list`), an item's card with its whole
//! conversation and files (`card`), and follow-ups, closing and reopening (`follow_up`). Every
//! id from a button is looked up with the caller's consumer.

mod card;
mod filing;
mod follow_up;
mod list;
mod rating;
pub mod state;

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form;
use crate::bot::menu::{Entry, Service, Shown};
use crate::bot::outcome::Outcome;
use crate::bot::section::{Press, Section, SectionState};
use crate::bot::ui;
use crate::callback::{Buttons, StepCb, TicketsCb};
use crate::domain::tickets::{TicketKind, TicketSection};
use crate::store::tickets::{APPEALS, DOCUMENTS, REQUESTS};
use state::TicketsState;
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub struct Tickets;

impl SectionState for TicketsState {
    const AREA: &'static str = "tickets";
    const KEEPS_FORMS: bool = true;

    fn draft(&self) -> Option<String> {
        match self {
            TicketsState::New { kind, form } if form.started() => Some(format!("draft.{}", kind.as_str())),
            _ => None,
        }
    }

    fn fresh(&self) -> Option<Self> {
        match self {
            TicketsState::New { kind, .. } => Some(TicketsState::New {
                kind: *kind,
                form: Default::default(),
            }),
            TicketsState::FollowUp { .. } | TicketsState::RateComment { .. } => None,
        }
    }
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
            TicketsState::RateComment { ticket_id } => rating::comment(ctx, msg, ticket_id).await,
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
            TicketsState::RateComment { ticket_id } => rating::prompt(ctx, *ticket_id).await,
        }
    }
}

async fn on_own_button(ctx: &mut Ctx, b: TicketsCb) -> Result<Outcome> {
    match b {
        TicketsCb::NewTicket(kind) => {
            // An appeal or a complaint while an outage is on at one's address: shown it first.
            let outages = match kind {
                TicketKind::Appeal | TicketKind::Complaint => crate::bot::outages::on_now(ctx).await?,
                _ => Vec::new(),
            };
            let faq = match kind {
                TicketKind::Appeal => crate::bot::faq::of(ctx),
                _ => None,
            };
            if let (true, Some(faq)) = (outages.is_empty(), faq) {
                // The answer may be among the frequent questions.
                crate::bot::faq::topics(ctx, &faq, "faq.before_appeal").await
            } else if outages.is_empty() {
                filing::begin(ctx, kind).await
            } else {
                let text = ctx.tf("ticket.outage_first", &[("outages", &outages.join("\n\n"))]);
                let kb = ui::inline(vec![
                    ui::row(ctx.loc, "ticket.file_anyway", TicketsCb::NewTicketAnyway(kind)),
                    ui::row(ctx.loc, "common.to_menu", crate::callback::Cb::Menu),
                ]);
                ctx.say_with(text, kb).await?;
                Ok(Outcome::Done)
            }
        }
        TicketsCb::NewTicketAnyway(kind) => filing::begin(ctx, kind).await,
        TicketsCb::AppealAfterFaq(topic) => filing::after_faq(ctx, topic).await,
        TicketsCb::BillQuestion(account, period) => filing::bill_question(ctx, account, period).await,
        TicketsCb::TicketList(section, page) => list::show(ctx, section, page).await,
        TicketsCb::Ticket(id) => card::show(ctx, id).await,
        TicketsCb::TicketAdd(id) => follow_up::begin(ctx, id, false).await,
        TicketsCb::TicketReopen(id) => follow_up::begin(ctx, id, true).await,
        TicketsCb::TicketClose(id) => card::close(ctx, id).await,
        TicketsCb::File(id) => card::send_file(ctx, id).await,
        TicketsCb::Rate(id, mark) => rating::rate(ctx, id, mark).await,
        TicketsCb::RateDone(_) => Ok(Outcome::Home(Some(ctx.t("rate.done")))),
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
