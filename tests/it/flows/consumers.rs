//! Consumers and personal data: sessions follow the password, deletion erases, strangers cannot
//! lock an owner out, a disputed login has a way out.

use super::{IVANOV, open_login, register_confirmed};
use crate::helpers::no;
use crate::helpers::{Client, GROUP, Group, TestApp, code_in, ru, ru_head, step, token_in};
use chrono::Duration;
use kabinet::store::sql;

/// Signs `c` in to IVANOV's consumer with `password`.
async fn sign_in(c: &mut Client, password: &str) {
    open_login(c).await;
    c.send("112-233-445 95");
    c.expect_key("login.password_q").await;
    c.send(password);
    c.expect_key("login.done").await;
    c.expect_key("menu.title").await;
}

/// «Изменить пароль» from `c`.
async fn change_password(c: &mut Client, current: &str, new: &str) {
    c.send(&ru("menu.profile"));
    let card = c.expect_key("profile.card").await;
    c.press(&card, &ru("profile.password"));
    c.expect_key("profile.pw_current_q").await;
    c.send(current);
    c.expect_key("profile.pw_new_q").await;
    c.send(new);
    c.expect_key("reg.password_repeat_q").await;
    c.send(new);
    c.expect_key("profile.pw_changed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_password_signs_out_every_other_chat_and_tells_it() {
    let app = TestApp::spawn().await;
    let mut a = app.user(7001);
    register_confirmed(&app, &mut a, &IVANOV).await;
    let mut b = app.user(7002);
    sign_in(&mut b, IVANOV.password).await;

    // A changes the password: B is told and signed out; A stays.
    change_password(&mut a, IVANOV.password, "second password").await;
    b.expect_key("auth.password_changed_elsewhere").await;
    b.send("/menu");
    b.expect_key("start.welcome").await;
    a.send("/menu");
    a.expect_key("menu.title").await;

    // A reset from a third chat: A and B (signed in again) are both signed out and told.
    sign_in(&mut b, "second password").await;
    let mut c = app.user(7003);
    let mut seen = app.mail_seen();
    let q = open_login(&mut c).await;
    c.press(&q, &ru("login.forgot"));
    c.expect_key("reset.login_q").await;
    c.send("11223344595");
    c.expect_key("reset.code_q").await;
    let letter = app.mail_to("ivanov@example.ru", &mut seen).await;
    c.send(&code_in(&letter));
    c.expect_key("reset.new_q").await;
    c.send("third password");
    c.expect_key("reg.password_repeat_q").await;
    c.send("third password");
    c.expect_key("reset.done").await;
    c.expect_key("menu.title").await;
    for other in [&mut a, &mut b] {
        other.expect_key("auth.password_changed_elsewhere").await;
        other.send("/menu");
        other.expect_key("start.welcome").await;
    }
    c.send("/menu");
    c.expect_key("menu.title").await;
}

/// Every text value in every table of the database, as one string.
async fn dump(app: &TestApp) -> String {
    let store = app.store().await;
    let postgres = store.backend() == sql::Backend::Postgres;
    // Every column of every table, with whether it holds bytes.
    let columns: Vec<(String, String, bool)> = sql::query_as(store.backend().pick(
        "SELECT t.name, c.name, c.type = 'BLOB' FROM sqlite_master t, pragma_table_info(t.name) c
         WHERE t.type = 'table'",
        "SELECT table_name::text, column_name::text, data_type = 'bytea' FROM information_schema.columns
         WHERE table_schema = current_schema()",
    ))
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let mut all = String::new();
    for (table, col, bytes) in columns {
        let values: Vec<(Option<Vec<u8>>,)> = if postgres && !bytes {
            let texts: Vec<(Option<String>,)> =
                sql::query_as(format!("SELECT CAST(\"{col}\" AS TEXT) FROM \"{table}\""))
                    .fetch_all(&store.pool)
                    .await
                    .unwrap();
            texts.into_iter().map(|(t,)| (t.map(String::into_bytes),)).collect()
        } else {
            let cast = if postgres {
                format!("\"{col}\"")
            } else {
                format!("CAST(\"{col}\" AS BLOB)")
            };
            sql::query_as(format!("SELECT {cast} FROM \"{table}\""))
                .fetch_all(&store.pool)
                .await
                .unwrap()
        };
        for v in values.into_iter().filter_map(|(v,)| v) {
            all.push_str(&format!("{table}.{col}: {}\n", String::from_utf8_lossy(&v)));
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_erases_every_identifying_value_from_the_file() {
    let mut app = TestApp::spawn().await;
    let mut c = app.user(7101);
    register_confirmed(&app, &mut c, &IVANOV).await;
    let mut other = app.user(7102);
    sign_in(&mut other, IVANOV.password).await;
    // A phone, an appeal with a photo and an address, a connection application with passport
    // data, a meter with a reading.
    c.send(&ru("menu.profile"));
    let card = c.expect_key("profile.card").await;
    c.press(&card, &ru("profile.edit"));
    let edit = c.expect_key("profile.edit_q").await;
    c.press(&edit, &ru("profile.field_phone"));
    c.expect_key("profile.phone_q").await;
    c.contact("79001234567", Some(7101));
    c.expect_key("common.saved").await;
    super::tickets::file_appeal_with(&mut c, "Свет мигает. Пишет Иванов Иван Иванович", true, true).await;
    super::connection::file_household_application(&mut c, "4510 987654").await;
    super::meters::add_meter(&mut c, &super::meters::FLAT_ELECTRIC).await;
    c.send(&ru("menu.send_readings"));
    c.expect_key("reading.q").await;
    c.send("1234,5");
    c.expect_key("reading.accepted").await;
    let before = dump(&app).await;
    let identifying = [
        "11223344595",
        "ivanov@example.ru",
        "Иванов Иван Иванович",
        "79001234567",
        "987654",
        "Ленина, д. 1",
    ];
    for v in identifying {
        assert!(before.contains(v), "{v} is there before");
    }

    c.send(&ru("menu.profile"));
    let card = c.expect_key("profile.card").await;
    c.press(&card, &ru("profile.delete"));
    c.expect_key("profile.delete_q").await;
    c.send(IVANOV.password);
    c.expect_key("profile.deleted").await;
    other.expect_key("auth.deleted_elsewhere").await;
    app.stop().await;

    let after = dump(&app).await;
    for v in identifying {
        let found: Vec<&str> = after.lines().filter(|l| l.contains(v)).collect();
        assert!(found.is_empty(), "{v} is still in the database: {found:?}");
    }
    // What is kept, without identity: the items' numbers and statuses, readings by meter.
    assert!(after.contains(&no("О-2026-000001")) && after.contains(&no("ТП-Э-2026-000001")));
    assert!(after.contains("readings.value_milli: 1234500"));
    // Nor in the file itself: not in free pages, not in the write-ahead log. (PostgreSQL's
    // files are the server's: its dead rows go with its vacuum, README «Production».)
    let store = app.store().await;
    if store.backend() == sql::Backend::Postgres {
        return;
    }
    sql::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&store.pool)
        .await
        .unwrap();
    drop(store);
    for file in ["kabinet.db", "kabinet.db-wal"] {
        let bytes = std::fs::read(app.dir.path().join(file)).unwrap_or_default();
        for v in identifying {
            let needle = v.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{v} is still in {file}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_guessing_from_many_chats_is_slowed_and_the_owner_told_and_never_shut_out() {
    let app = TestApp::spawn().await;
    let mut owner = app.user(7201);
    register_confirmed(&app, &mut owner, &IVANOV).await;
    let mut seen = app.mail_seen();

    // Strangers' chats, five wrong passwords each: past the login's free failures every try
    // waits, whichever chat it comes from.
    let mut locked = 0;
    for chat in 0..4 {
        let mut stranger = app.user(7210 + chat);
        for _ in 0..5 {
            open_login(&mut stranger).await;
            stranger.send("11223344595");
            stranger.expect_key("login.password_q").await;
            stranger.send("a wrong guess");
            let said = stranger
                .expect_any(&[&ru("login.bad"), &ru_head("login.locked"), &ru("login.chat_limit")])
                .await;
            if said.text.starts_with(&ru_head("login.locked")) {
                locked += 1;
            }
        }
    }
    assert!(locked >= 10, "only {locked} tries were slowed");
    let (failures,): (i64,) = sql::query_as("SELECT COUNT(*) FROM rate_events WHERE key LIKE 'pw:%:all'")
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    assert!(
        failures <= kabinet::policy::LOGIN_FAILURES_FREE + 1,
        "{failures} checked"
    );
    // The owner is told in the chat and by e-mail (nothing the strangers typed in either).
    owner.expect_key("auth.failed_attempts").await;
    let mut letter = app.mail_to("ivanov@example.ru", &mut seen).await;
    while !letter.contains("неверный пароль") {
        letter = app.mail_to("ivanov@example.ru", &mut seen).await;
    }
    assert!(!letter.contains("a wrong guess"));

    // The owner from a new chat is slowed too, but «Забыли пароль?» gets them in at once.
    let mut other = app.user(7204);
    let q = open_login(&mut other).await;
    other.press(&q, &ru("login.forgot"));
    other.expect_key("reset.login_q").await;
    other.send("11223344595");
    other.expect_key("reset.code_q").await;
    let mut letter = app.mail_to("ivanov@example.ru", &mut seen).await;
    while !letter.contains("восстановления") {
        letter = app.mail_to("ivanov@example.ru", &mut seen).await;
    }
    other.send(&code_in(&letter));
    other.expect_key("reset.new_q").await;
    other.send("owner's new pass");
    other.expect_key("reg.password_repeat_q").await;
    other.send("owner's new pass");
    other.expect_key("reset.done").await;
    // And the login's failures are forgotten: the owner signs in from yet another chat.
    let mut fresh = app.user(7205);
    sign_in(&mut fresh, "owner's new pass").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_that_starts_with_a_slash_is_a_password() {
    let app = TestApp::spawn().await;
    let mut c = app.user(7301);
    super::open_registration(&mut c, "kind.individual").await;
    c.send(IVANOV.login);
    c.expect(&step(4, 6)).await;
    c.send(IVANOV.name);
    c.expect_key("reg.email_q").await;
    c.send(IVANOV.email);
    c.expect_key("reg.password_q").await;
    let first = c.send("/start-of-my-password");
    c.expect_key("reg.password_repeat_q").await;
    c.expect_deleted(first).await;
    let second = c.send("/start-of-my-password");
    c.expect_deleted(second).await;
    let summary = c.expect_key("reg.summary").await;
    let mut seen = app.mail_seen();
    c.press(&summary, &ru("reg.ok"));
    c.expect_key("reg.sent").await;
    let letter = app.mail_to(IVANOV.email, &mut seen).await;
    c.send(&code_in(&letter));
    c.expect_key("confirm.done").await;
    // And it signs in.
    let mut other = app.user(7302);
    sign_in(&mut other, "/start-of-my-password").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_code_kills_the_links_of_the_earlier_ones() {
    let app = TestApp::spawn().await;
    let mut c = app.user(7401);
    let summary = super::fill_registration(&mut c, &IVANOV).await;
    let mut seen = app.mail_seen();
    c.press(&summary, &ru("reg.ok"));
    let sent = c.expect_key("reg.sent").await;
    let first = app.mail_to(IVANOV.email, &mut seen).await;
    app.clock.advance(Duration::seconds(61));
    c.press(&sent, &ru("confirm.resend"));
    c.expect_key("code.resent").await;
    let second = app.mail_to(IVANOV.email, &mut seen).await;
    assert_ne!(token_in(&first), token_in(&second));
    c.send(&format!("/start {}", token_in(&first)));
    c.expect_key("confirm.link_invalid").await;
    c.send(&format!("/start {}", token_in(&second)));
    c.expect_key("confirm.done").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reset_flow_answers_alike_whether_the_login_exists_or_not() {
    let app = TestApp::spawn().await;
    let mut owner = app.user(7501);
    register_confirmed(&app, &mut owner, &IVANOV).await;
    let mut transcripts = Vec::new();
    for (chat, login) in [(7502, "11223344595"), (7503, "64270954807")] {
        let mut c = app.user(chat);
        let q = open_login(&mut c).await;
        c.press(&q, &ru("login.forgot"));
        c.expect_key("reset.login_q").await;
        // Twice, the second time within the minute a new code waits for.
        for _ in 0..2 {
            c.send(login);
            let q = c.expect_key("reset.code_q").await;
            c.press(&q, &ru("common.back"));
            c.expect_key("reset.login_q").await;
        }
        c.send(login);
        c.expect_key("reset.code_q").await;
        for _ in 0..5 {
            c.send("000000");
            c.expect_any(&[&ru_head("confirm.wrong"), &ru("confirm.exhausted")])
                .await;
        }
        // The code is used up: the login is asked again (the whole answer is in before the
        // transcripts are compared).
        c.expect_key("reset.login_q").await;
        let lines: Vec<String> = c
            .transcript()
            .lines()
            .map(|l| l.split_once("] ").map_or(l, |(_, t)| t).to_owned())
            .collect();
        transcripts.push(lines);
    }
    assert_eq!(
        transcripts[0], transcripts[1],
        "an existing and a missing login look the same"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disputed_login_goes_to_the_operators_and_the_back_office_releases_it() {
    let app = TestApp::spawn_with(&["--operator-chat-id", &GROUP.to_string()]).await;
    let mut group = Group::new(&app);
    let mut holder = app.user(7601);
    register_confirmed(
        &app,
        &mut holder,
        &super::Person {
            email: "squatter@example.ru",
            ..IVANOV
        },
    )
    .await;

    // The owner finds the number taken and says it is theirs.
    let mut owner = app.user(7602);
    super::open_registration(&mut owner, "kind.individual").await;
    owner.send("11223344595");
    let taken = owner.expect(&ru_head("reg.login_taken")).await;
    owner.press(&taken, &ru("dispute.its_mine"));
    owner.expect_key("dispute.intro").await;
    owner.expect_key("reg.name_q.person").await;
    owner.send("Иванов Иван Иванович");
    owner.expect_key("dispute.email_q").await;
    owner.send("real.ivanov@example.ru");
    owner.expect_key("dispute.phone_q").await;
    owner.send("+7 900 111-22-33");
    owner.expect_key("dispute.comment_q").await;
    owner.send("СНИЛС мой, паспорт покажу");
    let summary = owner.expect_buttons().await;
    // A person's name is called «ФИО», as in registration.
    let fio = format!("{}: Иванов Иван Иванович", ru("name_label.person"));
    assert!(summary.text.contains(&fio), "{}", summary.text);
    owner.press(&summary, &ru("req.send"));
    owner.expect_key("dispute.sent").await;
    let card = group.expect_key("dispute.card").await;
    assert!(
        card.text.contains("11223344595") && card.text.contains("real.ivanov@example.ru"),
        "{}",
        card.text
    );

    // The back office checks and releases it.
    let kabinet = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
            .args(["--database-url", &app.db_url()])
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let shown = kabinet(&["account", "show", "112-233-445 95"]);
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(
        shown.contains("squatter@example.ru") && shown.contains("real.ivanov@example.ru"),
        "{shown}"
    );
    let empty_reason = kabinet(&["account", "release", "11223344595", "--reason", " "]);
    assert!(!empty_reason.status.success());
    let released = kabinet(&["account", "release", "11223344595", "--reason", "паспорт проверен"]);
    assert!(
        released.status.success(),
        "{}",
        String::from_utf8_lossy(&released.stderr)
    );
    holder.expect_key("auth.released").await;
    holder.send("/menu");
    holder.expect_key("start.welcome").await;
    let store = app.store().await;
    let (audit,): (String,) = sql::query_as("SELECT reason FROM consumer_audit WHERE action = 'release'")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(audit, "паспорт проверен");

    // The owner can now register the number.
    let mut owner_again = app.user(7603);
    register_confirmed(&app, &mut owner_again, &IVANOV).await;
}
