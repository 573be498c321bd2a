//! «Профиль»: the consumer's data, edits (name, phone, e-mail with a code), the password,
//! reminders, sign-out and deletion (withdrawal of consent). The edits are forms on the step
//! engine (`edit`); the card and its buttons are `card`.

mod card;
mod edit;
pub mod state;

use card::show;

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::form::{self, FormData};
use crate::bot::menu::{Entry, Shown};
use crate::bot::outcome::Outcome;
use crate::bot::section::{Press, Section};
use crate::callback::{ProfileCb, StepCb};
use edit::ProfileEdit;
use state::{ProfileForm, ProfileState};
use teloxide::types::Message;

type Result<T> = std::result::Result<T, HandlerError>;

pub struct Profile;

/// «Профиль» in the menu: where a finished edit lands.
pub const ENTRY: Entry = Entry {
    key: "menu.profile",
    shown: Shown::Always,
};

impl Section for Profile {
    type Button = ProfileCb;
    type State = ProfileState;
    const MENU: &'static [Entry] = &[ENTRY];

    async fn open(ctx: &mut Ctx, _entry: &'static Entry) -> Result<Outcome> {
        show(ctx).await
    }

    async fn on_message(ctx: &mut Ctx, msg: &Message, state: ProfileState) -> Result<Outcome> {
        let ProfileState::Form { form: which, data } = state;
        match edit_form(ctx, which) {
            Some(f) => form::on_message(ctx, &f, data, msg).await,
            None => Ok(Outcome::Home(None)),
        }
    }

    async fn on_button(ctx: &mut Ctx, press: Press<ProfileCb>, state: Option<ProfileState>) -> Result<Outcome> {
        match press {
            Press::Own(b) => on_own_button(ctx, b, state).await,
            Press::Step(cb) => on_step(ctx, cb, state).await,
        }
    }

    async fn prompt(ctx: &Ctx, state: &ProfileState) -> Result<Outcome> {
        let ProfileState::Form { form: which, data } = state;
        match edit_form(ctx, *which) {
            Some(f) => form::ask(ctx, &f, data).await,
            None => Ok(Outcome::Home(None)),
        }
    }
}

/// The edit form of `which` for the signed-in consumer.
fn edit_form(ctx: &Ctx, which: ProfileForm) -> Option<ProfileEdit> {
    ctx.user().cloned().map(|consumer| ProfileEdit { which, consumer })
}

async fn begin(ctx: &mut Ctx, which: ProfileForm) -> Result<Outcome> {
    match edit_form(ctx, which) {
        Some(f) => form::go(ctx, &f, FormData::default()).await,
        None => Ok(Outcome::Stale),
    }
}

async fn on_own_button(ctx: &mut Ctx, b: ProfileCb, state: Option<ProfileState>) -> Result<Outcome> {
    match (b, state) {
        (ProfileCb::Profile, _) => show(ctx).await,
        (ProfileCb::ProfileEdit, _) => card::edit_menu(ctx).await,
        (ProfileCb::EditName, _) => begin(ctx, ProfileForm::Name).await,
        (ProfileCb::EditPhone, _) => begin(ctx, ProfileForm::Phone).await,
        (ProfileCb::EditEmail, _) => begin(ctx, ProfileForm::Email).await,
        (ProfileCb::ChangePassword, _) => begin(ctx, ProfileForm::Password).await,
        (ProfileCb::Delete, _) => begin(ctx, ProfileForm::Delete).await,
        (ProfileCb::Reminders, _) => card::reminders(ctx).await,
        (ProfileCb::ToggleReminder(which), _) => card::toggle_reminder(ctx, which).await,
        (ProfileCb::SetReminder(which, on), _) => card::set_reminder(ctx, which, on == 1).await,
        (ProfileCb::Logout, _) => card::logout_q(ctx).await,
        (ProfileCb::LogoutConfirmed, _) => card::logout(ctx).await,
        (
            ProfileCb::ResendEmailCode,
            Some(ProfileState::Form {
                form: ProfileForm::Email,
                data,
            }),
        ) => edit::resend_email_code(ctx, &data).await,
        (ProfileCb::ResendEmailCode, _) => Ok(Outcome::Stale),
    }
}

async fn on_step(ctx: &mut Ctx, cb: StepCb, state: Option<ProfileState>) -> Result<Outcome> {
    match state {
        Some(ProfileState::Form { form: which, data }) => match edit_form(ctx, which) {
            Some(f) => form::on_callback(ctx, &f, data, cb).await,
            None => Ok(Outcome::Stale),
        },
        None => Ok(Outcome::Stale),
    }
}
