//! «Зарегистрироваться»: consent, applicant kind, login, name, e-mail, the password twice, the
//! summary with «Исправить» — a form on the step engine. Then the consumer waits for its
//! e-mail code (`confirm`).

use super::state::AuthState;
use crate::bot::code_mail;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form::{self, Check, Choice, EditStyle, Field, Form, FormData, Input, Summary};
use crate::bot::input_errors;
use crate::bot::outcome::Outcome;
use crate::bot::state::State;
use crate::bot::ui::{self, esc};
use crate::callback::AuthCb;
use crate::domain::{ApplicantKind, Email, Login, Name, Ogrn, Ogrnip};
use crate::policy::REGISTRATIONS_PER_DAY;
use crate::store::codes::{Issued, Purpose};
use crate::store::consumers::NewConsumer;
use teloxide::types::KeyboardRemove;

type Result<T> = std::result::Result<T, HandlerError>;

pub struct Registration;

pub async fn begin(ctx: &mut Ctx) -> Result<Outcome> {
    // Drop a reply keyboard a signed-out person may still have.
    ctx.say_with(ctx.t("reg.start"), KeyboardRemove::new()).await?;
    form::go(ctx, &Registration, FormData::default()).await
}

fn kind_of(data: &FormData) -> ApplicantKind {
    data.get("kind")
        .and_then(ApplicantKind::from_str_opt)
        .unwrap_or(ApplicantKind::Individual)
}

/// A login that checks out but is unusual for its kind (a warning, not a refusal).
fn is_unusual(kind: ApplicantKind, login: &Login) -> bool {
    match kind {
        ApplicantKind::Individual => false,
        ApplicantKind::Entrepreneur => Ogrnip::parse(login.as_str()).is_ok_and(|o| o.is_unusual()),
        ApplicantKind::Legal => Ogrn::parse(login.as_str()).is_ok_and(|o| o.is_unusual()),
    }
}

/// «Такой номер уже зарегистрирован»: sign in, reset the password, or dispute the login.
async fn login_taken(ctx: &Ctx, kind: ApplicantKind) -> Result<()> {
    let kb = ui::inline(vec![
        ui::row(ctx.loc, "start.login", AuthCb::Login),
        ui::row(ctx.loc, "login.forgot", AuthCb::Forgot),
        ui::row(ctx.loc, "dispute.its_mine", AuthCb::Dispute),
        ui::nav_row(ctx.loc, true),
    ]);
    let text = ctx.tf("reg.login_taken", &[("id", &crate::wording::login_name(ctx.loc, kind))]);
    ctx.say_with(text, kb).await
}

impl Form for Registration {
    fn state(&self, data: FormData) -> State {
        AuthState::Registration(data).into()
    }

    fn numbered(&self) -> bool {
        true
    }

    async fn fields(&self, ctx: &Ctx, data: &FormData) -> Result<Vec<Field>> {
        let loc = ctx.loc;
        let kind = kind_of(data);
        let url = ctx.deps.config.privacy_policy_url.to_string();
        let login_for_password = data.get("login").and_then(|l| Login::parse(kind, l).ok());
        let kinds = ApplicantKind::ALL
            .into_iter()
            .map(|k| Choice::new(k.as_str(), crate::wording::kind_label(loc, k)))
            .collect();
        let name_key = if kind == ApplicantKind::Legal {
            "reg.name_q.legal"
        } else {
            "reg.name_q.person"
        };
        Ok(vec![
            Field::new(
                "consent",
                ctx.tf("reg.consent", &[("url", &esc(&url))]),
                Input::YesNo {
                    yes: ctx.t("reg.consent_yes"),
                    no: ctx.t("reg.consent_no"),
                },
            ),
            Field::new(
                "kind",
                ctx.t("reg.kind_q"),
                Input::Choice {
                    options: kinds,
                    typed: None,
                },
            )
            .label(ctx.t("fix.kind")),
            Field::text(
                "login",
                ctx.t(kind.pick([
                    "reg.login_q.individual",
                    "reg.login_q.entrepreneur",
                    "reg.login_q.legal",
                ])),
                Box::new(move |t| parse_login(loc, kind, t)),
            )
            // Named by kind: «СНИЛС» and «ФИО» for a person.
            .label(crate::wording::login_name(loc, kind)),
            Field::text("name", ctx.t(name_key), Box::new(move |t| parse_name(loc, kind, t)))
                .label(crate::wording::name_label(loc, kind)),
            Field::text("email", ctx.t("reg.email_q"), Box::new(move |t| parse_email(loc, t)))
                .label(ctx.t("fix.email")),
            Field::new(
                "password",
                ctx.t("reg.password_q"),
                Input::NewPassword {
                    login: login_for_password,
                },
            )
            .label(ctx.t("fix.password")),
            Field::new(
                "password_repeat",
                ctx.t("reg.password_repeat_q"),
                Input::RepeatPassword { of: "password" },
            )
            .uncounted(),
        ])
    }

    async fn check(&self, ctx: &Ctx, key: &str, data: &mut FormData) -> Result<Check> {
        let kind = kind_of(data);
        match key {
            "consent" if data.yes_no("consent") == Some(false) => {
                Ok(Check::Stop(Outcome::Home(Some(ctx.t("reg.consent_refused")))))
            }
            "consent" => {
                data.set("consent_at", ctx.now().to_rfc3339());
                Ok(Check::Go)
            }
            // A new kind changes what the login and the name mean: both are asked again.
            "kind" => {
                if data.get("login_kind") != Some(kind.as_str()) {
                    data.unset("login");
                }
                let org = (kind == ApplicantKind::Legal).to_string();
                if data.get("name_org").is_some_and(|was| was != org) {
                    data.unset("name");
                }
                Ok(Check::Go)
            }
            "login" => {
                let login = data.get("login").unwrap_or_default().to_owned();
                // «Уже зарегистрирован» tells whether a number has a consumer: a chat may not
                // check numbers without end (finding 13).
                let key = format!("login-check:{}", ctx.chat.0);
                let hour = chrono::Duration::hours(1);
                if ctx.store().rate_count(&key, ctx.now(), hour).await? >= crate::policy::LOGIN_CHECKS_PER_HOUR {
                    data.unset("login");
                    ctx.say(ctx.t("reg.checks_limit")).await?;
                    return Ok(Check::Stop(Outcome::Done));
                }
                ctx.store().rate_add(&key, ctx.now(), hour).await?;
                if ctx.store().confirmed_by_login(&login).await?.is_some() {
                    data.set("taken_login", login);
                    login_taken(ctx, kind).await?;
                    return Ok(Check::Stop(Outcome::Done));
                }
                if Login::parse(kind, &login).is_ok_and(|l| is_unusual(kind, &l)) {
                    ctx.say(ctx.t(kind.pick([
                        "reg.unusual.individual",
                        "reg.unusual.entrepreneur",
                        "reg.unusual.legal",
                    ])))
                    .await?;
                }
                data.set("login_kind", kind.as_str());
                Ok(Check::Go)
            }
            "name" => {
                data.set("name_org", (kind == ApplicantKind::Legal).to_string());
                Ok(Check::Go)
            }
            _ => Ok(Check::Go),
        }
    }

    async fn summary(&self, ctx: &Ctx, data: &FormData) -> Result<Summary> {
        let loc = ctx.loc;
        let kind = kind_of(data);
        // The person's own number, on their own screen, in full.
        let login = form::shown(data, "login");
        let text = ctx.tf(
            "reg.summary",
            &[
                ("kind", &crate::wording::kind_label(loc, kind)),
                ("login_name", &crate::wording::login_name(loc, kind)),
                ("login", &login),
                ("name_label", &crate::wording::name_label(loc, kind)),
                ("name", &form::shown(data, "name")),
                ("email", &form::shown(data, "email")),
            ],
        );
        Ok(Summary {
            text,
            send: "reg.ok",
            edit: EditStyle::Picker("reg.fix"),
            back: false,
        })
    }

    /// «Всё верно»: the consumer is created unconfirmed and the letter queued, all at once.
    async fn submit(&self, ctx: &mut Ctx, mut data: FormData) -> Result<Outcome> {
        let kind = kind_of(&data);
        let consent_at = data
            .get("consent_at")
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc));
        let (Some(consent_at), Some(login), Some(name), Some(email), Some(hash)) = (
            consent_at,
            data.get("login").map(str::to_owned),
            data.get("name").map(str::to_owned),
            data.get("email").map(str::to_owned),
            data.get("password").map(str::to_owned),
        ) else {
            return form::go(ctx, self, data).await;
        };
        // Someone may have confirmed this login since it was typed.
        if ctx.store().confirmed_by_login(&login).await?.is_some() {
            data.unset("login");
            data.set("taken_login", login);
            form::save(ctx, self, data).await?;
            login_taken(ctx, kind).await?;
            return Ok(Outcome::Done);
        }
        // Each registration sends a letter: a chat may not turn the bot into a mail cannon.
        let key = format!("register:{}", ctx.chat.0);
        let day = chrono::Duration::days(1);
        if ctx.store().rate_count(&key, ctx.now(), day).await? >= REGISTRATIONS_PER_DAY {
            ctx.say(ctx.t("reg.too_many")).await?;
            return Ok(Outcome::Done);
        }
        if !code_mail::address_allows(ctx, &email).await? {
            ctx.say(ctx.t("code.address_limit")).await?;
            return Ok(Outcome::Done);
        }
        let issued = Issued::generate(true);
        // An address not confirmed yet gets nothing the person typed, the name neither.
        let hello = crate::wording::letter_hello(ctx.loc, kind, None);
        let letter = code_mail::letter(ctx, Purpose::Register, &email, &hello, &issued);
        let new = NewConsumer {
            kind,
            login: &login,
            name: &name,
            email: &email,
            password_hash: &hash,
            policy_version: &ctx.deps.config.privacy_policy_version,
            consent_at,
        };
        let masked = crate::domain::person::mask_email(&email);
        let sent = ctx.queued(
            ctx.tf(
                "reg.sent",
                &[
                    ("email", &esc(&masked)),
                    ("code_ttl", &crate::bot::code_mail::code_ttl(ctx.loc)),
                    ("link_ttl", &crate::bot::code_mail::link_ttl(ctx.loc)),
                ],
            ),
            &[
                &[("confirm.resend", AuthCb::Resend)],
                &[("confirm.restart", AuthCb::RestartRegistration)],
            ],
        );
        let mut finish = ctx.finish(vec![sent]);
        finish.rate_keys.push(key);
        finish.rate_keys.push(code_mail::address_key(&email));
        let (_, replies) = ctx
            .store()
            .register_pending(ctx.chat.0, &new, &issued, &letter, ctx.now(), Some(&finish))
            .await?;
        ctx.reload_session().await?;
        ctx.send_committed(&replies).await?;
        Ok(Outcome::Done)
    }
}

fn parse_login(loc: &'static str, kind: ApplicantKind, t: &str) -> std::result::Result<String, String> {
    Login::parse(kind, t)
        .map(|l| l.as_str().to_owned())
        .map_err(|e| input_errors::id_error(loc, kind, e))
}

fn parse_name(loc: &'static str, kind: ApplicantKind, t: &str) -> std::result::Result<String, String> {
    Name::parse(kind, t)
        .map(|n| n.as_str().to_owned())
        .map_err(|e| input_errors::name_error(loc, kind, e))
}

fn parse_email(loc: &'static str, t: &str) -> std::result::Result<String, String> {
    Email::parse(t)
        .map(|e| e.as_str().to_owned())
        .map_err(|_| crate::i18n::t(loc, "email.invalid"))
}
