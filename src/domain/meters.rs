//! Metering devices and the rules of their readings: capacity, monotonic values, rollover,
//! billing periods, verification dates.

use super::quantity::{Quantity, SCALE};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Electricity,
    ColdWater,
    HotWater,
    Heat,
}

crate::domain::stored_as_text!(Resource);

impl Resource {
    pub const ALL: [Resource; 4] = [Self::Electricity, Self::ColdWater, Self::HotWater, Self::Heat];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Electricity => "electricity",
            Self::ColdWater => "cold_water",
            Self::HotWater => "hot_water",
            Self::Heat => "heat",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn icon(self) -> &'static str {
        match self {
            Self::Electricity => "⚡",
            Self::ColdWater => "💧",
            Self::HotWater => "🔥",
            Self::Heat => "♨️",
        }
    }

    /// Electricity may have 1, 2 (day/night) or 3 (peak/night/semi-peak) tariff zones.
    pub fn max_zones(self) -> u8 {
        if self == Self::Electricity { 3 } else { 1 }
    }

    /// The usual digit capacity of such a meter: integer + fraction digits.
    pub fn default_capacity(self) -> Capacity {
        match self {
            Self::Electricity => Capacity {
                int_digits: 6,
                frac_digits: 1,
            },
            Self::ColdWater | Self::HotWater => Capacity {
                int_digits: 5,
                frac_digits: 3,
            },
            Self::Heat => Capacity {
                int_digits: 5,
                frac_digits: 3,
            },
        }
    }

    /// Capacities offered as buttons, the default first.
    pub fn capacity_choices(self) -> Vec<Capacity> {
        let c = |i, f| Capacity {
            int_digits: i,
            frac_digits: f,
        };
        match self {
            Self::Electricity => vec![c(6, 1), c(5, 1), c(6, 2), c(5, 2)],
            _ => vec![c(5, 3), c(5, 2), c(6, 3), c(8, 3)],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    pub int_digits: u8,
    pub frac_digits: u8,
}

impl Capacity {
    /// Parses «6+1» or «5,3»-like input: integer digits 3..=9, fraction digits 0..=3.
    pub fn parse(input: &str) -> Option<Self> {
        let (i, f) = input.trim().split_once(['+', ',', '.', ' '])?;
        let (i, f): (u8, u8) = (i.trim().parse().ok()?, f.trim().parse().ok()?);
        ((3..=9).contains(&i) && f <= 3).then_some(Self {
            int_digits: i,
            frac_digits: f,
        })
    }

    pub fn label(self) -> String {
        format!("{}+{}", self.int_digits, self.frac_digits)
    }

    /// The first value the meter cannot show: 10^int_digits.
    pub fn limit(self) -> Quantity {
        Quantity(10i64.pow(u32::from(self.int_digits)) * SCALE)
    }

    pub fn parse_value(self, input: &str) -> Result<Quantity, super::quantity::QuantityError> {
        Quantity::parse(input, self.int_digits, self.frac_digits)
    }
}

/// How a new value compares with the last accepted one of the same zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monotonic {
    /// Not lower: consumption since the last value.
    Ok {
        consumption: Quantity,
    },
    /// Lower, and the last value is near the capacity limit: perhaps the counter passed zero.
    MaybeRollover {
        last: Quantity,
        consumption_if_rollover: Quantity,
    },
    Lower {
        last: Quantity,
    },
}

/// A last value within the top tenth of the scale may roll over to zero.
pub fn compare(new: Quantity, last: Option<Quantity>, cap: Capacity) -> Monotonic {
    let Some(last) = last else {
        return Monotonic::Ok {
            consumption: Quantity(0),
        };
    };
    if new >= last {
        return Monotonic::Ok {
            consumption: new - last,
        };
    }
    let limit = cap.limit();
    if last.0 * 10 >= limit.0 * 9 {
        Monotonic::MaybeRollover {
            last,
            consumption_if_rollover: (limit - last) + new,
        }
    } else {
        Monotonic::Lower { last }
    }
}

/// A billing period: a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    pub fn parse_key(s: &str) -> Option<Self> {
        let (y, m) = s.split_once('-')?;
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        (1..=12).contains(&month).then_some(Self { year, month })
    }

    pub fn label(self) -> String {
        format!("{:02}.{}", self.month, self.year)
    }

    /// As a button carries it: 202611.
    pub fn code(self) -> u32 {
        self.year.max(0) as u32 * 100 + self.month
    }

    pub fn from_code(code: u32) -> Option<Self> {
        let (year, month) = ((code / 100) as i32, code % 100);
        ((1..=12).contains(&month) && (2000..=2200).contains(&year)).then_some(Self { year, month })
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }
}

/// The days of the month when readings are taken (e.g. the 15th to the 25th).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub first_day: u32,
    pub last_day: u32,
}

impl Window {
    /// Readings are accepted every day. Up to the window's last day they count for the current
    /// month, after it for the next one.
    pub fn period_for(self, date: NaiveDate) -> Period {
        let p = Period::of(date);
        if date.day() > self.last_day { p.next() } else { p }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        (self.first_day..=self.last_day).contains(&date.day())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The consumer does not know the date («Не знаю»): readings are taken, the card asks for
    /// it.
    Unknown,
    Valid,
    /// Due within 30 days.
    DueSoon,
    Expired,
}

pub fn verification(next: Option<NaiveDate>, today: NaiveDate) -> Verification {
    let Some(next) = next else {
        return Verification::Unknown;
    };
    if next < today {
        Verification::Expired
    } else if next - today <= Duration::days(30) {
        Verification::DueSoon
    } else {
        Verification::Valid
    }
}

/// A date as people type it: «28.11.2026», «28.11.26», «28.11», «сегодня», «завтра»,
/// «послезавтра» (and the English words). Not validated against today here.
/// A date asked about the past (an installation, a passport's issue): «28.11» typed before
/// the 28th of November means last year's, the nearest one the question allows.
pub fn parse_date_behind(input: &str, today: NaiveDate) -> Option<NaiveDate> {
    let d = parse_date(input, today)?;
    let day_and_month = input
        .trim()
        .split(['.', '/', '-', ' '])
        .filter(|p| !p.is_empty())
        .count()
        == 2;
    if day_and_month && d > today {
        return NaiveDate::from_ymd_opt(d.year() - 1, d.month(), d.day());
    }
    Some(d)
}

pub fn parse_date(input: &str, today: NaiveDate) -> Option<NaiveDate> {
    let s = input.trim().to_lowercase();
    match s.as_str() {
        "сегодня" | "today" => return Some(today),
        "завтра" | "tomorrow" => return Some(today + Duration::days(1)),
        "послезавтра" => return Some(today + Duration::days(2)),
        _ => {}
    }
    let parts: Vec<&str> = s.split(['.', '/', '-', ' ']).filter(|p| !p.is_empty()).collect();
    let num = |p: &str| p.parse::<u32>().ok();
    match parts.as_slice() {
        [d, m] => {
            let (d, m) = (num(d)?, num(m)?);
            let this_year = NaiveDate::from_ymd_opt(today.year(), m, d)?;
            // «28.02» typed in December means next February.
            if this_year < today {
                NaiveDate::from_ymd_opt(today.year() + 1, m, d)
            } else {
                Some(this_year)
            }
        }
        [d, m, y] => {
            let y = num(y)?;
            let y = if y < 100 { 2000 + y } else { y };
            NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, num(m)?, num(d)?)
        }
        _ => None,
    }
}

/// A serial (заводской) number: letters, digits, dashes, slashes; 3 to 30 characters.
pub fn parse_serial(input: &str) -> Option<String> {
    let s: String = input.split_whitespace().collect::<Vec<_>>().join("");
    let n = s.chars().count();
    ((3..=30).contains(&n) && s.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '/' | '.')))
        .then(|| s.to_uppercase())
}

/// A short free text (place, address, model, installer, seal number): trimmed, 1..=max chars.
pub fn parse_short_text(input: &str, max: usize) -> Option<String> {
    let s = input.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = s.chars().count();
    ((1..=max).contains(&n) && !s.chars().any(char::is_control)).then_some(s)
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_and_month_mean_the_nearest_date_the_question_allows() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        // Ahead (a visit): the next 28.11 is next year's.
        assert_eq!(parse_date("28.11", today), d(2027, 11, 28));
        // Behind (an installation): the last 28.11 is this year's, the last 20.12 last year's.
        assert_eq!(parse_date_behind("28.11", today), d(2026, 11, 28));
        assert_eq!(parse_date_behind("20.12", today), d(2025, 12, 20));
        assert_eq!(parse_date_behind("20.12.2026", today), d(2026, 12, 20));
        assert_eq!(parse_date_behind("сегодня", today), Some(today));
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn capacity_limits_the_digits() {
        let cap = Capacity {
            int_digits: 5,
            frac_digits: 1,
        };
        assert!(cap.parse_value("99999,9").is_ok());
        assert!(cap.parse_value("100000").is_err());
        assert!(cap.parse_value("1,25").is_err());
        assert_eq!(
            Capacity::parse("6+1"),
            Some(Capacity {
                int_digits: 6,
                frac_digits: 1
            })
        );
        assert_eq!(Capacity::parse("12+1"), None);
        assert_eq!(Capacity::parse("6"), None);
    }

    #[test]
    fn monotonic_and_rollover() {
        let cap = Capacity {
            int_digits: 5,
            frac_digits: 0,
        };
        let q = Quantity::from_int;
        assert_eq!(compare(q(120), Some(q(100)), cap), Monotonic::Ok { consumption: q(20) });
        assert_eq!(compare(q(100), None, cap), Monotonic::Ok { consumption: q(0) });
        assert_eq!(compare(q(90), Some(q(100)), cap), Monotonic::Lower { last: q(100) });
        // 99 950 → 30 on a 5-digit meter: 50 to the limit + 30.
        assert_eq!(
            compare(q(30), Some(q(99_950)), cap),
            Monotonic::MaybeRollover {
                last: q(99_950),
                consumption_if_rollover: q(80)
            }
        );
        assert!(matches!(compare(q(30), Some(q(89_000)), cap), Monotonic::Lower { .. }));
    }

    #[test]
    fn billing_period_by_window() {
        let w = Window {
            first_day: 15,
            last_day: 25,
        };
        assert_eq!(w.period_for(d(2026, 11, 20)), Period { year: 2026, month: 11 });
        assert_eq!(w.period_for(d(2026, 11, 3)), Period { year: 2026, month: 11 });
        assert_eq!(w.period_for(d(2026, 11, 26)), Period { year: 2026, month: 12 });
        assert_eq!(w.period_for(d(2026, 12, 31)), Period { year: 2027, month: 1 });
        assert!(w.contains(d(2026, 11, 15)) && !w.contains(d(2026, 11, 26)));
        assert_eq!(Period::parse_key("2026-11").unwrap().label(), "11.2026");
    }

    #[test]
    fn verification_states() {
        let today = d(2026, 11, 27);
        assert_eq!(verification(Some(d(2026, 11, 26)), today), Verification::Expired);
        assert_eq!(verification(Some(d(2026, 12, 20)), today), Verification::DueSoon);
        assert_eq!(verification(Some(d(2027, 6, 1)), today), Verification::Valid);
        assert_eq!(verification(None, today), Verification::Unknown);
    }

    #[test]
    fn dates_as_people_type_them() {
        let today = d(2026, 11, 27);
        assert_eq!(parse_date("28.11.2026", today), Some(d(2026, 11, 28)));
        assert_eq!(parse_date("28.11", today), Some(d(2026, 11, 28)));
        assert_eq!(parse_date("05.01", today), Some(d(2027, 1, 5)));
        assert_eq!(parse_date("завтра", today), Some(d(2026, 11, 28)));
        assert_eq!(parse_date("Сегодня", today), Some(today));
        assert_eq!(parse_date("1.2.27", today), Some(d(2027, 2, 1)));
        assert_eq!(parse_date("31.02.2027", today), None);
        assert_eq!(parse_date("когда-нибудь", today), None);
    }

    #[test]
    fn serials_and_texts() {
        assert_eq!(parse_serial(" ab 12345 ").as_deref(), Some("AB12345"));
        assert_eq!(parse_serial("12"), None);
        assert_eq!(parse_serial("12<script>"), None);
        assert_eq!(parse_short_text("  кухня  ", 100).as_deref(), Some("кухня"));
        assert_eq!(parse_short_text("", 100), None);
        assert_eq!(parse_short_text(&"x".repeat(101), 100), None);
    }
}
