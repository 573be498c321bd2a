//! Pure types and rules: no I/O, no Telegram. A value of a type here is valid by construction.

pub mod connection;
pub mod ids;
pub mod items;
pub mod menu;
pub mod meters;
pub mod person;
pub mod plural;
pub mod quantity;
pub mod tickets;

pub use ids::{ApplicantKind, IdError, Login, Ogrn, Ogrnip, Snils};
pub use person::{Email, Name, NewPassword};
