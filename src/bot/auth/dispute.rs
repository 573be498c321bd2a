//! «Это мой номер»: a login that someone else's confirmed consumer holds is disputed. The person
//! leaves their name, e-mail, phone and a comment (a form on the step engine); the operators
//! get it as a card and, after a check, the back office releases the login
//! (`kabinet account release`).

use super::state::AuthState;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form::{self, EditStyle, Field, Form, FormData, Summary};
use crate::bot::outcome::Outcome;
use crate::bot::state::State;
use crate::bot::{input_errors, ui};
use crate::domain::person::normalize_phone;
use crate::domain::{ApplicantKind, Email, Name};
use crate::policy::{DISPUTE_COMMENT_MAX, DISPUTES_PER_DAY};
use crate::store::disputes::NewDispute;
use chrono::Duration;

type Result<T> = std::result::Result<T, HandlerError>;

pub struct DisputeForm {
    pub login: String,
    pub kind: ApplicantKind,
}

/// «Это мой номер», from the login step of a registration or from an unconfirmed consumer whose
/// login someone confirmed first.
pub async fn from(ctx: &mut Ctx, state: Option<AuthState>) -> Result<Outcome> {
    let typed = match &state {
        Some(AuthState::Registration(data)) => data.get("taken_login").map(str::to_owned).zip(
            data.get("kind")
                .and_then(ApplicantKind::from_str_opt)
                .or(Some(ApplicantKind::Individual)),
        ),
        _ => None,
    };
    let pending = ctx.pending().and_then(|a| a.login.clone().map(|l| (l, a.kind)));
    let Some((login, kind)) = typed.or(pending) else {
        return Ok(Outcome::Stale);
    };
    ctx.say(ctx.t("dispute.intro")).await?;
    form::go(ctx, &DisputeForm { login, kind }, FormData::default()).await
}

impl Form for DisputeForm {
    fn state(&self, form: FormData) -> State {
        AuthState::Dispute {
            login: self.login.clone(),
            kind: self.kind,
            form,
        }
        .into()
    }

    fn numbered(&self) -> bool {
        true
    }

    async fn fields(&self, ctx: &Ctx, _data: &FormData) -> Result<Vec<Field>> {
        let (loc, kind) = (ctx.loc, self.kind);
        Ok(vec![
            // As registration asks it: a person's full name, an organisation's name.
            Field::text(
                "name",
                ctx.t(if kind == ApplicantKind::Legal {
                    "reg.name_q.legal"
                } else {
                    "reg.name_q.person"
                }),
                Box::new(move |t| {
                    Name::parse(kind, t)
                        .map(|n| n.as_str().to_owned())
                        .map_err(|e| input_errors::name_error(loc, kind, e))
                }),
            ),
            Field::text(
                "email",
                ctx.t("dispute.email_q"),
                Box::new(move |t| {
                    Email::parse(t)
                        .map(|e| e.as_str().to_owned())
                        .map_err(|_| crate::i18n::t(loc, "email.invalid"))
                }),
            ),
            Field::text(
                "phone",
                ctx.t("dispute.phone_q"),
                Box::new(move |t| normalize_phone(t).ok_or_else(|| crate::i18n::t(loc, "profile.phone_bad"))),
            )
            .optional(),
            Field::text(
                "comment",
                ctx.t("dispute.comment_q"),
                Box::new(move |t| match crate::domain::tickets::parse_text(t) {
                    Ok(c) if c.chars().count() <= DISPUTE_COMMENT_MAX => Ok(c),
                    _ => Err(input_errors::too_long(loc, DISPUTE_COMMENT_MAX)),
                }),
            )
            .optional(),
        ])
    }

    async fn summary(&self, ctx: &Ctx, data: &FormData) -> Result<Summary> {
        let text = ctx.tf(
            "dispute.summary",
            &[
                ("login_name", &crate::wording::login_name(ctx.loc, self.kind)),
                ("name_label", &crate::wording::name_label(ctx.loc, self.kind)),
                ("login", &ui::esc(&self.login)),
                ("name", &form::shown(data, "name")),
                ("email", &form::shown(data, "email")),
                ("phone", &form::shown(data, "phone")),
                ("comment", &form::shown(data, "comment")),
            ],
        );
        Ok(Summary {
            text,
            send: "req.send",
            edit: EditStyle::None,
            back: true,
        })
    }

    async fn submit(&self, ctx: &mut Ctx, data: FormData) -> Result<Outcome> {
        let (Some(name), Some(email)) = (data.get("name"), data.get("email")) else {
            return form::go(ctx, self, data).await;
        };
        let key = format!("dispute:{}", ctx.chat.0);
        if ctx.store().rate_count(&key, ctx.now(), Duration::days(1)).await? >= DISPUTES_PER_DAY {
            let text = ctx.tf("dispute.too_many", &[("max", &DISPUTES_PER_DAY.to_string())]);
            return Ok(Outcome::Home(Some(text)));
        }
        let new = NewDispute {
            login: &self.login,
            kind: self.kind,
            name,
            email,
            phone: data.get("phone"),
            comment: data.get("comment"),
            chat_id: ctx.chat.0,
        };
        let mut finish = ctx.finish(vec![ctx.queued_text(ctx.t("dispute.sent"))]);
        finish.rate_keys.push(key);
        let replies = ctx.store().create_dispute(&new, ctx.now(), Some(&finish)).await?;
        ctx.send_committed(&replies).await?;
        Ok(Outcome::Home(None))
    }
}
