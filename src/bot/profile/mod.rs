//! «Профиль»: the account's data, edits (name, phone, e-mail with a code), the password,
//! reminders, sign-out and deletion (withdrawal of consent). The edits are forms on the step
//! engine (`edit`); the card and its buttons are `card`.

mod card;
mod edit;
pub mod state;

pub use card::show;

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form::{self, FormData};
use crate::bot::outcome::Outcome;
use crate::callback::Cb;
use edit::ProfileEdit;
use state::{ProfileForm, ProfileState};
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

/// The edit form of `which` for the signed-in account.
fn edit_form(ctx: &Ctx, which: ProfileForm) -> Option<ProfileEdit> {
    ctx.user().cloned().map(|account| ProfileEdit { which, account })
}

async fn begin(ctx: &mut Ctx, which: ProfileForm) -> Result<Outcome> {
    match edit_form(ctx, which) {
        Some(f) => form::go(ctx, &f, FormData::default()).await,
        None => Ok(Outcome::Stale),
    }
}

pub async fn on_message(ctx: &mut Ctx, msg: &Message, state: ProfileState) -> Result<Outcome> {
    let ProfileState::Form { form: which, data } = state;
    match edit_form(ctx, which) {
        Some(f) => form::on_message(ctx, &f, data, msg).await,
        None => Ok(Outcome::Home(None)),
    }
}

pub async fn on_callback(ctx: &mut Ctx, cb: Cb, state: Option<ProfileState>) -> Result<Outcome> {
    match (cb, state) {
        (Cb::Profile, _) => show(ctx).await,
        (Cb::ProfileEdit, _) => card::edit_menu(ctx).await,
        (Cb::EditName, _) => begin(ctx, ProfileForm::Name).await,
        (Cb::EditPhone, _) => begin(ctx, ProfileForm::Phone).await,
        (Cb::EditEmail, _) => begin(ctx, ProfileForm::Email).await,
        (Cb::ChangePassword, _) => begin(ctx, ProfileForm::Password).await,
        (Cb::Delete, _) => begin(ctx, ProfileForm::Delete).await,
        (Cb::Reminders, _) => card::reminders(ctx).await,
        (Cb::ToggleReminder(which), _) => card::toggle_reminder(ctx, which).await,
        (Cb::Logout, _) => card::logout(ctx).await,
        (
            Cb::ResendEmailCode,
            Some(ProfileState::Form {
                form: ProfileForm::Email,
                data,
            }),
        ) => edit::resend_email_code(ctx, &data).await,
        (cb, Some(ProfileState::Form { form: which, data })) => match edit_form(ctx, which) {
            Some(f) => form::on_callback(ctx, &f, data, cb).await,
            None => Ok(Outcome::Stale),
        },
        _ => Ok(Outcome::Stale),
    }
}

pub async fn prompt(ctx: &Ctx, state: &ProfileState) -> Result<Outcome> {
    let ProfileState::Form { form: which, data } = state;
    match edit_form(ctx, *which) {
        Some(f) => form::ask(ctx, &f, data).await,
        None => Ok(Outcome::Home(None)),
    }
}
