//! The outbox worker against a Bot API server that fails, limits and refuses like Telegram.

use crate::helpers::TestApp;
use kabinet::store::outbox::{OutboxMessage, enqueue};
use kabinet::store::sql;
use std::time::Duration;
use tgmock::Event;

/// Queues messages while the bot is stopped; starting it delivers them.
async fn queue(app: &TestApp, messages: &[(i64, &str)]) {
    let store = app.store().await;
    let mut conn = store.pool.begin().await.unwrap();
    for (chat, text) in messages {
        let m = OutboxMessage::Telegram {
            chat_id: *chat,
            text: text.to_string(),
            button: None,
            reply_to: None,
            keyboard: Vec::new(),
            markup: None,
            paid: false,
        };
        enqueue(&mut conn, &m, chrono::Utc::now()).await.unwrap();
    }
    conn.commit().await.unwrap();
}

fn delivered(app: &TestApp, chat: i64, text: &str) -> usize {
    app.api
        .events_for(chat)
        .iter()
        .filter(|e| matches!(e, Event::Sent(m) if m.text == text))
        .count()
}

async fn wait_rows_closed(app: &TestApp) -> Vec<(String, i64, Option<String>)> {
    let store = app.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let rows: Vec<(String, i64, Option<String>)> =
            sql::query_as("SELECT status, attempts, last_error FROM outbox WHERE channel = 'telegram' ORDER BY id")
                .fetch_all(&store.pool)
                .await
                .unwrap();
        if rows.iter().all(|r| r.0 != "pending") {
            return rows;
        }
        assert!(tokio::time::Instant::now() < deadline, "rows still pending: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_then_success_delivers_once() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    queue(&app, &[(14_001, "Ответ по обращению")]).await;
    app.api.fail_next(2, 500);
    app.start().await;
    let rows = wait_rows_closed(&app).await;
    assert_eq!(rows[0].0, "done");
    assert_eq!(
        rows[0].1, 3,
        "two failures (teloxide waits 10 s after each 5xx) and the delivery"
    );
    assert_eq!(delivered(&app, 14_001, "Ответ по обращению"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_waits_retry_after_and_delivers() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    queue(&app, &[(14_101, "Напоминание")]).await;
    app.api.retry_after_next(1);
    app.start().await;
    let rows = wait_rows_closed(&app).await;
    assert_eq!(rows[0].0, "done");
    assert_eq!(delivered(&app, 14_101, "Напоминание"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_that_blocked_the_bot_is_marked_and_the_row_closed() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let store = app.store().await;
    sql::query("INSERT INTO chats (chat_id) VALUES (14201)")
        .execute(&store.pool)
        .await
        .unwrap();
    queue(&app, &[(14_201, "Ответ")]).await;
    app.api.block_chat(14_201);
    app.start().await;
    let rows = wait_rows_closed(&app).await;
    assert_eq!(rows[0].0, "failed");
    assert!(rows[0].2.as_deref().is_some_and(|e| e.contains("blocked")), "{rows:?}");
    let (blocked,): (Option<chrono::DateTime<chrono::Utc>>,) =
        sql::query_as("SELECT blocked_at FROM chats WHERE chat_id = 14201")
            .fetch_one(&store.pool)
            .await
            .unwrap();
    assert!(blocked.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_notifications_without_a_single_429() {
    let mut app = TestApp::spawn_with(&["--telegram-limits", "on"]).await;
    app.stop().await;
    let messages: Vec<(i64, String)> = (0..200).map(|i| (15_000 + i, format!("Уведомление {i}"))).collect();
    let refs: Vec<(i64, &str)> = messages.iter().map(|(c, t)| (*c, t.as_str())).collect();
    queue(&app, &refs).await;
    app.api.enforce_limits(true);
    app.start().await;
    let rows = wait_rows_closed(&app).await;
    assert!(
        rows.iter().all(|r| r.0 == "done" && r.1 == 1),
        "each delivered at the first attempt"
    );
    for (chat, text) in &messages {
        assert_eq!(delivered(&app, *chat, text), 1);
    }
    assert_eq!(app.api.too_many_requests(), 0);
}

/// Replies a handler committed but could not send (the database failed half-way through
/// sending them) fall due at once, not when their lease of minutes runs out; a row sent
/// already, or tried, stays as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_replies_left_unsent_fall_due_at_once() {
    // The database alone: no worker of a running bot takes the rows meanwhile.
    let dir = tempfile::tempdir().unwrap();
    let db = crate::db::TestDb::new(dir.path(), "k.db").await;
    let store = kabinet::store::Store::open(&db.url).await.unwrap();
    let now = chrono::Utc::now();
    let lease = now + chrono::Duration::minutes(6);
    let m = |text: &str| OutboxMessage::Telegram {
        chat_id: 31_500,
        text: text.into(),
        button: None,
        reply_to: None,
        keyboard: Vec::new(),
        markup: None,
        paid: false,
    };
    let mut tx = store.pool.begin().await.unwrap();
    let unsent = kabinet::store::outbox::enqueue_leased(&mut tx, &m("a"), now, lease)
        .await
        .unwrap();
    let sent = kabinet::store::outbox::enqueue_leased(&mut tx, &m("b"), now, lease)
        .await
        .unwrap();
    let other = kabinet::store::outbox::enqueue_leased(&mut tx, &m("c"), now, lease)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.outbox_done(sent, now).await.unwrap();
    store.outbox_release_rows(&[unsent, sent], now).await.unwrap();
    let rows: Vec<(i64, String, chrono::DateTime<chrono::Utc>)> =
        sql::query_as("SELECT id, status, next_attempt_at FROM outbox WHERE id IN ($1, $2, $3) ORDER BY id")
            .bind(unsent)
            .bind(sent)
            .bind(other)
            .fetch_all(&store.pool)
            .await
            .unwrap();
    let due = |id: i64| {
        rows.iter()
            .find(|r| r.0 == id)
            .map(|r| r.2 <= now + chrono::Duration::seconds(1))
    };
    assert_eq!(due(unsent), Some(true), "{rows:?}");
    assert_eq!(rows.iter().find(|r| r.0 == sent).map(|r| r.1.as_str()), Some("done"));
    assert_eq!(due(other), Some(false), "a row not named keeps its lease: {rows:?}");
}

/// The limits are real: without the throttle, a burst is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mock_refuses_an_unthrottled_burst() {
    use teloxide::prelude::*;
    let api = tgmock::MockBotApi::start().await;
    api.enforce_limits(true);
    let bot = Bot::new("1:T").set_api_url(api.url().parse().unwrap());
    // 100 at once: the bucket holds 30 and refills 30/s, so most of the burst is refused
    // however slowly the machine sends it.
    let sends = (0..100).map(|i| {
        let bot = bot.clone();
        async move { bot.send_message(ChatId(16_000 + i), "x").await.is_ok() }
    });
    let ok = futures::future::join_all(sends)
        .await
        .into_iter()
        .filter(|o| *o)
        .count();
    let refused = api.too_many_requests();
    assert!(refused >= 10 && ok + refused == 100, "ok {ok}, 429 {refused}");
}

/// Two pollers at once: the newer `getUpdates` ends the older one with Telegram's 409, so a
/// second polling process is seen, never hidden.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mock_ends_an_older_poll_when_another_starts() {
    use teloxide::prelude::*;
    let api = tgmock::MockBotApi::start().await;
    let bot = Bot::new("1:T").set_api_url(api.url().parse().unwrap());
    let first = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(1).await }
    });
    // The first is waiting once the server has its call.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while api.calls("getUpdates").is_empty() {
        assert!(std::time::Instant::now() < deadline, "the first poll never arrived");
        tokio::task::yield_now().await;
    }
    let second = bot.get_updates().timeout(0).await;
    assert!(second.is_ok(), "{second:?}");
    let err = first.await.unwrap().expect_err("the older poll is ended");
    assert!(
        err.to_string()
            .contains("terminated by other getUpdates request; make sure that only one bot instance is running"),
        "{err}"
    );
}

/// The local Bot API server answers the rest of the methods in shapes teloxide reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_forward_and_media_groups_deserialize() {
    use teloxide::prelude::*;
    use teloxide::types::{InputFile, InputMedia, InputMediaDocument, MessageId};
    let api = tgmock::MockBotApi::start().await;
    let bot = Bot::new("1:T").set_api_url(api.url().parse().unwrap());
    let sent = bot.send_message(ChatId(17_001), "оригинал").await.unwrap();
    let copy = bot.copy_message(ChatId(17_002), ChatId(17_001), sent.id).await.unwrap();
    assert_ne!(copy, sent.id);
    let fwd = bot
        .forward_message(ChatId(17_003), ChatId(17_001), sent.id)
        .await
        .unwrap();
    assert_eq!(fwd.text(), Some("оригинал"));
    let media = vec![
        InputMedia::Document(InputMediaDocument::new(InputFile::file_id("BQa".into()))),
        InputMedia::Document(InputMediaDocument::new(InputFile::file_id("BQb".into()))),
    ];
    let album = bot.send_media_group(ChatId(17_004), media).await.unwrap();
    assert_eq!(album.len(), 2);
    assert!(
        bot.copy_message(ChatId(17_002), ChatId(17_001), MessageId(999_999))
            .await
            .is_err()
    );
    assert_eq!(api.events_for(17_004).len(), 2);
}

/// A server left running remembers within its bounds: old events, messages and files are
/// forgotten, the cursor of events keeps counting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mock_remembers_within_its_bounds() {
    use teloxide::prelude::*;
    let api = tgmock::MockBotApi::start().await;
    api.bound_memory(tgmock::Bounds {
        events: 10,
        messages: 5,
        file_bytes: 8,
    });
    let bot = Bot::new("1:T").set_api_url(api.url().parse().unwrap());
    let mut last = None;
    for i in 0..20 {
        last = Some(bot.send_message(ChatId(18_001), format!("m{i}")).await.unwrap());
    }
    assert_eq!(api.event_count(), 20);
    assert_eq!(api.events().len(), 10);
    let last = last.unwrap();
    assert!(api.message(18_001, i64::from(last.id.0)).is_some());
    assert!(
        api.message(18_001, i64::from(last.id.0) - 10).is_none(),
        "an old message is forgotten"
    );
    let first = api.put_file("a.txt", "text/plain", tgmock::Bytes::from_static(b"12345"));
    let second = api.put_file("b.txt", "text/plain", tgmock::Bytes::from_static(b"12345"));
    assert!(api.file(&first).is_none() && api.file(&second).is_some());
}

/// What Telegram refuses for good is not retried: the row fails at its first attempt, the
/// refusal is recorded for /stats, and the rows after it still go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_is_not_retried_and_is_counted() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    queue(
        &app,
        &[
            (19_001, "<div>тег, которого Telegram не знает</div>"),
            (19_001, "Следующее"),
        ],
    )
    .await;
    app.start().await;
    let rows = wait_rows_closed(&app).await;
    assert_eq!((rows[0].0.as_str(), rows[0].1), ("failed", 1), "{rows:?}");
    assert!(
        rows[0].2.as_deref().is_some_and(|e| e.contains("can't parse entities")),
        "{rows:?}"
    );
    assert_eq!(rows[1].0, "done");
    let store = app.store().await;
    assert_eq!(
        store
            .refusals_since(chrono::Utc::now() - chrono::Duration::hours(1))
            .await
            .unwrap(),
        1
    );
}

/// A queued message longer than Telegram takes goes as several, its button under the last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_queued_message_arrives_whole_in_parts() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let text: String = (0..900).map(|i| format!("слово{i} ")).collect();
    queue(&app, &[(19_101, text.trim_end())]).await;
    app.start().await;
    let rows = wait_rows_closed(&app).await;
    assert_eq!(rows[0].0, "done");
    let parts: Vec<String> = app
        .api
        .events_for(19_101)
        .into_iter()
        .filter_map(|e| match e {
            Event::Sent(m) => Some(m.text),
            _ => None,
        })
        .collect();
    assert!(parts.len() >= 2, "{} parts", parts.len());
    assert_eq!(parts.concat(), text.trim_end());
}

/// Records that served their purpose go by age; what is still of use stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_removes_by_age_and_keeps_what_is_in_use() {
    use kabinet::store::prune::Retention;
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let store = app.store().await;
    let now = chrono::Utc::now();
    let old = now - chrono::Duration::days(40);
    for (sql, at) in [
        (
            "INSERT INTO outbox (channel, payload, status, next_attempt_at, created_at, done_at) VALUES ('telegram', '{}', 'done', $1, $1, $1)",
            old,
        ),
        (
            "INSERT INTO outbox (channel, payload, status, next_attempt_at, created_at, done_at) VALUES ('telegram', '{}', 'done', $1, $1, $1)",
            now,
        ),
        (
            "INSERT INTO outbox (channel, payload, status, next_attempt_at, created_at) VALUES ('telegram', '{}', 'pending', $1, $1)",
            old,
        ),
        ("INSERT INTO rate_events (key, at) VALUES ('x', $1)", old),
        ("INSERT INTO rate_events (key, at) VALUES ('x', $1)", now),
        (
            "INSERT INTO inbox (update_id, received_at, handled_at) VALUES (1, $1, $1)",
            old,
        ),
        (
            "INSERT INTO inbox (update_id, received_at, handled_at) VALUES (2, $1, $1)",
            now,
        ),
        (
            "INSERT INTO dialogues (chat_id, state, updated_at) VALUES (1, '{}', $1)",
            old,
        ),
        (
            "INSERT INTO dialogues (chat_id, state, updated_at) VALUES (2, '{}', $1)",
            now,
        ),
        (
            "INSERT INTO consumers (kind, login, name, email, password_hash, status, created_at) VALUES ('individual', '1', 'a', 'a@b.ru', 'x', 'pending', $1)",
            old,
        ),
        (
            "INSERT INTO consumers (kind, login, name, email, password_hash, status, created_at) VALUES ('individual', '2', 'a', 'a@b.ru', 'x', 'pending', $1)",
            now,
        ),
        (
            "INSERT INTO consumers (kind, login, name, email, password_hash, status, created_at) VALUES ('individual', '3', 'a', 'a@b.ru', 'x', 'confirmed', $1)",
            old,
        ),
        (
            "INSERT INTO sent_pieces (key, chat_id, message_id, at) VALUES ('out:1:0', 1, 1, $1)",
            old,
        ),
        (
            "INSERT INTO sent_pieces (key, chat_id, message_id, at) VALUES ('card:ticket:1:t0', 1, 2, $1)",
            old,
        ),
    ] {
        sql::query(sql).bind(at).execute(&store.pool).await.unwrap();
    }
    let pruned = store.prune(now, &Retention::default()).await.unwrap();
    assert_eq!(
        (
            pruned.outbox,
            pruned.rate_events,
            pruned.handled_updates,
            pruned.dialogues,
            pruned.unconfirmed,
            pruned.pieces
        ),
        (1, 1, 1, 1, 1, 1),
        "{pruned:?}"
    );
    let count = |sql: &'static str| {
        let pool = store.pool.clone();
        async move {
            let (n,): (i64,) = sql::query_as(sql).fetch_one(&pool).await.unwrap();
            n
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").await,
        1,
        "pending rows stay"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM consumers WHERE status = 'confirmed'").await,
        1,
        "consumers stay"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM sent_pieces WHERE key LIKE 'card:%'").await,
        1,
        "a card's pieces stay"
    );
    // Pruned again: nothing more.
    assert_eq!(store.prune(now, &Retention::default()).await.unwrap().total(), 0);
}

/// A broadcast queued first does not hold up what comes after it: a code, a card, a push.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_goes_after_what_is_due_besides_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::db::TestDb::new(dir.path(), "o.db").await;
    let store = kabinet::store::Store::open(&db.url).await.unwrap();
    let now = chrono::Utc::now();
    let m = |chat: i64| OutboxMessage::broadcast(chat, "весть".into(), None, false);
    let mut tx = store.pool.begin().await.unwrap();
    for chat in 0..300 {
        kabinet::store::outbox::enqueue_bulk(&mut tx, &m(40_000 + chat), now)
            .await
            .unwrap();
    }
    let urgent = enqueue(&mut tx, &m(41_000), now).await.unwrap();
    tx.commit().await.unwrap();
    // The first batch takes it, though 300 broadcast rows were queued before it.
    let due = store.outbox_due(now, 200, true).await.unwrap();
    assert_eq!(due.len(), 200);
    assert!(
        due.iter().any(|r| r.id == urgent),
        "the row queued after the broadcast goes in the first batch"
    );
}
