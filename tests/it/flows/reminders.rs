use super::meters::{FLAT_ELECTRIC, NewMeter, add_meter};
use super::{IVANOV, Person, register_confirmed};
use crate::helpers::{TestApp, ru};
use chrono::TimeZone;
use kabinet::store::sql;
use kabinet::worker::reminders::run_once;

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sql::query_as(sql.to_owned())
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_reminders_once_per_period_and_only_to_those_who_need_them() {
    let mut app = TestApp::spawn().await;
    let mut forgetful = app.user(13_001);
    register_confirmed(&app, &mut forgetful, &IVANOV).await;
    add_meter(&mut forgetful, &FLAT_ELECTRIC).await;
    add_meter(
        &mut forgetful,
        &NewMeter {
            serial: "EL-2002",
            ..FLAT_ELECTRIC
        },
    )
    .await;

    let mut diligent = app.user(13_002);
    register_confirmed(
        &app,
        &mut diligent,
        &Person {
            login: "64270954807",
            email: "d@example.ru",
            ..IVANOV
        },
    )
    .await;
    add_meter(&mut diligent, &FLAT_ELECTRIC).await;

    let mut quiet = app.user(13_003);
    register_confirmed(
        &app,
        &mut quiet,
        &Person {
            login: "14527450962",
            email: "q@example.ru",
            ..IVANOV
        },
    )
    .await;
    add_meter(&mut quiet, &FLAT_ELECTRIC).await;
    quiet.send(&ru("menu.profile"));
    let card = quiet.expect_key("profile.card").await;
    quiet.press(&card, &ru("profile.reminders"));
    let settings = quiet.expect_key("profile.reminders_q").await;
    quiet.press(
        &settings,
        &format!("{}: {}", ru("profile.remind_readings"), ru("profile.on")),
    );
    let after = quiet.expect_key("profile.reminders_q").await;
    let off = format!("{}: {}", ru("profile.remind_readings"), ru("profile.off"));
    assert!(
        after.inline_buttons().iter().any(|b| b.0 == off),
        "{:?}",
        after.inline_buttons()
    );

    // 22 December, 10:00 Moscow: the reminder day of the December period.
    app.clock
        .set(chrono::Utc.with_ymd_and_hms(2026, 12, 22, 7, 0, 0).unwrap());
    diligent.send(&ru("menu.send_readings"));
    diligent.expect_key("reading.q").await;
    diligent.send("1100");
    diligent.expect_key("reading.accepted").await;

    // Queued while the bot is stopped (queued while it ran, its worker could take the row just
    // before the stop, and on PostgreSQL the restarted app — the same process, so the same
    // owner — would wait out the claim's minute).
    app.stop().await;
    let store = app.store().await;
    let config = app.config();
    assert_eq!(
        run_once(&store, &config, &app.clock).await.unwrap(),
        1,
        "one message: the forgetful one's chat"
    );
    assert_eq!(
        run_once(&store, &config, &app.clock).await.unwrap(),
        0,
        "never twice for the same period"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM reminders_sent WHERE kind = 'readings' AND period = '2026-12'"
        )
        .await,
        2
    );

    // Delivered by the outbox worker (here after a restart, which also must not repeat it).
    app.start().await;
    let reminder = forgetful.expect("передайте показания за декабрь 2026 г.").await;
    assert!(
        reminder.text.contains("EL-1001") && reminder.text.contains("EL-2002"),
        "{}",
        reminder.text
    );
    forgetful.press(&reminder, &ru("menu.send_readings"));
    forgetful.expect_key("meters.which").await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE payload LIKE '%передайте показания%'"
        )
        .await,
        1
    );

    // The next month's day brings the next period's reminder.
    app.clock
        .set(chrono::Utc.with_ymd_and_hms(2027, 1, 23, 7, 0, 0).unwrap());
    assert_eq!(
        run_once(&store, &config, &app.clock).await.unwrap(),
        2,
        "the forgetful and the diligent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_reminder_thirty_days_before() {
    let app = TestApp::spawn().await;
    let mut c = app.user(13_101);
    register_confirmed(&app, &mut c, &IVANOV).await;
    add_meter(&mut c, &FLAT_ELECTRIC).await;
    let store = app.store().await;
    sql::query("UPDATE meters SET next_verification = '2027-03-10'")
        .execute(&store.pool)
        .await
        .unwrap();
    let config = app.config();
    app.clock
        .set(chrono::Utc.with_ymd_and_hms(2027, 2, 1, 7, 0, 0).unwrap());
    assert_eq!(
        run_once(&store, &config, &app.clock).await.unwrap(),
        0,
        "38 days before: not yet"
    );
    app.clock
        .set(chrono::Utc.with_ymd_and_hms(2027, 2, 10, 7, 0, 0).unwrap());
    assert_eq!(run_once(&store, &config, &app.clock).await.unwrap(), 1);
    assert_eq!(run_once(&store, &config, &app.clock).await.unwrap(), 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE payload LIKE '%10.03.2027%'").await,
        1
    );
}
