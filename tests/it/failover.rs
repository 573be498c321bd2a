//! The database going away for a moment (a failover to a standby, a restart of the server)
//! loses no update: one kept in the inbox whose handling failed while the bot went on is taken
//! again by the inbox sweep, without a restart, and once.

use crate::helpers::TestApp;
use kabinet::store::sql;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_whose_handling_failed_is_handled_again_without_a_restart() {
    let app = TestApp::spawn().await;
    let mut c = app.user(9301);
    c.send("/start");
    c.expect_key("start.welcome").await;

    // What a failed handling leaves: the update kept a minute ago, not handled.
    let failed_id = 1_000_000_i64;
    let mut update = c.user.text(app.api.next_message_id(), "/start");
    update["update_id"] = serde_json::json!(failed_id);
    let store = app.store().await;
    sql::query("INSERT INTO inbox (update_id, payload, received_at) VALUES ($1, $2, $3)")
        .bind(failed_id)
        .bind(update.to_string())
        .bind(chrono::Utc::now() - chrono::Duration::minutes(1))
        .execute(&store.pool)
        .await
        .unwrap();

    // Handled again within the sweep's period (ten seconds), without a restart...
    c.expect_key("start.welcome").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !store.update_processed(failed_id).await.unwrap() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the swept update is marked handled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // ...and so never offered again: nothing unhandled is left to claim.
    let (left,): (i64,) = sql::query_as("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

/// One kabinet process an SQLite file: a second one started on it refuses (its lock file),
/// and starts once the first has stopped. On PostgreSQL a second one is a replica: it starts
/// and follows, and `migrate-db`'s lock (the database for one process alone) is refused while
/// any runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_the_same_database_refuses_to_start() {
    let mut app = TestApp::spawn().await;
    let mut c = app.user(9303);
    c.send("/start");
    c.expect_key("start.welcome").await;
    let store = app.store().await;
    let second = kabinet::Application::build(app.config(), app.clock.clone())
        .await
        .unwrap();
    if store.backend() == sql::Backend::Postgres {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let replica = tokio::spawn(second.run(async move {
            let _ = stopped.await;
        }));
        let refused = store.lock_postgres_alone().await.unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("a kabinet process is running on this database"),
            "{refused}"
        );
        c.send("/menu");
        c.expect_key("start.welcome").await;
        stop.send(()).unwrap();
        replica.await.unwrap().unwrap();
    } else {
        let refused = second.run(std::future::pending()).await.unwrap_err();
        assert!(
            format!("{refused:#}").contains("a kabinet process is running on this database"),
            "{refused:#}"
        );
    }
    // The first goes on; stopped, the database is free again.
    c.send("/menu");
    c.expect_key("start.welcome").await;
    app.stop().await;
    if store.backend() == sql::Backend::Postgres {
        assert!(
            store.lock_postgres_alone().await.unwrap().is_some(),
            "free once all stopped"
        );
    }
    app.start().await;
    c.send("/start");
    c.expect_key("start.welcome").await;
}

/// The connection to a PostgreSQL server on another machine can be encrypted:
/// `?sslmode=require` (or `verify-full` with the server's certificate) is honoured.
#[tokio::test]
async fn a_postgres_connection_asked_to_be_encrypted_is() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = crate::db::TestDb::postgres(dir.path()).await else {
        return;
    };
    let store = kabinet::store::Store::open(&format!("{}?sslmode=require", db.url))
        .await
        .unwrap();
    let (encrypted,): (bool,) = sql::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert!(encrypted);
}

/// Two saves of one meter's period at the same moment (two chats of one consumer; on
/// PostgreSQL two connections of the pool at once) leave one current reading a zone, the
/// later one, and both are saved: the one refused by `readings_current` replaces the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_saves_of_one_period_at_once_leave_one_current_reading() {
    use kabinet::domain::meters::Period;
    use kabinet::domain::quantity::Quantity;
    let dir = tempfile::tempdir().unwrap();
    let db = crate::db::TestDb::new(dir.path(), "k.db").await;
    let store = kabinet::store::Store::open(&db.url).await.unwrap();
    let now = chrono::Utc::now();
    let consumer: i64 = sql::query_scalar(
        "INSERT INTO consumers (kind, login, name, email, password_hash, status, created_at)
         VALUES ('individual', '11223344595', 'Иванов Иван', 'i@example.ru', 'x', 'confirmed', $1) RETURNING id",
    )
    .bind(now)
    .fetch_one(&store.pool)
    .await
    .unwrap();
    let meter: i64 = sql::query_scalar(
        "INSERT INTO meters (consumer_id, resource, serial, place, address, zones, int_digits, frac_digits, next_verification, created_at)
         VALUES ($1, 'electricity', 'EL-1', 'кухня', 'адрес', 2, 6, 1, '2030-01-01', $2) RETURNING id",
    )
    .bind(consumer)
    .bind(now)
    .fetch_one(&store.pool)
    .await
    .unwrap();
    let period = Period::of(now.date_naive());
    for round in 0..20_i64 {
        let a = [(Quantity(1000 + round), false), (Quantity(2000 + round), false)];
        let b = [(Quantity(3000 + round), false), (Quantity(4000 + round), false)];
        let (x, y) = tokio::join!(
            store.save_reading(meter, period, &a, now, None),
            store.save_reading(meter, period, &b, now, None)
        );
        x.unwrap();
        y.unwrap();
        let current: Vec<(i64, i64)> = sql::query_as(
            "SELECT zone, COUNT(*) FROM readings WHERE meter_id = $1 AND source = 'user' AND replaced_at IS NULL
             GROUP BY zone ORDER BY zone",
        )
        .bind(meter)
        .fetch_all(&store.pool)
        .await
        .unwrap();
        assert_eq!(current, vec![(1, 1), (2, 1)], "round {round}");
    }
    // And the index holds on its own: a second current reading of a zone is refused.
    let twice = sql::query(
        "INSERT INTO readings (meter_id, zone, value_milli, period, source, submitted_at)
         VALUES ($1, 1, 5, $2, 'user', $3)",
    )
    .bind(meter)
    .bind(period.key())
    .bind(now)
    .execute(&store.pool)
    .await;
    assert!(twice.is_err_and(|e| kabinet::store::is_unique_violation(&e)));
}

/// At a start on SQLite the last run's unhandled updates are freed and claimed again, but one
/// this process kept already (polled as it started) stays its own: freed, it would be claimed
/// and handled a second time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_frees_the_last_runs_updates_but_not_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::db::TestDb::new(dir.path(), "k.db").await;
    let store = kabinet::store::Store::open(&db.url).await.unwrap();
    if store.backend() != sql::Backend::Sqlite {
        return;
    }
    let now = chrono::Utc::now();
    let payload = |id: i64| {
        format!(
            r#"{{"update_id":{id},"message":{{"message_id":1,"date":1700000000,"chat":{{"id":5,"type":"private","first_name":"A"}},"text":"/start"}}}}"#
        )
    };
    // The last run's, its lease still running when it died.
    sql::query("INSERT INTO inbox (update_id, payload, received_at, owner, lease_until, tries) VALUES (1, $1, $2, 'gone:1:00000000', $3, 4)")
        .bind(payload(1))
        .bind(now)
        .bind(now + chrono::Duration::seconds(10))
        .execute(&store.pool)
        .await
        .unwrap();
    // This process's own, just polled.
    assert_eq!(
        store
            .inbox_received(2, Some(5), &payload(2), None, now, false)
            .await
            .unwrap(),
        Some(false)
    );
    assert_eq!(store.inbox_free_all().await.unwrap(), 1, "only the last run's is freed");
    let claimed: Vec<i64> = store
        .inbox_claim(now, 8, &[])
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        claimed,
        vec![1],
        "the last run's is claimed (its tries counted anew), this one's is not"
    );
}
