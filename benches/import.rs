//! `kabinet import accounts` at a region's size: a generated registry of 100,000 accounts with
//! 250,000 meters (`-- --accounts N`; half the accounts have two meters, half three), in
//! Windows-1251 with `;` and Russian headers as billing exports it, imported into a fresh SQLite
//! file and (with `-- --postgres postgres://postgres@127.0.0.1:5432`) a fresh PostgreSQL
//! database; then the same file again (nothing changes) and a next month's file (a tenth of
//! the readings new). Run on demand: `cargo bench --bench import`. Prints the seconds of each
//! import, as a table and as one JSON line. The target: under a minute on either database.

use kabinet::import::{Options, accounts};
use kabinet::store::Store;
use std::time::Instant;

// The helpers the other benches share; this one needs a few.
#[allow(dead_code)]
mod common;
use common::{arg, arg_str};

/// The registry: `n` accounts; `month` changes a tenth of the readings.
fn registry(n: usize, month: u32) -> Vec<u8> {
    let mut s = String::from(
        "ЛС;Адрес;ФИО;Тип договора;Заводской номер;Услуга;Тарифность;Разрядность;Дата поверки;Показание Т1;Показание Т2;Дата показаний\r\n",
    );
    for i in 0..n {
        let number = 100_000_000 + i;
        let address = format!(
            "г. Город, ул. Улица {}, д. {}, кв. {}",
            i % 300,
            i % 97 + 1,
            i % 211 + 1
        );
        let holder = format!("Абонент {i}");
        let meters: &[(&str, &str, u8)] = if i % 2 == 0 {
            &[("ЭЛ", "Электроэнергия", 2), ("ХВ", "ХВС", 1)]
        } else {
            &[("ЭЛ", "Электроэнергия", 1), ("ХВ", "ХВС", 1), ("ГВ", "ГВС", 1)]
        };
        for (prefix, resource, zones) in meters {
            let bump = if i % 10 == 0 { month * 100 } else { 0 };
            let t1 = format!("{},5", 1000 + i % 5000 + bump as usize);
            let t2 = if *zones == 2 {
                format!("{},0", 500 + i % 3000)
            } else {
                String::new()
            };
            s.push_str(&format!(
                "{number};{address};{holder};физ;{prefix}-{i};{resource};{zones};;01.06.2031;{t1};{t2};25.{month:02}.2026\r\n"
            ));
        }
    }
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&s);
    bytes.into_owned()
}

async fn run(db: &str, label: &str, files: &[(&str, Vec<u8>)]) -> Vec<(String, f64)> {
    let store = Store::open(db).await.unwrap();
    let mut out = Vec::new();
    for (what, bytes) in files {
        let t = Instant::now();
        let summary = accounts(&store, bytes, &Options::default(), chrono::Utc::now())
            .await
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert!(summary.clean(), "{}", summary.report());
        let counts: Vec<String> = summary
            .applied
            .unwrap_or_default()
            .iter()
            .map(|(table, c)| format!("{table}: {c}"))
            .collect();
        println!("{label:<10} {what:<12} {secs:>7.1} s   {}", counts.join("; "));
        out.push((format!("{label}_{what}_s"), secs));
    }
    store.pool.close().await;
    out
}

fn main() {
    let n = arg("--accounts", 100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let first = registry(n, 11);
    let files = [
        ("first", first.clone()),
        ("same_again", first),
        ("next_month", registry(n, 12)),
    ];
    let meters = n.div_ceil(2) * 2 + n / 2 * 3;
    println!(
        "{n} accounts, {meters} meters, {:.1} MB a file",
        files[0].1.len() as f64 / 1e6
    );
    let mut figures = serde_json::Map::new();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("import.db").display());
        for (k, v) in run(&db, "sqlite", &files).await {
            figures.insert(k, serde_json::json!((v * 10.0).round() / 10.0));
        }
        if let Some(server) = arg_str("--postgres") {
            let (url, name) = common::fresh_postgres(&server).await;
            for (k, v) in run(&url, "postgres", &files).await {
                figures.insert(k, serde_json::json!((v * 10.0).round() / 10.0));
            }
            common::drop_postgres(&server, &name).await;
        }
    });
    println!("{}", serde_json::Value::Object(figures));
}
