//! What every section shows the same way: keyboards (every question carries its way out,
//! «Назад» and «Отмена»), the main menu, and the names of kinds, resources and zones.

use super::ctx::Ctx;
use super::deps::HandlerResult;
use crate::callback::{AuthCb, Buttons, Cb, Lang, StepCb};
use crate::i18n::t;
use teloxide::types::{ButtonRequest, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup};

pub use crate::telegram::esc;

pub fn button(loc: &str, key: &str, cb: impl Buttons) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(t(loc, key), cb.encode())
}

/// A row of one button.
pub fn row(loc: &str, key: &str, cb: impl Buttons) -> Vec<InlineKeyboardButton> {
    vec![button(loc, key, cb)]
}

pub fn inline(rows: Vec<Vec<InlineKeyboardButton>>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(rows)
}

/// «Назад» (when there is a step to go back to) and «Отмена».
pub fn nav_row(loc: &str, back: bool) -> Vec<InlineKeyboardButton> {
    let mut row = Vec::new();
    if back {
        row.push(button(loc, "common.back", StepCb::Back));
    }
    row.push(button(loc, "common.cancel", Cb::Cancel));
    row
}

pub fn nav(loc: &str, back: bool) -> InlineKeyboardMarkup {
    inline(vec![nav_row(loc, back)])
}

pub fn language_row() -> Vec<InlineKeyboardButton> {
    vec![
        InlineKeyboardButton::callback("Русский", Cb::Lang(Lang::Ru).encode()),
        InlineKeyboardButton::callback("English", Cb::Lang(Lang::En).encode()),
    ]
}

/// «Отправить код ещё раз» and «Начать регистрацию заново», under an unconfirmed consumer's
/// messages.
pub fn pending(loc: &str) -> InlineKeyboardMarkup {
    inline(vec![
        row(loc, "confirm.resend", AuthCb::Resend),
        row(loc, "confirm.restart", AuthCb::RestartRegistration),
    ])
}

/// A message with the main menu keyboard brought up to date (sections appear with their
/// first item). Only for a signed-in chat; otherwise the message goes without it.
pub async fn with_menu(ctx: &Ctx, text: impl Into<String>) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return ctx.say(text).await;
    };
    let entries = ctx.deps.menu.entries_for(ctx.store(), user.id).await?;
    ctx.say_with(text, super::menu::keyboard(ctx.loc, &entries)).await
}

/// «Отправить мой номер» and «Отмена» as a reply keyboard.
pub fn share_phone(loc: &str) -> KeyboardMarkup {
    KeyboardMarkup::new(vec![
        vec![KeyboardButton::new(t(loc, "profile.phone_button")).request(ButtonRequest::Contact)],
        vec![KeyboardButton::new(t(loc, "common.cancel"))],
    ])
    .resize_keyboard()
    .one_time_keyboard()
}

/// Whether a typed text is «Отмена» (from a reply keyboard), in either language.
pub fn is_cancel(text: &str) -> bool {
    crate::i18n::LOCALES
        .iter()
        .any(|l| t(l, "common.cancel") == text.trim())
}
