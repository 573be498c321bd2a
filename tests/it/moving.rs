//! `kabinet migrate-db --to postgres://…`: a utility's SQLite database moved into PostgreSQL,
//! and the bot going on there as if nothing happened. Runs where the suite has a PostgreSQL
//! server (`KABINET_TEST_POSTGRES`, CI's second pass).

use crate::db::TestDb;
use crate::flows::tickets::file_appeal_with;
use crate::flows::{IVANOV, add_meter_for_e2e, register_confirmed};
use crate::helpers::no;
use crate::helpers::{TestApp, ru};
use kabinet::store::{Store, sql};

async fn migrate_db(app: &TestApp, to: &str) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args(["--database-url", &app.db_url(), "migrate-db", "--to", to])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sqlite_database_moves_into_postgres_and_the_bot_goes_on_there() {
    let place = tempfile::tempdir().unwrap();
    let Some(target) = TestDb::postgres(place.path()).await else {
        return;
    };
    let lite = TestDb::sqlite(place.path(), "before.db");
    let mut app = TestApp::spawn_on(&[], Some(lite)).await;
    // A consumer with a consumer, a meter with its installation reading, an appeal with a photo.
    let mut c = app.user(9101);
    register_confirmed(&app, &mut c, &IVANOV).await;
    file_appeal_with(&mut c, "Почему счёт вырос?", true, false).await;
    add_meter_for_e2e(&mut c).await;

    // While the bot runs on it, the move is refused and nothing is copied.
    let with_password = target
        .url
        .replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1);
    let (ok, text) = migrate_db(&app, &with_password).await;
    assert!(!ok && text.contains("stop the bot first"), "{text}");

    app.stop().await;
    let (ok, text) = migrate_db(&app, &with_password).await;
    assert!(ok, "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("DATABASE_URL=postgres://postgres:***@"), "{text}");
    let line = |table: &str| {
        text.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(table))
            .unwrap_or_else(|| panic!("no line for {table}: {text}"))
            .to_owned()
    };
    for table in [
        "consumers",
        "chats",
        "meters",
        "readings",
        "tickets",
        "attachments",
        "dialogues",
    ] {
        assert!(line(table).starts_with('✓'), "{text}");
    }
    // Every row of every table, counted in both.
    let source = Store::connect_existing(&app.db_url()).await.unwrap();
    let moved = Store::connect_existing(&target.url).await.unwrap();
    for table in [
        "consumers",
        "meters",
        "readings",
        "tickets",
        "ticket_messages",
        "attachments",
        "outbox",
    ] {
        let count = async |s: &Store| -> i64 {
            sql::query_scalar(format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&s.pool)
                .await
                .unwrap()
        };
        let n = count(&source).await;
        assert_eq!(n, count(&moved).await, "{table}");
        let rows: i64 = line(table).split_whitespace().nth(2).unwrap().parse().unwrap();
        assert_eq!(rows, n, "{table}");
    }

    // Again into the same database: refused, it is not empty.
    let (ok, text) = migrate_db(&app, &target.url).await;
    assert!(!ok && text.contains("not empty"), "{text}");
    let (tickets,): (i64,) = sql::query_as("SELECT COUNT(*) FROM tickets")
        .fetch_one(&moved.pool)
        .await
        .unwrap();
    assert_eq!(tickets, 1, "a refused move changes nothing");

    // The bot on PostgreSQL: the consumer is still signed in, the meter and the appeal are
    // there, and what is filed next takes the next number.
    app.db = target;
    app.start().await;
    c.send(&ru("menu.tickets"));
    c.expect(&no("О-2026-000001")).await;
    let sent = file_appeal_with(&mut c, "И ещё вопрос", false, false).await;
    assert!(sent.text.contains(&no("О-2026-000002")), "{}", sent.text);
    c.send(&ru("menu.meters"));
    c.expect("EL-1001").await;
    let (tickets,): (i64,) = sql::query_as("SELECT COUNT(*) FROM tickets")
        .fetch_one(&moved.pool)
        .await
        .unwrap();
    assert_eq!(tickets, 2);
}
