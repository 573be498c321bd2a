//! Reading submission through the real schema and SQLite (or, with `-- --postgres
//! postgres://postgres@127.0.0.1:5432`, a fresh database on that PostgreSQL server), with
//! 10,000 accounts and 30,000 meters in the database. Run on demand: `cargo bench --bench
//! readings` (optionally `-- --users 2000 --concurrency 50`). Prints readings accepted per second and the p50/p99
//! time per update (from the moment the update is offered by the Bot API server to the bot's
//! answer), as a table and as one JSON line.

use kabinet::clock::Clock;
use kabinet::config::Config;
use kabinet::store::Store;
use kabinet::store::sql;
use std::sync::Arc;
use std::time::Instant;
use tgmock::{MockBotApi, TgUser};

mod common;
use common::{CHAT_BASE, arg, arg_str, cpu_seconds, percentile, step};

const ACCOUNTS: i64 = 10_000;
const METERS_PER_ACCOUNT: i64 = 3;

async fn seed(store: &Store) {
    common::seed(store, ACCOUNTS, METERS_PER_ACCOUNT, 3000).await;
}

fn main() {
    let users = arg("--users", 1000).min(ACCOUNTS as usize);
    let concurrency = arg("--concurrency", 20).max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let server = arg_str("--postgres");
        let (db, pg_name) = match &server {
            Some(s) => {
                let (url, name) = common::fresh_postgres(s).await;
                (url, Some(name))
            }
            None => (format!("sqlite://{}", dir.path().join("bench.db").display()), None),
        };
        let store = Store::open(&db).await.unwrap();
        let t = Instant::now();
        seed(&store).await;
        eprintln!(
            "seeded {ACCOUNTS} accounts and {} meters in {:.1?}",
            ACCOUNTS * METERS_PER_ACCOUNT,
            t.elapsed()
        );

        let api = Arc::new(MockBotApi::start().await);
        let config = Config::from_flags([
            "--telegram-token",
            "1:BENCH",
            "--telegram-api-url",
            &api.url(),
            "--database-url",
            &db,
            "--mail-dir",
            &dir.path().join("mail").display().to_string(),
            // The bot's own work is measured: the local server has no limits, and ours would
            // hold every answer to Telegram's 29 messages a second.
            "--telegram-limits",
            "off",
        ])
        .unwrap();
        let app = kabinet::Application::build(config, Clock::default()).await.unwrap();
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let bot = tokio::spawn(app.run(async move {
            let _ = rx.await;
        }));

        let menu = kabinet::i18n::t("ru", "menu.send_readings");
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut tasks = Vec::new();
        for u in 0..users as i64 {
            let api = api.clone();
            let sem = sem.clone();
            let menu = menu.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire().await.unwrap();
                let chat = CHAT_BASE + u;
                let user = TgUser::new(chat, "Bench");
                let from = api.event_count();
                let mut times = Vec::new();
                let id = api.next_message_id();
                let (which, from, d) = step(&api, from, chat, user.text(id, &menu), "Для какого прибора").await;
                times.push(d);
                let data = which.inline_buttons()[0].1.clone();
                let (_, from, d) = step(
                    &api,
                    from,
                    chat,
                    user.press(&format!("b{u}"), &which, &data),
                    "Введите показание",
                )
                .await;
                times.push(d);
                let id = api.next_message_id();
                let (_, _, d) = step(&api, from, chat, user.text(id, "1100"), "Показания приняты").await;
                times.push(d);
                times
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let elapsed = started.elapsed();
        let cpu_after = cpu_seconds();
        let _ = stop.send(());
        bot.await.unwrap().unwrap();

        let (accepted,): (i64,) = sql::query_as("SELECT COUNT(*) FROM readings WHERE source = 'user'")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        all.sort();
        let rps = accepted as f64 / elapsed.as_secs_f64();
        let ups = all.len() as f64 / elapsed.as_secs_f64();
        let (p50, p99, max) = (percentile(&all, 0.5), percentile(&all, 0.99), *all.last().unwrap());
        // CPU per update: this process (the bot, the local Bot API server and the simulated
        // consumers together) and the PostgreSQL server's processes.
        let n = all.len() as f64;
        let cpu_own_ms = (cpu_after.0 - cpu_before.0) * 1e3 / n;
        let cpu_server_ms = (cpu_after.1 - cpu_before.1) * 1e3 / n;
        let backend = store.backend().name();
        println!(
            "reading submission through the real schema on {backend} ({ACCOUNTS} accounts, {} meters)",
            ACCOUNTS * METERS_PER_ACCOUNT
        );
        println!("  users            {users} ({concurrency} at a time), 3 updates each");
        println!("  readings saved   {accepted}");
        println!("  wall time        {:.2?}", elapsed);
        println!("  readings/s       {rps:.1}");
        println!("  updates/s        {ups:.1}");
        println!("  p50 per update   {:.2?}", p50);
        println!("  p99 per update   {:.2?}", p99);
        println!("  max per update   {:.2?}", max);
        println!("  CPU per update   {cpu_own_ms:.2} ms in this process, {cpu_server_ms:.2} ms in PostgreSQL");
        println!(
            "{}",
            serde_json::json!({
                "bench": "readings", "backend": backend, "accounts": ACCOUNTS, "meters": ACCOUNTS * METERS_PER_ACCOUNT,
                "users": users, "concurrency": concurrency, "readings": accepted,
                "readings_per_s": rps, "updates_per_s": ups,
                "p50_ms": p50.as_secs_f64() * 1e3, "p99_ms": p99.as_secs_f64() * 1e3,
                "cpu_ms_per_update": cpu_own_ms, "server_cpu_ms_per_update": cpu_server_ms,
            })
        );
        assert_eq!(accepted, users as i64, "every reading was saved");
        if let (Some(server), Some(name)) = (&server, &pg_name) {
            store.pool.close().await;
            common::drop_postgres(server, name).await;
        }
    });
}
