use super::buttons;
use crate::domain::tickets::{TicketKind, TicketSection};

buttons! {
    /// Appeals, complaints, requests and documents: their buttons.
    pub enum TicketsCb {
        NewTicket(kind: TicketKind) = "t:new",
        /// Filed though an outage is on at the person's address (shown first).
        NewTicketAnyway(kind: TicketKind) = "t:newa",
        /// «Ответ не помог — подать обращение» under a frequent question of a topic.
        AppealAfterFaq(topic: u8) = "t:faq",
        /// A list of a menu section, a page.
        TicketList(section: TicketSection, page: u8) = "t:l",
        Ticket(id: i64) = "t",
        TicketAdd(id: i64) = "t:add",
        TicketClose(id: i64) = "t:close",
        TicketReopen(id: i64) = "t:re",
        /// «Вопрос по начислению» from an account's bill of a period (`yyyymm`).
        BillQuestion(account: i64, period: u32) = "t:bq",
        /// A mark (1 to 5) for the answer to a ticket.
        Rate(id: i64, mark: u8) = "t:rate",
        /// «Без комментария» after a mark.
        RateDone(id: i64) = "t:rated",
        /// A file of an item's conversation.
        File(id: i64) = "f",
    }
}
