//! Callback data: each part of the bot has its own typed buttons, an enum declared with
//! `buttons!` together with its wire format, `Buttons` ↔ a string of at most 64 bytes.
//!
//! `buttons!` writes the enum, its encoding and its decoding from one table, so a variant
//! cannot exist without both (a forgotten one is a build error, not a run-time panic), and
//! lists a sample of every variant for the tests (`Buttons::samples`).
//!
//! The buttons of every section live here, one file each, rather than in the section's
//! folder: pushes from the workers and cards on the desk carry them too, and a worker may
//! not reach into `bot`. What the buttons do is the section's.

mod accounts;
mod auth;
mod connection;
mod desk;
mod faq;
mod home;
mod meters;
mod outages;
mod profile;
mod tickets;

pub use accounts::AccountsCb;
pub use auth::AuthCb;
pub use connection::ConnCb;
pub use desk::{DeskCb, FormCb};
pub use faq::FaqCb;
pub use home::HomeCb;
pub use meters::{MeterField, MetersCb, ReplaceReason, TimeOfDay};
pub use outages::OutagesCb;
pub use profile::ProfileCb;
pub use tickets::TicketsCb;

use crate::domain::connection::ConnKind;
use crate::domain::items::{DeskAction, ItemKind, Reminder};
use crate::domain::tickets::{TicketKind, TicketSection};
use std::fmt::Write;

/// Telegram's limit on a button's callback data, in bytes.
pub const MAX_DATA: usize = 64;

/// A set of buttons with its wire format.
pub trait Buttons: Sized + Copy + std::fmt::Debug + PartialEq + Send + Sync + 'static {
    fn encode(self) -> String;
    fn decode(data: &str) -> Option<Self>;
    /// Every variant, with its fields at their smallest and largest (for the tests).
    fn samples() -> Vec<Self>;
}

/// One field of a button's data.
pub trait Part: Sized + Copy {
    fn put(self, out: &mut String);
    fn take(s: &str) -> Option<Self>;
    /// The values the tests round-trip: the first and the last are used.
    fn samples() -> Vec<Self>;
}

impl Part for i64 {
    fn put(self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
    fn take(s: &str) -> Option<Self> {
        s.parse().ok().filter(|v| *v >= 0)
    }
    fn samples() -> Vec<Self> {
        vec![0, i64::MAX]
    }
}

macro_rules! small_number {
    ($($t:ty),+) => {$(
        impl Part for $t {
            fn put(self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
            fn take(s: &str) -> Option<Self> {
                s.parse().ok()
            }
            fn samples() -> Vec<Self> {
                vec![0, <$t>::MAX]
            }
        }
    )+};
}
small_number!(u8, u16, u32);

/// An enum with a fixed list, carried as its place in the list.
macro_rules! by_place {
    ($($t:ty => $all:expr),+ $(,)?) => {$(
        impl Part for $t {
            fn put(self, out: &mut String) {
                let place = $all.iter().position(|x| *x == self).unwrap_or_default();
                let _ = write!(out, "{place}");
            }
            fn take(s: &str) -> Option<Self> {
                $all.get(s.parse::<usize>().ok()?).copied()
            }
            fn samples() -> Vec<Self> {
                $all.to_vec()
            }
        }
    )+};
}
by_place!(
    ConnKind => ConnKind::ALL,
    TicketSection => TicketSection::ALL,
    Reminder => Reminder::ALL,
    MeterField => MeterField::ALL,
    crate::domain::meters::Resource => crate::domain::meters::Resource::ALL,
);

/// An enum carried as a short code of its own.
macro_rules! by_code {
    ($($t:ty => $all:expr, $code:expr),+ $(,)?) => {$(
        impl Part for $t {
            fn put(self, out: &mut String) {
                out.push_str(&$code(self));
            }
            fn take(s: &str) -> Option<Self> {
                $all.iter().copied().find(|v| $code(*v) == s)
            }
            fn samples() -> Vec<Self> {
                $all.to_vec()
            }
        }
    )+};
}
by_code!(
    Lang => [Lang::Ru, Lang::En], Lang::code,
    TicketKind => TicketKind::ALL, |k: TicketKind| k.as_str()[..1].to_owned(),
    ItemKind => ItemKind::ALL, ItemKind::code,
);

impl Part for DeskAction {
    fn put(self, out: &mut String) {
        out.push_str(&self.code());
    }
    fn take(s: &str) -> Option<Self> {
        DeskAction::from_code(s)
    }
    fn samples() -> Vec<Self> {
        DeskAction::all()
    }
}

/// The fields after `tag` in `data`: none for the tag alone, the parts after `tag:` else.
pub fn fields<'a>(data: &'a str, tag: &str) -> Option<Vec<&'a str>> {
    let rest = data.strip_prefix(tag)?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    Some(rest.strip_prefix(':')?.split(':').collect())
}

/// The first or the last sample of a field's type.
pub fn sample<T: Part>(last: bool) -> T {
    let all = T::samples();
    if last { all[all.len() - 1] } else { all[0] }
}

/// Declares a set of buttons: `Variant(field: Type, …) = "tag"` is encoded as
/// `tag:field:…`. A variant is told from another of the same tag by its number of fields and
/// their types, so old buttons keep their meaning when one is added.
macro_rules! buttons {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $var:ident $( ( $($field:ident : $ty:ty),+ ) )? = $tag:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$vmeta])* $var $( ( $($ty),+ ) )? ),+
        }

        impl $crate::callback::Buttons for $name {
            fn encode(self) -> String {
                match self {
                    $( $name::$var $( ( $($field),+ ) )? => {
                        #[allow(unused_mut)]
                        let mut out = String::from($tag);
                        $( $( out.push(':'); $crate::callback::Part::put($field, &mut out); )+ )?
                        out
                    } )+
                }
            }

            fn decode(data: &str) -> Option<Self> {
                $(
                    let found = $crate::callback::fields(data, $tag).and_then(|f| -> Option<Self> {
                        #[allow(unused_mut)]
                        let mut it = f.into_iter();
                        let v = $name::$var $( ( $( <$ty as $crate::callback::Part>::take(it.next()?)? ),+ ) )?;
                        it.next().is_none().then_some(v)
                    });
                    if found.is_some() {
                        return found;
                    }
                )+
                None
            }

            fn samples() -> Vec<Self> {
                let mut all = Vec::new();
                for last in [false, true] {
                    let _ = last;
                    $( all.push($name::$var $( ( $( $crate::callback::sample::<$ty>(last) ),+ ) )?); )+
                }
                all
            }
        }
    };
}
pub(crate) use buttons;

buttons! {
    /// Buttons that mean the same in every state.
    pub enum Cb {
        Lang(lang: Lang) = "lang",
        ChooseLanguage = "p:lang",
        /// «Отмена»: whatever is in progress is left.
        Cancel = "cancel",
        /// «В меню».
        Menu = "menu",
        /// «Продолжить» a form kept of the section (by its place in `sections::ALL`).
        DraftResume(section: u8) = "dr",
        /// «Начать заново»: the kept form dropped, the same form from its start.
        DraftFresh(section: u8) = "df",
    }
}

buttons! {
    /// The buttons of the step in progress («Назад», «Пропустить», an option…): they go to
    /// whatever section has its state in progress.
    pub enum StepCb {
        Back = "back",
        Skip = "skip",
        Save = "save",
        Done = "done",
        Yes = "yes",
        No = "no",
        /// An option of a question (by its place in the list), with the question's tag: a
        /// button of another question, even with the same place, is not taken as this one's
        /// answer.
        Opt(tag: u16, place: u8) = "o",
        /// «Изменить» a field from a summary (by its place in the form).
        FormEdit(place: u8) = "e",
        /// «Исправить» on a summary: the list of fields.
        FormFix = "fix",
        /// The text typed earlier at a button step, as this text step's answer.
        Kept = "kept",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
}

#[cfg(test)]
mod tests;
