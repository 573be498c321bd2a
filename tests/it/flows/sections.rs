//! The router between sections: a button of another section leaves the form in progress and
//! opens what it names; a step's button from an old question is refused and the current
//! question asked again; a form's steps, back and skip across a condition.

use super::{IVANOV, register_confirmed};
use crate::helpers::{TestApp, ru};
use kabinet::store::sql;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sections_button_leaves_the_form_and_an_old_step_button_is_refused() {
    let app = TestApp::spawn().await;
    let mut c = app.user(12_001);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    c.press(&hub, &ru("meters.add"));
    let resource_q = c.expect_key("add.resource_q").await;

    // «Подать обращение» from the hub, with the meter form open: the appeal starts.
    c.press(&hub, &ru("ticket.new.appeal"));
    c.expect_key("ticket.topic_q").await;

    // The meter form's option from its old question means nothing now.
    let option = resource_q.inline_buttons()[0].0.clone();
    c.press(&resource_q, &option);
    c.expect_key("common.stale_button").await;
    let again = c.expect_key("ticket.topic_q").await;
    assert!(
        again.text.contains(&ru("ticket.new.appeal")),
        "the appeal's question is asked again: {}",
        again.text
    );
    // And «Отмена» leaves it.
    c.press(&again, &ru("common.cancel"));
    c.expect_key("common.cancelled").await;
    c.expect_key("menu.title").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_that_does_not_apply_is_not_asked_and_back_skips_it_too() {
    let app = TestApp::spawn().await;
    let mut c = app.user(12_002);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.meters"));
    let list = c.expect_buttons().await;
    c.press(&list, &ru("meters.add"));
    let q = c.expect_key("add.resource_q").await;
    let water = q
        .inline_buttons()
        .into_iter()
        .find(|b| b.0.ends_with(&ru("resource.cold_water")))
        .unwrap()
        .0;
    c.press(&q, &water);
    c.expect_key("add.serial_q").await;
    c.send("CW-77");
    let model = c.expect_key("add.model_q").await;
    c.press(&model, &ru("common.skip"));
    c.expect_key("add.place_q").await;
    c.send("ванная");
    c.expect_key("add.address_q").await;
    c.send("ул. Речная, 1");
    // A water meter has one zone: the capacity comes next.
    let cap = c.expect(&crate::helpers::ru_head("add.capacity_q")).await;
    // «Назад» goes to the address, not to a question about zones.
    c.press(&cap, &ru("common.back"));
    let address = c.expect_key("add.address_q").await;
    // And back twice more: the place, then the model that was skipped.
    c.press(&address, &ru("common.back"));
    let place = c.expect_key("add.place_q").await;
    c.press(&place, &ru("common.back"));
    c.expect_key("add.model_q").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_main_menu_button_in_a_dialogue_opens_its_section_and_is_never_an_answer() {
    let app = TestApp::spawn().await;
    let mut c = app.user(12_003);
    register_confirmed(&app, &mut c, &IVANOV).await;
    // A connection application: the menu's «Приборы учета» at a text step.
    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    c.press(&hub, &ru("conn.new"));
    let q = c.expect_key("conn.choose_kind").await;
    c.press(&q, &ru("conn.kind.water"));
    c.expect(&crate::helpers::ru_head("conn.q.object_name")).await;
    c.send("Баня");
    c.expect(&crate::helpers::ru_head("conn.q.address")).await;
    c.send(&ru("menu.meters"));
    c.expect(&crate::helpers::ru_head("common.left_draft_saved")).await;
    c.expect_key("meters.empty").await;
    // The draft kept what was typed, and not the button's text.
    let (draft,): (String,) = sql::query_as("SELECT form FROM connection_drafts")
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    assert!(draft.contains("Баня") && !draft.contains(&ru("menu.meters")), "{draft}");

    // An appeal's text step: «Профиль» opens the profile, the appeal is kept as a draft (not
    // filed).
    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    c.press(&hub, &ru("ticket.new.appeal"));
    let topic = c.expect_key("ticket.topic_q").await;
    c.press(&topic, &ru("topic.appeal.other"));
    c.expect(&crate::helpers::ru_head("ticket.text_q")).await;
    c.send(&ru("menu.profile"));
    c.expect_key("draft.kept").await;
    c.expect(IVANOV.email).await;
    let (n,): (i64,) = sql::query_as("SELECT COUNT(*) FROM tickets")
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_on_the_first_readings_step_returns_to_the_card_and_zones_read_apart() {
    let app = TestApp::spawn().await;
    let mut c = app.user(12_004);
    register_confirmed(&app, &mut c, &IVANOV).await;
    let two_zones = super::meters::NewMeter {
        serial: "EL-2002",
        zones: Some("add.zones.2"),
        initial: &["100", "50"],
        ..super::meters::FLAT_ELECTRIC
    };
    let card = super::meters::add_meter(&mut c, &two_zones).await;
    // The zone is a word of its own: «… при установке T1 (день), …».
    let initial: Vec<String> = app
        .api
        .events_for(c.id())
        .iter()
        .filter_map(|e| match e {
            tgmock::Event::Sent(m) if m.text.contains("при установке") => Some(m.text.clone()),
            _ => None,
        })
        .collect();
    assert!(
        initial
            .iter()
            .any(|t| t.contains(&format!("при установке {}", ru("zone.two.t1")))),
        "{initial:?}"
    );
    c.press(&card, &ru("meters.send"));
    let q = c.expect_key("reading.q").await;
    c.press(&q, &ru("common.back"));
    c.expect("Заводской номер: EL-2002").await;
}

/// A form left half-way for another section is kept and offered back when the person comes
/// to its section again: «Продолжить» goes on at the question where they left, «Начать
/// заново» drops it; a second press finds it gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_left_half_way_is_kept_and_offered_back() {
    let app = TestApp::spawn().await;
    let mut c = app.user(12_101);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.meters"));
    let list = c.expect_key("meters.empty").await;
    c.press(&list, &ru("meters.add"));
    let q = c.expect_key("add.resource_q").await;
    c.press(&q, &q.inline_buttons()[0].0.clone());
    c.expect_key("add.serial_q").await;
    c.send("EL-77");
    c.expect_key("add.model_q").await;

    // A main-menu button: the form is kept and the person told.
    c.send(&ru("menu.profile"));
    let kept = c.expect_key("draft.kept").await;
    assert!(kept.text.contains(&ru("draft.meter_add")), "{}", kept.text);
    c.expect_key("profile.card").await;
    let drafts = "SELECT COUNT(*) FROM form_drafts";
    assert_eq!(count(&app, drafts).await, 1);

    // Back in the section: the list, then the offer.
    c.send(&ru("menu.meters"));
    c.expect_key("meters.empty").await;
    let offer = c.expect_key("draft.offer").await;
    c.press(&offer, &ru("draft.resume"));
    c.expect_key("add.model_q").await;
    assert_eq!(count(&app, drafts).await, 0, "taken out");
    // The old offer pressed again: nothing to continue, the question goes on.
    c.press(&offer, &ru("draft.resume"));
    c.expect_key("draft.gone").await;
    c.expect_key("add.model_q").await;

    // «В меню» keeps it again; starting the same form offers it; «Начать заново» drops it
    // and the new form goes on from its first question.
    c.send("/menu");
    c.expect_key("draft.kept").await;
    c.expect_key("menu.title").await;
    c.send(&ru("menu.meters"));
    let list = c.expect_key("meters.empty").await;
    c.expect_key("draft.offer").await;
    c.press(&list, &ru("meters.add"));
    c.expect_key("add.resource_q").await;
    let offer = c.expect_key("draft.offer").await;
    c.press(&offer, &ru("draft.fresh"));
    let q = c.expect_key("add.resource_q").await;
    assert_eq!(count(&app, drafts).await, 0);
    // «Отмена» keeps nothing.
    c.press(&q, &q.inline_buttons()[0].0.clone());
    c.expect_key("add.serial_q").await;
    c.send("/cancel");
    c.expect_key("common.cancelled").await;
    assert_eq!(count(&app, drafts).await, 0);
}

/// An appeal half-way (the topic chosen, the text typed): kept when another section's button
/// is pressed; «Подать обращение» again offers it, and «Продолжить» asks where it stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appeal_half_way_is_continued_where_it_stopped() {
    let app = TestApp::spawn().await;
    let mut c = app.user(12_102);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    c.press(&hub, &ru("ticket.new.appeal"));
    let q = c.expect_key("ticket.topic_q").await;
    c.press(&q, &ru("topic.appeal.quality"));
    c.expect_key("ticket.text_q").await;
    c.send("Напряжение скачет по вечерам");
    c.expect_key("ticket.address_q").await;
    // «Добавить прибор» from the hub, with the appeal open.
    c.press(&hub, &ru("meters.add"));
    c.expect_key("draft.kept").await;
    c.expect_key("add.resource_q").await;
    c.send("/cancel");
    c.expect_key("common.cancelled").await;

    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    c.press(&hub, &ru("ticket.new.appeal"));
    c.expect_key("ticket.topic_q").await;
    let offer = c.expect_key("draft.offer").await;
    assert!(offer.text.contains(&ru("draft.appeal")), "{}", offer.text);
    c.press(&offer, &ru("draft.resume"));
    c.expect_key("ticket.address_q").await;
    let (state,): (String,) = sql::query_as("SELECT state FROM dialogues")
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    assert!(state.contains("Напряжение скачет по вечерам"), "{state}");
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sql::query_as(sql.to_owned())
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    n
}
