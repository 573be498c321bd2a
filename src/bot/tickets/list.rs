//! The lists of the menu's sections: «Обращения и жалобы», «Запросы», «Документы» (with the
//! documents delivered on them and on connection applications).

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::ui::{self, esc};
use crate::callback::{Buttons, ConnCb, TicketsCb};
use crate::domain::items::Author;
use crate::domain::tickets::{TicketKind, TicketSection};
use teloxide::types::InlineKeyboardButton;

type Result<T> = std::result::Result<T, HandlerError>;

const PER_PAGE: i64 = 8;

pub async fn show(ctx: &Ctx, section: TicketSection, page: u8) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let (items, more) = ctx
        .store()
        .tickets_of(user.id, section.kinds(), i64::from(page), PER_PAGE)
        .await?;
    let title = ctx.t(match section {
        TicketSection::Appeals => "menu.tickets",
        TicketSection::Requests => "menu.requests",
        TicketSection::Documents => "menu.documents",
    });
    let mut text = format!("<b>{title}</b>");
    if items.is_empty() {
        text.push_str(&format!("\n\n{}", ctx.t("ticket.empty")));
    }
    let mut rows = Vec::new();
    for tk in &items {
        let unread = if tk.unread_for_user { "🔔 " } else { "" };
        text.push_str(&format!(
            "\n\n{unread}<b>{}</b> · {} · {}\n{} — {}",
            esc(&tk.number),
            ctx.date(tk.created_at),
            ctx.t(tk.kind.key()),
            esc(&tk.topic),
            ctx.t(tk.status.label_key(tk.kind)),
        ));
        rows.push(vec![InlineKeyboardButton::callback(
            format!("{unread}{} · {}", tk.number, tk.topic),
            TicketsCb::Ticket(tk.id).encode(),
        )]);
        if tk.kind == TicketKind::Document {
            rows.extend(delivered(ctx, tk.id).await?);
        }
    }
    // Documents issued on connection applications are delivered documents too.
    if section == TicketSection::Documents && page == 0 {
        let issued = ctx.store().issued_documents(user.id).await?;
        if !issued.is_empty() {
            text.push_str(&format!("\n\n<b>{}</b>", ctx.t("ticket.issued_on_connection")));
        }
        for (place, (number, f)) in issued.into_iter().enumerate() {
            let name = crate::wording::file_label(ctx.loc, f.name.as_deref(), f.mime.as_deref(), place + 1);
            text.push_str(&format!("\n{} — {}", esc(&number), esc(&name)));
            rows.push(vec![InlineKeyboardButton::callback(
                format!("📄 {name}"),
                ConnCb::ConnFile(f.id).encode(),
            )]);
        }
    }
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(ui::button(
            ctx.loc,
            "history.newer",
            TicketsCb::TicketList(section, page - 1),
        ));
    }
    if more {
        nav.push(ui::button(
            ctx.loc,
            "history.older",
            TicketsCb::TicketList(section, page + 1),
        ));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

/// The documents an operator sent on a document request: a button each.
async fn delivered(ctx: &Ctx, ticket_id: i64) -> Result<Vec<Vec<InlineKeyboardButton>>> {
    let messages = ctx.store().ticket_messages(ticket_id).await?;
    let mut rows = Vec::new();
    for (place, f) in ctx.store().ticket_files(ticket_id).await?.into_iter().enumerate() {
        let from_operator = messages
            .iter()
            .any(|m| m.id == f.owner_id && m.author == Author::Operator);
        if from_operator {
            let name = crate::wording::file_label(ctx.loc, f.name.as_deref(), f.mime.as_deref(), place + 1);
            rows.push(vec![InlineKeyboardButton::callback(
                format!("📄 {name}"),
                TicketsCb::File(f.id).encode(),
            )]);
        }
    }
    Ok(rows)
}
