//! «Технологическое присоединение» in the menu: applications by network, listed by object
//! name; an application's card with its status history and files.

use super::view::{display, label};
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::files;
use crate::bot::outcome::Outcome;
use crate::bot::ui::{self, esc};
use crate::callback::{Buttons, ConnCb};
use crate::domain::connection::{self as conn, ConnKind};
use crate::domain::items::FileOwner;
use crate::store::connection::Application;
use teloxide::types::InlineKeyboardButton;

type Result<T> = std::result::Result<T, HandlerError>;

const PER_PAGE: i64 = 10;

pub async fn show_section(ctx: &Ctx) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let counts = ctx.store().application_count(user.id).await?;
    // A draft is continued from here (the menu shows the section for it).
    let drafts = ctx.store().draft_kinds(user.id).await?;
    let rows = drafts
        .into_iter()
        .map(|k| {
            let text = ctx.tf("conn.draft_row", &[("kind", &ctx.t(k.key()))]);
            vec![InlineKeyboardButton::callback(text, ConnCb::ConnResume(k).encode())]
        })
        .chain(ConnKind::ALL.into_iter().map(|k| {
            let n = counts.iter().find(|(kind, _)| *kind == k).map(|(_, n)| *n).unwrap_or(0);
            let text = format!("{} ({n})", ctx.t(k.group_key()));
            vec![InlineKeyboardButton::callback(text, ConnCb::ConnGroup(k, 0).encode())]
        }))
        .chain([ui::row(ctx.loc, "conn.new_again", ConnCb::NewConn)])
        .collect();
    ctx.say_with(ctx.t("conn.section"), ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

pub async fn show_group(ctx: &Ctx, kind: ConnKind, page: u8) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let (apps, more) = ctx
        .store()
        .applications_of(user.id, kind, i64::from(page), PER_PAGE)
        .await?;
    let column = label(ctx.loc, kind, "object_name");
    let mut text = format!(
        "<b>{}</b>\n{}",
        ctx.t(kind.group_key()),
        ctx.tf("conn.by_name", &[("column", &column)])
    );
    if apps.is_empty() {
        text.push_str(&format!("\n\n{}", ctx.t("ticket.empty")));
    }
    let mut rows: Vec<Vec<InlineKeyboardButton>> = apps
        .iter()
        .map(|a| {
            vec![InlineKeyboardButton::callback(
                a.object_name.clone(),
                ConnCb::ConnApp(a.id).encode(),
            )]
        })
        .collect();
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(ui::button(ctx.loc, "history.newer", ConnCb::ConnGroup(kind, page - 1)));
    }
    if more {
        nav.push(ui::button(ctx.loc, "history.older", ConnCb::ConnGroup(kind, page + 1)));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

/// The caller's application with this id (none for someone else's).
pub async fn owned(ctx: &Ctx, id: i64) -> Result<Option<Application>> {
    let Some(user) = ctx.user() else { return Ok(None) };
    Ok(ctx.store().application(user.id, id).await?)
}

pub async fn not_found(ctx: &Ctx) -> Result<Outcome> {
    ctx.say(ctx.t("conn.not_found")).await?;
    Ok(Outcome::Done)
}

pub async fn show_card(ctx: &Ctx, id: i64) -> Result<Outcome> {
    let Some(app) = owned(ctx, id).await? else {
        return not_found(ctx).await;
    };
    let kind = app.kind;
    let values: conn::Values = serde_json::from_str(&app.fields).unwrap_or_default();
    let mut text = ctx.tf(
        "conn.card",
        &[
            ("kind", &ctx.t(kind.key())),
            ("number", &esc(&app.number)),
            ("status", &ctx.t(app.status.key())),
        ],
    );
    for f in kind.fields() {
        if let Some(v) = values.get(f.key) {
            text.push_str(&format!(
                "\n{}: {}",
                label(ctx.loc, kind, f.key),
                esc(&display(ctx.loc, f, v))
            ));
        }
    }
    text.push_str(&format!("\n\n<b>{}</b>", ctx.t("conn.history")));
    for (status, note, at) in ctx.store().application_history(app.id).await? {
        text.push_str(&format!("\n{} — {}", ctx.date(at), ctx.t(status.key())));
        if let Some(n) = note {
            text.push_str(&format!(": {}", esc(&n)));
        }
    }
    let mut rows = Vec::new();
    for (place, (owner, f)) in ctx.store().application_files(app.id).await?.into_iter().enumerate() {
        let name = crate::wording::file_label(ctx.loc, f.name.as_deref(), f.mime.as_deref(), place + 1);
        let icon = if owner == FileOwner::ConnectionIssued {
            "📄"
        } else {
            "📎"
        };
        rows.push(vec![InlineKeyboardButton::callback(
            format!("{icon} {name}"),
            ConnCb::ConnFile(f.id).encode(),
        )]);
    }
    if !app.status.is_final() {
        rows.push(ui::row(ctx.loc, "conn.add", ConnCb::ConnAdd(app.id)));
    }
    rows.push(ui::row(ctx.loc, "ticket.to_list", ConnCb::ConnGroup(kind, 0)));
    // Cut at Telegram's limit without breaking a tag (finding 10).
    let text = crate::telegram::split::truncate(&text, crate::telegram::TEXT_LIMIT);
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

pub async fn send_file(ctx: &Ctx, attachment_id: i64) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    match ctx.store().application_file(user.id, attachment_id).await? {
        Some(f) => {
            files::send_attachment(ctx, f).await?;
            Ok(Outcome::Done)
        }
        None => not_found(ctx).await,
    }
}
