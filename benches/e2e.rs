//! The whole thing as production runs it: the `kabinet` binary as a separate process, the
//! local Bot API server, SQLite on disk. `cargo bench --bench e2e -- [--accounts 10000]
//! [--consumers 300] [--concurrency 20] [--rate 200] [--broadcast 10000] [--region 1000000]
//! [--flood 150] [--outage 50000 [--paid]]`.
//!
//! Measures: updates/s and p50/p95/p99 from the moment an update is offered to the bot's
//! answer, closed-loop and paced at `--rate`; the same closed-loop load against the idiomatic
//! peer (teloxide's Dialogue in its SqliteStorage, `benches/peer`, built here) and a bare
//! teloxide echo bot; CPU time per update and SQL statements per update; peak RSS; database
//! size per 1,000 accounts; a reminder broadcast to `--broadcast` consumers and a burst of 100
//! /start against a server that enforces Telegram's limits. With `--region N` only the region:
//! N accounts, 2 meters each, a year of readings seeded through SQL, then the paced load, peak
//! RSS, `kabinet export readings` and `kabinet backup` on it. With `--flood N` only a flood of
//! N messages in one chat and the time another chat's /start waits behind it. With `--outage N`
//! only an outage told to N consumers, free or `--paid` (see `e2e/outage.rs`). With
//! `--postgres postgres://user@host:port` the reading flow also runs on PostgreSQL in the same
//! run; with `--replicas N` as well, only that flow with one process polling and 1..=N
//! replicas behind a balancer; with `--region` as well, the region on PostgreSQL (see
//! `e2e/postgres.rs`). Prints a table and merges its figures into target/bench-e2e.json.

mod common;
#[path = "e2e/outage.rs"]
mod outage;
#[path = "e2e/postgres.rs"]
mod postgres;

use chrono::Datelike;
use common::{CHAT_BASE, arg, percentile};
use kabinet::store::Store;
use kabinet::store::sql;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tgmock::{Event, MockBotApi, TgUser};
use tokio::process::{Child, Command};

/// The bot's command. `limits`: whether the bot keeps Telegram's sending limits itself
/// (`TELEGRAM_LIMITS`). Off where the server has none and the bot's own capacity is measured;
/// on for the broadcast, against a server that enforces them. `log`: RUST_LOG for the bot, its
/// stderr into that file.
fn command(
    bin: &str,
    api: &MockBotApi,
    db: &str,
    dir: &std::path::Path,
    limits: bool,
    log: Option<(&str, &std::path::Path)>,
) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env("TELEGRAM_LIMITS", if limits { "on" } else { "off" })
        .env("TELOXIDE_TOKEN", "1:BENCH")
        .env("TELOXIDE_API_URL", api.url())
        .env("DATABASE_URL", db)
        .env("PEER_DB", db.trim_start_matches("sqlite://"))
        .env("MAIL_DIR", dir.join("mail"))
        // BENCH_BOT_LOG=sqlx::query=debug shows every statement the bot runs.
        .env(
            "RUST_LOG",
            std::env::var("BENCH_BOT_LOG").unwrap_or_else(|_| "error".into()),
        )
        .current_dir(dir)
        .kill_on_drop(true);
    if let Some((filter, file)) = log {
        cmd.env("RUST_LOG", filter)
            .stderr(std::fs::File::create(file).expect("log file"));
    }
    cmd
}

fn spawn(bin: &str, api: &MockBotApi, db: &str, dir: &std::path::Path, limits: bool) -> Child {
    command(bin, api, db, dir, limits, None).spawn().expect("spawn")
}

/// Builds the idiomatic peer (its own cargo project, `benches/peer`) and returns its binary.
fn build_peer() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = root.join("target/peer");
    let status = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--locked", "--quiet", "--manifest-path"])
        .arg(root.join("benches/peer/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .status()
        .expect("cargo build of benches/peer");
    assert!(status.success(), "benches/peer did not build");
    target.join("release/peer-bot")
}

/// CPU time (user + system, all threads) a process has used so far, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // Field 3 (the state) is f[0]. Linux counts in ticks of 1/100 s (USER_HZ).
    (tick(11) + tick(12)) / 100.0
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
async fn closed_loop(api: &Arc<MockBotApi>, users: Vec<i64>, concurrency: usize, menu: &str) -> Load {
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
async fn paced(api: &Arc<MockBotApi>, users: Vec<i64>, rate: usize, menu: &str) -> Load {
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

/// A burst of 100 /start from new chats at once: seconds until every chat has its answer.
async fn burst(api: &MockBotApi, chats: i64) -> f64 {
    let from = api.event_count();
    let started = Instant::now();
    for c in 0..chats {
        let user = TgUser::new(90_000_000 + c, "Burst");
        api.push_update(user.text(api.next_message_id(), "/start"));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let answered: std::collections::HashSet<i64> = api.events()[from..]
            .iter()
            .filter_map(|e| match e {
                Event::Sent(m) if m.chat_id >= 90_000_000 => Some(m.chat_id),
                _ => None,
            })
            .collect();
        if answered.len() as i64 >= chats {
            return started.elapsed().as_secs_f64();
        }
        assert!(Instant::now() < deadline, "the burst was not answered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// One chat sends `messages` at once; then another person's /start: seconds until that
/// person has the answer (the target: under 2), and whether the flooder heard it was too much.
async fn flood(api: &MockBotApi, messages: usize) -> (f64, bool) {
    let flooder = TgUser::new(91_000_001, "Flood");
    for i in 0..messages {
        api.push_update(flooder.text(api.next_message_id(), &format!("flood {i}")));
    }
    let other = TgUser::new(91_000_002, "Other");
    let started = Instant::now();
    let from = api.event_count();
    api.push_update(other.text(api.next_message_id(), "/start"));
    let deadline = Instant::now() + Duration::from_secs(600);
    while !api.events()[from..]
        .iter()
        .any(|e| matches!(e, Event::Sent(m) if m.chat_id == other.id))
    {
        assert!(Instant::now() < deadline, "the other chat was never answered");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let took = started.elapsed().as_secs_f64();
    let told = kabinet::i18n::t("ru", "common.flood");
    let deadline = Instant::now() + Duration::from_secs(120);
    let heard = loop {
        let heard = api
            .events_for(flooder.id)
            .iter()
            .any(|e| matches!(e, Event::Sent(m) if m.text == told));
        if heard || Instant::now() > deadline {
            break heard;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    (took, heard)
}

/// `--flood`: only the flood, against a server that enforces Telegram's limits.
async fn flood_only(messages: usize) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("f.db").display());
    let api = Arc::new(MockBotApi::start().await);
    api.enforce_limits(true);
    let mut bot = spawn(env!("CARGO_BIN_EXE_kabinet"), &api, &db, dir.path(), true);
    wait_ready(&api).await;
    let (took, heard) = flood(&api, messages).await;
    bot.kill().await.unwrap();
    println!("kabinet flood benchmark");
    row("measure", "value".into());
    row(
        &format!("/start behind a flood of {messages} in another chat, s (target < 2)"),
        format!("{took:.3}"),
    );
    row("the flooder was told", format!("{heard}"));
    write_json(serde_json::json!({ "flood_messages": messages, "flood_other_start_s": took }));
}

/// The database's size with its log checkpointed into it (the bot keeps a log file of up to
/// 64 MiB between checkpoints; that is not the data's size).
async fn db_bytes(path: &std::path::Path) -> u64 {
    let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    store.checkpoint().await.unwrap();
    store.pool.close().await;
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn pcts(l: &Load) -> String {
    format!(
        "{:.1}/{:.1}/{:.1}",
        ms(percentile(&l.latencies, 0.5)),
        ms(percentile(&l.latencies, 0.95)),
        ms(percentile(&l.latencies, 0.99))
    )
}

fn row(name: &str, v: String) {
    println!("{name:<46} {v:>14}");
}

/// Merges `figures` into target/bench-e2e.json (the region and the rest are separate runs).
fn write_json(figures: serde_json::Value) {
    println!("{figures}");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-e2e.json");
    let mut all: serde_json::Map<String, serde_json::Value> = std::fs::read_to_string(&out)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    if let serde_json::Value::Object(f) = figures {
        all.extend(f);
    }
    let _ = std::fs::write(&out, serde_json::to_string_pretty(&all).unwrap());
}

/// Runs a `kabinet` subcommand to the end; its wall time in seconds.
fn timed_cli(db: &str, dir: &std::path::Path, args: &[&str]) -> f64 {
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .env("DATABASE_URL", db)
        .env("MAIL_DIR", dir.join("mail"))
        .env("RUST_LOG", "error")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("kabinet");
    assert!(
        out.status.success(),
        "kabinet {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    started.elapsed().as_secs_f64()
}

/// `kabinet export readings` of last month into `dir`: the month, the seconds it took, the
/// rows written.
fn export_last_month(db: &str, dir: &std::path::Path) -> (String, f64, usize) {
    let last_month = (chrono::Utc::now().date_naive().with_day(1).unwrap() - chrono::Months::new(1))
        .format("%Y-%m")
        .to_string();
    let file = dir.join("export.csv");
    let file_arg = file.display().to_string();
    let secs = timed_cli(
        db,
        dir,
        &["export", "readings", "--period", &last_month, "--out", &file_arg],
    );
    let rows = std::fs::read_to_string(&file)
        .map(|s| s.lines().count() - 1)
        .unwrap_or(0);
    (last_month, secs, rows)
}

/// `--region N`: the paced load, RSS, the export and the backup on a region's database.
async fn region(accounts: i64, consumers: i64, rate: usize, menu: &str) {
    let dir = tempfile::tempdir_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target")).unwrap();
    // BENCH_REGION_DB=<file>: seeded once and kept, for runs after the first (each run takes
    // other consumers, who have not sent this period's reading yet).
    let kept = std::env::var("BENCH_REGION_DB").ok().map(std::path::PathBuf::from);
    let db_path = kept.unwrap_or_else(|| dir.path().join("region.db"));
    let db = format!("sqlite://{}", db_path.display());
    let reuse = db_path.exists();
    let seeding = if reuse {
        None
    } else {
        let store = Store::open(&db).await.unwrap();
        let took = common::seed_region(&store, accounts, 2).await;
        store.pool.close().await;
        println!(
            "seeded {accounts} accounts, {} meters, {} readings in {:.0} s",
            accounts * 2,
            accounts * 24,
            took.as_secs_f64()
        );
        Some(took.as_secs_f64())
    };
    // The seeding (or an earlier run's backup) wrote gigabytes the kernel has yet to flush; the
    // load is measured on a database at rest. Without this the bot's checkpoints wait behind
    // that writeback: p99 of 2–3 s in the first runs here.
    let flushed = std::process::Command::new("sync").status();
    assert!(flushed.is_ok_and(|s| s.success()), "sync");
    let size = db_bytes(&db_path).await;
    let api = Arc::new(MockBotApi::start().await);
    if reuse {
        // Telegram's update ids go on growing: the earlier runs' are handled already.
        let store = Store::connect(&db).await.unwrap();
        let (last,): (i64,) = sql::query_as("SELECT COALESCE(MAX(update_id), 0) FROM inbox")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        store.pool.close().await;
        api.continue_from(last + 1, last + 1);
    }
    let mut bot = spawn(env!("CARGO_BIN_EXE_kabinet"), &api, &db, dir.path(), false);
    wait_ready(&api).await;
    // Consumers spread over the whole region, so each one's pages are cold; a kept database
    // gets another set each run.
    let step = accounts / consumers;
    let shift = match reuse {
        true => {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64
                % step
        }
        false => 0,
    };
    let users: Vec<i64> = (0..consumers).map(|i| i * step + shift).collect();
    let load = paced(&api, users, rate, menu).await;
    // The same load again while `kabinet backup` copies the database beside the running bot
    // (as the scheduled backup does): other consumers, the copy into the temporary folder.
    let backup_started = Instant::now();
    let during_file = dir.path().join("during.db");
    let mut copy = Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .env("DATABASE_URL", &db)
        .env("RUST_LOG", "error")
        .args(["backup", &during_file.display().to_string()])
        .kill_on_drop(true)
        .spawn()
        .expect("kabinet backup");
    // Three times as many, so the load goes on past the copy and the writeback after it.
    let users: Vec<i64> = (1..=3)
        .flat_map(|k| (0..consumers).map(move |i| i * step + (shift + k * step / 4) % step))
        .collect();
    let during = paced(&api, users, rate, menu).await;
    let copied = copy.wait().await.expect("backup").success();
    let during_s = backup_started.elapsed().as_secs_f64();
    assert!(copied, "kabinet backup during the load failed");
    let rss = peak_rss_mib(bot.id().unwrap());
    bot.kill().await.unwrap();
    let _ = std::fs::remove_file(&during_file);
    let flushed = std::process::Command::new("sync").status();
    assert!(flushed.is_ok_and(|s| s.success()), "sync");
    let (last_month, export_s, exported) = export_last_month(&db, dir.path());
    let backup_file = dir.path().join("backup.db");
    let backup_s = timed_cli(&db, dir.path(), &["backup", &backup_file.display().to_string()]);
    let per_1000 = size as f64 / (accounts as f64 / 1000.0) / 1024.0 / 1024.0;

    println!(
        "kabinet, a region: {accounts} accounts, {} meters, {} readings",
        accounts * 2,
        accounts * 24
    );
    if let Some(s) = seeding {
        row("seeding through SQL, s", format!("{s:.0}"));
    }
    row("database, GiB", format!("{:.2}", size as f64 / (1u64 << 30) as f64));
    row("database per 1,000 accounts, MiB", format!("{per_1000:.2}"));
    row(
        &format!("paced at {rate}/s: updates/s"),
        format!("{:.1}", load.per_sec()),
    );
    row(&format!("paced at {rate}/s: p50 / p95 / p99, ms"), pcts(&load));
    row(
        &format!("paced at {rate}/s during a {during_s:.0}-s backup: p50/p95/p99, ms"),
        pcts(&during),
    );
    row("peak RSS of the bot, MiB", format!("{rss:.1}"));
    row(
        &format!("export readings {last_month} ({exported} rows), s"),
        format!("{export_s:.1}"),
    );
    row("backup (VACUUM INTO), s", format!("{backup_s:.1}"));
    write_json(serde_json::json!({
        "region_accounts": accounts,
        "region_db_gib": size as f64 / (1u64 << 30) as f64, "region_db_mib_per_1000_accounts": per_1000,
        "region_paced_rate": rate, "region_paced_updates_per_s": load.per_sec(),
        "region_paced_p50_ms": ms(percentile(&load.latencies, 0.5)),
        "region_paced_p99_ms": ms(percentile(&load.latencies, 0.99)),
        "region_paced_during_backup_p50_ms": ms(percentile(&during.latencies, 0.5)),
        "region_paced_during_backup_p99_ms": ms(percentile(&during.latencies, 0.99)),
        "region_peak_rss_mib": rss, "region_export_s": export_s, "region_export_rows": exported,
        "region_backup_s": backup_s,
    }));
    if let Some(s) = seeding {
        write_json(serde_json::json!({ "region_seed_s": s }));
    }
}

fn main() {
    let accounts = arg("--accounts", 10_000) as i64;
    let consumers = (arg("--consumers", 300) as i64).min(accounts / 4);
    let concurrency = arg("--concurrency", 20);
    let rate = arg("--rate", 200);
    let broadcast = arg("--broadcast", 10_000) as i64;
    let region_size = arg("--region", 0) as i64;
    let flood_messages = arg("--flood", 0);
    let postgres = common::arg_str("--postgres");
    let replicas = arg("--replicas", 0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let menu = kabinet::i18n::t("ru", "menu.send_readings");
    if region_size > 0 {
        return match &postgres {
            Some(server) => rt.block_on(postgres::region(server, region_size, 2 * consumers, rate, &menu)),
            None => rt.block_on(region(region_size, 2 * consumers, rate, &menu)),
        };
    }
    if let Some(server) = &postgres
        && replicas > 0
    {
        return rt.block_on(postgres::replicas(
            server,
            replicas,
            accounts,
            consumers,
            concurrency,
            rate,
            &menu,
        ));
    }
    if flood_messages > 0 {
        return rt.block_on(flood_only(flood_messages));
    }
    let outage_consumers = arg("--outage", 0) as i64;
    if outage_consumers > 0 {
        let paid = std::env::args().any(|a| a == "--paid");
        return rt.block_on(outage::outage(outage_consumers, paid));
    }
    let peer_bin = build_peer();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("bench.db");
        let db = format!("sqlite://{}", db_path.display());
        let users = |from: i64| (from * consumers..(from + 1) * consumers).collect::<Vec<_>>();

        // Kabinet: the reading flow, closed loop then paced.
        {
            let store = Store::open(&db).await.unwrap();
            common::seed(&store, accounts, 2, 3000).await;
        }
        let api = Arc::new(MockBotApi::start().await);
        let mut bot = spawn(env!("CARGO_BIN_EXE_kabinet"), &api, &db, dir.path(), false);
        wait_ready(&api).await;
        let cpu0 = cpu_secs(bot.id().unwrap());
        let closed = closed_loop(&api, users(0), concurrency, &menu).await;
        let cpu_per_update = (cpu_secs(bot.id().unwrap()) - cpu0) / closed.updates as f64;
        let paced_load = paced(&api, users(1), rate, &menu).await;
        let rss = peak_rss_mib(bot.id().unwrap());
        bot.kill().await.unwrap();
        let db_per_1000 = db_bytes(&db_path).await as f64 / (accounts as f64 / 1000.0) / 1024.0 / 1024.0;
        // The same on PostgreSQL, in the same run.
        let on_postgres = match &postgres {
            Some(server) => Some(
                postgres::flow(
                    Some(server),
                    accounts,
                    0,
                    (users(0), users(1)),
                    concurrency,
                    rate,
                    &menu,
                )
                .await,
            ),
            None => None,
        };

        // The statements: the same flow once more with sqlx's log of each one.
        let log = dir.path().join("statements.log");
        let api = Arc::new(MockBotApi::start().await);
        // Telegram's update ids go on growing: the first run's are handled already.
        api.continue_from(1_000_000, 1_000_000);
        let mut bot = command(
            env!("CARGO_BIN_EXE_kabinet"),
            &api,
            &db,
            dir.path(),
            false,
            Some(("error,sqlx::query=debug", &log)),
        )
        .spawn()
        .expect("spawn");
        wait_ready(&api).await;
        let before = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("sqlx::query")
            .count();
        let counted = closed_loop(&api, users(2)[..50].to_vec(), concurrency, &menu).await;
        bot.kill().await.unwrap();
        let statements = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("sqlx::query")
            .count()
            - before;
        let statements_per_update = statements as f64 / counted.updates as f64;

        // The idiomatic peer, same server, same load.
        let pdir = tempfile::tempdir().unwrap();
        let pdb = format!("sqlite://{}", pdir.path().join("peer.db").display());
        let papi = Arc::new(MockBotApi::start().await);
        let mut peer = spawn(peer_bin.to_str().unwrap(), &papi, &pdb, pdir.path(), false);
        wait_ready(&papi).await;
        let cpu0 = cpu_secs(peer.id().unwrap());
        let peer_run = closed_loop(&papi, users(0), concurrency, &menu).await;
        let peer_cpu = (cpu_secs(peer.id().unwrap()) - cpu0) / peer_run.updates as f64;
        peer.kill().await.unwrap();

        // The bare echo bot, same server, same shape.
        let echo_api = Arc::new(MockBotApi::start().await);
        let mut echo = spawn(env!("CARGO_BIN_EXE_echo-baseline"), &echo_api, &db, dir.path(), false);
        wait_ready(&echo_api).await;
        let cpu0 = cpu_secs(echo.id().unwrap());
        let echo_run = echo_load(&echo_api, closed.updates, concurrency).await;
        let echo_cpu = (cpu_secs(echo.id().unwrap()) - cpu0) / echo_run.updates as f64;
        echo.kill().await.unwrap();

        // A reminder broadcast against Telegram's limits, then a burst of 100 /start.
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
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let broadcast_secs = first.map(|f| f.elapsed()).unwrap_or(started.elapsed()).as_secs_f64();
        // The first message and the last are `broadcast - 1` sending intervals apart.
        let broadcast_rate = (broadcast - 1) as f64 / broadcast_secs.max(0.001);
        let too_many = bapi.too_many_requests();
        // The server's buckets refill for a second, then the burst.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let burst_s = burst(&bapi, 100).await;
        let burst_429 = bapi.too_many_requests() - too_many;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (flood_s, _) = flood(&bapi, 150).await;
        b.kill().await.unwrap();

        let ratio = closed.per_sec() / echo_run.per_sec();
        let ratio_peer = closed.per_sec() / peer_run.per_sec();
        println!("kabinet end-to-end benchmark ({accounts} accounts, 2 meters each, {concurrency} at once)");
        row("measure", "value".into());
        row("closed loop: updates/s", format!("{:.1}", closed.per_sec()));
        row("closed loop: p50 / p95 / p99, ms", pcts(&closed));
        row(
            "closed loop: CPU per update, ms",
            format!("{:.2}", cpu_per_update * 1e3),
        );
        row("SQL statements per update", format!("{statements_per_update:.1}"));
        row(
            &format!("paced at {rate}/s: updates/s"),
            format!("{:.1}", paced_load.per_sec()),
        );
        row(&format!("paced at {rate}/s: p50 / p95 / p99, ms"), pcts(&paced_load));
        row(
            "peer (teloxide Dialogue + SqliteStorage): upd/s",
            format!("{:.1}", peer_run.per_sec()),
        );
        row("peer: p50 / p95 / p99, ms", pcts(&peer_run));
        row("peer: CPU per update, ms", format!("{:.2}", peer_cpu * 1e3));
        row("ratio kabinet / peer", format!("{ratio_peer:.2}"));
        row("echo bot: updates/s", format!("{:.1}", echo_run.per_sec()));
        row("echo bot: CPU per update, ms", format!("{:.2}", echo_cpu * 1e3));
        row("ratio kabinet / echo", format!("{ratio:.2}"));
        if let Some(f) = &on_postgres {
            write_json(postgres::report("PostgreSQL", "pg", f, rate));
        }
        row("peak RSS of the bot, MiB", format!("{rss:.1}"));
        row("database per 1,000 accounts, MiB", format!("{db_per_1000:.2}"));
        row(
            &format!("broadcast to {broadcast}: messages/s"),
            format!("{broadcast_rate:.1}"),
        );
        row("broadcast: 429 answers", format!("{too_many}"));
        row("burst of 100 /start answered, s (floor 2.33)", format!("{burst_s:.2}"));
        row("burst: 429 answers", format!("{burst_429}"));
        row(
            "/start behind a flood of 150 in another chat, s",
            format!("{flood_s:.3}"),
        );
        write_json(serde_json::json!({
            "accounts": accounts, "concurrency": concurrency,
            "closed_updates_per_s": closed.per_sec(),
            "closed_p50_ms": ms(percentile(&closed.latencies, 0.5)),
            "closed_p95_ms": ms(percentile(&closed.latencies, 0.95)),
            "closed_p99_ms": ms(percentile(&closed.latencies, 0.99)),
            "cpu_ms_per_update": cpu_per_update * 1e3, "statements_per_update": statements_per_update,
            "paced_rate": rate, "paced_updates_per_s": paced_load.per_sec(),
            "paced_p50_ms": ms(percentile(&paced_load.latencies, 0.5)),
            "paced_p95_ms": ms(percentile(&paced_load.latencies, 0.95)),
            "paced_p99_ms": ms(percentile(&paced_load.latencies, 0.99)),
            "peer_updates_per_s": peer_run.per_sec(),
            "peer_p50_ms": ms(percentile(&peer_run.latencies, 0.5)),
            "peer_p99_ms": ms(percentile(&peer_run.latencies, 0.99)),
            "peer_cpu_ms_per_update": peer_cpu * 1e3, "ratio_peer": ratio_peer,
            "echo_updates_per_s": echo_run.per_sec(), "echo_cpu_ms_per_update": echo_cpu * 1e3, "ratio": ratio,
            "peak_rss_mib": rss, "db_mib_per_1000_accounts": db_per_1000,
            "broadcast": broadcast, "broadcast_per_s": broadcast_rate, "broadcast_429": too_many,
            "burst100_s": burst_s, "burst100_429": burst_429, "flood_other_start_s": flood_s,
        }));
    });
}
