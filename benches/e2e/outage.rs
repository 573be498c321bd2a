//! An outage told to a whole district: `cargo bench --bench e2e -- --outage 50000 [--paid]`.
//! N consumers signed in, each with a meter in the area; `kabinet outage add` publishes an
//! emergency outage on the whole street (as an operator would, a separate process) while the
//! bot runs against a server that enforces Telegram's limits (30 a second overall, 1,000 for
//! paid broadcasts). Meanwhile other people ask the bot something, one a second. Measures:
//! the time from the first notice to the last and its rate, the 429 answers, and how long the
//! others waited for an answer (p50/p99).

use super::*;

/// Seeds, runs and reports.
pub async fn outage(consumers: i64, paid: bool) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("o.db").display());
    let seeding = Instant::now();
    {
        let store = Store::open(&db).await.unwrap();
        common::seed(&store, consumers, 1, 3000).await;
        sql::query("UPDATE meters SET address = 'г. Город, ул. Ленина, д. ' || (id % 300 + 1)")
            .execute(&store.pool)
            .await
            .unwrap();
        store.pool.close().await;
    }
    let seeded = seeding.elapsed();
    let api = Arc::new(MockBotApi::start().await);
    api.enforce_limits(true);
    let bin = env!("CARGO_BIN_EXE_kabinet");
    let mut cmd = command(bin, &api, &db, dir.path(), true, None);
    cmd.env("PAID_BROADCAST", if paid { "true" } else { "false" });
    let mut bot = cmd.spawn().expect("spawn");
    wait_ready(&api).await;

    // Published from a second process, as the back office or the group's form does.
    let local = |h: i64| {
        (chrono::Utc::now() + chrono::Duration::hours(3 + h))
            .format("%d.%m.%Y %H:%M")
            .to_string()
    };
    let published = Instant::now();
    let out = Command::new(bin)
        .args(["outage", "add", "--resource", "cold_water", "--emergency"])
        .args([
            "--area",
            "г. Город, ул. Ленина",
            "--from",
            &local(-1),
            "--to",
            &local(4),
        ])
        .env("DATABASE_URL", &db)
        .env("TELOXIDE_TOKEN", "1:BENCH")
        .env("PAID_BROADCAST", if paid { "true" } else { "false" })
        .env("RUST_LOG", "error")
        .current_dir(dir.path())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let queued = published.elapsed();

    // Other people talk to the bot meanwhile: one asks every second, each of 20 every 20 s (a
    // person's own chat has its own limit of about one message a second).
    let others: Vec<TgUser> = (0..20).map(|i| TgUser::new(92_000_001 + i, "Other")).collect();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let asking = {
        let (api, done) = (api.clone(), done.clone());
        tokio::spawn(async move {
            let mut waits = Vec::new();
            for other in others.iter().cycle() {
                if done.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let update = other.text(api.next_message_id(), "/help");
                let (_, took) = step(&api, other.id, update, "").await;
                waits.push(took);
                tokio::time::sleep(Duration::from_millis(1000)).await;
            }
            waits
        })
    };
    let is_notice = |e: &Event| matches!(e, Event::Sent(m) if m.text.contains("Аварийное отключение"));
    let deadline = Instant::now() + Duration::from_secs(3 * 3600);
    let mut first: Option<Instant> = None;
    let mut seen = 0;
    let mut counted = 0;
    loop {
        let events = api.events();
        seen += events[counted..].iter().filter(|e| is_notice(e)).count();
        counted = events.len();
        if seen > 0 && first.is_none() {
            first = Some(Instant::now());
        }
        if seen as i64 >= consumers || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let took = first.map(|f| f.elapsed()).unwrap_or_default().as_secs_f64();
    let rate = (seen as f64 - 1.0) / took.max(0.001);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut waits = asking.await.unwrap();
    waits.sort();
    // Everything sent meanwhile (the answers to the others share Telegram's overall limit).
    let answers = api
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Sent(m) if (92_000_001..92_000_021).contains(&m.chat_id)))
        .count();
    let too_many = api.too_many_requests();
    let paid_sent = api.paid_messages();
    bot.kill().await.unwrap();

    let mode = if paid { "paid" } else { "free" };
    println!("kabinet outage benchmark: {consumers} consumers in the area, {mode} broadcast");
    row("measure", "value".into());
    row("seeding, s", format!("{:.1}", seeded.as_secs_f64()));
    row(
        "published and queued (the command), s",
        format!("{:.1}", queued.as_secs_f64()),
    );
    row("notices delivered", format!("{seen}"));
    row("first to last notice, s", format!("{took:.1}"));
    row("notices/s", format!("{rate:.1}"));
    row(
        "with the answers to the others: messages/s",
        format!("{:.1}", (seen + answers) as f64 / took.max(0.001)),
    );
    row("429 answers", format!("{too_many}"));
    row("sent with allow_paid_broadcast", format!("{paid_sent}"));
    row(
        "others meanwhile: answer p50 / p99, ms",
        format!(
            "{:.0}/{:.0} ({} asks)",
            ms(percentile(&waits, 0.5)),
            ms(percentile(&waits, 0.99)),
            waits.len()
        ),
    );
    write_json(serde_json::json!({
        format!("outage_{mode}_consumers"): consumers,
        format!("outage_{mode}_per_s"): rate,
        format!("outage_{mode}_429"): too_many,
        format!("outage_{mode}_other_p99_ms"): ms(percentile(&waits, 0.99)),
    }));
}
