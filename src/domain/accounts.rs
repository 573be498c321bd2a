//! Personal accounts (лицевые счета) as the billing's registry describes them: the account's
//! number, address, holder and contract, and its meters. Values as billing files write them
//! («ХВС», «Физ. лицо», «6+1», «01.06.2031», «12 345,6») read here into checked values.

use super::meters::{Capacity, Resource};
use super::quantity::Quantity;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An account number: 4 to 20 letters and digits (a dash or a slash inside), as billing
/// prints it; spaces are dropped and letters upper-cased so «12 345-а» and «12345-А» are one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccountNumber(String);

impl AccountNumber {
    pub fn parse(input: &str) -> Option<Self> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        let ok = (4..=20).contains(&s.chars().count())
            && s.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '/')
            && s.chars().next().is_some_and(char::is_alphanumeric)
            && s.chars().last().is_some_and(char::is_alphanumeric)
            && s.chars().any(|c| c.is_ascii_digit());
        ok.then_some(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whose contract the account is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contract {
    Individual,
    Organisation,
}

crate::domain::stored_as_text!(Contract);

impl Contract {
    pub const ALL: [Contract; 2] = [Self::Individual, Self::Organisation];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Individual => "individual",
            Self::Organisation => "organisation",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// As billing writes it: «физ», «ФЛ», «Физическое лицо», «юр», «ЮЛ», «ИП», «organisation»…
    /// Empty is an individual's (households are most accounts).
    pub fn read(input: &str) -> Option<Self> {
        let s = words(input);
        if s.is_empty() {
            return Some(Self::Individual);
        }
        const PERSON: [&str; 6] = ["физ", "фл", "физлицо", "физическоелицо", "individual", "person"];
        const ORG: [&str; 9] = [
            "юр",
            "юл",
            "юрлицо",
            "юридическоелицо",
            "ип",
            "организация",
            "organisation",
            "organization",
            "legal",
        ];
        let joined: String = s.split(' ').collect();
        if PERSON.iter().any(|p| joined.starts_with(p)) {
            Some(Self::Individual)
        } else if ORG.iter().any(|p| joined.starts_with(p)) {
            Some(Self::Organisation)
        } else {
            None
        }
    }
}

/// A resource as billing names it: «Электроэнергия», «ЭЭ», «ХВС», «Холодная вода», «ГВС»,
/// «Отопление», «Тепловая энергия», or the stored name.
pub fn read_resource(input: &str) -> Option<Resource> {
    let s = words(input);
    if let Some(r) = Resource::from_str_opt(&s.replace(' ', "_")) {
        return Some(r);
    }
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| s.starts_with(p));
    if starts(&["электр", "ээ", "э/э", "power"]) {
        Some(Resource::Electricity)
    } else if starts(&["хвс", "холодн", "cold"]) {
        Some(Resource::ColdWater)
    } else if starts(&["гвс", "горяч", "hot"]) {
        Some(Resource::HotWater)
    } else if starts(&["отопл", "тепл", "heat"]) {
        Some(Resource::Heat)
    } else {
        None
    }
}

/// A date as billing files write it: «01.06.2031», «1.6.2031», «2031-06-01».
pub fn read_date(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    NaiveDate::parse_from_str(s, "%d.%m.%Y")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .ok()
}

/// A reading as billing writes it, within the meter's digits: «12 345,6», «12345.600».
pub fn read_value(input: &str, cap: Capacity) -> Option<Quantity> {
    Quantity::parse(input, cap.int_digits, 3)
        .ok()
        .filter(|q| *q < cap.limit())
}

/// An account as the registry has it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegAccount {
    pub number: AccountNumber,
    pub address: String,
    pub holder: Option<String>,
    pub contract: Contract,
    pub meters: Vec<RegMeter>,
}

/// A meter of an account, with the last readings billing accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct RegMeter {
    pub serial: String,
    pub resource: Resource,
    pub zones: u8,
    pub capacity: Capacity,
    pub next_verification: Option<NaiveDate>,
    /// None, or one a zone.
    pub last: Vec<Quantity>,
    pub last_on: Option<NaiveDate>,
}

/// Lower-case, «ё» as «е», dots and extra spaces gone: how names are compared.
fn words(input: &str) -> String {
    input
        .trim()
        .to_lowercase()
        .replace('ё', "е")
        .replace('.', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a consumer proves an account with: a serial of one of its meters, or the amount of
/// its last bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofKind {
    Meter,
    Bill,
}

impl ProofKind {
    pub const ALL: [ProofKind; 2] = [Self::Meter, Self::Bill];
}

/// The proofs the utility accepts (`ACCOUNT_PROOF`: «meter», «bill» or both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proofs {
    pub meter: bool,
    pub bill: bool,
}

impl Proofs {
    pub const DEFAULT: &'static str = "meter,bill";

    pub fn parse(s: &str) -> Result<Self, String> {
        let mut p = Proofs {
            meter: false,
            bill: false,
        };
        for part in s.split([',', ';', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
            match part.to_lowercase().as_str() {
                "meter" => p.meter = true,
                "bill" => p.bill = true,
                other => return Err(format!("ACCOUNT_PROOF: {other:?} is neither meter nor bill")),
            }
        }
        if !p.meter && !p.bill {
            return Err("ACCOUNT_PROOF: name meter, bill or both".into());
        }
        Ok(p)
    }

    pub fn kinds(self) -> Vec<ProofKind> {
        ProofKind::ALL
            .into_iter()
            .filter(|k| match k {
                ProofKind::Meter => self.meter,
                ProofKind::Bill => self.bill,
            })
            .collect()
    }
}

/// An account's short name as the consumer gives it («Квартира», «Дача мамы»): one line, up
/// to 30 characters.
pub fn parse_account_name(input: &str) -> Option<String> {
    let s = input.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = s.chars().count();
    ((1..=30).contains(&n) && !s.chars().any(char::is_control)).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers_as_printed() {
        assert_eq!(AccountNumber::parse(" 12 345-а ").unwrap().as_str(), "12345-А");
        assert_eq!(AccountNumber::parse("1234567890").unwrap().as_str(), "1234567890");
        assert!(AccountNumber::parse("123").is_none(), "too short");
        assert!(AccountNumber::parse("ЛС-АБВГ").is_none(), "no digit");
        assert!(AccountNumber::parse("-1234").is_none());
        assert!(AccountNumber::parse("12;34").is_none());
    }

    #[test]
    fn contracts_resources_dates_and_values_as_billing_writes_them() {
        assert_eq!(Contract::read("Физ. лицо"), Some(Contract::Individual));
        assert_eq!(Contract::read("ЮЛ"), Some(Contract::Organisation));
        assert_eq!(Contract::read("ИП"), Some(Contract::Organisation));
        assert_eq!(Contract::read(""), Some(Contract::Individual));
        assert_eq!(Contract::read("кооператив?"), None);
        assert_eq!(read_resource("ХВС"), Some(Resource::ColdWater));
        assert_eq!(read_resource("Горячая вода"), Some(Resource::HotWater));
        assert_eq!(read_resource("Электроэнергия"), Some(Resource::Electricity));
        assert_eq!(read_resource("Отопление"), Some(Resource::Heat));
        assert_eq!(read_resource("cold_water"), Some(Resource::ColdWater));
        assert_eq!(read_resource("газ"), None);
        assert_eq!(read_date("1.6.2031"), NaiveDate::from_ymd_opt(2031, 6, 1));
        assert_eq!(read_date("2031-06-01"), NaiveDate::from_ymd_opt(2031, 6, 1));
        assert_eq!(read_date("июнь"), None);
        let cap = Capacity {
            int_digits: 5,
            frac_digits: 1,
        };
        assert_eq!(read_value("12 345,6", cap), Some(Quantity(12_345_600)));
        assert_eq!(read_value("123456", cap), None, "more digits than the meter has");
    }

    #[test]
    fn proofs_and_names_read_as_the_utility_and_the_consumer_write_them() {
        assert_eq!(Proofs::parse(Proofs::DEFAULT).unwrap().kinds(), ProofKind::ALL.to_vec());
        assert_eq!(Proofs::parse("bill").unwrap().kinds(), vec![ProofKind::Bill]);
        assert!(Proofs::parse("").is_err());
        assert!(Proofs::parse("meter,passport").unwrap_err().contains("passport"));
        assert_eq!(parse_account_name("  Дача   мамы "), Some("Дача мамы".into()));
        assert_eq!(parse_account_name(&"я".repeat(31)), None);
        assert_eq!(parse_account_name("   "), None);
    }
}
