use super::{IVANOV, Person, register_confirmed};
use crate::helpers::no;
use crate::helpers::{GROUP, Group, TestApp, ru, ru_head};
use kabinet::store::sql;
use tgmock::TgUser;

pub const OPERATOR: i64 = 900_001;

pub async fn desk_app() -> TestApp {
    let app = TestApp::spawn_with(&["--operator-chat-id", &GROUP.to_string()]).await;
    app.store()
        .await
        .add_operator(OPERATOR, Some("Мария"), chrono::Utc::now())
        .await
        .unwrap();
    app
}

pub(super) async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sql::query_as(sql.to_owned())
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    n
}

async fn file_appeal(c: &mut crate::helpers::Client, text: &str, with_photo: bool) {
    super::tickets::file_appeal_with(c, text, with_photo, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appeal_card_answer_push_and_follow_up() {
    let app = desk_app().await;
    let mut group = Group::new(&app);
    let mut c = app.user(12_001);
    register_confirmed(&app, &mut c, &IVANOV).await;
    let mut other = app.user(12_002);
    register_confirmed(
        &app,
        &mut other,
        &Person {
            login: "64270954807",
            email: "o@example.ru",
            ..IVANOV
        },
    )
    .await;

    file_appeal(&mut c, "Почему вырос счёт за ноябрь?", true).await;
    let card = group.expect_card(&app, &no("О-2026-000001")).await;
    assert!(
        card.text.contains("Почему вырос счёт") && card.text.contains("•••••••4595"),
        "{}",
        card.text
    );
    assert!(
        !card.text.contains("11223344595"),
        "the login is masked for operators too"
    );
    let photo = group.expect_file().await;
    assert_eq!(photo.reply_to, Some(card.message_id), "attachments go under the card");

    // A member of the group who is not an operator: refused, nothing changes.
    let stranger = TgUser::new(555, "Посторонний");
    group.reply(&stranger, &card, "Я отвечу!");
    group.expect_key("desk.operators_only").await;
    group.press(&stranger, &card, &ru("desk.take"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM ticket_messages WHERE author = 'operator'").await,
        0
    );

    // The operator takes it: the card shows who, the consumer is told.
    let op = TgUser::new(OPERATOR, "Мария");
    group.press(&op, &card, &ru("desk.take"));
    let taken = group.expect("в работу: Мария").await;
    c.expect_key("desk.push.in_progress.appeal").await;
    // Once taken, the button hands it over instead; the old card's «Взять в работу» pressed
    // again is answered to the operator alone, and the consumer hears nothing more.
    let labels: Vec<String> = taken.inline_buttons().into_iter().map(|b| b.0).collect();
    assert!(
        labels.contains(&ru("desk.release")) && !labels.contains(&ru("desk.take")),
        "{labels:?}"
    );
    group.press(&op, &card, &ru("desk.take"));
    let already = ru("desk.already_taken");
    app.api
        .wait_event(
            0,
            crate::helpers::WAIT,
            |e| matches!(e, tgmock::Event::CallbackAnswered { text: Some(t), show_alert: true, .. } if *t == already),
        )
        .await
        .expect("the operator is told it is taken already");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE channel = 'telegram' AND payload LIKE '%взято в работу%'"
        )
        .await,
        1,
        "one push for one taking"
    );

    // The answer: a reply to the card's attachment works as well as to the card.
    group.reply(&op, &photo, "Тариф вырос с 1 июля.");
    group.expect(&ru("desk.sent")).await;
    let push = c.expect("Тариф вырос с 1 июля").await;
    assert!(push.text.contains(&no("О-2026-000001")));
    let open = push.inline_buttons();
    assert_eq!(open[0].0, ru("ticket.open"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM tickets WHERE status = 'answered'").await,
        1
    );
    // The other consumer heard nothing of it.
    assert!(
        !app.api
            .events_for(other.id())
            .iter()
            .any(|e| matches!(e, tgmock::Event::Sent(m) if m.text.contains("Тариф вырос")))
    );
    // A copy by e-mail, as chosen.
    let mut seen = Vec::new();
    app.mail_to("ivanov@example.ru", &mut seen).await;
    let copy = app.mail_to("ivanov@example.ru", &mut seen).await;
    assert!(copy.contains("Тариф вырос с 1 июля"), "{copy}");
    // By name, once, signed by the utility.
    assert!(copy.starts_with("Здравствуйте, Иван Иванович!"), "{copy}");
    assert_eq!(copy.matches("Здравствуйте").count(), 1, "{copy}");
    assert!(copy.contains("АО «Тестэнерго»"), "{copy}");

    // The consumer follows up: it appears as a reply under the card.
    c.press(&push, &ru("ticket.open"));
    let card_u = c.expect("Тариф вырос").await;
    c.press(&card_u, &ru("ticket.reopen"));
    c.expect_key("ticket.reopen_q").await;
    c.send("Но я не пользовался отоплением");
    let ready = c.expect("текст ✓").await;
    c.press(&ready, &ru("req.send"));
    c.expect_key("ticket.reopened").await;
    let follow = group.expect("Но я не пользовался отоплением").await;
    assert_eq!(follow.reply_to, Some(card.message_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_request_answered_with_a_file_is_downloadable() {
    let app = desk_app().await;
    let mut group = Group::new(&app);
    let mut c = app.user(12_101);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    c.press(&hub, &ru("ticket.new.document"));
    let q = c.expect_key("ticket.doc_type_q").await;
    c.press(&q, &ru("doc.contract"));
    let q = c.expect_key("ticket.period_q").await;
    c.press(&q, &ru("common.skip"));
    let q = c.expect_key("ticket.comment_q").await;
    c.press(&q, &ru("common.skip"));
    let s = c.expect_key("ticket.summary").await;
    c.press(&s, &ru("req.send"));
    c.expect(&no("Д-2026-000001")).await;

    let card = group.expect_card(&app, &no("Д-2026-000001")).await;
    let op = TgUser::new(OPERATOR, "Мария");
    group.reply_with_document(&op, &card, "dogovor.pdf", "Копия договора");
    group.expect(&ru("desk.sent")).await;
    c.expect("Копия договора").await;
    // The bytes were fetched and kept with the file.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM attachments WHERE name = 'dogovor.pdf' AND content IS NOT NULL"
        )
        .await,
        1
    );
    c.send(&ru("menu.documents"));
    let list = c.expect(&no("Д-2026-000001")).await;
    c.press(&list, "📄 dogovor.pdf");
    let doc = c.expect_document().await;
    assert!(doc.document.as_deref().is_some_and(|d| d.starts_with("BQop")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meter_request_is_scheduled_and_a_connection_gets_documents() {
    let mut app = desk_app().await;
    let mut group = Group::new(&app);
    let mut c = app.user(12_201);
    register_confirmed(&app, &mut c, &IVANOV).await;
    let card_u = super::meters::add_meter(&mut c, &super::meters::FLAT_ELECTRIC).await;
    c.press(&card_u, &ru("meters.req_taking"));
    // The examples are a date the question allows, a week from today, not a fixed one.
    let today = app.config().today(app.clock.now());
    let ahead = today + chrono::Duration::days(7);
    let q = c.expect_key("req.date_q").await;
    assert!(q.text.contains(&ahead.format("%d.%m.%Y").to_string()), "{}", q.text);
    // Both examples are taken, as is «завтра».
    c.send(&ahead.format("%d.%m").to_string());
    let tod = c.expect_key("req.tod_q").await;
    c.press(&tod, &crate::helpers::ru("common.back"));
    c.expect_key("req.date_q").await;
    c.send("завтра");
    let tod = c.expect_key("req.tod_q").await;
    c.press(&tod, &ru("tod.morning"));
    let q = c.expect_key("req.comment_q").await;
    c.press(&q, &ru("common.skip"));
    let s = c.expect_key("req.f.date").await;
    c.press(&s, &ru("req.send"));
    c.expect("Заявка ПУ-").await;

    let card = group.expect_card(&app, &no("ПУ-2026-000001")).await;
    let op = TgUser::new(OPERATOR, "Мария");
    group.press(&op, &card, &ru("desk.schedule"));
    let ask = group.expect_key("desk.reply_with_date").await;
    // Its example is a week ahead of today, not a date that has passed.
    let week = app.config().today(app.clock.now()) + chrono::Duration::days(7);
    assert!(ask.text.contains(&week.format("%d.%m.%Y").to_string()), "{}", ask.text);
    group.reply(&op, &ask, "когда-нибудь");
    group.expect(&ru("desk.date_bad")).await;
    group.reply(&op, &card, "01.12.2099");
    group.expect(&ru("desk.sent")).await;
    c.expect("01.12.2099").await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM meter_requests WHERE status = 'scheduled' AND scheduled_for = '2099-12-01'"
        )
        .await,
        1
    );
    // The card shows the visit date; a comment from the desk shows beside the status.
    group.reply(&op, &card, "Инспектор позвонит накануне");
    group.expect(&ru("desk.sent")).await;
    c.expect("Инспектор позвонит накануне").await;
    c.send(&ru("menu.meters"));
    let list = c.expect(&ru("meters.choose")).await;
    c.press(&list, &list.inline_buttons()[0].0.clone());
    let meter_card = c.expect(&ru("meters.requests")).await;
    assert!(
        meter_card
            .text
            .contains("назначен визит 01.12.2099 (Инспектор позвонит накануне)"),
        "{}",
        meter_card.text
    );

    // A connection application: «Документы выданы» and a reply with the technical conditions.
    let store = app.store().await;
    let (consumer,): (i64,) = sql::query_as("SELECT id FROM consumers")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    let fields = serde_json::json!({ "object_name": "Дом", "address": "адрес" });
    let new = kabinet::store::connection::NewApplication {
        consumer_id: consumer,
        kind: kabinet::domain::connection::ConnKind::Electricity,
        object_name: "Дом",
        fields: &fields,
        applicant: &serde_json::json!({}),
        files: &[],
    };
    // Written while the bot is stopped: the restart delivers what waits in the outbox. (Written
    // while it runs, its worker may claim the row just before the stop, and on PostgreSQL the
    // restarted app — the same process, so the same owner — waits out the claim's minute.)
    app.stop().await;
    store.create_application(&new, chrono::Utc::now(), None).await.unwrap();
    app.start().await;
    let conn_card = group.expect_card(&app, &no("ТП-Э-2026-000001")).await;
    group.press(&op, &conn_card, &ru("conn.status.documents_issued"));
    let ask = group.expect_key("desk.reply_with_comment").await;
    group.reply_with_document(&op, &ask, "TU.pdf", "Технические условия");
    group.expect(&ru("desk.sent")).await;
    let push = c.expect(&no("ТП-Э-2026-000001")).await;
    assert!(push.text.contains(&ru("conn.status.documents_issued")), "{}", push.text);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM attachments WHERE owner_kind = 'connection_issued'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_in_a_private_chat() {
    let app = desk_app().await;
    let mut c = app.user(12_301);
    register_confirmed(&app, &mut c, &IVANOV).await;
    file_appeal(&mut c, "Вопрос", false).await;
    let mut op = app.user(OPERATOR);
    op.send("/queue");
    op.expect(&no("О-2026-000001")).await;
    op.send(&no("/item О-2026-000001"));
    op.expect("Вопрос").await;
    app.store()
        .await
        .record_refusal(
            12_301,
            "sendMessage",
            "Forbidden: bot was blocked by the user",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    op.send("/stats");
    let stats = op.expect("Открыто: 1").await;
    assert!(stats.text.contains("Отклонено Telegram за сутки: 1"), "{}", stats.text);
    // Not an operator: the commands do not exist for them.
    c.send("/queue");
    c.expect_key("common.unknown_command").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_a_card_being_recorded_waits_for_it() {
    use kabinet::store::operators::{ItemKind, ItemRef};
    let app = desk_app().await;
    let store = app.store().await;
    let item = ItemRef {
        kind: ItemKind::Ticket,
        id: 7,
    };
    // The waiter is polled first: it looks, finds nothing, and only then is the message
    // mapped (the one connection answers in order), so it finds it by waiting.
    let (found, mapped) = futures::future::join(
        store.desk_item_waiting(GROUP, 77, std::time::Duration::from_secs(10)),
        store.map_desk_message(GROUP, 77, item),
    )
    .await;
    mapped.unwrap();
    assert_eq!(found.unwrap(), Some(item));
    // A message that never becomes a card: given up after the wait.
    let started = std::time::Instant::now();
    let none = store
        .desk_item_waiting(GROUP, 78, std::time::Duration::from_millis(100))
        .await
        .unwrap();
    assert_eq!(none, None);
    assert!(started.elapsed() >= std::time::Duration::from_millis(100));
}

/// Words, lines and paragraphs up to `n` characters, with the characters HTML escapes.
fn long_text(n: usize, seed: &str) -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.chars().count() < n {
        let sep = match i % 60 {
            59 => "\n\n",
            k if k % 12 == 11 => "\n",
            _ => " ",
        };
        let word = if i % 17 == 0 {
            "<&>".to_owned()
        } else {
            format!("{seed}{i}")
        };
        s.push_str(&word);
        s.push_str(sep);
        i += 1;
    }
    let s: String = s.chars().take(n).collect();
    format!("{}я", s.trim_end().chars().take(n - 1).collect::<String>())
}

/// What a run of messages shows, one after another (their HTML parsed as Telegram does).
fn shown(messages: &[tgmock::BotMessage]) -> String {
    messages
        .iter()
        .map(|m| tgmock::html::parse(&m.text).expect("valid HTML"))
        .collect()
}

/// Bot messages sent to `chat` since event `from` that satisfy `pred`.
fn sent_since(
    app: &TestApp,
    chat: i64,
    from: usize,
    pred: impl Fn(&tgmock::BotMessage) -> bool,
) -> Vec<tgmock::BotMessage> {
    app.api.events()[from..]
        .iter()
        .filter_map(|e| match e {
            tgmock::Event::Sent(m) if m.chat_id == chat && pred(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_longest_appeal_reaches_the_group_whole_and_a_long_answer_the_consumer() {
    let app = desk_app().await;
    let mut group = Group::new(&app);
    let mut c = app.user(12_401);
    register_confirmed(&app, &mut c, &IVANOV).await;
    let text = long_text(4000, "текст");
    // An address is one line.
    let address: String = "ул. Ленина & К°, д. 1 <корп. 2>; "
        .repeat(40)
        .chars()
        .take(999)
        .collect::<String>()
        + "я";

    super::tickets::start_ticket(&mut c, "ticket.new.appeal").await;
    let q = c.expect_key("ticket.topic_q").await;
    c.press(&q, &ru("topic.appeal.charges"));
    c.expect_key("ticket.text_q").await;
    c.send(&text);
    c.expect_key("ticket.address_q").await;
    c.send(&address);
    c.expect_key("ticket.files_q").await;
    let mut added = None;
    for n in 1..=10 {
        c.document(&format!("скан-{n}.pdf"), "application/pdf", 1000);
        added = Some(c.expect_key("files.added").await);
    }
    c.press(&added.unwrap(), &ru("req.files_done"));
    let q = c.expect_key("ticket.email_q").await;
    c.press(&q, &ru("ticket.email_no"));
    // The summary is long too: its buttons are under its last part.
    c.expect_key("ticket.summary").await;
    let s = c.expect_buttons().await;
    let from = app.api.event_count();
    c.press(&s, &ru("req.send"));
    c.expect_key("ticket.sent.appeal").await;

    // The card: as many messages as it needs, the buttons on the last; then the ten files.
    let card = group.expect_card(&app, &ru_head("desk.status")).await;
    let files: Vec<_> = (0..10).map(|_| ()).collect();
    for _ in &files {
        group.expect_file().await;
    }
    let texts = sent_since(&app, GROUP, from, |m| m.document.is_none());
    assert!(texts.len() >= 2, "a card this long takes more than one message");
    assert_eq!(texts.last().unwrap().message_id, card.message_id);
    let whole = shown(&texts);
    assert!(whole.contains(&text), "the appeal's text arrives whole");
    assert!(whole.contains(&address), "and its address");
    let docs = sent_since(&app, GROUP, from, |m| m.document.is_some());
    assert_eq!(docs.len(), 10);
    assert!(docs.iter().all(|d| d.reply_to == Some(card.message_id)));

    // The longest answer Telegram lets an operator write reaches the consumer whole, the
    // «Открыть» button under its last part.
    let answer = long_text(4096, "ответ");
    let op = TgUser::new(OPERATOR, "Мария");
    let from = app.api.event_count();
    group.reply(&op, &card, &answer);
    group.expect(&ru("desk.sent")).await;
    let last = c.expect_buttons().await;
    assert_eq!(last.inline_buttons()[0].0, ru("ticket.open"));
    let push = sent_since(&app, c.id(), from, |_| true);
    assert_eq!(push.len(), 2, "the prefix and 4096 characters take two messages");
    assert!(shown(&push).contains(&answer));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_fails_is_sent_again_and_nothing_twice() {
    let app = desk_app().await;
    let mut group = Group::new(&app);
    let mut c = app.user(12_501);
    register_confirmed(&app, &mut c, &IVANOV).await;
    super::tickets::start_ticket(&mut c, "ticket.new.appeal").await;
    let q = c.expect_key("ticket.topic_q").await;
    c.press(&q, &ru("topic.appeal.charges"));
    c.expect_key("ticket.text_q").await;
    c.send("Три документа");
    let q = c.expect_key("ticket.address_q").await;
    c.press(&q, &ru("common.skip"));
    c.expect_key("ticket.files_q").await;
    let mut added = None;
    for n in 1..=3 {
        c.document(&format!("док-{n}.pdf"), "application/pdf", 1000);
        added = Some(c.expect_key("files.added").await);
    }
    c.press(&added.unwrap(), &ru("req.files_done"));
    let q = c.expect_key("ticket.email_q").await;
    c.press(&q, &ru("ticket.email_no"));
    let s = c.expect_key("ticket.summary").await;
    // The card's second file: the connection is cut before Telegram answers.
    app.api.fail_call("sendDocument", 1, 1, 0);
    let from = app.api.event_count();
    c.press(&s, &ru("req.send"));
    c.expect_key("ticket.sent.appeal").await;
    group.expect_card(&app, &no("О-2026-000001")).await;
    for _ in 0..3 {
        group.expect_file().await;
    }
    let store = app.store().await;
    let deadline = tokio::time::Instant::now() + crate::helpers::WAIT;
    while count(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE channel = 'operator' AND status = 'done'",
    )
    .await
        < 1
    {
        assert!(tokio::time::Instant::now() < deadline, "the card's row never completed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (attempts,): (i64,) = sql::query_as("SELECT attempts FROM outbox WHERE channel = 'operator'")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(attempts, 2, "delivered at the second attempt");
    let cards = sent_since(&app, GROUP, from, |m| m.text.contains(&no("О-2026-000001")));
    assert_eq!(cards.len(), 1, "the card once");
    let mut docs: Vec<String> = sent_since(&app, GROUP, from, |m| m.document.is_some())
        .into_iter()
        .filter_map(|m| m.document)
        .collect();
    docs.sort();
    let before = docs.len();
    docs.dedup();
    assert_eq!((before, docs.len()), (3, 3), "each file exactly once: {docs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_no_item_is_explained_and_a_status_choice_lapses() {
    let mut app = desk_app().await;
    let mut group = Group::new(&app);
    let mut c = app.user(12_601);
    register_confirmed(&app, &mut c, &IVANOV).await;
    let op = TgUser::new(OPERATOR, "Мария");

    // A bot message that belongs to no item (an old note): the operator is told what to do.
    let note = tgmock::BotMessage {
        chat_id: GROUP,
        message_id: app.api.next_message_id(),
        text: "старая заметка".into(),
        document: None,
        reply_to: None,
        parse_mode: None,
        reply_markup: None,
        thread: None,
    };
    app.api.inject_event(tgmock::Event::Sent(note.clone()));
    group.reply(&op, &note, "Это про какую заявку?");
    group.expect(&ru("desk.not_an_item")).await;

    // A status chosen, then the reply comes 11 minutes later: the choice has lapsed, the reply
    // goes as a comment and the operator is told.
    let store = app.store().await;
    let (consumer,): (i64,) = sql::query_as("SELECT id FROM consumers")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    let fields = serde_json::json!({ "object_name": "Дом", "address": "адрес" });
    let new = kabinet::store::connection::NewApplication {
        consumer_id: consumer,
        kind: kabinet::domain::connection::ConnKind::Electricity,
        object_name: "Дом",
        fields: &fields,
        applicant: &serde_json::json!({}),
        files: &[],
    };
    // Written while the bot is stopped: the restart delivers what waits in the outbox. (Written
    // while it runs, its worker may claim the row just before the stop, and on PostgreSQL the
    // restarted app — the same process, so the same owner — waits out the claim's minute.)
    app.stop().await;
    store.create_application(&new, chrono::Utc::now(), None).await.unwrap();
    app.start().await;
    let card = group.expect_card(&app, &no("ТП-Э-2026-000001")).await;
    group.press(&op, &card, &ru("conn.status.returned"));
    group.expect_key("desk.reply_with_comment").await;
    app.clock.advance(chrono::Duration::minutes(11));
    group.reply(&op, &card, "Уточните мощность");
    group.expect(&ru_head("desk.pending_lapsed")).await;
    let push = c.expect("Уточните мощность").await;
    assert!(
        !push.text.contains(&ru("conn.status.returned")),
        "the lapsed status was not set: {}",
        push.text
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM connection_applications WHERE status = 'submitted'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_choice_left_without_a_reply_lapses_and_the_group_is_told() {
    let app = TestApp::spawn_with(&[
        "--operator-chat-id",
        &GROUP.to_string(),
        "--maintenance-interval-seconds",
        "1",
    ])
    .await;
    app.store()
        .await
        .add_operator(OPERATOR, Some("Мария"), chrono::Utc::now())
        .await
        .unwrap();
    let mut group = Group::new(&app);
    let mut c = app.user(12_701);
    register_confirmed(&app, &mut c, &IVANOV).await;
    file_appeal(&mut c, "Вопрос", false).await;
    let card_u = group.expect_card(&app, &no("О-2026-000001")).await;
    // Tickets have no status choice; a meter request does: «Назначить дату».
    let meter = super::meters::add_meter(&mut c, &super::meters::FLAT_ELECTRIC).await;
    c.press(&meter, &ru("meters.req_taking"));
    c.expect_key("req.date_q").await;
    c.send("завтра");
    let tod = c.expect_key("req.tod_q").await;
    c.press(&tod, &ru("tod.morning"));
    let q = c.expect_key("req.comment_q").await;
    c.press(&q, &ru("common.skip"));
    let s = c.expect_key("req.f.date").await;
    c.press(&s, &ru("req.send"));
    c.expect("Заявка ПУ-").await;
    let card = group.expect_card(&app, &no("ПУ-2026-000001")).await;
    let op = TgUser::new(OPERATOR, "Мария");
    group.press(&op, &card, &ru("desk.schedule"));
    group.expect_key("desk.reply_with_date").await;
    app.clock.advance(chrono::Duration::minutes(11));
    let told = group.expect(&ru_head("desk.pending_expired")).await;
    assert!(told.text.contains(&no("ПУ-2026-000001")) && told.reply_to == Some(card.message_id));
    assert_ne!(card.message_id, card_u.message_id);
    // A date sent now is a comment, not a visit.
    group.reply(&op, &card, "05.12.2099");
    group.expect(&ru("desk.sent")).await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM meter_requests WHERE status = 'scheduled'").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_card_reads_in_words_with_the_passport_masked() {
    let app = desk_app().await;
    let mut group = Group::new(&app);
    let mut c = app.user(11_901);
    register_confirmed(&app, &mut c, &IVANOV).await;
    super::connection::file_household_application(&mut c, "4510 123456").await;
    let card = group.expect_card(&app, &no("ТП-Э-2026-000001")).await;
    for readable in [
        ru("conn.opt.reason.new"),
        ru("conn.yes"),
        ru("conn.no"),
        "01.02.2015".to_owned(),
        "••••••3456".to_owned(),
    ] {
        assert!(card.text.contains(&readable), "«{readable}» on the card: {}", card.text);
    }
    for raw in [": new", ": yes", ": no", "2015-02-01", "123456"] {
        assert!(!card.text.contains(raw), "«{raw}» on the card: {}", card.text);
    }
    // In full only on request, in the operator's own chat.
    let mut op = app.user(OPERATOR);
    op.send(&no("/item ТП-Э-2026-000001"));
    let masked = op.expect(&no("ТП-Э-2026-000001")).await;
    assert!(!masked.text.contains("4510"), "{}", masked.text);
    op.send(&no("/item ТП-Э-2026-000001 паспорт"));
    let full = op.expect("4510 123456").await;
    assert!(full.text.contains(&ru("conn.opt.reason.new")), "{}", full.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lapsed_meter_is_added_and_its_verification_request_closes_with_the_certificate() {
    let app = desk_app().await;
    let mut group = Group::new(&app);
    let mut c = app.user(12_301);
    register_confirmed(&app, &mut c, &IVANOV).await;
    // A verification that lapsed is taken as it is, and marked.
    let card_u = super::meters::add_meter_verified(&mut c, &super::meters::FLAT_ELECTRIC, "01.01.2020").await;
    assert!(card_u.text.contains(&ru("meters.verif_expired")), "{}", card_u.text);
    // Readings wait: the refusal offers the verification request and a new date.
    c.press(&card_u, &ru("meters.send"));
    let refusal = c.expect(&ru_head("reading.verification_expired")).await;
    let labels: Vec<String> = refusal.inline_buttons().into_iter().map(|b| b.0).collect();
    assert!(labels.contains(&ru("reading.new_verification_date")), "{labels:?}");
    c.press(&refusal, &ru("meters.req_verify"));
    c.expect_key("req.date_q").await;
    c.send("завтра");
    let tod = c.expect_key("req.tod_q").await;
    c.press(&tod, &ru("tod.morning"));
    let q = c.expect_key("req.comment_q").await;
    c.press(&q, &ru("common.skip"));
    let s = c.expect(&ru_head("req.title.verification")).await;
    c.press(&s, &ru("req.send"));
    let sent = c.expect("Заявка ПУ-").await;
    // With the request filed, readings are taken.
    c.press(&sent, &ru("meters.to_card"));
    let card_u = c.expect_key("meters.card").await;
    c.press(&card_u, &ru("meters.send"));
    c.expect_key("reading.q").await;
    c.send("1100");
    c.expect_key("reading.accepted").await;

    // The operator: «Выполнено» waits for the certificate and the next date.
    let card = group.expect_card(&app, &no("ПУ-2026-000001")).await;
    let op = TgUser::new(OPERATOR, "Мария");
    group.press(&op, &card, &ru("desk.done"));
    group.expect_key("desk.reply_with_certificate").await;
    group.reply(&op, &card, "Готово");
    group.expect_key("desk.certificate_needed").await;
    group.reply_with_document(&op, &card, "svid.pdf", "Следующая поверка 01.06.2034");
    group.expect(&ru("desk.sent")).await;
    let push = c.expect(&ru_head("desk.push.verified")).await;
    assert!(push.text.contains("01.06.2034"), "{}", push.text);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM meters m JOIN meter_requests q ON q.meter_id = m.id
             WHERE m.next_verification = '2034-06-01' AND q.status = 'done' AND q.kind = 'verification'"
        )
        .await,
        1
    );
    // The certificate is on the meter's card.
    c.press(&push, &ru("ticket.open"));
    let card_u = c.expect_key("meters.card").await;
    assert!(!card_u.text.contains(&ru("meters.verif_expired")), "{}", card_u.text);
    c.press(&card_u, &ru("meters.certificate"));
    let doc = c.expect_document().await;
    assert!(doc.document.as_deref().is_some_and(|d| d.starts_with("BQop")));
}
