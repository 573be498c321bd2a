//! «Это мой номер»: a login that someone else's confirmed account holds is disputed. The person
//! leaves their name, e-mail, phone and a comment; the operators get it as a card and, after a
//! check, the back office releases the login (`kabinet account release`).

use super::state::{DisputeForm, DisputeStep, State};
use super::{Ctx, HandlerResult, esc, keyboards, start};
use crate::callback::Cb;
use crate::domain::person::normalize_phone;
use crate::domain::{ApplicantKind, Email, Name};
use crate::store::disputes::NewDispute;
use chrono::Duration;
use teloxide::prelude::*;

/// Disputes one chat may file a day.
pub use crate::policy::DISPUTES_PER_DAY as PER_DAY;
const MAX_COMMENT: usize = 1000;

pub async fn begin(ctx: &Ctx, login: String, kind: ApplicantKind) -> HandlerResult {
    ctx.say(ctx.t("dispute.intro")).await?;
    go(ctx, login, kind, DisputeStep::Name, DisputeForm::default()).await
}

async fn go(ctx: &Ctx, login: String, kind: ApplicantKind, step: DisputeStep, form: DisputeForm) -> HandlerResult {
    let state = State::Dispute {
        login,
        kind,
        step,
        form,
    };
    ctx.set(state.clone()).await?;
    prompt(ctx, &state).await
}

pub async fn prompt(ctx: &Ctx, state: &State) -> HandlerResult {
    let State::Dispute {
        login,
        kind,
        step,
        form,
        ..
    } = state
    else {
        return start::show_home(ctx).await;
    };
    let loc = ctx.loc;
    let skip = || vec![keyboards::button(loc, "common.skip", Cb::Skip)];
    let (text, rows) = match step {
        DisputeStep::Name => (ctx.t("dispute.name_q"), vec![keyboards::nav_row(loc, false)]),
        DisputeStep::Email => (ctx.t("dispute.email_q"), vec![keyboards::nav_row(loc, false)]),
        DisputeStep::Phone => (ctx.t("dispute.phone_q"), vec![skip(), keyboards::nav_row(loc, false)]),
        DisputeStep::Comment => (ctx.t("dispute.comment_q"), vec![skip(), keyboards::nav_row(loc, false)]),
        DisputeStep::Summary => {
            let none = "—".to_owned();
            let text = ctx.tf(
                "dispute.summary",
                &[
                    ("login_name", &crate::desk::login_name(loc, *kind)),
                    ("login", &esc(login)),
                    ("name", &esc(form.name.as_deref().unwrap_or_default())),
                    ("email", &esc(form.email.as_deref().unwrap_or_default())),
                    ("phone", &esc(form.phone.as_ref().unwrap_or(&none))),
                    ("comment", &esc(form.comment.as_ref().unwrap_or(&none))),
                ],
            );
            let rows = vec![
                vec![keyboards::button(loc, "req.send", Cb::Save)],
                keyboards::nav_row(loc, false),
            ];
            (text, rows)
        }
    };
    ctx.say_with(text, keyboards::inline(rows)).await
}

pub async fn on_callback(ctx: &mut Ctx, cb: Cb, state: State) -> HandlerResult {
    let State::Dispute {
        login,
        kind,
        step,
        mut form,
    } = state
    else {
        return start::stale_button(ctx).await;
    };
    match (step, cb) {
        (DisputeStep::Phone, Cb::Skip) => go(ctx, login, kind, DisputeStep::Comment, form).await,
        (DisputeStep::Comment, Cb::Skip) => {
            form.comment = None;
            go(ctx, login, kind, DisputeStep::Summary, form).await
        }
        (DisputeStep::Summary, Cb::Save) => submit(ctx, login, kind, form).await,
        _ => start::stale_button(ctx).await,
    }
}

pub async fn on_message(ctx: &mut Ctx, msg: &Message, state: State) -> HandlerResult {
    let State::Dispute {
        login,
        kind,
        step,
        mut form,
    } = state.clone()
    else {
        return start::reprompt(ctx).await;
    };
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("common.text_expected")).await?;
        return prompt(ctx, &state).await;
    };
    let problem = match step {
        DisputeStep::Name => match Name::parse(kind, text) {
            Ok(n) => {
                form.name = Some(n.as_str().to_owned());
                None
            }
            Err(e) => Some(super::registration::name_error_text(ctx, kind, e)),
        },
        DisputeStep::Email => match Email::parse(text) {
            Ok(e) => {
                form.email = Some(e.as_str().to_owned());
                None
            }
            Err(_) => Some(ctx.t("email.invalid")),
        },
        DisputeStep::Phone => match normalize_phone(text) {
            Some(p) => {
                form.phone = Some(p);
                None
            }
            None => Some(ctx.t("profile.phone_bad")),
        },
        DisputeStep::Comment => match crate::domain::tickets::parse_text(text) {
            Ok(t) if t.chars().count() <= MAX_COMMENT => {
                form.comment = Some(t);
                None
            }
            _ => Some(ctx.tf("req.text_too_long", &[("max", &MAX_COMMENT.to_string())])),
        },
        DisputeStep::Summary => Some(ctx.t("common.use_buttons")),
    };
    if let Some(p) = problem {
        ctx.say(p).await?;
        return prompt(ctx, &state).await;
    }
    let next = match step {
        DisputeStep::Name => DisputeStep::Email,
        DisputeStep::Email => DisputeStep::Phone,
        DisputeStep::Phone => DisputeStep::Comment,
        _ => DisputeStep::Summary,
    };
    go(ctx, login, kind, next, form).await
}

async fn submit(ctx: &mut Ctx, login: String, kind: ApplicantKind, form: DisputeForm) -> HandlerResult {
    let (Some(name), Some(email)) = (form.name.clone(), form.email.clone()) else {
        return go(ctx, login, kind, DisputeStep::Name, form).await;
    };
    let key = format!("dispute:{}", ctx.chat.0);
    if ctx.store().rate_count(&key, ctx.now(), Duration::days(1)).await? >= PER_DAY {
        ctx.reset().await?;
        ctx.say(ctx.tf("dispute.too_many", &[("max", &PER_DAY.to_string())]))
            .await?;
        return start::show_home(ctx).await;
    }
    let new = NewDispute {
        login: &login,
        kind,
        name: &name,
        email: &email,
        phone: form.phone.as_deref(),
        comment: form.comment.as_deref(),
        chat_id: ctx.chat.0,
    };
    let mut finish = ctx.finish(vec![ctx.queued(ctx.t("dispute.sent"), &[])]);
    finish.rate_keys.push(key);
    let replies = ctx.store().create_dispute(&new, ctx.now(), Some(&finish)).await?;
    ctx.send_committed(&replies).await?;
    start::show_home(ctx).await
}
