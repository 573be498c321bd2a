//! The sentences that say what is wrong with what someone typed, and what to do instead.
//! One place, so a СНИЛС or a reading is explained the same way in every section.

use crate::domain::ids::IdError;
use crate::domain::person::{NameError, PasswordError};
use crate::domain::quantity::QuantityError;
use crate::domain::tickets::{self, TextError};
use crate::domain::{ApplicantKind, Name, NewPassword};
use crate::i18n::{t, tf};
use crate::store::codes::CodeCheck;

pub fn id_error(loc: &str, kind: ApplicantKind, e: IdError) -> String {
    let name = crate::wording::login_name(loc, kind);
    match e {
        IdError::Empty => tf(loc, "id.empty", &[("id", &name)]),
        IdError::NotDigits => tf(loc, "id.not_digits", &[("id", &name)]),
        IdError::WrongLength { expected, got } => tf(
            loc,
            "id.wrong_length",
            &[
                ("id", &name),
                ("expected", &expected.to_string()),
                ("got", &got.to_string()),
            ],
        ),
        IdError::Checksum => tf(loc, "id.checksum", &[("id", &name)]),
        IdError::LeadingZero => tf(loc, "id.leading_zero", &[("id", &name)]),
    }
}

pub fn name_error(loc: &str, kind: ApplicantKind, e: NameError) -> String {
    let max = if kind == ApplicantKind::Legal {
        Name::ORG_MAX
    } else {
        Name::PERSON_MAX
    };
    match e {
        NameError::TooShort => t(loc, "name.too_short"),
        NameError::TooLong => tf(loc, "name.too_long", &[("max", &max.to_string())]),
        NameError::BadChars if kind == ApplicantKind::Legal => t(loc, "name.bad_chars_org"),
        NameError::BadChars => t(loc, "name.bad_chars_person"),
        NameError::NotFull => t(loc, "name.not_full"),
    }
}

pub fn password_error(loc: &str, e: PasswordError) -> String {
    match e {
        PasswordError::TooShort => tf(loc, "password.too_short", &[("min", &NewPassword::MIN.to_string())]),
        PasswordError::TooLong => tf(loc, "password.too_long", &[("max", &NewPassword::MAX.to_string())]),
        PasswordError::IsLogin => t(loc, "password.is_login"),
        PasswordError::Common => t(loc, "password.common"),
    }
}

pub fn quantity_error(loc: &str, e: QuantityError) -> String {
    match e {
        QuantityError::NotNumber => t(loc, "reading.not_number"),
        QuantityError::Negative => t(loc, "reading.negative"),
        QuantityError::TooManyIntDigits { max } => {
            let max = crate::i18n::plural(loc, "plural.at_most_digits", u64::from(max));
            tf(loc, "reading.too_many_int", &[("max", &max)])
        }
        QuantityError::TooManyFracDigits { max: 0 } => t(loc, "reading.no_fraction"),
        // «не больше одной цифры», «не больше двух цифр»: said in words, as people do.
        QuantityError::TooManyFracDigits { max } => {
            let max = crate::i18n::plural(loc, "plural.at_most_digits", u64::from(max));
            tf(loc, "reading.too_many_frac", &[("max", &max)])
        }
    }
}

/// An appeal's text that is empty or too long.
pub fn text_error(loc: &str, e: TextError) -> String {
    match e {
        TextError::Empty => t(loc, "common.text_expected"),
        TextError::TooLong { len } => tf(
            loc,
            "ticket.text_too_long",
            &[("len", &len.to_string()), ("max", &tickets::MAX_TEXT.to_string())],
        ),
    }
}

/// A short free text that is empty or longer than `max`.
pub fn too_long(loc: &str, max: usize) -> String {
    tf(loc, "req.text_too_long", &[("max", &max.to_string())])
}

/// The sentence for an e-mail code that did not work (none for one that did).
pub fn code_problem(loc: &str, check: &CodeCheck) -> Option<String> {
    Some(match check {
        CodeCheck::Ok { .. } => return None,
        CodeCheck::Wrong { attempts_left } => tf(
            loc,
            "confirm.wrong",
            &[(
                "left",
                &crate::i18n::plural(loc, "plural.attempts_left", *attempts_left as u64),
            )],
        ),
        CodeCheck::Exhausted => t(loc, "confirm.exhausted"),
        CodeCheck::Expired => t(loc, "confirm.expired"),
        CodeCheck::NoCode => t(loc, "confirm.no_code"),
    })
}
