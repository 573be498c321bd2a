//! The dialogue state: which section has something in progress, and that section's own state
//! (only the form in progress; everything durable lives in real tables). A section is added
//! with one variant here and one module.

use super::auth::state::AuthState;
use super::connection::state::ConnState;
use super::meters::state::MetersState;
use super::profile::state::ProfileState;
use super::tickets::state::TicketsState;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "area", content = "at", rename_all = "snake_case")]
pub enum State {
    /// Nothing in progress: what a message means depends on whether the chat is signed in.
    #[default]
    Idle,
    /// A stored state that no longer fits the code (written by an older version); never
    /// stored. The person is told and taken home.
    #[serde(skip)]
    Stale,
    Auth(AuthState),
    Profile(ProfileState),
    Meters(MetersState),
    Tickets(TicketsState),
    Connection(ConnState),
}

/// The parts of the bot that own states and buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Home,
    Auth,
    Profile,
    Meters,
    Tickets,
    Connection,
}

impl Area {
    /// Only for a signed-in, confirmed account.
    pub fn needs_user(self) -> bool {
        !matches!(self, Area::Auth)
    }
}

impl State {
    pub fn area(&self) -> Option<Area> {
        match self {
            State::Idle | State::Stale => None,
            State::Auth(_) => Some(Area::Auth),
            State::Profile(_) => Some(Area::Profile),
            State::Meters(_) => Some(Area::Meters),
            State::Tickets(_) => Some(Area::Tickets),
            State::Connection(_) => Some(Area::Connection),
        }
    }

    /// What is in progress is kept as a draft when the person leaves it.
    pub fn keeps_draft(&self) -> bool {
        matches!(self, State::Connection(ConnState::Form { .. }))
    }

    /// The next message is a password: it is taken as typed (even when it starts with «/»)
    /// and deleted from the chat.
    pub fn wants_secret(&self) -> bool {
        match self {
            State::Auth(s) => s.wants_secret(),
            State::Profile(s) => s.wants_secret(),
            _ => false,
        }
    }

    /// A stored state; one written by an older version that no longer fits becomes `Stale`.
    pub fn from_stored(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or(State::Stale)
    }
}

macro_rules! into_state {
    ($($t:ty => $v:ident),+) => {
        $(impl From<$t> for State {
            fn from(s: $t) -> Self {
                State::$v(s)
            }
        })+
    };
}

into_state!(AuthState => Auth, ProfileState => Profile, MetersState => Meters, TicketsState => Tickets, ConnState => Connection);

#[cfg(test)]
mod tests {
    use super::*;
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
                account_id: 1,
                login: "1".into(),
            }
            .into(),
            AuthState::ResetPasswordRepeat {
                account_id: 1,
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
            let json = serde_json::to_string(&s).unwrap();
            assert!(patterns.iter().any(|p| json.contains(p.as_str())), "{json}");
        }
        for s in open {
            assert!(!s.wants_secret());
            let json = serde_json::to_string(&s).unwrap();
            assert!(!patterns.iter().any(|p| json.contains(p.as_str())), "{json}");
        }
    }

    #[test]
    fn state_round_trips_and_an_unknown_shape_is_stale() {
        let mut form = FormData::default();
        form.set("kind", "legal");
        let s = State::Auth(AuthState::Registration(form));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(State::from_stored(&json), s);
        assert_eq!(State::from_stored(r#"{"s":"no_such_step"}"#), State::Stale);
        // A state as the version before sub-states stored it.
        assert_eq!(
            State::from_stored(r#"{"s":"registration","step":"name","form":{}}"#),
            State::Stale
        );
    }
}
