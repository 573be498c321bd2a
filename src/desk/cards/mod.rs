//! One renderer per kind of item: what its card shows and which buttons it offers. A new kind
//! of item is a module here and an arm in `desk::card_for`.

pub mod connection;
pub mod meter;
pub mod meter_request;
pub mod ticket;

use super::btn;
use crate::callback::DeskCb;
use crate::config::Config;
use crate::domain::items::DeskAction;
use crate::store::Store;
use crate::store::operators::ItemKind;
use teloxide::types::InlineKeyboardButton;

/// What every renderer needs: the database, the settings, the operators' language, the moment,
/// whether the passport number is shown, the kind, who has the item and its card line.
pub struct Render<'a> {
    pub store: &'a Store,
    pub config: &'a Config,
    pub loc: &'a str,
    pub now: chrono::DateTime<chrono::Utc>,
    pub reveal: bool,
    pub kind: ItemKind,
    pub taken_by: Option<i64>,
    pub taken: String,
}

impl Render<'_> {
    /// «Взять в работу» while nobody has the item, then «Передать другому».
    pub fn take(&self, id: i64) -> Vec<InlineKeyboardButton> {
        match self.taken_by {
            None => btn(self.loc, "desk.take", DeskCb::Act(self.kind, id, DeskAction::Take)),
            Some(_) => btn(
                self.loc,
                "desk.release",
                DeskCb::Act(self.kind, id, DeskAction::Release),
            ),
        }
    }
}
