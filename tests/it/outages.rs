//! Outages: published by the back office, told once per change to exactly the consumers with an
//! address inside the area (of a linked account or of a meter), and shown in «Отключения».

use crate::accounts::{add_by_meter, import_samples};
use crate::flows::{IVANOV, register_confirmed};
use crate::helpers::no;
use crate::helpers::{Client, TestApp, WAIT, ru};
use kabinet::cli::outages::{self, Published};
use kabinet::store::sql;
use std::time::Duration;

/// A confirmed consumer with a chat and a meter at `address`, written as the bot would.
pub(crate) async fn seed(app: &TestApp, chat: i64, address: &str, notify: bool) {
    let store = app.store().await;
    let now = app.clock.now();
    let id: i64 = sql::query_scalar(
        "INSERT INTO consumers (kind, login, name, email, password_hash, status, created_at, notify_outages)
         VALUES ('individual', $1, 'Сидоров Пётр', 's@example.ru', 'x', 'confirmed', $2, $3) RETURNING id",
    )
    .bind(format!("{:011}", 30_000_000_000_i64 + chat))
    .bind(now)
    .bind(notify)
    .fetch_one(&store.pool)
    .await
    .unwrap();
    sql::query("INSERT INTO chats (chat_id, consumer_id, linked_at) VALUES ($1, $2, $3)")
        .bind(chat)
        .bind(id)
        .bind(now)
        .execute(&store.pool)
        .await
        .unwrap();
    sql::query(
        "INSERT INTO meters (consumer_id, resource, serial, place, address, zones, int_digits, frac_digits, next_verification, created_at)
         VALUES ($1, 'cold_water', $2, 'кухня', $3, 1, 5, 3, '2031-01-01', $4)",
    )
    .bind(id)
    .bind(format!("W-{chat}"))
    .bind(address)
    .bind(now)
    .execute(&store.pool)
    .await
    .unwrap();
}

/// What the bot sent to a chat containing `needle`, waiting until `n` of them came.
pub(crate) async fn wait_for(app: &TestApp, chat: i64, needle: &str, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got = sent_with(app, chat, needle);
        if got >= n {
            assert_eq!(got, n, "chat {chat}: {needle} more than {n} times");
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "chat {chat} got {got} of {n} «{needle}»"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn sent_with(app: &TestApp, chat: i64, needle: &str) -> usize {
    app.api
        .events_for(chat)
        .iter()
        .filter(|e| matches!(e, tgmock::Event::Sent(m) if m.text.contains(needle)))
        .count()
}

async fn open_section(c: &mut Client) -> tgmock::BotMessage {
    c.open_service("outage.section").await;
    c.expect_key("outage.title").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_reaches_exactly_the_consumers_inside_once_per_change() {
    let app = TestApp::spawn().await;
    import_samples(&app).await;
    let mut c = app.user(9401);
    register_confirmed(&app, &mut c, &IVANOV).await;
    // No address yet: the section says how to get notices.
    c.open_service("outage.section").await;
    c.expect_key("outage.no_addresses").await;
    // The account's address: г. Город, ул. Ленина, д. 1, кв. 2.
    add_by_meter(&mut c, "100200300", "ХВ-001", "account.name_flat").await;
    // Two more inside (meters' addresses written other ways), two outside, one inside who
    // turned the notices off.
    seed(&app, 9402, "Город, Ленина улица, дом 7, кв 40", true).await;
    seed(&app, 9403, "г Город, ул. ЛЕНИНА, 15", true).await;
    seed(&app, 9404, "г. Город, ул. Ленина, д. 8", true).await;
    seed(&app, 9405, "г. Город, ул. Садовая, д. 3", true).await;
    seed(&app, 9406, "г. Город, ул. Ленина, д. 9", false).await;
    // And one who subscribed to an address in «Отключения» (no account, no meter there).
    let mut sub = app.user(9407);
    let login = crate::helpers::snils(123_456_701);
    let person = crate::flows::Person {
        login: &login,
        email: "sub@example.ru",
        ..IVANOV
    };
    register_confirmed(&app, &mut sub, &person).await;
    sub.send(&ru("menu.services"));
    let services = sub.expect_key("services.title").await;
    sub.press(&services, &ru("outage.section"));
    let none = sub.expect_key("outage.no_addresses").await;
    sub.press(&none, &ru("outage.subscribe"));
    sub.expect_key("outage.subscribe_q").await;
    sub.send("Ленина");
    sub.expect_key("outage.subscribe_bad").await;
    sub.send("г. Город, ул. Ленина, д. 11");
    sub.expect_key("outage.subscribed_to").await;
    let section = sub.expect_key("outage.title").await;
    assert!(section.text.contains("ул. Ленина, д. 11"), "{}", section.text);
    // The same house written another way is not a second subscription.
    sub.press(&section, &ru("outage.subscribe"));
    sub.expect_key("outage.subscribe_q").await;
    sub.send("Город, Ленина 11");
    sub.expect_key("outage.already_subscribed").await;
    sub.expect_key("outage.title").await;

    let store = app.store().await;
    let config = app.config();
    let now = app.clock.now();
    let from = (now + chrono::Duration::days(2)).format("%d.%m.%Y 10:00").to_string();
    let to = (now + chrono::Duration::days(2)).format("%d.%m.%Y 18:00").to_string();
    let published = Published {
        resource: "ХВС",
        emergency: false,
        area: "г. Город, ул. Ленина: 1-15 нечёт, 20",
        from: &from,
        to: &to,
        reason: "замена задвижки",
    };
    let said = outages::add(&store, &config, &published, now).await.unwrap();
    assert!(
        said.contains("outage ОТК-") && said.contains("consumers told: 4 messages queued"),
        "{said}"
    );
    let push = c.expect_key("outage.planned").await;
    assert!(
        push.text.contains("Холодная вода") && push.text.contains("ул. Ленина, д. 1"),
        "{}",
        push.text
    );
    assert!(
        push.text.contains("замена задвижки") && push.text.contains(&from),
        "{}",
        push.text
    );
    for chat in [9402, 9403] {
        wait_for(&app, chat, "Плановое отключение", 1).await;
    }
    let heard = sub.expect_key("outage.planned").await;
    assert!(heard.text.contains("ул. Ленина, д. 11"), "{}", heard.text);
    for chat in [9404, 9405, 9406] {
        assert_eq!(sent_with(&app, chat, "отключение"), 0, "chat {chat} is not to be told");
    }
    // Told once: another run tells nobody.
    assert_eq!(
        kabinet::worker::outages::run_once(&store, &config, now).await.unwrap(),
        0
    );
    // «Отключения» shows it under «Запланированы».
    let section = open_section(&mut c).await;
    assert!(
        section.text.contains(&ru("outage.planned_title")) && section.text.contains(&from),
        "{}",
        section.text
    );
    assert!(
        section.text.contains(&ru("outage.watching")),
        "the addresses watched are named: {}",
        section.text
    );

    // Extended: told again, once; closed: told again.
    let number = said.split_whitespace().nth(1).unwrap().to_owned();
    let later = (now + chrono::Duration::days(2)).format("%d.%m.%Y 22:00").to_string();
    let said = outages::extend(&store, &config, &number, &later, now).await.unwrap();
    assert!(said.contains("consumers told: 4 messages queued"), "{said}");
    let extended = c.expect_key("outage.extended").await;
    assert!(extended.text.contains(&later), "{}", extended.text);
    let said = outages::close(&store, &config, &number, now).await.unwrap();
    assert!(said.contains("consumers told: 4 messages queued"), "{said}");
    c.expect_key("outage.closed").await;
    sub.expect_key("outage.extended").await;
    sub.expect_key("outage.closed").await;
    for chat in [9402, 9403] {
        wait_for(&app, chat, "продлено", 1).await;
        wait_for(&app, chat, "подача восстановлена", 1).await;
    }
    for chat in [9404, 9405, 9406] {
        assert!(app.api.events_for(chat).is_empty(), "chat {chat} heard nothing");
    }
    let section = open_section(&mut c).await;
    assert!(section.text.contains(&ru("outage.none")), "{}", section.text);
    // Unsubscribed, the address is no longer told.
    let section = open_section(&mut sub).await;
    sub.press_containing(&section, "✖");
    sub.expect_key("outage.unsubscribed").await;
    let store_subs = store.subscriptions(app.consumer_of(9407).await).await.unwrap();
    assert!(store_subs.is_empty());
    // A closed outage cannot be closed again; a wrong time is refused with what to write.
    assert!(outages::close(&store, &config, &number, now).await.is_err());
    let bad = Published {
        from: "завтра",
        ..published
    };
    let err = outages::add(&store, &config, &bad, now).await.unwrap_err().to_string();
    assert!(err.contains("07.12.2026 10:00"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planned_outage_is_recalled_the_evening_before_once() {
    let app = TestApp::spawn_with(&["--outage-evening-hour", "18"]).await;
    // Noon of the 9th in the utility's time (UTC+3); the outage is on the 10th.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-09T09:00:00Z")
            .unwrap()
            .to_utc(),
    );
    seed(&app, 9411, "г. Город, ул. Ленина, д. 3", true).await;
    seed(&app, 9412, "г. Город, ул. Ленина, д. 5", true).await;
    let (store, config) = (app.store().await, app.config());
    let planned = Published {
        resource: "electricity",
        emergency: false,
        area: "г. Город, ул. Ленина: 3",
        from: "10.12.2026 10:00",
        to: "10.12.2026 14:00",
        reason: "",
    };
    let said = outages::add(&store, &config, &planned, app.clock.now()).await.unwrap();
    assert!(said.contains("consumers told: 1 message queued"), "{said}");
    let emergency = Published {
        emergency: true,
        area: "г. Город, ул. Ленина: 5",
        ..planned
    };
    outages::add(&store, &config, &emergency, app.clock.now())
        .await
        .unwrap();
    wait_for(&app, 9411, "Плановое отключение", 1).await;
    wait_for(&app, 9412, "Аварийное отключение", 1).await;
    let run = || kabinet::worker::outages::run_once(&store, &config, app.clock.now());
    assert_eq!(run().await.unwrap(), 0, "not before the evening hour");
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-09T15:30:00Z")
            .unwrap()
            .to_utc(),
    );
    assert_eq!(run().await.unwrap(), 1, "18:30: tomorrow's planned outage recalled");
    wait_for(&app, 9411, "Завтра плановое отключение", 1).await;
    assert_eq!(run().await.unwrap(), 0, "once");
    assert_eq!(sent_with(&app, 9412, "Завтра"), 0, "an emergency is not recalled");

    // An address the bot cannot read is said to be so, with what to do.
    seed(&app, 9413, "где-то у реки", true).await;
    let mut lost = app.user(9413);
    let section = open_section(&mut lost).await;
    assert!(is_text_of_part(&section.text, "outage.unreadable"), "{}", section.text);
}

/// Whether `text` holds the text of `key` (with its placeholders anything).
fn is_text_of_part(text: &str, key: &str) -> bool {
    text.split("\n\n").any(|p| crate::helpers::is_text_of(p, key))
}

/// The table a grid company publishes, imported: each row an outage, told; the same file again
/// changes and tells nothing; a later end extends; a bad row refuses the whole file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_table_of_outages_is_imported_once_and_extended() {
    let app = TestApp::spawn().await;
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-08T06:00:00Z")
            .unwrap()
            .to_utc(),
    );
    seed(&app, 9421, "г. Город, ул. Садовая, д. 3", true).await;
    seed(&app, 9422, "Берёзовка, проспект Мира, 22 А", true).await;
    let (store, config) = (app.store().await, app.config());
    let file =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/outages/outages.csv")).unwrap();
    let opts = kabinet::import::Options::default();
    let said = outages::import(&store, &config, &file, &opts, "electricity", app.clock.now())
        .await
        .unwrap();
    assert!(
        said.contains("outages: 3 added") && said.contains("consumers told: 2 messages queued"),
        "{said}"
    );
    wait_for(&app, 9421, "Плановое отключение", 1).await;
    wait_for(&app, 9422, "Аварийное отключение", 1).await;
    let said = outages::import(&store, &config, &file, &opts, "electricity", app.clock.now())
        .await
        .unwrap();
    assert!(
        said.contains("outages: 0 added, 0 updated, 3 unchanged") && said.contains("consumers told: 0"),
        "{said}"
    );
    let later = String::from_utf8(file.clone())
        .unwrap()
        .replace("08.12.2026 20:00", "08.12.2026 23:00");
    let said = outages::import(&store, &config, later.as_bytes(), &opts, "electricity", app.clock.now())
        .await
        .unwrap();
    assert!(
        said.contains("1 updated") && said.contains("consumers told: 1 message queued"),
        "{said}"
    );
    wait_for(&app, 9422, "продлено", 1).await;
    let bad = format!("{later}г. Город;ул. Ленина;;завтра;послезавтра;;\n");
    let err = outages::import(&store, &config, bad.as_bytes(), &opts, "electricity", app.clock.now())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("1 row refused"), "{err}");
}

/// An appeal while an outage is on at one's address: the outage is shown first, and the person
/// files anyway or goes back to the menu; a request is not held up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appeal_during_an_outage_at_ones_address_shows_it_first() {
    let app = TestApp::spawn().await;
    import_samples(&app).await;
    let mut c = app.user(9441);
    register_confirmed(&app, &mut c, &IVANOV).await;
    add_by_meter(&mut c, "100200300", "ХВ-001", "account.name_flat").await;
    let (store, config) = (app.store().await, app.config());
    let local = |t: chrono::DateTime<chrono::Utc>| config.local(t).format("%d.%m.%Y %H:%M").to_string();
    let now = app.clock.now();
    let on = Published {
        resource: "cold_water",
        emergency: true,
        area: "г. Город, ул. Ленина: 1-3",
        from: &local(now - chrono::Duration::hours(1)),
        to: &local(now + chrono::Duration::hours(5)),
        reason: "порыв трубы",
    };
    outages::add(&store, &config, &on, now).await.unwrap();
    c.expect_key("outage.emergency").await;

    crate::flows::tickets::start_ticket(&mut c, "ticket.new.appeal").await;
    let first = c.expect_key("ticket.outage_first").await;
    assert!(
        first.text.contains("порыв трубы") && first.text.contains("ул. Ленина, д. 1"),
        "{}",
        first.text
    );
    c.press(&first, &ru("ticket.file_anyway"));
    c.expect_key("ticket.topic_q").await;
    // A request for information is not about the outage: straight to its form.
    crate::flows::tickets::start_ticket(&mut c, "ticket.new.request").await;
    c.expect_key("ticket.topic_q").await;
    // Back to the menu from the notice.
    crate::flows::tickets::start_ticket(&mut c, "ticket.new.complaint").await;
    let first = c.expect_key("ticket.outage_first").await;
    c.press(&first, &ru("common.to_menu"));
    c.expect_key("menu.title").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_is_chosen_step_by_step_from_the_registry() {
    let app = TestApp::spawn().await;
    import_samples(&app).await;
    let mut c = app.user(9451);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.open_service("outage.section").await;
    let none = c.expect_key("outage.no_addresses").await;
    c.press(&none, &ru("outage.subscribe"));
    // One settlement in the registry: its streets first, in order, and typing still works.
    let streets = c.expect_key("outage.pick_street").await;
    assert!(streets.text.contains("Город") && streets.text.contains(&ru("outage.subscribe_q")));
    let labels: Vec<String> = streets.inline_buttons().into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        labels[..3],
        ["Ленина".to_owned(), "Мира".to_owned(), "Садовая".to_owned()],
        "{labels:?}"
    );
    c.press(&streets, "Мира");
    let houses = c.expect_key("outage.pick_house").await;
    let labels: Vec<String> = houses.inline_buttons().into_iter().map(|(t, _)| t).collect();
    assert_eq!(labels[..2], ["10".to_owned(), "12".to_owned()], "{labels:?}");
    c.press(&houses, "12");
    let done = c.expect_key("outage.subscribed_to").await;
    assert!(done.text.contains("Город, Мира, д. 12"), "{}", done.text);
    c.expect_key("outage.title").await;
    // The same house again from the old list: not twice.
    c.press(&houses, "12");
    c.expect_key("outage.already_subscribed").await;
    let subs: i64 = sql::query_scalar("SELECT COUNT(*) FROM outage_subscriptions")
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    assert_eq!(subs, 1);
    // An outage on that house reaches the subscriber.
    let store = app.store().await;
    let config = app.config();
    let now = app.clock.now();
    let at = |h: i64| {
        config
            .local(now + chrono::Duration::hours(h))
            .format("%d.%m.%Y %H:%M")
            .to_string()
    };
    let published = Published {
        resource: "heat",
        emergency: true,
        area: "г. Город, пр-т Мира: 12",
        from: &at(-1),
        to: &at(5),
        reason: "",
    };
    outages::add(&store, &config, &published, now).await.unwrap();
    let push = c.expect_key("outage.emergency").await;
    assert!(push.text.contains("Мира, д. 12"), "{}", push.text);
}

/// An appeal on «Отключения и аварии»: through the outage notice when one is shown, with the
/// address typed when given.
async fn file_outage_appeal(c: &mut Client, text: &str, address: Option<&str>, shown_first: bool) {
    file_outage_appeal_with(c, text, address, shown_first, false).await;
}

async fn file_outage_appeal_with(c: &mut Client, text: &str, address: Option<&str>, shown_first: bool, photo: bool) {
    crate::flows::tickets::start_ticket(c, "ticket.new.appeal").await;
    if shown_first {
        let first = c.expect_key("ticket.outage_first").await;
        c.press(&first, &ru("ticket.file_anyway"));
    }
    let q = c.expect_key("ticket.topic_q").await;
    c.press(&q, &ru("topic.appeal.outages"));
    c.expect_key("ticket.text_q").await;
    c.send(text);
    let q = c.expect_key("ticket.address_q").await;
    match address {
        Some(a) => {
            c.send(a);
        }
        None => c.press(&q, &ru("common.skip")),
    }
    let mut q = c
        .expect_any(&["Приложите фото", "Относится ли вопрос к одному из ваших приборов"])
        .await;
    if !q.text.contains("Приложите фото") {
        c.press(&q, &ru("common.skip"));
        q = c.expect_key("ticket.files_q").await;
    }
    if photo {
        c.photo();
        let added = c.expect(&crate::helpers::files_added(1)).await;
        c.press(&added, &ru("req.files_done"));
    } else {
        c.press(&q, &ru("common.skip"));
    }
    let q = c.expect_key("ticket.email_q").await;
    c.press(&q, &ru("ticket.email_no"));
    let s = c.expect_key("ticket.summary").await;
    c.press(&s, &ru("req.send"));
    c.expect_key("ticket.sent.appeal").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appeals_during_an_outage_share_its_card_and_one_reply_answers_them_all() {
    let app = crate::flows::desk::desk_app().await;
    let mut group = crate::helpers::Group::new(&app);
    import_samples(&app).await;
    let mut a = app.user(9461);
    register_confirmed(&app, &mut a, &IVANOV).await;
    add_by_meter(&mut a, "100200300", "ХВ-001", "account.name_flat").await;
    let mut b = app.user(9462);
    let login = crate::helpers::snils(123_456_702);
    let person = crate::flows::Person {
        login: &login,
        email: "b@example.ru",
        ..IVANOV
    };
    register_confirmed(&app, &mut b, &person).await;
    let (store, config) = (app.store().await, app.config());
    let local = |t: chrono::DateTime<chrono::Utc>| config.local(t).format("%d.%m.%Y %H:%M").to_string();
    let now = app.clock.now();
    let on = Published {
        resource: "cold_water",
        emergency: true,
        area: "г. Город, ул. Ленина",
        from: &local(now - chrono::Duration::hours(1)),
        to: &local(now + chrono::Duration::hours(5)),
        reason: "порыв трубы",
    };
    let said = outages::add(&store, &config, &on, now).await.unwrap();
    let number = said.split_whitespace().nth(1).unwrap().to_owned();
    a.expect_key("outage.emergency").await;

    // One through the notice (their account's address), one with the address typed.
    file_outage_appeal(&mut a, "Когда дадут воду?", None, true).await;
    let card = group.expect_key("desk.outage_card").await;
    assert!(
        card.text.contains(&number) && card.text.contains(&no("О-2026-000001")),
        "{}",
        card.text
    );
    file_outage_appeal_with(
        &mut b,
        "Нет воды с утра",
        Some("г. Город, ул. Ленина, д. 5"),
        false,
        true,
    )
    .await;
    let card = group.expect(&no("О-2026-000002")).await;
    assert!(
        card.text.contains(&no("О-2026-000001")) && card.text.contains("ул. Ленина, д. 5"),
        "{}",
        card.text
    );
    // Its photo reaches the group too: a reply to the outage's card, named by the appeal.
    let photo = group.expect(&no("О-2026-000002")).await;
    assert!(photo.document.is_some(), "{photo:?}");
    assert_eq!(photo.reply_to, Some(card.message_id));
    // No card of their own.
    let cards: i64 = sql::query_scalar("SELECT COUNT(*) FROM desk_cards")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(cards, 0);
    // An appeal on another topic is not grouped.
    crate::flows::tickets::file_appeal_with(&mut b, "Вопрос по счёту", false, false).await;
    group.expect_card(&app, &no("О-2026-000003")).await;

    // A reply to the photo answers that appeal alone; then one reply to the card answers the
    // rest.
    let op = tgmock::TgUser::new(crate::flows::desk::OPERATOR, "Мария");
    group.reply(&op, &photo, "По фото видно: порыв у дома 5.");
    b.expect("По фото видно: порыв у дома 5.").await;
    // With a file: it goes with the answer, and is not posted back to the group as an appeal's.
    group.reply_with_document(&op, &card, "график.pdf", "Подачу восстановят к 18:00.");
    let done = group.expect_key("desk.outage_answered").await;
    assert_eq!(
        done.text,
        crate::helpers::ru_with("desk.outage_answered", &[("n", "1")]),
        "only the one still unanswered"
    );
    a.expect("Подачу восстановят к 18:00.").await;
    assert_eq!(
        sent_with(&app, 9461, "порыв у дома 5"),
        0,
        "the photo's answer was b's alone"
    );
    assert_eq!(sent_with(&app, 9462, "Подачу восстановят"), 0, "b was answered already");
    let reposted = app
        .api
        .events_for(crate::helpers::GROUP)
        .iter()
        .filter(|e| matches!(e, tgmock::Event::Sent(m) if m.document.is_some()))
        .count();
    assert_eq!(
        reposted, 1,
        "only the consumer's photo was posted, not the operator's answer"
    );
    let answered: i64 =
        sql::query_scalar("SELECT COUNT(*) FROM tickets WHERE outage_id IS NOT NULL AND status = 'answered'")
            .fetch_one(&store.pool)
            .await
            .unwrap();
    assert_eq!(answered, 2);
}
