//! «Частые вопросы» from the utility's file: read, offered before an appeal, counted, and read
//! again when the file changes — no restart.

use crate::flows::{IVANOV, register_confirmed};
use crate::helpers::{TestApp, ru};
use tgmock::TgUser;

const FAQ: &str = "# Частые вопросы

## Начисления и оплата
### Почему сумма в квитанции выросла?
С 1 июля изменился тариф.

Подробности — на сайте организации.
### Как оплатить без комиссии?
По QR-коду из квитанции в приложении банка.

## Отключения и аварии
### Где узнать об отключениях?
В разделе «Отключения».
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frequent_questions_answer_count_and_reload_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("faq.md");
    std::fs::write(&file, FAQ).unwrap();
    let group = crate::helpers::GROUP.to_string();
    let app = TestApp::spawn_with(&["--faq-file", file.to_str().unwrap(), "--operator-chat-id", &group]).await;
    app.store()
        .await
        .add_operator(900_001, Some("Мария"), chrono::Utc::now())
        .await
        .unwrap();
    let mut c = app.user(9501);
    register_confirmed(&app, &mut c, &IVANOV).await;

    // From «Интерактивные сервисы»: a topic, a question, its answer; it helped.
    c.open_service("faq.section").await;
    let topics = c.expect_key("faq.title").await;
    c.press(&topics, "Начисления и оплата");
    let questions = c.expect_key("faq.pick").await;
    assert!(
        questions.text.contains("2. Как оплатить без комиссии?"),
        "{}",
        questions.text
    );
    c.press(&questions, "1");
    let answer = c.expect("С 1 июля изменился тариф.").await;
    assert!(answer.text.contains("Подробности — на сайте"), "{}", answer.text);
    c.press(&answer, &ru("faq.helped"));
    c.expect_key("faq.glad").await;

    // Before an appeal: offered first; «не помог» starts the appeal on that topic.
    crate::flows::tickets::start_ticket(&mut c, "ticket.new.appeal").await;
    let offer = c.expect_key("faq.before_appeal").await;
    c.press(&offer, "Начисления и оплата");
    let questions = c.expect_key("faq.pick").await;
    c.press(&questions, "2");
    let answer = c.expect("По QR-коду").await;
    c.press(&answer, &ru("faq.not_helped"));
    c.expect_key("ticket.text_q").await;
    // «Подать обращение сразу» skips the questions.
    crate::flows::tickets::start_ticket(&mut c, "ticket.new.appeal").await;
    let offer = c.expect_key("faq.before_appeal").await;
    c.press(&offer, &ru("faq.file_now"));
    c.expect_key("ticket.topic_q").await;

    // The operators' /stats: one helped, one appeal after them.
    let mut op = crate::helpers::Client::new(app.api.clone(), TgUser::new(900_001, "Мария"));
    op.send("/stats");
    let stats = op.expect("Частые вопросы за 30 дней").await;
    assert!(
        stats.text.contains("ответ помог — 1") && stats.text.contains("50%"),
        "{}",
        stats.text
    );

    // The utility edits the file: the next look reads the new question.
    let edited = FAQ.replace(
        "## Отключения и аварии",
        "### Можно ли платить частями?\nДа, любыми суммами до срока оплаты.\n\n## Отключения и аварии",
    );
    std::fs::write(&file, edited).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(2);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(later)
        .unwrap();
    c.open_service("faq.section").await;
    let topics = c.expect_key("faq.title").await;
    c.press(&topics, "Начисления и оплата");
    let questions = c.expect_key("faq.pick").await;
    assert!(
        questions.text.contains("3. Можно ли платить частями?"),
        "{}",
        questions.text
    );
    // A file that no longer reads keeps the last good questions.
    std::fs::write(&file, "### вопрос без темы\n").unwrap();
    let later = later + std::time::Duration::from_secs(2);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(later)
        .unwrap();
    c.press(&topics, "Начисления и оплата");
    let questions = c.expect_key("faq.pick").await;
    assert!(
        questions.text.contains("3. Можно ли платить частями?"),
        "{}",
        questions.text
    );
}
