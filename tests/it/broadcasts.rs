//! The operators' side of outages and news, from their group: `/outage` (a short form, with how
//! many will be told before publishing), `/outages` (extend, a new note, close), `/announce` (a preview, then
//! once to its audience); and paid broadcasts (`PAID_BROADCAST`).

use crate::flows::desk::{OPERATOR, desk_app};
use crate::helpers::{GROUP, Group, TestApp, WAIT, ru, ru_head};
use crate::outages::{seed, sent_with, wait_for};
use kabinet::store::sql;
use std::time::Duration;
use tgmock::{BotMessage, TgUser};

const COLLEAGUE: i64 = 900_002;

/// A message (a command) from `who` in the group, not a reply.
fn say(app: &TestApp, who: &TgUser, text: &str) {
    let id = app.api.next_message_id();
    app.api
        .push_update(who.in_group(GROUP, id, None, serde_json::json!({ "text": text })));
}

/// Waits until a button press was answered with the alert of `key`.
async fn alert(app: &TestApp, key: &str) {
    let want = ru(key);
    let deadline = tokio::time::Instant::now() + WAIT;
    while !app
        .api
        .calls("answerCallbackQuery")
        .iter()
        .any(|c| c["text"].as_str() == Some(want.as_str()))
    {
        assert!(tokio::time::Instant::now() < deadline, "no alert «{want}»");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The next group message with the text of `key` that is a question of a form (it has
/// buttons, or asks for a reply).
async fn question(group: &mut Group, key: &str) -> BotMessage {
    group.expect_key(key).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_from_the_group_reaches_its_area_and_is_extended_and_closed() {
    let app = desk_app().await;
    let store = app.store().await;
    store
        .add_operator(COLLEAGUE, Some("Олег"), app.clock.now())
        .await
        .unwrap();
    let mut group = Group::new(&app);
    let op = TgUser::new(OPERATOR, "Мария");
    let colleague = TgUser::new(COLLEAGUE, "Олег");
    // Three inside the area, two outside.
    seed(&app, 9501, "г. Город, ул. Ленина, д. 1", true).await;
    seed(&app, 9502, "Город, Ленина улица, дом 7, кв 40", true).await;
    seed(&app, 9503, "г Город, ул. ЛЕНИНА, 9", true).await;
    seed(&app, 9504, "г. Город, ул. Ленина, д. 8", true).await;
    seed(&app, 9505, "г. Город, ул. Садовая, д. 3", true).await;

    // Not an operator: refused, no form.
    say(&app, &TgUser::new(777, "Гость"), "/outage");
    group.expect_key("desk.operators_only").await;

    say(&app, &op, "/outage@kabinet_test_bot");
    let q = question(&mut group, "outdesk.q_resource").await;
    group.press(&op, &q, &ru("resource.cold_water"));
    let q = question(&mut group, "outdesk.q_kind").await;
    // A colleague's press on someone else's form changes nothing.
    group.press(&colleague, &q, &ru("outdesk.b_planned"));
    alert(&app, "outdesk.not_yours").await;
    group.press(&op, &q, &ru("outdesk.b_planned"));
    let q = question(&mut group, "outdesk.q_area").await;
    // A comma where the houses begin: not an area.
    group.reply(&op, &q, "г. Город, ул. Ленина, д. 1-9 нечёт");
    let q = question(&mut group, "outdesk.bad_area").await;
    assert!(q.text.contains(&ru_head("outdesk.q_area")), "asked again: {}", q.text);
    group.reply(&op, &q, "г. Город, ул. Ленина: 1-9 нечёт");
    let q = question(&mut group, "outdesk.q_start").await;
    group.reply(&op, &q, "завтра утром");
    let q = question(&mut group, "outdesk.q_start").await;
    assert!(q.text.contains(&ru_head("outdesk.bad_time")), "{}", q.text);
    group.press(&op, &q, &ru("outdesk.now"));
    let q = question(&mut group, "outdesk.q_end").await;
    group.press(&op, &q, "+4 ч");
    let q = question(&mut group, "outdesk.q_reason").await;
    group.reply(&op, &q, "Замена задвижки");
    let preview = question(&mut group, "outdesk.preview").await;
    assert!(
        preview.text.contains("Получат сообщение: 3 потребителя") && preview.text.contains("меньше чем за минуту"),
        "{}",
        preview.text
    );
    assert!(
        preview.text.contains("ул. Ленина: 1-9 нечёт") && preview.text.contains("Замена задвижки"),
        "the form's answers: {}",
        preview.text
    );
    // Pressed twice: one outage, told once.
    group.press(&op, &preview, &ru("outdesk.publish"));
    group.press(&op, &preview, &ru("outdesk.publish"));
    group.expect_key("outdesk.published").await;
    // The district is told off the group's handler, then the group hears how many.
    let told = group.expect_key("outdesk.told").await;
    assert!(told.text.ends_with(": 3."), "{}", told.text);
    // A reply to the form it follows (in a forum, the same topic).
    assert_eq!(told.reply_to, Some(preview.message_id));
    alert(&app, "outdesk.gone").await;
    for chat in [9501, 9502, 9503] {
        wait_for(&app, chat, "Плановое отключение", 1).await;
    }
    for chat in [9504, 9505] {
        assert_eq!(sent_with(&app, chat, "отключение"), 0, "chat {chat} is outside");
    }
    let outages: i64 = sql::query_scalar("SELECT COUNT(*) FROM outages")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(outages, 1);

    // /outages: extended by two hours, then closed (asked first).
    say(&app, &op, "/outages");
    let list = question(&mut group, "outdesk.list_item").await;
    group.press(&op, &list, "1: продлить");
    let q = question(&mut group, "outdesk.q_extend").await;
    group.press(&op, &q, "+2 ч");
    group.expect_key("outdesk.extended").await;
    let told = group.expect_key("outdesk.told").await;
    assert!(told.text.ends_with(": 3."), "{}", told.text);
    for chat in [9501, 9502, 9503] {
        wait_for(&app, chat, "Отключение продлено", 1).await;
    }
    // Its note changed: shown from now on, not a change anyone is told of by itself.
    group.press(&op, &list, "1: пояснение");
    let q = question(&mut group, "outdesk.q_note").await;
    assert!(q.text.contains("Замена задвижки"), "the note now: {}", q.text);
    group.reply(&op, &q, "Воду подвезут к дому 1 в 12:00.");
    group.expect_key("outdesk.note_saved").await;
    let note: String = sql::query_scalar("SELECT reason FROM outages")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(note, "Воду подвезут к дому 1 в 12:00.");
    group.press(&op, &list, "1: закрыть");
    let q = question(&mut group, "outdesk.q_close").await;
    group.press(&op, &q, &ru("outdesk.close_yes"));
    group.expect_key("outdesk.closed").await;
    group.press(&op, &q, &ru("outdesk.close_yes"));
    group.expect_key("outdesk.already_closed").await;
    for chat in [9501, 9502, 9503] {
        wait_for(&app, chat, "подача восстановлена", 1).await;
    }
    say(&app, &op, "/outages");
    group.expect_key("outdesk.list_empty").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_is_previewed_and_sent_once_to_its_audience() {
    let app = desk_app().await;
    let store = app.store().await;
    let mut group = Group::new(&app);
    let op = TgUser::new(OPERATOR, "Мария");
    // Two with cold water, one with electricity only, one with cold water who turned news off.
    for (chat, notify) in [(9601, true), (9602, true), (9603, true), (9604, false)] {
        seed(&app, chat, "г. Город, ул. Мира, д. 1", true).await;
        sql::query(
            "UPDATE consumers SET notify_news = $1 WHERE id = (SELECT consumer_id FROM chats WHERE chat_id = $2)",
        )
        .bind(notify)
        .bind(chat)
        .execute(&store.pool)
        .await
        .unwrap();
    }
    sql::query(
        "UPDATE meters SET resource = 'electricity' WHERE consumer_id = (SELECT consumer_id FROM chats WHERE chat_id = 9603)",
    )
    .execute(&store.pool)
    .await
    .unwrap();

    say(&app, &op, "/announce");
    let q = question(&mut group, "news.q_audience").await;
    group.press(&op, &q, &ru("resource.cold_water"));
    let q = question(&mut group, "news.q_text").await;
    // A photo is not an announcement's text: asked again.
    let id = app.api.next_message_id();
    app.api.push_update(op.in_group(
        GROUP,
        id,
        Some(&q),
        serde_json::json!({ "photo": [{ "file_id": "ph1", "file_unique_id": "u1", "width": 10, "height": 10 }] }),
    ));
    let q = question(&mut group, "outdesk.text_only").await;
    group.reply(&op, &q, "16 декабря приём <b>не ведётся</b>: санитарный день.");
    let preview = question(&mut group, "news.preview").await;
    assert!(
        preview.text.contains("Получат сообщение: 2 потребителя")
            && preview
                .text
                .contains("приём &lt;b&gt;не ведётся&lt;/b&gt;: санитарный день"),
        "what consumers will read, as typed: {}",
        preview.text
    );
    group.press(&op, &preview, &ru("news.send"));
    group.press(&op, &preview, &ru("news.send"));
    let sent = group.expect_key("news.sent").await;
    assert!(sent.text.contains("В очереди сообщений: 2"), "{}", sent.text);
    for chat in [9601, 9602] {
        wait_for(&app, chat, "санитарный день", 1).await;
    }
    alert(&app, "outdesk.gone").await;
    for chat in [9603, 9604] {
        assert_eq!(
            sent_with(&app, chat, "санитарный день"),
            0,
            "chat {chat} is not in the audience"
        );
    }
    let kept: (i64, String) = sql::query_as("SELECT messages, resource FROM announcements")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(kept, (2, "cold_water".to_owned()));

    // Cancelled: nothing sent.
    say(&app, &op, "/announce");
    let q = question(&mut group, "news.q_audience").await;
    group.press(&op, &q, &ru("outdesk.cancel"));
    group.expect_key("outdesk.cancelled").await;
    let forms: i64 = sql::query_scalar("SELECT COUNT(*) FROM desk_forms")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(forms, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_broadcasts_go_with_allow_paid_broadcast() {
    let app = TestApp::spawn_with(&["--paid-broadcast", "true"]).await;
    for chat in [9701, 9702] {
        seed(&app, chat, "г. Город, ул. Ленина, д. 3", true).await;
    }
    let (store, config, now) = (app.store().await, app.config(), app.clock.now());
    assert!(config.paid_broadcast);
    let at = |h: i64| {
        config
            .local(now + chrono::Duration::hours(h))
            .format("%d.%m.%Y %H:%M")
            .to_string()
    };
    let published = kabinet::cli::outages::Published {
        resource: "electricity",
        emergency: true,
        area: "г. Город, ул. Ленина",
        from: &at(-1),
        to: &at(3),
        reason: "",
    };
    kabinet::cli::outages::add(&store, &config, &published, now)
        .await
        .unwrap();
    for chat in [9701, 9702] {
        wait_for(&app, chat, "Аварийное отключение", 1).await;
    }
    let paid: Vec<i64> = app
        .api
        .calls("sendMessage")
        .iter()
        .filter(|c| c["allow_paid_broadcast"] == serde_json::json!(true))
        .filter_map(|c| c["chat_id"].as_i64())
        .collect();
    assert_eq!(paid.len(), 2, "{paid:?}");
    assert!(paid.contains(&9701) && paid.contains(&9702));
    assert_eq!(app.api.paid_messages(), 2);
}
