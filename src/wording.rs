//! How stored values read in words, for the consumer's screens and the operators' cards alike
//! (the bot and the desk both use it; it knows no Telegram): names of kinds, resources, units
//! and zones, periods, capacities, dates, a connection application's fields.
//!
//! The other text helpers, one job each: `i18n` looks a key up; `bot::input_errors` says
//! what is wrong with what someone typed; `bot::ui` makes keyboards.

use crate::domain::ApplicantKind;
use crate::domain::answers;
use crate::domain::connection::{self as conn, ConnKind};
use crate::domain::ids::mask_digits;
use crate::domain::meters::{Period, Resource};
use crate::i18n::{t, tf};
use chrono::NaiveDate;

/// How a letter addresses a person: an individual by first name and patronymic («Иван
/// Иванович» of «Иванов Иван Иванович»), anyone else by the name as registered.
pub fn addressed(kind: crate::domain::ApplicantKind, name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    if kind == crate::domain::ApplicantKind::Individual && words.len() >= 2 {
        words[1..].join(" ")
    } else {
        name.trim().to_owned()
    }
}

/// Whether a text opens with a greeting of its own («Здравствуйте, …», «Добрый день»).
pub fn starts_with_greeting(text: &str) -> bool {
    let head = text.trim_start().to_lowercase();
    [
        "здравствуй",
        "добрый день",
        "добрый вечер",
        "доброе утро",
        "доброго",
        "привет",
        "уважаем",
        "hello",
        "good ",
        "dear ",
    ]
    .iter()
    .any(|g| head.starts_with(g))
}

/// A meter's capacity in words: «6 цифр до запятой и 1 после» (for «6+1»).
pub fn capacity(loc: &str, c: crate::domain::meters::Capacity) -> String {
    let int = crate::i18n::plural(loc, "plural.digits", u64::from(c.int_digits));
    if c.frac_digits == 0 {
        return tf(loc, "capacity.whole", &[("int", &int)]);
    }
    tf(
        loc,
        "capacity.words",
        &[("int", &int), ("frac", &c.frac_digits.to_string())],
    )
}

/// A billing period in words: «ноябрь 2026 г.» («за ноябрь 2026 г.»), «November 2026».
pub fn period(loc: &str, p: Period) -> String {
    const MONTHS: [&str; 12] = [
        "period.month.m1",
        "period.month.m2",
        "period.month.m3",
        "period.month.m4",
        "period.month.m5",
        "period.month.m6",
        "period.month.m7",
        "period.month.m8",
        "period.month.m9",
        "period.month.m10",
        "period.month.m11",
        "period.month.m12",
    ];
    let month = MONTHS
        .get((p.month as usize).wrapping_sub(1))
        .map_or_else(String::new, |k| t(loc, k));
    tf(loc, "period.words", &[("month", &month), ("year", &p.year.to_string())])
}

/// The label of a field in this form: «Наименование ЭУ» for electricity.
pub fn label(loc: &str, kind: ConnKind, key: &str) -> String {
    if key == "object_name" && kind == ConnKind::Electricity {
        return t(loc, "conn.f.object_name_eu");
    }
    t(loc, &format!("conn.f.{key}"))
}

pub fn question(loc: &str, kind: ConnKind, key: &str) -> String {
    if key == "object_name" && kind == ConnKind::Electricity {
        return t(loc, "conn.q.object_name_eu");
    }
    t(loc, &format!("conn.q.{key}"))
}

/// A stored value as the person reads it.
pub fn display(loc: &str, field: &conn::Field, value: &str) -> String {
    match field.input {
        conn::Input::Choice(_) => t(loc, &format!("conn.opt.{}.{}", field.key, value.replace('.', "_"))),
        conn::Input::Multi(_) => answers::options(value)
            .map(|v| t(loc, &format!("conn.opt.{}.{v}", field.key)))
            .collect::<Vec<_>>()
            .join(", "),
        conn::Input::YesNo => t(
            loc,
            if answers::read_yes_no(value) == Some(true) {
                "conn.yes"
            } else {
                "conn.no"
            },
        ),
        conn::Input::Date { .. } => date_text(value),
        conn::Input::TextOrUnknown { .. } if value == conn::UNKNOWN => t(loc, "conn.unknown"),
        conn::Input::Stages => answers::entries(value)
            .enumerate()
            .map(|(i, s)| {
                let p: Vec<&str> = s.split(';').collect();
                crate::i18n::tf(
                    loc,
                    "conn.stage_line",
                    &[
                        ("n", &(i + 1).to_string()),
                        ("design", &date_text(p.first().unwrap_or(&""))),
                        ("commission", &date_text(p.get(1).unwrap_or(&""))),
                        ("kw", p.get(2).unwrap_or(&"")),
                    ],
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => value.to_owned(),
    }
}

pub fn date_text(v: &str) -> String {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(|d| d.format("%d.%m.%Y").to_string())
        .unwrap_or_else(|_| v.to_owned())
}

/// A connection field's value on an operators' card: as the consumer reads it, with the
/// passport number masked like the login unless `reveal` (the operator asked for it).
pub fn conn_card_value(loc: &str, field: &conn::Field, value: &str, reveal: bool) -> String {
    if field.input == conn::Input::Passport && !reveal {
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        return mask_digits(&digits);
    }
    display(loc, field, value)
}

pub fn kind_key(kind: ApplicantKind) -> &'static str {
    match kind {
        ApplicantKind::Individual => "kind.individual",
        ApplicantKind::Entrepreneur => "kind.entrepreneur",
        ApplicantKind::Legal => "kind.legal",
    }
}

pub fn kind_label(loc: &str, kind: ApplicantKind) -> String {
    t(loc, kind_key(kind))
}

/// A date as the examples in a prompt show it, full and short: («13.12.2026», «13.12»).
pub fn date_examples(d: NaiveDate) -> [(&'static str, String); 2] {
    [
        ("full", d.format("%d.%m.%Y").to_string()),
        ("short", d.format("%d.%m").to_string()),
    ]
}

/// «Не понял дату. Введите её как …» with examples a week ahead of `today`.
pub fn date_bad(loc: &str, today: NaiveDate) -> String {
    let [(a, full), (b, short)] = date_examples(today + chrono::Duration::days(7));
    tf(loc, "common.date_bad", &[(a, &full), (b, &short)])
}

/// What the name is called by kind: «ФИО» for a person, «Наименование» for a company.
pub fn name_label(loc: &str, kind: ApplicantKind) -> String {
    t(
        loc,
        match kind {
            ApplicantKind::Individual | ApplicantKind::Entrepreneur => "name_label.person",
            ApplicantKind::Legal => "name_label.organisation",
        },
    )
}

/// The login's name by kind: СНИЛС, ОГРНИП, ОГРН.
pub fn login_name(loc: &str, kind: ApplicantKind) -> String {
    t(
        loc,
        match kind {
            ApplicantKind::Individual => "id.name.individual",
            ApplicantKind::Entrepreneur => "id.name.entrepreneur",
            ApplicantKind::Legal => "id.name.legal",
        },
    )
}

pub fn resource_key(r: Resource) -> &'static str {
    match r {
        Resource::Electricity => "resource.electricity",
        Resource::ColdWater => "resource.cold_water",
        Resource::HotWater => "resource.hot_water",
        Resource::Heat => "resource.heat",
    }
}

/// The unit its readings are in: «кВт·ч», «м³», «Гкал».
pub fn unit(loc: &str, r: Resource) -> String {
    t(
        loc,
        match r {
            Resource::Electricity => "unit.electricity",
            Resource::ColdWater => "unit.cold_water",
            Resource::HotWater => "unit.hot_water",
            Resource::Heat => "unit.heat",
        },
    )
}

/// «T1 (день)» and so on, by the number of zones; empty for a single-zone meter.
pub fn zone_label(loc: &str, zones: i64, zone: i64) -> String {
    let key = match (zones, zone) {
        (2, 1) => "zone.two.t1",
        (2, 2) => "zone.two.t2",
        (3, 1) => "zone.three.t1",
        (3, 2) => "zone.three.t2",
        (3, 3) => "zone.three.t3",
        _ => return String::new(),
    };
    t(loc, key)
}

/// The zone after a word, with its space: « T1 (день)»; empty for a single-zone meter.
pub fn zone_suffix(loc: &str, zones: i64, zone: i64) -> String {
    let z = zone_label(loc, zones, zone);
    if z.is_empty() { z } else { format!(" {z}") }
}

/// A meter as a button names it: «⚡ EL-1001 · кухня».
pub fn meter_label(m: &crate::store::meters::Meter) -> String {
    format!("{} {} · {}", m.resource.icon(), m.serial, m.place)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys a connection application's field lists put together (its label, its
    /// question, each option's name) exist in every locale.
    #[test]
    fn every_field_of_the_connection_forms_has_its_words() {
        // rust-i18n gives a missing key back as itself.
        let exists = |loc: &str, key: &str| !crate::i18n::t(loc, key).ends_with(key);
        assert!(!exists("ru", concat!("conn.f.", "no_such_field")) && exists("ru", "conn.f.object_name_eu"));
        let mut missing = Vec::new();
        for kind in ConnKind::ALL {
            for f in kind.fields() {
                let mut keys = vec![format!("conn.f.{}", f.key), format!("conn.q.{}", f.key)];
                if let conn::Input::Choice(options) | conn::Input::Multi(options) = f.input {
                    keys.extend(
                        options
                            .iter()
                            .map(|o| format!("conn.opt.{}.{}", f.key, o.replace('.', "_"))),
                    );
                }
                for key in keys {
                    for loc in crate::i18n::LOCALES {
                        if !exists(loc, &key) {
                            missing.push(format!("{key} ({loc})"));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
    }

    #[test]
    fn a_period_reads_as_a_month_and_a_year() {
        let p = Period { year: 2026, month: 11 };
        assert_eq!(period("ru", p), "ноябрь 2026 г.");
        assert_eq!(period("en", p), "November 2026");
        assert_eq!(period("ru", Period { year: 2027, month: 1 }), "январь 2027 г.");
    }

    #[test]
    fn letters_greet_by_name_once() {
        use crate::domain::ApplicantKind;
        assert_eq!(
            addressed(ApplicantKind::Individual, "Иванов Иван Иванович"),
            "Иван Иванович"
        );
        assert_eq!(addressed(ApplicantKind::Legal, "ООО «Ромашка»"), "ООО «Ромашка»");
        assert!(starts_with_greeting("Здравствуйте, Иван Иванович! Тариф вырос."));
        assert!(starts_with_greeting("  Добрый день. Ответ ниже."));
        assert!(!starts_with_greeting("Тариф вырос с 1 июля."));
    }

    #[test]
    fn a_capacity_reads_in_words() {
        let c = |s| crate::domain::meters::Capacity::parse(s).unwrap();
        assert_eq!(capacity("ru", c("6+1")), "6 цифр до запятой и 1 после");
        assert_eq!(capacity("ru", c("4+3")), "4 цифры до запятой и 3 после");
        assert_eq!(capacity("ru", c("5+0")), "5 цифр, без дробной части");
        assert_eq!(
            capacity("en", c("6+1")),
            "6 digits before the decimal point and 1 after"
        );
    }
}
