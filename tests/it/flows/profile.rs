use super::{IVANOV, open_login, register_confirmed};
use crate::helpers::{TestApp, code_in, ru};
use kabinet::store::sql;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_shows_masked_data_and_edits_name_and_phone() {
    let app = TestApp::spawn().await;
    let mut c = app.user(5001);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.profile"));
    let card = c.expect_key("profile.card").await;
    assert!(card.text.contains("•••••••4595") && card.text.contains("ivanov@example.ru"));
    assert!(card.text.contains(&ru("profile.no_phone")));

    c.press(&card, &ru("profile.edit"));
    let edit = c.expect_key("profile.edit_q").await;
    c.press(&edit, &ru("profile.field_name"));
    c.expect_key("profile.name_q").await;
    c.send("Иванов");
    c.expect_key("name.not_full").await;
    c.send("Иванов Иван Петрович");
    c.expect_key("common.saved").await;
    let card = c.expect("Иванов Иван Петрович").await;

    c.press(&card, &ru("profile.edit"));
    let edit = c.expect_key("profile.edit_q").await;
    c.press(&edit, &ru("profile.field_phone"));
    let ask = c.expect_key("profile.phone_q").await;
    assert_eq!(ask.keyboard_buttons()[0], ru("profile.phone_button"));
    // Someone else's contact is refused.
    c.contact("+79990000000", Some(999));
    c.expect_key("profile.phone_not_own").await;
    c.contact("79001234567", Some(5001));
    c.expect_key("common.saved").await;
    c.expect("+79001234567").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_mail_change_is_confirmed_before_it_replaces_the_old_one() {
    let app = TestApp::spawn().await;
    let mut c = app.user(5101);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.profile"));
    let card = c.expect_key("profile.card").await;
    c.press(&card, &ru("profile.edit"));
    let edit = c.expect_key("profile.edit_q").await;
    c.press(&edit, &ru("profile.field_email"));
    // The current password first: whoever holds the chat cannot take the consumer by e-mail.
    c.expect_key("profile.email_password_q").await;
    let wrong = c.send("not my password");
    c.expect_key("profile.pw_wrong").await;
    c.expect_deleted(wrong).await;
    let right = c.send(IVANOV.password);
    c.expect_key("profile.email_q").await;
    c.expect_deleted(right).await;
    c.send("ivanov@example.ru");
    c.expect_key("profile.email_same").await;
    c.send("new@example.ru");
    c.expect("Мы отправили код на ne***@example.ru").await;

    let store = app.store().await;
    let (email,): (String,) = sql::query_as("SELECT email FROM consumers")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(email, "ivanov@example.ru", "not replaced before confirmation");

    let mut seen = Vec::new();
    let letter = app.mail_to("new@example.ru", &mut seen).await;
    // The confirmation letter of the registration went to the old address before.
    let mut old_seen = Vec::new();
    app.mail_to("ivanov@example.ru", &mut old_seen).await;
    c.send(&code_in(&letter));
    c.expect_key("profile.email_changed").await;
    let (email,): (String,) = sql::query_as("SELECT email FROM consumers")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(email, "new@example.ru");
    // The old address is told, with what to do if it was not the owner.
    let told = app.mail_to("ivanov@example.ru", &mut old_seen).await;
    assert!(told.contains("ne***@example.ru") && told.contains("не вы"), "{told}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_needs_the_current_one() {
    let app = TestApp::spawn().await;
    let mut c = app.user(5201);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.profile"));
    let card = c.expect_key("profile.card").await;
    c.press(&card, &ru("profile.password"));
    c.expect_key("profile.pw_current_q").await;
    let bad = c.send("not my password");
    c.expect_key("profile.pw_wrong").await;
    c.expect_deleted(bad).await;
    c.send(IVANOV.password);
    c.expect_key("profile.pw_new_q").await;
    c.send("second password");
    c.expect_key("reg.password_repeat_q").await;
    c.send("second password");
    c.expect_key("profile.pw_changed").await;

    let store = app.store().await;
    let (hash,): (String,) = sql::query_as("SELECT password_hash FROM consumers")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert!(kabinet::hashing::verify("second password", &hash));
    assert!(!kabinet::hashing::verify(IVANOV.password, &hash));

    // The current-password check keeps the sign-in's lock-out: five wrong in a row lock it.
    let card = c.expect_key("profile.card").await;
    c.press(&card, &ru("profile.password"));
    c.expect_key("profile.pw_current_q").await;
    for _ in 0..4 {
        c.send("not my password");
        c.expect_key("profile.pw_wrong").await;
    }
    c.send("not my password");
    c.expect(&crate::helpers::ru_head("profile.pw_locked")).await;
    c.send(&ru("menu.profile"));
    let card = c.expect_key("profile.card").await;
    c.press(&card, &ru("profile.password"));
    c.expect_key("profile.pw_current_q").await;
    c.send("second password");
    c.expect(&crate::helpers::ru_head("profile.pw_locked")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_and_consumer_deletion() {
    let app = TestApp::spawn().await;
    let mut c = app.user(5301);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.profile"));
    let card = c.expect_key("profile.card").await;
    // «Выйти» asks first: «Нет» goes back to the profile, still signed in.
    c.press(&card, &ru("profile.logout"));
    let q = c.expect_key("profile.logout_q").await;
    c.press(&q, &ru("profile.logout_no"));
    c.expect_key("profile.card").await;
    c.press(&q, &ru("profile.logout_yes"));
    let out = c.expect_key("profile.logged_out").await;
    assert!(out.removes_keyboard());
    c.expect_key("start.welcome").await;
    c.send(&ru("menu.profile"));
    c.expect_key("start.who_are_you").await;

    // Sign back in, then delete.
    open_login(&mut c).await;
    c.send("11223344595");
    c.expect_key("login.password_q").await;
    c.send(IVANOV.password);
    c.expect_key("login.done").await;
    c.send(&ru("menu.profile"));
    let card = c.expect_key("profile.card").await;
    c.press(&card, &ru("profile.delete"));
    c.expect_key("profile.delete_q").await;
    // The password confirms it (a wrong one does not).
    c.send("not my password");
    c.expect_key("profile.pw_wrong").await;
    let pw = c.send(IVANOV.password);
    c.expect_key("profile.deleted").await;
    c.expect_deleted(pw).await;

    let store = app.store().await;
    let row: (String, Option<String>, Option<String>, Option<String>, Option<String>) =
        sql::query_as("SELECT status, login, name, email, password_hash FROM consumers")
            .fetch_one(&store.pool)
            .await
            .unwrap();
    assert_eq!(row, ("deleted".into(), None, None, None, None));
    let (withdrawn,): (i64,) = sql::query_as("SELECT COUNT(*) FROM consents WHERE withdrawn_at IS NOT NULL")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(withdrawn, 1);
    let (linked,): (i64,) = sql::query_as("SELECT COUNT(*) FROM chats WHERE consumer_id IS NOT NULL")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(linked, 0);
    // The СНИЛС is free for a new registration.
    let mut again = app.user(5302);
    register_confirmed(&app, &mut again, &IVANOV).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn useful_information_comes_from_configuration() {
    let app = TestApp::spawn_with(&["--org-phone", "+7 (800) 100-00-00", "--org-hours", "пн–пт 8:00–17:00"]).await;
    let mut c = app.user(5401);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    c.press(&hub, &ru("services.info"));
    let info = c.expect("+7 (800) 100-00-00").await;
    assert!(info.text.contains("пн–пт 8:00–17:00"));
    c.send(&ru("menu.meters"));
    c.expect_key("meters.empty").await;
}

/// Nothing configured to show: «Полезная информация» is not offered (no empty page).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn useful_information_is_not_offered_when_nothing_is_configured() {
    let app = TestApp::spawn().await;
    let mut c = app.user(5402);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    let labels: Vec<String> = hub.inline_buttons().into_iter().map(|b| b.0).collect();
    assert!(!labels.contains(&ru("services.info")), "{labels:?}");
    assert!(labels.contains(&ru("ticket.new.appeal")), "{labels:?}");
}
