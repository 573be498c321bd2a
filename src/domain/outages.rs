//! Outages (отключения) the utility announces: what is off, planned or by accident, where (an
//! `Area`), from when until when, and what changed last (each change is told again).

use super::address::Area;
use super::meters::Resource;
use chrono::{DateTime, Datelike, NaiveDateTime, Utc};

/// What the last change of an outage was: what its consumers are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Published,
    Extended,
    Closed,
}

crate::domain::stored_as_text!(Change);

impl Change {
    pub const ALL: [Change; 3] = [Self::Published, Self::Extended, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Extended => "extended",
            Self::Closed => "closed",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// An outage as it is published.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutage {
    pub resource: Resource,
    pub planned: bool,
    /// As the operator wrote it; `area` is what it reads as.
    pub area_text: String,
    pub area: Area,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

/// «07.12.2026 10:00» (or «07.12.2026 10.00», «2026-12-07 10:00») in the utility's time zone.
pub fn parse_local(input: &str, utc_offset_hours: i32) -> Option<DateTime<Utc>> {
    let s = input.trim().replace(" в ", " ");
    let local = ["%d.%m.%Y %H:%M", "%d.%m.%Y %H.%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())?;
    let offset = chrono::FixedOffset::east_opt(utc_offset_hours * 3600)?;
    local.and_local_timezone(offset).single().map(|d| d.to_utc())
}

/// A time as an operator types it in the group, in the utility's zone: «07.12.2026 10:00»,
/// «07.12 10:00» (this year's, or next year's when that date is more than half a year gone),
/// «10:00» (today). `now` is the moment of asking.
pub fn parse_near(input: &str, utc_offset_hours: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if let Some(at) = parse_local(input, utc_offset_hours) {
        return Some(at);
    }
    let offset = chrono::FixedOffset::east_opt(utc_offset_hours * 3600)?;
    let today = now.with_timezone(&offset).date_naive();
    // «10.00» is a time only after a date: alone, «07.12» is a date without one.
    let s = input.trim().replace(" в ", " ");
    let (date, time) = match s.split_once(' ') {
        Some((d, t)) => (Some(d.replace('.', ":")), t.replace('.', ":")),
        None => (None, s.clone()),
    };
    let time = chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M").ok()?;
    let date = match date {
        None => today,
        Some(d) => {
            let (day, month) = d.split_once(':')?;
            let (day, month): (u32, u32) = (day.parse().ok()?, month.parse().ok()?);
            let this_year = chrono::NaiveDate::from_ymd_opt(today.year(), month, day)?;
            if (today - this_year).num_days() > 183 {
                chrono::NaiveDate::from_ymd_opt(today.year() + 1, month, day)?
            } else {
                this_year
            }
        }
    };
    date.and_time(time)
        .and_local_timezone(offset)
        .single()
        .map(|d| d.to_utc())
}

impl NewOutage {
    /// Checked: an area that reads, an end after the start.
    pub fn new(
        resource: Resource,
        planned: bool,
        area_text: &str,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        reason: &str,
    ) -> Result<Self, String> {
        let area = Area::parse(area_text).ok_or_else(|| {
            format!(
                "the area {area_text:?} does not read: «г. Город», «г. Город, ул. Ленина» or «г. Город, ул. Ленина: 1-15 нечёт, 20, 22а»"
            )
        })?;
        if ends_at <= starts_at {
            return Err("the end must be after the start".into());
        }
        Ok(Self {
            resource,
            planned,
            area_text: area_text.trim().to_owned(),
            area,
            starts_at,
            ends_at,
            reason: reason.trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_typed_short_is_the_nearest_such() {
        let now = parse_local("06.12.2026 15:00", 3).unwrap();
        let full = |s| parse_local(s, 3).unwrap();
        assert_eq!(parse_near("07.12 10:00", 3, now), Some(full("07.12.2026 10:00")));
        assert_eq!(parse_near("07.12 в 10.00", 3, now), Some(full("07.12.2026 10:00")));
        assert_eq!(parse_near("10:00", 3, now), Some(full("06.12.2026 10:00")));
        assert_eq!(parse_near("8:30", 3, now), Some(full("06.12.2026 08:30")));
        // Early January, said in December: next year's.
        assert_eq!(parse_near("05.01 09:00", 3, now), Some(full("05.01.2027 09:00")));
        assert_eq!(parse_near("01.12 09:00", 3, now), Some(full("01.12.2026 09:00")));
        assert_eq!(parse_near("07.12.2026 10:00", 3, now), Some(full("07.12.2026 10:00")));
        for bad in ["завтра", "31.02 10:00", "25:00", "07.12", ""] {
            assert_eq!(parse_near(bad, 3, now), None, "{bad}");
        }
    }

    #[test]
    fn times_are_the_utilitys_and_an_outage_must_read() {
        let at = parse_local("07.12.2026 10:00", 3).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-07T07:00:00+00:00");
        assert_eq!(parse_local("2026-12-07 10:00", 3), Some(at));
        assert_eq!(parse_local("завтра", 3), None);
        let end = parse_local("07.12.2026 18:00", 3).unwrap();
        assert!(NewOutage::new(Resource::ColdWater, true, "г. Город, ул. Ленина: 1-9", at, end, "").is_ok());
        assert!(NewOutage::new(Resource::ColdWater, true, "г. Город, ул. Ленина", end, at, "").is_err());
        assert!(
            NewOutage::new(Resource::ColdWater, true, "", at, end, "")
                .unwrap_err()
                .contains("does not read")
        );
    }
}
