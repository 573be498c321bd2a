//! How a form describes itself to the engine: its fields (question, how each is answered,
//! when it applies, whether it may be skipped), its summary, and what it does on the way.

use super::data::FormData;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::state::State;
use crate::callback::Buttons;
use crate::domain::Login;
use std::future::Future;

/// Parses typed text into the stored value, or says (a sentence) what is wrong with it.
pub type Parser = Box<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

/// One option of a choice: the value stored and the button's text.
pub struct Choice {
    pub key: String,
    pub label: String,
}

impl Choice {
    pub fn new(key: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            label: label.into(),
        }
    }
}

/// How a field is answered.
pub enum Input {
    /// Typed text.
    Text(Parser),
    /// One of the options, by button (or typed, when `typed` parses it).
    Choice {
        options: Vec<Choice>,
        typed: Option<Parser>,
    },
    /// Any non-empty set of the options, then «Готово»; stored as keys joined by `,`.
    Multi(Vec<Choice>),
    /// Two buttons; stored as `yes` / `no`.
    YesNo { yes: String, no: String },
    /// Typed entries, one per message, then «Готово»; stored joined by `|`.
    Entries(Parser),
    /// A new password: the message is deleted, its hash is stored.
    NewPassword { login: Option<Login> },
    /// The password of the field `of` once more; a mismatch asks `of` again.
    RepeatPassword { of: &'static str },
    /// The consumer's current password: the message is deleted and `Form::verify` checks it;
    /// only that it was right is stored.
    Verify,
    /// A phone number: the «Отправить мой номер» button (the person's own contact) or typed.
    Phone,
    /// Photos and documents, one by one, then «Готово» (the form's files).
    Files {
        allowed: &'static [&'static str],
        max: usize,
    },
}

impl Field {
    /// A short tag of the question, carried by its option buttons: the field and its options
    /// (the same question asked again keeps its tag; another question almost never shares it).
    pub(super) fn tag(&self) -> u16 {
        // FNV-1a, folded to 16 bits: stable across builds and restarts (old keyboards).
        let mut h: u32 = 0x811c_9dc5;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u32::from(*b);
                h = h.wrapping_mul(0x0100_0193);
            }
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0193);
        };
        eat(self.key.as_bytes());
        match &self.input {
            Input::Choice { options, .. } | Input::Multi(options) => {
                for o in options {
                    eat(o.key.as_bytes());
                }
            }
            Input::YesNo { .. } => eat(b"yes/no"),
            _ => {}
        }
        ((h >> 16) ^ (h & 0xffff)) as u16
    }
}

impl Input {
    pub(super) fn by_buttons(&self) -> bool {
        matches!(
            self,
            Input::Choice { typed: None, .. } | Input::Multi(_) | Input::YesNo { .. }
        )
    }

    pub(super) fn secret(&self) -> bool {
        matches!(
            self,
            Input::NewPassword { .. } | Input::RepeatPassword { .. } | Input::Verify
        )
    }
}

pub struct Field {
    pub key: &'static str,
    /// The question (HTML).
    pub question: String,
    pub input: Input,
    pub optional: bool,
    /// Asked now (decided by the form from what was answered).
    pub applies: bool,
    /// Counted for «Шаг N из M» (a repeated password is not).
    pub counted: bool,
    /// Whether it is asked depends on answers: a form with such a field does not know its
    /// number of steps («Шаг 1 из 17» then «Шаг 2 из 16»), so it shows none.
    pub conditional: bool,
    /// How the summary names the field; without one it cannot be changed from there.
    pub label: Option<String>,
    /// The summary's button for changing it, when not «✏️ <label>».
    pub button: Option<String>,
    /// Buttons of the form's own under the question (the form handles them).
    pub extra: Vec<(String, String)>,
}

impl Field {
    pub fn new(key: &'static str, question: impl Into<String>, input: Input) -> Self {
        Self {
            key,
            question: question.into(),
            input,
            optional: false,
            applies: true,
            counted: true,
            conditional: false,
            label: None,
            button: None,
            extra: Vec::new(),
        }
    }

    pub fn text(key: &'static str, question: impl Into<String>, parse: Parser) -> Self {
        Self::new(key, question, Input::Text(parse))
    }

    /// A question answered by one of `options` (buttons; nothing typed is taken).
    pub fn choice(key: &'static str, question: impl Into<String>, options: Vec<Choice>) -> Self {
        Self::new(key, question, Input::Choice { options, typed: None })
    }

    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    pub fn when(mut self, applies: bool) -> Self {
        self.applies = applies;
        self.conditional = true;
        self
    }

    pub fn uncounted(mut self) -> Self {
        self.counted = false;
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn button(mut self, text: impl Into<String>) -> Self {
        self.button = Some(text.into());
        self
    }

    pub fn extra(mut self, text: impl Into<String>, cb: impl Buttons) -> Self {
        self.extra.push((text.into(), cb.encode()));
        self
    }
}

/// How the summary offers to change a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditStyle {
    /// Not from the summary («Назад» goes back through the steps).
    None,
    /// A button for each field under the summary.
    Inline,
    /// One button (its locale key) that lists the fields.
    Picker(&'static str),
}

/// What the summary shows and offers.
pub struct Summary {
    pub text: String,
    /// The locale key of the button that sends the form.
    pub send: &'static str,
    pub edit: EditStyle,
    /// «Назад» under the summary (to the last step).
    pub back: bool,
}

/// What a form says after a field got its value.
pub enum Check {
    /// Go on to the next question.
    Go,
    /// The value is refused with this sentence: the field is asked again.
    Again(String),
    /// The form has answered itself (e.g. the login is taken): the value is not kept, the rest
    /// of the form is, and the update ends with this outcome.
    Stop(Outcome),
}

/// A guided form: its fields and what it does with them. Asking, «Назад», «Пропустить»,
/// step numbers, the summary and changes from it are the engine's.
pub trait Form: Sync {
    /// The dialogue state that carries the form's data.
    fn state(&self, data: FormData) -> State;

    /// The fields, with `applies` decided from `data`.
    fn fields(&self, ctx: &Ctx, data: &FormData) -> impl Future<Output = Result<Vec<Field>, HandlerError>> + Send;

    /// A title above each question.
    fn title(&self, _ctx: &Ctx) -> Option<String> {
        None
    }

    /// Whether the questions carry «Шаг N из M».
    fn numbered(&self) -> bool {
        false
    }

    /// After `key` got its value: check it, clear what depends on it.
    fn check(
        &self,
        _ctx: &Ctx,
        _key: &str,
        _data: &mut FormData,
    ) -> impl Future<Output = Result<Check, HandlerError>> + Send {
        async { Ok(Check::Go) }
    }

    /// An `Input::Verify` field's typed secret (never stored).
    fn verify(&self, _ctx: &Ctx, _key: &str, _typed: &str) -> impl Future<Output = Result<Check, HandlerError>> + Send {
        async { Ok(Check::Go) }
    }

    /// After every step is saved (a form that keeps a draft keeps it here).
    fn saved(&self, _ctx: &Ctx, _data: &FormData) -> impl Future<Output = Result<(), HandlerError>> + Send {
        async { Ok(()) }
    }

    /// Whether the form shows a summary before it is sent; without one it is sent as soon as
    /// its last field is answered.
    fn has_summary(&self) -> bool {
        true
    }

    /// The summary before sending.
    fn summary(&self, _ctx: &Ctx, _data: &FormData) -> impl Future<Output = Result<Summary, HandlerError>> + Send {
        async {
            Ok(Summary {
                text: String::new(),
                send: "req.send",
                edit: EditStyle::None,
                back: true,
            })
        }
    }

    /// «Отправить» on the summary (or the last answer of a form without one).
    fn submit(&self, ctx: &mut Ctx, data: FormData) -> impl Future<Output = Result<Outcome, HandlerError>> + Send;

    /// «Назад» on the first question.
    fn back_out(&self, _ctx: &Ctx) -> impl Future<Output = Result<Outcome, HandlerError>> + Send {
        async { Ok(Outcome::Cancelled) }
    }
}
