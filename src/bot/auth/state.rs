//! What the consumer section keeps between messages.

use crate::bot::form::FormData;
use crate::domain::ApplicantKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "snake_case")]
pub enum AuthState {
    /// «Зарегистрироваться»: the registration form.
    Registration(FormData),
    /// «Это мой номер»: a dispute about a login someone else holds.
    Dispute {
        login: String,
        kind: ApplicantKind,
        form: FormData,
    },
    /// «Войти в личный кабинет»: the login is asked…
    LoginId,
    /// …then its password.
    LoginPassword { login: String },
    /// «Забыли пароль?»: the login is asked…
    ResetLogin,
    /// …then the code from the letter (`None`: no such consumer; the answers mimic a real
    /// code's, attempt by attempt, so logins cannot be probed)…
    ResetCode {
        // Stored dialogues from before the sign-in account was called the consumer's.
        #[serde(alias = "account_id")]
        consumer_id: Option<i64>,
        #[serde(default)]
        attempts: u8,
    },
    /// …then the new password…
    ResetPassword {
        #[serde(alias = "account_id")]
        consumer_id: i64,
        login: String,
    },
    /// …once more.
    ResetPasswordRepeat {
        #[serde(alias = "account_id")]
        consumer_id: i64,
        hash: String,
    },
}

impl crate::bot::section::SectionState for AuthState {
    const AREA: &'static str = "auth";

    /// The next message is a password.
    fn wants_secret(&self) -> bool {
        match self {
            AuthState::Registration(form) => form.secret,
            AuthState::LoginPassword { .. }
            | AuthState::ResetPassword { .. }
            | AuthState::ResetPasswordRepeat { .. } => true,
            _ => false,
        }
    }
}
