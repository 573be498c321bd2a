//! Appeals, complaints, requests and document requests: filing them, the lists of the menu
//! sections, an item's card with its whole conversation, follow-ups, closing and reopening,
//! and downloading the files. Every id from a button is looked up with the caller's account.

use super::files::{self};
use super::state::{State, TicketForm, TicketStep};
use super::{Ctx, HandlerError, HandlerResult, esc, keyboards, menu, meters, start};
use crate::callback::Cb;
use crate::domain::tickets::{self, TextError, TicketKind, TicketSection, TicketStatus};
use crate::i18n::plural;
use crate::store::tickets::{NewTicket, Ticket, UserMessage};
use chrono::Duration;
use teloxide::prelude::*;
use teloxide::types::InlineKeyboardButton;

pub use crate::policy::FOLLOW_UPS_PER_DAY;
pub use crate::policy::TICKET_FILES as MAX_FILES;
pub use crate::policy::TICKETS_PER_DAY as PER_DAY;
const PER_PAGE: i64 = 8;

/// Photos, PDF and Word documents.
const ALLOWED: &[&str] = &[
    "application/pdf",
    ".pdf",
    "image/jpeg",
    "image/png",
    ".jpg",
    ".jpeg",
    ".png",
    "application/msword",
    ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docx",
];

const DOC_TYPES: [&str; 7] = [
    "contract",
    "tc_act",
    "tech_conditions",
    "meter_act",
    "reconciliation",
    "invoice",
    "other",
];

fn b(loc: &str, key: &str, cb: Cb) -> Vec<InlineKeyboardButton> {
    vec![keyboards::button(loc, key, cb)]
}

fn kind_key(k: TicketKind) -> String {
    format!("ticket.kind.{}", k.as_str())
}

/// The topics offered for a kind: from configuration when set there, else the defaults.
fn topics(ctx: &Ctx, kind: TicketKind) -> Vec<String> {
    let (configured, keys): (&Option<String>, &[&str]) = match kind {
        TicketKind::Request => (
            &ctx.deps.config.request_topics,
            &["tariffs", "reconciliation", "certificates", "other"],
        ),
        _ => (
            &ctx.deps.config.appeal_topics,
            &["quality", "charges", "meters", "outages", "connection", "other"],
        ),
    };
    match configured {
        Some(list) => list
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        None => {
            let group = if kind == TicketKind::Request {
                "request"
            } else {
                "appeal"
            };
            keys.iter().map(|k| ctx.t(&format!("topic.{group}.{k}"))).collect()
        }
    }
}

fn deadline_days(ctx: &Ctx, kind: TicketKind) -> i64 {
    let c = &ctx.deps.config;
    i64::from(match kind {
        TicketKind::Appeal => c.appeal_answer_days,
        TicketKind::Complaint => c.complaint_answer_days,
        TicketKind::Request => c.request_answer_days,
        TicketKind::Document => c.document_answer_days,
    })
}

pub fn handles(cb: Cb, state: &State) -> bool {
    matches!(state, State::TicketNew { .. } | State::TicketFollowUp { .. })
        || matches!(
            cb,
            Cb::NewTicket(_)
                | Cb::TicketList(..)
                | Cb::Ticket(_)
                | Cb::TicketAdd(_)
                | Cb::TicketClose(_)
                | Cb::TicketReopen(_)
                | Cb::File(_)
        )
}

// ---------------------------------------------------------------- filing

pub async fn begin(ctx: &Ctx, kind: TicketKind) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return start::show_home(ctx).await;
    };
    if ctx
        .store()
        .rate_count(&format!("ticket:{}", user.id), ctx.now(), Duration::days(1))
        .await?
        >= PER_DAY
    {
        return ctx
            .say(ctx.tf("ticket.too_many", &[("max", &PER_DAY.to_string())]))
            .await;
    }
    go(ctx, kind, TicketForm::default()).await
}

async fn go(ctx: &Ctx, kind: TicketKind, mut form: TicketForm) -> HandlerResult {
    // No meters: the question about one is not asked.
    if form.next(kind) == TicketStep::Meter
        && let Some(u) = ctx.user()
        && ctx.store().active_meter_count(u.id).await? == 0
    {
        form.done.push(TicketStep::Meter);
    }
    ctx.set(State::TicketNew {
        kind,
        form: form.clone(),
    })
    .await?;
    prompt_new(ctx, kind, &form).await
}

/// Marks `step` answered and goes on.
async fn answered(ctx: &Ctx, kind: TicketKind, mut form: TicketForm, step: TicketStep) -> HandlerResult {
    if !form.done.contains(&step) {
        form.done.push(step);
    }
    go(ctx, kind, form).await
}

async fn prompt_new(ctx: &Ctx, kind: TicketKind, f: &TicketForm) -> HandlerResult {
    let loc = ctx.loc;
    let step = f.next(kind);
    let nav = keyboards::nav_row(loc, !f.done.is_empty());
    let skip = || b(loc, "common.skip", Cb::Skip);
    let (text, rows): (String, Vec<Vec<InlineKeyboardButton>>) = match step {
        TicketStep::Topic => {
            let mut rows: Vec<_> = topics(ctx, kind)
                .into_iter()
                .enumerate()
                .map(|(i, tp)| vec![InlineKeyboardButton::callback(tp, Cb::Topic(i as u8).encode())])
                .collect();
            rows.push(nav);
            (ctx.t("ticket.topic_q"), rows)
        }
        TicketStep::Text => (
            ctx.tf("ticket.text_q", &[("max", &tickets::MAX_TEXT.to_string())]),
            vec![nav],
        ),
        TicketStep::Address => (ctx.t("ticket.address_q"), vec![skip(), nav]),
        TicketStep::Meter => {
            let list = match ctx.user() {
                Some(u) => ctx.store().meters_of(u.id).await?,
                None => vec![],
            };
            let mut rows: Vec<_> = list
                .iter()
                .map(|m| {
                    vec![InlineKeyboardButton::callback(
                        format!("{} {} · {}", m.resource.icon(), m.serial, m.place),
                        Cb::TicketMeter(m.id).encode(),
                    )]
                })
                .collect();
            rows.push(skip());
            rows.push(nav);
            (ctx.t("ticket.meter_q"), rows)
        }
        TicketStep::ViolationAt => (ctx.t("ticket.violation_q"), vec![nav]),
        TicketStep::Files => {
            let n = f.files.len() as u64;
            let first = if n > 0 {
                b(loc, "req.files_done", Cb::Done)
            } else {
                b(loc, "common.skip", Cb::Done)
            };
            let text = ctx.tf(
                "ticket.files_q",
                &[
                    ("max", &MAX_FILES.to_string()),
                    ("count", &plural(loc, "plural.files", n)),
                ],
            );
            (text, vec![first, nav])
        }
        TicketStep::EmailCopy => {
            let email = ctx
                .user()
                .map(|u| crate::domain::person::mask_email(u.email()))
                .unwrap_or_default();
            let rows = vec![
                b(loc, "ticket.email_yes", Cb::Yes),
                b(loc, "ticket.email_no", Cb::No),
                nav,
            ];
            (ctx.tf("ticket.email_q", &[("email", &esc(&email))]), rows)
        }
        TicketStep::DocType => {
            let mut rows: Vec<_> = DOC_TYPES
                .iter()
                .enumerate()
                .map(|(i, d)| b(loc, &format!("doc.{d}"), Cb::DocType(i as u8)))
                .collect();
            rows.push(nav);
            (ctx.t("ticket.doc_type_q"), rows)
        }
        TicketStep::DocTypeOther => (ctx.t("ticket.doc_type_other_q"), vec![nav]),
        TicketStep::Period => (ctx.t("ticket.period_q"), vec![skip(), nav]),
        TicketStep::Comment => (ctx.t("ticket.comment_q"), vec![skip(), nav]),
        TicketStep::Summary => {
            let rows = vec![b(loc, "req.send", Cb::Save), keyboards::nav_row(loc, true)];
            (summary(ctx, kind, f), rows)
        }
    };
    let title = ctx.t(&format!("ticket.new.{}", kind.as_str()));
    ctx.say_with(format!("<b>{title}</b>\n\n{text}"), keyboards::inline(rows))
        .await
}

fn summary(ctx: &Ctx, kind: TicketKind, f: &TicketForm) -> String {
    let mut lines = Vec::new();
    let mut add = |key: &str, v: &Option<String>| {
        if let Some(v) = v {
            lines.push(format!("{}: {}", ctx.t(key), esc(v)));
        }
    };
    add("ticket.f.topic", &f.topic);
    add("ticket.f.doc_type", &f.doc_type);
    add("ticket.f.period", &f.period);
    add("ticket.f.address", &f.address);
    add("ticket.f.meter", &f.meter_label);
    add("ticket.f.violation_at", &f.violation_at);
    add("ticket.f.comment", &f.comment);
    add("ticket.f.text", &f.text);
    if kind != TicketKind::Document {
        lines.push(format!(
            "{}: {}",
            ctx.t("ticket.f.files"),
            plural(ctx.loc, "plural.files", f.files.len() as u64)
        ));
        let copy = if f.email_copy == Some(true) {
            "ticket.email_yes"
        } else {
            "ticket.email_no"
        };
        lines.push(format!("{}: {}", ctx.t("ticket.f.email"), ctx.t(copy)));
    }
    format!("{}\n\n{}", ctx.t("ticket.summary"), lines.join("\n"))
}

fn text_problem(ctx: &Ctx, e: TextError) -> String {
    match e {
        TextError::Empty => ctx.t("common.text_expected"),
        TextError::TooLong { len } => ctx.tf(
            "ticket.text_too_long",
            &[("len", &len.to_string()), ("max", &tickets::MAX_TEXT.to_string())],
        ),
    }
}

async fn new_message(ctx: &Ctx, msg: &Message, kind: TicketKind, mut f: TicketForm) -> HandlerResult {
    let step = f.next(kind);
    if step == TicketStep::Files {
        return match files::file_of(msg, ALLOWED) {
            Ok(_) if f.files.len() >= MAX_FILES => {
                ctx.say(ctx.tf("files.too_many", &[("max", &MAX_FILES.to_string())]))
                    .await?;
                prompt_new(ctx, kind, &f).await
            }
            Ok(file) => {
                f.files.push(file);
                let n = f.files.len() as u64;
                ctx.set(State::TicketNew { kind, form: f }).await?;
                let kb = keyboards::inline(vec![b(ctx.loc, "req.files_done", Cb::Done)]);
                ctx.say_with(
                    ctx.tf("files.added", &[("count", &plural(ctx.loc, "plural.files", n))]),
                    kb,
                )
                .await
            }
            Err(p) => {
                ctx.say(meters::file_problem(ctx, p)).await?;
                prompt_new(ctx, kind, &f).await
            }
        };
    }
    let Some(text) = msg.text() else {
        ctx.say(ctx.t(
            if matches!(
                step,
                TicketStep::Topic
                    | TicketStep::DocType
                    | TicketStep::EmailCopy
                    | TicketStep::Meter
                    | TicketStep::Summary
            ) {
                "common.use_buttons"
            } else {
                "common.text_expected"
            },
        ))
        .await?;
        return prompt_new(ctx, kind, &f).await;
    };
    let problem = match step {
        TicketStep::Text => match tickets::parse_text(text) {
            Ok(t) => {
                f.text = Some(t);
                None
            }
            Err(e) => Some(text_problem(ctx, e)),
        },
        TicketStep::Address | TicketStep::DocTypeOther | TicketStep::Comment => {
            match crate::domain::meters::parse_short_text(text, 1000) {
                Some(v) => {
                    match step {
                        TicketStep::Address => f.address = Some(v),
                        TicketStep::DocTypeOther => f.doc_type = Some(v),
                        _ => f.comment = Some(v),
                    }
                    None
                }
                None => Some(ctx.tf("req.text_too_long", &[("max", "1000")])),
            }
        }
        TicketStep::ViolationAt => {
            let local_now = ctx.deps.config.local(ctx.now());
            match tickets::parse_moment(text, local_now) {
                Some(at) => {
                    f.violation_at = Some(at.format("%d.%m.%Y %H:%M").to_string());
                    None
                }
                None => Some(ctx.t("ticket.violation_bad")),
            }
        }
        TicketStep::Period => match tickets::parse_month_range(text) {
            Some(((y1, m1), (y2, m2))) => {
                f.period = Some(if (y1, m1) == (y2, m2) {
                    format!("{m1:02}.{y1}")
                } else {
                    format!("{m1:02}.{y1}–{m2:02}.{y2}")
                });
                None
            }
            None => Some(ctx.t("ticket.period_bad")),
        },
        _ => Some(ctx.t("common.use_buttons")),
    };
    match problem {
        Some(p) => {
            ctx.say(p).await?;
            prompt_new(ctx, kind, &f).await
        }
        None => answered(ctx, kind, f, step).await,
    }
}

async fn new_callback(ctx: &Ctx, cb: Cb, kind: TicketKind, mut f: TicketForm) -> HandlerResult {
    let step = f.next(kind);
    match (step, cb) {
        (_, Cb::Back) => {
            let Some(last) = f.done.pop() else {
                return start::cancel(ctx).await;
            };
            // What the undone step entered is asked again.
            match last {
                TicketStep::Files => f.files.clear(),
                TicketStep::DocType => f.doc_type_other = false,
                _ => {}
            }
            go(ctx, kind, f).await
        }
        (TicketStep::Topic, Cb::Topic(i)) => match topics(ctx, kind).get(usize::from(i)) {
            Some(tp) => {
                f.topic = Some(tp.clone());
                answered(ctx, kind, f, step).await
            }
            None => start::stale_button(ctx).await,
        },
        (TicketStep::DocType, Cb::DocType(i)) => match DOC_TYPES.get(usize::from(i)) {
            Some(&"other") => {
                f.doc_type_other = true;
                answered(ctx, kind, f, step).await
            }
            Some(d) => {
                f.doc_type = Some(ctx.t(&format!("doc.{d}")));
                f.topic = f.doc_type.clone();
                answered(ctx, kind, f, step).await
            }
            None => start::stale_button(ctx).await,
        },
        (TicketStep::Meter, Cb::TicketMeter(id)) => {
            let Some(user) = ctx.user() else { return Ok(()) };
            match ctx.store().meter(user.id, id).await? {
                Some(m) => {
                    f.meter_id = Some(m.id);
                    f.meter_label = Some(format!("{} {}", m.serial, m.place));
                    answered(ctx, kind, f, step).await
                }
                None => {
                    ctx.say(ctx.t("meters.not_found")).await?;
                    prompt_new(ctx, kind, &f).await
                }
            }
        }
        (TicketStep::Address | TicketStep::Meter | TicketStep::Period | TicketStep::Comment, Cb::Skip) => {
            answered(ctx, kind, f, step).await
        }
        (TicketStep::Files, Cb::Done) => answered(ctx, kind, f, step).await,
        (TicketStep::EmailCopy, Cb::Yes | Cb::No) => {
            f.email_copy = Some(cb == Cb::Yes);
            answered(ctx, kind, f, step).await
        }
        (TicketStep::Summary, Cb::Save) => submit(ctx, kind, f).await,
        _ => start::stale_button(ctx).await,
    }
}

async fn submit(ctx: &Ctx, kind: TicketKind, mut f: TicketForm) -> HandlerResult {
    let Some(user) = ctx.user() else { return Ok(()) };
    let key = format!("ticket:{}", user.id);
    let day = Duration::days(1);
    if ctx.store().rate_count(&key, ctx.now(), day).await? >= PER_DAY {
        ctx.reset().await?;
        return ctx
            .say(ctx.tf("ticket.too_many", &[("max", &PER_DAY.to_string())]))
            .await;
    }
    if kind == TicketKind::Document && f.topic.is_none() {
        f.topic = f.doc_type.clone();
    }
    let topic = f.topic.clone().unwrap_or_default();
    let fields = serde_json::json!({
        "address": f.address,
        "meter_id": f.meter_id,
        "meter": f.meter_label,
        "violation_at": f.violation_at,
        "doc_type": f.doc_type,
        "period": f.period,
        "comment": f.comment,
    });
    let deadline = ctx.now() + Duration::days(deadline_days(ctx, kind));
    let new = NewTicket {
        account_id: user.id,
        kind,
        topic: &topic,
        fields: &fields,
        text: f.text.as_deref(),
        files: &f.files,
        email_copy: f.email_copy == Some(true),
        deadline,
    };
    let local_deadline = ctx.deps.config.local_date(deadline);
    let finish = |id: i64, number: &str| {
        let text = ctx.tf(
            "ticket.sent",
            &[
                ("kind", &ctx.t(&kind_key(kind))),
                ("number", &esc(number)),
                ("deadline", &local_deadline),
            ],
        );
        let open = format!("ticket.open_this.{}", kind.as_str());
        let mut f = ctx.finish(vec![ctx.queued(text, &[&[(&open, Cb::Ticket(id))]])]);
        f.rate_keys.push(key.clone());
        f
    };
    let filed = ctx.store().create_ticket(&new, ctx.now(), Some(&finish)).await?;
    ctx.send_committed(&filed.replies).await?;
    // The section appears in the menu with the first item of its kind.
    menu::show_menu(ctx).await
}

// ---------------------------------------------------------------- lists and cards

fn status_text(ctx: &Ctx, s: TicketStatus) -> String {
    ctx.t(&format!("ticket.status.{}", s.as_str()))
}

fn local_date(ctx: &Ctx, at: chrono::DateTime<chrono::Utc>) -> String {
    ctx.deps.config.local_date(at)
}

pub async fn show_list(ctx: &Ctx, section: TicketSection, page: u8) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return start::show_home(ctx).await;
    };
    let kinds = section.kinds();
    let (items, more) = ctx
        .store()
        .tickets_of(user.id, kinds, i64::from(page), PER_PAGE)
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
            local_date(ctx, tk.created_at),
            ctx.t(&kind_key(tk.kind)),
            esc(&tk.topic),
            status_text(ctx, tk.status),
        ));
        rows.push(vec![InlineKeyboardButton::callback(
            format!("{unread}{} · {}", tk.number, tk.topic),
            Cb::Ticket(tk.id).encode(),
        )]);
        if tk.kind == TicketKind::Document {
            for f in ctx.store().ticket_files(tk.id).await? {
                if is_operator_file(ctx, tk.id, f.owner_id).await? {
                    let name = f.name.clone().unwrap_or_else(|| ctx.t("ticket.file"));
                    rows.push(vec![InlineKeyboardButton::callback(
                        format!("📄 {name}"),
                        Cb::File(f.id).encode(),
                    )]);
                }
            }
        }
    }
    // Documents issued on connection applications are delivered documents too.
    if section == TicketSection::Documents && page == 0 {
        let issued = ctx.store().issued_documents(user.id).await?;
        if !issued.is_empty() {
            text.push_str(&format!("\n\n<b>{}</b>", ctx.t("ticket.issued_on_connection")));
        }
        for (number, f) in issued {
            let name = f.name.clone().unwrap_or_else(|| ctx.t("ticket.file"));
            text.push_str(&format!("\n{} — {}", esc(&number), esc(&name)));
            rows.push(vec![InlineKeyboardButton::callback(
                format!("📄 {name}"),
                Cb::ConnFile(f.id).encode(),
            )]);
        }
    }
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(keyboards::button(
            ctx.loc,
            "history.newer",
            Cb::TicketList(section, page - 1),
        ));
    }
    if more {
        nav.push(keyboards::button(
            ctx.loc,
            "history.older",
            Cb::TicketList(section, page + 1),
        ));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    ctx.say_with(text, keyboards::inline(rows)).await
}

async fn is_operator_file(ctx: &Ctx, ticket_id: i64, message_id: i64) -> Result<bool, HandlerError> {
    Ok(ctx
        .store()
        .ticket_messages(ticket_id)
        .await?
        .iter()
        .any(|m| m.id == message_id && m.author == crate::domain::items::Author::Operator))
}

/// The optional fields of a ticket that were filled in, a line each (escaped), for the
/// consumer's card and the operators' card alike.
pub fn field_lines(loc: &str, fields: &serde_json::Value) -> String {
    let mut out = String::new();
    for (key, field) in [
        ("ticket.f.doc_type", "doc_type"),
        ("ticket.f.period", "period"),
        ("ticket.f.address", "address"),
        ("ticket.f.meter", "meter"),
        ("ticket.f.violation_at", "violation_at"),
        ("ticket.f.comment", "comment"),
    ] {
        if let Some(v) = fields.get(field).and_then(|v| v.as_str()) {
            out.push_str(&format!("\n{}: {}", crate::i18n::t(loc, key), esc(v)));
        }
    }
    out
}

async fn owned(ctx: &Ctx, ticket_id: i64) -> Result<Option<Ticket>, HandlerError> {
    let Some(user) = ctx.user() else { return Ok(None) };
    Ok(ctx.store().ticket(user.id, ticket_id).await?)
}

async fn not_found(ctx: &Ctx) -> HandlerResult {
    ctx.say(ctx.t("ticket.not_found")).await
}

pub async fn show_card(ctx: &Ctx, ticket_id: i64) -> HandlerResult {
    let Some(tk) = owned(ctx, ticket_id).await? else {
        return not_found(ctx).await;
    };
    let status = tk.status;
    let fields = tk.fields();
    let mut text = ctx.tf(
        "ticket.card",
        &[
            ("kind", &ctx.t(&kind_key(tk.kind))),
            ("number", &esc(&tk.number)),
            ("topic", &esc(&tk.topic)),
            ("status", &status_text(ctx, status)),
            ("created", &local_date(ctx, tk.created_at)),
            ("deadline", &local_date(ctx, tk.deadline)),
        ],
    );
    text.push_str(&field_lines(ctx.loc, &fields));
    let messages = ctx.store().ticket_messages(tk.id).await?;
    let files = ctx.store().ticket_files(tk.id).await?;
    let mut rows = Vec::new();
    for m in &messages {
        let who = if m.author == crate::domain::items::Author::Operator {
            ctx.t("ticket.from_utility")
        } else {
            ctx.t("ticket.from_you")
        };
        text.push_str(&format!("\n\n<b>{who}</b>, {}", local_date(ctx, m.created_at)));
        if let Some(body) = &m.text {
            text.push_str(&format!("\n{}", esc(body)));
        }
        for f in files.iter().filter(|f| f.owner_id == m.id) {
            let name = f.name.clone().unwrap_or_else(|| ctx.t("ticket.file"));
            text.push_str(&format!("\n📎 {}", esc(&name)));
            rows.push(vec![InlineKeyboardButton::callback(
                format!("📎 {name}"),
                Cb::File(f.id).encode(),
            )]);
        }
    }
    // Telegram's limit for one message; the beginning of a very long conversation is cut.
    if text.chars().count() > 4000 {
        let tail: String = text
            .chars()
            .rev()
            .take(3900)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        text = format!("…{tail}");
    }
    if status.is_open() {
        rows.push(b(ctx.loc, "ticket.add", Cb::TicketAdd(tk.id)));
        rows.push(b(ctx.loc, "ticket.close", Cb::TicketClose(tk.id)));
    }
    if status.can_reopen() {
        rows.push(b(ctx.loc, "ticket.reopen", Cb::TicketReopen(tk.id)));
    }
    let section = TicketSection::of(tk.kind);
    rows.push(b(ctx.loc, "ticket.to_list", Cb::TicketList(section, 0)));
    if tk.unread_for_user {
        ctx.store().mark_ticket_read(tk.id).await?;
    }
    ctx.say_with(text, keyboards::inline(rows)).await
}

/// Sends a file by its Telegram id; if that fails (another bot token, an expired id), from
/// the stored copy.
async fn send_file(ctx: &Ctx, attachment_id: i64) -> HandlerResult {
    let Some(user) = ctx.user() else { return Ok(()) };
    match ctx.store().ticket_file(user.id, attachment_id).await? {
        Some(f) => files::send_attachment(ctx, f).await,
        None => not_found(ctx).await,
    }
}

// ---------------------------------------------------------------- follow-ups

async fn begin_follow_up(ctx: &Ctx, ticket_id: i64, reopen: bool) -> HandlerResult {
    let Some(tk) = owned(ctx, ticket_id).await? else {
        return not_found(ctx).await;
    };
    let allowed = if reopen {
        tk.status.can_reopen()
    } else {
        tk.status.is_open()
    };
    if !allowed {
        ctx.say(ctx.t("ticket.not_now")).await?;
        return show_card(ctx, tk.id).await;
    }
    let s = State::TicketFollowUp {
        ticket_id: tk.id,
        reopen,
        text: None,
        files: vec![],
    };
    ctx.set(s.clone()).await?;
    prompt_follow_up(ctx, &s).await
}

async fn prompt_follow_up(ctx: &Ctx, s: &State) -> HandlerResult {
    let State::TicketFollowUp {
        reopen, text, files, ..
    } = s
    else {
        return Ok(());
    };
    let key = if *reopen { "ticket.reopen_q" } else { "ticket.add_q" };
    files::compose_prompt(ctx, key, text, files).await
}

async fn follow_up_message(ctx: &Ctx, msg: &Message, s: State) -> HandlerResult {
    let State::TicketFollowUp {
        ticket_id,
        reopen,
        mut text,
        mut files,
    } = s
    else {
        return Ok(());
    };
    files::compose_take(ctx, msg, &mut text, &mut files, ALLOWED, MAX_FILES).await?;
    let s = State::TicketFollowUp {
        ticket_id,
        reopen,
        text,
        files,
    };
    ctx.set(s.clone()).await?;
    prompt_follow_up(ctx, &s).await
}

async fn send_follow_up(ctx: &Ctx, s: State) -> HandlerResult {
    let State::TicketFollowUp {
        ticket_id,
        reopen,
        text,
        files,
    } = s
    else {
        return Ok(());
    };
    let Some(user) = ctx.user() else { return Ok(()) };
    if reopen && text.is_none() {
        ctx.say(ctx.t("ticket.reopen_needs_text")).await?;
        return prompt_follow_up(
            ctx,
            &State::TicketFollowUp {
                ticket_id,
                reopen,
                text,
                files,
            },
        )
        .await;
    }
    let key = format!("follow:{}", user.id);
    let day = Duration::days(1);
    if ctx.store().rate_count(&key, ctx.now(), day).await? >= FOLLOW_UPS_PER_DAY {
        ctx.reset().await?;
        return ctx
            .say(ctx.tf("ticket.follow_too_many", &[("max", &FOLLOW_UPS_PER_DAY.to_string())]))
            .await;
    }
    let done = ctx.t(if reopen { "ticket.reopened" } else { "ticket.added" });
    let mut finish = ctx.finish(vec![ctx.queued(done, &[])]);
    finish.rate_keys.push(key);
    let added = ctx
        .store()
        .add_user_message(
            user.id,
            ticket_id,
            &UserMessage {
                text: text.as_deref(),
                files: &files,
                reopen,
            },
            ctx.now(),
            Some(&finish),
        )
        .await?;
    let Some(replies) = added else {
        ctx.reset().await?;
        ctx.say(ctx.t("ticket.not_now")).await?;
        return show_card(ctx, ticket_id).await;
    };
    ctx.send_committed(&replies).await?;
    show_card(ctx, ticket_id).await
}

// ---------------------------------------------------------------- routing

pub async fn prompt(ctx: &Ctx, state: &State) -> HandlerResult {
    match state {
        State::TicketNew { kind, form } => prompt_new(ctx, *kind, form).await,
        State::TicketFollowUp { .. } => prompt_follow_up(ctx, state).await,
        _ => start::show_home(ctx).await,
    }
}

pub async fn on_message(ctx: &Ctx, msg: &Message, state: State) -> HandlerResult {
    if ctx.user().is_none() {
        ctx.reset().await?;
        return start::show_home(ctx).await;
    }
    match state {
        State::TicketNew { kind, form } => new_message(ctx, msg, kind, form).await,
        State::TicketFollowUp { .. } => follow_up_message(ctx, msg, state).await,
        _ => start::reprompt(ctx).await,
    }
}

pub async fn on_callback(ctx: &Ctx, cb: Cb, state: State) -> HandlerResult {
    if ctx.user().is_none() {
        return start::stale_button(ctx).await;
    }
    match cb {
        Cb::NewTicket(kind) => return begin(ctx, kind).await,
        Cb::TicketList(section, page) => {
            ctx.reset().await?;
            return show_list(ctx, section, page).await;
        }
        Cb::Ticket(id) => {
            ctx.reset().await?;
            return show_card(ctx, id).await;
        }
        Cb::TicketAdd(id) => return begin_follow_up(ctx, id, false).await,
        Cb::TicketReopen(id) => return begin_follow_up(ctx, id, true).await,
        Cb::TicketClose(id) => {
            let Some(user) = ctx.user() else { return Ok(()) };
            let finish = ctx.finish(vec![]);
            if !ctx.store().close_ticket(user.id, id, ctx.now(), Some(&finish)).await? {
                return not_found(ctx).await;
            }
            ctx.outbox_written();
            ctx.say(ctx.t("ticket.closed")).await?;
            return show_card(ctx, id).await;
        }
        Cb::File(id) => return send_file(ctx, id).await,
        _ => {}
    }
    match state {
        State::TicketNew { kind, form } => new_callback(ctx, cb, kind, form).await,
        State::TicketFollowUp { .. } if cb == Cb::Save => send_follow_up(ctx, state).await,
        _ => start::stale_button(ctx).await,
    }
}
