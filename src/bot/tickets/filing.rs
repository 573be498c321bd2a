//! Filing an appeal, a complaint, a request or a document request: a form on the step engine
//! whose fields depend on the kind (and on whether the person has meters).

use super::state::TicketsState;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form::{self, Choice, EditStyle, Field, Form, FormData, Input, Summary};
use crate::bot::input_errors;
use crate::bot::outcome::Outcome;
use crate::bot::state::State;
use crate::bot::ui::{self, esc};
use crate::callback::TicketsCb;
use crate::domain::meters::parse_short_text;
use crate::domain::tickets::{self, TicketKind};
use crate::i18n::plural;
use crate::policy::{TICKET_FILES, TICKET_TYPES, TICKETS_PER_DAY};
use crate::store::tickets::NewTicket;
use chrono::Duration;

type Result<T> = std::result::Result<T, HandlerError>;

/// The documents one can ask a copy of: the stored value and its name's key.
const DOC_TYPES: [(&str, &str); 7] = [
    ("contract", "doc.contract"),
    ("tc_act", "doc.tc_act"),
    ("tech_conditions", "doc.tech_conditions"),
    ("meter_act", "doc.meter_act"),
    ("reconciliation", "doc.reconciliation"),
    ("invoice", "doc.invoice"),
    ("other", "doc.other"),
];

pub struct TicketForm {
    pub kind: TicketKind,
}

fn rate_key(consumer_id: i64) -> String {
    format!("ticket:{consumer_id}")
}

async fn too_many(ctx: &Ctx, consumer_id: i64) -> Result<bool> {
    let n = ctx
        .store()
        .rate_count(&rate_key(consumer_id), ctx.now(), Duration::days(1))
        .await?;
    Ok(n >= TICKETS_PER_DAY)
}

pub async fn begin(ctx: &mut Ctx, kind: TicketKind) -> Result<Outcome> {
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if too_many(ctx, user.id).await? {
        ctx.say(ctx.tf("ticket.too_many", &[("max", &TICKETS_PER_DAY.to_string())]))
            .await?;
        return Ok(Outcome::Done);
    }
    form::go(ctx, &TicketForm { kind }, FormData::default()).await
}

/// «Вопрос по начислению»: an appeal about one of the caller's accounts' bills, the account and
/// the period filled in, on the charges' topic when the utility has one.
pub async fn bill_question(ctx: &mut Ctx, account_id: i64, code: u32) -> Result<Outcome> {
    let (Some(user), Some(period)) = (ctx.user(), crate::domain::meters::Period::from_code(code)) else {
        return Ok(Outcome::Stale);
    };
    let Some(account) = ctx.store().linked_account(user.id, account_id).await? else {
        return Ok(Outcome::Stale);
    };
    if too_many(ctx, user.id).await? {
        ctx.say(ctx.tf("ticket.too_many", &[("max", &TICKETS_PER_DAY.to_string())]))
            .await?;
        return Ok(Outcome::Done);
    }
    let mut data = FormData::default();
    // The account's address, and no meter asked: the bill is the account's.
    data.set("address", account.address.clone());
    data.mark_done("address");
    data.mark_done("meter");
    data.set("account", account.number);
    // Routed to the billing department (`OPERATOR_CHATS` billing=…).
    data.set("bill_question", "1".to_owned());
    data.set("period", crate::wording::period(ctx.loc, period));
    let charges = ctx.t("topic.appeal.charges");
    let topic = topics(ctx, TicketKind::Appeal).into_iter().find(|t| {
        let t = t.to_lowercase();
        *t == charges.to_lowercase() || t.contains("начисл") || t.contains("charge")
    });
    if let Some(topic) = topic {
        data.set("topic", topic);
        data.mark_done("topic");
    }
    form::go(
        ctx,
        &TicketForm {
            kind: TicketKind::Appeal,
        },
        data,
    )
    .await
}

/// «Ответ не помог — подать обращение»: counted, and the appeal starts on that topic when the
/// appeals have one of its name.
pub async fn after_faq(ctx: &mut Ctx, topic: u8) -> Result<Outcome> {
    let mut data = FormData::default();
    if let Some(name) = crate::bot::faq::of(ctx).and_then(|f| f.topics.get(usize::from(topic)).map(|t| t.name.clone()))
    {
        ctx.store().record_faq("filed", &name, ctx.now()).await?;
        let plain = |s: &str| s.trim().to_lowercase().replace('ё', "е");
        if let Some(t) = topics(ctx, TicketKind::Appeal)
            .into_iter()
            .find(|t| plain(t) == plain(&name))
        {
            data.set("topic", t);
            data.mark_done("topic");
        }
    }
    let Some(user) = ctx.user() else {
        return Ok(Outcome::Home(None));
    };
    if too_many(ctx, user.id).await? {
        ctx.say(ctx.tf("ticket.too_many", &[("max", &TICKETS_PER_DAY.to_string())]))
            .await?;
        return Ok(Outcome::Done);
    }
    form::go(
        ctx,
        &TicketForm {
            kind: TicketKind::Appeal,
        },
        data,
    )
    .await
}

/// The topics offered for a kind: from configuration when set there, else the defaults.
fn topics(ctx: &Ctx, kind: TicketKind) -> Vec<String> {
    let (configured, keys): (&Option<String>, &[&str]) = match kind {
        TicketKind::Request => (
            &ctx.deps.config.request_topics,
            &[
                "topic.request.tariffs",
                "topic.request.reconciliation",
                "topic.request.certificates",
                "topic.request.other",
            ],
        ),
        _ => (
            &ctx.deps.config.appeal_topics,
            &[
                "topic.appeal.quality",
                "topic.appeal.charges",
                "topic.appeal.meters",
                "topic.appeal.outages",
                "topic.appeal.connection",
                "topic.appeal.other",
            ],
        ),
    };
    match configured {
        Some(list) => list
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        None => keys.iter().map(|k| ctx.t(k)).collect(),
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

fn short(loc: &'static str) -> form::Parser {
    Box::new(move |t| parse_short_text(t, 1000).ok_or_else(|| input_errors::too_long(loc, 1000)))
}

/// The requested document as it is sent: the chosen type's name, or what was typed for
/// «другое».
fn doc_type(ctx: &Ctx, data: &FormData) -> Option<String> {
    match data.get("doc_type")? {
        "other" => data.get("doc_type_other").map(str::to_owned),
        d => DOC_TYPES.iter().find(|(v, _)| *v == d).map(|(_, key)| ctx.t(key)),
    }
}

/// «Подать обращение» and the like: the label of filing one of a kind.
pub fn new_key(kind: TicketKind) -> &'static str {
    match kind {
        TicketKind::Appeal => "ticket.new.appeal",
        TicketKind::Complaint => "ticket.new.complaint",
        TicketKind::Request => "ticket.new.request",
        TicketKind::Document => "ticket.new.document",
    }
}

impl Form for TicketForm {
    fn state(&self, form: FormData) -> State {
        TicketsState::New { kind: self.kind, form }.into()
    }

    fn title(&self, ctx: &Ctx) -> Option<String> {
        Some(ctx.t(new_key(self.kind)))
    }

    async fn fields(&self, ctx: &Ctx, data: &FormData) -> Result<Vec<Field>> {
        use TicketKind::*;
        let (loc, kind) = (ctx.loc, self.kind);
        let meters = match ctx.user() {
            Some(u) => ctx.store().meters_of(u.id).await?,
            None => vec![],
        };
        let local_now = ctx.deps.config.local(ctx.now());
        let email = ctx
            .user()
            .map(|u| crate::domain::person::mask_email(u.email()))
            .unwrap_or_default();
        let topic = Field::choice(
            "topic",
            ctx.t("ticket.topic_q"),
            topics(ctx, kind)
                .into_iter()
                .map(|t| Choice::new(t.clone(), t))
                .collect(),
        );
        let text = Field::text(
            "text",
            ctx.tf("ticket.text_q", &[("max", &tickets::MAX_TEXT.to_string())]),
            Box::new(move |t| tickets::parse_text(t).map_err(|e| input_errors::text_error(loc, e))),
        );
        let address = Field::text("address", ctx.t("ticket.address_q"), short(loc)).optional();
        // No meters: the question about one is not asked.
        let has_meters = !meters.is_empty();
        let meter = Field::choice(
            "meter",
            ctx.t("ticket.meter_q"),
            meters
                .iter()
                .map(|m| Choice::new(m.id.to_string(), crate::wording::meter_label(ctx.loc, m)))
                .collect(),
        )
        .optional()
        .when(has_meters);
        let violation = Field::text(
            "violation_at",
            crate::wording::dated(&ctx.t("ticket.violation_q"), local_now.date()),
            moment(loc, local_now),
        );
        let files = Field::new(
            "files",
            ctx.t("ticket.files_q"),
            Input::Files {
                allowed: TICKET_TYPES,
                max: TICKET_FILES,
            },
        );
        let email_copy = Field::new(
            "email_copy",
            ctx.tf("ticket.email_q", &[("email", &esc(&email))]),
            Input::YesNo {
                yes: ctx.t("ticket.email_yes"),
                no: ctx.t("ticket.email_no"),
            },
        );
        Ok(match kind {
            Appeal => vec![topic, text, address, meter, files, email_copy],
            Complaint => vec![topic, text, address, meter, violation, files, email_copy],
            Request => vec![topic, text, files, email_copy],
            Document => document_fields(ctx, data),
        })
    }

    async fn summary(&self, ctx: &Ctx, data: &FormData) -> Result<Summary> {
        let meter = meter_label(ctx, data).await?;
        let mut lines = Vec::new();
        let mut add = |key: &str, v: Option<String>| {
            if let Some(v) = v {
                lines.push(format!("{}: {}", ctx.t(key), esc(&v)));
            }
        };
        let value = |k: &str| data.get(k).map(str::to_owned);
        add("ticket.f.topic", value("topic"));
        add("ticket.f.account", value("account"));
        add("ticket.f.doc_type", doc_type(ctx, data));
        add("ticket.f.period", value("period"));
        add("ticket.f.address", value("address"));
        add("ticket.f.meter", meter);
        add("ticket.f.violation_at", value("violation_at"));
        add("ticket.f.comment", value("comment"));
        add("ticket.f.text", value("text"));
        if self.kind != TicketKind::Document {
            lines.push(format!(
                "{}: {}",
                ctx.t("ticket.f.files"),
                plural(ctx.loc, "plural.files", data.files.len() as u64)
            ));
            let copy = if data.yes_no("email_copy") == Some(true) {
                "ticket.email_yes"
            } else {
                "ticket.email_no"
            };
            lines.push(format!("{}: {}", ctx.t("ticket.f.email"), ctx.t(copy)));
        }
        let title = self.title(ctx).unwrap_or_default();
        Ok(Summary {
            text: format!("<b>{title}</b>\n\n{}\n\n{}", ctx.t("ticket.summary"), lines.join("\n")),
            send: "req.send",
            edit: EditStyle::None,
            back: true,
        })
    }

    async fn submit(&self, ctx: &mut Ctx, data: FormData) -> Result<Outcome> {
        let Some(user) = ctx.user() else {
            return Ok(Outcome::Home(None));
        };
        let kind = self.kind;
        if too_many(ctx, user.id).await? {
            ctx.reset().await?;
            ctx.say(ctx.tf("ticket.too_many", &[("max", &TICKETS_PER_DAY.to_string())]))
                .await?;
            return Ok(Outcome::Done);
        }
        let doc = doc_type(ctx, &data);
        let topic = data.get("topic").map(str::to_owned).or(doc.clone()).unwrap_or_default();
        let meter_id: Option<i64> = data.get("meter").and_then(|m| m.parse().ok());
        // The account the item concerns: the bill's, or the chosen meter's.
        let meter_account = match meter_id {
            Some(id) => ctx.store().meter(user.id, id).await?.and_then(|m| m.account),
            None => None,
        };
        let fields = serde_json::json!({
            "address": data.get("address"),
            "meter_id": meter_id,
            "meter": meter_label(ctx, &data).await?,
            "violation_at": data.get("violation_at"),
            "doc_type": doc,
            "period": data.get("period"),
            "comment": data.get("comment"),
            "account": data.get("account").map(str::to_owned).or(meter_account),
            "bill_question": data.get("bill_question").is_some(),
        });
        let deadline = ctx.now() + Duration::days(deadline_days(ctx, kind));
        // On the outages' topic while one is on at its address: grouped on the outage's card.
        let outage_id = crate::bot::outages::grouping_outage(ctx, kind, &topic, data.get("address")).await?;
        let new = NewTicket {
            consumer_id: user.id,
            kind,
            topic: &topic,
            fields: &fields,
            text: data.get("text"),
            files: &data.files,
            email_copy: data.yes_no("email_copy") == Some(true),
            deadline,
            outage_id,
        };
        let local_deadline = ctx.date(deadline);
        let key = rate_key(user.id);
        let finish = |id: i64, number: &str| {
            let text = ctx.tf(
                kind.sent_key(),
                &[("number", &esc(number)), ("deadline", &local_deadline)],
            );
            let open = format!("ticket.open_this.{kind}");
            let mut f = ctx.finish(vec![ctx.queued(text, &[&[(&open, TicketsCb::Ticket(id))]])]);
            f.rate_keys.push(key.clone());
            f
        };
        let filed = ctx.store().create_ticket(&new, ctx.now(), Some(&finish)).await?;
        ctx.send_committed(&filed.replies).await?;
        // The section appears in the menu with the first item of its kind.
        ui::with_menu(ctx, ctx.t("menu.title")).await?;
        Ok(Outcome::Done)
    }
}

/// The chosen meter as the ticket names it («EL-1001 · кухня»), if it is still the caller's.
async fn meter_label(ctx: &Ctx, data: &FormData) -> Result<Option<String>> {
    let (Some(user), Some(id)) = (ctx.user(), data.get("meter").and_then(|m| m.parse().ok())) else {
        return Ok(None);
    };
    Ok(ctx
        .store()
        .meter(user.id, id)
        .await?
        .map(|m| format!("{} · {}", m.serial, crate::wording::meter_place(ctx.loc, &m))))
}

/// A moment the consumer names (a violation's): in the past, to the minute.
fn moment(loc: &'static str, local_now: chrono::NaiveDateTime) -> form::Parser {
    Box::new(move |t| {
        tickets::parse_moment(t, local_now)
            .map(|at| at.format("%d.%m.%Y %H:%M").to_string())
            .ok_or_else(|| crate::wording::dated(&crate::i18n::t(loc, "ticket.violation_bad"), local_now.date()))
    })
}

/// A document request's questions: which document, the period (a month or a range of them),
/// a comment.
fn document_fields(ctx: &Ctx, data: &FormData) -> Vec<Field> {
    let loc = ctx.loc;
    let today = ctx.today();
    vec![
        Field::choice(
            "doc_type",
            ctx.t("ticket.doc_type_q"),
            DOC_TYPES.iter().map(|(d, key)| Choice::new(*d, ctx.t(key))).collect(),
        ),
        Field::text("doc_type_other", ctx.t("ticket.doc_type_other_q"), short(loc))
            .when(data.get("doc_type") == Some("other")),
        Field::text(
            "period",
            crate::wording::period_examples(loc, "ticket.period_q", today),
            Box::new(move |t| match tickets::parse_month_range(t, today) {
                Some(((y1, m1), (y2, m2))) if (y1, m1) == (y2, m2) => Ok(format!("{m1:02}.{y1}")),
                Some(((y1, m1), (y2, m2))) => Ok(format!("{m1:02}.{y1}–{m2:02}.{y2}")),
                None => Err(crate::wording::period_examples(loc, "ticket.period_bad", today)),
            }),
        )
        .optional(),
        Field::text("comment", ctx.t("ticket.comment_q"), short(loc)).optional(),
    ]
}
