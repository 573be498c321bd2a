//! «Заявка на технологическое присоединение»: the three guided forms (one engine over the
//! field lists of `domain::connection`), drafts that survive leaving and restarts, the summary
//! with «Изменить» per field, and the section with applications listed by object name.

use super::files;
use super::state::{ConnDraft, State};
use super::{Ctx, HandlerError, HandlerResult, esc, keyboards, menu, meters, start};
use crate::callback::Cb;
use crate::domain::connection::{self as conn, ConnKind, Field, FieldError, FormError, Input};
use crate::i18n::plural;
use crate::store::connection::{Application, NewApplication};
use chrono::{Duration, NaiveDate};
use teloxide::prelude::*;
use teloxide::types::InlineKeyboardButton;

pub use crate::policy::CONNECTION_FILES as MAX_FILES;
pub use crate::policy::CONNECTIONS_PER_DAY as PER_DAY;
const PER_PAGE: i64 = 10;

/// Photos, PDF, Word and Excel documents.
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
    "application/vnd.ms-excel",
    ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsx",
];

fn b(loc: &str, key: &str, cb: Cb) -> Vec<InlineKeyboardButton> {
    vec![keyboards::button(loc, key, cb)]
}

pub fn handles(cb: Cb, state: &State) -> bool {
    matches!(state, State::ConnForm { .. } | State::ConnAdd { .. })
        || matches!(
            cb,
            Cb::NewConn
                | Cb::ConnKind(_)
                | Cb::ConnResume(_)
                | Cb::ConnRestart(_)
                | Cb::ConnGroup(..)
                | Cb::ConnApp(_)
                | Cb::ConnAdd(_)
                | Cb::ConnFile(_)
        )
}

fn applicant(ctx: &Ctx) -> crate::domain::ApplicantKind {
    ctx.user()
        .map(|u| u.kind)
        .unwrap_or(crate::domain::ApplicantKind::Individual)
}

/// The label of a field in this form: «Наименование ЭУ» for electricity.
fn label(ctx: &Ctx, kind: ConnKind, key: &str) -> String {
    if key == "object_name" && kind == ConnKind::Electricity {
        return ctx.t("conn.f.object_name_eu");
    }
    ctx.t(&format!("conn.f.{key}"))
}

/// A stored value as the person reads it.
fn display(ctx: &Ctx, field: &Field, value: &str) -> String {
    match field.input {
        Input::Choice(_) => ctx.t(&format!("conn.opt.{}.{}", field.key, value.replace('.', "_"))),
        Input::Multi(_) => value
            .split(',')
            .map(|v| ctx.t(&format!("conn.opt.{}.{v}", field.key)))
            .collect::<Vec<_>>()
            .join(", "),
        Input::YesNo => ctx.t(if value == "yes" { "conn.yes" } else { "conn.no" }),
        Input::Date { .. } => date_text(value),
        Input::Stages => value
            .split('|')
            .enumerate()
            .map(|(i, s)| {
                let p: Vec<&str> = s.split(';').collect();
                ctx.tf(
                    "conn.stage_line",
                    &[
                        ("n", &(i + 1).to_string()),
                        ("design", &date_text(p.first().unwrap_or(&""))),
                        ("commission", &date_text(p.get(1).unwrap_or(&""))),
                        ("kw", p.get(2).unwrap_or(&"")),
                    ],
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => value.to_owned(),
    }
}

fn date_text(v: &str) -> String {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(|d| d.format("%d.%m.%Y").to_string())
        .unwrap_or_else(|_| v.to_owned())
}

fn field_by_key(kind: ConnKind, key: &str) -> Option<&'static Field> {
    kind.fields().iter().find(|f| f.key == key)
}

/// What the form asks now.
enum Step {
    Field(&'static Field),
    Files,
    Summary,
}

fn step(ctx: &Ctx, kind: ConnKind, d: &ConnDraft) -> Step {
    if let Some(f) = d.editing.as_deref().and_then(|k| field_by_key(kind, k)) {
        return Step::Field(f);
    }
    if let Some(f) = conn::next_field(kind, applicant(ctx), &d.values, &d.skipped) {
        return Step::Field(f);
    }
    if !d.files_done { Step::Files } else { Step::Summary }
}

// ---------------------------------------------------------------- entry and drafts

async fn choose_kind(ctx: &Ctx) -> HandlerResult {
    let rows = ConnKind::ALL
        .into_iter()
        .map(|k| b(ctx.loc, &format!("conn.kind.{}", k.as_str()), Cb::ConnKind(k)))
        .chain([keyboards::nav_row(ctx.loc, false)])
        .collect();
    ctx.say_with(ctx.t("conn.choose_kind"), keyboards::inline(rows)).await
}

async fn open_kind(ctx: &Ctx, kind: ConnKind) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return start::show_home(ctx).await;
    };
    if ctx.store().draft(user.id, kind).await?.is_some() {
        let kb = keyboards::inline(vec![
            b(ctx.loc, "conn.resume", Cb::ConnResume(kind)),
            b(ctx.loc, "conn.restart", Cb::ConnRestart(kind)),
        ]);
        return ctx.say_with(ctx.t("conn.draft_found"), kb).await;
    }
    start_form(ctx, kind, ConnDraft::default()).await
}

async fn start_form(ctx: &Ctx, kind: ConnKind, d: ConnDraft) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return start::show_home(ctx).await;
    };
    if ctx
        .store()
        .rate_count(&format!("conn:{}", user.id), ctx.now(), Duration::days(1))
        .await?
        >= PER_DAY
    {
        return ctx.say(ctx.tf("conn.too_many", &[("max", &PER_DAY.to_string())])).await;
    }
    go(ctx, kind, d).await
}

/// Saves the state and the draft, then asks the current question.
async fn go(ctx: &Ctx, kind: ConnKind, d: ConnDraft) -> HandlerResult {
    ctx.set(State::ConnForm { kind, form: d.clone() }).await?;
    if let Some(u) = ctx.user() {
        ctx.store()
            .save_draft(u.id, kind, &serde_json::to_value(&d).unwrap_or_default(), ctx.now())
            .await?;
    }
    prompt_form(ctx, kind, &d).await
}

async fn prompt_form(ctx: &Ctx, kind: ConnKind, d: &ConnDraft) -> HandlerResult {
    let loc = ctx.loc;
    let title = ctx.t(&format!("conn.kind.{}", kind.as_str()));
    let back = !d.order.is_empty() || d.editing.is_some() || d.files_done;
    let (text, rows): (String, Vec<Vec<InlineKeyboardButton>>) = match step(ctx, kind, d) {
        Step::Field(f) => {
            let mut rows = Vec::new();
            match f.input {
                Input::Choice(opts) => {
                    for (i, o) in opts.iter().enumerate() {
                        rows.push(b(
                            loc,
                            &format!("conn.opt.{}.{}", f.key, o.replace('.', "_")),
                            Cb::Opt(i as u8),
                        ));
                    }
                }
                Input::Multi(opts) => {
                    for (i, o) in opts.iter().enumerate() {
                        let mark = if d.pending.iter().any(|p| p == o) {
                            "✅ "
                        } else {
                            "▫️ "
                        };
                        let text = format!("{mark}{}", ctx.t(&format!("conn.opt.{}.{o}", f.key)));
                        rows.push(vec![InlineKeyboardButton::callback(text, Cb::Opt(i as u8).encode())]);
                    }
                    if !d.pending.is_empty() {
                        rows.push(b(loc, "req.files_done", Cb::Done));
                    }
                }
                Input::YesNo => rows.push(vec![
                    keyboards::button(loc, "conn.yes", Cb::Yes),
                    keyboards::button(loc, "conn.no", Cb::No),
                ]),
                Input::Stages if !d.pending.is_empty() => rows.push(b(loc, "req.files_done", Cb::Done)),
                _ => {}
            }
            if f.optional {
                rows.push(b(loc, "common.skip", Cb::Skip));
            }
            rows.push(keyboards::nav_row(loc, back));
            let mut q = if f.key == "object_name" && kind == ConnKind::Electricity {
                ctx.t("conn.q.object_name_eu")
            } else {
                ctx.t(&format!("conn.q.{}", f.key))
            };
            if f.input == Input::Stages && !d.pending.is_empty() {
                q.push_str(&format!(
                    "\n\n{}",
                    ctx.tf("conn.stages_so_far", &[("n", &d.pending.len().to_string())])
                ));
            }
            (q, rows)
        }
        Step::Files => {
            let n = d.files.len() as u64;
            let first = if n > 0 {
                b(loc, "req.files_done", Cb::Done)
            } else {
                b(loc, "common.skip", Cb::Done)
            };
            let text = ctx.tf(
                &format!("conn.files_q.{}", kind.as_str()),
                &[
                    ("max", &MAX_FILES.to_string()),
                    ("count", &plural(loc, "plural.files", n)),
                ],
            );
            (text, vec![first, keyboards::nav_row(loc, back)])
        }
        Step::Summary => return summary(ctx, kind, d).await,
    };
    ctx.say_with(format!("<b>{title}</b>\n\n{text}"), keyboards::inline(rows))
        .await
}

fn applicant_lines(ctx: &Ctx) -> String {
    let Some(u) = ctx.user() else { return String::new() };
    let no_phone = ctx.t("profile.no_phone");
    ctx.tf(
        "conn.applicant",
        &[
            ("name", &esc(u.name.as_deref().unwrap_or_default())),
            ("login_name", &super::registration::login_name(ctx.loc, u.kind)),
            ("login", &crate::domain::ids::mask_digits(u.login())),
            ("email", &esc(u.email())),
            ("phone", &esc(u.phone.as_deref().unwrap_or(&no_phone))),
        ],
    )
}

async fn summary(ctx: &Ctx, kind: ConnKind, d: &ConnDraft) -> HandlerResult {
    let loc = ctx.loc;
    let mut text = format!("<b>{}</b>\n\n{}\n", ctx.t("conn.summary"), applicant_lines(ctx));
    let mut rows = Vec::new();
    for (i, f) in kind.fields().iter().enumerate() {
        if !conn::applies(f, applicant(ctx), &d.values) {
            continue;
        }
        let value = d
            .values
            .get(f.key)
            .map(|v| display(ctx, f, v))
            .unwrap_or_else(|| "—".into());
        let l = label(ctx, kind, f.key);
        text.push_str(&format!("\n{l}: {}", esc(&value)));
        rows.push(vec![InlineKeyboardButton::callback(
            format!("✏️ {l}"),
            Cb::ConnEdit(i as u8).encode(),
        )]);
    }
    text.push_str(&format!(
        "\n{}: {}",
        ctx.t("ticket.f.files"),
        plural(loc, "plural.files", d.files.len() as u64)
    ));
    rows.push(b(loc, "conn.edit_files", Cb::ConnFiles));
    rows.push(b(loc, "req.send", Cb::Save));
    rows.push(keyboards::nav_row(loc, false));
    ctx.say_with(text, keyboards::inline(rows)).await
}

/// A field got its value: remember the order, drop what no longer applies, go on.
async fn answered(ctx: &Ctx, kind: ConnKind, mut d: ConnDraft, key: &str, value: Option<String>) -> HandlerResult {
    match value {
        Some(v) => {
            d.values.insert(key.to_owned(), v);
            d.skipped.retain(|k| k != key);
        }
        None => d.skipped.push(key.to_owned()),
    }
    d.pending.clear();
    if d.editing.take().is_none() {
        d.order.push(key.to_owned());
    }
    conn::prune(kind, applicant(ctx), &mut d.values);
    go(ctx, kind, d).await
}

fn field_problem(ctx: &Ctx, f: &Field, e: FieldError) -> String {
    match e {
        FieldError::Empty => ctx.t("common.text_expected"),
        FieldError::TooLong { max } => ctx.tf("req.text_too_long", &[("max", &max.to_string())]),
        FieldError::Cadastral => ctx.t("conn.err.cadastral"),
        FieldError::NotNumber => ctx.t("conn.err.number"),
        FieldError::OutOfRange => match f.input {
            Input::Decimal { max, allow_zero } => ctx.tf(
                if allow_zero {
                    "conn.err.range0"
                } else {
                    "conn.err.range"
                },
                &[("max", &max.to_string())],
            ),
            Input::Integer { min, max } => ctx.tf(
                "conn.err.int_range",
                &[("min", &min.to_string()), ("max", &max.to_string())],
            ),
            _ => ctx.t("conn.err.number"),
        },
        FieldError::Date => ctx.t("common.date_bad"),
        FieldError::DatePast => ctx.t("req.date_past"),
        FieldError::DateFuture => ctx.t("conn.err.date_future"),
        FieldError::Passport => ctx.t("conn.err.passport"),
        FieldError::Stages => ctx.t("conn.err.stage"),
    }
}

async fn form_message(ctx: &Ctx, msg: &Message, kind: ConnKind, mut d: ConnDraft) -> HandlerResult {
    match step(ctx, kind, &d) {
        Step::Files => match files::file_of(msg, ALLOWED) {
            Ok(_) if d.files.len() >= MAX_FILES => {
                ctx.say(ctx.tf("files.too_many", &[("max", &MAX_FILES.to_string())]))
                    .await?;
                prompt_form(ctx, kind, &d).await
            }
            Ok(file) => {
                d.files.push(file);
                let n = d.files.len() as u64;
                ctx.set(State::ConnForm { kind, form: d.clone() }).await?;
                if let Some(u) = ctx.user() {
                    ctx.store()
                        .save_draft(u.id, kind, &serde_json::to_value(&d).unwrap_or_default(), ctx.now())
                        .await?;
                }
                let kb = keyboards::inline(vec![b(ctx.loc, "req.files_done", Cb::Done)]);
                ctx.say_with(
                    ctx.tf("files.added", &[("count", &plural(ctx.loc, "plural.files", n))]),
                    kb,
                )
                .await
            }
            Err(p) => {
                ctx.say(meters::file_problem(ctx, p)).await?;
                prompt_form(ctx, kind, &d).await
            }
        },
        Step::Summary => {
            ctx.say(ctx.t("common.use_buttons")).await?;
            prompt_form(ctx, kind, &d).await
        }
        Step::Field(f) => {
            let buttons = matches!(f.input, Input::Choice(_) | Input::Multi(_) | Input::YesNo);
            let Some(text) = msg.text().filter(|_| !buttons) else {
                ctx.say(ctx.t(if buttons {
                    "common.use_buttons"
                } else {
                    "common.text_expected"
                }))
                .await?;
                return prompt_form(ctx, kind, &d).await;
            };
            match conn::parse_value(f.input, text, ctx.today()) {
                Ok(v) if f.input == Input::Stages => {
                    d.pending.push(v);
                    go(ctx, kind, d).await
                }
                Ok(v) => answered(ctx, kind, d, f.key, Some(v)).await,
                Err(e) => {
                    ctx.say(field_problem(ctx, f, e)).await?;
                    prompt_form(ctx, kind, &d).await
                }
            }
        }
    }
}

async fn form_callback(ctx: &Ctx, cb: Cb, kind: ConnKind, mut d: ConnDraft) -> HandlerResult {
    let current = step(ctx, kind, &d);
    match (cb, current) {
        (Cb::Back, _) => {
            if d.editing.take().is_some() {
                d.pending.clear();
                return go(ctx, kind, d).await;
            }
            if d.files_done {
                d.files_done = false;
                return go(ctx, kind, d).await;
            }
            if !d.pending.is_empty() {
                d.pending.clear();
                return go(ctx, kind, d).await;
            }
            match d.order.pop() {
                Some(k) => {
                    d.values.remove(&k);
                    d.skipped.retain(|s| *s != k);
                    go(ctx, kind, d).await
                }
                None => start::cancel(ctx).await,
            }
        }
        (Cb::Opt(i), Step::Field(f)) => match f.input {
            Input::Choice(opts) => match opts.get(usize::from(i)) {
                Some(o) => answered(ctx, kind, d, f.key, Some((*o).to_owned())).await,
                None => start::stale_button(ctx).await,
            },
            Input::Multi(opts) => match opts.get(usize::from(i)) {
                Some(o) => {
                    if let Some(pos) = d.pending.iter().position(|p| p == o) {
                        d.pending.remove(pos);
                    } else {
                        d.pending.push((*o).to_owned());
                    }
                    go(ctx, kind, d).await
                }
                None => start::stale_button(ctx).await,
            },
            _ => start::stale_button(ctx).await,
        },
        (Cb::Done, Step::Field(f)) if matches!(f.input, Input::Multi(_) | Input::Stages) && !d.pending.is_empty() => {
            let joined = if f.input == Input::Stages {
                d.pending.join("|")
            } else {
                // In the options' order, whatever the order of the taps.
                let Input::Multi(opts) = f.input else { unreachable!() };
                opts.iter()
                    .filter(|o| d.pending.iter().any(|p| p == *o))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(",")
            };
            answered(ctx, kind, d, f.key, Some(joined)).await
        }
        (Cb::Yes | Cb::No, Step::Field(f)) if f.input == Input::YesNo => {
            let v = if cb == Cb::Yes { "yes" } else { "no" };
            answered(ctx, kind, d, f.key, Some(v.to_owned())).await
        }
        (Cb::Skip, Step::Field(f)) if f.optional => answered(ctx, kind, d, f.key, None).await,
        (Cb::Done, Step::Files) => {
            d.files_done = true;
            go(ctx, kind, d).await
        }
        (Cb::ConnEdit(i), Step::Summary) => match kind.fields().get(usize::from(i)) {
            Some(f) if conn::applies(f, applicant(ctx), &d.values) => {
                d.editing = Some(f.key.to_owned());
                d.pending.clear();
                go(ctx, kind, d).await
            }
            _ => start::stale_button(ctx).await,
        },
        (Cb::ConnFiles, Step::Summary) => {
            d.files_done = false;
            go(ctx, kind, d).await
        }
        (Cb::Save, Step::Summary) => submit(ctx, kind, d).await,
        _ => start::stale_button(ctx).await,
    }
}

async fn submit(ctx: &Ctx, kind: ConnKind, d: ConnDraft) -> HandlerResult {
    let Some(user) = ctx.user() else { return Ok(()) };
    match conn::validate(kind, applicant(ctx), &d.values) {
        Ok(()) => {}
        Err(FormError::Missing(_)) => return go(ctx, kind, d).await,
        Err(FormError::NoHeatLoad) => {
            ctx.say(ctx.t("conn.err.no_heat_load")).await?;
            return summary(ctx, kind, &d).await;
        }
    }
    let key = format!("conn:{}", user.id);
    let day = Duration::days(1);
    if ctx.store().rate_count(&key, ctx.now(), day).await? >= PER_DAY {
        ctx.reset().await?;
        return ctx.say(ctx.tf("conn.too_many", &[("max", &PER_DAY.to_string())])).await;
    }
    let applicant = serde_json::json!({
        "kind": user.kind,
        "name": user.name,
        "login": user.login,
        "email": user.email,
        "phone": user.phone,
    });
    let fields = serde_json::to_value(&d.values).unwrap_or_default();
    let object_name = d.values.get("object_name").cloned().unwrap_or_default();
    let new = NewApplication {
        account_id: user.id,
        kind,
        object_name: &object_name,
        fields: &fields,
        applicant: &applicant,
        files: &d.files,
    };
    let note = match kind {
        ConnKind::Electricity => &ctx.deps.config.connection_note_electricity,
        ConnKind::Water => &ctx.deps.config.connection_note_water,
        ConnKind::Heat => &ctx.deps.config.connection_note_heat,
    };
    let note = note
        .clone()
        .unwrap_or_else(|| ctx.t(&format!("conn.next.{}", kind.as_str())));
    let finish = |id: i64, number: &str| {
        let text = ctx.tf("conn.sent", &[("number", &esc(number)), ("next", &esc(&note))]);
        let mut f = ctx.finish(vec![ctx.queued(text, &[&[("conn.open_this", Cb::ConnApp(id))]])]);
        f.rate_keys.push(key.clone());
        f
    };
    let filed = ctx.store().create_application(&new, ctx.now(), Some(&finish)).await?;
    ctx.send_committed(&filed.replies).await?;
    menu::show_menu(ctx).await
}

// ---------------------------------------------------------------- the section

pub async fn show_section(ctx: &Ctx) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return start::show_home(ctx).await;
    };
    let counts = ctx.store().application_count(user.id).await?;
    let rows = ConnKind::ALL
        .into_iter()
        .map(|k| {
            let n = counts.iter().find(|(kind, _)| *kind == k).map(|(_, n)| *n).unwrap_or(0);
            let text = format!("{} ({n})", ctx.t(&format!("conn.group.{}", k.as_str())));
            vec![InlineKeyboardButton::callback(text, Cb::ConnGroup(k, 0).encode())]
        })
        .chain([b(ctx.loc, "conn.new", Cb::NewConn)])
        .collect();
    ctx.say_with(ctx.t("conn.section"), keyboards::inline(rows)).await
}

async fn show_group(ctx: &Ctx, kind: ConnKind, page: u8) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return start::show_home(ctx).await;
    };
    let (apps, more) = ctx
        .store()
        .applications_of(user.id, kind, i64::from(page), PER_PAGE)
        .await?;
    let column = if kind == ConnKind::Electricity {
        "conn.f.object_name_eu"
    } else {
        "conn.f.object_name"
    };
    let mut text = format!(
        "<b>{}</b>\n{}",
        ctx.t(&format!("conn.group.{}", kind.as_str())),
        ctx.tf("conn.by_name", &[("column", &ctx.t(column))])
    );
    if apps.is_empty() {
        text.push_str(&format!("\n\n{}", ctx.t("ticket.empty")));
    }
    let mut rows: Vec<Vec<InlineKeyboardButton>> = apps
        .iter()
        .map(|a| {
            vec![InlineKeyboardButton::callback(
                a.object_name.clone(),
                Cb::ConnApp(a.id).encode(),
            )]
        })
        .collect();
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(keyboards::button(
            ctx.loc,
            "history.newer",
            Cb::ConnGroup(kind, page - 1),
        ));
    }
    if more {
        nav.push(keyboards::button(
            ctx.loc,
            "history.older",
            Cb::ConnGroup(kind, page + 1),
        ));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    ctx.say_with(text, keyboards::inline(rows)).await
}

async fn owned(ctx: &Ctx, id: i64) -> Result<Option<Application>, HandlerError> {
    let Some(user) = ctx.user() else { return Ok(None) };
    Ok(ctx.store().application(user.id, id).await?)
}

async fn not_found(ctx: &Ctx) -> HandlerResult {
    ctx.say(ctx.t("conn.not_found")).await
}

async fn show_card(ctx: &Ctx, id: i64) -> HandlerResult {
    let Some(app) = owned(ctx, id).await? else {
        return not_found(ctx).await;
    };
    let kind = app.kind;
    let values: conn::Values = serde_json::from_str(&app.fields).unwrap_or_default();
    let mut text = ctx.tf(
        "conn.card",
        &[
            ("kind", &ctx.t(&format!("conn.kind.{}", kind.as_str()))),
            ("number", &esc(&app.number)),
            ("status", &ctx.t(&format!("conn.status.{}", app.status))),
        ],
    );
    for f in kind.fields() {
        if let Some(v) = values.get(f.key) {
            text.push_str(&format!("\n{}: {}", label(ctx, kind, f.key), esc(&display(ctx, f, v))));
        }
    }
    text.push_str(&format!("\n\n<b>{}</b>", ctx.t("conn.history")));
    for (status, note, at) in ctx.store().application_history(app.id).await? {
        let when = ctx.deps.config.local_date(at);
        text.push_str(&format!("\n{when} — {}", ctx.t(&format!("conn.status.{status}"))));
        if let Some(n) = note {
            text.push_str(&format!(": {}", esc(&n)));
        }
    }
    let mut rows = Vec::new();
    for (owner, f) in ctx.store().application_files(app.id).await? {
        let name = f.name.clone().unwrap_or_else(|| ctx.t("ticket.file"));
        let icon = if owner == crate::domain::items::FileOwner::ConnectionIssued {
            "📄"
        } else {
            "📎"
        };
        rows.push(vec![InlineKeyboardButton::callback(
            format!("{icon} {name}"),
            Cb::ConnFile(f.id).encode(),
        )]);
    }
    if !app.status.is_final() {
        rows.push(b(ctx.loc, "conn.add", Cb::ConnAdd(app.id)));
    }
    rows.push(b(ctx.loc, "ticket.to_list", Cb::ConnGroup(kind, 0)));
    if text.chars().count() > 4000 {
        text = text.chars().take(3990).collect::<String>() + "…";
    }
    ctx.say_with(text, keyboards::inline(rows)).await
}

async fn send_file(ctx: &Ctx, attachment_id: i64) -> HandlerResult {
    let Some(user) = ctx.user() else { return Ok(()) };
    match ctx.store().application_file(user.id, attachment_id).await? {
        Some(f) => files::send_attachment(ctx, f).await,
        None => not_found(ctx).await,
    }
}

async fn prompt_add(ctx: &Ctx, s: &State) -> HandlerResult {
    let State::ConnAdd { text, files, .. } = s else {
        return Ok(());
    };
    files::compose_prompt(ctx, "conn.add_q", text, files).await
}

async fn add_message(ctx: &Ctx, msg: &Message, s: State) -> HandlerResult {
    let State::ConnAdd {
        app_id,
        mut text,
        mut files,
    } = s
    else {
        return Ok(());
    };
    files::compose_take(ctx, msg, &mut text, &mut files, ALLOWED, MAX_FILES).await?;
    let s = State::ConnAdd { app_id, text, files };
    ctx.set(s.clone()).await?;
    prompt_add(ctx, &s).await
}

// ---------------------------------------------------------------- routing

pub async fn prompt(ctx: &Ctx, state: &State) -> HandlerResult {
    match state {
        State::ConnForm { kind, form } => prompt_form(ctx, *kind, form).await,
        State::ConnAdd { .. } => prompt_add(ctx, state).await,
        _ => start::show_home(ctx).await,
    }
}

pub async fn on_message(ctx: &Ctx, msg: &Message, state: State) -> HandlerResult {
    if ctx.user().is_none() {
        ctx.reset().await?;
        return start::show_home(ctx).await;
    }
    match state {
        State::ConnForm { kind, form } => form_message(ctx, msg, kind, form).await,
        State::ConnAdd { .. } => add_message(ctx, msg, state).await,
        _ => start::reprompt(ctx).await,
    }
}

pub async fn on_callback(ctx: &Ctx, cb: Cb, state: State) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return start::stale_button(ctx).await;
    };
    match cb {
        Cb::NewConn => {
            ctx.reset().await?;
            return choose_kind(ctx).await;
        }
        Cb::ConnKind(kind) => return open_kind(ctx, kind).await,
        Cb::ConnResume(kind) => {
            let draft = ctx.store().draft(user.id, kind).await?;
            let d: ConnDraft = draft.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
            return start_form(ctx, kind, d).await;
        }
        Cb::ConnRestart(kind) => {
            ctx.store().delete_draft(user.id, kind).await?;
            return start_form(ctx, kind, ConnDraft::default()).await;
        }
        Cb::ConnGroup(kind, page) => {
            ctx.reset().await?;
            return show_group(ctx, kind, page).await;
        }
        Cb::ConnApp(id) => {
            ctx.reset().await?;
            return show_card(ctx, id).await;
        }
        Cb::ConnAdd(id) => {
            let Some(app) = owned(ctx, id).await? else {
                return not_found(ctx).await;
            };
            if app.status.is_final() {
                return ctx.say(ctx.t("ticket.not_now")).await;
            }
            let s = State::ConnAdd {
                app_id: app.id,
                text: None,
                files: vec![],
            };
            ctx.set(s.clone()).await?;
            return prompt_add(ctx, &s).await;
        }
        Cb::ConnFile(id) => return send_file(ctx, id).await,
        _ => {}
    }
    match state {
        State::ConnForm { kind, form } => form_callback(ctx, cb, kind, form).await,
        State::ConnAdd { app_id, text, files } if cb == Cb::Save => {
            let finish = ctx.finish(vec![ctx.queued(ctx.t("conn.added"), &[])]);
            let added = ctx
                .store()
                .add_to_application(user.id, app_id, text.as_deref(), &files, ctx.now(), Some(&finish))
                .await?;
            let Some(replies) = added else {
                ctx.reset().await?;
                return not_found(ctx).await;
            };
            ctx.send_committed(&replies).await?;
            show_card(ctx, app_id).await
        }
        _ => start::stale_button(ctx).await,
    }
}

/// From «Интерактивные сервисы».
pub async fn begin(ctx: &Ctx) -> HandlerResult {
    choose_kind(ctx).await
}
