//! «Лицевые счета»: linking an account with a proof (and the limit on wrong ones), its meters
//! from the registry with readings per account, «Начисления и оплата», the receipt read back
//! from its PDF, the payment QR code scanned back, the new-bill push once, the second holder.

use crate::flows::{IVANOV, Person, register_confirmed};
use crate::helpers::no;
use crate::helpers::{Client, TestApp, is_text_of, ru};
use chrono::Duration;
use kabinet::domain::meters::Period;
use kabinet::import::Options;
use std::path::PathBuf;

const PAYMENT_DETAILS: [&str; 12] = [
    "--org-inn",
    "7707083893",
    "--org-kpp",
    "773601001",
    "--bank-name",
    "ПАО Сбербанк",
    "--bank-bic",
    "044525225",
    "--bank-account",
    "40702810938000000001",
    "--bank-corr-account",
    "30101810400000000225",
];

pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples/billing")
        .join(name)
}

/// The sample registry, November's charges and the payments, imported as the back office does.
pub async fn import_samples(app: &TestApp) {
    let store = app.store().await;
    let opts = Options::default();
    let now = app.clock.now();
    let read = |n: &str| std::fs::read(sample(n)).unwrap();
    let s = kabinet::import::accounts(&store, &read("accounts.csv"), &opts, now)
        .await
        .unwrap();
    assert!(s.clean(), "{}", s.report());
    let nov = Period { year: 2026, month: 11 };
    let s = kabinet::import::charges(&store, nov, &read("charges-2026-11.csv"), &opts, now)
        .await
        .unwrap();
    assert!(s.clean(), "{}", s.report());
}

/// «Лицевые счета» → «Добавить лицевой счёт» → the number: leaves the chat at the proof.
async fn start_adding(c: &mut Client, number: &str) {
    c.send(&ru("menu.accounts"));
    let list = c.expect_buttons().await;
    c.press(&list, &ru("account.add"));
    c.expect_key("account.number_q").await;
    c.send(number);
}

/// The whole adding with a meter's serial; returns the account's card.
pub async fn add_by_meter(c: &mut Client, number: &str, serial: &str, name_key: &str) -> tgmock::BotMessage {
    start_adding(c, number).await;
    let q = c.expect_key("account.proof_q").await;
    c.press(&q, &ru("account.proof_meter"));
    c.expect_key("account.proof_meter_q").await;
    c.send(serial);
    let name = c.expect_key("account.name_q").await;
    c.press(&name, &ru(name_key));
    c.expect_key("account.added").await;
    c.expect_key("account.card").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_is_added_with_a_meter_and_its_meters_take_readings_for_it() {
    let app = TestApp::spawn().await;
    import_samples(&app).await;
    let mut c = app.user(9301);
    register_confirmed(&app, &mut c, &IVANOV).await;

    // Nothing yet: what the section is for, and the way to add.
    c.send(&ru("menu.accounts"));
    c.expect_key("account.empty").await;
    // A tired person: spaces in the number, the serial in lower case with a space.
    start_adding(&mut c, "100 200 300").await;
    let q = c.expect_key("account.proof_q").await;
    c.press(&q, &ru("account.proof_meter"));
    c.expect_key("account.proof_meter_q").await;
    c.photo();
    c.expect_key("common.text_expected").await;
    c.expect_key("account.proof_meter_q").await;
    c.send("эл 001");
    let name = c.expect_key("account.name_q").await;
    assert!(name.text.contains("ул. Ленина, д. 1, кв. 2"), "{}", name.text);
    c.press(&name, &ru("account.name_dacha"));
    // Pressed twice: the second press is an old button, nothing is linked twice.
    c.press(&name, &ru("account.name_dacha"));
    c.expect_key("account.added").await;
    let card = c.expect_key("account.card").await;
    assert!(card.text.contains(&ru("account.name_dacha")) && card.text.contains("100200300"));
    // November's bill: 2 742,81 due by 10.12.2026.
    assert!(card.text.contains("2\u{a0}742,81\u{a0}₽"), "{}", card.text);
    assert!(card.text.contains("10.12.2026"), "{}", card.text);
    let store = app.store().await;
    let (links,): (i64,) = kabinet::store::sql::query_as("SELECT COUNT(*) FROM account_links")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(links, 1);

    // The account's three meters came with it: typed by nobody, accepted, counted from billing's
    // last readings.
    c.send(&ru("menu.meters"));
    let list = c.expect_key("meters.choose").await;
    for serial in ["ЭЛ-001", "ХВ-001", "ГВ-001"] {
        assert!(list.text.contains(serial), "{}", list.text);
    }
    assert!(list.text.contains("ЛС 100200300"), "{}", list.text);

    // Readings per account, through the same steps and checks.
    c.press(&card, &ru("account.readings"));
    let which = c.expect_key("meters.which").await;
    c.press_containing(&which, "ЭЛ-001");
    let first = c.expect_key("zone.two.t1").await;
    assert!(first.text.contains("12345,6"), "billing's last reading: {}", first.text);
    c.send("12300");
    c.expect_key("reading.lower").await;
    c.send("12400");
    c.expect_key("zone.two.t2").await;
    c.send("6050");
    c.expect_key("reading.accepted").await;

    // The export names the account.
    let csv = export_this_period(&app).await;
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",outlier,account"), "{header}");
    let rows: Vec<&str> = csv.lines().filter(|l| l.contains("ЭЛ-001")).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows.iter().all(|r| r.ends_with(",100200300")), "{csv}");

    // A registry meter the consumer deleted stays deleted when the registry comes again.
    c.send(&ru("menu.meters"));
    let list = c.expect_key("meters.choose").await;
    c.press_containing(&list, "ГВ-001");
    let card = c.expect_key("meters.card").await;
    c.press(&card, &ru("meters.delete"));
    let q = c.expect_key("meters.delete_q").await;
    c.press(&q, &ru("meters.delete_yes"));
    c.expect_key("meters.deleted").await;
    import_samples(&app).await;
    c.send(&ru("menu.meters"));
    let list = c.expect_key("meters.choose").await;
    assert!(
        list.text.contains("ЭЛ-001") && !list.text.contains("ГВ-001"),
        "{}",
        list.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_proofs_say_nothing_of_the_number_and_lock_for_a_while() {
    let app = TestApp::spawn_with(&["--account-proof", "bill"]).await;
    import_samples(&app).await;
    let mut c = app.user(9311);
    register_confirmed(&app, &mut c, &IVANOV).await;

    // Only the bill's amount is taken here: no choice is offered.
    start_adding(&mut c, "999999999").await;
    c.expect_key("account.proof_bill_q").await;
    c.send("сто рублей");
    c.expect_key("account.proof_bill_bad").await;
    c.expect_key("account.proof_bill_q").await;
    // An unknown number and a wrong amount for a real one read the same.
    c.send("2742,81");
    let unknown = c.expect_key("account.proof_wrong").await;
    assert!(unknown.text.contains("Осталось 4 попытки"), "{}", unknown.text);
    let back = c.expect_key("account.proof_bill_q").await;
    c.press(&back, &ru("common.back"));
    c.expect_key("account.number_q").await;
    c.send("100200300");
    for left in ["Осталось 3 попытки", "Осталось 2 попытки", "Осталась 1 попытка"]
    {
        c.expect_key("account.proof_bill_q").await;
        c.send("1000");
        let wrong = c.expect_key("account.proof_wrong").await;
        assert!(wrong.text.contains(left), "{}", wrong.text);
        assert_eq!(
            wrong.text.replace(left, ""),
            unknown.text.replace("Осталось 4 попытки", ""),
            "the same words whether the number exists or not"
        );
    }
    c.expect_key("account.proof_bill_q").await;
    c.send("1 000,00");
    c.expect_key("account.proof_locked").await;
    // Locked: even the right amount waits, from the start of adding.
    let menu = c.expect_key("menu.title").await;
    drop(menu);
    c.send(&ru("menu.accounts"));
    let list = c.expect_buttons().await;
    c.press(&list, &ru("account.add"));
    c.expect_key("account.proof_locked").await;
    // A quarter of an hour later the right amount links it.
    app.clock.advance(Duration::minutes(16));
    start_adding(&mut c, "100200300").await;
    c.expect_key("account.proof_bill_q").await;
    c.send("2 742,81 ₽");
    let name = c.expect_key("account.name_q").await;
    c.press(&name, &ru("account.name_number"));
    c.expect_key("account.added").await;
    let card = c.expect_key("account.card").await;
    assert!(card.text.contains("<b>100200300</b>") || card.text.contains("100200300"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_holder_proves_it_the_first_is_told_and_removing_keeps_the_readings() {
    let app = TestApp::spawn().await;
    import_samples(&app).await;
    let mut first = app.user(9321);
    register_confirmed(&app, &mut first, &IVANOV).await;
    add_by_meter(&mut first, "100200300", "ХВ-001", "account.name_flat").await;

    let mut second = app.user(9322);
    let login = crate::helpers::snils(123_456_700);
    let petrova = Person {
        kind_key: "kind.individual",
        login: &login,
        name: "Петрова Анна Сергеевна",
        email: "petrova@example.ru",
        password: "correct horse",
    };
    register_confirmed(&app, &mut second, &petrova).await;
    start_adding(&mut second, "100200300").await;
    let q = second.expect_key("account.proof_q").await;
    second.press(&q, &ru("account.proof_bill"));
    second.expect_key("account.proof_bill_q").await;
    second.send("2742.81");
    second.expect_key("account.name_q").await;
    second.send("Квартира   сына");
    second.expect_key("account.added").await;
    let card = second.expect_key("account.card").await;
    assert!(card.text.contains("Квартира сына"), "{}", card.text);
    // The first holder is told, and nothing of who.
    let told = first.expect_key("account.other_holder").await;
    assert!(told.text.contains("100200300") && !told.text.contains("Петрова"));
    assert_eq!(
        told.inline_buttons()[0].0,
        ru("ticket.new.appeal"),
        "a way to say it was not them"
    );

    // Rename, then remove: the meters leave the list, their readings stay.
    second.press(&card, &ru("account.rename"));
    second.expect_key("account.rename_q").await;
    second.send(&"я".repeat(31));
    second.expect_key("account.name_bad").await;
    second.send("Сын");
    second.expect_key("account.renamed").await;
    let card = second.expect_key("account.card").await;
    second.press(&card, &ru("account.remove"));
    let q = second.expect_key("account.remove_q").await;
    second.press(&q, &ru("account.remove_yes"));
    second.expect_key("account.removed").await;
    second.expect_key("account.empty").await;
    let store = app.store().await;
    let (active, all): (i64, i64) = kabinet::store::sql::query_as(
        "SELECT CAST(SUM(CASE WHEN archived_at IS NULL THEN 1 ELSE 0 END) AS BIGINT), COUNT(*) FROM meters
         WHERE account_meter_id IS NOT NULL",
    )
    .fetch_one(&store.pool)
    .await
    .unwrap();
    assert_eq!(
        (active, all),
        (3, 6),
        "the first holder's three stay, the second's are put away"
    );
    // Someone else's account id from an old button finds nothing.
    second.press(&card, &ru("account.charges"));
    second.expect_key("account.not_found").await;
}

/// November and October as billing would export them for the tests: October's bill, then
/// November's.
fn october() -> Vec<u8> {
    "ЛС;Сальдо на начало;Услуга;Объем;Ед. изм.;Тариф;Начислено;Перерасчет;Льгота;Оплачено;Пени;К оплате;Срок оплаты\n\
     100200300;0,00;Электроэнергия (день);20;кВт·ч;7,50;150,00;;;;;150,00;10.11.2026\n"
        .as_bytes()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bill_its_history_the_receipt_and_the_qr_code() {
    let app = TestApp::spawn_with(&PAYMENT_DETAILS).await;
    let store = app.store().await;
    import_samples(&app).await;
    let oct = Period { year: 2026, month: 10 };
    let s = kabinet::import::charges(&store, oct, &october(), &Options::default(), app.clock.now())
        .await
        .unwrap();
    assert!(s.clean(), "{}", s.report());
    let mut c = app.user(9331);
    register_confirmed(&app, &mut c, &IVANOV).await;
    let card = add_by_meter(&mut c, "100200300", "ЭЛ-001", "account.name_flat").await;

    c.press(&card, &ru("account.charges"));
    let bill = c.expect_key("bill.title").await;
    for part in [
        "ноябрь 2026",
        "Электроэнергия (день) — 180 кВт·ч × 6,43: 1\u{a0}157,40\u{a0}₽",
        "(перерасчёт −20,00\u{a0}₽)",
        "Итого к оплате: 2\u{a0}742,81\u{a0}₽",
    ] {
        assert!(bill.text.contains(part), "{part}: {}", bill.text);
    }
    c.press(&bill, &ru("bill.history"));
    let history = c.expect_key("bill.history_title").await;
    assert!(history.text.contains("октябрь 2026") && history.text.contains("ноябрь 2026"));
    c.press(&history, "10.2026");
    let oct_bill = c.expect_key("bill.title").await;
    assert!(oct_bill.text.contains("октябрь 2026") && oct_bill.text.contains("150,00"));
    // An older bill is not offered to pay again.
    let labels: Vec<String> = oct_bill.inline_buttons().into_iter().map(|b| b.0).collect();
    assert!(
        !labels.contains(&ru("bill.qr")) && labels.contains(&ru("bill.receipt")),
        "{labels:?}"
    );

    // The receipt: a PDF whose text a reader finds the account, the period and the sum in.
    c.press(&bill, &ru("bill.receipt"));
    let doc = c.expect_document().await;
    let file = app
        .api
        .file(doc.document.as_deref().unwrap())
        .expect("the uploaded receipt");
    assert!(file.name.ends_with(".pdf") && file.bytes.starts_with(b"%PDF"));
    let text = pdf_text(&file.bytes);
    for part in [
        "100200300",
        "ноябрь 2026",
        "2 742,81",
        "Электроэнергия (день)",
        "ПАО Сбербанк",
        "ул. Ленина",
    ] {
        assert!(text.contains(part), "{part} is not in the receipt:\n{text}");
    }
    // The code printed on it scans back to exactly the ГОСТ string for this bill…
    let expected =
        kabinet::receipt::payment_text(&app.config(), "100200300", Period { year: 2026, month: 11 }, 274_281).unwrap();
    assert_eq!(scan(&pdf_page(&file.bytes)), expected);
    // …and so does the QR code alone, sent as a picture to pay from another phone.
    c.press(&bill, &ru("bill.qr"));
    let photo = c.expect_key("bill.qr_caption").await;
    let picture = app.api.file(photo.document.as_deref().unwrap()).unwrap();
    assert_eq!(
        picture.mime, "image/png",
        "a picture, shown as one, not a file to download"
    );
    assert_eq!(scan(&picture.bytes), expected);
    assert!(expected.contains("|PersAcc=100200300|Sum=274281|"), "{expected}");

    // «Вопрос по начислению»: an appeal on the charges' topic, the account and period filled in.
    c.press(&bill, &ru("bill.question"));
    let q = c.expect_key("ticket.text_q").await;
    assert!(!q.text.is_empty());
}

/// What `pdftotext` (poppler) reads from the PDF.
fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext is installed (poppler-utils; .ci/run installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().replace('\u{a0}', " ")
}

/// The page as a grey picture, as printed (`pdftoppm`, poppler).
fn pdf_page(bytes: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftoppm")
        .args(["-png", "-gray", "-r", "300", "-singlefile"])
        .arg(&path)
        .output()
        .expect("pdftoppm is installed (poppler-utils)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// What a banking app's scanner reads from the picture.
fn scan(png_bytes: &[u8]) -> String {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes.to_vec()))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    // Grey or RGB (what pdftoppm writes): the first channel of each pixel.
    let (line, px) = (info.line_size, info.line_size / w);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * line + x * px]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_bill_is_pushed_once_per_account_and_period_and_can_be_turned_off() {
    let app = TestApp::spawn().await;
    let store = app.store().await;
    import_samples(&app).await;
    let mut c = app.user(9341);
    register_confirmed(&app, &mut c, &IVANOV).await;
    add_by_meter(&mut c, "100200300", "ЭЛ-001", "account.name_flat").await;
    let config = app.config();
    // November's bill was there before the account was linked: nothing to tell.
    assert_eq!(
        kabinet::worker::bills::new_bills(&store, &config, app.clock.now())
            .await
            .unwrap(),
        0
    );

    app.clock.advance(Duration::minutes(1));
    let dec = Period { year: 2026, month: 12 };
    let december = october_as(dec, "500,00");
    let s = kabinet::import::charges(&store, dec, &december, &Options::default(), app.clock.now())
        .await
        .unwrap();
    assert!(s.clean(), "{}", s.report());
    assert_eq!(
        kabinet::worker::bills::new_bills(&store, &config, app.clock.now())
            .await
            .unwrap(),
        1
    );
    let push = c.expect_key("bill.new").await;
    assert!(
        push.text.contains("декабрь 2026") && push.text.contains("500,00"),
        "{}",
        push.text
    );
    // Once: again, or the period's file changed and imported again, tells nothing new.
    assert_eq!(
        kabinet::worker::bills::new_bills(&store, &config, app.clock.now())
            .await
            .unwrap(),
        0
    );
    let changed = october_as(dec, "510,00");
    kabinet::import::charges(&store, dec, &changed, &Options::default(), app.clock.now())
        .await
        .unwrap();
    assert_eq!(
        kabinet::worker::bills::new_bills(&store, &config, app.clock.now())
            .await
            .unwrap(),
        0
    );
    // The push opens the bill.
    c.press(&push, &ru("bill.open"));
    let bill = c.expect_key("bill.title").await;
    assert!(bill.text.contains("510,00"), "{}", bill.text);

    // «Профиль» → «Напоминания»: new bills off, then January tells nothing.
    c.send(&ru("menu.profile"));
    let profile = c.expect_key("profile.card").await;
    c.press(&profile, &ru("profile.reminders"));
    let reminders = c.expect_key("profile.reminders_q").await;
    c.press_containing(&reminders, &ru("profile.notify_bills"));
    let after = c.expect_key("profile.reminders_q").await;
    let label = format!("{}: {}", ru("profile.notify_bills"), ru("profile.off"));
    assert!(
        after.inline_buttons().iter().any(|(t, _)| *t == label),
        "{:?}",
        after.inline_buttons()
    );
    // The old list's button, pressed again, does what its label said (off), not the opposite.
    c.press_containing(&reminders, &ru("profile.notify_bills"));
    let again = c.expect_key("profile.reminders_q").await;
    assert!(
        again.inline_buttons().iter().any(|(t, _)| *t == label),
        "{:?}",
        again.inline_buttons()
    );
    let jan = Period { year: 2027, month: 1 };
    kabinet::import::charges(
        &store,
        jan,
        &october_as(jan, "600,00"),
        &Options::default(),
        app.clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(
        kabinet::worker::bills::new_bills(&store, &config, app.clock.now())
            .await
            .unwrap(),
        0
    );
    assert!(
        !c.transcript()
            .lines()
            .any(|l| is_text_of(l, "bill.new") && l.contains("январь")),
        "no push for January"
    );
}

/// A one-service bill of `period` for account 100200300, `due` to pay.
fn october_as(period: Period, due: &str) -> Vec<u8> {
    format!(
        "ЛС;Сальдо на начало;Услуга;Объем;Ед. изм.;Тариф;Начислено;Перерасчет;Льгота;Оплачено;Пени;К оплате;Срок оплаты\n\
         100200300;0,00;Электроэнергия;;;;{due};;;;;{due};10.{:02}.{}\n",
        period.next().month,
        period.next().year
    )
    .into_bytes()
}

/// The back office's command over the binary, on the bot's database: its standard output.
fn kabinet(e: &crate::e2e::E2e, args: &[&str], file: Option<&std::path::Path>) -> String {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kabinet"));
    cmd.args(["--database-url", &e.db_url()])
        .args(args)
        .env("RUST_LOG", "warn");
    if let Some(f) = file {
        cmd.arg(f);
    }
    let out = cmd.output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "kabinet {args:?}: {said}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The whole loop as the utility runs it, over the real binary: the registry and November's
/// charges imported by the back-office commands while the bot runs, the account linked, its
/// bill seen, the receipt downloaded, a reading sent for the account, the export naming the
/// account, December imported, and the «Готова квитанция» push arriving once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_link_bill_receipt_readings_export_and_the_next_bill_over_the_binary() {
    let mut env: Vec<(&str, &str)> = vec![("ORG_NAME", "АО «Энергосбыт»")];
    let names = [
        "ORG_INN",
        "ORG_KPP",
        "BANK_NAME",
        "BANK_BIC",
        "BANK_ACCOUNT",
        "BANK_CORR_ACCOUNT",
    ];
    for (name, pair) in names.iter().zip(PAYMENT_DETAILS.chunks(2)) {
        env.push((name, pair[1]));
    }
    let e = crate::e2e::E2e::start(&env).await;
    let out = kabinet(&e, &["import", "accounts"], Some(&sample("accounts.csv")));
    assert!(
        out.contains("accounts: 4 added") && out.contains("meters: 5 added"),
        "{out}"
    );
    let out = kabinet(
        &e,
        &["import", "charges", "--period", "2026-11"],
        Some(&sample("charges-2026-11.csv")),
    );
    assert!(out.contains("new bills: 0 messages queued"), "nobody linked yet: {out}");

    let mut c = e.user(20_901);
    let letter = crate::e2e::register(&e, &mut c).await;
    c.send(&crate::helpers::code_in(&letter));
    c.expect_key("menu.title").await;
    let card = add_by_meter(&mut c, "100200300", "ЭЛ-001", "account.name_flat").await;
    c.press(&card, &ru("account.charges"));
    let bill = c.expect_key("bill.title").await;
    assert!(bill.text.contains("2\u{a0}742,81"), "{}", bill.text);
    c.press(&bill, &ru("bill.receipt"));
    let doc = c.expect_document().await;
    let pdf = e.api.file(doc.document.as_deref().unwrap()).unwrap().bytes;
    let text = pdf_text(&pdf);
    assert!(text.contains("100200300") && text.contains("2 742,81"), "{text}");

    c.press(&card, &ru("account.readings"));
    let which = c.expect_key("meters.which").await;
    c.press_containing(&which, "ХВ-001");
    c.expect_key("reading.q").await;
    c.send("130,5");
    c.expect_key("reading.accepted").await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("readings.csv");
    let today = chrono::Utc::now() + Duration::hours(3);
    let period = kabinet::domain::meters::Window {
        first_day: 15,
        last_day: 25,
    }
    .period_for(today.date_naive());
    kabinet(
        &e,
        &[
            "export",
            "readings",
            "--period",
            &period.key(),
            "--out",
            csv.to_str().unwrap(),
        ],
        None,
    );
    let exported = std::fs::read_to_string(&csv).unwrap();
    let row = exported
        .lines()
        .find(|l| l.contains("ХВ-001"))
        .expect("the reading is exported");
    assert!(row.contains("130.5") && row.ends_with(",100200300"), "{exported}");

    // December's bill: told once, whatever is imported again.
    let december = dir.path().join("charges-2026-12.csv");
    std::fs::write(&december, october_as(Period { year: 2026, month: 12 }, "812,40")).unwrap();
    let out = kabinet(&e, &["import", "charges", "--period", "2026-12"], Some(&december));
    assert!(out.contains("new bills: 1 message queued"), "{out}");
    let push = c.expect_key("bill.new").await;
    assert!(
        push.text.contains("декабрь 2026") && push.text.contains("812,40"),
        "{}",
        push.text
    );
    let out = kabinet(&e, &["import", "charges", "--period", "2026-12"], Some(&december));
    assert!(out.contains("new bills: 0 messages queued"), "{out}");
    c.press(&push, &ru("bill.open"));
    c.expect_key("bill.title").await;
    let pushes = c
        .transcript()
        .lines()
        .filter(|l| l.contains("Готова квитанция"))
        .count();
    assert_eq!(pushes, 1, "{}", c.transcript());
}

/// «Вопрос по начислению» from the account's card up to its summary: the topic, the address and
/// no meter filled in, so the text is asked first and then straight the files.
pub async fn bill_question(c: &mut Client, card: &tgmock::BotMessage, text: &str) -> tgmock::BotMessage {
    c.press(card, &ru("account.charges"));
    let bill = c.expect_key("bill.title").await;
    c.press(&bill, &ru("bill.question"));
    c.expect_key("ticket.text_q").await;
    c.send(text);
    let q = c.expect_key("ticket.files_q").await;
    c.press(&q, &ru("common.skip"));
    let q = c.expect_key("ticket.email_q").await;
    c.press(&q, &ru("ticket.email_no"));
    c.expect_key("ticket.summary").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_about_a_bill_reaches_the_desk_with_the_account() {
    let app = crate::flows::desk::desk_app().await;
    let mut group = crate::helpers::Group::new(&app);
    import_samples(&app).await;
    let mut c = app.user(9351);
    register_confirmed(&app, &mut c, &IVANOV).await;
    let card = add_by_meter(&mut c, "100200300", "ЭЛ-001", "account.name_flat").await;
    let summary = bill_question(&mut c, &card, "Почему за воду начислено больше, чем по счётчику?").await;
    for part in [
        format!("{}: 100200300", ru("ticket.f.account")),
        format!("{}: ноябрь 2026", ru("ticket.f.period")),
        format!("{}: {}", ru("ticket.f.topic"), ru("topic.appeal.charges")),
        format!("{}: г. Город, ул. Ленина, д. 1, кв. 2", ru("ticket.f.address")),
    ] {
        assert!(summary.text.contains(&part), "{part}: {}", summary.text);
    }
    c.press(&summary, &ru("req.send"));
    c.expect_key("ticket.sent.appeal").await;
    let card = group.expect_card(&app, &no("О-2026-000001")).await;
    assert!(
        card.text.contains(&format!("{}: 100200300", ru("ticket.f.account"))),
        "{}",
        card.text
    );
    // …and so does /item in the operator's private chat.
    let mut op = crate::helpers::Client::new(
        app.api.clone(),
        tgmock::TgUser::new(crate::flows::desk::OPERATOR, "Мария"),
    );
    op.send(&no("/item О-2026-000001"));
    let item = op.expect(&no("О-2026-000001")).await;
    assert!(item.text.contains("100200300"), "{}", item.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debt_reminder_comes_before_the_due_date_once_and_only_when_turned_on() {
    let app = TestApp::spawn_with(&["--debt-reminder-days", "5"]).await;
    // November's bill is due on 10.12.2026: the 7th is within five days of it.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-07T09:00:00Z")
            .unwrap()
            .to_utc(),
    );
    let store = app.store().await;
    let config = app.config();
    import_samples(&app).await;
    let mut c = app.user(9361);
    register_confirmed(&app, &mut c, &IVANOV).await;
    add_by_meter(&mut c, "100200300", "ЭЛ-001", "account.name_flat").await;
    let run = || kabinet::worker::bills::run_once(&store, &config, app.clock.now());
    assert_eq!(run().await.unwrap(), 0, "off unless the consumer turns it on");

    c.send(&ru("menu.profile"));
    let profile = c.expect_key("profile.card").await;
    c.press(&profile, &ru("profile.reminders"));
    let reminders = c.expect_key("profile.reminders_q").await;
    let off = format!("{}: {}", ru("profile.remind_debt"), ru("profile.off"));
    assert!(
        reminders.inline_buttons().iter().any(|(t, _)| *t == off),
        "off by default"
    );
    c.press(&reminders, &off);
    c.expect_key("profile.reminders_q").await;
    assert_eq!(run().await.unwrap(), 1);
    let debt = c.expect_key("bill.debt").await;
    assert!(
        debt.text.contains("2\u{a0}742,81") && debt.text.contains("10.12.2026"),
        "{}",
        debt.text
    );
    assert_eq!(run().await.unwrap(), 0, "once per bill");
}

/// A bill of many services still makes one page: the lines that do not fit are counted and
/// sent to the bot; the totals and the code stay.
#[test]
fn a_long_bill_stays_on_one_page() {
    use kabinet::store::bills::{BillRow, LineRow};
    let config = kabinet::config::Config::from_flags(
        ["--org-name", "АО «Энергосбыт»"]
            .iter()
            .copied()
            .chain(PAYMENT_DETAILS.iter().copied()),
    )
    .unwrap();
    let lines: Vec<LineRow> = (1..=40)
        .map(|i| LineRow {
            service: format!("Услуга номер {i} с длинным названием, которое не помещается в одну строку таблицы"),
            volume: Some(1000 * i),
            unit: Some("м³".into()),
            tariff: Some("48,30".into()),
            amount: 4830 * i,
            recalculation: 0,
            benefit: 0,
        })
        .collect();
    let charged: i64 = lines.iter().map(|l| l.amount).sum();
    let bill = BillRow {
        id: 1,
        period: "2026-11".into(),
        opening: 0,
        charged,
        recalculation: 0,
        benefit: 0,
        paid: 0,
        penalty: 0,
        due: charged,
        due_date: None,
        imported_at: chrono::Utc::now(),
    };
    let pdf = kabinet::receipt::pdf::for_bill(&kabinet::receipt::pdf::Source {
        config: &config,
        loc: "ru",
        number: "100200300",
        address: "г. Город, ул. Ленина, д. 1, кв. 2",
        holder: None,
        period: Period { year: 2026, month: 11 },
        bill: &bill,
        lines: &lines,
        pay: Some(charged),
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let info = std::process::Command::new("pdfinfo").arg(&path).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    assert!(
        info.lines().any(|l| l.starts_with("Pages:") && l.ends_with(" 1")),
        "{info}"
    );
    let text = pdf_text(&pdf);
    assert!(
        text.contains("и ещё строк:") && text.contains("Итого к оплате"),
        "{text}"
    );
    let expected =
        kabinet::receipt::payment_text(&config, "100200300", Period { year: 2026, month: 11 }, charged).unwrap();
    assert_eq!(scan(&pdf_page(&pdf)), expected);
}

/// Two ways round the limit, closed: a right proof of one's own account does not reset the
/// count, and «0» does not prove an account whose last bill has nothing due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_count_is_not_reset_by_ones_own_account_and_nothing_due_proves_nothing() {
    let app = TestApp::spawn().await;
    import_samples(&app).await;
    let store = app.store().await;
    let paid_up =
        "ЛС;Сальдо на начало;Услуга;Начислено;Оплачено;К оплате\n100200301;510,85;Электроэнергия;0,00;510,85;0,00\n";
    let dec = Period { year: 2026, month: 12 };
    let s = kabinet::import::charges(&store, dec, paid_up.as_bytes(), &Options::default(), app.clock.now())
        .await
        .unwrap();
    assert!(s.clean(), "{}", s.report());
    let mut c = app.user(9371);
    register_confirmed(&app, &mut c, &IVANOV).await;
    add_by_meter(&mut c, "100200300", "ЭЛ-001", "account.name_flat").await;

    // «0» for the paid-up account: wrong, like any wrong amount.
    start_adding(&mut c, "100200301").await;
    let q = c.expect_key("account.proof_q").await;
    c.press(&q, &ru("account.proof_bill"));
    c.expect_key("account.proof_bill_q").await;
    c.send("0");
    c.expect_key("account.proof_wrong").await;
    for _ in 0..3 {
        c.expect_key("account.proof_bill_q").await;
        c.send("1,00");
        c.expect_key("account.proof_wrong").await;
    }
    c.expect_key("account.proof_bill_q").await;
    // Four tries; one's own account is said to be there already, without a proof…
    start_adding(&mut c, "100200300").await;
    c.expect_key("account.already").await;
    c.expect_key("account.card").await;
    // …and takes nothing back: the fifth wrong try locks.
    start_adding(&mut c, "100200301").await;
    let q = c.expect_key("account.proof_q").await;
    c.press(&q, &ru("account.proof_bill"));
    c.expect_key("account.proof_bill_q").await;
    c.send("2,00");
    c.expect_key("account.proof_locked").await;
}

/// Ten wrong proofs for one number in a day, from anyone: the number is refused for the day
/// with words that say so, and the rightful holder's own count is not touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_guessed_at_is_refused_for_the_day_without_locking_its_holder() {
    let app = TestApp::spawn().await;
    import_samples(&app).await;
    let store = app.store().await;
    for _ in 0..kabinet::policy::ACCOUNT_PROOF_FAILURES_PER_DAY {
        store
            .rate_add("acc-proof-n:100200300", app.clock.now(), Duration::days(1))
            .await
            .unwrap();
    }
    let mut c = app.user(9381);
    register_confirmed(&app, &mut c, &IVANOV).await;
    start_adding(&mut c, "100200300").await;
    let q = c.expect_key("account.proof_q").await;
    c.press(&q, &ru("account.proof_meter"));
    c.expect_key("account.proof_meter_q").await;
    c.send("ЭЛ-001");
    c.expect_key("account.proof_number_locked").await;
    // The next day it links.
    app.clock.advance(Duration::hours(25));
    add_by_meter(&mut c, "100200300", "ЭЛ-001", "account.name_flat").await;
}

/// A meter typed by hand before the account is taken over by it (one meter, marked with the
/// account), the payments imported since the bill lower the balance to nothing and then to an
/// overpayment, and «Оплатить онлайн» opens PAYMENT_LINK filled with the account, what is
/// still owed and the period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_meter_is_taken_over_payments_lower_the_balance_and_the_payment_link_is_filled() {
    use crate::flows::meters::{FLAT_ELECTRIC, NewMeter, add_meter};
    let app = TestApp::spawn_with(&[
        "--payment-link",
        "https://pay.example.ru/?ls={account}&sum={sum}&p={period}",
    ])
    .await;
    let store = app.store().await;
    import_samples(&app).await;
    let mut c = app.user(9391);
    register_confirmed(&app, &mut c, &IVANOV).await;
    add_meter(
        &mut c,
        &NewMeter {
            serial: "ЭЛ-001",
            ..FLAT_ELECTRIC
        },
    )
    .await;
    let card = add_by_meter(&mut c, "100200300", "ЭЛ-001", "account.name_flat").await;
    assert!(card.text.contains("2\u{a0}742,81"), "{}", card.text);
    c.send(&ru("menu.meters"));
    let list = c.expect_key("meters.choose").await;
    assert_eq!(
        list.text.matches("ЭЛ-001").count(),
        1,
        "taken over, not doubled: {}",
        list.text
    );
    assert!(list.text.contains("ЛС 100200300"), "{}", list.text);

    // Payments count from the day after the bill's import (one made before may be in it):
    // two days on, 1 000,00 paid the day after: 1 742,81 left, and the link asks for that.
    let day_after = (app.config().today(app.clock.now()) + Duration::days(1))
        .format("%d.%m.%Y")
        .to_string();
    app.clock.advance(Duration::days(2));
    let pay = |rows: &str| {
        let csv = format!(
            "ЛС;Дата оплаты;Сумма;Номер документа\n{}\n",
            rows.replace("{day}", &day_after)
        );
        let (store, now) = (store.clone(), app.clock.now());
        async move {
            let s = kabinet::import::payments(&store, csv.as_bytes(), &Options::default(), now)
                .await
                .unwrap();
            assert!(s.clean(), "{}", s.report());
        }
    };
    pay("100200300;{day};1 000,00;ПП-5521").await;
    c.send(&ru("menu.accounts"));
    let list = c.expect_key("account.list_title").await;
    c.press_containing(&list, "100200300");
    let card = c.expect_key("account.card").await;
    assert!(card.text.contains("1\u{a0}742,81"), "{}", card.text);
    c.press(&card, &ru("account.charges"));
    let bill = c.expect_key("bill.title").await;
    let markup = bill.reply_markup.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(
        markup.contains("https://pay.example.ru/?ls=100200300&sum=1742.81&p=2026-11"),
        "{markup}"
    );

    // The rest paid, then 100,00 more: nothing owed, then an overpayment; nothing to pay online.
    pay("100200300;{day};1 742,81;ПП-5610").await;
    c.press(&bill, &ru("account.to_card"));
    c.expect_key("account.nothing_owed").await;
    pay("100200300;{day};100,00;ПП-5700").await;
    c.send(&ru("menu.accounts"));
    let list = c.expect_key("account.list_title").await;
    c.press_containing(&list, "100200300");
    let card = c.expect_key("account.overpaid").await;
    assert!(card.text.contains("100,00"), "{}", card.text);
    c.press(&card, &ru("account.charges"));
    let bill = c.expect_key("bill.title").await;
    let markup = bill.reply_markup.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(
        !markup.contains("pay.example.ru"),
        "nothing owed, nothing to pay: {markup}"
    );
}

/// Two holders of one account read one physical meter: the second is shown what the first
/// sent for the period and replaces it, the billing's export has one row for it (the latest),
/// and the first holder's list shows the latest value too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_holders_of_an_account_share_its_meters_readings_and_billing_gets_one() {
    let app = TestApp::spawn().await;
    import_samples(&app).await;
    let mut first = app.user(9341);
    register_confirmed(&app, &mut first, &IVANOV).await;
    let card = add_by_meter(&mut first, "100200300", "ХВ-001", "account.name_flat").await;
    first.press(&card, &ru("account.readings"));
    let which = first.expect_key("meters.which").await;
    first.press_containing(&which, "ХВ-001");
    first.expect_key("reading.q").await;
    first.send("125");
    let accepted = first.expect_key("reading.accepted").await;

    let mut second = app.user(9342);
    let login = crate::helpers::snils(123_456_701);
    let petrova = Person {
        login: &login,
        email: "petrova2@example.ru",
        ..IVANOV
    };
    register_confirmed(&app, &mut second, &petrova).await;
    let card = add_by_meter(&mut second, "100200300", "ХВ-001", "account.name_flat").await;
    second.press(&card, &ru("account.readings"));
    let which = second.expect_key("meters.which").await;
    second.press_containing(&which, "ХВ-001");
    let sent = second.expect(&crate::helpers::ru_head("reading.already_sent")).await;
    assert!(sent.text.contains("125"), "the first holder's reading: {}", sent.text);
    second.expect_key("reading.q").await;
    second.send("126");
    let q = second.expect(&crate::helpers::ru_head("reading.replace_warn")).await;
    second.press(&q, &ru("reading.confirm"));
    second.expect_key("reading.accepted").await;

    // The first holder adds a photo to what they sent, replaced since: it is theirs, kept with
    // their reading (not «not found»).
    first.press(&accepted, &ru("reading.add_photo"));
    first.expect_key("reading.photo_q").await;
    first.photo();
    first.expect_key("reading.photo_saved").await;
    let store = app.store().await;
    let (photos,): (i64,) = kabinet::store::sql::query_as(
        "SELECT COUNT(*) FROM readings r JOIN meters m ON m.id = r.meter_id
         WHERE m.consumer_id = $1 AND r.value_milli = 125000 AND r.photo_file_id IS NOT NULL",
    )
    .bind(app.consumer_of(9341).await)
    .fetch_one(&store.pool)
    .await
    .unwrap();
    assert_eq!(photos, 1, "the photo is on the first holder's reading");
    let csv = export_this_period(&app).await;
    let rows: Vec<&str> = csv.lines().filter(|l| l.contains("ХВ-001")).collect();
    assert_eq!(rows.len(), 1, "one reading of the meter for the billing: {csv}");
    assert!(rows[0].contains(&login) && rows[0].contains(",126"), "{csv}");
    // Nobody is reminded of a meter another holder has sent for.
    let period = app
        .config()
        .readings_window()
        .period_for(app.config().today(app.clock.now()));
    let due = store.due_reading_reminders(&period.key()).await.unwrap();
    assert!(
        due.iter().all(|d| d.serial != "ХВ-001"),
        "{:?}",
        due.iter().map(|d| &d.serial).collect::<Vec<_>>()
    );
    let last = store.last_values(app.consumer_of(9341).await).await.unwrap();
    assert!(
        last.iter()
            .any(|v| v.value == kabinet::domain::quantity::Quantity(126_000)),
        "the first holder sees the latest: {last:?}"
    );
}

/// `kabinet export readings` of the period readings go to now.
async fn export_this_period(app: &TestApp) -> String {
    let period = app
        .config()
        .readings_window()
        .period_for(app.config().today(app.clock.now()));
    let mut out = Vec::new();
    kabinet::cli::export_readings(&app.store().await, &period.key(), &mut out)
        .await
        .unwrap();
    String::from_utf8(out).unwrap()
}
