//! Callback data: a small typed codec, `Cb` ↔ a string of at most 64 bytes.

use crate::domain::connection::ConnKind;
use crate::domain::items::{DeskAction, ItemKind, Reminder};
use crate::domain::tickets::TicketSection;

/// The position of `v` in `all`, as a number for callback data.
fn index_of<T: PartialEq>(all: &[T], v: &T) -> usize {
    all.iter().position(|x| x == v).unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cb {
    Lang(Lang),
    Register,
    Login,
    Back,
    Cancel,
    Resend,
    RestartRegistration,
    Forgot,
    Services,
    UsefulInfo,
    Menu,
    Profile,
    ProfileEdit,
    EditName,
    EditPhone,
    EditEmail,
    /// «Отправить код ещё раз» for a new e-mail address.
    ResendEmailCode,
    ChangePassword,
    ChooseLanguage,
    Logout,
    Delete,
    // Meters
    Meters,
    AddMeter,
    Skip,
    Save,
    Done,
    Yes,
    No,
    /// «Передать показания» with several meters: which one.
    ChooseMeter,
    Meter(i64),
    Read(i64),
    History(i64, u8),
    ReqTaking(i64),
    ReqCommission(i64),
    ReqReplace(i64),
    /// «Заявка на поверку».
    ReqVerify(i64),
    /// The verification certificate of a meter (an attachment's id).
    MeterFile(i64),
    MeterEdit(i64),
    MeterEditField(i64, MeterField),
    MeterDelete(i64),
    MeterDeleteYes(i64),
    ReadingPhoto(i64),
    // Tickets
    NewTicket(crate::domain::tickets::TicketKind),
    /// A list of a menu section, a page.
    TicketList(TicketSection, u8),
    Ticket(i64),
    TicketAdd(i64),
    TicketClose(i64),
    TicketReopen(i64),
    File(i64),
    /// «Это мой номер»: dispute a login someone else holds.
    Dispute,
    // Technological connection
    NewConn,
    ConnKind(ConnKind),
    ConnResume(ConnKind),
    ConnRestart(ConnKind),
    /// An option of a question (by its place in the list), with the question's tag: a button
    /// of another question, even with the same place, is not taken as this one's answer.
    Opt(u16, u8),
    /// «Изменить» a field from a summary (by its place in the form).
    FormEdit(u8),
    /// «Исправить» on a summary: the list of fields.
    FormFix,
    ConnGroup(ConnKind, u8),
    ConnApp(i64),
    ConnAdd(i64),
    ConnFile(i64),
    /// The operators' desk: an action on an item's card.
    Desk(ItemKind, i64, DeskAction),
    /// Consumer's profile: turn a reminder on or off.
    ToggleReminder(Reminder),
    Reminders,
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
    fn code(self) -> u8 {
        self as u8
    }
    fn from_code(c: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|f| i64::from(f.code()) == c)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
}

const SIMPLE: &[(Cb, &str)] = &[
    (Cb::Lang(Lang::Ru), "lang:ru"),
    (Cb::Lang(Lang::En), "lang:en"),
    (Cb::Register, "reg"),
    (Cb::Login, "login"),
    (Cb::Back, "back"),
    (Cb::Cancel, "cancel"),
    (Cb::Resend, "resend"),
    (Cb::RestartRegistration, "reg:restart"),
    (Cb::Forgot, "forgot"),
    (Cb::Services, "svc"),
    (Cb::UsefulInfo, "svc:info"),
    (Cb::Menu, "menu"),
    (Cb::Profile, "p"),
    (Cb::ProfileEdit, "p:edit"),
    (Cb::EditName, "p:name"),
    (Cb::EditPhone, "p:phone"),
    (Cb::EditEmail, "p:email"),
    (Cb::ChangePassword, "p:pw"),
    (Cb::ChooseLanguage, "p:lang"),
    (Cb::Logout, "p:logout"),
    (Cb::Delete, "p:del"),
    (Cb::Meters, "m"),
    (Cb::AddMeter, "m:add"),
    (Cb::Skip, "skip"),
    (Cb::Save, "save"),
    (Cb::Done, "done"),
    (Cb::Yes, "yes"),
    (Cb::No, "no"),
    (Cb::ChooseMeter, "m:choose"),
    (Cb::NewTicket(crate::domain::tickets::TicketKind::Appeal), "t:new:a"),
    (Cb::NewTicket(crate::domain::tickets::TicketKind::Complaint), "t:new:c"),
    (Cb::NewTicket(crate::domain::tickets::TicketKind::Request), "t:new:r"),
    (Cb::NewTicket(crate::domain::tickets::TicketKind::Document), "t:new:d"),
    (Cb::Dispute, "disp"),
    (Cb::NewConn, "c:new"),
    (Cb::Reminders, "p:rem"),
    (Cb::FormFix, "fix"),
    (Cb::ResendEmailCode, "p:resend"),
];

/// Variants that carry numbers: `tag:n[:n]`.
fn encode_param(cb: Cb) -> Option<String> {
    Some(match cb {
        Cb::Meter(id) => format!("m:{id}"),
        Cb::Read(id) => format!("m:r:{id}"),
        Cb::History(id, page) => format!("m:h:{id}:{page}"),
        Cb::ReqTaking(id) => format!("m:qt:{id}"),
        Cb::ReqCommission(id) => format!("m:qc:{id}"),
        Cb::ReqReplace(id) => format!("m:qr:{id}"),
        Cb::ReqVerify(id) => format!("m:qv:{id}"),
        Cb::MeterFile(id) => format!("m:f:{id}"),
        Cb::MeterEdit(id) => format!("m:e:{id}"),
        Cb::MeterEditField(id, f) => format!("m:ef:{id}:{}", f.code()),
        Cb::MeterDelete(id) => format!("m:d:{id}"),
        Cb::MeterDeleteYes(id) => format!("m:dy:{id}"),
        Cb::ReadingPhoto(id) => format!("m:p:{id}"),
        Cb::TicketList(s, p) => format!("t:l:{}:{p}", index_of(&TicketSection::ALL, &s)),
        Cb::Ticket(id) => format!("t:{id}"),
        Cb::TicketAdd(id) => format!("t:add:{id}"),
        Cb::TicketClose(id) => format!("t:close:{id}"),
        Cb::TicketReopen(id) => format!("t:re:{id}"),
        Cb::File(id) => format!("f:{id}"),
        Cb::ConnKind(k) => format!("c:k:{}", index_of(&ConnKind::ALL, &k)),
        Cb::ConnResume(k) => format!("c:resume:{}", index_of(&ConnKind::ALL, &k)),
        Cb::ConnRestart(k) => format!("c:restart:{}", index_of(&ConnKind::ALL, &k)),
        Cb::Opt(q, i) => format!("o:{q}:{i}"),
        Cb::FormEdit(i) => format!("e:{i}"),
        Cb::ConnGroup(k, p) => format!("c:l:{}:{p}", index_of(&ConnKind::ALL, &k)),
        Cb::ConnApp(id) => format!("c:a:{id}"),
        Cb::ConnAdd(id) => format!("c:add:{id}"),
        Cb::ConnFile(id) => format!("c:f:{id}"),
        Cb::Desk(k, id, a) => format!("dk:{}:{id}:{}", k.code(), a.code()),
        Cb::ToggleReminder(r) => format!("p:rem:{}", index_of(Reminder::ALL, &r)),
        _ => return None,
    })
}

fn decode_param(data: &str) -> Option<Cb> {
    let parts: Vec<&str> = data.split(':').collect();
    let n = |i: usize| parts.get(i).and_then(|p| p.parse::<i64>().ok()).filter(|v| *v >= 0);
    let small = |i: usize| n(i).and_then(|v| u8::try_from(v).ok());
    let conn_kind = |i: usize| small(i).and_then(|k| ConnKind::ALL.get(usize::from(k)).copied());
    Some(match parts.as_slice() {
        ["m", _] => Cb::Meter(n(1)?),
        ["m", "r", _] => Cb::Read(n(2)?),
        ["m", "h", _, _] => Cb::History(n(2)?, small(3)?),
        ["m", "qt", _] => Cb::ReqTaking(n(2)?),
        ["m", "qc", _] => Cb::ReqCommission(n(2)?),
        ["m", "qr", _] => Cb::ReqReplace(n(2)?),
        ["m", "qv", _] => Cb::ReqVerify(n(2)?),
        ["m", "f", _] => Cb::MeterFile(n(2)?),
        ["m", "e", _] => Cb::MeterEdit(n(2)?),
        ["m", "ef", _, _] => Cb::MeterEditField(n(2)?, MeterField::from_code(n(3)?)?),
        ["m", "d", _] => Cb::MeterDelete(n(2)?),
        ["m", "dy", _] => Cb::MeterDeleteYes(n(2)?),
        ["m", "p", _] => Cb::ReadingPhoto(n(2)?),
        ["t", "l", _, _] => Cb::TicketList(*TicketSection::ALL.get(usize::from(small(2)?))?, small(3)?),
        ["t", _] => Cb::Ticket(n(1)?),
        ["t", "add", _] => Cb::TicketAdd(n(2)?),
        ["t", "close", _] => Cb::TicketClose(n(2)?),
        ["t", "re", _] => Cb::TicketReopen(n(2)?),
        ["f", _] => Cb::File(n(1)?),
        ["c", "k", _] => Cb::ConnKind(conn_kind(2)?),
        ["c", "resume", _] => Cb::ConnResume(conn_kind(2)?),
        ["c", "restart", _] => Cb::ConnRestart(conn_kind(2)?),
        ["o", _, _] => Cb::Opt(u16::try_from(n(1)?).ok()?, small(2)?),
        ["e", _] => Cb::FormEdit(small(1)?),
        ["c", "l", _, _] => Cb::ConnGroup(conn_kind(2)?, small(3)?),
        ["c", "a", _] => Cb::ConnApp(n(2)?),
        ["c", "add", _] => Cb::ConnAdd(n(2)?),
        ["c", "f", _] => Cb::ConnFile(n(2)?),
        ["dk", k, _, a] => Cb::Desk(ItemKind::from_code(k)?, n(2)?, DeskAction::from_code(a)?),
        ["p", "rem", _] => Cb::ToggleReminder(*Reminder::ALL.get(usize::from(small(2)?))?),
        _ => return None,
    })
}

impl Cb {
    /// A button of the step in progress («Назад», «Пропустить», an option…), as opposed to
    /// one that opens or starts something.
    pub fn is_step(self) -> bool {
        matches!(
            self,
            Cb::Back | Cb::Skip | Cb::Save | Cb::Done | Cb::Yes | Cb::No | Cb::Opt(..) | Cb::FormEdit(_) | Cb::FormFix
        )
    }

    pub fn encode(self) -> String {
        SIMPLE
            .iter()
            .find(|(c, _)| *c == self)
            .map(|(_, s)| (*s).to_owned())
            .or_else(|| encode_param(self))
            .expect("every Cb has an encoding")
    }

    pub fn decode(data: &str) -> Option<Cb> {
        SIMPLE
            .iter()
            .find(|(_, s)| *s == data)
            .map(|(c, _)| *c)
            .or_else(|| decode_param(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_fits_telegram_limit() {
        for (cb, _) in SIMPLE {
            let s = cb.encode();
            assert!(s.len() <= 64);
            assert_eq!(Cb::decode(&s), Some(*cb));
        }
        let mut seen = std::collections::HashSet::new();
        assert!(SIMPLE.iter().all(|(_, s)| seen.insert(*s)), "encodings are unique");
        assert_eq!(Cb::decode("garbage"), None);
        let big = i64::MAX;
        for cb in [
            Cb::Meter(big),
            Cb::Read(7),
            Cb::History(big, 255),
            Cb::ReqTaking(1),
            Cb::ReqCommission(2),
            Cb::ReqReplace(3),
            Cb::ReqVerify(4),
            Cb::MeterFile(5),
            Cb::MeterEdit(4),
            Cb::MeterEditField(big, MeterField::Verification),
            Cb::MeterDelete(5),
            Cb::MeterDeleteYes(6),
            Cb::ReadingPhoto(7),
            Cb::TicketList(TicketSection::Documents, 9),
            Cb::Ticket(big),
            Cb::TicketAdd(1),
            Cb::TicketClose(2),
            Cb::TicketReopen(3),
            Cb::File(big),
            Cb::ConnKind(ConnKind::Heat),
            Cb::ConnResume(ConnKind::Water),
            Cb::ConnRestart(ConnKind::Electricity),
            Cb::Opt(65_535, 4),
            Cb::FormEdit(200),
            Cb::ConnGroup(ConnKind::Water, 3),
            Cb::ConnApp(big),
            Cb::ConnAdd(5),
            Cb::ConnFile(big),
            Cb::Desk(
                ItemKind::Connection,
                big,
                DeskAction::Status(crate::domain::items::ConnStatus::DocumentsIssued),
            ),
            Cb::Desk(ItemKind::MeterRequest, 7, DeskAction::Schedule),
            Cb::Desk(ItemKind::Ticket, 1, DeskAction::Take),
            Cb::ToggleReminder(Reminder::Verification),
        ] {
            let s = cb.encode();
            assert!(s.len() <= 64, "{s}");
            assert_eq!(Cb::decode(&s), Some(cb), "{s}");
        }
        for bad in [
            "m:-1",
            "m:r:x",
            "zones:4",
            "m:ef:1:9",
            "m:h:1",
            "m:1:2:3:4",
            "dk:x:1:t",
            "dk:t:1:st-nonsense",
            "t:l:3:0",
            "c:k:3",
        ] {
            assert_eq!(Cb::decode(bad), None, "{bad}");
        }
        assert_eq!(Cb::decode(""), None);
    }
}
