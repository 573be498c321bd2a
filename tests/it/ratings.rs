//! «Оцените ответ»: a mark under the answer's push, an optional comment, both on the card in the
//! group, and the operators' /stats.

use crate::flows::desk::{OPERATOR, desk_app};
use crate::flows::{IVANOV, register_confirmed};
use crate::helpers::no;
use crate::helpers::{Client, Group, ru};
use tgmock::TgUser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_is_rated_with_a_comment_and_the_desk_sees_it() {
    let app = desk_app().await;
    let mut group = Group::new(&app);
    let mut c = app.user(9601);
    register_confirmed(&app, &mut c, &IVANOV).await;
    crate::flows::tickets::file_appeal_with(&mut c, "Почему вырос счёт?", false, false).await;
    let card = group.expect_card(&app, &no("О-2026-000001")).await;
    let op = TgUser::new(OPERATOR, "Мария");
    group.reply(&op, &card, "Тариф вырос с 1 июля.");
    group.expect(&ru("desk.sent")).await;
    let push = c.expect("Тариф вырос с 1 июля").await;
    assert!(
        crate::helpers::is_text_of(push.text.split("\n\n").last().unwrap(), "rate.ask"),
        "{}",
        push.text
    );
    let labels: Vec<String> = push.inline_buttons().into_iter().map(|b| b.0).collect();
    assert_eq!(labels[0], ru("ticket.open"));
    assert_eq!(&labels[1..], ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]);

    c.press(&push, "4 ⭐");
    c.expect_key("rate.thanks").await;
    // The group hears the mark (a person types a comment seconds later, not before that).
    let deadline = tokio::time::Instant::now() + crate::helpers::WAIT;
    while rated_lines(&app, card.message_id).is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the mark never reached the group"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    c.photo();
    c.expect_key("rate.comment_bad").await;
    c.expect_key("rate.thanks").await;
    c.send("Быстро и понятно");
    c.expect_key("rate.comment_saved").await;
    // The card shows the mark with the comment…
    group.expect("Оценка потребителя: 4 из 5 — Быстро и понятно").await;
    // …and the group heard both under the card.
    let deadline = tokio::time::Instant::now() + crate::helpers::WAIT;
    loop {
        let lines = rated_lines(&app, card.message_id);
        if lines.len() >= 2 {
            assert!(
                lines[0].ends_with("4 из 5") && lines[1].ends_with("4 из 5 — Быстро и понятно"),
                "{lines:?}"
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{lines:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // A mark pressed again on someone else's ticket id finds nothing.
    let mut other = app.user(9602);
    let login = crate::helpers::snils(123_456_702);
    let person = crate::flows::Person {
        login: &login,
        email: "other@example.ru",
        ..IVANOV
    };
    register_confirmed(&app, &mut other, &person).await;
    other.press(&push, "1 ⭐");
    let mut op_chat = Client::new(app.api.clone(), TgUser::new(OPERATOR, "Мария"));
    op_chat.send("/stats");
    let stats = op_chat.expect("Оценки ответов").await;
    assert!(
        stats.text.contains("за 7 дн. — средняя 4,0 (оценено 100% отвеченных)"),
        "{}",
        stats.text
    );
}

/// The lines the group was sent under the card about the consumer's rating.
fn rated_lines(app: &crate::helpers::TestApp, card: i64) -> Vec<String> {
    app.api
        .events_for(crate::helpers::GROUP)
        .iter()
        .filter_map(|e| match e {
            tgmock::Event::Sent(m) if m.reply_to == Some(card) && m.text.contains("Оценка потребителя") => {
                Some(m.text.clone())
            }
            _ => None,
        })
        .collect()
}
