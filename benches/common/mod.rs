//! What the benchmarks share: seeding a database with consumers and their meters, and
//! offering an update and timing the bot's answer.

use kabinet::store::Store;
use kabinet::store::sql;
use std::time::{Duration, Instant};
use tgmock::{BotMessage, Event, MockBotApi};

pub const CHAT_BASE: i64 = 5_000_000;

/// A loopback port free now (a replica's webhook server binds it next).
#[allow(dead_code)] // the e2e bench's and the replicas test's
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `accounts` confirmed consumers signed in from chats CHAT_BASE.., `meters` each, with an
/// installation reading; verification in `verification_in_days` (within 30: a reminder is due).
pub async fn seed(store: &Store, accounts: i64, meters: i64, verification_in_days: i64) {
    let now = chrono::Utc::now();
    let verification = (now + chrono::Duration::days(verification_in_days)).date_naive();
    let mut tx = store.pool.begin().await.unwrap();
    for i in 0..accounts {
        let id: i64 = sql::query_scalar(
            "INSERT INTO consumers (kind, login, name, email, password_hash, status, created_at, confirmed_at)
             VALUES ('individual', $1, 'Иванов Иван', 'bench@example.ru', 'x', 'confirmed', $2, $3) RETURNING id",
        )
        .bind(format!("{:011}", 10_000_000_000 + i))
        .bind(now)
        .bind(now)
        .fetch_one(&mut tx)
        .await
        .unwrap();
        sql::query("INSERT INTO chats (chat_id, consumer_id, linked_at) VALUES ($1, $2, $3)")
            .bind(CHAT_BASE + i)
            .bind(id)
            .bind(now)
            .execute(&mut tx)
            .await
            .unwrap();
        for k in 0..meters {
            let meter: i64 = sql::query_scalar(
                "INSERT INTO meters (consumer_id, resource, serial, place, address, zones, int_digits, frac_digits,
                                     next_verification, created_at)
                 VALUES ($1, 'electricity', $2, 'кухня', 'адрес', 1, 6, 1, $3, $4) RETURNING id",
            )
            .bind(id)
            .bind(format!("SN-{i}-{k}"))
            .bind(verification)
            .bind(now)
            .fetch_one(&mut tx)
            .await
            .unwrap();
            sql::query(
                "INSERT INTO readings (meter_id, zone, value_milli, period, source, submitted_at)
                 VALUES ($1, 1, 1000000, '2026-10', 'install', $2)",
            )
            .bind(meter)
            .bind(now)
            .execute(&mut tx)
            .await
            .unwrap();
        }
    }
    tx.commit().await.unwrap();
}

pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn percentile(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    if sorted.is_empty() {
        return std::time::Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Offers an update and waits for the bot's first answer in that chat after `from`; returns
/// the answer, the index after it and the time it took.
pub async fn step(
    api: &MockBotApi,
    from: usize,
    chat: i64,
    update: serde_json::Value,
    want: &str,
) -> (BotMessage, usize, Duration) {
    let start = Instant::now();
    api.push_update(update);
    let (i, e) = api
        .wait_event(
            from,
            Duration::from_secs(60),
            |e| matches!(e, Event::Sent(m) if m.chat_id == chat && m.text.contains(want)),
        )
        .await
        .unwrap_or_else(|| panic!("no «{want}» for {chat}"));
    let Event::Sent(m) = e else { unreachable!() };
    (m, i + 1, start.elapsed())
}

/// A whole region, through SQL alone (no row crosses into Rust): `accounts` confirmed
/// consumers signed in from chats CHAT_BASE.., `meters` electricity meters each, and a year of
/// readings per meter (the installation twelve months ago, then one a month up to last month,
/// 15 units a month, so the bench's «1100» is an ordinary next value). Returns how long it took.
#[allow(dead_code)] // the e2e bench's; `readings` shares this module
pub async fn seed_region(store: &Store, accounts: i64, meters: i64) -> Duration {
    use chrono::{Datelike, SecondsFormat};
    let started = Instant::now();
    let now = chrono::Utc::now();
    let at = now.to_rfc3339_opts(SecondsFormat::AutoSi, false);
    let verification = (now + chrono::Duration::days(3000)).date_naive();
    let sqlite = store.backend() == kabinet::store::sql::Backend::Sqlite;
    if sqlite {
        // The pool's one connection: the settings hold for the transaction below.
        for pragma in ["PRAGMA cache_size = -1000000", "PRAGMA synchronous = OFF"] {
            sql::query(pragma).execute(&store.pool).await.unwrap();
        }
    }
    // The twelve months before this one: (k, 'YYYY-MM', a timestamp in that month).
    let months: Vec<String> = (0..12)
        .map(|k| {
            let first = now.date_naive().with_day(1).unwrap();
            let d = first - chrono::Months::new(12 - k);
            let ts = d.and_hms_opt(10, 0, 0).unwrap().and_utc();
            // A typed literal on PostgreSQL (a VALUES list's text stays text there).
            format!(
                "({k}, '{}', {}'{}')",
                d.format("%Y-%m"),
                if sqlite { "" } else { "TIMESTAMPTZ " },
                ts.to_rfc3339_opts(SecondsFormat::AutoSi, false)
            )
        })
        .collect();
    let statements = [
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {accounts} - 1)
             INSERT INTO consumers (id, kind, login, name, email, password_hash, status, created_at, confirmed_at)
             SELECT i + 1, 'individual', CAST(10000000000 + i AS TEXT), 'Иванов Иван', 'bench@example.ru',
                    'x', 'confirmed', '{at}', '{at}' FROM n"
        ),
        format!(
            "INSERT INTO chats (chat_id, consumer_id, linked_at)
             SELECT {CHAT_BASE} + id - 1, id, '{at}' FROM consumers ORDER BY id"
        ),
        format!(
            "WITH RECURSIVE k(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM k WHERE k < {meters} - 1)
             INSERT INTO meters (consumer_id, resource, serial, place, address, zones, int_digits, frac_digits,
                                 next_verification, created_at)
             SELECT a.id, 'electricity', 'SN-' || (a.id - 1) || '-' || k.k, 'кухня', 'адрес', 1, 6, 1,
                    '{verification}', '{at}'
             FROM consumers a CROSS JOIN k ORDER BY a.id, k.k"
        ),
        format!(
            "WITH p(k, period, at) AS (VALUES {})
             INSERT INTO readings (meter_id, zone, value_milli, period, source, submitted_at)
             SELECT m.id, 1, 900000 + p.k * 15000, p.period, CASE p.k WHEN 0 THEN 'install' ELSE 'user' END, p.at
             FROM meters m CROSS JOIN p ORDER BY m.id, p.k",
            months.join(", ")
        ),
    ];
    let mut tx = store.pool.begin().await.unwrap();
    for s in statements {
        sql::query(s).execute(&mut tx).await.unwrap();
    }
    if !sqlite {
        // The accounts came with their ids: the identity goes on after them.
        sql::query("SELECT setval(pg_get_serial_sequence('consumers', 'id'), (SELECT MAX(id) FROM consumers))")
            .execute(&mut tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    // No ANALYZE: the bot's query plans are measured as a database grown in production has them.
    store.checkpoint().await.unwrap();
    started.elapsed()
}

/// A string option: `--name value`.
#[allow(dead_code)] // the readings bench's
pub fn arg_str(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// A fresh database on the PostgreSQL server at `server` (`postgres://user@host:port`),
/// created for the run; `drop_postgres` removes it.
#[allow(dead_code)]
pub async fn fresh_postgres(server: &str) -> (String, String) {
    let name = format!("kabinet_bench_{}", std::process::id());
    admin(server, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    admin(server, &format!("CREATE DATABASE {name}")).await;
    (format!("{}/{name}", server.trim_end_matches('/')), name)
}

/// An empty database `name` on the server at `server`.
#[allow(dead_code)]
pub async fn create_postgres(server: &str, name: &str) {
    admin(server, &format!("CREATE DATABASE {name}")).await;
}

#[allow(dead_code)]
pub async fn drop_postgres(server: &str, name: &str) {
    admin(server, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
}

async fn admin(server: &str, statement: &str) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&format!("{}/postgres", server.trim_end_matches('/')))
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {server}: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
        .execute(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    let _ = c.close().await;
}

/// CPU seconds (user + system) used so far by this process and, separately, by the machine's
/// PostgreSQL server processes (all of them: the bench is the only client on a test server).
#[allow(dead_code)]
pub fn cpu_seconds() -> (f64, f64) {
    let ticks = 100.0; // USER_HZ on Linux
    let of = |stat: &str| -> Option<(String, f64)> {
        let (head, rest) = stat.rsplit_once(") ")?;
        let name = head.split_once(" (")?.1.to_owned();
        let f: Vec<&str> = rest.split_whitespace().collect();
        let used = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
        Some((name, used / ticks))
    };
    let own = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| of(&s))
        .map_or(0.0, |(_, c)| c);
    let mut server = 0.0;
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            if let Ok(s) = std::fs::read_to_string(e.path().join("stat"))
                && let Some((name, c)) = of(&s)
                && name == "postgres"
            {
                server += c;
            }
        }
    }
    (own, server)
}
