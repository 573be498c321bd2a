//! Appeals, complaints, requests for information and requests for copies of documents: one
//! ticket model with a kind, a number, a status and a conversation.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

pub const MAX_TEXT: usize = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    Appeal,
    Complaint,
    Request,
    Document,
}

crate::domain::stored_as_text!(TicketKind);

impl TicketKind {
    pub const ALL: [TicketKind; 4] = [Self::Appeal, Self::Complaint, Self::Request, Self::Document];

    /// Its name: «Обращение» and the like.
    pub fn key(self) -> &'static str {
        self.pick([
            "ticket.kind.appeal",
            "ticket.kind.complaint",
            "ticket.kind.request",
            "ticket.kind.document",
        ])
    }

    /// What the consumer is told once one is filed.
    pub fn sent_key(self) -> &'static str {
        self.pick([
            "ticket.sent.appeal",
            "ticket.sent.complaint",
            "ticket.sent.request",
            "ticket.sent.document",
        ])
    }

    /// «Подать обращение» and the like: the label of filing one.
    pub fn new_key(self) -> &'static str {
        self.pick([
            "ticket.new.appeal",
            "ticket.new.complaint",
            "ticket.new.request",
            "ticket.new.document",
        ])
    }

    /// One of four, by kind (in `ALL`'s order).
    fn pick(self, of: [&'static str; 4]) -> &'static str {
        match self {
            Self::Appeal => of[0],
            Self::Complaint => of[1],
            Self::Request => of[2],
            Self::Document => of[3],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Appeal => "appeal",
            Self::Complaint => "complaint",
            Self::Request => "request",
            Self::Document => "document",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The letter of its number: О-2026-000123, Ж-…, З-…, Д-….
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Appeal => "О",
            Self::Complaint => "Ж",
            Self::Request => "З",
            Self::Document => "Д",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    New,
    InProgress,
    Answered,
    Closed,
    Reopened,
}

crate::domain::stored_as_text!(TicketStatus);

impl TicketStatus {
    /// The locale key of the status as said of an item of this kind (the word agrees with it:
    /// «новое обращение», «новая жалоба», «новый запрос»).
    /// Its label, in words that agree with the ticket's kind («зарегистрировано»,
    /// «зарегистрирована»…).
    pub fn label_key(self, kind: TicketKind) -> &'static str {
        let by_kind: [&'static str; 4] = match self {
            Self::New => [
                "ticket.status.appeal.new",
                "ticket.status.complaint.new",
                "ticket.status.request.new",
                "ticket.status.document.new",
            ],
            Self::InProgress => [
                "ticket.status.appeal.in_progress",
                "ticket.status.complaint.in_progress",
                "ticket.status.request.in_progress",
                "ticket.status.document.in_progress",
            ],
            Self::Answered => [
                "ticket.status.appeal.answered",
                "ticket.status.complaint.answered",
                "ticket.status.request.answered",
                "ticket.status.document.answered",
            ],
            Self::Closed => [
                "ticket.status.appeal.closed",
                "ticket.status.complaint.closed",
                "ticket.status.request.closed",
                "ticket.status.document.closed",
            ],
            Self::Reopened => [
                "ticket.status.appeal.reopened",
                "ticket.status.complaint.reopened",
                "ticket.status.request.reopened",
                "ticket.status.document.reopened",
            ],
        };
        kind.pick(by_kind)
    }

    pub const ALL: [TicketStatus; 5] = [
        Self::New,
        Self::InProgress,
        Self::Answered,
        Self::Closed,
        Self::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::InProgress => "in_progress",
            Self::Answered => "answered",
            Self::Closed => "closed",
            Self::Reopened => "reopened",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The person can still add to it.
    pub fn is_open(self) -> bool {
        self != Self::Closed
    }

    /// «Не решено» reopens an answered item (and a closed one: the person changed their mind).
    pub fn can_reopen(self) -> bool {
        matches!(self, Self::Answered | Self::Closed)
    }
}

/// A section of the menu that lists tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketSection {
    /// «Обращения и жалобы».
    Appeals,
    /// «Запросы».
    Requests,
    /// «Документы».
    Documents,
}

impl TicketSection {
    pub const ALL: [TicketSection; 3] = [Self::Appeals, Self::Requests, Self::Documents];

    pub fn kinds(self) -> &'static [TicketKind] {
        match self {
            Self::Appeals => &[TicketKind::Appeal, TicketKind::Complaint],
            Self::Requests => &[TicketKind::Request],
            Self::Documents => &[TicketKind::Document],
        }
    }

    pub fn of(kind: TicketKind) -> Self {
        match kind {
            TicketKind::Appeal | TicketKind::Complaint => Self::Appeals,
            TicketKind::Request => Self::Requests,
            TicketKind::Document => Self::Documents,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    Empty,
    TooLong { len: usize },
}

/// The text of an appeal or a follow-up: trimmed, not empty, at most 4000 characters.
pub fn parse_text(input: &str) -> Result<String, TextError> {
    let t = input.trim();
    let len = t.chars().count();
    if len == 0 {
        return Err(TextError::Empty);
    }
    if len > MAX_TEXT {
        return Err(TextError::TooLong { len });
    }
    Ok(t.to_owned())
}

/// When a violation happened: «27.11.2026 14:30», «27.11 14:30», «вчера 9:05», or a date
/// alone. Not in the future.
pub fn parse_moment(input: &str, now: NaiveDateTime) -> Option<NaiveDateTime> {
    let s = input.trim().to_lowercase();
    let (date_part, time_part) = match s.rsplit_once(' ') {
        Some((d, t)) if t.contains(':') => (d.trim().to_owned(), Some(t.to_owned())),
        _ => (s.clone(), None),
    };
    let today = now.date();
    let date = match date_part.as_str() {
        "вчера" | "yesterday" => today.pred_opt()?,
        "позавчера" => today.pred_opt()?.pred_opt()?,
        other => parse_past_date(other, today)?,
    };
    let time = match time_part {
        Some(t) => NaiveTime::parse_from_str(&t, "%H:%M").ok()?,
        None => NaiveTime::MIN,
    };
    let at = date.and_time(time);
    (at <= now).then_some(at)
}

/// A date that is today or before: «28.11» in December is this year's.
fn parse_past_date(s: &str, today: NaiveDate) -> Option<NaiveDate> {
    use chrono::Datelike;
    if matches!(s, "сегодня" | "today") {
        return Some(today);
    }
    let parts: Vec<&str> = s.split(['.', '/', '-']).filter(|p| !p.is_empty()).collect();
    let num = |p: &str| p.parse::<u32>().ok();
    match parts.as_slice() {
        [d, m] => NaiveDate::from_ymd_opt(today.year(), num(m)?, num(d)?),
        [d, m, y] => {
            let y = num(y)?;
            NaiveDate::from_ymd_opt(
                i32::try_from(if y < 100 { 2000 + y } else { y }).ok()?,
                num(m)?,
                num(d)?,
            )
        }
        _ => None,
    }
}

/// A month or a range of months as people write them: «11.2026», «ноябрь 2026», «ноября
/// 2026 г.», «November 2026», «ноябрь» (the latest November up to `today`), «2025» (the whole
/// year), and ranges of any of these: «01.2026–06.2026», «январь–июнь 2026» (a side without a
/// year takes the other's).
pub fn parse_month_range(input: &str, today: NaiveDate) -> Option<((i32, u32), (i32, u32))> {
    use chrono::Datelike;
    let s = input.trim().to_lowercase().replace(['–', '—'], "-");
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.to_owned(), Some(b.to_owned())),
        None => (s.clone(), None),
    };
    let (a, b) = (month_or_year(&a)?, b.as_deref().map(month_or_year));
    let latest = |m: u32| {
        let y = today.year();
        if m <= today.month() { (y, m) } else { (y - 1, m) }
    };
    let (from, to) = match (a, b) {
        (Part::Year(y), None) => ((y, 1), (y, 12)),
        (Part::Month(m, Some(y)), None) => ((y, m), (y, m)),
        (Part::Month(m, None), None) => (latest(m), latest(m)),
        (Part::Month(m1, y1), Some(Some(Part::Month(m2, y2)))) => {
            let (y1, y2) = match (y1, y2) {
                (Some(y1), Some(y2)) => (y1, y2),
                // «январь–июнь 2026»; «ноябрь–февраль 2026» runs over the new year.
                (None, Some(y2)) => (if m1 <= m2 { y2 } else { y2 - 1 }, y2),
                (Some(y1), None) => (y1, if m1 <= m2 { y1 } else { y1 + 1 }),
                (None, None) => {
                    let (y2, m2) = latest(m2);
                    (if m1 <= m2 { y2 } else { y2 - 1 }, y2)
                }
            };
            ((y1, m1), (y2, m2))
        }
        _ => return None,
    };
    let years = 2000..=2100;
    (from <= to && years.contains(&from.0) && years.contains(&to.0)).then_some((from, to))
}

enum Part {
    Month(u32, Option<i32>),
    Year(i32),
}

/// «11.2026», «ноябрь 2026», «ноября 2026 г.», «ноябрь», «2026».
fn month_or_year(p: &str) -> Option<Part> {
    let p = p.trim().trim_end_matches('.').trim();
    let p = ["года", "год", "г"]
        .iter()
        .find_map(|g| p.strip_suffix(g))
        .unwrap_or(p)
        .trim();
    if let Some((m, y)) = p.split_once(['.', '/']) {
        let (m, y): (u32, i32) = (m.trim().parse().ok()?, y.trim().parse().ok()?);
        return (1..=12).contains(&m).then_some(Part::Month(m, Some(y)));
    }
    let mut words = p.split_whitespace();
    let first = words.next()?;
    if let Ok(y) = first.parse::<i32>() {
        return words.next().is_none().then_some(Part::Year(y));
    }
    let m = month_word(first)?;
    match words.next() {
        None => Some(Part::Month(m, None)),
        Some(y) => {
            let y = y.parse().ok()?;
            words.next().is_none().then_some(Part::Month(m, Some(y)))
        }
    }
}

/// A month's name in Russian (as said: «ноябрь», «ноября», «ноябре», «нояб.») or English.
fn month_word(w: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "январь января январе янв jan january",
        "февраль февраля феврале фев feb february",
        "март марта марте мар mar march",
        "апрель апреля апреле апр apr april",
        "май мая мае may",
        "июнь июня июне июн jun june",
        "июль июля июле июл jul july",
        "август августа августе авг aug august",
        "сентябрь сентября сентябре сен сент sep sept september",
        "октябрь октября октябре окт oct october",
        "ноябрь ноября ноябре ноя нояб nov november",
        "декабрь декабря декабре дек dec december",
    ];
    let w = w.trim_end_matches('.');
    NAMES
        .iter()
        .position(|forms| forms.split(' ').any(|f| f == w))
        .map(|i| i as u32 + 1)
}

impl std::fmt::Display for TicketKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 27)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
    }

    #[test]
    fn text_limits() {
        assert_eq!(parse_text("  ok "), Ok("ok".into()));
        assert_eq!(parse_text("   "), Err(TextError::Empty));
        assert_eq!(parse_text(&"я".repeat(4001)), Err(TextError::TooLong { len: 4001 }));
        assert!(parse_text(&"я".repeat(4000)).is_ok());
    }

    #[test]
    fn moments() {
        let n = now();
        assert_eq!(
            parse_moment("27.11.2026 10:15", n).unwrap().to_string(),
            "2026-11-27 10:15:00"
        );
        assert_eq!(
            parse_moment("вчера 9:05", n).unwrap().to_string(),
            "2026-11-26 09:05:00"
        );
        assert_eq!(parse_moment("20.11", n).unwrap().to_string(), "2026-11-20 00:00:00");
        assert_eq!(parse_moment("27.11.2026 13:00", n), None, "in the future");
        assert_eq!(parse_moment("когда-то", n), None);
        assert_eq!(parse_moment("27.11.2026 25:00", n), None);
    }

    #[test]
    fn month_ranges() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let p = |s| parse_month_range(s, today);
        assert_eq!(p("01.2026–06.2026"), Some(((2026, 1), (2026, 6))));
        assert_eq!(p("3.2025"), Some(((2025, 3), (2025, 3))));
        assert_eq!(p("06.2026-01.2026"), None);
        assert_eq!(p("13.2026"), None);
        // In words, with or without the year; a month alone is the latest one up to today.
        assert_eq!(p("ноябрь 2026"), Some(((2026, 11), (2026, 11))));
        assert_eq!(p("Ноября 2025 г."), Some(((2025, 11), (2025, 11))));
        assert_eq!(p("ноябрь"), Some(((2026, 11), (2026, 11))));
        assert_eq!(p("май"), Some(((2026, 5), (2026, 5))));
        assert_eq!(p("November 2026"), Some(((2026, 11), (2026, 11))));
        assert_eq!(p("январь–июнь 2026"), Some(((2026, 1), (2026, 6))));
        assert_eq!(p("ноябрь–февраль 2026"), Some(((2025, 11), (2026, 2))));
        assert_eq!(p("2025"), Some(((2025, 1), (2025, 12))));
        assert_eq!(p("марсианский"), None);
        assert_eq!(p("ма"), None);
    }

    #[test]
    fn statuses() {
        assert!(TicketStatus::Answered.can_reopen());
        assert!(!TicketStatus::New.can_reopen());
        assert!(!TicketStatus::Closed.is_open());
        assert_eq!(
            TicketStatus::from_str_opt("in_progress"),
            Some(TicketStatus::InProgress)
        );
        assert_eq!(TicketKind::Complaint.prefix(), "Ж");
    }
}
