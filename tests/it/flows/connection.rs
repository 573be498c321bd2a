use super::{IVANOV, Person, register_confirmed};
use crate::helpers::no;
use crate::helpers::{Client, TestApp, files_added, ru, ru_head, ru_with};
use kabinet::store::meters::FileRef;
use kabinet::store::sql;
use kabinet::store::tickets::DeliveredFile;

/// The first of the month `months` ahead of today (the utility's, UTC+3), as typed
/// («01.03.2027»): a date the forms take as a future one whenever the test runs.
fn ahead(months: u32) -> String {
    use chrono::Datelike;
    let today = (chrono::Utc::now() + chrono::Duration::hours(3)).date_naive();
    let first = today.with_day(1).unwrap();
    first
        .checked_add_months(chrono::Months::new(months))
        .unwrap()
        .format("%d.%m.%Y")
        .to_string()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sql::query_as(sql.to_owned())
        .fetch_one(&app.store().await.pool)
        .await
        .unwrap();
    n
}

async fn open_form(c: &mut Client, kind: &str) -> tgmock::BotMessage {
    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    c.press(&hub, &ru("conn.new"));
    let q = c.expect_key("conn.choose_kind").await;
    c.press(&q, &ru(&format!("conn.kind.{kind}")));
    c.expect_buttons().await
}

/// Answers a text question (waiting for it first).
async fn answer(c: &mut Client, field: &str, value: &str) {
    c.expect(&ru_head(&format!("conn.q.{field}"))).await;
    c.send(value);
}

async fn choose(c: &mut Client, field: &str, option: &str) {
    let q = c.expect(&ru_head(&format!("conn.q.{field}"))).await;
    c.press(&q, &ru(&format!("conn.opt.{field}.{option}")));
}

async fn yes_no(c: &mut Client, field: &str, yes: bool) {
    let q = c.expect(&ru_head(&format!("conn.q.{field}"))).await;
    c.press(&q, &ru(if yes { "conn.yes" } else { "conn.no" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn electricity_full_form_with_refusals_edit_and_attachments() {
    let app = TestApp::spawn().await;
    let mut c = app.user(11_001);
    register_confirmed(&app, &mut c, &IVANOV).await;
    c.send(&ru("menu.meters"));
    c.expect_key("meters.empty").await;
    let menu_before = app.api.events_for(c.id());
    assert!(
        !menu_before
            .iter()
            .any(|e| matches!(e, tgmock::Event::Sent(m) if m.keyboard_buttons().contains(&ru("menu.connection"))))
    );

    let first = open_form(&mut c, "electricity").await;
    // An increase: what is connected already is asked too.
    c.press(&first, &ru("conn.opt.reason.increase"));
    answer(&mut c, "object_name_eu", "Мастерская на участке 7").await;
    answer(&mut c, "address", "д. Берёзовка, ул. Полевая, 7").await;
    answer(&mut c, "cadastral", "50-20-0010203-156").await;
    c.expect_key("conn.err.cadastral").await;
    c.send("50:20:0010203:156");
    answer(&mut c, "power_new", "0").await;
    c.expect(&ru_head("conn.err.range")).await;
    c.send("200000");
    c.expect(&ru_head("conn.err.range")).await;
    c.send("много");
    c.expect_key("conn.err.number").await;
    c.send("100");
    answer(&mut c, "power_existing", "20").await;
    yes_no(&mut c, "household", false).await;
    choose(&mut c, "voltage", "0_4").await;
    choose(&mut c, "category", "III").await;
    choose(&mut c, "load", "production").await;
    answer(&mut c, "stages", &format!("01.03.2020; {}; 60", ahead(9))).await;
    c.expect_key("conn.err.stage").await;
    c.send(&format!("{}; {}; 60", ahead(3), ahead(9)));
    let more = c.expect(&ru_with("conn.stages_so_far", &[("n", "1")])).await;
    c.send(&format!("{}; {}; 40", ahead(15), ahead(21)));
    let more2 = c.expect(&ru_with("conn.stages_so_far", &[("n", "2")])).await;
    let _ = more;
    c.press(&more2, &ru("req.files_done"));
    // 120 kW in all: instalments are offered.
    yes_no(&mut c, "instalment", true).await;
    answer(&mut c, "supplier", "АО «Энергосбыт»").await;
    answer(&mut c, "passport", "4510 12345").await;
    c.expect_key("conn.err.passport").await;
    c.send("4510 123456");
    answer(&mut c, "passport_issued_by", "ОВД Берёзовского района").await;
    answer(&mut c, "passport_date", &ahead(12)).await;
    c.expect_key("conn.err.date_future").await;
    c.send("01.02.2015");
    c.expect_key("conn.files_q.electricity").await;
    c.document("plan.pdf", "application/pdf", 100_000);
    c.document(
        "smeta.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        50_000,
    );
    let added = c.expect(&files_added(2)).await;
    c.press(&added, &ru("req.files_done"));
    let summary = c.expect_key("conn.summary").await;
    assert!(
        summary.text.contains("Наименование ЭПУ: Мастерская на участке 7"),
        "{}",
        summary.text
    );
    assert!(
        summary.text.contains(&format!("этап 2: проект {}", ahead(15))),
        "{}",
        summary.text
    );
    assert!(summary.text.contains("ivanov@example.ru"), "prefilled from the profile");

    // «Изменить» one field from the summary: straight back to the summary.
    c.press(&summary, &format!("✏️ {}", ru("conn.f.supplier")));
    c.expect(&ru_head("conn.q.supplier")).await;
    c.send("ООО «Новый сбыт»");
    let summary = c.expect_key("conn.summary").await;
    assert!(summary.text.contains("ООО «Новый сбыт»"));
    // The supplier may be unknown to a consumer: «Не знаю» is a button.
    c.press(&summary, &format!("✏️ {}", ru("conn.f.supplier")));
    let q = c.expect(&ru_head("conn.q.supplier")).await;
    c.press(&q, &ru("conn.unknown"));
    let summary = c.expect_key("conn.summary").await;
    let line = format!("{}: {}", ru("conn.f.supplier"), ru("conn.unknown"));
    assert!(summary.text.contains(&line), "{}", summary.text);
    c.press(&summary, &ru("req.send"));
    c.expect(&no("Заявка ТП-Э-2026-000001 отправлена")).await;
    let menu = c.expect_key("menu.title").await;
    assert!(
        menu.keyboard_buttons().contains(&ru("menu.connection")),
        "the section appears"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM connection_drafts").await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM attachments WHERE owner_kind = 'connection'").await,
        2
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE channel = 'operator'").await,
        1
    );

    // Listed by «Наименование ЭПУ»; opened by its name.
    c.send(&ru("menu.connection"));
    let section = c.expect_key("conn.section").await;
    c.press(&section, &format!("{} (1)", ru("conn.group.electricity")));
    let list = c.expect_key("conn.f.object_name_eu").await;
    c.press(&list, "Мастерская на участке 7");
    let card = c.expect(&no("ТП-Э-2026-000001")).await;
    assert!(card.text.contains(&ru("conn.status.submitted")), "{}", card.text);
    assert!(
        card.text.contains(&format!("этап 1: проект {}", ahead(3))),
        "all fields as submitted: {}",
        card.text
    );
    assert!(card.inline_buttons().iter().any(|b| b.0 == "📎 plan.pdf"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn household_up_to_15_kw_gets_the_short_form() {
    let app = TestApp::spawn().await;
    let mut c = app.user(11_101);
    register_confirmed(&app, &mut c, &IVANOV).await;
    file_household_application(&mut c, "4510 123456").await;
}

/// A household's electricity application up to 15 kW, the short form, with this passport.
pub async fn file_household_application(c: &mut Client, passport: &str) {
    let first = open_form(c, "electricity").await;
    // Which questions follow depends on the answers: no «Шаг N из M» that would jump.
    assert!(!first.text.contains(&ru_head("common.step")), "{}", first.text);
    c.press(&first, &ru("conn.opt.reason.new"));
    answer(c, "object_name_eu", "Дом").await;
    answer(c, "address", "адрес").await;
    // The cadastral number may wait.
    let cadastral = c.expect(&ru_head("conn.q.cadastral")).await;
    c.press(&cadastral, &ru("common.skip"));
    answer(c, "power_new", "15").await;
    // A new connection: nothing connected before, so that is not asked.
    yes_no(c, "household", true).await;
    // No voltage, category, load or stages: instalments come next.
    yes_no(c, "instalment", false).await;
    answer(c, "supplier", "АО «Энергосбыт»").await;
    answer(c, "passport", passport).await;
    answer(c, "passport_issued_by", "ОВД").await;
    // A date in the past is asked: the hint does not suggest «завтра».
    answer(c, "passport_date", "давно").await;
    c.expect_key("common.date_bad_past").await;
    c.send("01.02.2015");
    let files = c.expect_key("conn.files_q.electricity").await;
    c.press(&files, &ru("common.skip"));
    let summary = c.expect_key("conn.summary").await;
    assert!(!summary.text.contains(&ru("conn.f.voltage")));
    c.press(&summary, &ru("req.send"));
    c.expect(&no("ТП-Э-2026-000001")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn water_for_a_company_and_heat_needs_a_load() {
    let app = TestApp::spawn().await;
    let mut c = app.user(11_201);
    register_confirmed(
        &app,
        &mut c,
        &Person {
            kind_key: "kind.legal",
            login: "1027700132195",
            name: "ООО «Ромашка»",
            ..IVANOV
        },
    )
    .await;

    let q = open_form(&mut c, "water").await;
    assert!(q.text.contains(&ru_head("conn.q.object_name")));
    c.send("Склад №2");
    answer(&mut c, "address", "промзона, 2").await;
    answer(&mut c, "cadastral", "77:01:0004012:3456").await;
    let s = c.expect(&ru_head("conn.q.services")).await;
    c.press(&s, &format!("▫️ {}", ru("conn.opt.services.sewerage")));
    let s = c.expect(&ru_head("conn.q.services")).await;
    c.press(&s, &format!("▫️ {}", ru("conn.opt.services.cold_water")));
    let s = c.expect(&ru_head("conn.q.services")).await;
    c.press(&s, &ru("req.files_done"));
    answer(&mut c, "load_cold_water", "2,5").await;
    // Hot water was not chosen: sewerage comes next.
    answer(&mut c, "load_sewerage", "2").await;
    answer(&mut c, "purpose", "склад").await;
    answer(&mut c, "storeys", "0").await;
    c.expect(&ru_head("conn.err.int_range")).await;
    c.send("2");
    answer(&mut c, "commissioning", "01.01.2020").await;
    c.expect_key("req.date_past").await;
    c.send(&ahead(9));
    let q = c.expect(&ru_head("conn.q.earlier_tc")).await;
    c.press(&q, &ru("common.skip"));
    let files = c.expect_key("conn.files_q.water").await;
    c.press(&files, &ru("common.skip"));
    let summary = c.expect_key("conn.summary").await;
    assert!(
        summary.text.contains("Холодное водоснабжение, Водоотведение"),
        "{}",
        summary.text
    );
    c.press(&summary, &ru("req.send"));
    c.expect(&no("ТП-В-2026-000001")).await;

    let q = open_form(&mut c, "heat").await;
    let _ = q;
    c.send("Цех");
    answer(&mut c, "address", "промзона, 3").await;
    answer(&mut c, "cadastral", "77:01:0004012:3457").await;
    for f in ["heat_heating", "heat_ventilation", "heat_hot_water", "heat_process"] {
        answer(&mut c, f, "0").await;
    }
    choose(&mut c, "coolant", "water").await;
    answer(&mut c, "coolant_params", "95/70 °C").await;
    choose(&mut c, "regime", "daytime").await;
    choose(&mut c, "reliability", "II").await;
    answer(&mut c, "commissioning", &ahead(9)).await;
    let files = c.expect_key("conn.files_q.heat").await;
    c.press(&files, &ru("common.skip"));
    let summary = c.expect_key("conn.summary").await;
    c.press(&summary, &ru("req.send"));
    c.expect_key("conn.err.no_heat_load").await;
    let summary = c.expect_key("conn.summary").await;
    c.press(&summary, &format!("✏️ {}", ru("conn.f.heat_process")));
    c.send("0,35");
    let summary = c.expect_key("conn.summary").await;
    c.press(&summary, &ru("req.send"));
    c.expect(&no("ТП-Т-2026-000001")).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM connection_applications").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_is_resumed_after_a_restart() {
    let mut app = TestApp::spawn().await;
    let mut c = app.user(11_301);
    register_confirmed(&app, &mut c, &IVANOV).await;
    open_form(&mut c, "water").await;
    c.send("Баня");
    answer(&mut c, "address", "ул. Речная, 1").await;
    c.expect(&ru_head("conn.q.cadastral")).await;
    c.send("/menu");
    c.expect_key("menu.title").await;
    app.stop().await;
    app.start().await;

    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    c.press(&hub, &ru("conn.new"));
    let q = c.expect_key("conn.choose_kind").await;
    c.press(&q, &ru("conn.kind.water"));
    let offer = c.expect_key("conn.draft_found").await;
    c.press(&offer, &ru("conn.resume"));
    let q = c.expect(&ru_head("conn.q.cadastral")).await;
    // «Назад» goes to the address typed before the restart.
    c.press(&q, &ru("common.back"));
    c.expect(&ru_head("conn.q.address")).await;
    c.send("ул. Речная, 2");
    c.expect(&ru_head("conn.q.cadastral")).await;

    // «Начать заново» drops the draft.
    c.send("/cancel");
    c.expect_key("common.cancelled").await;
    let mut c2 = c;
    c2.send(&ru("menu.services"));
    let hub = c2.expect_key("services.title").await;
    c2.press(&hub, &ru("conn.new"));
    let q = c2.expect_key("conn.choose_kind").await;
    c2.press(&q, &ru("conn.kind.water"));
    let offer = c2.expect_key("conn.draft_found").await;
    c2.press(&offer, &ru("conn.restart"));
    c2.expect(&ru_head("conn.q.object_name")).await;
}

/// A draft lives where the bot says it does: leaving a form by a menu button names the
/// section, the menu shows that section from the draft on (before any application), and the
/// section offers to continue it, at the step where it was left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_is_found_in_the_section_the_bot_names() {
    let app = TestApp::spawn().await;
    let mut c = app.user(11_351);
    register_confirmed(&app, &mut c, &IVANOV).await;
    // No application, no draft: no section in the menu.
    c.send("/menu");
    let menu = c.expect_key("menu.title").await;
    assert!(!menu.keyboard_buttons().contains(&ru("menu.connection")));
    let first = open_form(&mut c, "heat").await;
    // The heat form's questions depend only on who applies: its steps are counted.
    assert!(first.text.contains(&ru_head("common.step")), "{}", first.text);
    c.send("Котельная");
    answer(&mut c, "address", "ул. Лесная, 3").await;
    c.expect(&ru_head("conn.q.cadastral")).await;
    // A menu button in the middle: the draft is kept and its section named.
    c.send(&ru("menu.meters"));
    c.expect(&ru_with(
        "common.left_draft_saved",
        &[("section", &ru("menu.connection"))],
    ))
    .await;
    c.send("/menu");
    let menu = c.expect_key("menu.title").await;
    assert!(
        menu.keyboard_buttons().contains(&ru("menu.connection")),
        "{:?}",
        menu.keyboard_buttons()
    );
    c.send(&ru("menu.connection"));
    let section = c.expect_key("conn.section").await;
    let row = ru_with("conn.draft_row", &[("kind", &ru("conn.kind.heat"))]);
    c.press(&section, &row);
    c.expect(&ru_head("conn.q.cadastral")).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM connection_applications").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_documents_status_history_and_other_users() {
    let app = TestApp::spawn().await;
    let mut c = app.user(11_401);
    register_confirmed(&app, &mut c, &IVANOV).await;
    let first = open_form(&mut c, "electricity").await;
    c.press(&first, &ru("conn.opt.reason.new"));
    answer(&mut c, "object_name_eu", "Гараж").await;
    answer(&mut c, "address", "адрес").await;
    answer(&mut c, "cadastral", "50:20:010203:15").await;
    answer(&mut c, "power_new", "5").await;
    yes_no(&mut c, "household", true).await;
    yes_no(&mut c, "instalment", false).await;
    answer(&mut c, "supplier", "АО «Энергосбыт»").await;
    answer(&mut c, "passport", "4510 123456").await;
    answer(&mut c, "passport_issued_by", "ОВД").await;
    answer(&mut c, "passport_date", "01.02.2015").await;
    let files = c.expect_key("conn.files_q.electricity").await;
    c.press(&files, &ru("common.skip"));
    let summary = c.expect_key("conn.summary").await;
    c.press(&summary, &ru("req.send"));
    // The confirmation says what comes next and opens the application it names.
    let open = c.expect(&no("ТП-Э-2026-000001")).await;
    assert_eq!(open.inline_buttons()[0].0, ru("conn.open_this"));

    let store = app.store().await;
    let (id,): (i64,) = sql::query_as("SELECT id FROM connection_applications")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    let tu = DeliveredFile {
        file: FileRef {
            file_id: "BQtu1".into(),
            file_unique_id: "tu1".into(),
            name: Some("ТУ.pdf".into()),
            mime: None,
            size: None,
        },
        content: None,
    };
    store
        .set_application_status(
            id,
            kabinet::domain::items::ConnStatus::DocumentsIssued,
            Some("ТУ и договор"),
            &[tu],
            &[],
            chrono::Utc::now(),
        )
        .await
        .unwrap();

    c.press(&open, &ru("conn.open_this"));
    let card = c.expect(&no("ТП-Э-2026-000001")).await;
    assert!(
        card.text.contains(&ru("conn.status.documents_issued")) && card.text.contains("ТУ и договор"),
        "{}",
        card.text
    );
    c.press(&card, "📄 ТУ.pdf");
    let doc = c.expect_document().await;
    assert_eq!(doc.document.as_deref(), Some("BQtu1"));
    // «Дополнить заявку».
    c.press(&card, &ru("conn.add"));
    c.expect_key("conn.add_q").await;
    c.send("Прилагаю схему");
    let ready = c.expect("текст ✓").await;
    c.press(&ready, &ru("req.send"));
    c.expect_key("conn.added").await;
    // «Документы» lists what was issued.
    c.send(&ru("menu.documents"));
    c.expect(&no("ТП-Э-2026-000001 — ТУ.pdf")).await;

    let mut thief = app.user(11_402);
    register_confirmed(
        &app,
        &mut thief,
        &Person {
            login: "64270954807",
            email: "x@example.ru",
            ..IVANOV
        },
    )
    .await;
    thief.send(&ru("menu.services"));
    let own = thief.expect_key("services.title").await;
    let (file,): (i64,) = sql::query_as("SELECT id FROM attachments WHERE owner_kind = 'connection_issued'")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    for data in [format!("c:a:{id}"), format!("c:add:{id}"), format!("c:f:{file}")] {
        thief.press_data(&own, &data);
        thief.expect_key("conn.not_found").await;
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM connection_additions").await, 1);
}
