//! What the connection section keeps between messages.

use crate::bot::compose::Compose;
use crate::bot::form::FormData;
use crate::domain::connection::ConnKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "snake_case")]
pub enum ConnState {
    /// An application being filled in (also kept as the kind's draft).
    Form { kind: ConnKind, form: FormData },
    /// «Дополнить заявку»: text and files, then «Отправить».
    Add {
        app_id: i64,
        #[serde(default)]
        message: Compose,
    },
}
