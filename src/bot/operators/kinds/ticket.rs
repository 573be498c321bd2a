//! Appeals, complaints, requests and document requests at the desk: taken is in progress,
//! «Закрыть» (with a reason and an optional explanation), «Открыть снова», and the answer (a push, and a copy by e-mail when asked for).

use super::{Answer, Kind, On, Reply, Result};
use crate::bot::deps::HandlerResult;
use crate::callback::{Buttons, DeskCb, TicketsCb};
use crate::desk::{notices, rated_notices};
use crate::domain::items::{CloseReason, DeskAction};
use crate::domain::tickets::TicketStatus;
use crate::i18n;
use crate::store::outbox::OutboxMessage;
use crate::wording;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

pub(super) struct Ticket;

#[async_trait::async_trait]
impl Kind for Ticket {
    async fn act(&self, on: &On<'_>, action: DeskAction) -> Result<Answer> {
        match action {
            // «Закрыть» asks why; the reason asks for an explanation (a reply) or none.
            DeskAction::Close | DeskAction::CloseWhy(_) | DeskAction::CloseNow(_) if !is_open(on).await? => {
                return Ok(Answer::Only(i18n::tf(
                    on.loc(),
                    "desk.already_closed",
                    &[("number", &on.c.number)],
                )));
            }
            DeskAction::Close => return Ok(ask_why(on)),
            DeskAction::CloseWhy(reason) => {
                on.deps.store.set_pending(on.op, on.item, action, on.now).await?;
                return Ok(ask_explanation(on, reason));
            }
            DeskAction::CloseNow(reason) => {
                on.deps.store.take_pending(on.op, on.item).await?;
                close(on, reason, None, &[]).await?;
            }
            // A second press, or one on an old card, finds it open already: nothing to do.
            DeskAction::Reopen => {
                let closed = on
                    .deps
                    .store
                    .ticket_by_id(on.item.id)
                    .await?
                    .is_some_and(|t| !t.status.is_open());
                if closed {
                    status(on, TicketStatus::InProgress, "desk.push.in_progress").await?;
                }
            }
            _ => {}
        }
        Ok(Answer::Done)
    }

    async fn taken(&self, on: &On<'_>) -> HandlerResult {
        status(on, TicketStatus::InProgress, "desk.push.in_progress").await
    }

    async fn refusal(&self, on: &On<'_>) -> Result<Option<String>> {
        let ticket = on.deps.store.ticket_by_id(on.item.id).await?;
        Ok(ticket
            .filter(|t| !t.status.is_open())
            .map(|t| on.closed(&i18n::t(on.loc(), t.status.label_key(t.kind)))))
    }

    /// An answer: a push to every chat, and a copy by e-mail when asked for. After a reason
    /// for closing was chosen: the explanation, and the ticket closed with it.
    async fn reply(&self, r: &Reply<'_>, pending: Option<DeskAction>) -> Result<&'static str> {
        let on = &r.on;
        if let Some(DeskAction::CloseWhy(reason)) = pending {
            close(on, reason, r.text, r.files).await?;
            return Ok("desk.closed_with");
        }
        let deps = on.deps;
        let id = on.item.id;
        let text = r.text.map(str::to_owned);
        let mut n = rated_notices(
            &deps.store,
            &deps.config,
            on.c.consumer_id,
            "desk.push.answer",
            &on.c.number,
            |_| text.clone(),
            TicketsCb::Ticket(id),
            Some(id),
        )
        .await?;
        if let Some(letter) = email_copy(r).await? {
            n.push(letter);
        }
        deps.store
            .add_operator_answer(id, on.op, r.text, r.files, &n, on.now)
            .await?;
        Ok("desk.sent")
    }
}

async fn is_open(on: &On<'_>) -> Result<bool> {
    let t = on.deps.store.ticket_by_id(on.item.id).await?;
    Ok(t.is_some_and(|t| t.status.is_open()))
}

/// «Почему закрываем?»: a button per reason.
fn ask_why(on: &On<'_>) -> Answer {
    let loc = on.loc();
    let rows = CloseReason::ALL
        .iter()
        .map(|r| {
            btn(
                loc,
                r.key(),
                DeskCb::Act(on.item.kind, on.item.id, DeskAction::CloseWhy(*r)),
            )
        })
        .collect::<Vec<_>>();
    let text = i18n::tf(loc, "desk.close_why", &[("number", &on.c.number)]);
    Answer::Ask(text, InlineKeyboardMarkup::new(rows))
}

/// The reason chosen: a reply to the card explains it, or «Закрыть без пояснения».
fn ask_explanation(on: &On<'_>, reason: CloseReason) -> Answer {
    let loc = on.loc();
    let now = DeskAction::CloseNow(reason);
    let rows = vec![btn(loc, "desk.close_now", DeskCb::Act(on.item.kind, on.item.id, now))];
    let text = i18n::tf(
        loc,
        "desk.close_explain",
        &[("number", &on.c.number), ("reason", &i18n::t(loc, reason.key()))],
    );
    Answer::Ask(text, InlineKeyboardMarkup::new(rows))
}

fn btn(loc: &str, key: &str, cb: DeskCb) -> Vec<InlineKeyboardButton> {
    vec![InlineKeyboardButton::callback(i18n::t(loc, key), cb.encode())]
}

/// Closed by the desk with its reason and the operator's explanation (if any): the consumer's
/// push says both, in the consumer's language. A second press finds it closed: nothing more.
async fn close(
    on: &On<'_>,
    reason: CloseReason,
    text: Option<&str>,
    files: &[crate::store::tickets::DeliveredFile<'_>],
) -> HandlerResult {
    let deps = on.deps;
    let Some(ticket) = deps.store.ticket_by_id(on.item.id).await? else {
        return Ok(());
    };
    let detail = |loc: &str| {
        let mut d = i18n::tf(loc, "desk.push.reason", &[("reason", &i18n::t(loc, reason.key()))]);
        if let Some(t) = text.filter(|t| !t.trim().is_empty()) {
            d.push_str(&format!("\n{t}"));
        }
        Some(d)
    };
    let n = rated_notices(
        &deps.store,
        &deps.config,
        on.c.consumer_id,
        &format!("desk.push.closed.{}", ticket.kind),
        &on.c.number,
        detail,
        TicketsCb::Ticket(on.item.id),
        Some(on.item.id),
    )
    .await?;
    deps.store
        .close_ticket_by_desk(on.item.id, on.op, reason, text, files, &n, on.now)
        .await?;
    Ok(())
}

/// The answer's copy by e-mail, when the consumer asked for one and has an address.
async fn email_copy(r: &Reply<'_>) -> Result<Option<OutboxMessage>> {
    let (deps, loc) = (r.on.deps, r.on.loc());
    let Some(t) = deps.store.ticket_by_id(r.on.item.id).await? else {
        return Ok(None);
    };
    let acc = match t.email_copy {
        true => deps.store.consumer(t.consumer_id).await?,
        false => None,
    };
    let Some((acc, to)) = acc.and_then(|a| a.email.clone().map(|e| (a, e))) else {
        return Ok(None);
    };
    let text = r.text.unwrap_or("");
    let org = deps.config.org_signature(loc);
    // By name; and the operator's own greeting is not preceded by a second one.
    let greeting = if wording::starts_with_greeting(text) {
        String::new()
    } else {
        wording::letter_hello(loc, acc.kind, acc.name.as_deref())
    };
    let mut body = i18n::tf(
        loc,
        "desk.mail.body",
        &[
            ("hello", &greeting),
            ("number", &t.number),
            ("text", text),
            ("org", &org),
        ],
    );
    if !r.files.is_empty() {
        body.push_str(&format!("\n\n{}", i18n::t(loc, "desk.mail.files")));
    }
    Ok(Some(OutboxMessage::Email {
        to,
        subject: i18n::tf(loc, "desk.mail.subject", &[("number", &t.number), ("org", &org)]),
        body,
        code: false,
    }))
}

/// A ticket's status set by the desk, with the consumer told in the same transaction (the
/// push's words agree with the ticket's kind: `push_key.{kind}`).
async fn status(on: &On<'_>, status: TicketStatus, push_key: &str) -> HandlerResult {
    let deps = on.deps;
    let id = on.item.id;
    let Some(ticket) = deps.store.ticket_by_id(id).await? else {
        return Ok(());
    };
    let n = notices(
        &deps.store,
        &deps.config,
        on.c.consumer_id,
        &format!("{push_key}.{}", ticket.kind),
        &on.c.number,
        None,
        TicketsCb::Ticket(id),
    )
    .await?;
    deps.store.set_ticket_status_by_desk(id, status, &n, on.now).await?;
    Ok(())
}
