use super::buttons;
use crate::domain::tickets::{TicketKind, TicketSection};

buttons! {
    /// Appeals, complaints, requests and documents: their buttons.
    pub enum TicketsCb {
        NewTicket(kind: TicketKind) = "t:new",
        /// A list of a menu section, a page.
        TicketList(section: TicketSection, page: u8) = "t:l",
        Ticket(id: i64) = "t",
        TicketAdd(id: i64) = "t:add",
        TicketClose(id: i64) = "t:close",
        TicketReopen(id: i64) = "t:re",
        /// A file of an item's conversation.
        File(id: i64) = "f",
    }
}
