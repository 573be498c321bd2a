//! The three logins of the personal area: СНИЛС, ОГРН and ОГРНИП, with their check digits.
//! A value of these types is valid by construction: digits only, right length, right checksum.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a typed identifier was refused. Each reason has its own message for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("empty")]
    Empty,
    #[error("contains characters other than digits and separators")]
    NotDigits,
    #[error("wrong length: expected {expected}, got {got}")]
    WrongLength { expected: usize, got: usize },
    #[error("check digits do not match")]
    Checksum,
    #[error("must not start with 0")]
    LeadingZero,
}

/// Strips the separators people type (spaces, dashes, dots) and returns the digits.
fn digits_of(input: &str) -> Result<String, IdError> {
    let mut out = String::with_capacity(input.len());
    for c in input.trim().chars() {
        match c {
            '0'..='9' => out.push(c),
            ' ' | '\u{a0}' | '\u{202f}' | '-' | '‐' | '‑' | '–' | '—' | '.' | '_' => {}
            _ => return Err(IdError::NotDigits),
        }
    }
    if out.is_empty() {
        return Err(IdError::Empty);
    }
    Ok(out)
}

fn check_len(d: &str, expected: usize) -> Result<(), IdError> {
    if d.len() != expected {
        return Err(IdError::WrongLength { expected, got: d.len() });
    }
    Ok(())
}

fn digit(d: &str, i: usize) -> u64 {
    u64::from(d.as_bytes()[i] - b'0')
}

/// СНИЛС: 11 digits, the last two are the control number of the first nine.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Snils(String);

impl Snils {
    pub const LEN: usize = 11;

    pub fn parse(input: &str) -> Result<Self, IdError> {
        let d = digits_of(input)?;
        check_len(&d, Self::LEN)?;
        let body: u64 = d[..9].parse().expect("nine digits");
        // Numbers up to 001-001-998 were issued before the checksum existed.
        if body > 1_001_998 {
            let s: u64 = (0..9).map(|i| digit(&d, i) * (9 - i as u64)).sum();
            let control = match s {
                0..=99 => s,
                100 | 101 => 0,
                _ => match s % 101 {
                    100 => 0,
                    r => r,
                },
            };
            let given: u64 = d[9..].parse().expect("two digits");
            if control != given {
                return Err(IdError::Checksum);
            }
        }
        Ok(Self(d))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// ОГРН of a legal entity: 13 digits; (first 12 as a number mod 11) mod 10 is the 13th.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ogrn(String);

impl Ogrn {
    pub const LEN: usize = 13;

    pub fn parse(input: &str) -> Result<Self, IdError> {
        let d = digits_of(input)?;
        check_len(&d, Self::LEN)?;
        if d.starts_with('0') {
            return Err(IdError::LeadingZero);
        }
        let body: u64 = d[..12].parse().expect("twelve digits");
        if (body % 11) % 10 != digit(&d, 12) {
            return Err(IdError::Checksum);
        }
        Ok(Self(d))
    }

    /// ОГРН of companies normally starts with 1 or 5; others are accepted but unusual.
    pub fn is_unusual(&self) -> bool {
        !matches!(self.0.as_bytes()[0], b'1' | b'5')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// ОГРНИП of an individual entrepreneur: 15 digits; (first 14 mod 13) mod 10 is the 15th.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ogrnip(String);

impl Ogrnip {
    pub const LEN: usize = 15;

    pub fn parse(input: &str) -> Result<Self, IdError> {
        let d = digits_of(input)?;
        check_len(&d, Self::LEN)?;
        if d.starts_with('0') {
            return Err(IdError::LeadingZero);
        }
        let body: u64 = d[..14].parse().expect("fourteen digits");
        if (body % 13) % 10 != digit(&d, 14) {
            return Err(IdError::Checksum);
        }
        Ok(Self(d))
    }

    pub fn is_unusual(&self) -> bool {
        self.0.as_bytes()[0] != b'3'
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_conversions {
    ($($t:ty),*) => {$(
        impl TryFrom<String> for $t {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> { Self::parse(&s) }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String { v.0 }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
    )*};
}
string_conversions!(Snils, Ogrn, Ogrnip);

/// Who registers: the kind decides which identifier is the login and what the name field means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    Individual,
    Entrepreneur,
    Legal,
}

crate::domain::stored_as_text!(ApplicantKind);

impl ApplicantKind {
    pub const ALL: [ApplicantKind; 3] = [Self::Individual, Self::Entrepreneur, Self::Legal];

    /// One of three, by kind (in `ALL`'s order): its locale keys.
    pub fn pick(self, of: [&'static str; 3]) -> &'static str {
        match self {
            Self::Individual => of[0],
            Self::Entrepreneur => of[1],
            Self::Legal => of[2],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Individual => "individual",
            Self::Entrepreneur => "entrepreneur",
            Self::Legal => "legal",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn login_len(self) -> usize {
        match self {
            Self::Individual => Snils::LEN,
            Self::Entrepreneur => Ogrnip::LEN,
            Self::Legal => Ogrn::LEN,
        }
    }
}

/// The login of a consumer: one of the three identifiers, chosen by the applicant kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login(String);

impl Login {
    pub fn parse(kind: ApplicantKind, input: &str) -> Result<Self, IdError> {
        Ok(Self(match kind {
            ApplicantKind::Individual => Snils::parse(input)?.0,
            ApplicantKind::Entrepreneur => Ogrnip::parse(input)?.0,
            ApplicantKind::Legal => Ogrn::parse(input)?.0,
        }))
    }

    /// Any of the three, told apart by length: for signing in, where the kind is not asked.
    pub fn parse_any(input: &str) -> Result<Self, IdError> {
        let d = digits_of(input)?;
        let kind = match d.len() {
            Snils::LEN => ApplicantKind::Individual,
            Ogrnip::LEN => ApplicantKind::Entrepreneur,
            Ogrn::LEN => ApplicantKind::Legal,
            got => {
                return Err(IdError::WrongLength {
                    expected: Snils::LEN,
                    got,
                });
            }
        };
        Self::parse(kind, &d)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The login with all but the last four digits hidden, for summaries and the profile.
    pub fn masked(&self) -> String {
        mask_digits(&self.0)
    }
}

pub fn mask_digits(d: &str) -> String {
    let n = d.chars().count();
    d.chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < n { '•' } else { c })
        .collect()
}

impl std::fmt::Display for ApplicantKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn snils_examples() {
        for ok in [
            "11223344595",
            "64270954807",
            "14527450962",
            "14100840800",
            "95253007700",
            "00326335397",
            "112-233-445 95",
            " 112 233 445 95 ",
        ] {
            assert!(Snils::parse(ok).is_ok(), "{ok} should be valid");
        }
        assert_eq!(Snils::parse("112-233-445 95").unwrap().as_str(), "11223344595");
        assert_eq!(Snils::parse("11223344596"), Err(IdError::Checksum));
        assert_eq!(
            Snils::parse("1122334459"),
            Err(IdError::WrongLength { expected: 11, got: 10 })
        );
        assert_eq!(Snils::parse("1122334459a"), Err(IdError::NotDigits));
        assert_eq!(Snils::parse("  - "), Err(IdError::Empty));
        // Old numbers carry no checksum.
        assert!(Snils::parse("00100199800").is_ok());
    }

    #[test]
    fn ogrn_examples() {
        for ok in ["1027700132195", "1027812400868", "1127746509780"] {
            assert!(Ogrn::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Ogrn::parse("1027700132194"), Err(IdError::Checksum));
        assert_eq!(Ogrn::parse("0000000000000"), Err(IdError::LeadingZero));
        assert!(!Ogrn::parse("1027700132195").unwrap().is_unusual());
    }

    #[test]
    fn ogrnip_examples() {
        assert!(Ogrnip::parse("304500116000157").is_ok());
        assert_eq!(Ogrnip::parse("304500116000158"), Err(IdError::Checksum));
        assert!(!Ogrnip::parse("304500116000157").unwrap().is_unusual());
    }

    #[test]
    fn login_by_kind_and_by_length() {
        assert!(Login::parse(ApplicantKind::Individual, "11223344595").is_ok());
        assert_eq!(
            Login::parse(ApplicantKind::Legal, "11223344595"),
            Err(IdError::WrongLength { expected: 13, got: 11 })
        );
        assert_eq!(Login::parse_any("304500116000157").unwrap().as_str(), "304500116000157");
        assert_eq!(Login::parse_any("1027700132195").unwrap().as_str(), "1027700132195");
        assert_eq!(
            Login::parse_any("123"),
            Err(IdError::WrongLength { expected: 11, got: 3 })
        );
    }

    #[test]
    fn snils_control_collisions_are_inherent() {
        // S = 100 and S = 101 both give 00, so the weight-1 digit of such a number can change
        // by one without the checksum noticing. That is the algorithm, not a bug here.
        assert!(Snils::parse("14100840800").is_ok());
        assert!(Snils::parse("14100840900").is_ok());
    }

    #[test]
    fn masking_keeps_last_four() {
        let l = Login::parse_any("11223344595").unwrap();
        assert_eq!(l.masked(), "•••••••4595");
    }

    fn changed_digit(s: &str, pos: usize, delta: u8) -> String {
        let mut b = s.as_bytes().to_vec();
        b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
        String::from_utf8(b).unwrap()
    }

    /// The check digits as the algorithms define them, to build valid numbers from any body.
    fn snils_control(body: &str) -> u64 {
        let s: u64 = body
            .bytes()
            .enumerate()
            .map(|(i, b)| u64::from(b - b'0') * (9 - i as u64))
            .sum();
        match s {
            0..=99 => s,
            100 | 101 => 0,
            _ => (s % 101) % 100,
        }
    }

    #[test]
    fn ogrn_residue_collisions_are_inherent() {
        // Residues 0 and 10 (mod 11) both give check digit 0, so this change goes unnoticed.
        assert!(Ogrn::parse("1127746509780").is_ok());
        assert!(Ogrn::parse("1137746509780").is_ok());
    }

    proptest! {
        // A single changed digit is always caught, except where the algorithm maps two
        // residues to one check value (СНИЛС control 00, ОГРН residue 0/10, ОГРНИП 0-2/10-12):
        // see the collision tests above. Bodies start with two non-zero digits so one change
        // cannot make a СНИЛС fall into the unchecked old range.
        #[test]
        fn snils_single_digit_change_is_refused(
            body in "[1-9][1-9][0-9]{7}", pos in 0usize..11, delta in 1u8..10,
        ) {
            let control = snils_control(&body);
            prop_assume!(control != 0);
            let valid = format!("{body}{control:02}");
            prop_assert!(Snils::parse(&valid).is_ok());
            let changed = changed_digit(&valid, pos, delta);
            prop_assert!(Snils::parse(&changed).is_err(), "{valid} -> {changed}");
        }

        #[test]
        fn ogrn_single_digit_change_is_refused(
            body in "[1-9][0-9]{11}", pos in 0usize..13, delta in 1u8..10,
        ) {
            let residue = body.parse::<u64>().unwrap() % 11;
            prop_assume!((1..=9).contains(&residue));
            let valid = format!("{body}{residue}");
            prop_assert!(Ogrn::parse(&valid).is_ok());
            prop_assert!(Ogrn::parse(&changed_digit(&valid, pos, delta)).is_err());
        }

        #[test]
        fn ogrnip_single_digit_change_is_refused(
            body in "[1-9][0-9]{13}", pos in 0usize..15, delta in 1u8..10,
        ) {
            let residue = body.parse::<u64>().unwrap() % 13;
            prop_assume!((3..=9).contains(&residue));
            let valid = format!("{body}{residue}");
            prop_assert!(Ogrnip::parse(&valid).is_ok());
            prop_assert!(Ogrnip::parse(&changed_digit(&valid, pos, delta)).is_err());
        }

        #[test]
        fn every_domain_example_survives_single_changes_where_unambiguous(
            pos in 0usize..11, delta in 1u8..10,
        ) {
            for v in ["11223344595", "64270954807", "14527450962"] {
                prop_assert!(Snils::parse(&changed_digit(v, pos, delta)).is_err());
            }
            prop_assert!(Ogrn::parse(&changed_digit("1027700132195", pos, delta)).is_err());
            prop_assert!(Ogrnip::parse(&changed_digit("304500116000157", pos, delta)).is_err());
        }

        #[test]
        fn separators_do_not_matter(
            v in prop::sample::select(vec!["11223344595", "64270954807"]),
            seps in prop::collection::vec(prop::sample::select(vec![" ", "-", ""]), 11),
        ) {
            let typed: String = v.chars().zip(seps).map(|(c, s)| format!("{c}{s}")).collect();
            let parsed = Snils::parse(&typed).unwrap();
            prop_assert_eq!(parsed.as_str(), v);
        }
    }
}
