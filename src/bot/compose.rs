//! A message being composed (a follow-up, an addition): a text and files, then «Отправить».
//! Only what the dialogue keeps; taking messages and asking is in `files`.

use crate::store::meters::FileRef;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Compose {
    pub text: Option<String>,
    #[serde(default)]
    pub files: Vec<FileRef>,
}

impl Compose {
    pub fn is_empty(&self) -> bool {
        self.text.is_none() && self.files.is_empty()
    }
}
