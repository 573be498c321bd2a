//! The dialogue's state: which section has something in progress, and that section's own
//! state (only the form in progress; everything durable lives in real tables). Stored as
//! `{"area": "meters", "at": {…}}`; the section named reads its own part (`section::Plug`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq)]
pub enum State {
    /// Nothing in progress: what a message means depends on whether the chat is signed in.
    #[default]
    Idle,
    /// A stored state that no longer fits the code (written by an older version); never
    /// stored. The person is told and taken home.
    Stale,
    /// A section's state in progress.
    In(InProgress),
}

#[derive(Debug, Clone, PartialEq)]
pub struct InProgress {
    /// The section's name (`SectionState::AREA`).
    pub area: String,
    /// Its state, as it reads it.
    pub at: Value,
    /// The next message is a password (known from the section's typed state).
    pub secret: bool,
}

/// The stored shape.
#[derive(Serialize, Deserialize)]
struct Stored {
    area: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    at: Value,
}

impl State {
    pub fn in_progress(&self) -> Option<&InProgress> {
        match self {
            State::In(p) => Some(p),
            _ => None,
        }
    }

    /// The next message is a password: it is taken as typed (even when it starts with «/»)
    /// and deleted from the chat.
    pub fn wants_secret(&self) -> bool {
        self.in_progress().is_some_and(|p| p.secret)
    }

    /// As stored (`Stale` is never stored: it reads as nothing in progress).
    pub fn to_stored(&self) -> String {
        let stored = match self {
            State::Idle | State::Stale => Stored {
                area: "idle".into(),
                at: Value::Null,
            },
            State::In(p) => Stored {
                area: p.area.clone(),
                at: p.at.clone(),
            },
        };
        serde_json::to_string(&stored).unwrap_or_default()
    }

    /// A stored state, not yet checked against its section (the router does: one that no
    /// longer fits becomes `Stale`).
    pub fn from_stored(json: &str) -> Self {
        match serde_json::from_str::<Stored>(json) {
            Ok(s) if s.area == "idle" => State::Idle,
            Ok(s) => State::In(InProgress {
                area: s.area,
                at: s.at,
                secret: false,
            }),
            Err(_) => State::Stale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::auth::state::AuthState;
    use crate::bot::form::FormData;

    /// The migration that added `dialogues.secret` flags the rows already there by what their
    /// state says: every state that wants a secret matches one of its patterns, no other does.
    #[test]
    fn the_secret_flags_migration_knows_every_secret_state() {
        let secret_form = FormData {
            secret: true,
            ..Default::default()
        };
        let secret: Vec<State> = vec![
            AuthState::LoginPassword { login: "1".into() }.into(),
            AuthState::ResetPassword {
                consumer_id: 1,
                login: "1".into(),
            }
            .into(),
            AuthState::ResetPasswordRepeat {
                consumer_id: 1,
                hash: "h".into(),
            }
            .into(),
            AuthState::Registration(secret_form).into(),
        ];
        let open: Vec<State> = vec![
            AuthState::LoginId.into(),
            AuthState::Registration(FormData::default()).into(),
            State::Idle,
        ];
        let sql = include_str!("../../migrations/sqlite/20261205110000_dialogue_secret.sql");
        let patterns: Vec<String> = sql
            .split("LIKE '")
            .skip(1)
            .map(|p| p.split('\'').next().unwrap().replace('%', ""))
            .collect();
        assert_eq!(patterns.len(), 3, "{patterns:?}");
        for s in secret {
            assert!(s.wants_secret());
            let json = s.to_stored();
            assert!(patterns.iter().any(|p| json.contains(p.as_str())), "{json}");
        }
        for s in open {
            assert!(!s.wants_secret());
            let json = s.to_stored();
            assert!(!patterns.iter().any(|p| json.contains(p.as_str())), "{json}");
        }
    }

    #[test]
    fn state_round_trips_and_an_unknown_shape_is_stale() {
        let mut form = FormData::default();
        form.set("kind", "legal");
        let s: State = AuthState::Registration(form).into();
        let json = s.to_stored();
        assert_eq!(State::from_stored(&json), s);
        assert_eq!(State::from_stored(r#"{"s":"no_such_step"}"#), State::Stale);
        // A state as the version before sub-states stored it.
        assert_eq!(
            State::from_stored(r#"{"s":"registration","step":"name","form":{}}"#),
            State::Stale
        );
    }
}
