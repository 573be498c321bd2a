use super::buttons;
use crate::domain::items::{DeskAction, ItemKind};

buttons! {
    /// The operators' desk: an action on an item's card.
    pub enum DeskCb {
        Act(kind: ItemKind, id: i64, action: DeskAction) = "dk",
    }
}
