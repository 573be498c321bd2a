//! What the desk does with each kind of item: the buttons of its card (`act`), whether a reply
//! can still go to the consumer (`refusal`), and the operator's reply (`reply`). A new kind of
//! item (a billing question, an outage report) is one module here and one arm in `of`, beside
//! its card's renderer in `desk::cards`.

mod connection;
mod meter;
mod meter_request;
mod ticket;

use crate::bot::deps::{Deps, HandlerError, HandlerResult};
use crate::desk::Card;
use crate::domain::items::{DeskAction, ItemKind};
use crate::i18n;
use crate::store::operators::ItemRef;
use crate::store::tickets::DeliveredFile;
use chrono::{DateTime, Utc};

pub(super) type Result<T> = std::result::Result<T, HandlerError>;

/// What the operator who pressed is told.
pub(super) enum Answer {
    /// «Готово».
    Done,
    /// What the next reply to the card does (shown, and posted under the card).
    Next(String),
    /// Only to the operator who pressed (nothing changed).
    Only(String),
    /// A question with its buttons, posted under the card (nothing changed yet).
    Ask(String, teloxide::types::InlineKeyboardMarkup),
}

/// An operator at an item's card.
pub(super) struct On<'a> {
    pub deps: &'a Deps,
    pub c: &'a Card,
    pub item: ItemRef,
    /// The operator's Telegram id.
    pub op: i64,
    pub now: DateTime<Utc>,
}

impl On<'_> {
    /// The desk's language.
    fn loc(&self) -> &str {
        self.deps.config.default_locale.as_str()
    }

    /// The refusal of a reply to an item that is closed in `status` (words).
    fn closed(&self, status: &str) -> String {
        i18n::tf(
            self.loc(),
            "desk.closed_item",
            &[("number", &self.c.number), ("status", status)],
        )
    }
}

/// An operator's reply about to be applied to an item.
pub(super) struct Reply<'a> {
    pub on: On<'a>,
    pub text: Option<&'a str>,
    pub files: &'a [DeliveredFile<'a>],
}

#[async_trait::async_trait]
pub(super) trait Kind: Sync {
    /// A button of its card other than «Взять в работу» and «Передать другому» (the desk's
    /// own, the same for every kind). A button of another kind's card does nothing.
    async fn act(&self, on: &On<'_>, action: DeskAction) -> Result<Answer>;

    /// «Взять в работу» pressed, and the item was nobody's: what else changes.
    async fn taken(&self, _on: &On<'_>) -> HandlerResult {
        Ok(())
    }

    /// Why a reply cannot go to the consumer (the item is closed or final), if it cannot.
    async fn refusal(&self, _on: &On<'_>) -> Result<Option<String>> {
        Ok(None)
    }

    /// The operator's reply applied; the key of what the group is told.
    async fn reply(&self, r: &Reply<'_>, pending: Option<DeskAction>) -> Result<&'static str>;
}

pub(super) fn of(kind: ItemKind) -> &'static dyn Kind {
    match kind {
        ItemKind::Ticket => &ticket::Ticket,
        ItemKind::MeterRequest => &meter_request::MeterRequest,
        ItemKind::Connection => &connection::Connection,
        ItemKind::Meter => &meter::Meter,
    }
}
