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
    let mut s = t(locale, key);
    for (name, value) in args {
        s = s.replace(&format!("%{{{name}}}"), value);
    }
    s
}

/// `key.one` / `key.few` / `key.many` by the number, with `%{n}` filled.
pub fn plural(locale: &str, key: &str, n: u64) -> String {
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
    }

    /// Every key in one locale exists in the other.
    #[test]
    fn locales_have_the_same_keys() {
        fn keys(v: &serde_yaml::Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
            if let serde_yaml::Value::Mapping(m) = v {
                for (k, v) in m {
                    let k = k.as_str().unwrap();
                    let full = if prefix.is_empty() {
                        k.to_owned()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    if v.is_mapping() {
                        keys(v, &full, out);
                    } else {
                        out.insert(full);
                    }
                }
            }
        }
        let load = |l: &str| {
            let text = std::fs::read_to_string(format!("{}/locales/{l}.yml", env!("CARGO_MANIFEST_DIR"))).unwrap();
            let mut set = Default::default();
            keys(&serde_yaml::from_str(&text).unwrap(), "", &mut set);
            set
        };
        let (ru, en) = (load("ru"), load("en"));
        assert!(ru.len() > 50, "locales load");
        let only_ru: Vec<_> = ru.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ru).collect();
        assert!(only_ru.is_empty(), "missing in en.yml: {only_ru:?}");
        assert!(only_en.is_empty(), "missing in ru.yml: {only_en:?}");
    }
}
