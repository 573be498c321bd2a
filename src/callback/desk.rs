use super::buttons;
use crate::domain::items::{DeskAction, ItemKind};
use crate::domain::meters::Resource;

buttons! {
    /// The operators' desk: an action on an item's card.
    pub enum DeskCb {
        Act(kind: ItemKind, id: i64, action: DeskAction) = "dk",
    }
}

buttons! {
    /// The operators' forms in the group (`/outage`, `/announce`) and the outages' list
    /// (`/outages`). A form's buttons name the form: only its operator's presses count.
    pub enum FormCb {
        /// The outage's resource.
        Resource(form: i64, resource: Resource) = "df:r",
        /// Planned (1) or emergency (0).
        Planned(form: i64, planned: u8) = "df:p",
        /// The outage starts now.
        Now(form: i64) = "df:n",
        /// The outage (or its extension) ends so many hours after its start (or its end now).
        Hours(form: i64, hours: u16) = "df:h",
        /// No reason given.
        NoReason(form: i64) = "df:x",
        /// An announcement's audience: 0 everyone, else the resource's place + 1.
        Audience(form: i64, which: u8) = "df:a",
        /// Publish the outage, send the announcement.
        Publish(form: i64) = "df:ok",
        Cancel(form: i64) = "df:c",
        /// `/outages`: extend one.
        Extend(outage: i64) = "do:e",
        /// `/outages`: close one (asked first).
        Close(outage: i64) = "do:c",
        CloseYes(outage: i64) = "do:y",
        CloseNo(outage: i64) = "do:n",
        /// `/outages`: change its note for consumers.
        Note(outage: i64) = "do:m",
    }
}
