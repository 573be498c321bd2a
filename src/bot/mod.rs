//! The Telegram face. `router` takes every update of a private chat and hands it to the
//! section that owns the state in progress or the button pressed; a section answers with an
//! `Outcome` (stay, ask again, go home, open a menu entry) and never calls another section.
//! Guided forms run on one step engine (`form`). The operators' group is `operators`'.
//!
//! Sections (`section::Section`, listed in `sections::ALL`): `home` (welcome, menu,
//! services), `auth` (registration, confirmation, sign-in, password reset, login disputes),
//! `profile`, `meters`, `tickets`, `connection`. Shared, not sections: `ctx`, `deps`, `menu`,
//! `outcome`, `state`, `ui`, `input_errors`, `files`, `password`, `codes`, `form`, `compose`,
//! `album`.

pub mod accounts;
pub mod album;
pub mod auth;
pub mod code_mail;
pub mod compose;
pub mod connection;
pub mod ctx;
pub mod deps;
pub mod drafts;
pub mod faq;
pub mod files;
pub mod form;
pub mod home;
pub mod input_errors;
pub mod menu;
pub mod meters;
pub mod operators;
pub mod outages;
pub mod outcome;
pub mod password;
pub mod profile;
pub mod router;
pub mod section;
pub mod sections;
pub mod state;
pub mod tickets;
pub mod ui;

pub use crate::telegram::esc;
pub use ctx::Ctx;
pub use deps::{Deps, HandlerError, HandlerResult, once};
pub use outcome::Outcome;
pub use router::{register_commands, schema};
