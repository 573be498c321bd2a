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
    // ...and so never offered again: nothing unhandled is left for the sweep.
    let stale = store.inbox_stale(chrono::Utc::now()).await.unwrap();
    assert!(stale.is_empty(), "{stale:?}");
}

/// One kabinet process a database: a second one started on it refuses, whether the database
/// is an SQLite file (its lock file) or PostgreSQL (an advisory lock held by the first), and
/// starts once the first has stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_the_same_database_refuses_to_start() {
    let mut app = TestApp::spawn().await;
    let mut c = app.user(9303);
    c.send("/start");
    c.expect_key("start.welcome").await;
    let second = kabinet::Application::build(app.config(), app.clock.clone())
        .await
        .unwrap();
    let refused = second.run(std::future::pending()).await.unwrap_err();
    assert!(
        format!("{refused:#}").contains("a kabinet process is running on this database"),
        "{refused:#}"
    );
    // The first goes on; stopped, the database is free again.
    c.send("/menu");
    c.expect_key("start.welcome").await;
    app.stop().await;
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
