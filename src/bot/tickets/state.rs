//! What the tickets section keeps between messages.

use crate::bot::compose::Compose;
use crate::bot::form::FormData;
use crate::domain::tickets::TicketKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "snake_case")]
pub enum TicketsState {
    /// A new appeal, complaint, request or document request: the form of its kind.
    New { kind: TicketKind, form: FormData },
    /// «Дополнить» (or «Не решено» with `reopen`): text and files, then «Отправить».
    /// A mark given: its optional comment.
    RateComment { ticket_id: i64 },
    FollowUp {
        ticket_id: i64,
        reopen: bool,
        #[serde(default)]
        message: Compose,
    },
}
