//! `kabinet import accounts` over the binary, on the repository's sample files: both encodings
//! read alike, the same file twice changes nothing, a refused row leaves everything as it was
//! (or, with --allow-partial, only the good rows go in), what is gone is withdrawn, unknown
//! headers are named and a mapping file maps them.

use crate::db::TestDb;
use kabinet::store::Store;
use kabinet::store::sql;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/billing").join(name)
}

fn import(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args(["--database-url", db, "import", "accounts"])
        .args(args)
        .env_remove("TELOXIDE_TOKEN")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run kabinet")
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn count(store: &Store, sql: &str) -> i64 {
    sql::query_scalar::<i64>(sql.to_owned())
        .fetch_one(&store.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_imports_once_in_either_encoding_and_withdraws_what_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(dir.path(), "k.db").await;
    let utf8 = sample("accounts.csv").display().to_string();
    let out = import(&db.url, &[&utf8]);
    assert!(out.status.success(), "{}", said(&out));
    let text = said(&out);
    assert!(text.contains("(utf-8)"), "{text}");
    assert!(
        text.contains("accounts: 4 added, 0 updated, 0 unchanged, 0 withdrawn"),
        "{text}"
    );
    assert!(
        text.contains("meters: 5 added, 0 updated, 0 unchanged, 0 withdrawn"),
        "{text}"
    );
    let store = Store::open(&db.url).await.unwrap();
    let (id, address, withdrawn) = store.account_by_number("100200300").await.unwrap().unwrap();
    assert_eq!(
        (address.as_str(), withdrawn),
        ("г. Город, ул. Ленина, д. 1, кв. 2", false)
    );
    let meters: Vec<String> = store
        .account_meters(id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(meters, ["ГВ-001", "ХВ-001", "ЭЛ-001"]);
    let (t1, t2, on): (Option<i64>, Option<i64>, Option<chrono::NaiveDate>) =
        sql::query_as("SELECT last_1, last_2, last_on FROM account_meters WHERE serial = 'ЭЛ-001'")
            .fetch_one(&store.pool)
            .await
            .unwrap();
    assert_eq!(
        (t1, t2, on),
        (
            Some(12_345_600),
            Some(6_000_000),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
        )
    );
    let contract: String = sql::query_scalar("SELECT contract FROM accounts WHERE number = '200300400'")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(contract, "organisation");

    // The same registry in Windows-1251: read alike, nothing changes.
    let cp1251 = sample("accounts-1251.csv").display().to_string();
    let out = import(&db.url, &[&cp1251]);
    let text = said(&out);
    assert!(out.status.success() && text.contains("(windows-1251)"), "{text}");
    assert!(
        text.contains("accounts: 0 added, 0 updated, 4 unchanged, 0 withdrawn"),
        "{text}"
    );
    assert!(
        text.contains("meters: 0 added, 0 updated, 5 unchanged, 0 withdrawn"),
        "{text}"
    );

    // The next registry: an address corrected, a new reading, a meter and an account gone
    // (withdrawn, kept).
    let next = dir.path().join("next.csv");
    let body = std::fs::read_to_string(sample("accounts.csv")).unwrap();
    let body: String = body
        .lines()
        .filter(|l| !l.contains("ГВ-001") && !l.contains("200300401"))
        .map(|l| {
            l.replace("пр-т Мира, д. 10", "пр-т Мира, д. 10, оф. 5")
                .replace("12345,6", "12400,0")
                + "\n"
        })
        .collect();
    std::fs::write(&next, body).unwrap();
    let out = import(&db.url, &[&next.display().to_string()]);
    let text = said(&out);
    assert!(
        text.contains("accounts: 0 added, 1 updated, 2 unchanged, 1 withdrawn"),
        "{text}"
    );
    assert!(
        text.contains("meters: 0 added, 1 updated, 3 unchanged, 1 withdrawn"),
        "{text}"
    );
    let t1: Option<i64> = sql::query_scalar("SELECT last_1 FROM account_meters WHERE serial = 'ЭЛ-001'")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(t1, Some(12_400_000));
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM account_meters").await,
        5,
        "never deleted"
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM accounts WHERE withdrawn_at IS NOT NULL").await,
        1
    );
    // Back in a later registry: no longer withdrawn.
    let out = import(&db.url, &[&utf8]);
    assert!(
        said(&out).contains("accounts: 0 added, 2 updated, 2 unchanged, 0 withdrawn"),
        "{}",
        said(&out)
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM account_meters WHERE withdrawn_at IS NOT NULL"
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_row_changes_nothing_unless_partial_and_headers_map() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(dir.path(), "k.db").await;
    let good = import(&db.url, &[&sample("accounts.csv").display().to_string()]);
    assert!(good.status.success(), "{}", said(&good));
    let store = Store::open(&db.url).await.unwrap();

    // A new account, a bad resource on a known one's meter, a bad account number.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "ЛС;Адрес;Заводской номер;Услуга\n\
         300400500;г. Город, ул. Новая, 1;ЭЛ-300;ЭЭ\n\
         100200301;г. Город, ул. Садовая, д. 3;ГАЗ-1;Газ\n\
         12;г. Город;;\n",
    )
    .unwrap();
    let out = import(&db.url, &[&bad.display().to_string()]);
    let text = said(&out);
    assert!(!out.status.success(), "refused rows fail the command: {text}");
    assert!(
        text.contains("line 3: meter ГАЗ-1") && text.contains("line 4: «12» is not an account number"),
        "{text}"
    );
    assert!(text.contains("nothing applied"), "{text}");
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM accounts").await,
        4,
        "all or nothing"
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM accounts WHERE withdrawn_at IS NOT NULL").await,
        0
    );

    // --allow-partial: the good row goes in; the account whose row was refused is not taken
    // for gone, the others absent from this file are.
    let out = import(&db.url, &[&bad.display().to_string(), "--allow-partial"]);
    let text = said(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("accounts: 1 added, 1 updated, 0 unchanged, 3 withdrawn"),
        "{text}"
    );
    let (_, _, withdrawn) = store.account_by_number("100200301").await.unwrap().unwrap();
    assert!(!withdrawn);
    assert!(store.account_by_number("300400500").await.unwrap().is_some());

    // Headers billing names its own way: the error names what it found; a mapping file maps it.
    let own = dir.path().join("own.csv");
    std::fs::write(&own, "Номер договора,Адрес\n400500600,\"г. Город, ул. Лесная, 7\"\n").unwrap();
    let out = import(&db.url, &[&own.display().to_string()]);
    let text = said(&out);
    assert!(
        !out.status.success() && text.contains("account") && text.contains("Номер договора"),
        "{text}"
    );
    let out = import(
        &db.url,
        &[
            &own.display().to_string(),
            "--mapping",
            &sample("mapping.txt").display().to_string(),
            "--allow-partial",
        ],
    );
    assert!(said(&out).contains("accounts: 1 added"), "{}", said(&out));
    let (_, address, _) = store.account_by_number("400500600").await.unwrap().unwrap();
    assert_eq!(address, "г. Город, ул. Лесная, 7");
}

/// The period's bills on the sample registry: checked to the kopeck, the same file twice changes
/// nothing, a corrected file replaces what changed, an account the registry lacks is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_periods_bills_import_checked_to_the_kopeck() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(dir.path(), "k.db").await;
    assert!(
        import(&db.url, &[&sample("accounts.csv").display().to_string()])
            .status
            .success()
    );
    let charges = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kabinet"))
            .args(["--database-url", &db.url, "import", "charges", "--period", "2026-11"])
            .args(args)
            .env_remove("TELOXIDE_TOKEN")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let file = sample("charges-2026-11.csv").display().to_string();
    let out = charges(&[&file]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("bills: 3 added, 0 updated, 0 unchanged"),
        "{}",
        said(&out)
    );
    let store = Store::open(&db.url).await.unwrap();
    let (due, charged, lines): (i64, i64, i64) = sql::query_as(
        "SELECT b.due, b.charged, (SELECT COUNT(*) FROM bill_lines l WHERE l.bill_id = b.id)
         FROM bills b JOIN accounts a ON a.id = b.account_id WHERE a.number = '100200300' AND b.period = '2026-11'",
    )
    .fetch_one(&store.pool)
    .await
    .unwrap();
    assert_eq!((due, charged, lines), (274_281, 276_281, 5), "kopecks, never floats");
    let out = charges(&[&file]);
    assert!(
        said(&out).contains("bills: 0 added, 0 updated, 3 unchanged"),
        "{}",
        said(&out)
    );

    // A corrected bill replaces the old; a bill that does not add up, or of an account the
    // registry lacks, is refused with its line, and then nothing changes.
    let text = std::fs::read_to_string(sample("charges-2026-11.csv")).unwrap();
    let fixed = dir.path().join("fixed.csv");
    std::fs::write(
        &fixed,
        text.replace("610,85;;100,00;;;510,85", "610,85;;110,00;;;500,85"),
    )
    .unwrap();
    let out = charges(&[&fixed.display().to_string()]);
    assert!(
        said(&out).contains("bills: 0 added, 1 updated, 2 unchanged"),
        "{}",
        said(&out)
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM bill_lines").await,
        7,
        "lines replaced, not added"
    );
    let wrong = dir.path().join("wrong.csv");
    let mut body = text.replace("12,34;12,34", "12,34;99,99");
    body.push_str("999888777;0;Электроэнергия;1;кВт·ч;1;1,00;;;;;1,00;\r\n");
    std::fs::write(&wrong, body).unwrap();
    let out = charges(&[&wrong.display().to_string()]);
    let text = said(&out);
    assert!(!out.status.success() && text.contains("nothing applied"), "{text}");
    assert!(
        text.contains("line 8: account 200300400: the amount due is 99,99"),
        "{text}"
    );
    assert!(
        text.contains("line 9: account 999888777 is not in the registry"),
        "{text}"
    );
    let due: i64 = sql::query_scalar(
        "SELECT due FROM bills b JOIN accounts a ON a.id = b.account_id WHERE a.number = '200300400'",
    )
    .fetch_one(&store.pool)
    .await
    .unwrap();
    assert_eq!(due, 1_234);
}

/// Import → bill → the receipt's payment QR code over the binary: the picture scans back to
/// exactly the ГОСТ text, with the bill's amount due in kopecks; without payment details it
/// says which to set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_bill_gets_a_payment_qr_code_that_scans() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(dir.path(), "k.db").await;
    assert!(
        import(&db.url, &[&sample("accounts.csv").display().to_string()])
            .status
            .success()
    );
    let charges = Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args(["--database-url", &db.url, "import", "charges", "--period", "2026-11"])
        .arg(sample("charges-2026-11.csv"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(charges.status.success(), "{}", said(&charges));
    let png = dir.path().join("qr.png");
    let qr = |details: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kabinet"))
            .args(["--database-url", &db.url, "--org-name", "АО «Энергосбыт»"])
            .args(details)
            .args([
                "receipt",
                "qr",
                "--account",
                "100200300",
                "--period",
                "2026-11",
                "--out",
            ])
            .arg(&png)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let none = qr(&[]);
    assert!(
        !none.status.success() && said(&none).contains("BANK_BIC"),
        "{}",
        said(&none)
    );
    let out = qr(&[
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
    ]);
    assert!(out.status.success(), "{}", said(&out));
    let text = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(
        text.starts_with("ST00012|Name=АО «Энергосбыт»|PersonalAcc=40702810938000000001|"),
        "{text}"
    );
    assert!(
        text.contains("|PersAcc=100200300|Sum=274281|") && text.ends_with("|PaymPeriod=112026"),
        "{text}"
    );
    // What a banking app's scanner reads from the picture.
    let bytes = std::fs::read(&png).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids[0].decode().unwrap().1, text);
}

/// Payments between bills: added once (the same file twice changes nothing); an unknown
/// account or a zero amount is refused with its line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_between_bills_import_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(dir.path(), "k.db").await;
    assert!(
        import(&db.url, &[&sample("accounts.csv").display().to_string()])
            .status
            .success()
    );
    let payments = |file: &Path| {
        Command::new(env!("CARGO_BIN_EXE_kabinet"))
            .args(["--database-url", &db.url, "import", "payments"])
            .arg(file)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let file = sample("payments.csv");
    let out = payments(&file);
    assert!(
        out.status.success() && said(&out).contains("payments: 3 added, 0 updated, 0 unchanged"),
        "{}",
        said(&out)
    );
    let out = payments(&file);
    assert!(
        said(&out).contains("payments: 0 added, 0 updated, 3 unchanged"),
        "{}",
        said(&out)
    );
    let store = Store::open(&db.url).await.unwrap();
    assert_eq!(
        count(&store, "SELECT CAST(SUM(amount) AS BIGINT) FROM payments").await,
        325_366
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "ЛС;Дата;Сумма\n555666777;01.12.2026;10,00\n100200300;01.12.2026;0\n",
    )
    .unwrap();
    let out = payments(&bad);
    let text = said(&out);
    assert!(
        !out.status.success() && text.contains("line 2: account 555666777") && text.contains("line 3: «0»"),
        "{text}"
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM payments").await, 3);
}
