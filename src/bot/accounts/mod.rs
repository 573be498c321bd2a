//! «Лицевые счета»: the consumer's personal accounts from the billing's registry. Adding one
//! takes its number and a proof only its holder has (`link`); an account's card, renaming and
//! removing it (`card`); «Начисления и оплата» — the balance, the bill, 12 periods, the
//! receipt as a PDF and its payment QR code (`bills`). Every account id from a button is
//! looked up among the caller's own links: another consumer's id finds nothing.

mod balance;
mod bills;
mod card;
mod link;
pub mod state;

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::menu::{Entry, Service, Shown};
use crate::bot::outcome::Outcome;
use crate::bot::section::{Press, Section, SectionState};
use crate::callback::{AccountsCb, Buttons, StepCb};
use state::AccountsState;
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub struct Accounts;

impl SectionState for AccountsState {
    const AREA: &'static str = "accounts";
}

impl Section for Accounts {
    type Button = AccountsCb;
    type State = AccountsState;
    const MENU: &'static [Entry] = &[Entry {
        key: "menu.accounts",
        shown: Shown::Always,
    }];

    fn services() -> Vec<Service> {
        vec![Service {
            key: "account.add",
            data: AccountsCb::AddAccount.encode(),
            shown: Shown::Always,
        }]
    }

    async fn open(ctx: &mut Ctx, _entry: &'static Entry) -> Result<Outcome> {
        card::show_list(ctx).await
    }

    async fn on_message(ctx: &mut Ctx, msg: &Message, state: AccountsState) -> Result<Outcome> {
        match state {
            AccountsState::Rename { account_id } => card::rename_to(ctx, msg, account_id).await,
            other => link::on_message(ctx, msg, other).await,
        }
    }

    async fn on_button(ctx: &mut Ctx, press: Press<AccountsCb>, state: Option<AccountsState>) -> Result<Outcome> {
        match press {
            // The buttons of the adding steps, while they are asked.
            Press::Own(AccountsCb::ProofBy(kind)) => match state {
                Some(s @ AccountsState::ProofChoice { .. }) => link::proof_chosen(ctx, s, kind).await,
                _ => Ok(Outcome::Stale),
            },
            Press::Own(AccountsCb::NameAs(which)) => match state {
                Some(AccountsState::Name { account_id }) => link::name_chosen(ctx, account_id, which).await,
                _ => Ok(Outcome::Stale),
            },
            Press::Own(b) => {
                // A button that opens something leaves what was in progress.
                if state.is_some() {
                    ctx.reset().await?;
                }
                on_own_button(ctx, b).await
            }
            Press::Step(StepCb::Back) => match state {
                Some(s) => link::back(ctx, s).await,
                None => Ok(Outcome::Stale),
            },
            Press::Step(_) => Ok(Outcome::Stale),
        }
    }

    async fn prompt(ctx: &Ctx, state: &AccountsState) -> Result<Outcome> {
        match state {
            AccountsState::Rename { .. } => card::rename_prompt(ctx).await,
            other => link::prompt(ctx, other).await,
        }
    }
}

async fn on_own_button(ctx: &mut Ctx, b: AccountsCb) -> Result<Outcome> {
    match b {
        AccountsCb::Accounts => card::show_list(ctx).await,
        AccountsCb::AddAccount => link::begin(ctx).await,
        AccountsCb::Account(id) => card::show_card(ctx, id).await,
        AccountsCb::Charges(id) => bills::latest(ctx, id).await,
        AccountsCb::Bill(id, period) => bills::show(ctx, id, period).await,
        AccountsCb::BillHistory(id) => bills::history(ctx, id).await,
        AccountsCb::Receipt(id, period) => bills::receipt(ctx, id, period).await,
        AccountsCb::PayQr(id, period) => bills::pay_qr(ctx, id, period).await,
        AccountsCb::Readings(id) => card::readings(ctx, id).await,
        AccountsCb::Rename(id) => card::rename(ctx, id).await,
        AccountsCb::Remove(id) => card::remove_q(ctx, id).await,
        AccountsCb::RemoveYes(id) => card::remove(ctx, id).await,
        // Answered above while their step is asked; an old one later means nothing.
        AccountsCb::ProofBy(_) | AccountsCb::NameAs(_) => Ok(Outcome::Stale),
    }
}
