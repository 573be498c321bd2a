use super::buttons;
use crate::domain::connection::ConnKind;

buttons! {
    /// «Заявка на технологическое присоединение»: its buttons.
    pub enum ConnCb {
        NewConn = "c:new",
        ConnKind(kind: ConnKind) = "c:k",
        ConnResume(kind: ConnKind) = "c:resume",
        ConnRestart(kind: ConnKind) = "c:restart",
        /// The applications of a kind, a page.
        ConnGroup(kind: ConnKind, page: u8) = "c:l",
        ConnApp(id: i64) = "c:a",
        ConnAdd(id: i64) = "c:add",
        ConnFile(id: i64) = "c:f",
    }
}
