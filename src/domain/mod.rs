//! Pure types and rules: no I/O, no Telegram. A value of a type here is valid by construction.

pub mod accounts;
pub mod address;
pub mod answers;
pub mod bank;
pub mod bills;
pub mod connection;
pub mod consumption;
pub mod faq;
pub mod ids;
pub mod items;
pub mod meters;
pub mod money;
pub mod numbers;
pub mod outages;
pub mod payment_qr;
pub mod person;
pub mod places;
pub mod plural;
pub mod quantity;
pub mod routes;
pub mod tickets;

pub use ids::{ApplicantKind, IdError, Login, Ogrn, Ogrnip, Snils};
pub use person::{Email, Name, NewPassword};

/// A closed set stored as its name in a text column on either database: read and written
/// as text (never as a database enum type), an unknown name read back is an error.
/// The type must have `as_str(self) -> &'static str` and `from_str_opt(&str) -> Option<Self>`.
macro_rules! stored_as_text {
    ($name:ident) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                $name::from_str_opt(text).ok_or_else(|| format!("unknown {} {:?}", stringify!($name), text).into())
            }
        }
    };
}
pub(crate) use stored_as_text;
