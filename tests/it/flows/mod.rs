mod closing;
pub mod connection;
mod consumers;
pub mod desk;
mod english;
mod login;
mod meter_review;
pub mod meters;
mod profile;
mod registration;
mod reminders;
mod restart;
mod sections;
pub mod tickets;

use crate::helpers::{Client, TestApp, ru, step};

pub struct Person<'a> {
    pub kind_key: &'a str,
    pub login: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

pub const IVANOV: Person<'static> = Person {
    kind_key: "kind.individual",
    login: "112-233-445 95",
    name: "Иванов Иван Иванович",
    email: "ivanov@example.ru",
    password: "correct horse",
};

/// Goes through every registration step up to the summary; returns the summary message.
pub async fn fill_registration(c: &mut Client, p: &Person<'_>) -> tgmock::BotMessage {
    c.send("/start");
    let welcome = c.expect_key("start.welcome").await;
    c.press(&welcome, &ru("start.register"));
    fill_from_consent(c, p).await
}

/// /start, «Зарегистрироваться», consent, the applicant kind: leaves the chat at step 3 (the
/// identifier).
pub async fn open_registration(c: &mut Client, kind_key: &str) {
    c.send("/start");
    let welcome = c.expect_key("start.welcome").await;
    c.press(&welcome, &ru("start.register"));
    let consent = c.expect_key("reg.consent").await;
    c.press(&consent, &ru("reg.consent_yes"));
    let kind = c.expect_key("reg.kind_q").await;
    c.press(&kind, &ru(kind_key));
    c.expect(&step(3, 6)).await;
}

/// The registration steps from the consent question on; returns the summary.
pub async fn fill_from_consent(c: &mut Client, p: &Person<'_>) -> tgmock::BotMessage {
    let consent = c.expect_key("reg.consent").await;
    c.press(&consent, &ru("reg.consent_yes"));
    let kind = c.expect_key("reg.kind_q").await;
    c.press(&kind, &ru(p.kind_key));
    c.expect(&step(3, 6)).await;
    c.send(p.login);
    c.expect(&step(4, 6)).await;
    c.send(p.name);
    c.expect_key("reg.email_q").await;
    c.send(p.email);
    c.expect_key("reg.password_q").await;
    let first = c.send(p.password);
    c.expect_key("reg.password_repeat_q").await;
    c.expect_deleted(first).await;
    let second = c.send(p.password);
    c.expect_deleted(second).await;
    c.expect_key("reg.summary").await
}

/// Registers and confirms with the code from the letter; leaves the user at the menu.
pub async fn register_confirmed(app: &TestApp, c: &mut Client, p: &Person<'_>) {
    let summary = fill_registration(c, p).await;
    let mut seen = app.mail_seen();
    c.press(&summary, &ru("reg.ok"));
    c.expect_key("reg.sent").await;
    let letter = app.mail_to(p.email, &mut seen).await;
    c.send(&crate::helpers::code_in(&letter));
    c.expect_key("confirm.done").await;
    c.expect_key("menu.title").await;
}

/// /start, then «Войти в личный кабинет»: returns the question for the login.
pub async fn open_login(c: &mut Client) -> tgmock::BotMessage {
    c.send("/start");
    let welcome = c.expect_key("start.welcome").await;
    c.press(&welcome, &ru("start.login"));
    c.expect_key("login.id_q").await
}

/// For the black-box tests: a one-zone electricity meter through the dialogue.
pub async fn add_meter_for_e2e(c: &mut Client) {
    meters::add_meter(c, &meters::FLAT_ELECTRIC).await;
}
