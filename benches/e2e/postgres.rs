//! The reading flow on PostgreSQL: beside SQLite in the same run (`--postgres SERVER`); with
//! one, two and three replicas of `kabinet` on one database (`--postgres SERVER --replicas
//! 3`), in webhook mode behind a balancer (tgmock posts each update to the replicas in turn,
//! as a load balancer in front of them would); and the region (`--postgres SERVER --region
//! N`). `SERVER` is `postgres://user@host:port`; each run gets a database of its own there.

use super::*;

/// What one configuration did under the reading flow.
pub struct Flow {
    pub closed: Load,
    pub paced: Load,
    /// CPU per update in the closed loop, ms: the bot's processes, the database server's.
    pub cpu_ms: f64,
    pub server_cpu_ms: f64,
}

/// Every replica takes connections and the leader has set the webhook.
async fn wait_listening(api: &MockBotApi, ports: &[u16]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut up = api.webhook_url().is_some();
        for p in ports {
            up &= tokio::net::TcpStream::connect(("127.0.0.1", *p)).await.is_ok();
        }
        if up {
            return;
        }
        assert!(Instant::now() < deadline, "the replicas did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The reading flow on a fresh database of `server` (an SQLite file when `None`) seeded with
/// `accounts`: closed loop for `users.0`, then paced at `rate` for `users.1`. `replicas` 0:
/// one process polling; N: N processes in webhook mode behind the balancer.
pub async fn flow(
    server: Option<&str>,
    accounts: i64,
    replicas: usize,
    users: (Vec<i64>, Vec<i64>),
    concurrency: usize,
    rate: usize,
    menu: &str,
) -> Flow {
    let dir = tempfile::tempdir().unwrap();
    let (db, name) = match server {
        Some(server) => {
            let (db, name) = common::fresh_postgres(server).await;
            (db, Some(name))
        }
        None => (format!("sqlite://{}", dir.path().join("bench.db").display()), None),
    };
    {
        let store = Store::open(&db).await.unwrap();
        common::seed(&store, accounts, 2, 3000).await;
        if server.is_some() {
            // What autovacuum does after such an insert, before measuring.
            sql::query("VACUUM ANALYZE").execute(&store.pool).await.unwrap();
        }
        store.pool.close().await;
    }
    let api = Arc::new(MockBotApi::start().await);
    let bin = env!("CARGO_BIN_EXE_kabinet");
    let mut bots = Vec::new();
    if replicas == 0 {
        bots.push(spawn(bin, &api, &db, dir.path(), false));
        wait_ready(&api).await;
    } else {
        let ports: Vec<u16> = (0..replicas).map(|_| common::free_port()).collect();
        api.balance(ports.iter().map(|p| format!("127.0.0.1:{p}")).collect());
        for p in &ports {
            let mut cmd = command(bin, &api, &db, dir.path(), false, None);
            cmd.env("WEBHOOK_URL", format!("http://127.0.0.1:{}/tg", ports[0]))
                .env("WEBHOOK_LISTEN", format!("127.0.0.1:{p}"));
            bots.push(cmd.spawn().expect("spawn"));
        }
        wait_listening(&api, &ports).await;
    }
    let pids: Vec<u32> = bots.iter().filter_map(|b| b.id()).collect();
    let cpu = |pids: &[u32]| pids.iter().map(|p| cpu_secs(*p)).sum::<f64>();
    let (cpu0, server0) = (cpu(&pids), common::cpu_seconds().1);
    let closed = closed_loop(&api, users.0, concurrency, menu).await;
    let cpu_ms = (cpu(&pids) - cpu0) / closed.updates as f64 * 1e3;
    let server_cpu_ms = (common::cpu_seconds().1 - server0) / closed.updates as f64 * 1e3;
    let paced = paced(&api, users.1, rate, menu).await;
    for mut b in bots {
        b.kill().await.unwrap();
    }
    if let (Some(server), Some(name)) = (server, name) {
        common::drop_postgres(server, &name).await;
    }
    Flow {
        closed,
        paced,
        cpu_ms,
        server_cpu_ms,
    }
}

/// The rows and JSON figures of `flow` under `label` (`key` prefixes the JSON names).
pub fn report(label: &str, key: &str, f: &Flow, rate: usize) -> serde_json::Value {
    row(
        &format!("{label}: closed loop updates/s"),
        format!("{:.1}", f.closed.per_sec()),
    );
    row(&format!("{label}: closed p50/p95/p99, ms"), pcts(&f.closed));
    row(
        &format!("{label}: CPU per update, bot + db, ms"),
        format!("{:.2} + {:.2}", f.cpu_ms, f.server_cpu_ms),
    );
    row(&format!("{label}: paced at {rate}/s p50/p95/p99"), pcts(&f.paced));
    serde_json::json!({
        format!("{key}_closed_updates_per_s"): f.closed.per_sec(),
        format!("{key}_closed_p50_ms"): ms(percentile(&f.closed.latencies, 0.5)),
        format!("{key}_closed_p99_ms"): ms(percentile(&f.closed.latencies, 0.99)),
        format!("{key}_cpu_ms_per_update"): f.cpu_ms,
        format!("{key}_db_cpu_ms_per_update"): f.server_cpu_ms,
        format!("{key}_paced_p50_ms"): ms(percentile(&f.paced.latencies, 0.5)),
        format!("{key}_paced_p99_ms"): ms(percentile(&f.paced.latencies, 0.99)),
    })
}

/// `--replicas N`: one process polling on SQLite and on PostgreSQL, then 1..=N replicas on
/// PostgreSQL behind the balancer, one after the other in the same run.
pub async fn replicas(
    server: &str,
    n: usize,
    accounts: i64,
    consumers: i64,
    concurrency: usize,
    rate: usize,
    menu: &str,
) {
    let users = |from: i64| (from * consumers..(from + 1) * consumers).collect::<Vec<_>>();
    println!("kabinet, the reading flow: {accounts} accounts, 2 meters each, {concurrency} consumers at once");
    let mut figures = serde_json::Map::new();
    for r in -1..=n as i64 {
        let on = (r >= 0).then_some(server);
        let f = flow(
            on,
            accounts,
            r.max(0) as usize,
            (users(0), users(1)),
            concurrency,
            rate,
            menu,
        )
        .await;
        let (label, key) = match r {
            -1 => ("SQLite, polling".to_owned(), "sqlite".to_owned()),
            0 => ("PostgreSQL, polling".to_owned(), "pg_polling".to_owned()),
            r => (format!("PostgreSQL, {r} replica(s)"), format!("pg_replicas_{r}")),
        };
        if let serde_json::Value::Object(o) = report(&label, &key, &f, rate) {
            figures.extend(o);
        }
    }
    write_json(serde_json::Value::Object(figures));
}

/// `--region N` on PostgreSQL: the database `kabinet_region` on `server`, seeded once and kept
/// for later runs (each takes other consumers); the paced load, the bot's RSS, the export.
/// Backups are the database server's job there (`kabinet backup` refuses): not timed.
pub async fn region(server: &str, accounts: i64, consumers: i64, rate: usize, menu: &str) {
    let dir = tempfile::tempdir_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target")).unwrap();
    let db = format!("{}/kabinet_region", server.trim_end_matches('/'));
    let seeded = match Store::connect(&db).await {
        Ok(store) => {
            let n: Option<(i64,)> = sql::query_as("SELECT COUNT(*) FROM consumers")
                .fetch_optional(&store.pool)
                .await
                .ok()
                .flatten();
            store.pool.close().await;
            n.is_some_and(|(n,)| n == accounts)
        }
        Err(_) => false,
    };
    let seeding = if seeded {
        None
    } else {
        common::drop_postgres(server, "kabinet_region").await;
        common::create_postgres(server, "kabinet_region").await;
        let store = Store::open(&db).await.unwrap();
        let took = common::seed_region(&store, accounts, 2).await;
        // What autovacuum does in production after such an insert, done before measuring.
        let started = Instant::now();
        sql::query("VACUUM ANALYZE").execute(&store.pool).await.unwrap();
        store.pool.close().await;
        println!(
            "seeded {accounts} accounts, {} meters, {} readings in {:.0} s (VACUUM ANALYZE {:.0} s)",
            accounts * 2,
            accounts * 24,
            took.as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
        Some(took.as_secs_f64())
    };
    let store = Store::connect(&db).await.unwrap();
    let (size, last): (i64, i64) =
        sql::query_as("SELECT pg_database_size(current_database()), COALESCE((SELECT MAX(update_id) FROM inbox), 0)")
            .fetch_one(&store.pool)
            .await
            .unwrap();
    store.pool.close().await;
    let api = Arc::new(MockBotApi::start().await);
    // Telegram's update ids go on growing: the earlier runs' are handled already.
    api.continue_from(last + 1, last + 1);
    let mut bot = spawn(env!("CARGO_BIN_EXE_kabinet"), &api, &db, dir.path(), false);
    wait_ready(&api).await;
    let step = accounts / consumers;
    let shift = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        % step;
    let users: Vec<i64> = (0..consumers).map(|i| i * step + shift).collect();
    let load = paced(&api, users, rate, menu).await;
    let rss = peak_rss_mib(bot.id().unwrap());
    bot.kill().await.unwrap();
    let (last_month, export_s, exported) = export_last_month(&db, dir.path());
    let gib = size as f64 / (1u64 << 30) as f64;
    println!(
        "kabinet on PostgreSQL, a region: {accounts} accounts, {} meters, {} readings",
        accounts * 2,
        accounts * 24
    );
    if let Some(s) = seeding {
        row("seeding through SQL, s", format!("{s:.0}"));
    }
    row("database, GiB", format!("{gib:.2}"));
    row(
        &format!("paced at {rate}/s: updates/s"),
        format!("{:.1}", load.per_sec()),
    );
    row(&format!("paced at {rate}/s: p50 / p95 / p99, ms"), pcts(&load));
    row("peak RSS of the bot, MiB", format!("{rss:.1}"));
    row(
        &format!("export readings {last_month} ({exported} rows), s"),
        format!("{export_s:.1}"),
    );
    write_json(serde_json::json!({
        "region_pg_accounts": accounts, "region_pg_db_gib": gib,
        "region_pg_paced_rate": rate, "region_pg_paced_updates_per_s": load.per_sec(),
        "region_pg_paced_p50_ms": ms(percentile(&load.latencies, 0.5)),
        "region_pg_paced_p99_ms": ms(percentile(&load.latencies, 0.99)),
        "region_pg_peak_rss_mib": rss, "region_pg_export_s": export_s, "region_pg_export_rows": exported,
    }));
    if let Some(s) = seeding {
        write_json(serde_json::json!({ "region_pg_seed_s": s }));
    }
}
