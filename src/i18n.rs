//! Texts through rust-i18n with the locale passed on every call (its global locale is shared
//! by every user, so it is never set).

use crate::domain::plural::plural_form;

pub const LOCALES: [&str; 2] = ["ru", "en"];

/// The text of `key` in `locale`.
pub fn t(locale: &str, key: &str) -> String {
    crate::_rust_i18n_translate(locale, key).into_owned()
}

/// The text of `key` with `%{name}` placeholders filled.
pub fn tf(locale: &str, key: &str, args: &[(&str, &str)]) -> String {
    fill(&t(locale, key), args)
}

/// `%{name}` placeholders filled. A value that ends with a full stop before the sentence's own
/// («за ноябрь 2026 г.» + «.») keeps one: no «г..».
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut s = template.to_owned();
    for (name, value) in args {
        let placeholder = format!("%{{{name}}}");
        if let Some(short) = value.strip_suffix('.') {
            s = s.replace(&format!("{placeholder}."), &format!("{short}."));
        }
        s = s.replace(&placeholder, value);
    }
    s
}

/// `key.one` / `key.few` / `key.many` by the number, with `%{n}` filled; `key.zero`, where
/// the locale has it, for none («файлов нет», not «0 файлов»), and `key.single` for exactly
/// one, in words («не больше одной цифры»).
pub fn plural(locale: &str, key: &str, n: u64) -> String {
    let word = match n {
        0 => Some("zero"),
        1 => Some("single"),
        _ => None,
    };
    if let Some(word) = word {
        let k = format!("{key}.{word}");
        let text = t(locale, &k);
        // rust-i18n gives a missing key back as itself.
        if !text.ends_with(&k) {
            return text;
        }
    }
    let form = plural_form(locale, n);
    tf(locale, &format!("{key}.{}", form.key()), &[("n", &n.to_string())])
}

/// The locale to speak: the chat's choice, else English for English Telegram clients, else
/// the configured default.
pub fn pick_locale(chosen: Option<&str>, telegram_lang: Option<&str>, default: &str) -> &'static str {
    let known = |l: &str| LOCALES.into_iter().find(|k| *k == l);
    if let Some(l) = chosen.and_then(known) {
        return l;
    }
    if telegram_lang.is_some_and(|l| l.starts_with("en")) {
        return "en";
    }
    known(default).unwrap_or("ru")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_choice() {
        assert_eq!(pick_locale(None, None, "ru"), "ru");
        assert_eq!(pick_locale(None, Some("en-US"), "ru"), "en");
        assert_eq!(pick_locale(Some("ru"), Some("en"), "ru"), "ru");
        assert_eq!(pick_locale(None, Some("de"), "en"), "en");
    }

    #[test]
    fn plurals_are_filled() {
        assert_eq!(plural("ru", "plural.attempts", 1), "1 попытка");
        assert_eq!(plural("ru", "plural.attempts", 3), "3 попытки");
        assert_eq!(plural("ru", "plural.attempts", 5), "5 попыток");
        assert_eq!(plural("en", "plural.attempts", 1), "1 attempt");
        // «Осталась 1 попытка», «Осталось 4 попытки»: the verb agrees too.
        assert_eq!(plural("ru", "plural.attempts_left", 1), "Осталась 1 попытка");
        assert_eq!(plural("ru", "plural.attempts_left", 4), "Осталось 4 попытки");
        assert_eq!(plural("ru", "plural.attempts_left", 5), "Осталось 5 попыток");
        assert_eq!(plural("ru", "plural.at_most_digits", 1), "одной цифры");
        assert_eq!(plural("ru", "plural.at_most_digits", 2), "2 цифр");
        assert_eq!(
            plural("ru", "plural.attempts", 1),
            "1 попытка",
            "no single form: the number"
        );
    }

    /// English texts quote in English (“…”), Russian ones in «…».
    #[test]
    fn english_texts_use_english_quotes() {
        let en = include_str!("../locales/en.yml");
        assert!(!en.contains('«') && !en.contains('»'));
    }

    /// One abbreviation for the power-receiving installation, explained once, where it first
    /// comes (the wording is the point).
    #[test]
    fn the_installation_has_one_abbreviation_explained_once() {
        let ru = include_str!("../locales/ru.yml");
        assert!(!ru.contains(" ЭУ") && !ru.contains("(ЭУ)"), "«ЭУ» is «ЭПУ» everywhere");
        assert_eq!(ru.matches("энергопринимающее устройство (ЭПУ)").count(), 1);
        assert_eq!(ru.matches("(ЭПУ)").count(), 1);
    }

    /// A locale's keys: its leaves, and with `nodes` the maps above them too (a plural's key
    /// names a map of forms).
    fn load(locale: &str, nodes: bool) -> std::collections::BTreeSet<String> {
        fn keys(v: &serde_yaml::Value, prefix: &str, nodes: bool, out: &mut std::collections::BTreeSet<String>) {
            if let serde_yaml::Value::Mapping(m) = v {
                for (k, v) in m {
                    let k = k.as_str().unwrap();
                    let full = if prefix.is_empty() {
                        k.to_owned()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    if v.is_mapping() {
                        if nodes {
                            out.insert(full.clone());
                        }
                        keys(v, &full, nodes, out);
                    } else {
                        out.insert(full);
                    }
                }
            }
        }
        let text = std::fs::read_to_string(format!("{}/locales/{locale}.yml", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut set = Default::default();
        keys(&serde_yaml::from_str(&text).unwrap(), "", nodes, &mut set);
        set
    }

    /// Every key the code names as it is (a string literal such as "menu.send_readings" whose
    /// first part is a section of the locales) exists in every locale: a typo is a test
    /// failure, not a key shown to a consumer. Keys put together at run time are not seen here.
    #[test]
    fn every_key_the_code_names_exists_in_every_locale() {
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    sources(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let (ru, en) = (load("ru", true), load("en", true));
        let sections: std::collections::BTreeSet<&str> = ru.iter().filter_map(|k| k.split('.').next()).collect();
        let mut files = Vec::new();
        sources(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
            &mut files,
        );
        let (mut named, mut missing) = (0, Vec::new());
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for literal in text.split('"').skip(1).step_by(2) {
                let is_key = literal.contains('.')
                    && !literal.ends_with('.')
                    && literal
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
                let Some(section) = literal.split('.').next() else {
                    continue;
                };
                if !is_key || !sections.contains(section) {
                    continue;
                }
                named += 1;
                for (locale, keys) in [("ru", &ru), ("en", &en)] {
                    if !keys.contains(literal) {
                        missing.push(format!("{literal} ({locale}, {})", f.display()));
                    }
                }
            }
        }
        assert!(named > 300, "the code's keys are found ({named})");
        assert!(
            missing.is_empty(),
            "keys the code names but a locale lacks: {missing:#?}"
        );
    }

    /// The keys put together from a closed set's text (`text_enum!` with a prefix) exist in
    /// every locale, each value's.
    #[test]
    fn every_key_of_a_closed_set_exists_in_every_locale() {
        use crate::domain::items::{ConnStatus, MeterRequestKind, MeterRequestStatus, MeterReview};
        let (ru, en) = (load("ru", true), load("en", true));
        let keys: Vec<&str> = (MeterReview::ALL.iter().map(|v| v.key()))
            .chain(MeterRequestKind::ALL.iter().map(|v| v.key()))
            .chain(MeterRequestStatus::ALL.iter().map(|v| v.key()))
            .chain(ConnStatus::ALL.iter().map(|v| v.key()))
            .collect();
        assert_eq!(keys.len(), 2 + 4 + 4 + 6);
        for key in keys {
            assert!(ru.contains(key) && en.contains(key), "{key}");
        }
    }

    #[test]
    fn a_value_ending_a_sentence_keeps_one_full_stop() {
        let args = [("period", "ноябрь 2026 г.")];
        assert_eq!(fill("Учтутся за %{period}.", &args), "Учтутся за ноябрь 2026 г.");
        assert_eq!(fill("За %{period} — готово", &args), "За ноябрь 2026 г. — готово");
        assert_eq!(fill("%{n}.", &[("n", "5")]), "5.");
    }

    #[test]
    fn none_has_its_own_words_where_a_locale_has_them() {
        assert_eq!(plural("ru", "plural.files", 0), t("ru", "plural.files.zero"));
        assert_eq!(plural("ru", "plural.files", 2), "2 файла");
        assert_eq!(plural("ru", "plural.digits", 0), "0 цифр");
        assert_eq!(plural("en", "plural.files", 0), t("en", "plural.files.zero"));
    }

    /// Every key in one locale exists in the other.
    #[test]
    fn locales_have_the_same_keys() {
        let (ru, en) = (load("ru", false), load("en", false));
        assert!(ru.len() > 50, "locales load");
        let only_ru: Vec<_> = ru.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ru).collect();
        assert!(only_ru.is_empty(), "missing in en.yml: {only_ru:?}");
        assert!(only_en.is_empty(), "missing in ru.yml: {only_en:?}");
    }
}
