//! What a section is. A section declares, in one `impl Section`, its buttons (its own
//! `Buttons` enum), its state in progress, its menu entries and services, and its handlers:
//! a message or a button while its state is in progress, a button of its own from anywhere,
//! an entry of the menu opened, the question asked again. The router holds the list of
//! sections (`sections::ALL`) and reaches each through `Plug`, knowing none by name.

use super::ctx::Ctx;
use super::deps::HandlerError;
use super::menu::{Entry, Service};
use super::outcome::Outcome;
use super::state::{InProgress, State};
use crate::callback::{Buttons, StepCb};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use teloxide::types::Message;

pub type Result<T> = std::result::Result<T, HandlerError>;
/// A handler's future, boxed to be called through `Plug`.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A button a section gets: one of its own, or a step's button («Назад», an option…) while
/// its state is in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press<B> {
    Own(B),
    Step(StepCb),
}

/// A section's state in progress, stored as `{"area": AREA, "at": …}`.
pub trait SectionState: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The section's name in the stored state; never changed once used.
    const AREA: &'static str;
    /// The next message is a password: taken as typed (even starting with «/») and deleted.
    fn wants_secret(&self) -> bool {
        false
    }
    /// What is in progress is kept as a draft by the section itself when the person leaves it
    /// (connection applications).
    fn keeps_draft(&self) -> bool {
        false
    }
    /// Some state of the section may be kept as a draft (`draft`): only then does coming to the
    /// section look for one (the menu's entries are opened on every press).
    const KEEPS_FORMS: bool = false;
    /// A form left half-way for another section is kept by the router (`form_drafts`) and
    /// offered back, named by this label key («добавление прибора учёта»). None: not kept
    /// (nothing worth keeping, a password asked, or kept by the section itself).
    fn draft(&self) -> Option<String> {
        None
    }
    /// The same form from its start: what «Начать заново» sets.
    fn fresh(&self) -> Option<Self> {
        None
    }
}

impl<T: SectionState> From<T> for State {
    fn from(s: T) -> Self {
        State::In(InProgress {
            area: T::AREA.into(),
            at: serde_json::to_value(&s).unwrap_or(Value::Null),
            secret: s.wants_secret(),
        })
    }
}

/// No state of its own (a section of screens only).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub enum Stateless {}

impl SectionState for Stateless {
    const AREA: &'static str = "home";
}

pub trait Section: Send + Sync + 'static {
    type Button: Buttons;
    type State: SectionState;
    /// Only for a signed-in, confirmed consumer.
    const NEEDS_USER: bool = true;
    /// Its entries of the main menu, in their order.
    const MENU: &'static [Entry] = &[];

    /// Its rows of «Интерактивные сервисы».
    fn services() -> Vec<Service> {
        Vec::new()
    }

    /// One of its menu entries, opened.
    fn open(ctx: &mut Ctx, entry: &'static Entry) -> impl Future<Output = Result<Outcome>> + Send {
        let _ = (ctx, entry);
        async { Ok(Outcome::Stale) }
    }

    /// A message with nothing in progress that is not a menu entry: the first section that
    /// answers `Some` takes it.
    fn on_idle(ctx: &mut Ctx, msg: &Message) -> impl Future<Output = Result<Option<Outcome>>> + Send {
        let _ = (ctx, msg);
        async { Ok(None) }
    }

    /// A message while its state is in progress.
    fn on_message(ctx: &mut Ctx, msg: &Message, state: Self::State) -> impl Future<Output = Result<Outcome>> + Send;

    /// A button of its own (`state` is its state in progress, if any), or a step's button
    /// while its state is in progress.
    fn on_button(
        ctx: &mut Ctx,
        press: Press<Self::Button>,
        state: Option<Self::State>,
    ) -> impl Future<Output = Result<Outcome>> + Send;

    /// The question of its state, asked again.
    fn prompt(ctx: &Ctx, state: &Self::State) -> impl Future<Output = Result<Outcome>> + Send;
}

/// A section as the router reaches it: by its stored state's name and its buttons' data.
pub trait Plug: Send + Sync {
    fn area(&self) -> &'static str;
    fn needs_user(&self) -> bool;
    fn menu(&self) -> &'static [Entry];
    fn services(&self) -> Vec<Service>;
    /// Whether the data is one of its buttons.
    fn owns(&self, data: &str) -> bool;
    /// Its stored state reads as this version's; with whether it wants a secret.
    fn reads(&self, at: &Value) -> Option<bool>;
    fn keeps_draft(&self, at: &Value) -> bool;
    /// `SectionState::KEEPS_FORMS`.
    fn keeps_forms(&self) -> bool;
    /// `SectionState::draft` of the stored state.
    fn draft(&self, at: &Value) -> Option<String>;
    /// `SectionState::fresh` of the stored state, stored.
    fn fresh(&self, at: &Value) -> Option<Value>;
    fn open<'a>(&'a self, ctx: &'a mut Ctx, entry: &'static Entry) -> Fut<'a, Outcome>;
    fn on_idle<'a>(&'a self, ctx: &'a mut Ctx, msg: &'a Message) -> Fut<'a, Option<Outcome>>;
    fn on_message<'a>(&'a self, ctx: &'a mut Ctx, msg: &'a Message, at: &'a Value) -> Fut<'a, Outcome>;
    fn on_button<'a>(&'a self, ctx: &'a mut Ctx, press: Press<&'a str>, at: Option<&'a Value>) -> Fut<'a, Outcome>;
    fn prompt<'a>(&'a self, ctx: &'a Ctx, at: &'a Value) -> Fut<'a, Outcome>;
}

/// `S` behind `Plug`.
pub struct Plugged<S>(PhantomData<fn() -> S>);

impl<S> Plugged<S> {
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<S> Default for Plugged<S> {
    fn default() -> Self {
        Self::new()
    }
}

fn typed<T: DeserializeOwned>(at: &Value) -> Option<T> {
    T::deserialize(at).ok()
}

impl<S: Section> Plug for Plugged<S> {
    fn area(&self) -> &'static str {
        S::State::AREA
    }
    fn needs_user(&self) -> bool {
        S::NEEDS_USER
    }
    fn menu(&self) -> &'static [Entry] {
        S::MENU
    }
    fn services(&self) -> Vec<Service> {
        S::services()
    }
    fn owns(&self, data: &str) -> bool {
        S::Button::decode(data).is_some()
    }
    fn reads(&self, at: &Value) -> Option<bool> {
        typed::<S::State>(at).map(|s| s.wants_secret())
    }
    fn keeps_draft(&self, at: &Value) -> bool {
        typed::<S::State>(at).is_some_and(|s| s.keeps_draft())
    }
    fn keeps_forms(&self) -> bool {
        S::State::KEEPS_FORMS
    }
    fn draft(&self, at: &Value) -> Option<String> {
        typed::<S::State>(at).and_then(|s| s.draft())
    }
    fn fresh(&self, at: &Value) -> Option<Value> {
        let fresh = typed::<S::State>(at)?.fresh()?;
        serde_json::to_value(fresh).ok()
    }
    fn open<'a>(&'a self, ctx: &'a mut Ctx, entry: &'static Entry) -> Fut<'a, Outcome> {
        Box::pin(S::open(ctx, entry))
    }
    fn on_idle<'a>(&'a self, ctx: &'a mut Ctx, msg: &'a Message) -> Fut<'a, Option<Outcome>> {
        Box::pin(S::on_idle(ctx, msg))
    }
    fn on_message<'a>(&'a self, ctx: &'a mut Ctx, msg: &'a Message, at: &'a Value) -> Fut<'a, Outcome> {
        match typed::<S::State>(at) {
            Some(s) => Box::pin(S::on_message(ctx, msg, s)),
            None => Box::pin(async { Ok(Outcome::Stale) }),
        }
    }
    fn on_button<'a>(&'a self, ctx: &'a mut Ctx, press: Press<&'a str>, at: Option<&'a Value>) -> Fut<'a, Outcome> {
        let state = at.and_then(typed::<S::State>);
        let press = match press {
            Press::Own(data) => S::Button::decode(data).map(Press::Own),
            Press::Step(s) => Some(Press::Step(s)),
        };
        match press {
            Some(p) => Box::pin(S::on_button(ctx, p, state)),
            None => Box::pin(async { Ok(Outcome::Stale) }),
        }
    }
    fn prompt<'a>(&'a self, ctx: &'a Ctx, at: &'a Value) -> Fut<'a, Outcome> {
        match typed::<S::State>(at) {
            Some(s) => Box::pin(async move { S::prompt(ctx, &s).await }),
            None => Box::pin(async { Ok(Outcome::Home(None)) }),
        }
    }
}
