use super::{IVANOV, Person, register_confirmed};
use crate::helpers::{Client, TestApp, files_added, ru, ru_head, ru_with};
use chrono::Duration;
use kabinet::domain::meters::Period;
use kabinet::domain::quantity::Quantity;
use kabinet::store::sql;

pub struct NewMeter<'a> {
    pub resource: &'a str,
    pub serial: &'a str,
    /// The zones button label, for electricity.
    pub zones: Option<&'a str>,
    pub capacity: &'a str,
    pub initial: &'a [&'a str],
}

pub const FLAT_ELECTRIC: NewMeter<'static> = NewMeter {
    resource: "resource.electricity",
    serial: "EL-1001",
    zones: Some("add.zones.1"),
    capacity: "6+1",
    initial: &["1000"],
};

/// Answers «какой ресурс» with the button of `resource_key`.
async fn choose_resource(c: &mut Client, resource_key: &str) {
    let q = c.expect_key("add.resource_q").await;
    let label = q
        .inline_buttons()
        .into_iter()
        .find(|b| b.0.ends_with(&ru(resource_key)))
        .unwrap()
        .0;
    c.press(&q, &label);
}

/// Adds a meter through the dialogue; returns its card.
pub async fn add_meter(c: &mut Client, m: &NewMeter<'_>) -> tgmock::BotMessage {
    add_meter_verified(c, m, "01.06.2035").await
}

/// Adds a meter whose next verification is `verification`; returns its card.
pub async fn add_meter_verified(c: &mut Client, m: &NewMeter<'_>, verification: &str) -> tgmock::BotMessage {
    c.send(&ru("menu.meters"));
    let list = c.expect_buttons().await;
    c.press(&list, &ru("meters.add"));
    choose_resource(c, m.resource).await;
    c.expect_key("add.serial_q").await;
    c.send(m.serial);
    let model = c.expect_key("add.model_q").await;
    c.press(&model, &ru("common.skip"));
    c.expect_key("add.place_q").await;
    c.send("кухня");
    c.expect_key("add.address_q").await;
    c.send("г. Город, ул. Ленина, д. 1, кв. 2");
    if let Some(z) = m.zones {
        let q = c.expect_key("add.zones_q").await;
        c.press(&q, &ru(z));
    }
    let cap = c.expect(&ru_head("add.capacity_q")).await;
    c.press(&cap, &capacity_button(m.capacity));
    c.expect_key("add.verification_q").await;
    c.send(verification);
    for v in m.initial {
        c.expect_key("add.initial_q").await;
        c.send(v);
    }
    let summary = c.expect_key("add.summary").await;
    c.press(&summary, &ru("add.save"));
    c.expect_key("add.saved").await;
    c.expect_key("meters.card").await
}

async fn user_with_meter(app: &TestApp, id: i64, m: &NewMeter<'_>) -> (Client, tgmock::BotMessage) {
    let mut c = app.user(id);
    register_confirmed(
        app,
        &mut c,
        &Person {
            email: "m@example.ru",
            ..IVANOV
        },
    )
    .await;
    let card = add_meter(&mut c, m).await;
    (c, card)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sql::query_as(sql.to_owned())
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meter_of_each_resource_is_added_and_listed() {
    let app = TestApp::spawn().await;
    let mut c = app.user(8001);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.meters"));
    let empty = c.expect_key("meters.empty").await;
    assert_eq!(empty.inline_buttons()[0].0, ru("meters.add"));
    let meters = [
        NewMeter {
            resource: "resource.electricity",
            serial: "E-1",
            zones: Some("add.zones.2"),
            capacity: "6+1",
            initial: &["100", "50"],
        },
        NewMeter {
            resource: "resource.cold_water",
            serial: "CW-2",
            zones: None,
            capacity: "5+3",
            initial: &["12,345"],
        },
        NewMeter {
            resource: "resource.hot_water",
            serial: "HW-3",
            zones: None,
            capacity: "5+3",
            initial: &["7,5"],
        },
        NewMeter {
            resource: "resource.heat",
            serial: "HT-4",
            zones: None,
            capacity: "5+3",
            initial: &["1,25"],
        },
    ];
    for m in &meters {
        let card = add_meter(&mut c, m).await;
        assert!(card.text.contains(m.serial), "{}", card.text);
    }
    // The menu now offers «Передать показания».
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meters").await, 4);
    c.send(&ru("menu.meters"));
    // No meter carries a mark: no legend, only what to do.
    let list = c.expect(&ru("meters.choose")).await;
    assert!(!list.text.contains(&ru("meters.legend")), "{}", list.text);
    for (m, value) in meters.iter().zip(["T1 100 / T2 50", "12,345", "7,5", "1,25"]) {
        assert!(
            list.text.contains(m.serial) && list.text.contains(value),
            "{value} in {}",
            list.text
        );
    }
    let (v,): (i64,) =
        sql::query_as("SELECT value_milli FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.serial = 'CW-2'")
            .fetch_one(&app.store().await.pool)
            .await
            .unwrap();
    assert_eq!(v, 12_345, "exact thousandths");
    // The same serial of the same resource again is refused.
    c.send(&ru("menu.meters"));
    let list = c.expect_buttons().await;
    c.press(&list, &ru("meters.add"));
    choose_resource(&mut c, "resource.cold_water").await;
    c.expect_key("add.serial_q").await;
    c.send("cw-2");
    let model = c.expect_key("add.model_q").await;
    c.press(&model, &ru("common.skip"));
    c.send("ванная");
    c.send("адрес");
    let cap = c.expect(&ru_head("add.capacity_q")).await;
    c.press(&cap, &capacity_button("5+3"));
    c.send("01.01.2030");
    c.expect_key("add.initial_q").await;
    c.send("1");
    let s = c.expect_key("add.summary").await;
    c.press(&s, &ru("add.save"));
    c.expect_key("add.duplicate").await;
    c.expect_key("add.serial_q").await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meters").await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_zone_reading_in_two_taps_and_the_consumption() {
    let app = TestApp::spawn().await;
    let m = NewMeter {
        resource: "resource.electricity",
        serial: "E-33",
        zones: Some("add.zones.3"),
        capacity: "6+1",
        initial: &["1000", "500", "200"],
    };
    let (mut c, _) = user_with_meter(&app, 8101, &m).await;
    // One meter: the menu button goes straight to it.
    c.send(&ru("menu.send_readings"));
    c.expect_key("zone.three.t1").await;
    c.send("1 150");
    c.expect_key("zone.two.t2").await;
    c.send("560,5");
    c.expect_key("zone.three.t3").await;
    c.send("230.0");
    let ok = c.expect_key("reading.accepted").await;
    assert!(ok.text.contains("1150 кВт·ч (расход 150 кВт·ч)"), "{}", ok.text);
    assert!(ok.text.contains("560,5 кВт·ч (расход 60,5 кВт·ч)"));
    assert!(ok.text.contains("230 кВт·ч (расход 30 кВт·ч)"));
    // An optional photo of the meter, attached to the readings just sent.
    c.press(&ok, &ru("reading.add_photo"));
    c.expect_key("reading.photo_q").await;
    c.send("фото потом");
    c.expect_key("reading.photo_expected").await;
    c.photo();
    c.expect_key("reading.photo_saved").await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM readings WHERE photo_file_id IS NOT NULL").await,
        3
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM readings WHERE source = 'user'").await,
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refused_reading_has_its_message() {
    let app = TestApp::spawn().await;
    let m = NewMeter {
        resource: "resource.electricity",
        serial: "E-55",
        zones: Some("add.zones.1"),
        capacity: "5+1",
        initial: &["1000"],
    };
    let (mut c, card) = user_with_meter(&app, 8201, &m).await;
    c.press(&card, &ru("meters.send"));
    c.expect("Последнее принятое: 1000").await;
    for (input, key) in [
        ("много", "reading.not_number"),
        ("-5", "reading.negative"),
        ("123456", "reading.too_many_int"),
        ("1200,25", "reading.too_many_frac"),
        ("999", "reading.lower"),
    ] {
        c.send(input);
        let refusal = c.expect(&ru_head(key)).await;
        // The wording is the point: the limit in words, as people say it.
        let said = match key {
            "reading.too_many_int" => "не больше 5 цифр до запятой",
            "reading.too_many_frac" => "не больше одной цифры.",
            _ => "",
        };
        assert!(refusal.text.contains(said), "{}", refusal.text);
        c.expect_key("reading.q").await;
    }
    c.sticker();
    c.expect_key("reading.number_expected").await;
    c.send("1100");
    c.expect_key("reading.accepted").await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM readings WHERE source = 'user'").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollover_is_offered_near_the_limit() {
    let app = TestApp::spawn().await;
    let m = NewMeter {
        resource: "resource.cold_water",
        serial: "W-99",
        zones: None,
        capacity: "5+3",
        initial: &["99990"],
    };
    let (mut c, card) = user_with_meter(&app, 8301, &m).await;
    c.press(&card, &ru("meters.send"));
    c.expect_key("reading.q").await;
    c.send("5");
    let q = c.expect_key("reading.rollover_q").await;
    c.press(&q, &ru("reading.rollover_yes"));
    let ok = c.expect_key("reading.accepted").await;
    assert!(ok.text.contains("расход 15 м³"), "{}", ok.text);
    let (rollover,): (bool,) = sql::query_as("SELECT rollover FROM readings WHERE source = 'user'")
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    assert!(rollover);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_verification_refuses_and_offers_replacement() {
    let app = TestApp::spawn().await;
    let (mut c, card) = user_with_meter(&app, 8401, &FLAT_ELECTRIC).await;
    sql::query("UPDATE meters SET next_verification = '2020-01-01'")
        .execute(&app.store().await.pool)
        .await
        .unwrap();
    // A meter carries ⛔: the list explains the marks.
    c.send(&ru("menu.meters"));
    let list = c.expect(&ru("meters.legend")).await;
    assert!(list.text.contains("⛔"), "{}", list.text);
    c.press(&card, &ru("meters.send"));
    let refusal = c.expect("Срок поверки прибора истёк 01.01.2020").await;
    c.press(&refusal, &ru("meters.req_replace"));
    c.expect_key("req.reason_q").await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM readings WHERE source = 'user'").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumption_three_times_the_usual_and_a_second_reading_in_a_period_are_confirmed() {
    let app = TestApp::spawn().await;
    let (mut c, card) = user_with_meter(&app, 8501, &FLAT_ELECTRIC).await;
    c.press(&card, &ru("meters.send"));
    c.expect_key("reading.q").await;
    c.send("1100");
    c.expect("расход 100").await;

    // Next month: 1000 consumed against an average of 100.
    app.clock.advance(Duration::days(31));
    c.send(&ru("menu.send_readings"));
    c.expect_key("reading.q").await;
    c.send("2100");
    let warn = c.expect_key("reading.check_average").await;
    assert!(
        warn.text.contains("1000 кВт·ч за 31 день") && warn.text.contains("(100 кВт·ч "),
        "{}",
        warn.text
    );
    assert!(warn.text.ends_with(&ru("reading.confirm_q")), "{}", warn.text);
    c.press(&warn, &ru("reading.retype"));
    c.expect_key("reading.q").await;
    c.send("1180");
    c.expect_key("reading.accepted").await;

    // The same period again: what was sent is shown first; confirmed, it replaces the first,
    // and both stay in the table.
    c.send(&ru("menu.send_readings"));
    let sent = c.expect(&crate::helpers::ru_head("reading.already_sent")).await;
    assert!(sent.text.contains("1180 кВт·ч"), "{}", sent.text);
    c.expect_key("reading.q").await;
    c.send("1190");
    let q = c.expect(&crate::helpers::ru_head("reading.replace_warn")).await;
    assert!(q.text.contains("1180 → 1190 кВт·ч"), "old → new: {}", q.text);
    c.press(&q, &ru("reading.confirm"));
    let ok = c.expect_key("reading.accepted").await;
    assert!(
        ok.text.contains("расход 90"),
        "compared with the previous period: {}",
        ok.text
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM readings WHERE source = 'user'").await,
        3
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM readings WHERE replaced_at IS NOT NULL").await,
        1
    );
}

/// The case: 99999,9 against 12345,6 a month later is 87654,3 kWh, far above what a
/// month of electricity can be. Shown back; corrected, nothing implausible is saved; sent again
/// and confirmed, it is saved marked for the export.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_implausible_consumption_is_shown_back_and_a_confirmed_one_marked() {
    let app = TestApp::spawn().await;
    let m = NewMeter {
        initial: &["12345,6"],
        ..FLAT_ELECTRIC
    };
    let (mut c, card) = user_with_meter(&app, 8502, &m).await;
    // Against the installation value nothing is judged (its day is not known): a first
    // reading goes through.
    c.press(&card, &ru("meters.send"));
    c.expect_key("reading.q").await;
    c.send("12345,6");
    c.expect_key("reading.accepted").await;
    app.clock.advance(Duration::days(30));
    c.send(&ru("menu.send_readings"));
    c.expect_key("reading.q").await;
    c.send("99999,9");
    let warn = c.expect_key("reading.check_ceiling").await;
    assert!(
        warn.text.contains("87654,3 кВт·ч за 30 дней") && warn.text.contains("6000 кВт·ч"),
        "the consumption, the days and the ceiling (200 a day): {}",
        warn.text
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM readings WHERE source = 'user'").await,
        1,
        "nothing more is saved before the answer"
    );
    c.press(&warn, &ru("reading.retype"));
    c.expect_key("reading.q").await;
    c.send("12645,6");
    c.expect_key("reading.accepted").await;
    let outliers = "SELECT COUNT(*) FROM readings WHERE source = 'user' AND outlier AND replaced_at IS NULL";
    assert_eq!(count(&app, outliers).await, 0);

    // A person sure of it confirms: saved, marked.
    c.send(&ru("menu.send_readings"));
    c.expect_key("reading.already_sent").await;
    c.expect_key("reading.q").await;
    c.send("99999,9");
    let warn = c.expect_key("reading.check_ceiling").await;
    assert!(
        warn.text.contains(&ru_head("reading.replace_warn")),
        "both notes, one question: {}",
        warn.text
    );
    assert_eq!(warn.text.matches(&ru("reading.confirm_q")).count(), 1, "{}", warn.text);
    c.press(&warn, &ru("reading.confirm"));
    c.expect_key("reading.accepted").await;
    assert_eq!(count(&app, outliers).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_through_twelve_periods() {
    let app = TestApp::spawn().await;
    let (mut c, card) = user_with_meter(&app, 8601, &FLAT_ELECTRIC).await;
    let store = app.store().await;
    let (meter_id,): (i64,) = sql::query_as("SELECT id FROM meters")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    let mut p = Period { year: 2025, month: 1 };
    for i in 1..=14 {
        let at = chrono::Utc::now() + Duration::seconds(i);
        store
            .save_reading(meter_id, p, &[(Quantity::from_int(1000 + i * 10), false)], at, None)
            .await
            .unwrap();
        p = p.next();
    }
    c.press(&card, &ru("meters.history"));
    let page1 = c.expect_key("history.title").await;
    assert!(
        page1.text.contains("02.2026") && page1.text.contains("1140 кВт·ч (+10 кВт·ч)"),
        "{}",
        page1.text
    );
    assert!(!page1.text.contains("08.2025"));
    assert!(page1.text.contains("Страница 1 из 2"));
    c.press(&page1, &ru("history.older"));
    let page2 = c
        .expect(&ru_with("history.page", &[("page", "2"), ("pages", "2")]))
        .await;
    assert!(
        page2.text.contains("03.2025") && !page2.text.contains("02.2025"),
        "12 periods at most: {}",
        page2.text
    );
    c.press(&page2, &ru("history.newer"));
    c.expect(&ru_with("history.page", &[("page", "1"), ("pages", "2")]))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_three_requests_with_attachments() {
    let app = TestApp::spawn().await;
    let (mut c, card) = user_with_meter(&app, 8701, &FLAT_ELECTRIC).await;

    // Reading-taking.
    c.press(&card, &ru("meters.req_taking"));
    c.expect_key("req.date_q").await;
    c.send("01.01.2020");
    c.expect_key("req.date_past").await;
    c.send("когда-нибудь");
    c.expect_key("common.date_bad").await;
    c.send("завтра");
    let tod = c.expect_key("req.tod_q").await;
    c.press(&tod, &ru("tod.morning"));
    c.expect_key("req.comment_q").await;
    c.send("Домофон 12");
    let s = c.expect_key("req.f.date").await;
    assert!(s.text.contains("Домофон 12"));
    c.press(&s, &ru("req.send"));
    let sent = c.expect("Заявка ПУ-").await;
    assert!(sent.text.contains("-000001"));

    // Commissioning with a photo and a PDF; a DOCX is refused here.
    c.press(&card, &ru("meters.req_commission"));
    c.expect_key("req.install_date_q").await;
    c.send("31.12.2099");
    c.expect_key("req.install_future").await;
    c.send("сегодня");
    c.expect_key("req.installer_q").await;
    c.send("ООО «Монтаж»");
    c.expect_key("req.seal_q").await;
    c.send("ПЛ-778899");
    c.expect_key("req.readings_q").await;
    c.send("1000");
    c.expect_key("req.date_q").await;
    c.send("послезавтра");
    let tod = c.expect_key("req.tod_q").await;
    c.press(&tod, &ru("tod.evening"));
    c.expect_key("req.files_q").await;
    c.send("вот");
    // No file yet: the button under the question is «Пропустить», and that is what is named.
    c.expect_key("files.not_a_file_skip").await;
    c.document(
        "passport.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        1000,
    );
    c.expect_key("files.wrong_type").await;
    c.document("big.pdf", "application/pdf", 30 * 1024 * 1024);
    c.expect(&ru_head("files.too_big")).await;
    c.photo();
    c.expect(&files_added(1)).await;
    c.document("certificate.pdf", "application/pdf", 200_000);
    let added = c.expect(&files_added(2)).await;
    c.press(&added, &ru("req.files_done"));
    let s = c.expect("Номер пломбы: ПЛ-778899").await;
    assert!(s.text.contains("2 файла"));
    c.press(&s, &ru("req.send"));
    c.expect("-000002").await;

    // Replacement with «другое».
    c.press(&card, &ru("meters.req_replace"));
    let q = c.expect_key("req.reason_q").await;
    c.press(&q, &ru("reason.other"));
    c.expect_key("req.reason_text_q").await;
    c.send("Треснуло стекло");
    c.expect_key("req.date_q").await;
    c.send("завтра");
    let q = c.expect_key("req.comment_q").await;
    c.press(&q, &ru("common.skip"));
    let s = c.expect("Треснуло стекло").await;
    c.press(&s, &ru("req.send"));
    let sent = c.expect("-000003").await;

    let store = app.store().await;
    let (files,): (i64,) = sql::query_as("SELECT COUNT(*) FROM attachments WHERE owner_kind = 'meter_request'")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(files, 2);
    let (queued,): (i64,) =
        sql::query_as("SELECT COUNT(*) FROM outbox WHERE channel = 'operator' AND status = 'pending'")
            .fetch_one(&store.pool)
            .await
            .unwrap();
    assert_eq!(
        queued, 4,
        "each request waits for the operators' desk, and the new meter's card"
    );
    // The card lists them with their status.
    c.press(&sent, &ru("meters.to_card"));
    let card = c.expect(&ru("meters.requests")).await;
    assert!(
        card.text.contains("замена прибора учёта: подана") && card.text.contains("снятие показаний: подана"),
        "{}",
        card.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_meter_id_is_refused_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (_owner, owner_card) = user_with_meter(&app, 8801, &FLAT_ELECTRIC).await;
    let store = app.store().await;
    let (meter_id,): (i64,) = sql::query_as("SELECT id FROM meters")
        .fetch_one(&store.pool)
        .await
        .unwrap();

    let mut thief = app.user(8802);
    register_confirmed(
        &app,
        &mut thief,
        &Person {
            login: "64270954807",
            email: "t@example.ru",
            ..IVANOV
        },
    )
    .await;
    // A button on the owner's own message, pressed by someone else, is ignored outright.
    thief.press_data(&owner_card, &format!("m:dy:{meter_id}"));
    // The thief's own list, with the data of its buttons changed to the owner's meter id.
    thief.send(&ru("menu.meters"));
    let own = thief.expect_key("meters.empty").await;
    for data in [
        format!("m:{meter_id}"),
        format!("m:r:{meter_id}"),
        format!("m:dy:{meter_id}"),
        format!("m:qt:{meter_id}"),
        format!("m:h:{meter_id}:0"),
        format!("m:ef:{meter_id}:1"),
    ] {
        thief.press_data(&own, &data);
        thief.expect_key("meters.not_found").await;
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM meters WHERE archived_at IS NULL").await,
        1
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meter_requests").await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM readings WHERE source = 'user'").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_and_delete_keep_the_readings() {
    let app = TestApp::spawn().await;
    let (mut c, card) = user_with_meter(&app, 8901, &FLAT_ELECTRIC).await;
    c.press(&card, &ru("meters.edit"));
    let q = c.expect_key("edit.q").await;
    c.press(&q, &ru("edit.place"));
    c.expect_key("edit.place_q").await;
    c.send("коридор");
    c.expect_key("common.saved").await;
    let card = c.expect("Место установки: коридор").await;
    c.press(&card, &ru("meters.delete"));
    let q = c.expect("Удалить прибор EL-1001").await;
    c.press(&q, &ru("meters.delete_yes"));
    c.expect_key("meters.deleted").await;
    let menu = c.expect_key("menu.title").await;
    assert!(!menu.keyboard_buttons().contains(&ru("menu.send_readings")));
    c.expect_key("meters.empty").await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM readings").await,
        1,
        "the installation reading is kept"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM meters WHERE archived_at IS NOT NULL").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_meter_continues_after_a_restart() {
    let mut app = TestApp::spawn().await;
    let mut c = app.user(9001);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.meters"));
    let list = c.expect_buttons().await;
    c.press(&list, &ru("meters.add"));
    choose_resource(&mut c, "resource.cold_water").await;
    c.expect_key("add.serial_q").await;
    c.send("W-777");
    c.expect_key("add.model_q").await;
    app.stop().await;
    app.start().await;
    c.send("СВ-15");
    c.expect_key("add.place_q").await;
    c.send("ванная");
    c.send("адрес 1");
    let cap = c.expect(&ru_head("add.capacity_q")).await;
    c.press(&cap, &capacity_button("5+3"));
    c.send("01.01.2031");
    c.expect_key("add.initial_q").await;
    c.send("3,5");
    let s = c.expect_key("add.summary").await;
    assert!(s.text.contains("W-777") && s.text.contains("СВ-15"), "{}", s.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_on_meters_and_requests() {
    let app = TestApp::spawn().await;
    let (mut c, card) = user_with_meter(&app, 9101, &FLAT_ELECTRIC).await;
    for _ in 0..kabinet::policy::METER_REQUESTS_PER_DAY {
        c.press(&card, &ru("meters.req_taking"));
        c.expect_key("req.date_q").await;
        c.send("завтра");
        let tod = c.expect_key("req.tod_q").await;
        c.press(&tod, &ru("tod.day"));
        let q = c.expect_key("req.comment_q").await;
        c.press(&q, &ru("common.skip"));
        let s = c.expect_key("req.f.date").await;
        c.press(&s, &ru("req.send"));
        c.expect("Заявка ПУ-").await;
    }
    c.press(&card, &ru("meters.req_taking"));
    c.expect_key("req.too_many").await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meter_requests").await, 10);

    // Fill up to the meter limit directly, then the dialogue refuses the next one.
    let store = app.store().await;
    let (consumer_id,): (i64,) = sql::query_as("SELECT id FROM consumers")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    for i in 1..kabinet::policy::MAX_ACTIVE_METERS {
        let m = kabinet::store::meters::NewMeter {
            resource: Some(kabinet::domain::meters::Resource::ColdWater),
            serial: Some(format!("S{i}")),
            place: Some("p".into()),
            address: Some("a".into()),
            zones: Some(1),
            capacity: Some(kabinet::domain::meters::Resource::ColdWater.default_capacity()),
            next_verification: chrono::NaiveDate::from_ymd_opt(2030, 1, 1),
            initial: vec![Quantity(0)],
            ..Default::default()
        };
        store
            .add_meter(
                consumer_id,
                &m,
                Period { year: 2026, month: 11 },
                chrono::Utc::now(),
                None,
            )
            .await
            .unwrap();
    }
    c.send(&ru("menu.meters"));
    let list = c.expect(&ru("meters.choose")).await;
    c.press(&list, &ru("meters.add"));
    c.expect("Можно добавить не больше 50").await;
}

/// The capacity's button as it reads («6 цифр до запятой и 1 после» for «6+1»).
fn capacity_button(c: &str) -> String {
    kabinet::wording::capacity("ru", kabinet::domain::meters::Capacity::parse(c).unwrap())
}

/// The meter's summary has «Исправить» like the other forms: a field chosen is asked again,
/// then the summary comes back with the new value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_meter_summary_corrects_a_field() {
    let app = TestApp::spawn().await;
    let mut c = app.user(8701);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.meters"));
    let list = c.expect_buttons().await;
    c.press(&list, &ru("meters.add"));
    choose_resource(&mut c, "resource.cold_water").await;
    c.expect_key("add.serial_q").await;
    c.send("W-5");
    let model = c.expect_key("add.model_q").await;
    c.press(&model, &ru("common.skip"));
    c.expect_key("add.place_q").await;
    c.send("кухня");
    c.expect_key("add.address_q").await;
    c.send("г. Город, ул. Ленина, д. 1, кв. 2");
    let cap = c.expect(&ru_head("add.capacity_q")).await;
    c.press(&cap, &capacity_button("5+3"));
    c.expect_key("add.verification_q").await;
    c.send("01.06.2035");
    c.expect_key("add.initial_q").await;
    c.send("10");
    let summary = c.expect_key("add.summary").await;
    c.press(&summary, &ru("add.fix"));
    let picker = c.expect_key("reg.fix_q").await;
    c.press(&picker, &ru("add.label.place"));
    c.expect_key("add.place_q").await;
    c.send("ванная");
    let summary = c.expect_key("add.summary").await;
    assert!(
        summary.text.contains("ванная") && !summary.text.contains("кухня"),
        "{}",
        summary.text
    );
    c.press(&summary, &ru("add.save"));
    c.expect_key("add.saved").await;
}

/// «Не знаю» for the next verification: the meter is added, its readings are taken, its card
/// says the date is missing and how to give it; a date entered later clears that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_verification_can_be_unknown() {
    let app = TestApp::spawn().await;
    let mut c = app.user(8801);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.meters"));
    let list = c.expect_buttons().await;
    c.press(&list, &ru("meters.add"));
    choose_resource(&mut c, "resource.cold_water").await;
    c.expect_key("add.serial_q").await;
    c.send("W-6");
    let model = c.expect_key("add.model_q").await;
    c.press(&model, &ru("common.skip"));
    c.expect_key("add.place_q").await;
    c.send("кухня");
    c.expect_key("add.address_q").await;
    c.send("г. Город, ул. Ленина, д. 1, кв. 2");
    let cap = c.expect(&ru_head("add.capacity_q")).await;
    c.press(&cap, &capacity_button("5+3"));
    let q = c.expect_key("add.verification_q").await;
    c.press(&q, &ru("add.verification_unknown"));
    c.expect_key("add.initial_q").await;
    c.send("10");
    let summary = c.expect_key("add.summary").await;
    assert!(
        summary.text.contains(&ru("meters.verification_unknown")),
        "{}",
        summary.text
    );
    c.press(&summary, &ru("add.save"));
    c.expect_key("add.saved").await;
    let card = c.expect_key("meters.card").await;
    assert!(card.text.contains(ru("meters.verif_unknown").trim()), "{}", card.text);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM meters WHERE verification_unknown = TRUE").await,
        1
    );
    // Readings are taken meanwhile.
    c.press(&card, &ru("meters.send"));
    c.expect_key("reading.q").await;
    c.send("11");
    c.expect_key("reading.accepted").await;
    // The date found later: entered, the card no longer asks.
    c.send(&ru("menu.meters"));
    let list = c.expect(&ru("meters.choose")).await;
    c.press(&list, &list.inline_buttons()[0].0.clone());
    let card = c.expect_key("meters.card").await;
    c.press(&card, &ru("meters.edit"));
    let fields = c.expect_buttons().await;
    c.press(&fields, &ru("edit.verification"));
    c.expect_key("edit.verification_q").await;
    c.send("01.06.2035");
    let card = c.expect_key("meters.card").await;
    assert!(
        card.text.contains("01.06.2035") && !card.text.contains(ru("meters.verif_unknown").trim()),
        "{}",
        card.text
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM meters WHERE verification_unknown = TRUE").await,
        0
    );
}
