//! «Закрыть» at the desk cannot close a ticket without a word by accident: it asks why, then for
//! an explanation (a reply to the card) or none; the consumer's push says why; a closed card
//! keeps «Открыть снова».

use super::desk::{OPERATOR, count, desk_app};
use super::{IVANOV, register_confirmed};
use crate::helpers::no;
use crate::helpers::{Group, ru, ru_with};
use tgmock::TgUser;

const STATUS: &str = "SELECT COUNT(*) FROM tickets WHERE status = 'closed'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_asks_why_and_the_consumer_reads_the_reason() {
    let app = desk_app().await;
    let mut group = Group::new(&app);
    let mut c = app.user(12_101);
    register_confirmed(&app, &mut c, &IVANOV).await;
    super::tickets::file_appeal_with(&mut c, "Когда дадут свет?", false, false).await;
    let card = group.expect_card(&app, &no("О-2026-000001")).await;
    let op = TgUser::new(OPERATOR, "Мария");

    // «Закрыть» asks why; nothing is closed yet.
    group.press(&op, &card, &ru("desk.close"));
    let why = group.expect_key("desk.close_why").await;
    assert_eq!(why.reply_to, Some(card.message_id), "the question goes under the card");
    assert_eq!(count(&app, STATUS).await, 0);
    // The reason: an explanation is asked for; still nothing closed.
    group.press(&op, &why, &ru("close_reason.answered"));
    let explain = group.expect_key("desk.close_explain").await;
    assert_eq!(count(&app, STATUS).await, 0);

    // The reply to the card is the explanation: closed with both, the consumer told both.
    group.reply(&op, &card, "Свет дали в 18:00.");
    group.expect_key("desk.closed_with").await;
    let push = c.expect_key("desk.push.closed.appeal").await;
    let reason = ru_with("desk.push.reason", &[("reason", &ru("close_reason.answered"))]);
    assert!(
        push.text.contains(&reason) && push.text.contains("Свет дали в 18:00."),
        "{}",
        push.text
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM tickets WHERE status = 'closed' AND close_reason = 'answered'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM ticket_messages WHERE author = 'operator' AND text = 'Свет дали в 18:00.'"
        )
        .await,
        1,
        "the explanation is in the ticket's history"
    );
    // The card says why and keeps «Открыть снова» (its edit and the notice above go by
    // different ways: read the card itself, not the next message after the notice).
    let reason = ru("close_reason.answered");
    let closed = crate::helpers::message_when(
        &app.api,
        crate::helpers::GROUP,
        card.message_id,
        "reason on the card",
        |m| m.text.contains(&reason),
    )
    .await;
    let labels: Vec<String> = closed.inline_buttons().into_iter().map(|b| b.0).collect();
    assert_eq!(labels, [ru("desk.reopen")], "{}", closed.text);

    // The old question's button, pressed again: told it is closed, the consumer hears nothing.
    group.press(&op, &explain, &ru("desk.close_now"));
    let already = ru_with("desk.already_closed", &[("number", no("О-2026-000001").as_str())]);
    app.api
        .wait_event(
            0,
            crate::helpers::WAIT,
            |e| matches!(e, tgmock::Event::CallbackAnswered { text: Some(t), show_alert: true, .. } if *t == already),
        )
        .await
        .expect("the operator is told it is closed already");

    // Reopened, then closed without an explanation: the reason alone, cleared on reopening.
    group.press(&op, &closed, &ru("desk.reopen"));
    c.expect_key("desk.push.in_progress.appeal").await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM tickets WHERE close_reason IS NOT NULL").await,
        0
    );
    group.press(&op, &card, &ru("desk.close"));
    let why = group.expect_key("desk.close_why").await;
    group.press(&op, &why, &ru("close_reason.resolved"));
    let explain = group.expect_key("desk.close_explain").await;
    group.press(&op, &explain, &ru("desk.close_now"));
    let push = c.expect_key("desk.push.closed.appeal").await;
    let reason = ru_with("desk.push.reason", &[("reason", &ru("close_reason.resolved"))]);
    // The reason ends what is said; the request for a mark follows.
    assert!(
        push.text.contains(&format!("{reason}\n\n{}", ru("rate.ask"))),
        "{}",
        push.text
    );
    // A reply now is refused: the ticket is closed (the choice was used up).
    group.reply(&op, &card, "Ещё одно");
    group.expect(&crate::helpers::ru_head("desk.closed_item")).await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM ticket_messages WHERE text = 'Ещё одно'").await,
        0
    );
}
