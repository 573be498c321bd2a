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

    fn wants_secret(&self) -> bool {
        match self {
            ProfileState::Form { data, .. } => data.secret,
        }
    }
}
