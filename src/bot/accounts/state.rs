//! What «Лицевые счета» keeps between messages.

use crate::domain::accounts::ProofKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "snake_case")]
pub enum AccountsState {
    /// «Добавить лицевой счёт»: its number asked.
    Number,
    /// Which proof (when the utility takes both).
    ProofChoice { number: String },
    /// The proof asked.
    Proof { number: String, by: ProofKind },
    /// Proved: the short name asked. Only a right proof sets this state.
    Name { account_id: i64 },
    /// «Переименовать».
    Rename { account_id: i64 },
}
