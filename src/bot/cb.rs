//! Callback data: a small typed codec, `Cb` ↔ a string of at most 64 bytes.

use crate::domain::ApplicantKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cb {
    Lang(Lang),
    Register,
    Login,
    ConsentYes,
    ConsentNo,
    Kind(ApplicantKind),
    Back,
    Cancel,
    RegOk,
    RegFix,
    Fix(Field),
    Resend,
    RestartRegistration,
    Forgot,
    Services,
    UsefulInfo,
    Menu,
    Profile,
    ProfileEdit,
    EditName,
    EditPhone,
    EditEmail,
    ChangePassword,
    ChooseLanguage,
    Logout,
    Delete,
    DeleteYes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
}

/// A field of the registration form that «Исправить» can go back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Kind,
    Login,
    Name,
    Email,
    Password,
}

const SIMPLE: &[(Cb, &str)] = &[
    (Cb::Lang(Lang::Ru), "lang:ru"),
    (Cb::Lang(Lang::En), "lang:en"),
    (Cb::Register, "reg"),
    (Cb::Login, "login"),
    (Cb::ConsentYes, "consent:y"),
    (Cb::ConsentNo, "consent:n"),
    (Cb::Kind(ApplicantKind::Individual), "kind:ind"),
    (Cb::Kind(ApplicantKind::Entrepreneur), "kind:ent"),
    (Cb::Kind(ApplicantKind::Legal), "kind:leg"),
    (Cb::Back, "back"),
    (Cb::Cancel, "cancel"),
    (Cb::RegOk, "reg:ok"),
    (Cb::RegFix, "reg:fix"),
    (Cb::Fix(Field::Kind), "fix:kind"),
    (Cb::Fix(Field::Login), "fix:login"),
    (Cb::Fix(Field::Name), "fix:name"),
    (Cb::Fix(Field::Email), "fix:email"),
    (Cb::Fix(Field::Password), "fix:pw"),
    (Cb::Resend, "resend"),
    (Cb::RestartRegistration, "reg:restart"),
    (Cb::Forgot, "forgot"),
    (Cb::Services, "svc"),
    (Cb::UsefulInfo, "svc:info"),
    (Cb::Menu, "menu"),
    (Cb::Profile, "p"),
    (Cb::ProfileEdit, "p:edit"),
    (Cb::EditName, "p:name"),
    (Cb::EditPhone, "p:phone"),
    (Cb::EditEmail, "p:email"),
    (Cb::ChangePassword, "p:pw"),
    (Cb::ChooseLanguage, "p:lang"),
    (Cb::Logout, "p:logout"),
    (Cb::Delete, "p:del"),
    (Cb::DeleteYes, "p:del:y"),
];

impl Cb {
    pub fn encode(self) -> String {
        SIMPLE
            .iter()
            .find(|(c, _)| *c == self)
            .map(|(_, s)| (*s).to_owned())
            .expect("every Cb has an encoding")
    }

    pub fn decode(data: &str) -> Option<Cb> {
        SIMPLE.iter().find(|(_, s)| *s == data).map(|(c, _)| *c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_fits_telegram_limit() {
        for (cb, _) in SIMPLE {
            let s = cb.encode();
            assert!(s.len() <= 64);
            assert_eq!(Cb::decode(&s), Some(*cb));
        }
        let mut seen = std::collections::HashSet::new();
        assert!(
            SIMPLE.iter().all(|(_, s)| seen.insert(*s)),
            "encodings are unique"
        );
        assert_eq!(Cb::decode("garbage"), None);
        assert_eq!(Cb::decode(""), None);
    }
}
