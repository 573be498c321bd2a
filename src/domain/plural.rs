//! Russian plural forms: 1 счётчик, 2 счётчика, 5 счётчиков, 21 счётчик, 11 счётчиков.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluralForm {
    One,
    Few,
    Many,
}

impl PluralForm {
    pub fn key(self) -> &'static str {
        match self {
            Self::One => "one",
            Self::Few => "few",
            Self::Many => "many",
        }
    }
}

pub fn plural_form(locale: &str, n: u64) -> PluralForm {
    if locale.starts_with("ru") {
        let (m10, m100) = (n % 10, n % 100);
        if m10 == 1 && m100 != 11 {
            PluralForm::One
        } else if (2..=4).contains(&m10) && !(12..=14).contains(&m100) {
            PluralForm::Few
        } else {
            PluralForm::Many
        }
    } else if n == 1 {
        PluralForm::One
    } else {
        PluralForm::Many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_forms() {
        use PluralForm::*;
        let cases = [
            (1, One),
            (2, Few),
            (4, Few),
            (5, Many),
            (11, Many),
            (12, Many),
            (21, One),
            (22, Few),
            (111, Many),
            (0, Many),
        ];
        for (n, f) in cases {
            assert_eq!(plural_form("ru", n), f, "{n}");
        }
        assert_eq!(plural_form("en", 1), One);
        assert_eq!(plural_form("en", 2), Many);
    }
}
