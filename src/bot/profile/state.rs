//! What the profile keeps between messages: the edit in progress.

use crate::bot::form::FormData;
use serde::{Deserialize, Serialize};

/// The profile's guided edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileForm {
    Name,
    Phone,
    /// The password, the new address, the code sent to it.
    Email,
    /// The current password, the new one twice.
    Password,
    /// The password, to withdraw the consent and delete the consumer.
    Delete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "snake_case")]
pub enum ProfileState {
    Form { form: ProfileForm, data: FormData },
}

impl crate::bot::section::SectionState for ProfileState {
    const AREA: &'static str = "profile";
    const KEEPS_FORMS: bool = true;

    fn wants_secret(&self) -> bool {
        match self {
            ProfileState::Form { data, .. } => data.secret,
        }
    }

    /// A name or a phone half-way; never a form that asks a password.
    fn draft(&self) -> Option<String> {
        match self {
            ProfileState::Form {
                form: ProfileForm::Name | ProfileForm::Phone,
                data,
            } if data.started() => Some("draft.profile".into()),
            ProfileState::Form { .. } => None,
        }
    }

    fn fresh(&self) -> Option<Self> {
        match self {
            ProfileState::Form { form, .. } => Some(ProfileState::Form {
                form: *form,
                data: FormData::default(),
            }),
        }
    }
}
