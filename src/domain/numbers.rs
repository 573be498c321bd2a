//! Item numbers as each reader reads them. They are issued and stored in Cyrillic
//! («О-2026-000001», «ТП-Э-2026-000003», «ПУ-2026-000010»), the operators' and the utility's
//! form; an English client sees them in Latin letters («O-2026-000001», «TP-E-2026-000003»),
//! letter for letter, so the two read alike on the phone, and the desk's /item takes either.

/// The prefixes of every series, longest first, with their Latin letters.
const SERIES: [(&str, &str); 9] = [
    ("ТП-Э", "TP-E"),
    ("ТП-В", "TP-V"),
    ("ТП-Т", "TP-T"),
    ("ОТК", "OTK"),
    ("ПУ", "PU"),
    ("О", "O"),
    ("Ж", "ZH"),
    ("З", "Z"),
    ("Д", "D"),
];

/// Every item number in `text` in Latin letters; the rest untouched.
pub fn latin(text: &str) -> String {
    convert(text, |(cyr, lat)| (cyr, lat))
}

/// A number typed in Latin letters back in the stored form (Cyrillic stays as it is).
pub fn stored(number: &str) -> String {
    convert(&number.to_uppercase(), |(cyr, lat)| (lat, cyr))
}

fn convert(text: &str, way: impl Fn((&'static str, &'static str)) -> (&'static str, &'static str)) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut prev: Option<char> = None;
    'scan: while !rest.is_empty() {
        let starts_word = !prev.is_some_and(|c| c.is_alphanumeric() || c == '-');
        if starts_word {
            for pair in SERIES {
                let (from, to) = way(pair);
                if let Some(tail) = rest.strip_prefix(from)
                    && is_year_and_serial(tail)
                {
                    out.push_str(to);
                    prev = to.chars().last();
                    rest = tail;
                    continue 'scan;
                }
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        prev = Some(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// «-2026-000001» and then no more digits.
fn is_year_and_serial(tail: &str) -> bool {
    let b = tail.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    b.len() >= 12
        && b[0] == b'-'
        && digits(1..5)
        && b[5] == b'-'
        && digits(6..12)
        && !b.get(12).is_some_and(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_in_latin_letters_and_back() {
        assert_eq!(
            latin("Обращение О-2026-000001 и заявка ТП-Э-2026-000003, ПУ-2026-000010."),
            "Обращение O-2026-000001 и заявка TP-E-2026-000003, PU-2026-000010."
        );
        assert_eq!(
            latin("Complaint Ж-2026-000002: answered"),
            "Complaint ZH-2026-000002: answered"
        );
        // Not a number: a word, a date, a number too short.
        assert_eq!(
            latin("До 2026-01-01, ДО-2026-000001, О-2026-0001"),
            "До 2026-01-01, ДО-2026-000001, О-2026-0001"
        );
        for n in [
            "О-2026-000001",
            "Ж-2026-000002",
            "З-2026-000003",
            "Д-2026-000004",
            "ПУ-2026-000005",
            "ТП-В-2026-000006",
        ] {
            assert_eq!(stored(&latin(n)), n);
            assert_eq!(stored(n), n, "the stored form stays");
        }
        assert_eq!(stored("zh-2026-000002"), "Ж-2026-000002");
    }
}
