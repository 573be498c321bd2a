//! Applications for technological connection to the electric (Decree 861), water supply and
//! sewerage (Decree 2130) and heat (Decree 2115) networks. Each form is a list of fields with
//! their own parsing; conditions decide which fields a given applicant is asked; the
//! cross-field rules are checked before sending. *(The lists follow DOMAIN.md; verify them
//! against the current decrees.)*

use super::ApplicantKind;
use super::quantity::Quantity;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnKind {
    Electricity,
    Water,
    Heat,
}

crate::domain::stored_as_text!(ConnKind);

impl ConnKind {
    /// Its name: «Электроснабжение» and the like.
    pub fn key(self) -> &'static str {
        self.pick(["conn.kind.electricity", "conn.kind.water", "conn.kind.heat"])
    }

    /// Its applications' group in the section.
    pub fn group_key(self) -> &'static str {
        self.pick(["conn.group.electricity", "conn.group.water", "conn.group.heat"])
    }

    /// What happens next once one is filed.
    pub fn next_key(self) -> &'static str {
        self.pick(["conn.next.electricity", "conn.next.water", "conn.next.heat"])
    }

    /// The question for its documents.
    pub fn files_q_key(self) -> &'static str {
        self.pick(["conn.files_q.electricity", "conn.files_q.water", "conn.files_q.heat"])
    }

    /// One of three, by kind (in `ALL`'s order).
    fn pick(self, of: [&'static str; 3]) -> &'static str {
        match self {
            Self::Electricity => of[0],
            Self::Water => of[1],
            Self::Heat => of[2],
        }
    }

    pub const ALL: [ConnKind; 3] = [Self::Electricity, Self::Water, Self::Heat];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Electricity => "electricity",
            Self::Water => "water",
            Self::Heat => "heat",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// ТП-Э-2026-000017, ТП-В-…, ТП-Т-….
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Electricity => "ТП-Э",
            Self::Water => "ТП-В",
            Self::Heat => "ТП-Т",
        }
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            Self::Electricity => ELECTRICITY,
            Self::Water => WATER,
            Self::Heat => HEAT,
        }
    }
}

/// How a field is entered and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text {
        max: usize,
    },
    /// A text, or «Не знаю» by a button (kept as `UNKNOWN`).
    TextOrUnknown {
        max: usize,
    },
    Cadastral,
    /// A positive exact decimal with up to 3 fraction digits, at most `max` (whole units).
    Decimal {
        max: i64,
        allow_zero: bool,
    },
    Integer {
        min: i64,
        max: i64,
    },
    /// A date; `future` requires today or later, else today or earlier.
    Date {
        future: bool,
    },
    /// One of the options (stored as the option's key).
    Choice(&'static [&'static str]),
    /// Any non-empty combination of the options.
    Multi(&'static [&'static str]),
    YesNo,
    /// «серия номер» of a Russian passport: 4 + 6 digits.
    Passport,
    /// One or more stages: «design date; commissioning date; kW» each.
    Stages,
}

/// What «Не знаю» is kept as.
pub const UNKNOWN: &str = "unknown";

/// When a field is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// Individuals (passport data).
    Individual,
    /// Entrepreneurs and companies (registration date of ОГРН/ОГРНИП).
    Organisation,
    /// Not the short form of an individual up to 15 kW for household needs.
    FullForm,
    /// Instalments are offered up to 150 kW.
    InstalmentAllowed,
    /// The water service is chosen.
    Service(&'static str),
    /// Something is connected already: not for a new connection.
    Existing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub input: Input,
    pub optional: bool,
    pub when: When,
}

const fn f(key: &'static str, input: Input) -> Field {
    Field {
        key,
        input,
        optional: false,
        when: When::Always,
    }
}
const fn opt(key: &'static str, input: Input) -> Field {
    Field {
        key,
        input,
        optional: true,
        when: When::Always,
    }
}
const fn when(key: &'static str, input: Input, when: When) -> Field {
    Field {
        key,
        input,
        optional: false,
        when,
    }
}

const TEXT: Input = Input::Text { max: 300 };
const FUTURE: Input = Input::Date { future: true };
const PAST: Input = Input::Date { future: false };

pub const REASONS: &[&str] = &["new", "increase", "reliability", "other"];
pub const VOLTAGES: &[&str] = &["0.4", "6", "10", "20", "35"];
pub const CATEGORIES: &[&str] = &["I", "II", "III"];
pub const LOADS: &[&str] = &["household", "production", "mixed"];
pub const SERVICES: &[&str] = &["cold_water", "hot_water", "sewerage"];
pub const COOLANTS: &[&str] = &["water", "steam"];
pub const REGIMES: &[&str] = &["round_the_clock", "daytime", "seasonal"];

pub const SHORT_FORM_KW: i64 = 15;
pub const INSTALMENT_KW: i64 = 150;

static ELECTRICITY: &[Field] = &[
    f("reason", Input::Choice(REASONS)),
    f("object_name", TEXT),
    f("address", TEXT),
    opt("cadastral", Input::Cadastral),
    f(
        "power_new",
        Input::Decimal {
            max: 100_000,
            allow_zero: false,
        },
    ),
    when(
        "power_existing",
        Input::Decimal {
            max: 100_000,
            allow_zero: true,
        },
        When::Existing,
    ),
    f("household", Input::YesNo),
    when("voltage", Input::Choice(VOLTAGES), When::FullForm),
    when("category", Input::Choice(CATEGORIES), When::FullForm),
    when("load", Input::Choice(LOADS), When::FullForm),
    when("stages", Input::Stages, When::FullForm),
    when("instalment", Input::YesNo, When::InstalmentAllowed),
    f("supplier", Input::TextOrUnknown { max: 300 }),
    when("reg_date", PAST, When::Organisation),
    when("passport", Input::Passport, When::Individual),
    when("passport_issued_by", TEXT, When::Individual),
    when("passport_date", PAST, When::Individual),
];

static WATER: &[Field] = &[
    f("object_name", TEXT),
    f("address", TEXT),
    opt("cadastral", Input::Cadastral),
    f("services", Input::Multi(SERVICES)),
    when(
        "load_cold_water",
        Input::Decimal {
            max: 100_000,
            allow_zero: false,
        },
        When::Service("cold_water"),
    ),
    when(
        "load_hot_water",
        Input::Decimal {
            max: 100_000,
            allow_zero: false,
        },
        When::Service("hot_water"),
    ),
    when(
        "load_sewerage",
        Input::Decimal {
            max: 100_000,
            allow_zero: false,
        },
        When::Service("sewerage"),
    ),
    f("purpose", TEXT),
    f("storeys", Input::Integer { min: 1, max: 200 }),
    f("commissioning", FUTURE),
    opt("earlier_tc", TEXT),
];

static HEAT: &[Field] = &[
    f("object_name", TEXT),
    f("address", TEXT),
    opt("cadastral", Input::Cadastral),
    f(
        "heat_heating",
        Input::Decimal {
            max: 1_000,
            allow_zero: true,
        },
    ),
    f(
        "heat_ventilation",
        Input::Decimal {
            max: 1_000,
            allow_zero: true,
        },
    ),
    f(
        "heat_hot_water",
        Input::Decimal {
            max: 1_000,
            allow_zero: true,
        },
    ),
    f(
        "heat_process",
        Input::Decimal {
            max: 1_000,
            allow_zero: true,
        },
    ),
    f("coolant", Input::Choice(COOLANTS)),
    f("coolant_params", TEXT),
    f("regime", Input::Choice(REGIMES)),
    f("reliability", Input::Choice(CATEGORIES)),
    f("commissioning", FUTURE),
];

/// The values entered so far, by field key, in their stored forms (decimals as thousandths
/// in `Quantity::display` form, dates as YYYY-MM-DD, choices as keys, lists joined by `,`).
pub type Values = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    Empty,
    TooLong { max: usize },
    Cadastral,
    NotNumber,
    OutOfRange,
    Date,
    DatePast,
    DateFuture,
    Passport,
    Stages,
}

/// Cadastral number: «NN:NN:NNNNNN(N):N…» — region, district, quarter (6–7 digits), plot.
pub fn parse_cadastral(input: &str) -> Option<String> {
    let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let parts: Vec<&str> = s.split(':').collect();
    let digits = |p: &str, lo: usize, hi: usize| (lo..=hi).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit());
    (parts.len() == 4
        && digits(parts[0], 2, 2)
        && digits(parts[1], 2, 2)
        && digits(parts[2], 6, 7)
        && digits(parts[3], 1, 5))
    .then_some(s)
}

fn parse_date(input: &str, today: NaiveDate) -> Option<NaiveDate> {
    super::meters::parse_date(input, today).or_else(|| NaiveDate::parse_from_str(input.trim(), "%d.%m.%Y").ok())
}

/// Parses the typed value of a text-entered field into its stored form.
pub fn parse_value(input: Input, text: &str, today: NaiveDate) -> Result<String, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(FieldError::Empty);
    }
    match input {
        Input::Text { max } | Input::TextOrUnknown { max } => {
            super::meters::parse_short_text(t, max).ok_or(FieldError::TooLong { max })
        }
        Input::Cadastral => parse_cadastral(t).ok_or(FieldError::Cadastral),
        Input::Decimal { max, allow_zero } => {
            let q = Quantity::parse(t, 9, 3).map_err(|_| FieldError::NotNumber)?;
            if (!allow_zero && q.0 == 0) || q > Quantity::from_int(max) {
                return Err(FieldError::OutOfRange);
            }
            Ok(q.display())
        }
        Input::Integer { min, max } => {
            let n: i64 = t.parse().map_err(|_| FieldError::NotNumber)?;
            if !(min..=max).contains(&n) {
                return Err(FieldError::OutOfRange);
            }
            Ok(n.to_string())
        }
        Input::Date { future } => {
            // «28.11» is the nearest 28 November the question allows.
            let d = if future {
                parse_date(t, today)
            } else {
                super::meters::parse_date_behind(t, today).or_else(|| parse_date(t, today))
            }
            .ok_or(FieldError::Date)?;
            if future && d < today {
                return Err(FieldError::DatePast);
            }
            if !future && d > today {
                return Err(FieldError::DateFuture);
            }
            Ok(d.format("%Y-%m-%d").to_string())
        }
        Input::Passport => {
            let d: String = t.chars().filter(char::is_ascii_digit).collect();
            let only = t
                .chars()
                .all(|c| c.is_ascii_digit() || c == ' ' || c == '-' || c == '№');
            (only && d.len() == 10)
                .then(|| format!("{} {}", &d[..4], &d[4..]))
                .ok_or(FieldError::Passport)
        }
        Input::Stages => parse_stage(t, today).ok_or(FieldError::Stages),
        Input::Choice(_) | Input::Multi(_) | Input::YesNo => Err(FieldError::Empty),
    }
}

/// One stage: «01.03.2027; 01.09.2027; 15» → design date, commissioning date (not before the
/// design), kW.
pub fn parse_stage(t: &str, today: NaiveDate) -> Option<String> {
    let parts: Vec<&str> = t.split([';', ',']).map(str::trim).filter(|p| !p.is_empty()).collect();
    let [design, commission, kw] = parts.as_slice() else {
        return None;
    };
    let design = parse_date(design, today)?;
    let commission = parse_date(commission, today)?;
    let kw = Quantity::parse(kw, 6, 3).ok().filter(|q| q.0 > 0)?;
    (design >= today && commission >= design).then(|| {
        format!(
            "{};{};{}",
            design.format("%Y-%m-%d"),
            commission.format("%Y-%m-%d"),
            kw.display()
        )
    })
}

fn kw(values: &Values, key: &str) -> Quantity {
    values
        .get(key)
        .and_then(|v| Quantity::parse(v, 9, 3).ok())
        .unwrap_or_default()
}

/// The total requested power: new plus previously connected.
pub fn total_kw(values: &Values) -> Quantity {
    kw(values, "power_new") + kw(values, "power_existing")
}

/// Whether a field is asked of this applicant with these values.
pub fn applies(field: &Field, applicant: ApplicantKind, values: &Values) -> bool {
    match field.when {
        When::Always => true,
        When::Individual => applicant == ApplicantKind::Individual,
        When::Organisation => applicant != ApplicantKind::Individual,
        When::FullForm => !is_short_form(applicant, values),
        When::InstalmentAllowed => total_kw(values) <= Quantity::from_int(INSTALMENT_KW),
        When::Service(s) => values
            .get("services")
            .is_some_and(|v| super::answers::options(v).any(|x| x == s)),
        When::Existing => values.get("reason").map(String::as_str) != Some("new"),
    }
}

/// An individual asking up to 15 kW for household needs fills the shorter form.
pub fn is_short_form(applicant: ApplicantKind, values: &Values) -> bool {
    applicant == ApplicantKind::Individual
        && values
            .get("household")
            .is_some_and(|v| super::answers::read_yes_no(v) == Some(true))
        && total_kw(values) <= Quantity::from_int(SHORT_FORM_KW)
}

/// The first field still to ask, if any.
pub fn next_field(
    kind: ConnKind,
    applicant: ApplicantKind,
    values: &Values,
    skipped: &[String],
) -> Option<&'static Field> {
    kind.fields().iter().find(|fl| {
        applies(fl, applicant, values) && !values.contains_key(fl.key) && !skipped.iter().any(|s| s == fl.key)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    /// A required field is missing (by key).
    Missing(&'static str),
    /// Heat: every load is zero.
    NoHeatLoad,
}

/// Cross-field rules, checked before sending.
pub fn validate(kind: ConnKind, applicant: ApplicantKind, values: &Values) -> Result<(), FormError> {
    for fl in kind.fields() {
        if applies(fl, applicant, values) && !fl.optional && !values.contains_key(fl.key) {
            return Err(FormError::Missing(fl.key));
        }
    }
    if kind == ConnKind::Heat {
        let any = ["heat_heating", "heat_ventilation", "heat_hot_water", "heat_process"]
            .iter()
            .any(|k| kw(values, k).0 > 0);
        if !any {
            return Err(FormError::NoHeatLoad);
        }
    }
    Ok(())
}

/// Drops the values of fields that no longer apply (after an answer changed the form's shape).
pub fn prune(kind: ConnKind, applicant: ApplicantKind, values: &mut Values) {
    for fl in kind.fields() {
        if !applies(fl, applicant, values) {
            values.remove(fl.key);
        }
    }
}

impl std::fmt::Display for ConnKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn vals(pairs: &[(&str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn cadastral_numbers() {
        assert_eq!(
            parse_cadastral("77:01:0004012:3456").as_deref(),
            Some("77:01:0004012:3456")
        );
        assert!(parse_cadastral("50:20:010203:15").is_some());
        assert!(parse_cadastral(" 50 : 20 : 010203 : 15 ").is_some());
        for bad in [
            "77:01:4012:3456",
            "77-01-0004012-3456",
            "7:01:0004012:3",
            "77:01:0004012",
            "77:01:00040a2:1",
        ] {
            assert!(parse_cadastral(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn decimals_and_bounds() {
        let power = Input::Decimal {
            max: 100_000,
            allow_zero: false,
        };
        assert_eq!(parse_value(power, "15,5", today()), Ok("15,5".into()));
        assert_eq!(parse_value(power, "0", today()), Err(FieldError::OutOfRange));
        assert_eq!(parse_value(power, "100001", today()), Err(FieldError::OutOfRange));
        assert_eq!(parse_value(power, "-3", today()), Err(FieldError::NotNumber));
        assert_eq!(parse_value(power, "много", today()), Err(FieldError::NotNumber));
        let zero_ok = Input::Decimal {
            max: 1000,
            allow_zero: true,
        };
        assert_eq!(parse_value(zero_ok, "0", today()), Ok("0".into()));
    }

    #[test]
    fn dates_not_in_the_past() {
        assert_eq!(parse_value(FUTURE, "01.06.2027", today()), Ok("2027-06-01".into()));
        assert_eq!(parse_value(FUTURE, "01.06.2020", today()), Err(FieldError::DatePast));
        assert_eq!(parse_value(PAST, "01.06.2030", today()), Err(FieldError::DateFuture));
        assert_eq!(parse_value(FUTURE, "завтра", today()), Ok("2026-11-28".into()));
    }

    #[test]
    fn passports_and_stages() {
        assert_eq!(
            parse_value(Input::Passport, "45 10 123456", today()),
            Ok("4510 123456".into())
        );
        assert_eq!(
            parse_value(Input::Passport, "4510 12345", today()),
            Err(FieldError::Passport)
        );
        assert_eq!(
            parse_stage("01.03.2027; 01.09.2027; 15", today()).as_deref(),
            Some("2027-03-01;2027-09-01;15")
        );
        assert_eq!(
            parse_stage("01.09.2027; 01.03.2027; 15", today()),
            None,
            "commissioning before design"
        );
        assert_eq!(parse_stage("01.03.2027; 01.09.2027", today()), None);
    }

    #[test]
    fn short_form_and_instalments() {
        let ind = ApplicantKind::Individual;
        let small = vals(&[("power_new", "10"), ("power_existing", "5"), ("household", "yes")]);
        assert!(is_short_form(ind, &small));
        assert!(!is_short_form(ApplicantKind::Legal, &small));
        let big = vals(&[("power_new", "140"), ("power_existing", "20"), ("household", "no")]);
        let instalment = ELECTRICITY.iter().find(|f| f.key == "instalment").unwrap();
        assert!(applies(instalment, ind, &small));
        assert!(!applies(instalment, ind, &big), "160 kW > 150");
        let voltage = ELECTRICITY.iter().find(|f| f.key == "voltage").unwrap();
        assert!(!applies(voltage, ind, &small) && applies(voltage, ind, &big));
    }

    #[test]
    fn required_combinations() {
        let legal = ApplicantKind::Legal;
        let mut heat = vals(&[
            ("object_name", "Цех"),
            ("address", "a"),
            ("cadastral", "50:20:010203:15"),
            ("heat_heating", "0"),
            ("heat_ventilation", "0"),
            ("heat_hot_water", "0"),
            ("heat_process", "0"),
            ("coolant", "water"),
            ("coolant_params", "95/70"),
            ("regime", "daytime"),
            ("reliability", "II"),
            ("commissioning", "2027-06-01"),
        ]);
        assert_eq!(validate(ConnKind::Heat, legal, &heat), Err(FormError::NoHeatLoad));
        heat.insert("heat_process".into(), "0,25".into());
        assert_eq!(validate(ConnKind::Heat, legal, &heat), Ok(()));
        heat.remove("coolant");
        assert_eq!(
            validate(ConnKind::Heat, legal, &heat),
            Err(FormError::Missing("coolant"))
        );

        let mut water = vals(&[("services", "cold_water,sewerage")]);
        assert_eq!(
            next_field(ConnKind::Water, legal, &water, &[]).unwrap().key,
            "object_name"
        );
        for k in ["object_name", "address", "cadastral"] {
            water.insert(k.into(), "x".into());
        }
        assert_eq!(
            next_field(ConnKind::Water, legal, &water, &[]).unwrap().key,
            "load_cold_water"
        );
        water.insert("load_cold_water".into(), "2".into());
        assert_eq!(
            next_field(ConnKind::Water, legal, &water, &[]).unwrap().key,
            "load_sewerage",
            "hot water not chosen"
        );
    }
}
