//! The three application forms on the step engine: each field of `domain::connection` becomes
//! a question (its parser, options and condition from there), then the files, then a summary
//! with «✏️» per field. Every step is also kept as the kind's draft.

use super::state::ConnState;
use super::view::{applicant_lines, display, label, question};
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form::{self, Choice, EditStyle, Field, Form, FormData, Input, Summary};
use crate::bot::outcome::Outcome;
use crate::bot::state::State;
use crate::bot::ui::{self, esc};
use crate::callback::{ConnCb, StepCb};
use crate::domain::ApplicantKind;
use crate::domain::connection::{self as conn, ConnKind, FieldError, FormError};
use crate::i18n::{plural, t};
use crate::policy::{CONNECTION_FILES, CONNECTION_TYPES, CONNECTIONS_PER_DAY};
use crate::store::connection::NewApplication;
use chrono::{Duration, NaiveDate};
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub struct ConnForm {
    pub kind: ConnKind,
    pub applicant: ApplicantKind,
}

fn form_of(ctx: &Ctx, kind: ConnKind) -> ConnForm {
    let applicant = ctx.user().map(|u| u.kind).unwrap_or(ApplicantKind::Individual);
    ConnForm { kind, applicant }
}

pub async fn on_message(ctx: &mut Ctx, kind: ConnKind, data: FormData, msg: &Message) -> Result<Outcome> {
    form::on_message(ctx, &form_of(ctx, kind), data, msg).await
}

pub async fn on_callback(ctx: &mut Ctx, kind: ConnKind, data: FormData, cb: StepCb) -> Result<Outcome> {
    form::on_callback(ctx, &form_of(ctx, kind), data, cb).await
}

pub async fn prompt(ctx: &Ctx, kind: ConnKind, data: &FormData) -> Result<Outcome> {
    form::ask(ctx, &form_of(ctx, kind), data).await
}

/// «Подать заявку на присоединение»: which network.
pub async fn choose_kind(ctx: &Ctx) -> Result<Outcome> {
    let rows = ConnKind::ALL
        .into_iter()
        .map(|k| ui::row(ctx.loc, k.key(), ConnCb::ConnKind(k)))
        .chain([ui::nav_row(ctx.loc, false)])
        .collect();
    ctx.say_with(ctx.t("conn.choose_kind"), ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

/// A kind chosen: its draft is offered if there is one.
pub async fn open_kind(ctx: &mut Ctx, kind: ConnKind) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if ctx.store().draft(user.id, kind).await?.is_some() {
        let kb = ui::inline(vec![
            ui::row(ctx.loc, "conn.resume", ConnCb::ConnResume(kind)),
            ui::row(ctx.loc, "conn.restart", ConnCb::ConnRestart(kind)),
        ]);
        ctx.say_with(ctx.t("conn.draft_found"), kb).await?;
        return Ok(Outcome::Done);
    }
    start(ctx, kind, FormData::default()).await
}

pub async fn resume(ctx: &mut Ctx, kind: ConnKind) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    let draft = ctx.store().draft(user.id, kind).await?;
    let data = draft.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    start(ctx, kind, data).await
}

pub async fn restart(ctx: &mut Ctx, kind: ConnKind) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    ctx.store().delete_draft(user.id, kind).await?;
    start(ctx, kind, FormData::default()).await
}

fn rate_key(consumer_id: i64) -> String {
    format!("conn:{consumer_id}")
}

async fn too_many(ctx: &Ctx, consumer_id: i64) -> Result<bool> {
    let n = ctx
        .store()
        .rate_count(&rate_key(consumer_id), ctx.now(), Duration::days(1))
        .await?;
    Ok(n >= CONNECTIONS_PER_DAY)
}

async fn start(ctx: &mut Ctx, kind: ConnKind, data: FormData) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if too_many(ctx, user.id).await? {
        ctx.say(ctx.tf("conn.too_many", &[("max", &CONNECTIONS_PER_DAY.to_string())]))
            .await?;
        return Ok(Outcome::Done);
    }
    form::go(ctx, &form_of(ctx, kind), data).await
}

fn field_problem(loc: &str, today: NaiveDate, input: conn::Input, e: FieldError) -> String {
    let tf = |key: &str, args: &[(&str, &str)]| crate::i18n::tf(loc, key, args);
    match e {
        FieldError::Empty => t(loc, "common.text_expected"),
        FieldError::TooLong { max } => tf("req.text_too_long", &[("max", &max.to_string())]),
        FieldError::Cadastral => t(loc, "conn.err.cadastral"),
        FieldError::NotNumber => t(loc, "conn.err.number"),
        FieldError::OutOfRange => match input {
            conn::Input::Decimal { max, allow_zero } => tf(
                if allow_zero {
                    "conn.err.range0"
                } else {
                    "conn.err.range"
                },
                &[("max", &max.to_string())],
            ),
            conn::Input::Integer { min, max } => tf(
                "conn.err.int_range",
                &[("min", &min.to_string()), ("max", &max.to_string())],
            ),
            _ => t(loc, "conn.err.number"),
        },
        // «завтра» only where a date ahead is asked.
        FieldError::Date => match input {
            conn::Input::Date { future: false } => t(loc, "common.date_bad_past"),
            _ => crate::wording::date_bad(loc, today),
        },
        FieldError::DatePast => t(loc, "req.date_past"),
        FieldError::DateFuture => t(loc, "conn.err.date_future"),
        FieldError::Passport => t(loc, "conn.err.passport"),
        FieldError::Stages => crate::wording::dated(&t(loc, "conn.err.stage"), today),
    }
}

/// A domain field as a question of the engine.
fn field(loc: &'static str, today: NaiveDate, kind: ConnKind, f: &'static conn::Field, applies: bool) -> Field {
    let options = |opts: &[&str], dotted: bool| -> Vec<Choice> {
        opts.iter()
            .map(|o| {
                let key = if dotted { o.replace('.', "_") } else { (*o).to_owned() };
                Choice::new(*o, t(loc, &format!("conn.opt.{}.{key}", f.key)))
            })
            .collect()
    };
    let input = f.input;
    let parse: form::Parser =
        Box::new(move |text| conn::parse_value(input, text, today).map_err(|e| field_problem(loc, today, input, e)));
    let engine_input = match f.input {
        conn::Input::Choice(opts) => Input::Choice {
            options: options(opts, true),
            typed: None,
        },
        conn::Input::Multi(opts) => Input::Multi(options(opts, false)),
        conn::Input::YesNo => Input::YesNo {
            yes: t(loc, "conn.yes"),
            no: t(loc, "conn.no"),
        },
        conn::Input::Stages => Input::Entries(parse),
        // Typed, or «Не знаю» by its button.
        conn::Input::TextOrUnknown { .. } => Input::Choice {
            options: vec![Choice::new(conn::UNKNOWN, t(loc, "conn.unknown"))],
            typed: Some(parse),
        },
        _ => Input::Text(parse),
    };
    let question = crate::wording::dated(&question(loc, kind, f.key), today);
    let mut out = Field::new(f.key, question, engine_input).label(label(loc, kind, f.key));
    // Whom the form is for is known from the start; what the answers decide is not.
    match f.when {
        conn::When::Always | conn::When::Individual | conn::When::Organisation => out.applies = applies,
        _ => out = out.when(applies),
    }
    out.optional = f.optional;
    out
}

impl Form for ConnForm {
    fn state(&self, form: FormData) -> State {
        ConnState::Form { kind: self.kind, form }.into()
    }

    fn title(&self, ctx: &Ctx) -> Option<String> {
        Some(ctx.t(self.kind.key()))
    }

    /// «Шаг 4 из 17»: a long form, and the count follows the answers (a household up to
    /// 15 kW has fewer steps).
    fn numbered(&self) -> bool {
        true
    }

    async fn fields(&self, ctx: &Ctx, data: &FormData) -> Result<Vec<Field>> {
        let (loc, today) = (ctx.loc, ctx.today());
        let mut fields: Vec<Field> = self
            .kind
            .fields()
            .iter()
            .map(|f| field(loc, today, self.kind, f, conn::applies(f, self.applicant, &data.values)))
            .collect();
        fields.push(
            Field::new(
                "files",
                ctx.t(self.kind.files_q_key()),
                Input::Files {
                    allowed: CONNECTION_TYPES,
                    max: CONNECTION_FILES,
                },
            )
            .label(ctx.t("ticket.f.files"))
            .button(ctx.t("conn.edit_files")),
        );
        Ok(fields)
    }

    /// Each step is the draft too.
    async fn saved(&self, ctx: &Ctx, data: &FormData) -> Result<()> {
        if let Some(u) = ctx.user() {
            let json = serde_json::to_value(data).unwrap_or_default();
            ctx.store().save_draft(u.id, self.kind, &json, ctx.now()).await?;
        }
        Ok(())
    }

    async fn summary(&self, ctx: &Ctx, data: &FormData) -> Result<Summary> {
        let loc = ctx.loc;
        let mut text = format!("<b>{}</b>\n\n{}\n", ctx.t("conn.summary"), applicant_lines(ctx));
        for f in self.kind.fields() {
            if !conn::applies(f, self.applicant, &data.values) {
                continue;
            }
            let value = data
                .values
                .get(f.key)
                .map(|v| display(loc, f, v))
                .unwrap_or_else(|| "—".into());
            text.push_str(&format!("\n{}: {}", label(loc, self.kind, f.key), esc(&value)));
        }
        text.push_str(&format!(
            "\n{}: {}",
            ctx.t("ticket.f.files"),
            plural(loc, "plural.files", data.files.len() as u64)
        ));
        Ok(Summary {
            text,
            send: "req.send",
            edit: EditStyle::Inline,
            back: true,
        })
    }

    async fn submit(&self, ctx: &mut Ctx, data: FormData) -> Result<Outcome> {
        let Some(user) = ctx.user().cloned() else {
            return Ok(Outcome::Home(None));
        };
        let kind = self.kind;
        match conn::validate(kind, self.applicant, &data.values) {
            Ok(()) => {}
            Err(FormError::Missing(_)) => return form::go(ctx, self, data).await,
            Err(FormError::NoHeatLoad) => {
                ctx.say(ctx.t("conn.err.no_heat_load")).await?;
                return form::ask(ctx, self, &data).await;
            }
        }
        if too_many(ctx, user.id).await? {
            ctx.reset().await?;
            ctx.say(ctx.tf("conn.too_many", &[("max", &CONNECTIONS_PER_DAY.to_string())]))
                .await?;
            return Ok(Outcome::Done);
        }
        let applicant = serde_json::json!({
            "kind": user.kind,
            "name": user.name,
            "login": user.login,
            "email": user.email,
            "phone": user.phone,
        });
        let fields = serde_json::to_value(&data.values).unwrap_or_default();
        let object_name = data.get("object_name").unwrap_or_default().to_owned();
        let new = NewApplication {
            consumer_id: user.id,
            kind,
            object_name: &object_name,
            fields: &fields,
            applicant: &applicant,
            files: &data.files,
        };
        let c = &ctx.deps.config;
        let note = match kind {
            ConnKind::Electricity => &c.connection_note_electricity,
            ConnKind::Water => &c.connection_note_water,
            ConnKind::Heat => &c.connection_note_heat,
        };
        let note = note.clone().unwrap_or_else(|| ctx.t(kind.next_key()));
        let key = rate_key(user.id);
        let finish = |id: i64, number: &str| {
            let text = ctx.tf("conn.sent", &[("number", &esc(number)), ("next", &esc(&note))]);
            let mut f = ctx.finish(vec![ctx.queued(text, &[&[("conn.open_this", ConnCb::ConnApp(id))]])]);
            f.rate_keys.push(key.clone());
            f
        };
        let filed = ctx.store().create_application(&new, ctx.now(), Some(&finish)).await?;
        ctx.send_committed(&filed.replies).await?;
        ui::with_menu(ctx, ctx.t("menu.title")).await?;
        Ok(Outcome::Done)
    }
}
