//! The kinds and statuses of what people file and the operators' desk handles, as closed
//! sets: stored as their snake_case names (an unknown name read from the database is an
//! error, never a silent default), carried by buttons, compared as values.

use serde::{Deserialize, Serialize};

/// Declares a closed set stored as text: `ALL`, `as_str` and a checked `from_str_opt`; with
/// `Name: "prefix"`, also `key`, its label's locale key `prefix.<text>`.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident : $prefix:literal { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        text_enum!($(#[$m])* $name { $($(#[$vm])* $variant => $text),+ });

        impl $name {
            /// The locale key of its label.
            pub fn key(self) -> &'static str {
                match self {
                    $($name::$variant => concat!($prefix, ".", $text)),+
                }
            }
        }
    };
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn from_str_opt(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        crate::domain::stored_as_text!($name);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// What the desk handles.
    ItemKind {
        Ticket => "ticket",
        MeterRequest => "meter_request",
        Connection => "connection",
        /// A meter a consumer added, to be accepted.
        Meter => "meter",
    }
}

text_enum! {
    /// A meter's standing with the utility: added by the consumer and not yet accepted by an
    /// operator (readings are taken meanwhile, marked in the export), or accepted.
    MeterReview: "review" {
        Pending => "pending",
        Accepted => "accepted",
    }
}

text_enum! {
    /// What an outbox row for the operators' group is about: an item, or a login dispute.
    DeskTarget {
        Ticket => "ticket",
        MeterRequest => "meter_request",
        Connection => "connection",
        Meter => "meter",
        Dispute => "dispute",
        /// Appeals grouped on an outage's card (the outage's id; `about` the new appeal).
        Outage => "outage",
    }
}

impl DeskTarget {
    /// The desk item it is, if it is one (a dispute is not: it has no card to act on; nor an
    /// outage, whose card gathers appeals).
    pub fn item(self) -> Option<ItemKind> {
        match self {
            Self::Ticket => Some(ItemKind::Ticket),
            Self::MeterRequest => Some(ItemKind::MeterRequest),
            Self::Connection => Some(ItemKind::Connection),
            Self::Meter => Some(ItemKind::Meter),
            Self::Dispute | Self::Outage => None,
        }
    }
}

impl From<ItemKind> for DeskTarget {
    fn from(k: ItemKind) -> Self {
        match k {
            ItemKind::Ticket => Self::Ticket,
            ItemKind::MeterRequest => Self::MeterRequest,
            ItemKind::Connection => Self::Connection,
            ItemKind::Meter => Self::Meter,
        }
    }
}

text_enum! {
    /// What a stored file belongs to.
    FileOwner {
        TicketMessage => "ticket_message",
        MeterRequest => "meter_request",
        /// What the applicant attached to a connection application.
        Connection => "connection",
        /// «Дополнить заявку».
        ConnectionAddition => "connection_addition",
        /// What the utility issued on an application.
        ConnectionIssued => "connection_issued",
        /// The verification certificate that closed a «Заявка на поверку».
        Verification => "meter_verification",
    }
}

text_enum! {
    /// A reminder a consumer can turn on or off in the profile.
    Reminder {
        Readings => "readings",
        Verification => "verification",
        /// «Новая квитанция» after an import of charges.
        Bills => "bills",
        /// A debt before its due date (off unless turned on).
        Debt => "debt",
        /// An outage at one of the consumer's addresses.
        Outages => "outages",
        /// The utility's announcements (`/announce`).
        News => "news",
    }
}

impl Reminder {
    /// Its column in `consumers`.
    pub fn column(self) -> &'static str {
        match self {
            Self::Readings => "remind_readings",
            Self::Verification => "remind_verification",
            Self::Bills => "notify_bills",
            Self::Debt => "remind_debt",
            Self::Outages => "notify_outages",
            Self::News => "notify_news",
        }
    }

    /// Its label in «Напоминания».
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Readings => "profile.remind_readings",
            Self::Verification => "profile.remind_verification",
            Self::Bills => "profile.notify_bills",
            Self::Debt => "profile.remind_debt",
            Self::Outages => "profile.notify_outages",
            Self::News => "profile.notify_news",
        }
    }
}

impl DeskEvent {
    /// The locale key of the line the group is shown for it (none for a new item: its card).
    pub fn key(self) -> Option<&'static str> {
        Some(match self {
            Self::New => return None,
            Self::FollowUp => "desk.event.follow_up",
            Self::Reopened => "desk.event.reopened",
            Self::Closed => "desk.event.closed",
            Self::Addition => "desk.event.addition",
            Self::Erased => "desk.event.erased",
            Self::Rated => "desk.event.rated",
        })
    }
}

impl MeterRequestKind {
    /// The title of its form.
    pub fn title_key(self) -> &'static str {
        match self {
            Self::ReadingTaking => "req.title.reading_taking",
            Self::Commissioning => "req.title.commissioning",
            Self::Replacement => "req.title.replacement",
            Self::Verification => "req.title.verification",
        }
    }
}

impl ItemKind {
    /// One letter, for callback data.
    pub fn code(self) -> &'static str {
        match self {
            Self::Ticket => "t",
            Self::MeterRequest => "m",
            Self::Connection => "c",
            Self::Meter => "p",
        }
    }

    pub fn from_code(c: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.code() == c)
    }
}

text_enum! {
    /// Why a desk row is in the outbox.
    DeskEvent {
        /// The item arrived: its card.
        New => "new",
        /// «Дополнить».
        FollowUp => "follow_up",
        /// «Не решено».
        Reopened => "reopened",
        /// «Вопрос решён».
        Closed => "closed",
        /// «Дополнить заявку».
        Addition => "addition",
        /// The consumer's data were erased (the consumer deleted, the login released): what
        /// the group was shown of the item is blanked.
        Erased => "erased",
        /// The consumer rated the answer (or added a comment to the rating).
        Rated => "rated",
    }
}

text_enum! {
    /// Where a reading comes from.
    ReadingSource {
        /// The reading at installation, entered with the meter.
        Install => "install",
        /// Sent by the consumer.
        User => "user",
    }
}

text_enum! {
    /// Who wrote a message of a ticket.
    Author {
        User => "user",
        Operator => "operator",
    }
}

text_enum! {
    MeterRequestKind: "req_kind" {
        ReadingTaking => "reading_taking",
        Commissioning => "commissioning",
        Replacement => "replacement",
        /// «Заявка на поверку»: closed by the certificate and the next verification date.
        Verification => "verification",
    }
}

text_enum! {
    MeterRequestStatus: "req_status" {
        Submitted => "submitted",
        Scheduled => "scheduled",
        Done => "done",
        Rejected => "rejected",
    }
}

impl MeterRequestStatus {
    /// Still for the desk to act on.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Submitted | Self::Scheduled)
    }
}

text_enum! {
    ConnStatus: "conn.status" {
        Submitted => "submitted",
        UnderReview => "under_review",
        Returned => "returned",
        DocumentsIssued => "documents_issued",
        Connected => "connected",
        Rejected => "rejected",
    }
}

impl ConnStatus {
    /// Final: nothing more is added or decided.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Connected | Self::Rejected)
    }

    /// The statuses an operator sets with a button (and a reply).
    pub const SET_BY_DESK: [ConnStatus; 5] = [
        Self::UnderReview,
        Self::DocumentsIssued,
        Self::Connected,
        Self::Returned,
        Self::Rejected,
    ];
}

text_enum! {
    /// Why the desk closed a ticket: chosen after «Закрыть», shown to the consumer in the push.
    CloseReason: "close_reason" {
        Answered => "answered",
        Resolved => "resolved",
        Duplicate => "duplicate",
        NotOurs => "not_ours",
        Withdrawn => "withdrawn",
    }
}

/// What an operator's button on a card does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeskAction {
    /// «Взять в работу».
    Take,
    /// «Передать другому»: the item is nobody's again.
    Release,
    /// A ticket: «Закрыть» (asks why; nothing changes yet).
    Close,
    /// A ticket: the reason chosen; the reply to the card closes it with the reason and the
    /// reply as an explanation.
    CloseWhy(CloseReason),
    /// A ticket: «Закрыть без пояснения» with the reason chosen.
    CloseNow(CloseReason),
    /// A meter request: «Назначить дату» (the date comes with the reply).
    Schedule,
    /// A meter request: «Выполнено».
    Done,
    /// A meter request: «Отклонить».
    Reject,
    /// A connection application: this status, set with the operator's reply.
    Status(ConnStatus),
    /// «Открыть снова»: a closed ticket or a final application is worked on again (a reply to
    /// it is refused until then).
    Reopen,
    /// «Передать в отдел»: asks which department.
    Move,
    /// The item's card re-posted in this operators' group (its place among them, the main one
    /// first); the consumer is not told.
    MoveTo(u8),
}

impl DeskAction {
    /// Every action, each status once.
    pub fn all() -> Vec<DeskAction> {
        let mut all = vec![
            Self::Take,
            Self::Release,
            Self::Close,
            Self::Schedule,
            Self::Done,
            Self::Reject,
            Self::Reopen,
            Self::Move,
            Self::MoveTo(0),
            Self::MoveTo(u8::MAX),
        ];
        all.extend(CloseReason::ALL.iter().map(|r| Self::CloseWhy(*r)));
        all.extend(CloseReason::ALL.iter().map(|r| Self::CloseNow(*r)));
        all.extend(ConnStatus::ALL.iter().map(|s| Self::Status(*s)));
        all
    }

    /// A short stable code for callback data.
    pub fn code(self) -> String {
        match self {
            Self::Take => "t".into(),
            Self::Release => "l".into(),
            Self::Close => "c".into(),
            Self::Schedule => "s".into(),
            Self::Done => "d".into(),
            Self::Reject => "r".into(),
            Self::Reopen => "o".into(),
            Self::Move => "mv".into(),
            Self::MoveTo(i) => format!("mv-{i}"),
            Self::Status(s) => format!("st-{}", s.as_str()),
            Self::CloseWhy(r) => format!("cw-{}", r.as_str()),
            Self::CloseNow(r) => format!("cn-{}", r.as_str()),
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "t" => Self::Take,
            "l" => Self::Release,
            "c" => Self::Close,
            "s" => Self::Schedule,
            "d" => Self::Done,
            "r" => Self::Reject,
            "o" => Self::Reopen,
            "mv" => Self::Move,
            other => match other.split_once('-')? {
                ("st", s) => Self::Status(ConnStatus::from_str_opt(s)?),
                ("cw", r) => Self::CloseWhy(CloseReason::from_str_opt(r)?),
                ("cn", r) => Self::CloseNow(CloseReason::from_str_opt(r)?),
                ("mv", i) => Self::MoveTo(i.parse().ok()?),
                _ => return None,
            },
        })
    }

    /// What a chosen action waiting for the reply is stored as.
    pub fn pending_name(self) -> String {
        match self {
            Self::Status(s) => s.as_str().to_owned(),
            Self::Schedule => "schedule".into(),
            Self::Done => "done".into(),
            Self::CloseWhy(r) => format!("close-{}", r.as_str()),
            other => other.code(),
        }
    }

    pub fn from_pending(name: &str) -> Option<Self> {
        match name {
            "schedule" => Some(Self::Schedule),
            "done" => Some(Self::Done),
            other => match other.strip_prefix("close-") {
                Some(r) => CloseReason::from_str_opt(r).map(Self::CloseWhy),
                None => ConnStatus::from_str_opt(other).map(Self::Status),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_and_code_round_trips_and_unknown_ones_are_refused() {
        for k in ItemKind::ALL {
            assert_eq!(ItemKind::from_str_opt(k.as_str()), Some(*k));
        }
        for e in DeskEvent::ALL {
            assert_eq!(DeskEvent::from_str_opt(e.as_str()), Some(*e));
        }
        for a in Author::ALL {
            assert_eq!(Author::from_str_opt(a.as_str()), Some(*a));
        }
        for t in DeskTarget::ALL {
            assert_eq!(DeskTarget::from_str_opt(t.as_str()), Some(*t));
            assert_eq!(t.item().map(DeskTarget::from), t.item().map(|_| *t));
        }
        for k in ItemKind::ALL {
            assert_eq!(ItemKind::from_code(k.code()), Some(*k));
            assert_eq!(DeskTarget::from(*k).item(), Some(*k));
        }
        for o in FileOwner::ALL {
            assert_eq!(FileOwner::from_str_opt(o.as_str()), Some(*o));
        }
        for r in Reminder::ALL {
            assert_eq!(Reminder::from_str_opt(r.as_str()), Some(*r));
        }
        for r in ReadingSource::ALL {
            assert_eq!(ReadingSource::from_str_opt(r.as_str()), Some(*r));
        }
        for s in MeterRequestStatus::ALL {
            assert_eq!(MeterRequestStatus::from_str_opt(s.as_str()), Some(*s));
        }
        for k in MeterRequestKind::ALL {
            assert_eq!(MeterRequestKind::from_str_opt(k.as_str()), Some(*k));
        }
        for s in ConnStatus::ALL {
            assert_eq!(ConnStatus::from_str_opt(s.as_str()), Some(*s));
            let a = DeskAction::Status(*s);
            assert_eq!(DeskAction::from_pending(&a.pending_name()), Some(a));
        }
        for a in DeskAction::all() {
            assert_eq!(DeskAction::from_code(&a.code()), Some(a));
        }
        for r in CloseReason::ALL {
            let a = DeskAction::CloseWhy(*r);
            assert_eq!(DeskAction::from_pending(&a.pending_name()), Some(a));
        }
        assert_eq!(DeskAction::from_code("cw-nonsense"), None);
        assert_eq!(DeskAction::from_code("xx-answered"), None);
        assert_eq!(DeskAction::from_pending("schedule"), Some(DeskAction::Schedule));
        assert_eq!(DeskAction::from_pending("done"), Some(DeskAction::Done));
        assert_eq!(ItemKind::from_str_opt("tickets"), None);
        assert_eq!(DeskAction::from_code("st-nonsense"), None);
        assert_eq!(ConnStatus::from_str_opt(""), None);
    }

    /// Read from the database, a known name becomes its value and an unknown one an error.
    #[tokio::test]
    async fn a_stored_name_this_version_does_not_know_is_an_error() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let (s,): (ConnStatus,) = sqlx::query_as("SELECT 'documents_issued'")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(s, ConnStatus::DocumentsIssued);
        let (k,): (crate::domain::tickets::TicketKind,) =
            sqlx::query_as("SELECT 'complaint'").fetch_one(&pool).await.unwrap();
        assert_eq!(k, crate::domain::tickets::TicketKind::Complaint);
        assert!(
            sqlx::query_as::<_, (ConnStatus,)>("SELECT 'archived'")
                .fetch_one(&pool)
                .await
                .is_err()
        );
        assert!(
            sqlx::query_as::<_, (crate::domain::tickets::TicketStatus,)>("SELECT 'nonsense'")
                .fetch_one(&pool)
                .await
                .is_err()
        );
    }
}
