use super::{IVANOV, Person, register_confirmed};
use crate::helpers::no;
use crate::helpers::{Client, TestApp, files_added, got_so_far, ru, ru_head};
use kabinet::store::meters::FileRef;
use kabinet::store::sql;
use kabinet::store::tickets::DeliveredFile;

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sql::query_as(sql.to_owned())
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    n
}

/// Opens «Интерактивные сервисы» and starts a ticket of the kind labelled `key`.
pub async fn start_ticket(c: &mut Client, key: &str) {
    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    c.press(&hub, &ru(key));
}

/// Files an appeal with the given text and no extras; returns the «Открыть» message.
async fn file_appeal(c: &mut Client, text: &str) -> tgmock::BotMessage {
    file_appeal_with(c, text, false, false).await
}

/// Files an appeal (topic «Начисления и оплата», no address), with a photo and a copy of the
/// answer by e-mail if asked; returns the «Открыть» message.
pub async fn file_appeal_with(c: &mut Client, text: &str, photo: bool, email_copy: bool) -> tgmock::BotMessage {
    start_ticket(c, "ticket.new.appeal").await;
    let q = c.expect_key("ticket.topic_q").await;
    c.press(&q, &ru("topic.appeal.charges"));
    c.expect_key("ticket.text_q").await;
    c.send(text);
    let q = c.expect_key("ticket.address_q").await;
    c.press(&q, &ru("common.skip"));
    // With meters, the form asks whether the question is about one of them.
    let mut q = c
        .expect_any(&["Приложите фото", "Относится ли вопрос к одному из ваших приборов"])
        .await;
    if !q.text.contains("Приложите фото") {
        c.press(&q, &ru("common.skip"));
        q = c.expect_key("ticket.files_q").await;
    }
    if photo {
        c.photo();
        let added = c.expect(&files_added(1)).await;
        c.press(&added, &ru("req.files_done"));
    } else {
        c.press(&q, &ru("common.skip"));
    }
    let q = c.expect_key("ticket.email_q").await;
    c.press(
        &q,
        &ru(if email_copy {
            "ticket.email_yes"
        } else {
            "ticket.email_no"
        }),
    );
    let s = c.expect_key("ticket.summary").await;
    c.press(&s, &ru("req.send"));
    // One confirmation, with the button that opens what it names.
    let sent = c.expect_key("ticket.sent.appeal").await;
    assert_eq!(sent.inline_buttons()[0].0, ru("ticket.open_this.appeal"));
    c.expect_key("menu.title").await;
    sent
}

async fn user(app: &TestApp, id: i64, login: &str) -> Client {
    let mut c = app.user(id);
    register_confirmed(
        app,
        &mut c,
        &Person {
            login,
            email: &format!("u{id}@example.ru"),
            ..IVANOV
        },
    )
    .await;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appeal_with_attachments_and_the_section_appears() {
    let app = TestApp::spawn().await;
    let mut c = user(&app, 10_001, IVANOV.login).await;
    start_ticket(&mut c, "ticket.new.appeal").await;
    let q = c.expect_key("ticket.topic_q").await;
    // A sticker or a voice message where a button or text is expected.
    c.sticker();
    c.expect_key("common.use_buttons").await;
    c.press(&q, &ru("topic.appeal.quality"));
    c.expect_key("ticket.text_q").await;
    c.voice();
    c.expect_key("common.text_expected").await;
    c.send(&"я".repeat(4001));
    c.expect("слишком длинное: 4001 символов").await;
    c.send("Напряжение скачет по вечерам");
    c.expect_key("ticket.address_q").await;
    c.send("ул. Ленина, 1");
    let q = c.expect_key("ticket.files_q").await;
    // «Готово» is not named before it is shown (after a file); «Пропустить» is.
    assert!(!q.text.contains(&ru("files.done_hint")), "{}", q.text);
    assert!(q.inline_buttons().iter().all(|b| b.0 != ru("req.files_done")));
    c.photo();
    c.expect(&files_added(1)).await;
    c.document(
        "акт.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        10_000,
    );
    let added = c.expect(&files_added(2)).await;
    c.document("song.mp3", "audio/mpeg", 10_000);
    c.expect_key("files.wrong_type").await;
    c.press(&added, &ru("req.files_done"));
    let q = c.expect_key("ticket.email_q").await;
    c.press(&q, &ru("ticket.email_yes"));
    let s = c.expect_key("ticket.summary").await;
    assert!(s.text.contains("Качество поставки") && s.text.contains("ул. Ленина, 1") && s.text.contains("2 файла"));
    c.press(&s, &ru("req.send"));
    let sent = c.expect(&no("Обращение О-2026-000001 зарегистрировано")).await;
    assert!(sent.text.contains("Срок ответа — до"));
    // The section «Обращения и жалобы» is now in the menu, «Запросы» is not.
    let kb = c.expect_key("menu.title").await.keyboard_buttons();
    assert!(
        kb.contains(&ru("menu.tickets")) && !kb.contains(&ru("menu.requests")),
        "{kb:?}"
    );
    // The files' buttons on the card: the document by its name, the photo (nameless) by its
    // place.
    c.press(&sent, &ru("ticket.open_this.appeal"));
    let card = c.expect(&no("О-2026-000001")).await;
    let labels: Vec<String> = card.inline_buttons().into_iter().map(|b| b.0).collect();
    let photo = format!("📎 {}", crate::helpers::ru_with("ticket.photo_n", &[("n", "1")]));
    assert!(labels.contains(&photo), "{labels:?}");
    assert!(labels.iter().any(|l| l.ends_with(".docx")), "{labels:?}");

    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM tickets WHERE kind = 'appeal' AND email_copy"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM attachments WHERE owner_kind = 'ticket_message'"
        )
        .await,
        2
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE channel = 'operator'").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaint_request_and_document_request() {
    let app = TestApp::spawn().await;
    let mut c = user(&app, 10_101, IVANOV.login).await;

    start_ticket(&mut c, "ticket.new.complaint").await;
    let q = c.expect_key("ticket.topic_q").await;
    c.press(&q, &ru("topic.appeal.outages"));
    c.send("Отключили свет без предупреждения");
    let q = c.expect_key("ticket.address_q").await;
    c.press(&q, &ru("common.skip"));
    c.expect_key("ticket.violation_q").await;
    c.send("31.12.2099 10:00");
    c.expect_key("ticket.violation_bad").await;
    c.send("вчера 21:15");
    let q = c.expect_key("ticket.files_q").await;
    c.press(&q, &ru("common.skip"));
    let q = c.expect_key("ticket.email_q").await;
    c.press(&q, &ru("ticket.email_no"));
    let s = c.expect_key("ticket.f.violation_at").await;
    assert!(s.text.contains("21:15"));
    c.press(&s, &ru("req.send"));
    c.expect(&no("Жалоба Ж-2026-000001 зарегистрирована")).await;

    start_ticket(&mut c, "ticket.new.request").await;
    let q = c.expect_key("ticket.topic_q").await;
    c.press(&q, &ru("topic.request.tariffs"));
    c.send("Какой тариф с 1 января?");
    let q = c.expect_key("ticket.files_q").await;
    c.press(&q, &ru("common.skip"));
    let q = c.expect_key("ticket.email_q").await;
    c.press(&q, &ru("ticket.email_no"));
    let s = c.expect_key("ticket.summary").await;
    c.press(&s, &ru("req.send"));
    c.expect(&no("З-2026-000001")).await;

    start_ticket(&mut c, "ticket.new.document").await;
    let q = c.expect_key("ticket.doc_type_q").await;
    c.press(&q, &ru("doc.other"));
    c.expect_key("ticket.doc_type_other_q").await;
    c.send("Паспорт объекта");
    c.expect(&ru_head("ticket.period_q")).await;
    c.send("весной");
    c.expect_key("ticket.period_bad").await;
    // Months in words are understood and kept as digits.
    c.send("январь–июнь 2026");
    let q = c.expect_key("ticket.comment_q").await;
    c.press(&q, &ru("common.skip"));
    let s = c.expect_key("ticket.summary").await;
    assert!(s.text.contains("Паспорт объекта") && s.text.contains("01.2026–06.2026"));
    c.press(&s, &ru("req.send"));
    c.expect(&no("Д-2026-000001")).await;
    let kb = c.expect_key("menu.title").await.keyboard_buttons();
    for section in ["menu.tickets", "menu.requests", "menu.documents"] {
        assert!(kb.contains(&ru(section)), "{section} in {kb:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_shows_the_conversation_and_follow_up_close_reopen_work() {
    let app = TestApp::spawn().await;
    let mut c = user(&app, 10_201, IVANOV.login).await;
    let open = file_appeal(&mut c, "Почему счёт вырос?").await;
    let store = app.store().await;
    let (ticket_id,): (i64,) = sql::query_as("SELECT id FROM tickets")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    // The operators' desk answers (as its issue will write it).
    store
        .add_operator_answer(
            ticket_id,
            777,
            Some("Тариф изменился с 1 июля."),
            &[],
            &[],
            chrono::Utc::now(),
        )
        .await
        .unwrap();

    c.send(&ru("menu.tickets"));
    let list = c.expect(&no("О-2026-000001")).await;
    assert!(
        list.text.contains("🔔") && list.text.contains(&ru("ticket.status.appeal.answered")),
        "{}",
        list.text
    );
    c.press(&open, &ru("ticket.open_this.appeal"));
    let card = c.expect("Почему счёт вырос?").await;
    let (q, a) = (
        card.text.find("Почему счёт").unwrap(),
        card.text.find("Тариф изменился").unwrap(),
    );
    assert!(q < a, "in order");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM tickets WHERE unread_for_user").await,
        0,
        "read once opened"
    );

    // «Дополнить».
    c.press(&card, &ru("ticket.add"));
    let q = c.expect_key("ticket.add_q").await;
    assert!(
        q.inline_buttons().iter().all(|b| b.0 != ru("req.send")),
        "nothing to send yet"
    );
    c.send("Прилагаю квитанцию");
    // None is said in words, not «файлов: 0 файлов».
    c.expect(&got_so_far(true, 0)).await;
    c.photo();
    let ready = c.expect(&got_so_far(true, 1)).await;
    c.press(&ready, &ru("req.send"));
    c.expect_key("ticket.added").await;
    c.expect("Прилагаю квитанцию").await;

    // «Вопрос решён», then «Не решено» with a comment.
    c.press(&card, &ru("ticket.close"));
    c.expect_key("ticket.closed").await;
    let closed = c.expect(&ru("ticket.status.appeal.closed")).await;
    assert!(!closed.inline_buttons().iter().any(|b| b.0 == ru("ticket.add")));
    c.press(&closed, &ru("ticket.reopen"));
    let q = c.expect_key("ticket.reopen_q").await;
    c.photo();
    let got = c.expect(&got_so_far(false, 1)).await;
    c.press(&got, &ru("req.send"));
    c.expect_key("ticket.reopen_needs_text").await;
    c.send("Счёт всё равно неверный");
    let ready = c.expect("текст ✓").await;
    c.press(&ready, &ru("req.send"));
    c.expect_key("ticket.reopened").await;
    c.expect(&ru("ticket.status.appeal.reopened")).await;
    let _ = q;

    assert_eq!(count(&app, "SELECT COUNT(*) FROM ticket_messages").await, 4);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM ticket_status_history WHERE status IN ('new', 'answered', 'closed', 'reopened')"
        )
        .await,
        4
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE channel = 'operator'").await,
        4,
        "new, follow-up, closed, reopened"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_documents_download_by_id_or_from_the_stored_copy() {
    let app = TestApp::spawn().await;
    let mut c = user(&app, 10_301, IVANOV.login).await;
    start_ticket(&mut c, "ticket.new.document").await;
    let q = c.expect_key("ticket.doc_type_q").await;
    c.press(&q, &ru("doc.reconciliation"));
    let q = c.expect(&ru_head("ticket.period_q")).await;
    c.press(&q, &ru("common.skip"));
    let q = c.expect_key("ticket.comment_q").await;
    c.press(&q, &ru("common.skip"));
    let s = c.expect_key("ticket.summary").await;
    c.press(&s, &ru("req.send"));
    c.expect(&no("Д-2026-000001")).await;

    let store = app.store().await;
    let (ticket_id,): (i64,) = sql::query_as("SELECT id FROM tickets")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    let file = |id: &str, name: &str| FileRef {
        file_id: id.into(),
        file_unique_id: format!("u-{id}"),
        name: Some(name.into()),
        mime: Some("application/pdf".into()),
        size: Some(4),
    };
    let files = [
        DeliveredFile {
            file: file("BQdelivered1", "akt-sverki.pdf"),
            content: None,
        },
        // An id from another bot token: only the stored copy can be sent.
        DeliveredFile {
            file: file("BROKEN-old-token", "dogovor.pdf"),
            content: Some(b"%PDF"),
        },
    ];
    store
        .add_operator_answer(
            ticket_id,
            777,
            Some("Документы во вложении"),
            &files,
            &[],
            chrono::Utc::now(),
        )
        .await
        .unwrap();

    c.send(&ru("menu.documents"));
    let list = c.expect(&no("Д-2026-000001")).await;
    c.press(&list, "📄 akt-sverki.pdf");
    let doc = c.expect_document().await;
    assert_eq!(doc.document.as_deref(), Some("BQdelivered1"));
    c.press(&list, "📄 dogovor.pdf");
    let doc = c.expect_document().await;
    // The stored copy was uploaded again: its bytes (4 of them) went with it.
    let id = doc.document.as_deref().unwrap_or_default();
    assert!(id.starts_with("upload:dogovor.pdf:"), "{id}");
    assert_eq!(c.api.file(id).map(|f| f.bytes.len()), Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_ticket_and_file_ids_are_refused() {
    let app = TestApp::spawn().await;
    let mut owner = user(&app, 10_401, IVANOV.login).await;
    file_appeal(&mut owner, "Мой вопрос").await;
    let store = app.store().await;
    let (ticket_id,): (i64,) = sql::query_as("SELECT id FROM tickets")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    let delivered = DeliveredFile {
        file: FileRef {
            file_id: "BQsecret".into(),
            file_unique_id: "u1".into(),
            name: Some("secret.pdf".into()),
            mime: None,
            size: None,
        },
        content: None,
    };
    store
        .add_operator_answer(ticket_id, 777, Some("ответ"), &[delivered], &[], chrono::Utc::now())
        .await
        .unwrap();
    let (file_id,): (i64,) = sql::query_as("SELECT id FROM attachments")
        .fetch_one(&store.pool)
        .await
        .unwrap();

    let mut thief = user(&app, 10_402, "64270954807").await;
    thief.send(&ru("menu.services"));
    let own = thief.expect_key("services.title").await;
    for data in [
        format!("t:{ticket_id}"),
        format!("t:add:{ticket_id}"),
        format!("t:close:{ticket_id}"),
        format!("t:re:{ticket_id}"),
    ] {
        thief.press_data(&own, &data);
        thief.expect_key("ticket.not_found").await;
    }
    thief.press_data(&own, &format!("f:{file_id}"));
    thief.expect_key("ticket.not_found").await;
    assert!(
        !app.api
            .events_for(thief.id())
            .iter()
            .any(|e| matches!(e, tgmock::Event::Sent(m) if m.document.is_some()))
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM ticket_messages").await, 2);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM tickets WHERE status = 'answered'").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_new_items_a_day() {
    let app = TestApp::spawn().await;
    let mut c = user(&app, 10_501, IVANOV.login).await;
    for i in 0..kabinet::policy::TICKETS_PER_DAY {
        file_appeal(&mut c, &format!("Вопрос {i}")).await;
    }
    start_ticket(&mut c, "ticket.new.appeal").await;
    c.expect_key("ticket.too_many").await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, 10);
}

/// Text typed where a button is expected: an option's own label is that option; anything else
/// is kept and offered at the next step that takes text (the complaint typed at the topic).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_typed_at_a_button_step_is_kept_for_the_text_step() {
    let app = TestApp::spawn().await;
    let mut c = app.user(13_301);
    register_confirmed(&app, &mut c, &IVANOV).await;
    start_ticket(&mut c, "ticket.new.appeal").await;
    c.expect_key("ticket.topic_q").await;
    c.send("Третий день мигает свет в подъезде");
    c.expect_key("form.kept_for_later").await;
    let q = c.expect_key("ticket.topic_q").await;
    c.press(&q, &ru("topic.appeal.quality"));
    let text_q = c.expect_key("ticket.text_q").await;
    assert!(
        text_q.text.contains("«Третий день мигает свет в подъезде»"),
        "the kept text is offered: {}",
        text_q.text
    );
    c.press(&text_q, &ru("form.kept_use"));
    c.expect_key("ticket.address_q").await;
    let (state,): (String,) = sql::query_as("SELECT state FROM dialogues")
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    assert!(
        state.contains("Третий день мигает свет") && !state.contains("\"kept\":\""),
        "the text is the answer, and no longer kept: {state}"
    );

    // Another ticket: an option's label typed (in any case) is that option.
    c.send("/cancel");
    c.expect_key("menu.title").await;
    start_ticket(&mut c, "ticket.new.appeal").await;
    c.expect_key("ticket.topic_q").await;
    c.send(&ru("topic.appeal.charges").to_lowercase());
    c.expect_key("ticket.text_q").await;
}
