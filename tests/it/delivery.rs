//! Delivery you can trust, black-box: the `kabinet` binary against the local Bot API server
//! with Telegram's limits on — bursts of people, a broadcast beside a conversation, crashes at
//! the worst moment, a stop with a long queue.

use crate::e2e::{E2e, register, seed_reminders};
use crate::helpers::{Client, code_in, ru, snils, step};
use kabinet::store::sql;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tgmock::Event;

/// Messages sent to each chat whose text contains `needle`.
fn sent_per_chat(e: &E2e, needle: &str) -> HashMap<i64, usize> {
    let mut out = HashMap::new();
    for ev in e.api.events() {
        if let Event::Sent(m) = ev
            && m.text.contains(needle)
        {
            *out.entry(m.chat_id).or_default() += 1;
        }
    }
    out
}

/// The appeal's steps up to its summary (no files, no copy by e-mail).
async fn appeal_summary(c: &mut Client) -> tgmock::BotMessage {
    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    c.press(&hub, &ru("ticket.new.appeal"));
    let q = c.expect_key("ticket.topic_q").await;
    c.press(&q, &ru("topic.appeal.quality"));
    c.send("Мигает свет");
    let q = c.expect_key("ticket.address_q").await;
    c.press(&q, &ru("common.skip"));
    let q = c.expect_key("ticket.files_q").await;
    c.press(&q, &ru("common.skip"));
    let q = c.expect_key("ticket.email_q").await;
    c.press(&q, &ru("ticket.email_no"));
    c.expect_key("ticket.summary").await
}

/// The process dies at `failpoint` while «Отправить» is handled; after a restart there is
/// exactly one appeal and the person got exactly one confirmation.
async fn crash_while_filing(failpoint: &str, chat: i64) {
    let mut e = E2e::start(&[]).await;
    let mut c = e.user(chat);
    let letter = register(&e, &mut c).await;
    c.send(&code_in(&letter));
    c.expect_key("menu.title").await;
    let summary = appeal_summary(&mut c).await;
    e.sigterm().await;
    e.set_env("KABINET_FAILPOINT", Some(failpoint));
    e.spawn();
    // On a loaded machine a start can outlast a step's wait (a browser test beside it).
    e.wait_started().await;
    c.press(&summary, &ru("req.send"));
    assert!(!e.wait_exit().await, "the process died at {failpoint}");
    e.set_env("KABINET_FAILPOINT", None);
    e.spawn();
    e.wait_started().await;
    c.expect_key("ticket.sent.appeal").await;
    // Everything offered again was handled, everything queued was sent: then count.
    assert!(e.api.wait_updates_confirmed(Duration::from_secs(15)).await);
    let store = kabinet::store::Store::connect(&e.db_url()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (pending,): (i64,) =
            sql::query_as("SELECT COUNT(*) FROM outbox WHERE channel = 'telegram' AND status = 'pending'")
                .fetch_one(&store.pool)
                .await
                .unwrap();
        if pending == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "a reply never left the outbox");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (tickets,): (i64,) = sql::query_as("SELECT COUNT(*) FROM tickets")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(tickets, 1, "one appeal after a crash at {failpoint}");
    let confirmations = sent_per_chat(&e, "зарегистрировано");
    assert_eq!(
        confirmations.get(&chat),
        Some(&1),
        "one confirmation after a crash at {failpoint}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_the_commit_files_once_and_confirms_once() {
    crash_while_filing(kabinet::failpoint::BEFORE_COMMIT, 40_001).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_the_commit_files_once_and_confirms_once() {
    crash_while_filing(kabinet::failpoint::AFTER_COMMIT, 40_101).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_people_press_start_in_one_second_and_each_is_welcomed_once() {
    let e = E2e::start(&[("TELEGRAM_LIMITS", "on")]).await;
    e.api.enforce_limits(true);
    let people: Vec<Client> = (0..100).map(|i| e.user(41_000 + i)).collect();
    let started = Instant::now();
    for p in &people {
        p.send("/start");
    }
    let welcome = ru("start.welcome");
    let head = welcome.split("%{").next().unwrap_or_default().to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let got = sent_per_chat(&e, &head);
        assert!(got.values().all(|n| *n == 1), "someone was welcomed twice");
        if got.len() == 100 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{} of 100 welcomed", got.len());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = started.elapsed();
    let refused = e.api.too_many_requests();
    eprintln!(
        "100 × /start: all answered in {:.2} s (Telegram's floor 100/30 = 3.33 s); 429 received and absorbed: {refused}",
        took.as_secs_f64()
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_people_register_at_a_human_pace_while_ten_thousand_reminders_go_out() {
    let mut e = E2e::prepare(&[("TELEGRAM_LIMITS", "on")]).await;
    seed_reminders(&e, 50_000, 10_000).await;
    e.api.enforce_limits(true);
    e.spawn();
    // The broadcast is under way before the first person writes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while sent_per_chat(&e, "Срок поверки").len() < 30 {
        assert!(tokio::time::Instant::now() < deadline, "the broadcast did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let people = (0..20u64).map(|i| {
        let mut c = e.user(42_000 + i as i64);
        async move {
            // People take a moment between steps; each answer is timed from the press.
            let pace = Duration::from_millis(600 + 37 * i);
            let mut latencies = Vec::new();
            let t = Instant::now();
            c.send("/start");
            let welcome = c.expect_key("start.welcome").await;
            latencies.push(t.elapsed());
            tokio::time::sleep(pace).await;
            let t = Instant::now();
            c.press(&welcome, &ru("start.register"));
            let consent = c.expect_key("reg.consent").await;
            latencies.push(t.elapsed());
            tokio::time::sleep(pace).await;
            let t = Instant::now();
            c.press(&consent, &ru("reg.consent_yes"));
            let kind = c.expect_key("reg.kind_q").await;
            latencies.push(t.elapsed());
            tokio::time::sleep(pace).await;
            let t = Instant::now();
            c.press(&kind, &ru("kind.individual"));
            c.expect(&step(3, 6)).await;
            latencies.push(t.elapsed());
            for (text, next) in [
                (snils(100_200_300 + i * 7), "Шаг 4 из 6"),
                ("Петров Пётр Петрович".to_owned(), "Шаг 5 из 6"),
                (format!("p{i}@example.ru"), "Шаг 6 из 6"),
                ("correct horse".to_owned(), "Повторите пароль"),
                ("correct horse".to_owned(), "Проверьте данные"),
            ] {
                tokio::time::sleep(pace).await;
                let t = Instant::now();
                c.send(&text);
                c.expect(next).await;
                latencies.push(t.elapsed());
            }
            latencies
        }
    });
    let mut all: Vec<Duration> = futures::future::join_all(people).await.into_iter().flatten().collect();
    all.sort();
    let p = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    let reminders = sent_per_chat(&e, "Срок поверки");
    eprintln!(
        "20 registrations during a 10,000-reminder broadcast: {} replies, p50 {:?}, p99 {:?}, max {:?}; reminders sent meanwhile {}; 429 received {}",
        all.len(),
        p(0.5),
        p(0.99),
        all.last().unwrap(),
        reminders.len(),
        e.api.too_many_requests()
    );
    assert!(reminders.values().all(|n| *n == 1), "a reminder went twice");
    assert!(reminders.len() < 10_000, "the broadcast was still running");
    assert!(p(0.99) < Duration::from_secs(3), "p99 {:?}", p(0.99));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_within_ten_seconds_with_a_long_queue_and_nothing_goes_twice() {
    let mut e = E2e::prepare(&[("TELEGRAM_LIMITS", "on")]).await;
    seed_reminders(&e, 60_000, 10_000).await;
    e.api.enforce_limits(true);
    e.spawn();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while sent_per_chat(&e, "Срок поверки").len() < 100 {
        assert!(tokio::time::Instant::now() < deadline, "the broadcast did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (took, clean) = e.sigterm().await;
    assert!(clean, "exit code 0");
    assert!(took < Duration::from_secs(10), "stopped in {took:?}");
    let before = sent_per_chat(&e, "Срок поверки").len();
    assert!(before < 10_000, "the queue was long when it stopped");
    // The rest goes after a restart, and nothing twice.
    e.spawn();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = sent_per_chat(&e, "Срок поверки");
        assert!(now.values().all(|n| *n == 1), "a reminder went twice");
        if now.len() >= before + 50 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the queue did not go on");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the logs say of people: no e-mail address, no full login, at the most talkative level
/// the bot's own code has, through registration, a failed letter, wrong passwords and a reset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_names_no_address_and_no_login() {
    let free = crate::helpers::free_port();
    let mut e = E2e::prepare(&[
        ("LOG_TO_FILE", "1"),
        ("RUST_LOG", "debug,hyper=info,reqwest=info,h2=info,sqlx=info"),
    ])
    .await;
    // The first letters fail: SMTP is not there yet.
    e.smtp_port = free;
    e.spawn();
    let mut c = e.user(43_001);
    let summary = crate::flows::fill_registration(&mut c, &crate::flows::IVANOV).await;
    c.press(&summary, &ru("reg.ok"));
    c.expect_key("reg.sent").await;
    // Once the worker has tried and failed (started before, the first try could succeed).
    let store = kabinet::store::Store::open(&e.db_url()).await.unwrap();
    crate::helpers::wait_count(
        &store,
        "SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND attempts >= 1",
        1,
    )
    .await;
    let late = crate::smtp::SmtpServer::start_on(free).await;
    let (_, body) = late.letter().await;
    c.send(&code_in(&body));
    c.expect_key("confirm.done").await;
    let mut other = e.user(43_002);
    crate::flows::open_login(&mut other).await;
    other.send("112-233-445 95");
    other.expect_key("login.password_q").await;
    other.send("wrong password");
    other.expect_key("login.bad").await;
    let (_, clean) = e.sigterm().await;
    assert!(clean);
    let log = std::fs::read_to_string(e.log_path()).unwrap();
    assert!(log.contains("will retry"), "the failed letter was logged");
    for secret in ["ivanov@example.ru", "11223344595", "correct horse"] {
        assert!(!log.contains(secret), "the log names {secret}");
    }
    let store = kabinet::store::Store::connect(&e.db_url()).await.unwrap();
    let errors: Vec<(Option<String>,)> = sql::query_as("SELECT last_error FROM outbox")
        .fetch_all(&store.pool)
        .await
        .unwrap();
    for (err,) in errors.into_iter() {
        let err = err.unwrap_or_default();
        assert!(!err.contains("ivanov@") && !err.contains("11223344595"), "{err}");
    }
}
