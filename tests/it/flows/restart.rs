use crate::helpers::{TestApp, step};
use kabinet::store::sql;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_continues_after_a_restart() {
    let mut app = TestApp::spawn().await;
    let mut c = app.user(6001);
    super::open_registration(&mut c, "kind.individual").await;
    c.send("11223344595");
    c.expect(&step(4, 6)).await;

    // Drop the dispatcher and build a new application on the same database file.
    app.stop().await;
    app.start().await;

    c.send("Иванов Иван Иванович");
    c.expect_key("reg.email_q").await;
    c.send("ivanov@example.ru");
    c.expect_key("reg.password_q").await;
    c.send("correct horse");
    c.expect_key("reg.password_repeat_q").await;
    c.send("correct horse");
    let summary = c.expect_key("reg.summary").await;
    assert!(
        summary.text.contains("11223344595"),
        "the login typed before the restart is kept"
    );
    assert!(summary.text.contains("Иванов Иван Иванович"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_state_that_no_longer_fits_resets_to_the_start() {
    let mut app = TestApp::spawn().await;
    let mut c = app.user(6101);
    c.send("/start");
    c.expect_key("start.welcome").await;
    app.stop().await;
    let store = app.store().await;
    sql::query("INSERT INTO dialogues (chat_id, state, updated_at) VALUES ($1, '{\"s\":\"from_an_old_version\"}', $2)")
        .bind(6101_i64)
        .bind(chrono::Utc::now())
        .execute(&store.pool)
        .await
        .unwrap();
    app.start().await;
    c.send("hello");
    c.expect_key("common.stale_state").await;
    c.expect_key("start.welcome").await;
}
