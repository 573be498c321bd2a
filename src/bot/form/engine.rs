//! The engine: asks a form's fields in order, takes the answers, and does «Назад»,
//! «Пропустить», «Шаг N из M», the summary and «Изменить» from it the same way for every form.
//! What changes the form's data is in small pure functions (tested below); the rest asks and
//! saves.

use super::data::FormData;
use super::field::{Check, EditStyle, Field, Form, Input};
use super::kept;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::{files, input_errors, password, ui};
use crate::callback::{Buttons, StepCb};
use crate::domain::NewPassword;
use crate::domain::answers;
use crate::domain::person::normalize_phone;
use crate::i18n::plural;
use teloxide::types::{InlineKeyboardButton, Message, ReplyMarkup};

type Result<T> = std::result::Result<T, HandlerError>;

/// What the form asks now.
pub(super) enum Step<'a> {
    Field(&'a Field),
    Summary,
}

pub(super) fn current<'a>(fields: &'a [Field], data: &FormData) -> Step<'a> {
    if let Some(key) = &data.editing
        && let Some(f) = fields.iter().find(|f| f.key == key && f.applies)
    {
        return Step::Field(f);
    }
    match fields.iter().find(|f| f.applies && !data.is_done(f.key)) {
        Some(f) => Step::Field(f),
        None => Step::Summary,
    }
}

/// «Шаг N из M» of a field: among the counted fields that apply.
pub(super) fn number(fields: &[Field], field: &Field) -> Option<(usize, usize)> {
    // A total that an answer may change is no total: none rather than one that jumps.
    if fields.iter().any(|f| f.conditional) {
        return None;
    }
    let counted: Vec<&Field> = fields.iter().filter(|f| f.applies && f.counted).collect();
    let n = counted.iter().position(|f| f.key == field.key)?;
    Some((n + 1, counted.len()))
}

/// Drops the answers of fields that no longer apply (an answer changed the form's shape).
pub(super) fn prune(fields: &[Field], data: &mut FormData) {
    for f in fields.iter().filter(|f| !f.applies) {
        data.values.remove(f.key);
        data.done.retain(|k| k != f.key);
        if matches!(f.input, Input::Files { .. }) {
            data.files.clear();
        }
    }
}

/// A field got its value (`None`: skipped): kept, marked answered, out of editing; a repeated
/// password is asked again whenever the first one changes.
pub(super) fn record(fields: &[Field], data: &mut FormData, key: &str, value: Option<String>) {
    match value {
        Some(v) => data.set(key, v),
        None => {
            data.values.remove(key);
        }
    }
    data.mark_done(key);
    data.pending.clear();
    if data.editing.as_deref() == Some(key) {
        data.editing = None;
    }
    for f in fields {
        if let Input::RepeatPassword { of } = f.input
            && of == key
        {
            data.unset(f.key);
        }
    }
}

/// «Назад»: closes the list of fields, leaves a change from the summary, drops the options
/// being collected, or undoes the last answer. False when there is nothing to go back to.
pub(super) fn back(data: &mut FormData) -> bool {
    if data.picking {
        data.picking = false;
    } else if data.editing.take().is_some() || !data.pending.is_empty() {
        data.pending.clear();
    } else {
        let Some(last) = data.done.pop() else {
            return false;
        };
        // Files attached stay: the files step shows them again, with «Готово».
        data.values.remove(&last);
    }
    true
}

/// «Изменить» a field from the summary: asked again, then back to the summary. False for a
/// field that cannot be changed there.
pub(super) fn edit(fields: &[Field], data: &mut FormData, index: usize) -> bool {
    match fields.get(index) {
        Some(f) if f.applies && f.label.is_some() => {
            data.picking = false;
            data.pending.clear();
            data.editing = Some(f.key.to_owned());
            true
        }
        _ => false,
    }
}

/// Saves the form and asks its current question (or sends a form without a summary whose
/// last field is answered).
pub async fn go<F: Form>(ctx: &mut Ctx, form: &F, mut data: FormData) -> Result<Outcome> {
    let fields = form.fields(ctx, &data).await?;
    prune(&fields, &mut data);
    if matches!(current(&fields, &data), Step::Summary) && !form.has_summary() {
        return submit(ctx, form, data).await;
    }
    save_with(ctx, form, &mut data, &fields).await?;
    ask_with(ctx, form, &data, &fields).await?;
    Ok(Outcome::Done)
}

/// The form's own `submit`, boxed: a form's submit may ask again through the engine, and the
/// two futures may not contain each other.
fn submit<'a, F: Form>(
    ctx: &'a mut Ctx,
    form: &'a F,
    data: FormData,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Outcome>> + Send + 'a>> {
    Box::pin(form.submit(ctx, data))
}

/// Saves the form as it is, without asking anything (the form said something of its own).
pub async fn save<F: Form>(ctx: &Ctx, form: &F, mut data: FormData) -> Result<()> {
    let fields = form.fields(ctx, &data).await?;
    prune(&fields, &mut data);
    save_with(ctx, form, &mut data, &fields).await
}

async fn save_with<F: Form>(ctx: &Ctx, form: &F, data: &mut FormData, fields: &[Field]) -> Result<()> {
    data.secret = matches!(current(fields, data), Step::Field(f) if f.input.secret());
    ctx.set(form.state(data.clone())).await?;
    form.saved(ctx, data).await
}

/// Asks the current question again (after a notice, a language switch, /help).
pub async fn ask<F: Form>(ctx: &Ctx, form: &F, data: &FormData) -> Result<Outcome> {
    let fields = form.fields(ctx, data).await?;
    ask_with(ctx, form, data, &fields).await?;
    Ok(Outcome::Done)
}

/// A files question with its count so far, and its button: «Пропустить» before the first
/// file, «Готово» after (and only then named in the question).
fn files_question(ctx: &Ctx, question: String, max: usize, n: u64) -> (String, Vec<InlineKeyboardButton>) {
    let mut question = question
        .replace("%{max}", &max.to_string())
        .replace("%{count}", &plural(ctx.loc, "plural.files", n));
    if n > 0 {
        question.push(' ');
        question.push_str(&ctx.t("files.done_hint"));
    }
    let key = if n > 0 { "req.files_done" } else { "common.skip" };
    (question, one(ctx, key, StepCb::Done))
}

fn one(ctx: &Ctx, key: &str, cb: StepCb) -> Vec<InlineKeyboardButton> {
    ui::row(ctx.loc, key, cb)
}

async fn ask_with<F: Form>(ctx: &Ctx, form: &F, data: &FormData, fields: &[Field]) -> Result<()> {
    let field = match current(fields, data) {
        Step::Summary if data.picking => return picker(ctx, fields).await,
        Step::Summary => return summary(ctx, form, data, fields).await,
        Step::Field(f) => f,
    };
    let back = !data.done.is_empty() || data.editing.is_some();
    let mut rows: Vec<Vec<InlineKeyboardButton>> = Vec::new();
    let mut question = field.question.clone();
    let tag = field.tag();
    match &field.input {
        Input::Choice { options, .. } => {
            for (i, o) in options.iter().enumerate() {
                rows.push(vec![InlineKeyboardButton::callback(
                    o.label.clone(),
                    StepCb::Opt(tag, i as u8).encode(),
                )]);
            }
        }
        Input::Multi(options) => {
            for (i, o) in options.iter().enumerate() {
                let mark = if data.pending.contains(&o.key) {
                    "✅ "
                } else {
                    "▫️ "
                };
                rows.push(vec![InlineKeyboardButton::callback(
                    format!("{mark}{}", o.label),
                    StepCb::Opt(tag, i as u8).encode(),
                )]);
            }
            if !data.pending.is_empty() {
                rows.push(one(ctx, "req.files_done", StepCb::Done));
            }
        }
        Input::YesNo { yes, no } => rows.push(vec![
            InlineKeyboardButton::callback(yes.clone(), StepCb::Opt(tag, 0).encode()),
            InlineKeyboardButton::callback(no.clone(), StepCb::Opt(tag, 1).encode()),
        ]),
        Input::Entries(_) if !data.pending.is_empty() => {
            let so_far = ctx.tf("conn.stages_so_far", &[("n", &data.pending.len().to_string())]);
            question.push_str(&format!("\n\n{so_far}"));
            rows.push(one(ctx, "req.files_done", StepCb::Done));
        }
        Input::Files { max, .. } => {
            let (q, row) = files_question(ctx, question, *max, data.files.len() as u64);
            question = q;
            rows.push(row);
        }
        _ => {}
    }
    if let Some((text, row)) = kept::offer(ctx, field, data) {
        question.push_str("\n\n");
        question.push_str(&text);
        rows.push(row);
    }
    for (text, cb) in &field.extra {
        rows.push(vec![InlineKeyboardButton::callback(text.clone(), cb.clone())]);
    }
    if field.optional {
        rows.push(one(ctx, "common.skip", StepCb::Skip));
    }
    rows.push(ui::nav_row(ctx.loc, back));
    if form.numbered()
        && field.counted
        && let Some((n, m)) = number(fields, field)
    {
        let step = ctx.tf("common.step", &[("n", &n.to_string()), ("m", &m.to_string())]);
        question = format!("{step} {question}");
    }
    if let Some(title) = form.title(ctx) {
        question = format!("<b>{title}</b>\n\n{question}");
    }
    let markup: ReplyMarkup = match field.input {
        // The phone is shared with a reply keyboard button.
        Input::Phone => ui::share_phone(ctx.loc).into(),
        _ => ui::inline(rows).into(),
    };
    ctx.say_with(question, markup).await
}

async fn summary<F: Form>(ctx: &Ctx, form: &F, data: &FormData, fields: &[Field]) -> Result<()> {
    let s = form.summary(ctx, data).await?;
    let mut rows = Vec::new();
    if let EditStyle::Inline = s.edit {
        for (i, f) in fields.iter().enumerate() {
            if let (true, Some(label)) = (f.applies, &f.label) {
                let text = f.button.clone().unwrap_or_else(|| format!("✏️ {label}"));
                rows.push(vec![InlineKeyboardButton::callback(
                    text,
                    StepCb::FormEdit(i as u8).encode(),
                )]);
            }
        }
    }
    rows.push(one(ctx, s.send, StepCb::Save));
    if let EditStyle::Picker(key) = s.edit {
        rows.push(one(ctx, key, StepCb::FormFix));
    }
    rows.push(ui::nav_row(ctx.loc, s.back));
    ctx.say_with(s.text, ui::inline(rows)).await
}

/// The summary's «Исправить»: the fields to choose from.
async fn picker(ctx: &Ctx, fields: &[Field]) -> Result<()> {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let label = f.label.as_ref().filter(|_| f.applies)?;
            Some(vec![InlineKeyboardButton::callback(
                label.clone(),
                StepCb::FormEdit(i as u8).encode(),
            )])
        })
        .collect();
    rows.push(ui::nav_row(ctx.loc, true));
    ctx.say_with(ctx.t("reg.fix_q"), ui::inline(rows)).await
}

/// A field got its value (`None`: skipped): checked by the form, then the next question.
pub async fn answer<F: Form>(
    ctx: &mut Ctx,
    form: &F,
    mut data: FormData,
    key: &str,
    value: Option<String>,
) -> Result<Outcome> {
    let fields = form.fields(ctx, &data).await?;
    record(&fields, &mut data, key, value);
    match form.check(ctx, key, &mut data).await? {
        Check::Go => go(ctx, form, data).await,
        Check::Again(notice) => {
            data.unset(key);
            ctx.say(notice).await?;
            go(ctx, form, data).await
        }
        Check::Stop(outcome) => {
            data.unset(key);
            save(ctx, form, data).await?;
            Ok(outcome)
        }
    }
}

/// Asks `key` again with a notice (e.g. a serial found taken when the form was sent).
pub async fn ask_again<F: Form>(
    ctx: &mut Ctx,
    form: &F,
    mut data: FormData,
    key: &str,
    notice: &str,
) -> Result<Outcome> {
    data.unset(key);
    data.editing = None;
    data.picking = false;
    ctx.say(notice).await?;
    go(ctx, form, data).await
}

/// Says `problem` and asks the current question again, nothing changed.
async fn refuse<F: Form>(ctx: &Ctx, form: &F, data: &FormData, fields: &[Field], problem: String) -> Result<Outcome> {
    ctx.say(problem).await?;
    ask_with(ctx, form, data, fields).await?;
    Ok(Outcome::Done)
}

/// A message while the form is open.
pub async fn on_message<F: Form>(ctx: &mut Ctx, form: &F, mut data: FormData, msg: &Message) -> Result<Outcome> {
    let fields = form.fields(ctx, &data).await?;
    let field = match current(&fields, &data) {
        Step::Summary => return refuse(ctx, form, &data, &fields, ctx.t("common.use_buttons")).await,
        Step::Field(f) => f,
    };
    let key = field.key;
    if let Input::Files { allowed, max } = field.input {
        return on_file(ctx, form, data, &fields, msg, (allowed, max)).await;
    }
    if let Input::Phone = field.input {
        return on_phone(ctx, form, data, &fields, msg, key).await;
    }
    let text = match msg.text() {
        Some(t) if !field.input.by_buttons() => t,
        Some(t) => return at_buttons(ctx, form, data, &fields, field, t).await,
        None => {
            let key = if field.input.by_buttons() {
                "common.use_buttons"
            } else {
                "common.text_expected"
            };
            return refuse(ctx, form, &data, &fields, ctx.t(key)).await;
        }
    };
    // Typed anew: what was kept from a button step is not offered any more.
    data.kept = None;
    if field.input.secret() {
        password::delete_secret(ctx, msg).await;
    }
    let parsed = match &field.input {
        Input::Text(p) | Input::Choice { typed: Some(p), .. } => p(text),
        Input::Entries(_) if data.pending.len() >= crate::policy::ENTRIES_PER_FIELD => {
            let max = crate::policy::ENTRIES_PER_FIELD.to_string();
            Err(ctx.tf("form.entries_too_many", &[("max", &max)]))
        }
        Input::Entries(p) => match p(text) {
            Ok(v) => {
                data.pending.push(v);
                return go(ctx, form, data).await;
            }
            Err(e) => Err(e),
        },
        Input::NewPassword { login } => match NewPassword::parse(text, login.as_ref()) {
            Ok(pw) => Ok(password::hash(pw.expose().to_owned()).await?),
            Err(e) => Err(input_errors::password_error(ctx.loc, e)),
        },
        Input::RepeatPassword { of } => {
            let first = data.get(of).unwrap_or_default().to_owned();
            if password::verify(text.to_owned(), first).await? {
                Ok(answers::passed().to_owned())
            } else {
                ctx.say(ctx.t("reg.password_mismatch")).await?;
                data.unset(of);
                data.unset(key);
                return go(ctx, form, data).await;
            }
        }
        Input::Verify => match form.verify(ctx, key, text).await? {
            Check::Go => Ok(answers::passed().to_owned()),
            Check::Again(problem) => Err(problem),
            Check::Stop(outcome) => return Ok(outcome),
        },
        _ => Err(ctx.t("common.use_buttons")),
    };
    match parsed {
        Ok(v) => answer(ctx, form, data, key, Some(v)).await,
        Err(problem) => refuse(ctx, form, &data, &fields, problem).await,
    }
}

/// Text typed where buttons answer: an option's label is that option; else the buttons are
/// named, and a sentence is kept for a question ahead that takes text.
async fn at_buttons<F: Form>(
    ctx: &mut Ctx,
    form: &F,
    mut data: FormData,
    fields: &[Field],
    field: &Field,
    t: &str,
) -> Result<Outcome> {
    match kept::typed_at_buttons(fields, field, &data, t) {
        kept::Typed::Answer(v) => answer(ctx, form, data, field.key, Some(v)).await,
        kept::Typed::Keep => {
            data.kept = Some(t.to_owned());
            save_with(ctx, form, &mut data, fields).await?;
            let text = format!("{} {}", kept::which_buttons(ctx, field), ctx.t("form.kept_for_later"));
            refuse(ctx, form, &data, fields, text).await
        }
        kept::Typed::UseButtons => refuse(ctx, form, &data, fields, kept::which_buttons(ctx, field)).await,
    }
}

/// A file (a photo, a document) where the question takes files: added, up to `max` of the
/// `allowed` kinds.
async fn on_file<F: Form>(
    ctx: &mut Ctx,
    form: &F,
    mut data: FormData,
    fields: &[Field],
    msg: &Message,
    (allowed, max): (&'static [&'static str], usize),
) -> Result<Outcome> {
    match files::file_of(msg, allowed) {
        Ok(_) if data.files.len() >= max => {
            let text = ctx.tf("files.too_many", &[("max", &max.to_string())]);
            refuse(ctx, form, &data, fields, text).await
        }
        Ok(file) => {
            data.files.push(file);
            let n = data.files.len() as u64;
            save_with(ctx, form, &mut data, fields).await?;
            let kb = ui::inline(vec![one(ctx, "req.files_done", StepCb::Done)]);
            let text = ctx.tf("files.added", &[("count", &plural(ctx.loc, "plural.files", n))]);
            ctx.say_with(text, kb).await?;
            Ok(Outcome::Done)
        }
        Err(p) => {
            let (text, kept) = kept::not_a_file(ctx, fields, &mut data, msg.text(), p);
            if kept {
                save_with(ctx, form, &mut data, fields).await?;
            }
            refuse(ctx, form, &data, fields, text).await
        }
    }
}

/// A phone number, shared as the person's own contact or typed.
async fn on_phone<F: Form>(
    ctx: &mut Ctx,
    form: &F,
    data: FormData,
    fields: &[Field],
    msg: &Message,
    key: &'static str,
) -> Result<Outcome> {
    let phone = match (msg.contact(), msg.text()) {
        (Some(c), _) if c.user_id.is_none() || c.user_id != msg.from.as_ref().map(|u| u.id) => {
            // Only the person's own number: a forwarded contact of someone else is refused.
            return refuse(ctx, form, &data, fields, ctx.t("profile.phone_not_own")).await;
        }
        (Some(c), _) => normalize_phone(&c.phone_number),
        (None, Some(t)) if ui::is_cancel(t) => return Ok(Outcome::Cancelled),
        (None, Some(t)) => normalize_phone(t),
        (None, None) => None,
    };
    match phone {
        Some(p) => answer(ctx, form, data, key, Some(p)).await,
        None => refuse(ctx, form, &data, fields, ctx.t("profile.phone_bad")).await,
    }
}

/// An option of the question asked: a choice, a tick of several, yes or no.
async fn on_option<F: Form>(ctx: &mut Ctx, form: &F, mut data: FormData, f: &Field, i: u8) -> Result<Outcome> {
    let key = f.key;
    match &f.input {
        Input::Choice { options, .. } => match options.get(usize::from(i)) {
            Some(o) => {
                let value = o.key.clone();
                answer(ctx, form, data, key, Some(value)).await
            }
            None => Ok(Outcome::Stale),
        },
        Input::Multi(options) => match options.get(usize::from(i)) {
            Some(o) => {
                match data.pending.iter().position(|p| *p == o.key) {
                    Some(pos) => {
                        data.pending.remove(pos);
                    }
                    None => data.pending.push(o.key.clone()),
                }
                go(ctx, form, data).await
            }
            None => Ok(Outcome::Stale),
        },
        Input::YesNo { .. } if i < 2 => {
            let v = answers::yes_no(i == 0);
            answer(ctx, form, data, key, Some(v.to_owned())).await
        }
        _ => Ok(Outcome::Stale),
    }
}

/// A button while the form is open.
pub async fn on_callback<F: Form>(ctx: &mut Ctx, form: &F, mut data: FormData, cb: StepCb) -> Result<Outcome> {
    let fields = form.fields(ctx, &data).await?;
    let step = current(&fields, &data);
    match (cb, step) {
        (StepCb::Back, _) => {
            if back(&mut data) {
                go(ctx, form, data).await
            } else {
                form.back_out(ctx).await
            }
        }
        // An option of another question (an old message) is not an answer to this one.
        (StepCb::Opt(tag, _), Step::Field(f)) if tag != f.tag() => Ok(Outcome::Stale),
        (StepCb::Opt(_, i), Step::Field(f)) => on_option(ctx, form, data, f, i).await,
        (StepCb::Done, Step::Field(f)) => {
            let key = f.key;
            let value = match &f.input {
                // In the options' order, whatever the order of the taps.
                Input::Multi(options) if !data.pending.is_empty() => answers::join_options(
                    options
                        .iter()
                        .filter(|o| data.pending.contains(&o.key))
                        .map(|o| o.key.as_str()),
                ),
                Input::Entries(_) if !data.pending.is_empty() => {
                    answers::join_entries(data.pending.iter().map(String::as_str))
                }
                Input::Files { .. } => data.files.len().to_string(),
                _ => return Ok(Outcome::Stale),
            };
            answer(ctx, form, data, key, Some(value)).await
        }
        (StepCb::Skip, Step::Field(f)) if f.optional => {
            let key = f.key;
            answer(ctx, form, data, key, None).await
        }
        (StepCb::Kept, Step::Field(f)) => match kept::read(f, &data) {
            Some(Ok(v)) => {
                let key = f.key;
                data.kept = None;
                answer(ctx, form, data, key, Some(v)).await
            }
            Some(Err(problem)) => refuse(ctx, form, &data, &fields, problem).await,
            None => Ok(Outcome::Stale),
        },
        (StepCb::FormFix, Step::Summary) => {
            data.picking = true;
            go(ctx, form, data).await
        }
        (StepCb::FormEdit(i), Step::Summary) => {
            if edit(&fields, &mut data, usize::from(i)) {
                go(ctx, form, data).await
            } else {
                Ok(Outcome::Stale)
            }
        }
        (StepCb::Save, Step::Summary) if !data.picking => submit(ctx, form, data).await,
        _ => Ok(Outcome::Stale),
    }
}

/// A stored value shown in a summary: escaped, «—» when missing.
pub fn shown(data: &FormData, key: &str) -> String {
    data.get(key).map(ui::esc).unwrap_or_else(|| "—".into())
}
