//! The operators' short forms in their group: `/outage` (publish an outage), `/outages` (the
//! open ones, extended or closed with buttons) and `/announce` (news to every consumer or to
//! one resource's). A form asks one thing at a time: with buttons (the press edits the same
//! message into the next question) or as a reply to the bot's question (Telegram's «reply»
//! keeps the group's other talk out of it). Each form is the operator's own, one per group,
//! kept in the database (`desk_forms`): a restart loses nothing, and what a form ends in
//! deletes it in the same transaction, so a second press does nothing.

mod announce;
mod note;
mod outage;

use super::tell_group;
use crate::bot::deps::{Deps, HandlerResult};
use crate::callback::{Buttons, FormCb};
use crate::i18n;
use crate::store::desk_forms::FormRow;
use crate::telegram::{Extras, Priority};
use serde::{Deserialize, Serialize};
use teloxide::types::{
    CallbackQuery, ChatId, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageId, ReplyMarkup,
};

/// What a form holds: its kind and the answers so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
enum Form {
    Outage(outage::Draft),
    /// A new expected end for an open outage.
    Extend {
        outage: i64,
    },
    /// A new note for consumers of an open outage.
    Note {
        outage: i64,
    },
    Announce(announce::Draft),
}

/// The next thing a form shows: a question with buttons, or one answered by a reply.
struct Screen {
    text: String,
    buttons: Option<InlineKeyboardMarkup>,
}

/// What an answer led to.
enum Next {
    /// The answer taken: the form's next question.
    Ask,
    /// Not taken: this, then the same question again.
    Again(String),
    /// The form is over (published, sent, cancelled): its last word, in place of the question.
    Done(String),
}

/// Where the answer came from: a button under a message, or a reply (the operator's message).
#[derive(Clone, Copy)]
enum Via {
    Button(MessageId),
    Reply(MessageId),
}

/// What a form's step sees.
struct On<'a> {
    deps: &'a Deps,
    group: ChatId,
    form: i64,
    operator: i64,
    loc: &'a str,
    /// The message this step came with (the command, the operator's answer, the pressed
    /// form): what follows later (how many were told) replies to it, in its topic.
    step_msg: MessageId,
}

impl On<'_> {
    fn t(&self, key: &str) -> String {
        i18n::t(self.loc, key)
    }

    fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        i18n::tf(self.loc, key, args)
    }

    /// «07.12.2026 10:00» in the utility's time.
    fn at(&self, t: chrono::DateTime<chrono::Utc>) -> String {
        self.deps.config.local(t).format("%d.%m.%Y %H:%M").to_string()
    }

    fn button(&self, key: &str, cb: FormCb) -> InlineKeyboardButton {
        InlineKeyboardButton::callback(self.t(key), cb.encode())
    }

    fn cancel(&self) -> Vec<InlineKeyboardButton> {
        vec![self.button("outdesk.cancel", FormCb::Cancel(self.form))]
    }

    /// How long telling `people` takes at the rate the outbox sends broadcasts: «около 12 минут».
    fn reach(&self, people: usize) -> String {
        let paid = self.deps.config.paid_broadcast;
        let rate = if paid {
            crate::telegram::PAID_PER_SEC
        } else {
            crate::telegram::BROADCAST_PER_SEC
        };
        let secs = (people as f64 / rate).ceil() as u64;
        let eta = match secs {
            0..60 => self.t("outdesk.eta_soon"),
            60..3600 => self.tf(
                "outdesk.eta",
                &[("time", &i18n::plural(self.loc, "plural.minutes", secs.div_ceil(60)))],
            ),
            _ => {
                let time = format!(
                    "{} {}",
                    i18n::plural(self.loc, "plural.hours_for", secs / 3600),
                    i18n::plural(self.loc, "plural.minutes", (secs % 3600).div_ceil(60))
                );
                self.tf("outdesk.eta", &[("time", &time)])
            }
        };
        let people = i18n::plural(self.loc, "plural.consumers", people as u64);
        let mut out = self.tf("outdesk.reach", &[("people", &people), ("eta", &eta)]);
        if paid {
            out.push_str(&self.t("outdesk.paid"));
        }
        out
    }
}

/// A command in the group: `/outage`, `/outages`, `/announce`. False for any other.
pub async fn command(deps: &Deps, msg: &Message, text: &str) -> Result<bool, crate::bot::deps::HandlerError> {
    // None: `/outages`, a list rather than a form.
    let form = match super::group_command(deps, text) {
        Some("/outage") => Some(Form::Outage(outage::Draft::default())),
        Some("/announce") => Some(Form::Announce(announce::Draft::default())),
        Some("/outages") => None,
        _ => return Ok(false),
    };
    let loc = deps.config.default_locale.clone();
    let group = msg.chat.id;
    let Some(from) = msg.from.as_ref().filter(|u| !u.is_bot) else {
        tell_group(deps, group, msg.id, &i18n::t(&loc, "desk.anonymous"), None).await?;
        return Ok(true);
    };
    let operator = from.id.0 as i64;
    if deps.store.operator(operator).await?.is_none() {
        tell_group(deps, group, msg.id, &i18n::t(&loc, "desk.operators_only"), None).await?;
        return Ok(true);
    }
    match form {
        Some(form) => start(deps, group, operator, &loc, form, msg.id).await?,
        None => outage::list(deps, group, msg.id, &loc).await?,
    }
    Ok(true)
}

/// A new form of the operator's in the group (replacing one left unfinished), its first
/// question posted as a reply to `to`.
async fn start(deps: &Deps, group: ChatId, operator: i64, loc: &str, form: Form, to: MessageId) -> HandlerResult {
    let data = serde_json::to_string(&form).map_err(crate::store::StoreError::from)?;
    let id = deps
        .store
        .start_form(group.0, operator, &data, deps.clock.now())
        .await?;
    let on = On {
        deps,
        group,
        form: id,
        operator,
        loc,
        step_msg: to,
    };
    show(&on, &form, Via::Reply(to), None).await
}

/// A reply in the group: the next answer of the operator's form when it replies to the form's
/// question. False when it is not (a reply to a card).
pub async fn on_reply(
    deps: &Deps,
    msg: &Message,
    operator: i64,
    reply_to: &Message,
) -> Result<bool, crate::bot::deps::HandlerError> {
    let group = msg.chat.id;
    let Some(row) = deps.store.operator_form(group.0, operator).await? else {
        return Ok(false);
    };
    // The question's id is recorded once Telegram took it. Until then a reply to a bot
    // message posted since the form last changed is to it (Telegram dates whole seconds).
    let to_bot = reply_to.from.as_ref().is_some_and(|u| u.is_bot);
    let since_change = reply_to.date >= row.updated_at - chrono::Duration::seconds(1);
    match row.prompt_message_id {
        Some(p) if p == i64::from(reply_to.id.0) => {}
        None if to_bot && since_change => {}
        _ => return Ok(false),
    }
    let loc = deps.config.default_locale.clone();
    let on = On {
        deps,
        group,
        form: row.id,
        operator,
        loc: &loc,
        step_msg: msg.id,
    };
    let Some(mut form) = read(&row) else {
        deps.store.drop_form(row.id).await?;
        return Ok(false);
    };
    let next = match msg.text().map(str::trim).filter(|t| !t.is_empty()) {
        None => Next::Again(on.t("outdesk.text_only")),
        Some(text) => match &mut form {
            Form::Outage(d) => outage::text(&on, d, text).await?,
            Form::Extend { outage } => outage::extend_text(&on, *outage, text).await?,
            Form::Note { outage } => note::text(&on, *outage, text).await?,
            Form::Announce(d) => announce::text(&on, d, text),
        },
    };
    settle(&on, &form, next, Via::Reply(msg.id)).await?;
    Ok(true)
}

/// A press of a form's button or of the outages' list (the caller checked the operator).
pub async fn on_button(deps: &Deps, q: &CallbackQuery, cb: FormCb) -> HandlerResult {
    let loc = deps.config.default_locale.clone();
    let Some(message) = q.message.as_ref() else {
        return Ok(());
    };
    let (group, pressed) = (message.chat().id, message.id());
    let operator = q.from.id.0 as i64;
    let form_id = match cb {
        FormCb::Extend(o) | FormCb::Note(o) | FormCb::Close(o) | FormCb::CloseYes(o) | FormCb::CloseNo(o) => {
            deps.tg.answer_callback(&q.id, None, false);
            return outage::list_button(deps, group, pressed, operator, cb, o, &loc).await;
        }
        FormCb::Resource(f, _)
        | FormCb::Planned(f, _)
        | FormCb::Now(f)
        | FormCb::Hours(f, _)
        | FormCb::NoReason(f)
        | FormCb::Audience(f, _)
        | FormCb::Publish(f)
        | FormCb::Cancel(f) => f,
    };
    let row = deps.store.form(form_id).await?;
    let Some(row) = row.filter(|r| r.chat_id == group.0) else {
        deps.tg
            .answer_callback(&q.id, Some(&i18n::t(&loc, "outdesk.gone")), true);
        return Ok(());
    };
    if row.operator_id != operator {
        deps.tg
            .answer_callback(&q.id, Some(&i18n::t(&loc, "outdesk.not_yours")), true);
        return Ok(());
    }
    deps.tg.answer_callback(&q.id, None, false);
    let on = On {
        deps,
        group,
        form: row.id,
        operator,
        loc: &loc,
        step_msg: pressed,
    };
    let Some(mut form) = read(&row) else {
        deps.store.drop_form(row.id).await?;
        return Ok(());
    };
    let next = match cb {
        FormCb::Cancel(_) => {
            let gone = deps.store.drop_form(row.id).await?;
            Next::Done(on.t(if gone { "outdesk.cancelled" } else { "outdesk.gone" }))
        }
        _ => match &mut form {
            Form::Outage(d) => outage::button(&on, d, cb).await?,
            Form::Extend { outage } => outage::extend_button(&on, *outage, cb).await?,
            Form::Note { outage } => note::button(&on, *outage, cb).await?,
            Form::Announce(d) => announce::button(&on, d, cb).await?,
        },
    };
    settle(&on, &form, next, Via::Button(pressed)).await
}

fn read(row: &FormRow) -> Option<Form> {
    match serde_json::from_str(&row.data) {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::warn!(form = row.id, error = %e, "a desk form no longer reads: dropped");
            None
        }
    }
}

/// Saves what was answered and shows what comes next.
async fn settle(on: &On<'_>, form: &Form, next: Next, via: Via) -> HandlerResult {
    match next {
        Next::Ask => {
            let data = serde_json::to_string(form).map_err(crate::store::StoreError::from)?;
            if !on.deps.store.update_form(on.form, &data, on.deps.clock.now()).await? {
                return say(on, via, on.t("outdesk.gone"));
            }
            show(on, form, via, None).await
        }
        Next::Again(why) => show(on, form, via, Some(why)).await,
        Next::Done(text) => say(on, via, text),
    }
}

/// The form's last word: in place of the pressed question, or as a reply to the operator.
fn say(on: &On<'_>, via: Via, text: String) -> HandlerResult {
    match via {
        Via::Button(m) => edit(on, m, text, None),
        Via::Reply(m) => post(on, m, text, None, false),
    }
}

/// The form's current question. After a button, one with buttons replaces the pressed
/// message; one answered by a reply is a new message (Telegram's «reply» request cannot be
/// added by an edit) and the pressed one keeps the answers without its buttons.
async fn show(on: &On<'_>, form: &Form, via: Via, error: Option<String>) -> HandlerResult {
    let screen = match form {
        Form::Outage(d) => outage::screen(on, d).await?,
        Form::Extend { outage } => outage::extend_screen(on, *outage).await?,
        Form::Note { outage } => note::screen(on, *outage).await?,
        Form::Announce(d) => announce::screen(on, d).await?,
    };
    let text = match error {
        Some(e) => format!("⚠️ {e}\n\n{}", screen.text),
        None => screen.text,
    };
    match (via, screen.buttons) {
        (Via::Button(m), Some(k)) => {
            on.deps.store.set_form_prompt(on.form, Some(i64::from(m.0))).await?;
            edit(on, m, text, Some(k))
        }
        // A new question: until Telegram has taken it, a reply to the bot's latest message
        // in the group is taken as the answer (see `on_reply`).
        (Via::Button(m), None) => {
            on.deps.store.set_form_prompt(on.form, None).await?;
            edit(on, m, answered(&text), None)?;
            post(on, m, text, None, true)
        }
        (Via::Reply(m), k) => {
            on.deps.store.set_form_prompt(on.form, None).await?;
            let force = k.is_none();
            post(on, m, text, k, force)
        }
    }
}

/// A question's text without the question: what was answered (the part before the blank line).
fn answered(text: &str) -> String {
    text.rsplit_once("\n\n").map_or(text, |(a, _)| a).to_owned()
}

/// Posts a message of the form's in the group as a reply to `to`; a question (`prompt`) or
/// one with buttons becomes the message the form's next answer replies to.
fn post(
    on: &On<'_>,
    to: MessageId,
    text: String,
    buttons: Option<InlineKeyboardMarkup>,
    prompt: bool,
) -> HandlerResult {
    let (tg, store, group, form) = (on.deps.tg.clone(), on.deps.store.clone(), on.group, on.form);
    let record = prompt || buttons.is_some();
    let markup = match buttons {
        Some(k) => Some(ReplyMarkup::InlineKeyboard(k)),
        None if prompt => Some(ReplyMarkup::ForceReply(ForceReply::new().selective())),
        None => None,
    };
    let extras = Extras {
        markup,
        reply_to: Some(to),
        thread: None,
    };
    on.deps.tg.queue(group, async move {
        match tg.send(group, Priority::Reply, &text, extras).await {
            Ok(sent) => {
                if let (true, Some(last)) = (record, sent.last())
                    && let Err(e) = store.set_form_prompt(form, Some(i64::from(last.0))).await
                {
                    tracing::error!(error = %e, "a form's question was not recorded");
                }
            }
            Err(e) => tracing::warn!(error = %e, "a form's message to the operators' group was not sent"),
        }
    });
    Ok(())
}

fn edit(on: &On<'_>, message: MessageId, text: String, buttons: Option<InlineKeyboardMarkup>) -> HandlerResult {
    super::edit_in_group(on.deps, on.group, message, text, buttons)
}
