//! What the meters section keeps between messages.

use crate::bot::form::FormData;
use crate::callback::MeterField;
use crate::domain::items::MeterRequestKind;
use crate::domain::quantity::Quantity;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "snake_case")]
pub enum MetersState {
    /// «Добавить прибор»: the form.
    Add(FormData),
    /// «Передать показания».
    Reading(Reading),
    /// «Приложить фото» to the reading just sent.
    Photo { meter_id: i64 },
    /// A request on a meter: the form of its kind.
    Request {
        meter_id: i64,
        kind: MeterRequestKind,
        form: FormData,
    },
    /// «Изменить» one field of a meter.
    Edit {
        meter_id: i64,
        field: MeterField,
        form: FormData,
    },
}

/// Values typed so far, one per zone; `rollover` marks a zone confirmed as passing zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub meter_id: i64,
    pub values: Vec<Quantity>,
    pub rollover: Vec<bool>,
    /// A lower value waiting for «перешёл через ноль?».
    #[serde(default)]
    pub pending: Option<Quantity>,
    /// All zones typed; waiting for the person to confirm (replacement or anomaly).
    #[serde(default)]
    pub confirming: bool,
}
