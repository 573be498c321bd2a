//! Appeals, complaints, requests and document requests at the desk: taken is in progress,
//! «Закрыть», «Открыть снова», and the answer (a push, and a copy by e-mail when asked for).

use super::{Answer, Kind, On, Reply, Result};
use crate::bot::deps::HandlerResult;
use crate::callback::TicketsCb;
use crate::desk::notices;
use crate::domain::items::DeskAction;
use crate::domain::tickets::TicketStatus;
use crate::i18n;
use crate::store::outbox::OutboxMessage;
use crate::wording;

pub(super) struct Ticket;

#[async_trait::async_trait]
impl Kind for Ticket {
    async fn act(&self, on: &On<'_>, action: DeskAction) -> Result<Answer> {
        match action {
            DeskAction::Close => status(on, TicketStatus::Closed, "desk.push.closed").await?,
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

    /// An answer: a push to every chat, and a copy by e-mail when asked for.
    async fn reply(&self, r: &Reply<'_>, _pending: Option<DeskAction>) -> Result<&'static str> {
        let on = &r.on;
        let deps = on.deps;
        let id = on.item.id;
        let mut n = notices(
            &deps.store,
            &deps.config,
            on.c.consumer_id,
            "desk.push.answer",
            &on.c.number,
            r.text,
            TicketsCb::Ticket(id),
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
        let name = acc.name.as_deref().map(|n| wording::addressed(acc.kind, n));
        match name {
            Some(name) => i18n::tf(loc, "desk.mail.hello_name", &[("name", &name)]),
            None => i18n::t(loc, "desk.mail.hello"),
        }
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
