//! What the dialogue keeps of a form in progress.

use crate::store::meters::FileRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Values by field key, in their stored forms (choices by key, dates as YYYY-MM-DD, …).
pub type Values = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormData {
    #[serde(default)]
    pub values: Values,
    /// Fields answered or skipped, in the order they were: «Назад» undoes the last. (Drafts
    /// of connection applications kept this as `order`.)
    #[serde(default, alias = "order")]
    pub done: Vec<String>,
    /// A field asked again from the summary.
    #[serde(default)]
    pub editing: Option<String>,
    /// The summary's list of fields to change is open.
    #[serde(default)]
    pub picking: bool,
    /// Options of a choice of several, or typed entries, being collected.
    #[serde(default)]
    pub pending: Vec<String>,
    #[serde(default)]
    pub files: Vec<FileRef>,
    /// Text typed where a button was expected and no option matched it: offered at the next
    /// step that takes text, so nothing typed is lost.
    #[serde(default)]
    pub kept: Option<String>,
    /// The question asked last wants a password (its answer is taken as typed and deleted).
    #[serde(default)]
    pub secret: bool,
}

impl FormData {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// A yes-or-no field's answer.
    pub fn yes_no(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(crate::domain::answers::read_yes_no)
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_owned(), value.into());
    }

    /// Forgets a field's answer, so it is asked again.
    pub fn unset(&mut self, key: &str) {
        self.values.remove(key);
        self.done.retain(|k| k != key);
    }

    /// Something was answered, chosen, attached or typed: worth keeping as a draft.
    pub fn started(&self) -> bool {
        !self.done.is_empty() || !self.pending.is_empty() || !self.files.is_empty() || self.kept.is_some()
    }

    pub fn is_done(&self, key: &str) -> bool {
        self.done.iter().any(|k| k == key)
    }

    pub fn mark_done(&mut self, key: &str) {
        if !self.is_done(key) {
            self.done.push(key.to_owned());
        }
    }
}
