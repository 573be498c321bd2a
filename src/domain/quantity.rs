//! Exact decimal quantities (readings, consumption) as integers of thousandths: the finest a
//! meter shows is three fraction digits (water, m³), so no float ever touches a reading.

use serde::{Deserialize, Serialize};
use std::fmt;

pub const SCALE: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Quantity(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("not a number")]
    NotNumber,
    #[error("negative")]
    Negative,
    #[error("more than {max} integer digits")]
    TooManyIntDigits { max: u8 },
    #[error("more than {max} fraction digits")]
    TooManyFracDigits { max: u8 },
}

impl Quantity {
    pub fn milli(self) -> i64 {
        self.0
    }

    pub fn from_int(v: i64) -> Self {
        Self(v * SCALE)
    }

    /// Parses «12345», «12 345», «12345,6», «12345.6» with at most `int_digits` before and
    /// `frac_digits` after the separator.
    pub fn parse(input: &str, int_digits: u8, frac_digits: u8) -> Result<Self, QuantityError> {
        let s: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
            .collect();
        if s.is_empty() {
            return Err(QuantityError::NotNumber);
        }
        if let Some(rest) = s.strip_prefix('-') {
            return match Self::parse(rest, u8::MAX, u8::MAX) {
                Ok(_) => Err(QuantityError::Negative),
                Err(_) => Err(QuantityError::NotNumber),
            };
        }
        let s = s.strip_prefix('+').unwrap_or(&s);
        let (int, frac) = match s.split_once([',', '.']) {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
            return Err(QuantityError::NotNumber);
        }
        let int = int.trim_start_matches('0');
        if int.len() > usize::from(int_digits) {
            return Err(QuantityError::TooManyIntDigits { max: int_digits });
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > usize::from(frac_digits) || frac.len() > 3 {
            return Err(QuantityError::TooManyFracDigits {
                max: frac_digits.min(3),
            });
        }
        if int.len() > 15 {
            return Err(QuantityError::TooManyIntDigits { max: 15 });
        }
        let whole: i64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| QuantityError::NotNumber)?
        };
        let mut milli_str = frac.to_owned();
        while milli_str.len() < 3 {
            milli_str.push('0');
        }
        let milli: i64 = milli_str.parse().map_err(|_| QuantityError::NotNumber)?;
        Ok(Self(whole * SCALE + milli))
    }

    /// A plain decimal with a comma, trailing zeros dropped: «12345», «12345,6».
    pub fn display(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.abs();
        let (int, frac) = (v / SCALE, v % SCALE);
        if frac == 0 {
            format!("{sign}{int}")
        } else {
            let f = format!("{frac:03}");
            format!("{sign}{int},{}", f.trim_end_matches('0'))
        }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl std::ops::Sub for Quantity {
    type Output = Quantity;
    fn sub(self, o: Quantity) -> Quantity {
        Quantity(self.0 - o.0)
    }
}

impl std::ops::Add for Quantity {
    type Output = Quantity;
    fn add(self, o: Quantity) -> Quantity {
        Quantity(self.0 + o.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepted_forms() {
        for (s, v) in [
            ("12345", 12_345_000),
            ("12 345", 12_345_000),
            ("12345,6", 12_345_600),
            ("12345.6", 12_345_600),
            ("0,125", 125),
            ("007", 7000),
            ("5,", 5000),
            (",5", 500),
            ("12345,600", 12_345_600),
        ] {
            assert_eq!(Quantity::parse(s, 6, 3), Ok(Quantity(v)), "{s}");
        }
    }

    #[test]
    fn refused_forms() {
        use QuantityError::*;
        assert_eq!(Quantity::parse("abc", 6, 1), Err(NotNumber));
        assert_eq!(Quantity::parse("", 6, 1), Err(NotNumber));
        assert_eq!(Quantity::parse("1,2,3", 6, 3), Err(NotNumber));
        assert_eq!(Quantity::parse("12e3", 6, 3), Err(NotNumber));
        assert_eq!(Quantity::parse("-5", 6, 1), Err(Negative));
        assert_eq!(Quantity::parse("1234567", 6, 1), Err(TooManyIntDigits { max: 6 }));
        assert_eq!(Quantity::parse("12,34", 6, 1), Err(TooManyFracDigits { max: 1 }));
        assert_eq!(Quantity::parse("12,5", 6, 0), Err(TooManyFracDigits { max: 0 }));
    }

    #[test]
    fn display_drops_trailing_zeros() {
        assert_eq!(Quantity(12_345_000).display(), "12345");
        assert_eq!(Quantity(12_345_600).display(), "12345,6");
        assert_eq!(Quantity(125).display(), "0,125");
        assert_eq!(Quantity(-1500).display(), "-1,5");
    }

    proptest! {
        #[test]
        fn display_parses_back(int in 0i64..100_000_000, frac in 0i64..1000) {
            let q = Quantity(int * SCALE + frac);
            prop_assert_eq!(Quantity::parse(&q.display(), 8, 3), Ok(q));
        }

        #[test]
        fn separators_and_spaces_do_not_change_the_value(int in 0i64..1_000_000, frac in 0i64..10) {
            let plain = format!("{int}.{frac}");
            let comma = format!("{int},{frac}");
            let grouped = {
                let s = int.to_string();
                let mut out = String::new();
                for (i, c) in s.chars().enumerate() {
                    if i > 0 && (s.len() - i) % 3 == 0 { out.push(' '); }
                    out.push(c);
                }
                format!("{out},{frac}")
            };
            let a = Quantity::parse(&plain, 7, 1).unwrap();
            prop_assert_eq!(Quantity::parse(&comma, 7, 1).unwrap(), a);
            prop_assert_eq!(Quantity::parse(&grouped, 7, 1).unwrap(), a);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = Quantity::parse(&s, 6, 3);
        }
    }
}
