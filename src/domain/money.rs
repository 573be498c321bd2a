//! Money in kopecks (integers, never floats), read as billing files write it: «1 234,56»,
//! «-12,5», «1234.56», «1234»; shown as people read it: «1 234,56 ₽».

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Money(pub i64);

impl Money {
    /// Rubles and kopecks: at most two digits after the comma; a minus for an overpayment.
    pub fn parse(input: &str) -> Option<Self> {
        let s: String = input
            .trim()
            .trim_end_matches('₽')
            .trim_end_matches("руб.")
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
            .collect();
        let (negative, s) = match s.strip_prefix('-').or_else(|| s.strip_prefix('−')) {
            Some(rest) => (true, rest),
            None => (false, s.as_str()),
        };
        let (rubles, kopecks) = s.split_once([',', '.']).unwrap_or((s, ""));
        let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
        if rubles.is_empty() || !digits(rubles) || !digits(kopecks) || kopecks.len() > 2 || rubles.len() > 13 {
            return None;
        }
        let kop = format!("{kopecks:0<2}").parse::<i64>().ok()?;
        let value = rubles.parse::<i64>().ok()? * 100 + kop;
        Some(Self(if negative { -value } else { value }))
    }

    pub fn kopecks(self) -> i64 {
        self.0
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money(self.0 + o.0)
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, o: Money) -> Money {
        Money(self.0 - o.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

/// «1 234,56 ₽», «−12,50 ₽».
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let rubles = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in rubles.chars().enumerate() {
            if i > 0 && (rubles.len() - i).is_multiple_of(3) {
                grouped.push('\u{a0}');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "−" } else { "" };
        write!(f, "{sign}{grouped},{:02}\u{a0}₽", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_as_billing_writes_it_and_shows_as_people_read_it() {
        assert_eq!(Money::parse("1 234,56"), Some(Money(123_456)));
        assert_eq!(Money::parse("-12,5"), Some(Money(-1_250)));
        assert_eq!(Money::parse("1234.56 ₽"), Some(Money(123_456)));
        assert_eq!(Money::parse("1234"), Some(Money(123_400)));
        assert_eq!(Money::parse("0,01"), Some(Money(1)));
        assert_eq!(Money::parse("1,234"), None, "kopecks have two digits");
        assert_eq!(Money::parse(""), None);
        assert_eq!(Money::parse("сто"), None);
        assert_eq!(Money(123_456).to_string(), "1\u{a0}234,56\u{a0}₽");
        assert_eq!(Money(-1_250).to_string(), "−12,50\u{a0}₽");
        assert_eq!(Money(5).to_string(), "0,05\u{a0}₽");
    }
}
