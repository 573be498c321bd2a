//! Keyboards. Every question carries its way out («Назад», «Отмена»).

use crate::callback::Cb;
use crate::domain::menu::Section;
use crate::i18n::t;
use teloxide::types::{ButtonRequest, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup};

pub fn button(loc: &str, key: &str, cb: Cb) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(t(loc, key), cb.encode())
}

pub fn inline(rows: Vec<Vec<InlineKeyboardButton>>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(rows)
}

/// «Назад» (when there is a step to go back to) and «Отмена».
pub fn nav_row(loc: &str, back: bool) -> Vec<InlineKeyboardButton> {
    let mut row = Vec::new();
    if back {
        row.push(button(loc, "common.back", Cb::Back));
    }
    row.push(button(loc, "common.cancel", Cb::Cancel));
    row
}

pub fn nav(loc: &str, back: bool) -> InlineKeyboardMarkup {
    inline(vec![nav_row(loc, back)])
}

pub fn language_row() -> Vec<InlineKeyboardButton> {
    vec![
        InlineKeyboardButton::callback("Русский", Cb::Lang(crate::callback::Lang::Ru).encode()),
        InlineKeyboardButton::callback("English", Cb::Lang(crate::callback::Lang::En).encode()),
    ]
}

pub fn welcome(loc: &str) -> InlineKeyboardMarkup {
    inline(vec![
        vec![button(loc, "start.register", Cb::Register)],
        vec![button(loc, "start.login", Cb::Login)],
        language_row(),
    ])
}

pub fn pending(loc: &str) -> InlineKeyboardMarkup {
    inline(vec![
        vec![button(loc, "confirm.resend", Cb::Resend)],
        vec![button(loc, "confirm.restart", Cb::RestartRegistration)],
    ])
}

pub fn section_key(s: Section) -> &'static str {
    match s {
        Section::Services => "menu.services",
        Section::Profile => "menu.profile",
        Section::Meters => "menu.meters",
        Section::SendReadings => "menu.send_readings",
        Section::Connection => "menu.connection",
        Section::Tickets => "menu.tickets",
        Section::Requests => "menu.requests",
        Section::Documents => "menu.documents",
    }
}

/// The main menu as a reply keyboard, two buttons a row.
pub fn main_menu(loc: &str, sections: &[Section]) -> KeyboardMarkup {
    let rows = sections
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .map(|s| KeyboardButton::new(t(loc, section_key(*s))))
                .collect()
        })
        .collect::<Vec<Vec<_>>>();
    KeyboardMarkup::new(rows).resize_keyboard().persistent()
}

pub fn share_phone(loc: &str) -> KeyboardMarkup {
    KeyboardMarkup::new(vec![
        vec![KeyboardButton::new(t(loc, "profile.phone_button")).request(ButtonRequest::Contact)],
        vec![KeyboardButton::new(t(loc, "common.cancel"))],
    ])
    .resize_keyboard()
    .one_time_keyboard()
}
