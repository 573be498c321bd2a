use super::{IVANOV, Person, register_confirmed};
use crate::helpers::{GROUP, Group, TestApp, ru};
use tgmock::TgUser;

const OPERATOR: i64 = 900_001;

async fn desk_app() -> TestApp {
    let app = TestApp::spawn_with(&["--operator-chat-id", &GROUP.to_string()]).await;
    app.store()
        .await
        .add_operator(OPERATOR, Some("Мария"), chrono::Utc::now())
        .await
        .unwrap();
    app
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
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
    let card = group.expect_card(&app, "О-2026-000001").await;
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
    group.expect("только операторы").await;
    group.press(&stranger, &card, &ru("desk.take"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM ticket_messages WHERE author = 'operator'").await,
        0
    );

    // The operator takes it: the card shows who, the consumer is told.
    let op = TgUser::new(OPERATOR, "Мария");
    group.press(&op, &card, &ru("desk.take"));
    group.expect("в работу: Мария").await;
    c.expect("взято в работу").await;

    // The answer: a reply to the card's attachment works as well as to the card.
    group.reply(&op, &photo, "Тариф вырос с 1 июля.");
    group.expect(&ru("desk.sent")).await;
    let push = c.expect("Тариф вырос с 1 июля").await;
    assert!(push.text.contains("О-2026-000001"));
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
    let q = c.expect("За какой период").await;
    c.press(&q, &ru("common.skip"));
    let q = c.expect_key("ticket.comment_q").await;
    c.press(&q, &ru("common.skip"));
    let s = c.expect("Проверьте перед отправкой").await;
    c.press(&s, &ru("req.send"));
    c.expect("Д-2026-000001").await;

    let card = group.expect_card(&app, "Д-2026-000001").await;
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
    let list = c.expect("Д-2026-000001").await;
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
    c.expect_key("req.date_q").await;
    c.send("завтра");
    let tod = c.expect_key("req.tod_q").await;
    c.press(&tod, &ru("tod.morning"));
    let q = c.expect_key("req.comment_q").await;
    c.press(&q, &ru("common.skip"));
    let s = c.expect("Желаемая дата").await;
    c.press(&s, &ru("req.send"));
    c.expect("Заявка ПУ-").await;

    let card = group.expect_card(&app, "ПУ-2026-000001").await;
    let op = TgUser::new(OPERATOR, "Мария");
    group.press(&op, &card, &ru("desk.schedule"));
    let ask = group.expect(&ru("desk.reply_with_date")).await;
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
    let list = c.expect(&ru("meters.legend")).await;
    c.press(&list, &list.inline_buttons()[0].0.clone());
    let meter_card = c.expect("Заявки").await;
    assert!(
        meter_card
            .text
            .contains("назначен визит 01.12.2099 (Инспектор позвонит накануне)"),
        "{}",
        meter_card.text
    );

    // A connection application: «Документы выданы» and a reply with the technical conditions.
    let store = app.store().await;
    let (account,): (i64,) = sqlx::query_as("SELECT id FROM accounts")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    let fields = serde_json::json!({ "object_name": "Дом", "address": "адрес" });
    let new = kabinet::store::connection::NewApplication {
        account_id: account,
        kind: kabinet::domain::connection::ConnKind::Electricity,
        object_name: "Дом",
        fields: &fields,
        applicant: &serde_json::json!({}),
        files: &[],
    };
    store.create_application(&new, chrono::Utc::now(), None).await.unwrap();
    // Written behind the bot's back: a restart delivers what waits in the outbox.
    app.stop().await;
    app.start().await;
    let conn_card = group.expect_card(&app, "ТП-Э-2026-000001").await;
    group.press(&op, &conn_card, &ru("conn.status.documents_issued"));
    let ask = group.expect("Ответьте на карточку").await;
    group.reply_with_document(&op, &ask, "TU.pdf", "Технические условия");
    group.expect(&ru("desk.sent")).await;
    let push = c.expect("ТП-Э-2026-000001").await;
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
    op.expect("О-2026-000001").await;
    op.send("/item О-2026-000001");
    op.expect("Вопрос").await;
    op.send("/stats");
    op.expect("Открыто: 1").await;
    // Not an operator: the commands do not exist for them.
    c.send("/queue");
    c.expect_key("common.unknown_command").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_a_card_being_recorded_waits_for_it() {
    use kabinet::store::desk::{ItemKind, ItemRef};
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
