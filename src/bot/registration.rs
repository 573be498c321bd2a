//! Registration, one step per message: consent, applicant kind, login, name, e-mail, password
//! twice, summary. Then the account waits for its e-mail code (see `menu`).

use super::state::{RegForm, RegStep, State};
use super::{Ctx, HandlerResult, codes, esc, keyboards, start};
use crate::callback::{Cb, Field};
use crate::domain::ids::IdError;
use crate::domain::person::{EmailError, NameError, PasswordError};
use crate::domain::{ApplicantKind, Email, Login, Name, NewPassword};
use crate::store::accounts::NewAccount;
use crate::store::codes::{Issued, Purpose};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, KeyboardRemove};

/// Registrations submitted from one chat per day.
pub use crate::policy::REGISTRATIONS_PER_DAY;

pub async fn begin(ctx: &mut Ctx) -> HandlerResult {
    let form = RegForm::default();
    go(ctx, RegStep::Consent, form).await
}

async fn go(ctx: &Ctx, step: RegStep, form: RegForm) -> HandlerResult {
    ctx.set(State::Registration {
        step,
        form: form.clone(),
    })
    .await?;
    prompt(ctx, step, &form).await
}

fn kind_key(kind: ApplicantKind) -> &'static str {
    match kind {
        ApplicantKind::Individual => "kind.individual",
        ApplicantKind::Entrepreneur => "kind.entrepreneur",
        ApplicantKind::Legal => "kind.legal",
    }
}

pub fn kind_label(loc: &str, kind: ApplicantKind) -> String {
    crate::i18n::t(loc, kind_key(kind))
}

/// The login's name by kind: СНИЛС, ОГРНИП, ОГРН.
pub fn login_name(loc: &str, kind: ApplicantKind) -> String {
    crate::i18n::t(loc, &format!("id.name.{}", kind.as_str()))
}

pub async fn prompt(ctx: &Ctx, step: RegStep, form: &RegForm) -> HandlerResult {
    let loc = ctx.loc;
    let kind = form.kind.unwrap_or(ApplicantKind::Individual);
    let back = form.previous(step).is_some();
    match step {
        RegStep::Consent => {
            let url = ctx.deps.config.privacy_policy_url.to_string();
            let kb = keyboards::inline(vec![
                vec![keyboards::button(loc, "reg.consent_yes", Cb::ConsentYes)],
                vec![keyboards::button(loc, "reg.consent_no", Cb::ConsentNo)],
                keyboards::nav_row(loc, false),
            ]);
            // Drop a reply keyboard a signed-out person may still have.
            ctx.say_with(ctx.t("reg.start"), KeyboardRemove::new()).await?;
            ctx.say_with(ctx.tf("reg.consent", &[("url", &esc(&url))]), kb).await
        }
        RegStep::Kind => {
            let mut rows: Vec<Vec<InlineKeyboardButton>> = ApplicantKind::ALL
                .into_iter()
                .map(|k| vec![keyboards::button(loc, kind_key(k), Cb::Kind(k))])
                .collect();
            rows.push(keyboards::nav_row(loc, back));
            ctx.say_with(ctx.t("reg.kind_q"), keyboards::inline(rows)).await
        }
        RegStep::Login => {
            ctx.say_with(
                ctx.t(&format!("reg.login_q.{}", kind.as_str())),
                keyboards::nav(loc, back),
            )
            .await
        }
        RegStep::Name => {
            let key = if kind == ApplicantKind::Legal {
                "reg.name_q.legal"
            } else {
                "reg.name_q.person"
            };
            ctx.say_with(ctx.t(key), keyboards::nav(loc, back)).await
        }
        RegStep::Email => ctx.say_with(ctx.t("reg.email_q"), keyboards::nav(loc, back)).await,
        RegStep::Password => ctx.say_with(ctx.t("reg.password_q"), keyboards::nav(loc, back)).await,
        RegStep::PasswordRepeat => {
            ctx.say_with(ctx.t("reg.password_repeat_q"), keyboards::nav(loc, back))
                .await
        }
        RegStep::Summary => {
            let login = form
                .login
                .as_deref()
                .map(crate::domain::ids::mask_digits)
                .unwrap_or_default();
            let text = ctx.tf(
                "reg.summary",
                &[
                    ("kind", &kind_label(loc, kind)),
                    ("login_name", &login_name(loc, kind)),
                    ("login", &login),
                    ("name", &esc(form.name.as_deref().unwrap_or_default())),
                    ("email", &esc(form.email.as_deref().unwrap_or_default())),
                ],
            );
            let kb = keyboards::inline(vec![
                vec![keyboards::button(loc, "reg.ok", Cb::RegOk)],
                vec![keyboards::button(loc, "reg.fix", Cb::RegFix)],
                keyboards::nav_row(loc, false),
            ]);
            ctx.say_with(text, kb).await
        }
        RegStep::Fix => {
            let fields = [
                ("fix.kind", Field::Kind),
                ("fix.login", Field::Login),
                ("fix.name", Field::Name),
                ("fix.email", Field::Email),
                ("fix.password", Field::Password),
            ];
            let mut rows: Vec<Vec<InlineKeyboardButton>> = fields
                .into_iter()
                .map(|(key, f)| vec![keyboards::button(loc, key, Cb::Fix(f))])
                .collect();
            rows.push(keyboards::nav_row(loc, true));
            ctx.say_with(ctx.t("reg.fix_q"), keyboards::inline(rows)).await
        }
    }
}

pub async fn on_callback(ctx: &mut Ctx, cb: Cb, step: RegStep, mut form: RegForm) -> HandlerResult {
    match (step, cb) {
        (_, Cb::Back) => match form.previous(step) {
            Some(prev) => go(ctx, prev, form).await,
            None => start::cancel(ctx).await,
        },
        (RegStep::Consent, Cb::ConsentYes) => {
            form.consent_at = Some(ctx.now());
            go(ctx, form.next_step(), form).await
        }
        (RegStep::Consent, Cb::ConsentNo) => {
            ctx.reset().await?;
            ctx.say(ctx.t("reg.consent_refused")).await?;
            start::show_home(ctx).await
        }
        (RegStep::Kind, Cb::Kind(kind)) => {
            form.set_kind(kind);
            go(ctx, form.next_step(), form).await
        }
        (RegStep::Summary, Cb::RegOk) => submit(ctx, form).await,
        (RegStep::Summary, Cb::RegFix) => go(ctx, RegStep::Fix, form).await,
        (RegStep::Fix, Cb::Fix(field)) => {
            form.editing = true;
            let step = match field {
                Field::Kind => RegStep::Kind,
                Field::Login => RegStep::Login,
                Field::Name => RegStep::Name,
                Field::Email => RegStep::Email,
                Field::Password => RegStep::Password,
            };
            go(ctx, step, form).await
        }
        // Someone who already has an account can switch from registration to signing in.
        (RegStep::Login, Cb::Login) => super::login::begin(ctx).await,
        (RegStep::Login, Cb::Forgot) => super::login::begin_reset(ctx).await,
        _ => start::stale_button(ctx).await,
    }
}

pub async fn on_message(ctx: &mut Ctx, msg: &Message, step: RegStep, mut form: RegForm) -> HandlerResult {
    let Some(text) = msg.text() else {
        ctx.say(ctx.t(expected_key(step))).await?;
        return prompt(ctx, step, &form).await;
    };
    let kind = form.kind.unwrap_or(ApplicantKind::Individual);
    match step {
        RegStep::Login => match Login::parse(kind, text) {
            Ok(login) => {
                if ctx.store().confirmed_by_login(login.as_str()).await?.is_some() {
                    form.taken_login = Some(login.as_str().to_owned());
                    ctx.set(State::Registration { step, form }).await?;
                    return login_taken(ctx, kind).await;
                }
                if is_unusual(kind, &login) {
                    ctx.say(ctx.t(&format!("reg.unusual.{}", kind.as_str()))).await?;
                }
                form.login = Some(login.as_str().to_owned());
                go(ctx, form.next_step(), form).await
            }
            Err(e) => {
                ctx.say(id_error_text(ctx, kind, e)).await?;
                prompt(ctx, step, &form).await
            }
        },
        RegStep::Name => match Name::parse(kind, text) {
            Ok(name) => {
                form.name = Some(name.as_str().to_owned());
                go(ctx, form.next_step(), form).await
            }
            Err(e) => {
                ctx.say(name_error_text(ctx, kind, e)).await?;
                prompt(ctx, step, &form).await
            }
        },
        RegStep::Email => match Email::parse(text) {
            Ok(email) => {
                form.email = Some(email.as_str().to_owned());
                go(ctx, form.next_step(), form).await
            }
            Err(EmailError) => {
                ctx.say(ctx.t("email.invalid")).await?;
                prompt(ctx, step, &form).await
            }
        },
        RegStep::Password => {
            super::delete_secret(ctx, msg).await;
            let login = form.login.as_deref().and_then(|l| Login::parse(kind, l).ok());
            match NewPassword::parse(text, login.as_ref()) {
                Ok(pw) => {
                    form.first_hash = Some(super::hash_password(pw.expose().to_owned()).await?);
                    go(ctx, RegStep::PasswordRepeat, form).await
                }
                Err(e) => {
                    ctx.say(password_error_text(ctx, e)).await?;
                    prompt(ctx, step, &form).await
                }
            }
        }
        RegStep::PasswordRepeat => {
            super::delete_secret(ctx, msg).await;
            let first = form.first_hash.clone().unwrap_or_default();
            if super::verify_password(text.to_owned(), first.clone()).await? {
                form.password_hash = Some(first);
                form.first_hash = None;
                go(ctx, form.next_step(), form).await
            } else {
                ctx.say(ctx.t("reg.password_mismatch")).await?;
                form.first_hash = None;
                go(ctx, RegStep::Password, form).await
            }
        }
        // Steps answered with buttons.
        RegStep::Consent | RegStep::Kind | RegStep::Summary | RegStep::Fix => {
            ctx.say(ctx.t("common.use_buttons")).await?;
            prompt(ctx, step, &form).await
        }
    }
}

fn expected_key(step: RegStep) -> &'static str {
    match step {
        RegStep::Consent | RegStep::Kind | RegStep::Summary | RegStep::Fix => "common.use_buttons",
        _ => "common.text_expected",
    }
}

fn is_unusual(kind: ApplicantKind, login: &Login) -> bool {
    match kind {
        ApplicantKind::Individual => false,
        ApplicantKind::Entrepreneur => crate::domain::Ogrnip::parse(login.as_str()).is_ok_and(|o| o.is_unusual()),
        ApplicantKind::Legal => crate::domain::Ogrn::parse(login.as_str()).is_ok_and(|o| o.is_unusual()),
    }
}

pub fn id_error_text(ctx: &Ctx, kind: ApplicantKind, e: IdError) -> String {
    let name = login_name(ctx.loc, kind);
    match e {
        IdError::Empty => ctx.tf("id.empty", &[("id", &name)]),
        IdError::NotDigits => ctx.tf("id.not_digits", &[("id", &name)]),
        IdError::WrongLength { expected, got } => ctx.tf(
            "id.wrong_length",
            &[
                ("id", &name),
                ("expected", &expected.to_string()),
                ("got", &got.to_string()),
            ],
        ),
        IdError::Checksum => ctx.tf("id.checksum", &[("id", &name)]),
        IdError::LeadingZero => ctx.tf("id.leading_zero", &[("id", &name)]),
    }
}

pub fn name_error_text(ctx: &Ctx, kind: ApplicantKind, e: NameError) -> String {
    let max = if kind == ApplicantKind::Legal {
        Name::ORG_MAX
    } else {
        Name::PERSON_MAX
    };
    match e {
        NameError::TooShort => ctx.t("name.too_short"),
        NameError::TooLong => ctx.tf("name.too_long", &[("max", &max.to_string())]),
        NameError::BadChars if kind == ApplicantKind::Legal => ctx.t("name.bad_chars_org"),
        NameError::BadChars => ctx.t("name.bad_chars_person"),
        NameError::NotFull => ctx.t("name.not_full"),
    }
}

pub fn password_error_text(ctx: &Ctx, e: PasswordError) -> String {
    match e {
        PasswordError::TooShort => ctx.tf("password.too_short", &[("min", &NewPassword::MIN.to_string())]),
        PasswordError::TooLong => ctx.tf("password.too_long", &[("max", &NewPassword::MAX.to_string())]),
        PasswordError::IsLogin => ctx.t("password.is_login"),
    }
}

async fn login_taken(ctx: &Ctx, kind: ApplicantKind) -> HandlerResult {
    let kb = keyboards::inline(vec![
        vec![keyboards::button(ctx.loc, "start.login", Cb::Login)],
        vec![keyboards::button(ctx.loc, "login.forgot", Cb::Forgot)],
        vec![keyboards::button(ctx.loc, "dispute.its_mine", Cb::Dispute)],
        keyboards::nav_row(ctx.loc, true),
    ]);
    ctx.say_with(ctx.tf("reg.login_taken", &[("id", &login_name(ctx.loc, kind))]), kb)
        .await
}

/// «Всё верно»: the account is created unconfirmed and the letter queued, all at once.
async fn submit(ctx: &mut Ctx, form: RegForm) -> HandlerResult {
    let (Some(consent_at), Some(kind), Some(login), Some(name), Some(email), Some(hash)) = (
        form.consent_at,
        form.kind,
        form.login.clone(),
        form.name.clone(),
        form.email.clone(),
        form.password_hash.clone(),
    ) else {
        let step = form.next_step();
        return go(ctx, step, form).await;
    };
    // Someone may have confirmed this login since it was typed.
    if ctx.store().confirmed_by_login(&login).await?.is_some() {
        let mut form = form;
        form.login = None;
        ctx.set(State::Registration {
            step: RegStep::Login,
            form,
        })
        .await?;
        return login_taken(ctx, kind).await;
    }
    // Each registration sends a letter: a chat may not turn the bot into a mail cannon.
    let key = format!("register:{}", ctx.chat.0);
    let day = chrono::Duration::days(1);
    if ctx.store().rate_count(&key, ctx.now(), day).await? >= REGISTRATIONS_PER_DAY {
        return ctx.say(ctx.t("reg.too_many")).await;
    }
    let issued = Issued::generate(true);
    let letter = codes::letter(ctx, Purpose::Register, &email, &name, &issued);
    let new = NewAccount {
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
        ctx.tf("reg.sent", &[("email", &esc(&masked))]),
        &[
            &[("confirm.resend", Cb::Resend)],
            &[("confirm.restart", Cb::RestartRegistration)],
        ],
    );
    let mut finish = ctx.finish(vec![sent]);
    finish.rate_keys.push(key);
    let (_, replies) = ctx
        .store()
        .register_pending(ctx.chat.0, &new, &issued, &letter, ctx.now(), Some(&finish))
        .await?;
    ctx.reload_session().await?;
    ctx.send_committed(&replies).await
}
