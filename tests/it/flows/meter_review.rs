//! A meter the consumer adds is «на проверке» until an operator accepts it on its card in the
//! group; readings are taken meanwhile and marked in the export.

use super::{IVANOV, register_confirmed};
use crate::helpers::{GROUP, Group, TestApp, ru, ru_head};
use kabinet::store::sql;
use tgmock::TgUser;

const OPERATOR: i64 = 900_002;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_meter_is_checked_and_accepted_by_an_operator() {
    let app = TestApp::spawn_with(&["--operator-chat-id", &GROUP.to_string()]).await;
    app.store()
        .await
        .add_operator(OPERATOR, Some("Пётр"), chrono::Utc::now())
        .await
        .unwrap();
    let mut group = Group::new(&app);
    let mut c = app.user(12_401);
    register_confirmed(&app, &mut c, &IVANOV).await;
    let card_u = super::meters::add_meter(&mut c, &super::meters::FLAT_ELECTRIC).await;
    assert!(card_u.text.contains(&ru("meters.under_review")), "{}", card_u.text);
    // Readings are taken meanwhile.
    c.press(&card_u, &ru("meters.send"));
    c.expect_key("reading.q").await;
    c.send("1100");
    c.expect_key("reading.accepted").await;

    // The operators see it, in the queue too.
    let card = group.expect_card(&app, "EL-1001").await;
    assert!(card.text.contains(&ru("desk.new_meter")), "{}", card.text);
    let mut op = app.user(OPERATOR);
    op.send("/queue");
    let queue = op.expect("EL-1001").await;
    assert!(queue.text.contains(&ru("review.pending")), "{}", queue.text);

    assert!(!card.text.contains(&ru("desk.verification_lapsed")), "{}", card.text);

    // Years later by the bot's clock the card, drawn again, marks the lapsed verification.
    app.clock.advance(chrono::Duration::days(365 * 30));
    let who = TgUser::new(OPERATOR, "Пётр");
    group.press(&who, &card, &ru("desk.accept_meter"));
    c.expect(&ru_head("desk.push.meter_accepted")).await;
    group.expect(&ru("desk.verification_lapsed")).await;
    let (review,): (String,) = sql::query_as("SELECT review FROM meters")
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    assert_eq!(review, "accepted");
    // A second press of the old button tells the consumer nothing more.
    group.press(&who, &card, &ru("desk.accept_meter"));
    let already = ru("desk.meter_accepted_already");
    app.api
        .wait_event(
            0,
            crate::helpers::WAIT,
            |e| matches!(e, tgmock::Event::CallbackAnswered { text: Some(t), .. } if *t == already),
        )
        .await
        .expect("the operator is told");
    let (pushes,): (i64,) = sql::query_as(
        "SELECT COUNT(*) FROM outbox WHERE channel = 'telegram' AND payload LIKE '%EL-1001 проверен и принят%'",
    )
    .fetch_one(&app.store().await.pool)
    .await
    .unwrap();
    assert_eq!(pushes, 1);
    // The consumer's card no longer says it is being checked.
    c.send(&ru("menu.meters"));
    let list = c.expect_buttons().await;
    let meter = list
        .inline_buttons()
        .into_iter()
        .find(|b| b.0.contains("EL-1001"))
        .unwrap()
        .0;
    c.press(&list, &meter);
    let card_u = c.expect_key("meters.card").await;
    assert!(!card_u.text.contains(&ru("meters.under_review")), "{}", card_u.text);
}
