//! The whole thing as production runs it: the `kabinet` binary as a separate process, the
//! local Bot API server, SQLite on disk. `cargo bench --bench e2e -- [--accounts 10000]
//! [--consumers 300] [--concurrency 20] [--rate 200] [--broadcast 1000]`.
//!
//! Measures: updates/s and p50/p95/p99 from the moment an update is offered to the bot's
//! answer, closed-loop and paced at `--rate`; the same closed-loop load against a bare teloxide
//! echo bot (the ratio); peak RSS of the bot; database size per 1,000 accounts; a reminder
//! broadcast to `--broadcast` consumers against a server that enforces Telegram's limits
//! (messages/s, 429 answers). Prints a table and writes target/bench-e2e.json.

mod common;

use common::{CHAT_BASE, arg, percentile};
use kabinet::store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tgmock::{Event, MockBotApi, TgUser};
use tokio::process::{Child, Command};

/// `limits`: whether the bot keeps Telegram's sending limits itself (`TELEGRAM_LIMITS`). Off
/// where the server has none and the bot's own capacity is measured; on for the broadcast,
/// against a server that enforces them.
fn spawn(bin: &str, api: &MockBotApi, db: &str, dir: &std::path::Path, limits: bool) -> Child {
    Command::new(bin)
        .env("TELEGRAM_LIMITS", if limits { "on" } else { "off" })
        .env("TELOXIDE_TOKEN", "1:BENCH")
        .env("TELOXIDE_API_URL", api.url())
        .env("DATABASE_URL", db)
        .env("MAIL_DIR", dir.join("mail"))
        // BENCH_BOT_LOG=sqlx::query=debug shows every statement the bot runs.
        .env(
            "RUST_LOG",
            std::env::var("BENCH_BOT_LOG").unwrap_or_else(|_| "error".into()),
        )
        .current_dir(dir)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn")
}

/// Peak resident memory of a process, in MiB (VmHWM).
fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

async fn wait_ready(api: &MockBotApi) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while api.calls("getUpdates").is_empty() {
        assert!(Instant::now() < deadline, "the bot did not start polling");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Offers an update; waits for the first message in that chat containing `want`.
async fn step(api: &MockBotApi, chat: i64, update: serde_json::Value, want: &str) -> (tgmock::BotMessage, Duration) {
    let (m, _, took) = common::step(api, api.event_count(), chat, update, want).await;
    (m, took)
}

/// One consumer sends a reading: «Передать показания», the meter, the value.
async fn reading(api: Arc<MockBotApi>, u: i64, menu: String) -> Vec<Duration> {
    let chat = CHAT_BASE + u;
    let user = TgUser::new(chat, "Bench");
    let (which, a) = step(
        &api,
        chat,
        user.text(api.next_message_id(), &menu),
        "Для какого прибора",
    )
    .await;
    let data = which.inline_buttons()[0].1.clone();
    let (_, b) = step(
        &api,
        chat,
        user.press(&format!("b{u}"), &which, &data),
        "Введите показание",
    )
    .await;
    let (_, c) = step(
        &api,
        chat,
        user.text(api.next_message_id(), "1100"),
        "Показания приняты",
    )
    .await;
    vec![a, b, c]
}

struct Load {
    updates: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Load {
    /// The latencies of every task, once all have finished.
    async fn of(tasks: Vec<tokio::task::JoinHandle<Vec<Duration>>>, started: Instant) -> Self {
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.extend(t.await.unwrap());
        }
        latencies.sort();
        Self {
            updates: latencies.len(),
            elapsed: started.elapsed(),
            latencies,
        }
    }

    fn per_sec(&self) -> f64 {
        self.updates as f64 / self.elapsed.as_secs_f64()
    }
}

/// Closed loop: `concurrency` consumers at a time, each as fast as the answers come.
async fn closed_loop(api: &Arc<MockBotApi>, users: std::ops::Range<i64>, concurrency: usize, menu: &str) -> Load {
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for u in users {
        let (api, sem, menu) = (api.clone(), sem.clone(), menu.to_owned());
        tasks.push(tokio::spawn(async move {
            let _p = sem.acquire().await.unwrap();
            reading(api, u, menu).await
        }));
    }
    Load::of(tasks, started).await
}

/// Open loop: a new consumer starts every 3/rate seconds, so updates arrive at about `rate`/s.
async fn paced(api: &Arc<MockBotApi>, users: std::ops::Range<i64>, rate: usize, menu: &str) -> Load {
    let started = Instant::now();
    let every = Duration::from_secs_f64(3.0 / rate as f64);
    let mut tick = tokio::time::interval(every);
    let mut tasks = Vec::new();
    for u in users {
        tick.tick().await;
        tasks.push(tokio::spawn(reading(api.clone(), u, menu.to_owned())));
    }
    Load::of(tasks, started).await
}

/// The echo bot under the same closed-loop shape (one text, one answer).
async fn echo_load(api: &Arc<MockBotApi>, updates: usize, concurrency: usize) -> Load {
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for u in 0..updates as i64 {
        let (api, sem) = (api.clone(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _p = sem.acquire().await.unwrap();
            let chat = CHAT_BASE + u;
            let user = TgUser::new(chat, "Bench");
            let (_, took) = step(
                &api,
                chat,
                user.text(api.next_message_id(), &format!("echo {u}")),
                &format!("echo {u}"),
            )
            .await;
            vec![took]
        }));
    }
    Load::of(tasks, started).await
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let accounts = arg("--accounts", 10_000) as i64;
    let consumers = (arg("--consumers", 300) as i64).min(accounts / 2);
    let concurrency = arg("--concurrency", 20);
    let rate = arg("--rate", 200);
    let broadcast = arg("--broadcast", 1000) as i64;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("bench.db");
        let db = format!("sqlite://{}", db_path.display());
        let menu = kabinet::i18n::t("ru", "menu.send_readings");

        // Kabinet: the reading flow, closed loop then paced.
        {
            let store = Store::open(&db).await.unwrap();
            common::seed(&store, accounts, 2, 3000).await;
        }
        let api = Arc::new(MockBotApi::start().await);
        let mut bot = spawn(env!("CARGO_BIN_EXE_kabinet"), &api, &db, dir.path(), false);
        wait_ready(&api).await;
        let closed = closed_loop(&api, 0..consumers, concurrency, &menu).await;
        let paced_load = paced(&api, consumers..2 * consumers, rate, &menu).await;
        let rss = peak_rss_mib(bot.id().unwrap());
        bot.kill().await.unwrap();
        let db_bytes = ["", "-wal", "-shm"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{}{s}", db_path.display())).ok())
            .map(|m| m.len())
            .sum::<u64>();
        let db_per_1000 = db_bytes as f64 / (accounts as f64 / 1000.0) / 1024.0 / 1024.0;

        // The bare echo bot, same server, same shape.
        let echo_api = Arc::new(MockBotApi::start().await);
        let mut echo = spawn(env!("CARGO_BIN_EXE_echo-baseline"), &echo_api, &db, dir.path(), false);
        wait_ready(&echo_api).await;
        let echo_run = echo_load(&echo_api, closed.updates, concurrency).await;
        echo.kill().await.unwrap();

        // A reminder broadcast against Telegram's limits.
        let bdir = tempfile::tempdir().unwrap();
        let bdb = format!("sqlite://{}", bdir.path().join("b.db").display());
        {
            let store = Store::open(&bdb).await.unwrap();
            common::seed(&store, broadcast, 1, 10).await;
        }
        let bapi = Arc::new(MockBotApi::start().await);
        bapi.enforce_limits(true);
        let started = Instant::now();
        let mut b = spawn(env!("CARGO_BIN_EXE_kabinet"), &bapi, &bdb, bdir.path(), true);
        wait_ready(&bapi).await;
        let deadline = Instant::now() + Duration::from_secs(3600);
        let mut first: Option<Instant> = None;
        loop {
            let sent = bapi
                .events()
                .iter()
                .filter(|e| matches!(e, Event::Sent(m) if m.text.contains("поверки")))
                .count();
            if sent > 0 && first.is_none() {
                first = Some(Instant::now());
            }
            if sent as i64 >= broadcast || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let broadcast_secs = first.map(|f| f.elapsed()).unwrap_or(started.elapsed()).as_secs_f64();
        let broadcast_rate = broadcast as f64 / broadcast_secs.max(0.001);
        let too_many = bapi.too_many_requests();
        b.kill().await.unwrap();

        let ratio = closed.per_sec() / echo_run.per_sec();
        println!("kabinet end-to-end benchmark ({accounts} accounts, 2 meters each)");
        println!("{:<42} {:>12}", "measure", "value");
        let row = |name: &str, v: String| println!("{name:<42} {v:>12}");
        row("closed loop: updates/s", format!("{:.1}", closed.per_sec()));
        row(
            "closed loop: p50 / p95 / p99, ms",
            format!(
                "{:.1}/{:.1}/{:.1}",
                ms(percentile(&closed.latencies, 0.5)),
                ms(percentile(&closed.latencies, 0.95)),
                ms(percentile(&closed.latencies, 0.99))
            ),
        );
        row(
            &format!("paced at {rate}/s: updates/s"),
            format!("{:.1}", paced_load.per_sec()),
        );
        row(
            &format!("paced at {rate}/s: p50 / p95 / p99, ms"),
            format!(
                "{:.1}/{:.1}/{:.1}",
                ms(percentile(&paced_load.latencies, 0.5)),
                ms(percentile(&paced_load.latencies, 0.95)),
                ms(percentile(&paced_load.latencies, 0.99))
            ),
        );
        row("echo bot: updates/s", format!("{:.1}", echo_run.per_sec()));
        row("ratio kabinet / echo", format!("{ratio:.2}"));
        row("peak RSS of the bot, MiB", format!("{rss:.1}"));
        row("database per 1,000 accounts, MiB", format!("{db_per_1000:.2}"));
        row(
            &format!("broadcast to {broadcast}: messages/s"),
            format!("{broadcast_rate:.1}"),
        );
        row("broadcast: 429 answers", format!("{too_many}"));
        let json = serde_json::json!({
            "accounts": accounts, "concurrency": concurrency,
            "closed_updates_per_s": closed.per_sec(),
            "closed_p50_ms": ms(percentile(&closed.latencies, 0.5)),
            "closed_p95_ms": ms(percentile(&closed.latencies, 0.95)),
            "closed_p99_ms": ms(percentile(&closed.latencies, 0.99)),
            "paced_rate": rate, "paced_updates_per_s": paced_load.per_sec(),
            "paced_p50_ms": ms(percentile(&paced_load.latencies, 0.5)),
            "paced_p95_ms": ms(percentile(&paced_load.latencies, 0.95)),
            "paced_p99_ms": ms(percentile(&paced_load.latencies, 0.99)),
            "echo_updates_per_s": echo_run.per_sec(), "ratio": ratio,
            "peak_rss_mib": rss, "db_mib_per_1000_accounts": db_per_1000,
            "broadcast": broadcast, "broadcast_per_s": broadcast_rate, "broadcast_429": too_many,
        });
        println!("{json}");
        let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-e2e.json");
        let _ = std::fs::write(&out, serde_json::to_string_pretty(&json).unwrap());
    });
}
