use super::{IVANOV, open_login, register_confirmed};
use crate::helpers::{TestApp, code_in, ru};
use chrono::Duration;
use kabinet::store::sql;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_telegram_consumer_signs_in_and_the_first_is_told() {
    let app = TestApp::spawn().await;
    let mut first = app.user(4001);
    register_confirmed(&app, &mut first, &IVANOV).await;

    let mut second = app.user(4002);
    open_login(&mut second).await;
    second.send("112-233-445-95");
    second.expect_key("login.password_q").await;
    let pw = second.send(IVANOV.password);
    second.expect_key("login.done").await;
    second.expect_deleted(pw).await;
    second.expect_key("menu.title").await;
    first.expect_key("login.notice_other").await;

    let store = app.store().await;
    let (linked,): (i64,) = sql::query_as("SELECT COUNT(*) FROM chats WHERE consumer_id IS NOT NULL")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(linked, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_passwords_lock_for_fifteen_minutes() {
    let app = TestApp::spawn().await;
    let mut owner = app.user(4101);
    register_confirmed(&app, &mut owner, &IVANOV).await;

    let mut intruder = app.user(4102);
    open_login(&mut intruder).await;
    intruder.send("11223344595");
    intruder.expect_key("login.password_q").await;
    for _ in 0..4 {
        intruder.send("wrong password");
        intruder.expect_key("login.bad").await;
        intruder.expect_key("login.password_q").await;
    }
    intruder.send("wrong password");
    intruder
        .expect("вход по паролю заблокирован, попробуйте через 15 минут")
        .await;
    // Even the right password is refused while locked.
    intruder.send("11223344595");
    intruder.expect_key("login.password_q").await;
    intruder.send(IVANOV.password);
    intruder.expect_key("login.locked").await;
    // After 15 minutes it works.
    app.clock.advance(Duration::minutes(16));
    intruder.send("11223344595");
    intruder.expect_key("login.password_q").await;
    intruder.send(IVANOV.password);
    intruder.expect_key("login.done").await;

    // An unknown login gets the same answer as a wrong password.
    let mut stranger = app.user(4103);
    open_login(&mut stranger).await;
    stranger.send("64270954807");
    stranger.expect_key("login.password_q").await;
    stranger.send("whatever123");
    stranger.expect_key("login.bad").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_by_e_mail_code() {
    let app = TestApp::spawn().await;
    let mut owner = app.user(4201);
    register_confirmed(&app, &mut owner, &IVANOV).await;
    let mut seen = Vec::new();
    app.mail_to("ivanov@example.ru", &mut seen).await;

    let mut c = app.user(4202);
    let q = open_login(&mut c).await;
    c.press(&q, &ru("login.forgot"));
    c.expect_key("reset.login_q").await;
    c.send("11223344595");
    c.expect_key("reset.sent").await;
    c.expect_key("reset.code_q").await;
    let letter = app.mail_to("ivanov@example.ru", &mut seen).await;
    assert!(letter.contains("восстановления пароля"));
    c.send("12345");
    c.expect_key("reset.code_format").await;
    c.send(&code_in(&letter));
    c.expect_key("reset.new_q").await;
    let p1 = c.send("brand new pass");
    c.expect_key("reg.password_repeat_q").await;
    c.send("brand new pass");
    c.expect_key("reset.done").await;
    c.expect_key("login.done").await;
    c.expect_deleted(p1).await;

    // The old password no longer works, the new one does.
    let mut third = app.user(4203);
    open_login(&mut third).await;
    third.send("11223344595");
    third.expect_key("login.password_q").await;
    third.send(IVANOV.password);
    third.expect_key("login.bad").await;
    third.send("brand new pass");
    third.expect_key("login.done").await;

    // Reset for a login nobody has: the same words, and no letter.
    let before = app.mail_count();
    let mut x = app.user(4204);
    let q = open_login(&mut x).await;
    x.press(&q, &ru("login.forgot"));
    x.expect_key("reset.login_q").await;
    x.send("64270954807");
    x.expect_key("reset.sent").await;
    x.send("123456");
    x.expect_key("confirm.wrong").await;
    assert_eq!(app.mail_count(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_chat_cannot_try_passwords_without_end() {
    let app = TestApp::spawn().await;
    let mut owner = app.user(4301);
    register_confirmed(&app, &mut owner, &IVANOV).await;
    let mut c = app.user(4302);
    open_login(&mut c).await;
    // Different logins, so no single login is locked for this chat: the chat is.
    for i in 0..kabinet::policy::CHAT_PASSWORD_FAILURES_PER_HOUR {
        c.send(&crate::helpers::snils(300_000_000 + i as u64));
        c.expect_key("login.password_q").await;
        c.send("guess guess");
        c.expect_key("login.bad").await;
        c.expect_key("login.id_q").await;
    }
    c.send("11223344595");
    c.expect_key("login.password_q").await;
    c.send(IVANOV.password);
    c.expect_key("login.chat_limit").await;
    app.clock.advance(Duration::minutes(61));
    open_login(&mut c).await;
    c.send("11223344595");
    c.expect_key("login.password_q").await;
    c.send(IVANOV.password);
    c.expect_key("login.done").await;
}
