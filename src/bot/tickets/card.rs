//! An item's card: its fields, the whole conversation with its files, and what can be done
//! with it now («Дополнить», «Вопрос решён», «Не решено»).

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::files;
use crate::bot::outcome::Outcome;
use crate::bot::ui::{self, esc};
use crate::callback::{Buttons, TicketsCb};
use crate::domain::items::Author;
use crate::domain::tickets::TicketSection;
use crate::store::tickets::Ticket;
use teloxide::types::InlineKeyboardButton;

type Result<T> = std::result::Result<T, HandlerError>;

/// The caller's ticket with this id (none for someone else's).
pub async fn owned(ctx: &Ctx, ticket_id: i64) -> Result<Option<Ticket>> {
    let Some(user) = ctx.user() else { return Ok(None) };
    Ok(ctx.store().ticket(user.id, ticket_id).await?)
}

pub async fn not_found(ctx: &Ctx) -> Result<Outcome> {
    ctx.say(ctx.t("ticket.not_found")).await?;
    Ok(Outcome::Done)
}

pub async fn show(ctx: &Ctx, ticket_id: i64) -> Result<Outcome> {
    let Some(tk) = owned(ctx, ticket_id).await? else {
        return not_found(ctx).await;
    };
    let mut text = ctx.tf(
        "ticket.card",
        &[
            ("kind", &ctx.t(tk.kind.key())),
            ("number", &esc(&tk.number)),
            ("topic", &esc(&tk.topic)),
            ("status", &crate::wording::ticket_status(ctx.loc, &tk)),
            ("created", &ctx.date(tk.created_at)),
            ("deadline", &ctx.date(tk.deadline)),
        ],
    );
    text.push_str(&crate::desk::field_lines(ctx.loc, &tk.fields()));
    let messages = ctx.store().ticket_messages(tk.id).await?;
    let files = ctx.store().ticket_files(tk.id).await?;
    let mut rows = Vec::new();
    for m in &messages {
        let who = match m.author {
            Author::Operator => ctx.t("ticket.from_utility"),
            Author::User => ctx.t("ticket.from_you"),
        };
        text.push_str(&format!("\n\n<b>{who}</b>, {}", ctx.date(m.created_at)));
        if let Some(body) = &m.text {
            text.push_str(&format!("\n{}", esc(body)));
        }
        for f in files.iter().filter(|f| f.owner_id == m.id) {
            let place = files.iter().position(|x| x.id == f.id).unwrap_or_default() + 1;
            let name = crate::wording::file_label(ctx.loc, f.name.as_deref(), f.mime.as_deref(), place);
            text.push_str(&format!("\n📎 {}", esc(&name)));
            rows.push(vec![InlineKeyboardButton::callback(
                format!("📎 {name}"),
                TicketsCb::File(f.id).encode(),
            )]);
        }
    }
    // Telegram's limit for one message: a very long conversation shows its end, cut between
    // whole paragraphs, never inside a tag (finding 10).
    if crate::telegram::split::shown_len(&text) > crate::telegram::TEXT_LIMIT {
        let parts = crate::telegram::split::split(&text, crate::telegram::TEXT_LIMIT - 2);
        text = format!("…\n{}", parts.last().cloned().unwrap_or_default());
    }
    if tk.status.is_open() {
        rows.push(ui::row(ctx.loc, "ticket.add", TicketsCb::TicketAdd(tk.id)));
        rows.push(ui::row(ctx.loc, "ticket.close", TicketsCb::TicketClose(tk.id)));
    }
    if tk.status.can_reopen() {
        rows.push(ui::row(ctx.loc, "ticket.reopen", TicketsCb::TicketReopen(tk.id)));
    }
    rows.push(ui::row(
        ctx.loc,
        "ticket.to_list",
        TicketsCb::TicketList(TicketSection::of(tk.kind), 0),
    ));
    if tk.unread_for_user {
        ctx.store().mark_ticket_read(tk.id).await?;
    }
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

/// «Вопрос решён».
pub async fn close(ctx: &Ctx, ticket_id: i64) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let finish = ctx.finish(vec![]);
    if !ctx
        .store()
        .close_ticket(user.id, ticket_id, ctx.now(), Some(&finish))
        .await?
    {
        return not_found(ctx).await;
    }
    ctx.outbox_written();
    ctx.say(ctx.t("ticket.closed")).await?;
    show(ctx, ticket_id).await
}

/// A file of the caller's ticket: by its Telegram id, or from the stored copy.
pub async fn send_file(ctx: &Ctx, attachment_id: i64) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    match ctx.store().ticket_file(user.id, attachment_id).await? {
        Some(f) => {
            files::send_attachment(ctx, f).await?;
            Ok(Outcome::Done)
        }
        None => not_found(ctx).await,
    }
}
