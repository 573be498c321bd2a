//! The profile's edits as forms on the step engine: the name, the phone (shared with a button or
//! typed), the e-mail (the password, the new address, the code sent there), the password (the
//! current one, the new one twice) and deletion (the password). Each is sent as soon as its
//! last field is answered.

use super::state::{ProfileForm, ProfileState};
use crate::bot::code_mail;
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form::{Check, Field, Form, FormData, Input};
use crate::bot::outcome::Outcome;
use crate::bot::password::{self, Verdict};
use crate::bot::state::State;
use crate::bot::{input_errors, ui};
use crate::callback::ProfileCb;
use crate::domain::person::mask_email;
use crate::domain::{Email, Login, Name};
use crate::store::codes::{CodeCheck, CodeFor, Purpose, normalize_code};
use crate::store::consumers::Consumer;
use crate::store::outbox::OutboxMessage;
use teloxide::types::KeyboardRemove;

type Result<T> = std::result::Result<T, HandlerError>;

pub struct ProfileEdit {
    pub which: ProfileForm,
    pub consumer: Consumer,
}

impl ProfileEdit {
    fn code_key(&self, ctx: &Ctx) -> CodeFor {
        CodeFor {
            consumer_id: self.consumer.id,
            purpose: Purpose::EmailChange,
            chat_id: ctx.chat.0,
        }
    }
}

/// «Отправить код ещё раз» while the code of a new address is asked.
pub async fn resend_email_code(ctx: &Ctx, data: &FormData) -> Result<Outcome> {
    let (Some(acc), Some(email)) = (ctx.user(), data.get("email")) else {
        return Ok(Outcome::Stale);
    };
    let key = CodeFor {
        consumer_id: acc.id,
        purpose: Purpose::EmailChange,
        chat_id: ctx.chat.0,
    };
    let sent = code_mail::send(ctx, key, email, &crate::wording::letter_hello(ctx.loc, acc.kind, None)).await?;
    match code_mail::refusal(ctx, &sent) {
        Some(text) => ctx.say(text).await?,
        None => {
            let text = ctx.tf("code.resent", &[("email", &ui::esc(&mask_email(email)))]);
            ctx.say(text).await?
        }
    }
    Ok(Outcome::Done)
}

/// To the address being replaced: what changed and what to do if it was not the owner.
fn email_changed_letter(ctx: &Ctx, hello: &str, old: &str, new: &str) -> OutboxMessage {
    let c = &ctx.deps.config;
    let contacts = [&c.org_phone, &c.org_email]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let org = c.org_signature(ctx.loc);
    let args = [
        ("hello", hello),
        ("org", org.as_str()),
        ("email", &mask_email(new)),
        ("contacts", contacts.as_str()),
    ];
    OutboxMessage::Email {
        to: old.to_owned(),
        subject: ctx.tf("mail.email_changed.subject", &args),
        body: ctx.tf("mail.email_changed.body", &args),
        code: false,
    }
}

/// Saved: the menu keyboard comes back (the phone step replaced it), then the card shows the
/// change.
async fn saved(ctx: &Ctx) -> Result<Outcome> {
    ui::with_menu(ctx, ctx.t("common.saved")).await?;
    Ok(Outcome::Open(&super::ENTRY))
}

impl Form for ProfileEdit {
    fn state(&self, data: FormData) -> State {
        ProfileState::Form { form: self.which, data }.into()
    }

    fn has_summary(&self) -> bool {
        false
    }

    async fn fields(&self, ctx: &Ctx, data: &FormData) -> Result<Vec<Field>> {
        let loc = ctx.loc;
        let kind = self.consumer.kind;
        Ok(match self.which {
            ProfileForm::Name => vec![Field::text(
                "name",
                ctx.t("profile.name_q"),
                Box::new(move |t| {
                    Name::parse(kind, t)
                        .map(|n| n.as_str().to_owned())
                        .map_err(|e| input_errors::name_error(loc, kind, e))
                }),
            )],
            ProfileForm::Phone => vec![Field::new("phone", ctx.t("profile.phone_q"), Input::Phone)],
            ProfileForm::Email => {
                let current = self.consumer.email().to_owned();
                let masked = data.get("email").map(mask_email).unwrap_or_default();
                vec![
                    Field::new("password", ctx.t("profile.email_password_q"), Input::Verify),
                    Field::text(
                        "email",
                        ctx.t("profile.email_q"),
                        Box::new(move |t| match Email::parse(t) {
                            Ok(e) if e.as_str().eq_ignore_ascii_case(&current) => {
                                Err(crate::i18n::t(loc, "profile.email_same"))
                            }
                            Ok(e) => Ok(e.as_str().to_owned()),
                            Err(_) => Err(crate::i18n::t(loc, "email.invalid")),
                        }),
                    ),
                    Field::text(
                        "code",
                        ctx.tf("profile.email_code_q", &[("email", &ui::esc(&masked))]),
                        Box::new(move |t| normalize_code(t).ok_or_else(|| crate::i18n::t(loc, "reset.code_format"))),
                    )
                    .extra(ctx.t("confirm.resend"), ProfileCb::ResendEmailCode),
                ]
            }
            ProfileForm::Password => vec![
                Field::new("current", ctx.t("profile.pw_current_q"), Input::Verify),
                Field::new(
                    "new",
                    ctx.t("profile.pw_new_q"),
                    Input::NewPassword {
                        login: Login::parse_any(self.consumer.login()).ok(),
                    },
                ),
                Field::new(
                    "repeat",
                    ctx.t("reg.password_repeat_q"),
                    Input::RepeatPassword { of: "new" },
                ),
            ],
            ProfileForm::Delete => vec![Field::new("password", ctx.t("profile.delete_q"), Input::Verify)],
        })
    }

    /// The current password, with the lock-out of the sign-in.
    async fn verify(&self, ctx: &Ctx, _key: &str, typed: &str) -> Result<Check> {
        let acc = &self.consumer;
        Ok(match password::check(ctx, acc.login(), Some(acc), typed).await? {
            Verdict::Right => Check::Go,
            Verdict::Wrong => Check::Again(ctx.t("profile.pw_wrong")),
            Verdict::Locked { until } => {
                let wait = password::wait_words(ctx, until);
                Check::Stop(Outcome::Home(Some(ctx.tf("profile.pw_locked", &[("wait", &wait)]))))
            }
            Verdict::ChatLimit => Check::Stop(Outcome::Home(Some(ctx.t("login.chat_limit")))),
        })
    }

    async fn check(&self, ctx: &Ctx, key: &str, data: &mut FormData) -> Result<Check> {
        match (self.which, key) {
            // The new address gets its code as soon as it is typed.
            (ProfileForm::Email, "email") => {
                let email = data.get("email").unwrap_or_default().to_owned();
                // The new address is not confirmed yet: no name goes to it.
                let hello = crate::wording::letter_hello(ctx.loc, self.consumer.kind, None);
                let sent = code_mail::send(ctx, self.code_key(ctx), &email, &hello).await?;
                if let Some(text) = code_mail::refusal(ctx, &sent) {
                    ctx.say(text).await?;
                }
                Ok(Check::Go)
            }
            (ProfileForm::Email, "code") => {
                let code = data.get("code").unwrap_or_default().to_owned();
                let c = &self.consumer;
                let hello = crate::wording::letter_hello(ctx.loc, c.kind, c.name.as_deref());
                let to_old = |old: &str, new: &str| email_changed_letter(ctx, &hello, old, new);
                let check = ctx
                    .store()
                    .change_email_by_code(self.code_key(ctx), &code, to_old, ctx.now())
                    .await?;
                Ok(match check {
                    CodeCheck::Ok { .. } => {
                        // The old address is told.
                        ctx.outbox_written();
                        ctx.say(ctx.t("profile.email_changed")).await?;
                        Check::Stop(Outcome::Open(&super::ENTRY))
                    }
                    check @ CodeCheck::Wrong { .. } => {
                        Check::Again(input_errors::code_problem(ctx.loc, &check).unwrap_or_default())
                    }
                    check => Check::Stop(Outcome::Home(input_errors::code_problem(ctx.loc, &check))),
                })
            }
            _ => Ok(Check::Go),
        }
    }

    async fn submit(&self, ctx: &mut Ctx, data: FormData) -> Result<Outcome> {
        let id = self.consumer.id;
        match self.which {
            ProfileForm::Name => {
                ctx.store().set_name(id, data.get("name").unwrap_or_default()).await?;
                saved(ctx).await
            }
            ProfileForm::Phone => {
                ctx.store().set_phone(id, data.get("phone").unwrap_or_default()).await?;
                saved(ctx).await
            }
            ProfileForm::Password => {
                password::set_password(ctx, id, data.get("new").unwrap_or_default()).await?;
                ctx.say(ctx.t("profile.pw_changed")).await?;
                Ok(Outcome::Open(&super::ENTRY))
            }
            ProfileForm::Delete => {
                let notices = password::tell_chats(ctx, id, Some(ctx.chat.0), "auth.deleted_elsewhere").await?;
                ctx.store().delete_consumer(id, &notices, ctx.now()).await?;
                ctx.outbox_written();
                ctx.say_with(ctx.t("profile.deleted"), KeyboardRemove::new()).await?;
                Ok(Outcome::Home(None))
            }
            // Changed by its code (`check`); nothing is left to send.
            ProfileForm::Email => Ok(Outcome::Home(None)),
        }
    }
}
