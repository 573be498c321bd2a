//! Text typed where a button is expected is never thrown away: an option's own label is that
//! option; a sentence is kept (`FormData::kept`) and offered, with «Вставить этот текст», at
//! the next question it answers.

use super::{Field, FormData, Input};
use crate::bot::ctx::Ctx;
use crate::bot::ui;
use crate::callback::StepCb;
use crate::domain::answers;
use teloxide::types::InlineKeyboardButton;

/// How much of the kept text the question shows.
const KEPT_SHOWN: usize = 120;
/// Text of at least this many words typed at a button step is kept.
const KEPT_MIN_WORDS: usize = 3;

/// The kept text offered under `field`'s question, where it would be taken as the answer.
pub(super) fn offer(ctx: &Ctx, field: &Field, data: &FormData) -> Option<(String, Vec<InlineKeyboardButton>)> {
    let kept = data.kept.as_deref()?;
    let fits = match &field.input {
        Input::Text(p) | Input::Choice { typed: Some(p), .. } => p(kept).is_ok(),
        _ => false,
    };
    if !fits {
        return None;
    }
    let shown: String = kept.chars().take(KEPT_SHOWN).collect();
    let more = if kept.chars().count() > KEPT_SHOWN { "…" } else { "" };
    let text = ctx.tf("form.kept_offer", &[("text", &format!("{}{more}", ui::esc(&shown)))]);
    Some((text, ui::row(ctx.loc, "form.kept_use", StepCb::Kept)))
}

/// What text typed where a button is expected means.
pub(super) enum Typed {
    /// An option's own label: that option's stored value.
    Answer(String),
    /// A sentence, with a question ahead that takes text: kept for it.
    Keep,
    /// A word or two (an attempt at the button), or nothing ahead would take it.
    UseButtons,
}

/// Text where a button is expected: an option's own label is that option; a sentence is kept
/// for the next step that takes text.
pub(super) fn typed_at_buttons(fields: &[Field], field: &Field, data: &FormData, text: &str) -> Typed {
    let same = |label: &str| label.trim().to_lowercase() == text.trim().to_lowercase();
    let matched = match &field.input {
        Input::Choice { options, .. } => options.iter().find(|o| same(&o.label)).map(|o| o.key.clone()),
        Input::YesNo { yes, no } => [(yes, true), (no, false)]
            .into_iter()
            .find(|(l, _)| same(l))
            .map(|(_, v)| answers::yes_no(v).to_owned()),
        _ => None,
    };
    if let Some(v) = matched {
        return Typed::Answer(v);
    }
    // A word or two is an attempt at the button's answer; a sentence is content worth keeping.
    let content = text.split_whitespace().count() >= KEPT_MIN_WORDS;
    let any_text_later = fields
        .iter()
        .any(|f| f.applies && takes_kept(&f.input) && !data.is_done(f.key));
    if content && any_text_later {
        Typed::Keep
    } else {
        Typed::UseButtons
    }
}

/// A question the kept text may answer: plain text, never a password or a code.
fn takes_kept(input: &Input) -> bool {
    matches!(input, Input::Text(_) | Input::Choice { typed: Some(_), .. })
}

/// «Вставить этот текст»: the kept text read as the answer to `field` (a problem if it does
/// not read); none without a kept text or where the question takes no text.
pub(super) fn read(field: &Field, data: &FormData) -> Option<std::result::Result<String, String>> {
    match (data.kept.as_deref(), &field.input) {
        (Some(text), Input::Text(p) | Input::Choice { typed: Some(p), .. }) => Some(p(text)),
        _ => None,
    }
}
