//! What a section's step asks the router to do next. Sections never show another section's
//! screens or the home screen themselves: they say where to go, and the router goes there.

use super::menu::Entry;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The step has answered (asked its next question, shown what it shows).
    Done,
    /// A button that means nothing here (an old message's): said so, then the current
    /// question again.
    Stale,
    /// The current question again, with nothing said before it.
    Reprompt,
    /// Nothing in progress any more: the notice (a sentence, if any), then the home screen
    /// (the menu, the confirmation reminder, or the welcome).
    Home(Option<String>),
    /// «Отмена»: nothing in progress, «Действие отменено.», the home screen.
    Cancelled,
    /// An entry of the main menu, opened afresh (what was in progress is left).
    Open(&'static Entry),
}
