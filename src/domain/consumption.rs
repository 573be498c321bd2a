//! Whether a consumption is plausible before a reading is saved: a ceiling per resource and
//! per day the utility sets (`CONSUMPTION_CEILING`), and the meter's own average when it has
//! history. An implausible one is shown back to the person, who confirms or corrects it; a
//! confirmed one is saved marked, and the readings export says so.

use super::meters::Resource;
use super::quantity::Quantity;
use std::collections::BTreeMap;

/// More than this many times the meter's usual consumption for the time is implausible.
pub const AVERAGE_FACTOR: i64 = 3;

/// Days in an average month: a period's consumption is a month's.
const MONTH_DAYS_X10: i64 = 304;

/// The most a resource may plausibly consume a day, per resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceilings(BTreeMap<&'static str, Quantity>);

impl Ceilings {
    /// What a household or a small business does not exceed: 200 kWh, 5 m³ of cold water,
    /// 3 m³ of hot water, 3 Gcal of heat a day.
    pub const DEFAULT: &'static str = "electricity=200,cold_water=5,hot_water=3,heat=3";

    /// «electricity=200,cold_water=5»: a resource's daily ceiling; a resource not named has
    /// none, and `off` sets none. Pairs are apart by commas, semicolons or spaces; a fraction takes a point.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut out = BTreeMap::new();
        if s.trim() == "off" {
            return Ok(Self(out));
        }
        for part in s.split([',', ';', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("«{part}»: expected resource=amount a day, e.g. electricity=200"))?;
            let r = Resource::from_str_opt(name.trim()).ok_or_else(|| {
                format!(
                    "«{}»: not a resource (electricity, cold_water, hot_water, heat)",
                    name.trim()
                )
            })?;
            let v = Quantity::parse(value.trim(), 9, 3)
                .ok()
                .filter(|v| v.0 > 0)
                .ok_or_else(|| format!("«{}»: the amount a day must be a positive number", value.trim()))?;
            out.insert(r.as_str(), v);
        }
        Ok(Self(out))
    }

    pub fn per_day(&self, r: Resource) -> Option<Quantity> {
        self.0.get(r.as_str()).copied()
    }
}

impl Default for Ceilings {
    fn default() -> Self {
        Self::parse(Self::DEFAULT).unwrap_or(Self(BTreeMap::new()))
    }
}

/// Why a consumption needs the person's second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implausible {
    /// More than the resource's ceiling for the days since the last reading.
    Ceiling { limit: Quantity },
    /// More than three times what the meter usually consumes in that time.
    Average { usual: Quantity },
}

/// `consumption` over `days` (since the last reading; at least one counts), against the
/// resource's daily ceiling and the meter's earlier periods' consumption (a month each).
pub fn check(consumption: Quantity, days: i64, per_day: Option<Quantity>, earlier: &[Quantity]) -> Option<Implausible> {
    let days = days.max(1);
    if let Some(limit) = per_day.map(|p| Quantity(p.0.saturating_mul(days)))
        && consumption > limit
    {
        return Some(Implausible::Ceiling { limit });
    }
    let positive: Vec<i64> = earlier.iter().map(|q| q.0).filter(|v| *v > 0).collect();
    if positive.is_empty() {
        return None;
    }
    let average = earlier.iter().map(|q| q.0.max(0)).sum::<i64>() / earlier.len() as i64;
    // What the meter usually uses in this many days: a month's average for up to a month,
    // so many months' for longer.
    let months = ((days * 10 + MONTH_DAYS_X10 / 2) / MONTH_DAYS_X10).max(1);
    let usual = Quantity(average.saturating_mul(months));
    (consumption.0 > usual.0.saturating_mul(AVERAGE_FACTOR)).then_some(Implausible::Average { usual })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(v: i64) -> Quantity {
        Quantity::from_int(v)
    }

    #[test]
    fn the_issue_s_reading_is_above_the_ceiling() {
        // 99999,9 against 12345,6 a month later: 87654,3 kWh in 30 days.
        let c = Ceilings::default();
        let consumption = Quantity(99_999_900 - 12_345_600);
        assert_eq!(
            check(consumption, 30, c.per_day(Resource::Electricity), &[]),
            Some(Implausible::Ceiling { limit: q(6000) })
        );
        // 300 kWh in a month is a household's.
        assert_eq!(check(q(300), 30, c.per_day(Resource::Electricity), &[]), None);
    }

    #[test]
    fn the_ceiling_grows_with_the_days_and_a_same_day_reading_counts_one() {
        assert_eq!(
            check(q(500), 0, Some(q(200)), &[]),
            Some(Implausible::Ceiling { limit: q(200) })
        );
        assert_eq!(check(q(500), 3, Some(q(200)), &[]), None);
        assert_eq!(check(q(10_000), 3650, None, &[]), None, "no ceiling set, no history");
    }

    #[test]
    fn three_times_the_usual_for_the_time() {
        let earlier = [q(100), q(100)];
        assert_eq!(check(q(300), 30, None, &earlier), None);
        assert_eq!(
            check(q(301), 30, None, &earlier),
            Some(Implausible::Average { usual: q(100) })
        );
        // Three months since the last reading: three months' usual.
        assert_eq!(check(q(600), 91, None, &earlier), None);
        assert_eq!(
            check(q(901), 91, None, &earlier),
            Some(Implausible::Average { usual: q(300) })
        );
        assert_eq!(check(q(1000), 30, None, &[q(0)]), None, "nothing consumed before");
    }

    #[test]
    fn ceilings_are_read_as_the_utility_writes_them() {
        let c = Ceilings::parse("electricity=150, cold_water=2.5").unwrap();
        assert_eq!(c.per_day(Resource::Electricity), Some(q(150)));
        assert_eq!(c.per_day(Resource::ColdWater), Some(Quantity(2_500)));
        assert_eq!(c.per_day(Resource::Heat), None);
        assert!(Ceilings::parse("off").unwrap().per_day(Resource::Electricity).is_none());
        assert!(Ceilings::parse("gas=5").unwrap_err().contains("gas"));
        assert!(Ceilings::parse("heat=0").is_err());
        assert!(Ceilings::parse("heat").is_err());
    }
}
