//! Text typed where a button is expected is never thrown away: an option's own label is that
//! option; a sentence is kept (`FormData::kept`) and offered, with «Вставить этот текст», at the
//! next question it answers; either way the person is told which buttons answer this one.

use super::{Field, FormData, Input};
use crate::bot::ctx::Ctx;
use crate::bot::files;
use crate::bot::ui;
use crate::callback::StepCb;
use crate::domain::answers;
use teloxide::types::InlineKeyboardButton;

/// How much of the kept text the question shows.
const KEPT_SHOWN: usize = 120;
/// Options named in «Ответ здесь — кнопкой: …» at most; a longer list is «кнопкой под сообщением».
const NAMED_AT_MOST: usize = 4;
/// A text of this many words is a sentence, content worth keeping; a word or two is an attempt
/// at the button, answered by naming the buttons.
const KEPT_MIN_WORDS: usize = 3;

/// The kept text offered under `field`'s question, where it would be taken as the answer.
pub(super) fn offer(ctx: &Ctx, field: &Field, data: &FormData) -> Option<(String, Vec<InlineKeyboardButton>)> {
    let Some(Ok(_)) = read(field, data) else {
        return None;
    };
    let kept = data.kept.as_deref()?;
    let shown = ui::esc(&crate::wording::cut(kept, KEPT_SHOWN));
    let text = ctx.tf("form.kept_offer", &[("text", &shown)]);
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
    if sentence(text) && text_ahead(fields, data) {
        Typed::Keep
    } else {
        Typed::UseButtons
    }
}

/// Whether a question still to come takes text (where a kept text may go).
pub(super) fn text_ahead(fields: &[Field], data: &FormData) -> bool {
    fields
        .iter()
        .any(|f| f.applies && takes_kept(&f.input) && !data.is_done(f.key))
}

/// Which buttons answer `field`: «Ответ здесь — кнопкой: «Да» или «Нет».» for a short list,
/// else «Выберите вариант кнопкой под сообщением.»
pub(super) fn which_buttons(ctx: &Ctx, field: &Field) -> String {
    let labels: Vec<&str> = match &field.input {
        Input::Choice { options, .. } => options.iter().map(|o| o.label.as_str()).collect(),
        Input::YesNo { yes, no } => vec![yes.as_str(), no.as_str()],
        _ => Vec::new(),
    };
    if labels.is_empty() || labels.len() > NAMED_AT_MOST {
        return ctx.t("common.use_buttons");
    }
    let (open, close) = (ctx.t("form.quote_open"), ctx.t("form.quote_close"));
    let quoted: Vec<String> = labels.iter().map(|l| format!("{open}{}{close}", ui::esc(l))).collect();
    let buttons = match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{}{}{last}", rest.join(", "), ctx.t("form.or")),
        None => String::new(),
    };
    ctx.tf("form.use_named", &[("buttons", &buttons)])
}

fn sentence(text: &str) -> bool {
    text.split_whitespace().count() >= KEPT_MIN_WORDS
}

/// What is said when a files step gets no file it takes: «Готово» is named only once a file
/// is in («Пропустить» before); a sentence typed there is kept for a question ahead that takes
/// text, and the person told so. Whether `data` changed.
pub(super) fn not_a_file(
    ctx: &Ctx,
    fields: &[Field],
    data: &mut FormData,
    text: Option<&str>,
    p: files::FileProblem,
) -> (String, bool) {
    let mut said = match p {
        files::FileProblem::NotAFile if data.files.is_empty() => ctx.t("files.not_a_file_skip"),
        _ => files::problem_text(ctx, p),
    };
    match text.map(str::trim) {
        Some(t) if sentence(t) && text_ahead(fields, data) => {
            data.kept = Some(t.to_owned());
            said = format!("{said} {}", ctx.t("form.kept_for_later"));
            (said, true)
        }
        _ => (said, false),
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
