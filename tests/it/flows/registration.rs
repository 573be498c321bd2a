use super::{IVANOV, Person, fill_from_consent, fill_registration, register_confirmed};
use crate::helpers::{TestApp, code_in, ru, ru_head, step, token_in};
use chrono::Duration;
use kabinet::store::sql;

async fn consumer_rows(app: &TestApp) -> Vec<(String, String, String, String)> {
    sql::query_as("SELECT kind, COALESCE(login, ''), status, COALESCE(email, '') FROM consumers ORDER BY id")
        .fetch_all(&app.store().await.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn individual_registers_and_confirms_with_the_code() {
    let app = TestApp::spawn().await;
    let mut c = app.user(1001);
    let summary = fill_registration(&mut c, &IVANOV).await;
    // The person's own СНИЛС, on their own screen before they send it, in full; a private
    // person's name is «ФИО».
    assert!(summary.text.contains("11223344595"), "{}", summary.text);
    assert!(
        summary
            .text
            .contains(&format!("{}: {}", ru("name_label.person"), IVANOV.name)),
        "{}",
        summary.text
    );
    c.press(&summary, &ru("reg.ok"));
    let sent = c.expect_key("reg.sent").await;
    assert!(sent.text.contains("iv***@example.ru"));

    // Until confirmed the menu is not available: anything gets the reminder.
    c.send("/menu");
    c.expect_key("confirm.reminder").await;

    let mut seen = Vec::new();
    let letter = app.mail_to("ivanov@example.ru", &mut seen).await;
    // A letter to an address not confirmed yet carries nothing the person typed (finding 3:
    // the utility's mail server must not carry a stranger's text to any address).
    assert!(!letter.contains("Иванов"), "{letter}");
    // The wording is the point: a greeting without a name.
    assert!(letter.starts_with("Здравствуйте!"), "{letter}");
    c.send(&code_in(&letter));
    c.expect_key("confirm.done").await;
    let menu = c.expect_key("menu.title").await;
    assert_eq!(
        menu.keyboard_buttons(),
        vec![
            ru("menu.services"),
            ru("menu.profile"),
            ru("menu.accounts"),
            ru("menu.meters")
        ],
        "only the fixed sections for a new user"
    );

    let rows = consumer_rows(&app).await;
    assert_eq!(
        rows,
        vec![(
            "individual".into(),
            "11223344595".into(),
            "confirmed".into(),
            "ivanov@example.ru".into()
        )]
    );
    let store = app.store().await;
    let (policy, consents): (String, i64) = sql::query_as("SELECT MAX(policy_version), COUNT(*) FROM consents")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!((policy.as_str(), consents), ("1", 1));
    // Codes and tokens are stored hashed: the code from the letter is nowhere in the database.
    let code = code_in(&letter);
    let (hits,): (i64,) = sql::query_as("SELECT COUNT(*) FROM email_codes WHERE code_hash = $1 OR token_hash = $2")
        .bind(&code)
        .bind(token_in(&letter))
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(hits, 0);
    // The delivered letter is not kept in the outbox.
    let (payload,): (String,) = sql::query_as("SELECT payload FROM outbox WHERE channel = 'email'")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert!(!payload.contains(&code));

    // A confirmed user who sends anything gets the menu.
    c.send("привет");
    c.expect_key("menu.unknown").await;
    c.expect_key("menu.title").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entrepreneur_and_legal_entity_register() {
    let app = TestApp::spawn().await;
    let people = [
        Person {
            kind_key: "kind.entrepreneur",
            login: "304500116000157",
            name: "Петров Пётр Петрович",
            email: "ip@example.ru",
            password: "ip password 1",
        },
        Person {
            kind_key: "kind.legal",
            login: "1027700132195",
            name: "ООО «Ромашка»",
            email: "org@example.ru",
            password: "org password 1",
        },
    ];
    for (i, p) in people.iter().enumerate() {
        let mut c = app.user(2001 + i as i64);
        register_confirmed(&app, &mut c, p).await;
    }
    let rows = consumer_rows(&app).await;
    assert_eq!(rows[0].0, "entrepreneur");
    assert_eq!(rows[0].1, "304500116000157");
    assert_eq!(rows[1].0, "legal");
    assert_eq!(rows[1].2, "confirmed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_gets_its_own_message_and_the_same_question() {
    let app = TestApp::spawn().await;
    let mut c = app.user(3001);
    c.send("/start");
    let welcome = c.expect_key("start.welcome").await;
    c.press(&welcome, &ru("start.register"));
    let consent = c.expect_key("reg.consent").await;
    // Text where a button is expected.
    c.send("да");
    let told = c.expect_key("form.use_named").await;
    // The buttons are named; a word is an attempt at the button, not kept.
    assert!(told.text.contains(&ru("reg.consent_yes")), "{}", told.text);
    assert!(!told.text.contains(&ru("form.kept_for_later")), "{}", told.text);
    c.expect_key("reg.consent").await;
    c.press(&consent, &ru("reg.consent_yes"));
    let kind = c.expect_key("reg.kind_q").await;
    c.press(&kind, &ru("kind.individual"));
    c.expect(&step(3, 6)).await;

    for (input, expected) in [
        ("1122334459", "должно быть 11 цифр, а вы ввели 10"),
        ("11223344595111", "должно быть 11 цифр, а вы ввели 14"),
        ("112233445xx", "состоит только из цифр"),
        ("11223344596", "не прошёл проверку контрольного числа"),
    ] {
        c.send(input);
        c.expect(expected).await;
        c.expect(&step(3, 6)).await;
    }
    // A photo or a sticker instead of text.
    c.photo();
    c.expect_key("common.text_expected").await;
    c.expect(&step(3, 6)).await;
    c.sticker();
    c.expect_key("common.text_expected").await;
    c.expect(&step(3, 6)).await;

    c.send("112 233 445 95");
    c.expect(&step(4, 6)).await;
    c.send("Иванов");
    c.expect_key("name.not_full").await;
    c.send("Иванов 1ван");
    c.expect_key("name.bad_chars_person").await;
    c.send("Иванов Иван");
    c.expect_key("reg.email_q").await;
    c.send("ivanov@");
    c.expect_key("email.invalid").await;
    c.send("ivanov@example.ru");
    c.expect_key("reg.password_q").await;
    c.send("short");
    c.expect(&ru_head("password.too_short")).await;
    c.send("11223344595");
    c.expect_key("password.is_login").await;
    c.send("long enough");
    c.expect_key("reg.password_repeat_q").await;
    c.send("different one");
    c.expect_key("reg.password_mismatch").await;
    c.expect_key("reg.password_q").await;
    c.send("long enough");
    c.send("long enough");
    let summary = c.expect_key("reg.summary").await;
    assert!(summary.text.contains("Иванов Иван"));
    assert!(consumer_rows(&app).await.is_empty(), "nothing saved before «Всё верно»");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_and_fix_from_the_summary() {
    let app = TestApp::spawn().await;
    let mut c = app.user(3101);
    let summary = fill_registration(&mut c, &IVANOV).await;
    c.press(&summary, &ru("reg.fix"));
    let fix = c.expect_key("reg.fix_q").await;
    c.press(&fix, &ru("fix.email"));
    let q = c.expect_key("reg.email_q").await;
    // «Назад» while correcting goes back to the summary unchanged.
    c.press(&q, &ru("common.back"));
    let again = c.expect_key("reg.summary").await;
    assert!(again.text.contains("ivanov@example.ru"));
    c.press(&again, &ru("reg.fix"));
    let fix = c.expect_key("reg.fix_q").await;
    c.press(&fix, &ru("fix.email"));
    c.expect_key("reg.email_q").await;
    c.send("new@example.ru");
    let fixed = c.expect_key("reg.summary").await;
    assert!(fixed.text.contains("new@example.ru"));

    // Changing the applicant type asks for the login (and here the name) again.
    c.press(&fixed, &ru("reg.fix"));
    let fix = c.expect_key("reg.fix_q").await;
    c.press(&fix, &ru("fix.kind"));
    let kind = c.expect_key("reg.kind_q").await;
    c.press(&kind, &ru("kind.legal"));
    c.expect_key("reg.login_q.legal").await;
    c.send("1027700132195");
    c.expect_key("reg.name_q.legal").await;
    c.send("ООО «Ромашка»");
    let s = c.expect_key("reg.summary").await;
    assert!(s.text.contains(&ru("kind.legal")) && s.text.contains("ООО «Ромашка»"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_consent_ends_politely_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let mut c = app.user(3201);
    c.send("/start");
    let welcome = c.expect_key("start.welcome").await;
    c.press(&welcome, &ru("start.register"));
    let consent = c.expect_key("reg.consent").await;
    // The policy is a link, not a bare address.
    assert!(
        consent.text.contains("<a href=\"https://example.org/privacy\">"),
        "{}",
        consent.text
    );
    c.press(&consent, &ru("reg.consent_no"));
    c.expect_key("reg.consent_refused").await;
    c.expect_key("start.welcome").await;
    assert!(consumer_rows(&app).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_press_of_all_correct_creates_one_consumer() {
    let app = TestApp::spawn().await;
    let mut c = app.user(3301);
    let summary = fill_registration(&mut c, &IVANOV).await;
    c.press(&summary, &ru("reg.ok"));
    c.press(&summary, &ru("reg.ok"));
    c.expect_key("reg.sent").await;
    let old = c.expect_key("common.old_button").await;
    // Nothing in progress: the menu follows, not «Продолжим с текущего шага».
    assert!(!old.text.contains(&ru("common.stale_button")), "{}", old.text);
    c.expect_key("confirm.reminder").await;
    assert_eq!(consumer_rows(&app).await.len(), 1);
    let mut seen = Vec::new();
    app.mail_to("ivanov@example.ru", &mut seen).await;
    assert_eq!(app.mail_count(), 1, "one letter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_limits_wrong_codes_and_expiry() {
    let app = TestApp::spawn().await;
    let mut c = app.user(3401);
    let summary = fill_registration(&mut c, &IVANOV).await;
    c.press(&summary, &ru("reg.ok"));
    let sent = c.expect_key("reg.sent").await;
    let mut seen = Vec::new();
    let first = app.mail_to("ivanov@example.ru", &mut seen).await;

    // Resend within the minute is refused with the wait.
    c.press(&sent, &ru("confirm.resend"));
    c.expect_key("code.cooldown").await;

    // Five wrong codes void the code.
    let wrong = if code_in(&first) == "000000" {
        "111111"
    } else {
        "000000"
    };
    // The count agrees with its verb: «Осталось 4 попытки» … «Осталась 1 попытка» (the
    // wording is the point here).
    for (left, words) in [
        (4, "Осталось 4 попытки"),
        (3, "Осталось 3 попытки"),
        (2, "Осталось 2 попытки"),
        (1, "Осталась 1 попытка"),
    ] {
        c.send(wrong);
        let said = c.expect_key("confirm.wrong").await;
        assert!(said.text.contains(words), "{left}: {}", said.text);
    }
    c.send(wrong);
    c.expect_key("confirm.exhausted").await;
    // Even the right code no longer works.
    c.send(&code_in(&first));
    c.expect_key("confirm.no_code").await;

    // Five resends a day, a minute apart.
    let mut last = String::new();
    for _ in 0..5 {
        app.clock.advance(Duration::seconds(61));
        c.press(&sent, &ru("confirm.resend"));
        c.expect_key("code.resent").await;
        last = app.mail_to("ivanov@example.ru", &mut seen).await;
    }
    app.clock.advance(Duration::seconds(61));
    c.press(&sent, &ru("confirm.resend"));
    c.expect_key("code.daily_limit").await;

    // The last code expires after 30 minutes.
    app.clock.advance(Duration::minutes(31));
    c.send(&code_in(&last));
    c.expect_key("confirm.expired").await;

    // A day later a new code can be had, and it works.
    app.clock.advance(Duration::hours(24));
    c.press(&sent, &ru("confirm.resend"));
    c.expect_key("code.resent").await;
    let fresh = app.mail_to("ivanov@example.ru", &mut seen).await;
    c.send(&code_in(&fresh));
    c.expect_key("confirm.done").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_link_confirms_once() {
    let app = TestApp::spawn().await;
    let mut c = app.user(3501);
    let summary = fill_registration(&mut c, &IVANOV).await;
    c.press(&summary, &ru("reg.ok"));
    c.expect_key("reg.sent").await;
    let mut seen = Vec::new();
    let letter = app.mail_to("ivanov@example.ru", &mut seen).await;
    assert!(letter.contains(&format!("https://t.me/{}?start=", tgmock::BOT_USERNAME)));
    let token = token_in(&letter);
    c.send(&format!("/start {token}"));
    c.expect_key("confirm.done").await;
    c.expect_key("menu.title").await;
    // The link is single-use.
    let mut other = app.user(3502);
    other.send(&format!("/start {token}"));
    other.expect_key("confirm.already").await;
    other.send("/start deadbeef");
    other.expect_key("confirm.link_invalid").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_taken_is_refused_and_abandoned_registration_does_not_block() {
    let app = TestApp::spawn().await;
    // Someone starts and abandons a registration with this СНИЛС.
    let mut quitter = app.user(3601);
    let summary = fill_registration(&mut quitter, &IVANOV).await;
    quitter.press(&summary, &ru("reg.ok"));
    quitter.expect_key("reg.sent").await;

    // The real owner registers the same СНИЛС and confirms: allowed.
    let mut owner = app.user(3602);
    register_confirmed(
        &app,
        &mut owner,
        &Person {
            email: "owner@example.ru",
            ..IVANOV
        },
    )
    .await;

    // The quitter's late code is refused: the login is taken.
    let mut seen = Vec::new();
    let letter = app.mail_to("ivanov@example.ru", &mut seen).await;
    quitter.send(&code_in(&letter));
    let taken = quitter.expect_key("confirm.login_taken").await;
    assert!(taken.inline_buttons().iter().any(|b| b.0 == ru("start.login")));

    // A third person typing the confirmed СНИЛС is sent to «Войти».
    let mut third = app.user(3603);
    super::open_registration(&mut third, "kind.individual").await;
    third.send("11223344595");
    let msg = third.expect_key("reg.login_taken").await;
    assert!(msg.inline_buttons().iter().any(|b| b.0 == ru("login.forgot")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_client_gets_english_and_can_switch() {
    let app = TestApp::spawn().await;
    let mut c = app.english_user(3701);
    c.send("/start");
    let w = c.expect("Hello! This is the consumer's personal area").await;
    c.press(&w, "Русский");
    c.expect_key("start.language_set").await;
    c.expect_key("start.welcome").await;
    c.send("/cancel");
    c.expect_key("common.cancelled").await;
    // setMyCommands was called for both languages.
    let langs: Vec<_> = app
        .api
        .calls("setMyCommands")
        .iter()
        .map(|v| v["language_code"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(langs.contains(&"ru".to_owned()) && langs.contains(&"en".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_buttons_and_unknown_data_get_a_hint() {
    let app = TestApp::spawn().await;
    let mut c = app.user(3801);
    c.send("/start");
    let welcome = c.expect_key("start.welcome").await;
    c.press_data(&welcome, "no-such-button");
    let old = c.expect_key("common.old_button").await;
    // Nothing in progress: the menu follows, not «Продолжим с текущего шага».
    assert!(!old.text.contains(&ru("common.stale_button")), "{}", old.text);
    c.expect_key("start.welcome").await;
    // A profile button from an old message while signed out.
    c.press_data(&welcome, "p:del:y");
    let old = c.expect_key("common.old_button").await;
    // Nothing in progress: the menu follows, not «Продолжим с текущего шага».
    assert!(!old.text.contains(&ru("common.stale_button")), "{}", old.text);
    c.expect_key("start.welcome").await;
    c.send("/nonsense");
    c.expect_key("common.unknown_command").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_chat_cannot_send_endless_registration_letters() {
    let app = TestApp::spawn().await;
    let mut c = app.user(3901);
    let mut summary = fill_registration(&mut c, &IVANOV).await;
    for _ in 0..kabinet::policy::REGISTRATIONS_PER_DAY {
        c.press(&summary, &ru("reg.ok"));
        let sent = c.expect_key("reg.sent").await;
        c.press(&sent, &ru("confirm.restart"));
        summary = fill_from_consent(&mut c, &IVANOV).await;
    }
    c.press(&summary, &ru("reg.ok"));
    c.expect_key("reg.too_many").await;
    // Each restart replaced the previous unconfirmed consumer: none is left behind.
    assert_eq!(consumer_rows(&app).await.len(), 0);
    let (letters,): (i64,) = sql::query_as("SELECT COUNT(*) FROM outbox WHERE channel = 'email'")
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    assert_eq!(letters, kabinet::policy::REGISTRATIONS_PER_DAY);
}
