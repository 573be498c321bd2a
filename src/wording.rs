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

/// How a letter addresses a person: an individual by first name and patronymic in Russian
/// («Иван Иванович» of «Иванов Иван Иванович»), by first name and surname in English («Ivan
/// Ivanov», as «Hello, John Smith!»); anyone else by the name as registered.
pub fn addressed(loc: &str, kind: crate::domain::ApplicantKind, name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    match (kind, words.as_slice()) {
        (crate::domain::ApplicantKind::Individual, [surname, given, ..]) if loc == "en" => format!("{given} {surname}"),
        (crate::domain::ApplicantKind::Individual, [_, rest @ ..]) if !rest.is_empty() => rest.join(" "),
        _ => name.trim().to_owned(),
    }
}

/// A period question or its error with examples from today: last month in words and in
/// digits, and the half-year up to it («ноябрь 2026», «11.2026», «июнь–ноябрь 2026»).
pub fn period_examples(loc: &str, key: &str, today: NaiveDate) -> String {
    let last = Period::of(today).prev();
    let first = (0..5).fold(last, |p, _| p.prev());
    let word = |p: Period| t(loc, &format!("period.month.m{}", p.month));
    let range = if first.year == last.year {
        format!("{}–{} {}", word(first), word(last), last.year)
    } else {
        format!("{}–{}", first.label(), last.label())
    };
    tf(
        loc,
        key,
        &[
            ("words", &format!("{} {}", word(last), last.year)),
            ("digits", &last.label()),
            ("range", &range),
        ],
    )
}

/// A file as its button names it: its own name, else «Фото 2» or «Файл 2» by its place
/// among the item's files (photos from Telegram have no name).
pub fn file_label(loc: &str, name: Option<&str>, mime: Option<&str>, place: usize) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => n.to_owned(),
        None => {
            let key = if mime.is_some_and(|m| m.starts_with("image/")) {
                "ticket.photo_n"
            } else {
                "ticket.file_n"
            };
            tf(loc, key, &[("n", &place.to_string())])
        }
    }
}

/// A letter's greeting, one rule for every letter: a person by name and patronymic, an
/// organisation or an entrepreneur by the name as registered, and «Здравствуйте!» without one —
/// always to an address not confirmed yet, which gets nothing the person typed (review
/// finding 3). Ends with the blank line before the text.
pub fn letter_hello(loc: &str, kind: crate::domain::ApplicantKind, name: Option<&str>) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => tf(loc, "mail.hello_name", &[("name", &addressed(loc, kind, n))]),
        None => t(loc, "mail.hello"),
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

/// The label of a field in this form: «Наименование ЭПУ» for electricity.
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

/// The first `n` characters of a plain text, «…» when it was longer (escape after).
pub fn cut(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

/// A prompt's date examples computed from `today`, so that an example is never one the
/// question refuses: `%{week}` a week ahead, `%{yesterday}`, `%{soon}` and `%{later}` the first
/// of the month three and nine months ahead (a design stage, a commissioning), `%{years}` the
/// first of the month six years ahead (a next verification).
pub fn dated(text: &str, today: NaiveDate) -> String {
    use chrono::{Datelike, Months};
    let first = today.with_day(1).unwrap_or(today);
    let ahead = |months: u32| first.checked_add_months(Months::new(months)).unwrap_or(first);
    let show = |d: NaiveDate| d.format("%d.%m.%Y").to_string();
    let mut out = text.to_owned();
    for (name, d) in [
        ("week", today + chrono::Duration::days(7)),
        ("yesterday", today - chrono::Duration::days(1)),
        ("soon", ahead(3)),
        ("later", ahead(9)),
        ("years", ahead(72)),
    ] {
        out = out.replace(&format!("%{{{name}}}"), &show(d));
    }
    out
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

/// A ticket's status as people read it, with the desk's reason for closing it if it gave one:
/// «Закрыто (Вопрос решён)».
pub fn ticket_status(loc: &str, ticket: &crate::store::tickets::Ticket) -> String {
    let status = t(loc, ticket.status.label_key(ticket.kind));
    match ticket.close_reason {
        Some(r) => tf(
            loc,
            "close_reason.status_with",
            &[("status", &status), ("reason", &t(loc, r.key()))],
        ),
        None => status,
    }
}

/// A meter as a button names it: «⚡ EL-1001 · кухня».
pub fn meter_label(loc: &str, m: &crate::store::meters::Meter) -> String {
    format!("{} {} · {}", m.resource.icon(), m.serial, meter_place(loc, m))
}

/// Where a meter is, as its list shows it: the place the consumer typed, or the personal
/// account a meter of the registry belongs to («ЛС 100200300»).
pub fn meter_place(loc: &str, m: &crate::store::meters::Meter) -> String {
    match (&m.account, m.place.trim().is_empty()) {
        (Some(number), true) => crate::i18n::tf(loc, "meters.of_account", &[("number", number)]),
        _ => m.place.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A prompt's date examples are computed from today: never in the past, and a stage's
    /// design date before its commissioning.
    #[test]
    fn date_examples_in_prompts_follow_today() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let q = dated("%{yesterday} | %{week} | %{soon}; %{later} | %{years}", today);
        assert_eq!(q, "05.12.2026 | 13.12.2026 | 01.03.2027; 01.09.2027 | 01.12.2032");
        // Any key that carries them: none of the examples is a fixed date any more.
        let stages = dated(&t("ru", "conn.q.stages"), NaiveDate::from_ymd_opt(2031, 5, 31).unwrap());
        assert!(stages.contains("01.08.2031; 01.02.2032"), "{stages}");
    }

    /// A period's examples come from today, whatever today is.
    #[test]
    fn period_examples_are_last_month_and_the_half_year_to_it() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let q = period_examples("ru", "ticket.period_q", d(2026, 12, 6));
        assert!(q.contains("ноябрь 2026, 11.2026 или июнь–ноябрь 2026"), "{q}");
        let q = period_examples("ru", "ticket.period_q", d(2027, 2, 10));
        assert!(q.contains("январь 2027, 01.2027 или 08.2026–01.2027"), "{q}");
        // And each example reads back as the period it names.
        for (today, example, want) in [
            (d(2026, 12, 6), "ноябрь 2026", ((2026, 11), (2026, 11))),
            (d(2026, 12, 6), "июнь–ноябрь 2026", ((2026, 6), (2026, 11))),
            (d(2027, 2, 10), "08.2026–01.2027", ((2026, 8), (2027, 1))),
        ] {
            assert_eq!(crate::domain::tickets::parse_month_range(example, today), Some(want));
        }
    }

    /// One greeting in every letter: name and patronymic for a person, the registered name
    /// for an organisation, none where no name may go.
    #[test]
    fn every_letter_greets_by_one_rule() {
        use crate::domain::ApplicantKind;
        let person = letter_hello("ru", ApplicantKind::Individual, Some("Петрова Анна Сергеевна"));
        assert_eq!(person, "Здравствуйте, Анна Сергеевна!\n\n");
        let org = letter_hello("ru", ApplicantKind::Legal, Some("ООО «Ромашка»"));
        assert_eq!(org, "Здравствуйте, ООО «Ромашка»!\n\n");
        assert_eq!(letter_hello("ru", ApplicantKind::Individual, None), "Здравствуйте!\n\n");
        assert_eq!(
            letter_hello("ru", ApplicantKind::Individual, Some("  ")),
            "Здравствуйте!\n\n"
        );
        assert_eq!(letter_hello("en", ApplicantKind::Individual, None), "Hello!\n\n");
    }

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
            addressed("ru", ApplicantKind::Individual, "Иванов Иван Иванович"),
            "Иван Иванович"
        );
        assert_eq!(addressed("en", ApplicantKind::Individual, "Smith John"), "John Smith");
        assert_eq!(
            addressed("en", ApplicantKind::Individual, "Иванов Иван Иванович"),
            "Иван Иванов"
        );
        assert_eq!(addressed("ru", ApplicantKind::Legal, "ООО «Ромашка»"), "ООО «Ромашка»");
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
