//! Departments (`OPERATOR_CHATS`): each kind of item in its own operators' group, the main
//! group (`OPERATOR_CHAT_ID`) taking the rest; a card moved to another department; /queue and
//! /stats of a group show its own work.

use crate::accounts::{add_by_meter, import_samples};
use crate::flows::desk::OPERATOR;
use crate::flows::{IVANOV, register_confirmed};
use crate::helpers::no;
use crate::helpers::{GROUP, Group, TestApp, ru};
use tgmock::TgUser;

const CONNECTIONS: i64 = -1_001_000_000_200;
const BILLING: i64 = -1_001_000_000_300;

fn group_at(app: &TestApp, chat: i64) -> Group {
    Group {
        chat,
        ..Group::new(app)
    }
}

/// A command from the operator in a group.
fn command(app: &TestApp, chat: i64, text: &str) {
    let id = app.api.next_message_id();
    let op = TgUser::new(OPERATOR, "Мария");
    app.api
        .push_update(op.in_group(chat, id, None, serde_json::json!({ "text": text })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_reaches_its_department_and_a_card_moves_between_them() {
    let chats = format!("connection={CONNECTIONS};billing={BILLING}");
    let app = TestApp::spawn_with(&["--operator-chat-id", &GROUP.to_string(), "--operator-chats", &chats]).await;
    app.store()
        .await
        .add_operator(OPERATOR, Some("Мария"), chrono::Utc::now())
        .await
        .unwrap();
    let (mut main, mut billing, mut connections) =
        (Group::new(&app), group_at(&app, BILLING), group_at(&app, CONNECTIONS));
    import_samples(&app).await;
    let mut c = app.user(9801);
    register_confirmed(&app, &mut c, &IVANOV).await;

    // A question about a bill: the billing department.
    let card = add_by_meter(&mut c, "100200300", "ЭЛ-001", "account.name_flat").await;
    let summary = crate::accounts::bill_question(&mut c, &card, "Почему начислено больше, чем по счётчику?").await;
    c.press(&summary, &ru("req.send"));
    c.expect_key("ticket.sent.appeal").await;
    billing.expect_card(&app, &no("О-2026-000001")).await;

    // An ordinary appeal: no mapping names it, the main group takes it.
    crate::flows::tickets::file_appeal_with(&mut c, "Когда придёт квитанция?", false, false).await;
    let appeal = main.expect_card(&app, &no("О-2026-000002")).await;
    assert!(
        appeal.inline_buttons().iter().any(|(t, _)| *t == ru("desk.move")),
        "with departments every card can move: {:?}",
        appeal.inline_buttons()
    );

    // A connection application: the connections' group.
    crate::flows::connection::file_household_application(&mut c, "4510 123456").await;
    connections.expect_card(&app, "ТП-").await;

    // The appeal moved to billing: re-posted there, the old card says so, the consumer is not
    // bothered.
    let heard = app.api.events_for(9801).len();
    let op = TgUser::new(OPERATOR, "Мария");
    main.press(&op, &appeal, &ru("desk.move"));
    let q = main.expect_key("desk.move_q").await;
    let labels: Vec<String> = q.inline_buttons().into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        labels,
        vec!["Отдел: connection".to_owned(), "Отдел: billing".to_owned()],
        "the other groups, named by what they take"
    );
    main.press(&op, &q, "Отдел: billing");
    let moved = billing.expect_card(&app, &no("О-2026-000002")).await;
    assert!(moved.text.contains("Когда придёт квитанция?"), "{}", moved.text);
    main.expect_key("desk.moved").await;
    // The old card's button again: the card is not moved twice, the operator is told so.
    main.press(&op, &appeal, &ru("desk.move"));
    main.press(&op, &q, "Отдел: billing");
    let want = ru("desk.move_same");
    let deadline = tokio::time::Instant::now() + crate::helpers::WAIT;
    while !app
        .api
        .calls("answerCallbackQuery")
        .iter()
        .any(|c| c["text"].as_str() == Some(want.as_str()))
    {
        assert!(tokio::time::Instant::now() < deadline, "no «{want}»");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Billing's queue has both appeals now.
    command(&app, BILLING, "/queue");
    let q = billing.expect_key("desk.queue_here").await;
    assert!(
        q.text.contains(&no("О-2026-000001")) && q.text.contains(&no("О-2026-000002")),
        "{}",
        q.text
    );
    // A reply in billing answers the moved item.
    billing.reply(&op, &moved, "Квитанция придёт до 5-го числа.");
    c.expect("Квитанция придёт до 5-го числа.").await;
    let told = app.api.events_for(9801).len() - heard;
    assert!(
        told <= 2,
        "only the answer (and its rating request) reached the consumer: {told}"
    );

    // Each group's queue is its own work: the answered appeal has left it.
    command(&app, BILLING, "/queue");
    let q = billing.expect_key("desk.queue_here").await;
    assert!(
        q.text.contains(&no("О-2026-000001")) && !q.text.contains(&no("О-2026-000002")),
        "{}",
        q.text
    );
    assert!(!q.text.contains("ТП-"), "{}", q.text);
    command(&app, CONNECTIONS, "/queue@kabinet_test_bot");
    let q = connections.expect_key("desk.queue_here").await;
    assert!(q.text.contains("ТП-") && !q.text.contains(&no("О-2026-")), "{}", q.text);
    command(&app, GROUP, "/queue");
    let q = main.expect_key("desk.queue_here").await;
    assert!(q.text.contains(&ru("ticket.empty")), "{}", q.text);
    command(&app, BILLING, "/stats");
    let s = billing.expect_key("desk.stats").await;
    assert!(
        s.text.starts_with("Открыто: 1\n"),
        "the bill question is open here: {}",
        s.text
    );
    assert!(
        s.text.contains(&crate::helpers::ru_head("rate.stats")),
        "the department's ratings: {}",
        s.text
    );
    // Someone who is not an operator.
    let id = app.api.next_message_id();
    app.api
        .push_update(TgUser::new(555, "Гость").in_group(BILLING, id, None, serde_json::json!({ "text": "/queue" })));
    billing.expect_key("desk.operators_only").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_that_does_not_read_stops_the_start_with_its_setting_named() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args(["check"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TELOXIDE_TOKEN", "1:X")
        .env("OPERATOR_CHATS", "gas=-100")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--operator-chats") && err.contains("gas"), "{err}");
}

/// `OPERATOR_TOPICS` in a forum group: each kind's cards in a topic the bot made, one topic a
/// kind; a reply in the topic answers the consumer and the bot's notice stays in the topic; a
/// topic an operator deleted is made again by the next card, which is not lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_forum_each_kind_has_its_topic_and_a_deleted_one_is_made_again() {
    const FORUM: i64 = -1_001_000_000_400;
    let app = TestApp::spawn_with(&["--operator-chat-id", &FORUM.to_string(), "--operator-topics", "true"]).await;
    app.api.add_group(FORUM, "Операторы", "administrator");
    app.api.make_forum(FORUM, true);
    app.store()
        .await
        .add_operator(OPERATOR, Some("Мария"), chrono::Utc::now())
        .await
        .unwrap();
    let mut group = group_at(&app, FORUM);
    let mut c = app.user(9811);
    register_confirmed(&app, &mut c, &IVANOV).await;
    crate::flows::tickets::file_appeal_with(&mut c, "Первое обращение", false, false).await;
    let first = group.expect_card(&app, &no("О-2026-000001")).await;
    let sent2 = crate::flows::tickets::file_appeal_with(&mut c, "Второе обращение", false, false).await;
    let second = group.expect_card(&app, &no("О-2026-000002")).await;
    crate::flows::connection::file_household_application(&mut c, "4510 123456").await;
    let connection = group.expect_card(&app, "ТП-").await;

    let topics = app.api.forum_topics(FORUM);
    let names: Vec<String> = topics.iter().map(|(_, n)| n.clone()).collect();
    assert_eq!(names, vec![ru("desk.topic.appeal"), ru("desk.topic.connection")]);
    let (appeals, connections) = (topics[0].0, topics[1].0);
    assert_eq!((first.thread, second.thread), (Some(appeals), Some(appeals)));
    assert_eq!(connection.thread, Some(connections));
    assert_eq!(app.api.calls("createForumTopic").len(), 2, "one topic a kind");

    // A reply in the topic answers the consumer; the bot's notice is in the same topic.
    let op = TgUser::new(OPERATOR, "Мария");
    group.reply(&op, &first, "Ответ на первое обращение.");
    c.expect("Ответ на первое обращение.").await;
    let sent = group.expect(&ru("desk.sent")).await;
    assert_eq!(sent.thread, Some(appeals));
    // Talk in the topic (a message replying to nothing, which Telegram gives as a reply to the
    // topic's first message, the bot's): the bot stays silent.
    let before = app.api.events_for(FORUM).len();
    let id = app.api.next_message_id();
    app.api.push_update(op.in_group(
        FORUM,
        id,
        None,
        serde_json::json!({ "text": "Коллеги, кто возьмёт второе?", "message_thread_id": appeals }),
    ));
    command(&app, FORUM, "/queue");
    let queue = group.expect_key("desk.queue_here").await;
    let said: Vec<String> = app.api.events_for(FORUM)[before..]
        .iter()
        .filter_map(|e| match e {
            tgmock::Event::Sent(m) => Some(m.text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        said,
        vec![queue.text.clone()],
        "nothing said to the talk, only the queue"
    );

    // An operator deletes the appeals' topic: the next appeal makes it again, and goes there.
    app.api.delete_forum_topic(FORUM, appeals);
    crate::flows::tickets::file_appeal_with(&mut c, "Третье обращение", false, false).await;
    let third = group.expect_card(&app, &no("О-2026-000003")).await;
    let again = app
        .api
        .forum_topics(FORUM)
        .into_iter()
        .find(|(_, n)| *n == ru("desk.topic.appeal"))
        .map(|(t, _)| t)
        .expect("the appeals' topic made again");
    assert_ne!(again, appeals);
    assert_eq!(third.thread, Some(again));
    assert!(third.text.contains("Третье обращение"), "{}", third.text);

    // The second appeal's card went with the old topic: the consumer's follow-up posts it again
    // in the new one, and the follow-up replies to it there.
    c.press(&sent2, &ru("ticket.open_this.appeal"));
    let card2 = c.expect("Второе обращение").await;
    c.press(&card2, &ru("ticket.add"));
    c.expect_key("ticket.add_q").await;
    c.send("Дополнение ко второму обращению");
    let ready = c.expect("текст ✓").await;
    c.press(&ready, &ru("req.send"));
    c.expect_key("ticket.added").await;
    let reposted = group.expect_card(&app, &no("О-2026-000002")).await;
    assert_eq!(reposted.thread, Some(again));
    assert!(reposted.message_id != second.message_id);
    let added = group.expect("Дополнение ко второму обращению").await;
    assert_eq!((added.reply_to, added.thread), (Some(reposted.message_id), Some(again)));
}

/// `OPERATOR_TOPICS` where the group is not a forum: the cards come as without the setting,
/// and the bot does not ask for a topic with every card.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_in_a_group_that_is_no_forum_change_nothing() {
    const PLAIN: i64 = -1_001_000_000_500;
    let app = TestApp::spawn_with(&["--operator-chat-id", &PLAIN.to_string(), "--operator-topics", "true"]).await;
    app.api.add_group(PLAIN, "Операторы", "administrator");
    let mut group = group_at(&app, PLAIN);
    let mut c = app.user(9812);
    register_confirmed(&app, &mut c, &IVANOV).await;
    crate::flows::tickets::file_appeal_with(&mut c, "Первое обращение", false, false).await;
    let first = group.expect_card(&app, &no("О-2026-000001")).await;
    crate::flows::tickets::file_appeal_with(&mut c, "Второе обращение", false, false).await;
    let second = group.expect_card(&app, &no("О-2026-000002")).await;
    assert_eq!((first.thread, second.thread), (None, None));
    assert_eq!(app.api.calls("createForumTopic").len(), 1, "asked once, not per card");
}
