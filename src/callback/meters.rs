use super::buttons;

buttons! {
    /// «Приборы учета»: its buttons.
    pub enum MetersCb {
        /// The list.
        Meters = "m",
        AddMeter = "m:add",
        /// «Передать показания» with several meters: which one.
        ChooseMeter = "m:choose",
        /// A meter's card.
        Meter(id: i64) = "m",
        Read(id: i64) = "m:r",
        History(id: i64, page: u8) = "m:h",
        ReqTaking(id: i64) = "m:qt",
        ReqCommission(id: i64) = "m:qc",
        ReqReplace(id: i64) = "m:qr",
        /// «Заявка на поверку».
        ReqVerify(id: i64) = "m:qv",
        /// The verification certificate of a meter (an attachment's id).
        MeterFile(id: i64) = "m:f",
        MeterEdit(id: i64) = "m:e",
        MeterEditField(id: i64, field: MeterField) = "m:ef",
        MeterDelete(id: i64) = "m:d",
        MeterDeleteYes(id: i64) = "m:dy",
        ReadingPhoto(id: i64) = "m:p",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeOfDay {
    Morning,
    Day,
    Evening,
}

impl TimeOfDay {
    pub const ALL: [TimeOfDay; 3] = [Self::Morning, Self::Day, Self::Evening];
    pub fn key(self) -> &'static str {
        match self {
            Self::Morning => "tod.morning",
            Self::Day => "tod.day",
            Self::Evening => "tod.evening",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceReason {
    Fault,
    Expired,
    Other,
}

impl ReplaceReason {
    pub const ALL: [ReplaceReason; 3] = [Self::Fault, Self::Expired, Self::Other];
    pub fn key(self) -> &'static str {
        match self {
            Self::Fault => "reason.fault",
            Self::Expired => "reason.expired",
            Self::Other => "reason.other",
        }
    }
}

/// A meter field «Изменить» can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeterField {
    Model,
    Place,
    Address,
    Verification,
}

impl MeterField {
    pub const ALL: [MeterField; 4] = [Self::Model, Self::Place, Self::Address, Self::Verification];
}
