//! What a person types about themselves: a name, an e-mail, a password.

use super::ids::{ApplicantKind, Login};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("too short")]
    TooShort,
    #[error("too long")]
    TooLong,
    #[error("forbidden characters")]
    BadChars,
    #[error("a full name needs at least a surname and a given name")]
    NotFull,
}

/// ФИО of a person, or the name of an organisation. Whitespace is collapsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name(String);

impl Name {
    pub const PERSON_MAX: usize = 150;
    pub const ORG_MAX: usize = 300;

    pub fn parse(kind: ApplicantKind, input: &str) -> Result<Self, NameError> {
        let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let len = collapsed.chars().count();
        if len < 2 {
            return Err(NameError::TooShort);
        }
        match kind {
            ApplicantKind::Individual | ApplicantKind::Entrepreneur => {
                if len > Self::PERSON_MAX {
                    return Err(NameError::TooLong);
                }
                if !collapsed
                    .chars()
                    .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.'))
                {
                    return Err(NameError::BadChars);
                }
                let words = collapsed
                    .split(' ')
                    .filter(|w| w.chars().any(char::is_alphabetic))
                    .count();
                if words < 2 {
                    return Err(NameError::NotFull);
                }
                return Ok(Self(capitalised(&collapsed)));
            }
            ApplicantKind::Legal => {
                if len > Self::ORG_MAX {
                    return Err(NameError::TooLong);
                }
                let allowed = |c: char| c.is_alphanumeric() || " «»\"'’.,-–—()№&/+:".contains(c);
                if !collapsed.chars().all(allowed) {
                    return Err(NameError::BadChars);
                }
                if !collapsed.chars().any(char::is_alphabetic) {
                    return Err(NameError::BadChars);
                }
                // A company's name is not a link (finding 3: names go into the operators' cards
                // and letters).
                let lower = collapsed.to_lowercase();
                if ["://", "www.", "http:", "https:"].iter().any(|l| lower.contains(l)) {
                    return Err(NameError::BadChars);
                }
            }
        }
        Ok(Self(collapsed))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as names are written: «петрова анна сергеевна» → «Петрова Анна
/// Сергеевна», «ИВАНОВ-ПЕТРОВ иван» → «Иванов-Петров Иван». Once any word is written with a
/// capital of its own («Анна», «Мак-Дональд»), only the words in capitals are changed, and
/// small words are left as typed («де Ла Фер»).
fn capitalised(name: &str) -> String {
    let proper = |w: &str| {
        let mut letters = w.chars().filter(|c| c.is_alphabetic());
        letters.next().is_some_and(char::is_uppercase) && letters.any(char::is_lowercase)
    };
    let shouting = |w: &str| {
        let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
        letters.len() > 1 && letters.iter().all(|c| c.is_uppercase())
    };
    let all = !name.split(' ').any(proper);
    name.split(' ')
        .map(|w| {
            if all || shouting(w) {
                word_capitalised(w)
            } else {
                w.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// «иванов-петров» → «Иванов-Петров».
fn word_capitalised(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    let mut start = true;
    for c in w.chars() {
        if c.is_alphabetic() {
            if start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            start = false;
        } else {
            out.push(c);
            start = c == '-';
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an e-mail address")]
pub struct EmailError;

/// An e-mail address: syntax checked, the domain lower-cased, one that mail can be sent to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        if s.len() > 254 || s.contains(char::is_whitespace) {
            return Err(EmailError);
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            s,
            email_address::Options::default()
                .without_display_text()
                .without_domain_literal(),
        )
        .map_err(|_| EmailError)?;
        let (local, domain) = (parsed.local_part(), parsed.domain());
        // A bare host ("user@localhost") is valid syntax but never a consumer's mailbox.
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
            return Err(EmailError);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `iv***@mail.ru`: enough for the person to recognise the address, not enough to read it.
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }
}

pub fn mask_email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => {
            let head: String = local.chars().take(2).collect();
            format!("{head}***@{domain}")
        }
        None => "***".into(),
    }
}

/// Text for a log line or a stored error, with what could identify someone masked: e-mail
/// addresses (`iv***@example.ru`) and runs of ten or more digits (a СНИЛС, ОГРН, ОГРНИП or
/// phone: `•••••••4595`).
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let trimmed = word.trim_matches(|c: char| "<>()[]{},;:'\"".contains(c));
        if trimmed.contains('@') && !trimmed.starts_with('@') && !trimmed.ends_with('@') {
            out.push_str(&word.replace(trimmed, &mask_email(trimmed)));
        } else {
            out.push_str(&mask_digit_runs(word));
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn mask_digit_runs(word: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in word.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        if run.len() >= 10 {
            out.push_str(&crate::domain::ids::mask_digits(&run));
        } else {
            out.push_str(&run);
        }
        run.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("too short")]
    TooShort,
    #[error("too long")]
    TooLong,
    #[error("equals the login")]
    IsLogin,
    #[error("one of the commonest passwords")]
    Common,
}

/// Among the first to be tried: one word of zxcvbn's ranked lists (the 30,000 commonest
/// passwords, English words, names) within its first 10,000, as typed, reversed or in l33t;
/// or guessed in under a thousand tries (a sequence, a repeat, a keyboard run).
fn is_common(password: &str) -> bool {
    use zxcvbn::matching::patterns::MatchPattern;
    let estimate = zxcvbn::zxcvbn(password, &[]);
    let whole = password.chars().count();
    let one_word = match estimate.sequence() {
        [only] => matches!(&only.pattern, MatchPattern::Dictionary(d) if d.rank <= 10_000) && only.j + 1 == whole,
        _ => false,
    };
    one_word || estimate.score() == zxcvbn::Score::Zero
}

/// A new password that meets the rules. Never stored or logged: only its hash is.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN: usize = 8;
    pub const MAX: usize = 128;

    pub fn parse(input: &str, login: Option<&Login>) -> Result<Self, PasswordError> {
        let n = input.chars().count();
        if n < Self::MIN {
            return Err(PasswordError::TooShort);
        }
        if n > Self::MAX {
            return Err(PasswordError::TooLong);
        }
        if let Some(login) = login {
            let digits: String = input.chars().filter(char::is_ascii_digit).collect();
            let only_login_chars = input.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-'));
            if only_login_chars && digits == login.as_str() {
                return Err(PasswordError::IsLogin);
            }
        }
        if is_common(input) {
            return Err(PasswordError::Common);
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// A phone number from Telegram's contact button: digits with a leading plus.
pub fn normalize_phone(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    if !(10..=15).contains(&digits.len()) {
        return None;
    }
    Some(format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_persons_name_in_one_case_is_written_as_names_are() {
        let name = |s| Name::parse(ApplicantKind::Individual, s).unwrap().as_str().to_owned();
        assert_eq!(name("петрова анна сергеевна"), "Петрова Анна Сергеевна");
        assert_eq!(name("  ИВАНОВ-ПЕТРОВ   иван "), "Иванов-Петров Иван");
        assert_eq!(name("ИВАНОВ Иван Иванович"), "Иванов Иван Иванович");
        assert_eq!(name("ИВАНОВ-ПЕТРОВ ИВАН"), "Иванов-Петров Иван");
        assert_eq!(name("де Ла Фер Анна"), "де Ла Фер Анна");
        assert_eq!(name("мамедов эльдар оглы"), "Мамедов Эльдар Оглы");
        let org = Name::parse(ApplicantKind::Legal, "ооо «ромашка»").unwrap();
        assert_eq!(org.as_str(), "ооо «ромашка»", "a company's name is left as typed");
    }

    #[test]
    fn redact_masks_addresses_and_long_digit_runs() {
        assert_eq!(
            redact("550 5.1.1 <ivanov@example.ru>: Recipient rejected for 11223344595"),
            "550 5.1.1 <iv***@example.ru>: Recipient rejected for •••••••4595"
        );
        assert_eq!(redact("retry after 30 s, code 429"), "retry after 30 s, code 429");
        assert_eq!(redact("+79001234567"), "+•••••••4567");
    }

    #[test]
    fn person_names() {
        let ind = ApplicantKind::Individual;
        assert_eq!(
            Name::parse(ind, "  Иванов   Иван Иванович ").unwrap().as_str(),
            "Иванов Иван Иванович"
        );
        assert!(Name::parse(ind, "Салтыков-Щедрин Михаил").is_ok());
        assert_eq!(Name::parse(ind, "Иванов"), Err(NameError::NotFull));
        assert_eq!(Name::parse(ind, "Иванов 1ван"), Err(NameError::BadChars));
        assert_eq!(Name::parse(ind, "И"), Err(NameError::TooShort));
        assert_eq!(Name::parse(ind, &"а ".repeat(100)), Err(NameError::TooLong));
    }

    #[test]
    fn org_names() {
        let legal = ApplicantKind::Legal;
        assert!(Name::parse(legal, "ООО «Ромашка-2000»").is_ok());
        assert!(Name::parse(legal, "АО \"Энергосбыт\" №1").is_ok());
        assert_eq!(Name::parse(legal, "12345"), Err(NameError::BadChars));
        assert_eq!(Name::parse(legal, "ООО <script>"), Err(NameError::BadChars));
        assert_eq!(
            Name::parse(legal, "ООО Ромашка. Оплатите долг: https://pay-energo.example/x"),
            Err(NameError::BadChars)
        );
        assert_eq!(Name::parse(legal, "ООО www.pay.example"), Err(NameError::BadChars));
    }

    #[test]
    fn emails() {
        assert_eq!(Email::parse(" Ivan@Mail.RU ").unwrap().as_str(), "Ivan@mail.ru");
        for bad in [
            "ivan",
            "ivan@",
            "@mail.ru",
            "ivan@localhost",
            "iv an@mail.ru",
            "ivan@mail..ru",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Email::parse("ivanov@mail.ru").unwrap().masked(), "iv***@mail.ru");
    }

    #[test]
    fn passwords() {
        let login = Login::parse_any("11223344595").unwrap();
        assert_eq!(NewPassword::parse("short", None).err(), Some(PasswordError::TooShort));
        assert_eq!(
            NewPassword::parse("112-233-445 95", Some(&login)).err(),
            Some(PasswordError::IsLogin)
        );
        assert!(NewPassword::parse("correct horse", Some(&login)).is_ok());
        assert_eq!(
            NewPassword::parse(&"x".repeat(200), None).err(),
            Some(PasswordError::TooLong)
        );
    }

    #[test]
    fn the_commonest_passwords_are_refused_and_ordinary_ones_are_not() {
        for common in [
            "password",
            "password1",
            "12345678",
            "qwerty123",
            "11111111",
            "iloveyou",
            "P@ssw0rd",
            "drowssap",
        ] {
            assert_eq!(
                NewPassword::parse(common, None).err(),
                Some(PasswordError::Common),
                "{common}"
            );
        }
        for fine in [
            "correct horse",
            "Zebra-Quartz-7731",
            "синий трактор 42",
            "mango tree lamp",
        ] {
            assert!(NewPassword::parse(fine, None).is_ok(), "{fine}");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(normalize_phone("79001234567").as_deref(), Some("+79001234567"));
        assert_eq!(normalize_phone("+7 (900) 123-45-67").as_deref(), Some("+79001234567"));
        assert_eq!(normalize_phone("12"), None);
    }
}
