//! The binary's back-office commands, run as a separate process on a database file.

use kabinet::domain::meters::{Period, Resource};
use kabinet::domain::quantity::Quantity;
use kabinet::store::Store;
use kabinet::store::meters::NewMeter;
use kabinet::store::sql;
use std::process::Command;

fn kabinet(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args(["--database-url", db])
        .args(args)
        .env_remove("TELOXIDE_TOKEN")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run kabinet")
}

fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_add_list_remove() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    ok(&kabinet(&db, &["operator", "add", "12345", "--name", "Мария"]));
    ok(&kabinet(&db, &["operator", "add", "777"]));
    let list = ok(&kabinet(&db, &["operator", "list"]));
    let lines: Vec<_> = list.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with("777\t") && lines[1].starts_with("12345\tМария\t"),
        "{list}"
    );
    ok(&kabinet(&db, &["operator", "remove", "777"]));
    let out = kabinet(&db, &["operator", "remove", "777"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("is not an operator"));
    assert_eq!(ok(&kabinet(&db, &["operator", "list"])).lines().count(), 1);
}

async fn seeded(db: &str) -> Store {
    let store = Store::open(db).await.unwrap();
    let now = chrono::Utc::now();
    sql::query(
        "INSERT INTO consumers (id, kind, login, name, email, password_hash, status, created_at)
         VALUES (1, 'individual', '11223344595', 'Иванов Иван', 'a@example.ru', 'x', 'confirmed', $1)",
    )
    .bind(now)
    .execute(&store.pool)
    .await
    .unwrap();
    for (serial, resource, zones) in [("E-1", Resource::Electricity, 2u8), ("W-2", Resource::ColdWater, 1)] {
        let m = NewMeter {
            resource: Some(resource),
            serial: Some(serial.into()),
            place: Some("кухня".into()),
            address: Some("адрес".into()),
            zones: Some(zones),
            capacity: Some(resource.default_capacity()),
            next_verification: chrono::NaiveDate::from_ymd_opt(2031, 1, 1),
            initial: vec![Quantity(0); usize::from(zones)],
            ..Default::default()
        };
        store
            .add_meter(1, &m, Period { year: 2026, month: 10 }, now, None)
            .await
            .unwrap();
    }
    let nov = Period { year: 2026, month: 11 };
    store
        .save_reading(
            1,
            nov,
            &[(Quantity(1_500_000), false), (Quantity(700_500), false)],
            now,
            None,
        )
        .await
        .unwrap();
    store
        .save_reading(2, nov, &[(Quantity(12_345), false)], now, None)
        .await
        .unwrap();
    // A replaced reading and another month are not exported. The replacing one's consumption
    // looked implausible and the consumer confirmed it.
    let confirmed = kabinet::store::meters::ZoneValue {
        value: Quantity(12_400),
        rollover: false,
        outlier: true,
    };
    store.save_reading(2, nov, &[confirmed], now, None).await.unwrap();
    store
        .save_reading(
            2,
            Period { year: 2026, month: 12 },
            &[(Quantity(13_000), false)],
            now,
            None,
        )
        .await
        .unwrap();
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_export_for_the_billing_system() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let store = seeded(&db).await;
    // The operators accepted W-2; E-1 is still being checked.
    assert!(store.accept_meter(2, &[], chrono::Utc::now()).await.unwrap());
    let out = dir.path().join("november.csv");
    ok(&kabinet(
        &db,
        &[
            "export",
            "readings",
            "--period",
            "2026-11",
            "--out",
            &out.display().to_string(),
        ],
    ));
    // Personal data: the owner's alone, whatever the umask (finding 18).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }
    let csv = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<String>> = csv.lines().map(|l| l.split(',').map(str::to_owned).collect()).collect();
    let expected = [
        vec!["login", "name", "meter_serial", "resource", "zone", "value"],
        vec!["11223344595", "Иванов Иван", "E-1", "electricity", "1", "1500"],
        vec!["11223344595", "Иванов Иван", "E-1", "electricity", "2", "700.5"],
        vec!["11223344595", "Иванов Иван", "W-2", "cold_water", "1", "12.4"],
    ];
    assert_eq!(rows.len(), expected.len(), "{csv}");
    for (row, want) in rows.iter().zip(expected) {
        assert_eq!(&row[..6], want.as_slice(), "{csv}");
    }
    // A meter not yet accepted is marked.
    let status: Vec<&str> = rows.iter().map(|r| r[7].as_str()).collect();
    assert_eq!(status, ["meter_status", "pending", "pending", "accepted"], "{csv}");
    // A confirmed implausible consumption is marked for the billing's check.
    let outlier: Vec<&str> = rows.iter().map(|r| r[8].as_str()).collect();
    assert_eq!(outlier, ["outlier", "", "", "outlier"], "{csv}");
    // To standard output too; a malformed period is refused with the reason.
    assert!(ok(&kabinet(&db, &["export", "readings", "--period", "2026-12"])).contains("13"));
    let bad = kabinet(&db, &["export", "readings", "--period", "ноябрь"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("YYYY-MM"));
    // A name a spreadsheet would run as a formula comes out as plain text.
    sql::query("UPDATE consumers SET name = '=HYPERLINK(\"http://evil.example\",\"1\")'")
        .execute(&store.pool)
        .await
        .unwrap();
    let csv = ok(&kabinet(&db, &["export", "readings", "--period", "2026-11"]));
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"), "{csv}");
    drop(store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_is_a_database_with_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let store = seeded(&db).await;
    let copy = dir.path().join("backup.db");
    // While the original is open and in use.
    let out = kabinet(&db, &["backup", &copy.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a backup is the owner's alone: {mode:o}");
    }
    let restored = Store::connect(&format!("sqlite://{}", copy.display())).await.unwrap();
    for table in ["consumers", "meters", "readings"] {
        let q = format!("SELECT COUNT(*) FROM {table}");
        let (a,): (i64,) = sql::query_as(q.clone()).fetch_one(&store.pool).await.unwrap();
        let (b,): (i64,) = sql::query_as(q).fetch_one(&restored.pool).await.unwrap();
        assert_eq!(a, b, "{table}");
        assert!(a > 0);
    }
    let again = kabinet(&db, &["backup", &copy.display().to_string()]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("already exists"));
}
