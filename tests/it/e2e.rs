//! Black-box: the `kabinet` binary as a separate process, over HTTP to the local Bot API
//! server, SMTP to aiosmtpd, on a SQLite file.

use crate::flows::IVANOV;
use crate::helpers::no;
use crate::helpers::{Client, GROUP, Group, code_in, ru, step};
use crate::smtp::SmtpServer;
use kabinet::store::sql;
use std::sync::Arc;
use std::time::Duration;
use tgmock::{MockBotApi, TgUser};
use tokio::process::{Child, Command};

pub struct E2e {
    pub api: Arc<MockBotApi>,
    pub dir: tempfile::TempDir,
    pub db: crate::db::TestDb,
    pub smtp: SmtpServer,
    /// Where SMTP_URL points (the server may not be listening yet).
    pub smtp_port: u16,
    child: Option<Child>,
    env: Vec<(String, String)>,
    /// The Bot API calls that show a process taking updates, counted when the last one was
    /// spawned: a restarted process is started once it makes one of its own.
    taking_at_spawn: usize,
}

impl E2e {
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let mut e = Self::prepare(env).await;
        e.spawn();
        e.wait_started().await;
        e
    }

    /// Until the process takes updates (it polls, or has set its webhook), or has ended: on a
    /// loaded machine a start can outlast a step's wait. Says so when it took long.
    pub async fn wait_started(&mut self) {
        let started = tokio::time::Instant::now();
        loop {
            if self.taking_calls() > self.taking_at_spawn {
                break;
            }
            if self
                .child
                .as_mut()
                .is_some_and(|c| c.try_wait().ok().flatten().is_some())
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the bot did not start taking updates within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if started.elapsed() > Duration::from_secs(5) {
            eprintln!("the bot took {:.1?} to start taking updates", started.elapsed());
        }
    }

    /// getUpdates and setWebhook calls so far.
    fn taking_calls(&self) -> usize {
        self.api.calls("getUpdates").len() + self.api.calls("setWebhook").len()
    }

    /// Everything but the bot process: for tests that seed the database first.
    pub async fn prepare(env: &[(&str, &str)]) -> Self {
        let smtp = SmtpServer::start().await;
        let dir = tempfile::tempdir().unwrap();
        Self {
            api: Arc::new(MockBotApi::start().await),
            db: crate::db::TestDb::new(dir.path(), "kabinet.db").await,
            dir,
            smtp_port: smtp.port,
            smtp,
            child: None,
            taking_at_spawn: 0,
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    pub fn db_url(&self) -> String {
        self.db.url.clone()
    }

    /// The process's standard error, when `LOG_TO_FILE` is among the variables: the log.
    pub fn log_path(&self) -> std::path::PathBuf {
        self.dir.path().join("kabinet.log")
    }

    pub fn spawn(&mut self) {
        assert!(self.child.is_none());
        self.taking_at_spawn = self.taking_calls();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kabinet"));
        if self.env.iter().any(|(k, _)| k == "LOG_TO_FILE") {
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.log_path())
                .expect("log file");
            cmd.stderr(log);
        }
        cmd.arg("run")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TELOXIDE_TOKEN", "42:E2E")
            .env("TELOXIDE_API_URL", self.api.url())
            .env("DATABASE_URL", self.db_url())
            .env("SMTP_URL", format!("smtp://127.0.0.1:{}", self.smtp_port))
            .env("OUTBOX_RETRY_SECONDS", "1")
            .env("TELEGRAM_LIMITS", "off")
            // Tests send far faster than people; the flood tests set the door's own limits.
            .env("CHAT_UPDATES_BURST", "100000")
            .env("RUST_LOG", "warn")
            .current_dir(self.dir.path())
            .kill_on_drop(true);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        self.child = Some(cmd.spawn().expect("spawn kabinet"));
    }

    /// Sets (or with `None` removes) a variable for the next `spawn`.
    pub fn set_env(&mut self, key: &str, value: Option<&str>) {
        self.env.retain(|(k, _)| k != key);
        if let Some(v) = value {
            self.env.push((key.to_owned(), v.to_owned()));
        }
    }

    /// Waits for the process to end by itself (a failpoint); returns whether it exited cleanly.
    pub async fn wait_exit(&mut self) -> bool {
        let mut child = self.child.take().expect("running");
        // Generous: a loaded machine (a browser test beside it) slows a start and a step.
        let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
            .await
            .expect("the process ends")
            .unwrap();
        status.success()
    }

    pub async fn kill9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().await.unwrap();
    }

    /// SIGTERM; returns how long the process took to exit and whether it exited cleanly.
    pub async fn sigterm(&mut self) -> (Duration, bool) {
        let mut child = self.child.take().expect("running");
        let pid = child.id().unwrap().to_string();
        let started = std::time::Instant::now();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
            .await
            .expect("exits")
            .unwrap();
        (started.elapsed(), status.success())
    }

    pub fn user(&self, id: i64) -> Client {
        Client::new(self.api.clone(), TgUser::new(id, "Тест"))
    }
}

/// Registration up to the letter; returns after «Почти готово».
pub async fn register(e: &E2e, c: &mut Client) -> String {
    let summary = crate::flows::fill_registration(c, &IVANOV).await;
    c.press(&summary, &ru("reg.ok"));
    c.expect_key("reg.sent").await;
    let (_, body) = e.smtp.letter().await;
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_through_the_real_binary_and_smtp() {
    let e = E2e::start(&[]).await;
    let mut c = e.user(20_001);
    let letter = register(&e, &mut c).await;
    c.send(&code_in(&letter));
    c.expect_key("confirm.done").await;
    c.expect_key("menu.title").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_in_the_middle_of_registration_and_the_step_is_kept() {
    let mut e = E2e::start(&[]).await;
    let mut c = e.user(20_101);
    crate::flows::open_registration(&mut c, "kind.individual").await;
    c.send("112-233-445 95");
    c.expect(&step(4, 6)).await;
    e.kill9().await;
    e.spawn();
    c.send("Иванов Иван Иванович");
    c.expect_key("reg.email_q").await;
    // An update offered again after the crash was not answered a second time. (On PostgreSQL
    // the answer is an outbox row: one the killed process was sending when it died is sent
    // again by the next one and says so, as it may have arrived: that one alone may repeat.)
    let step4 = e
        .api
        .events_for(c.id())
        .iter()
        .filter(|ev| matches!(ev, tgmock::Event::Sent(m) if m.text.contains("Шаг 4 из 6")))
        .count();
    let store = kabinet::store::Store::open(&e.db_url()).await.unwrap();
    let (resent,): (i64,) =
        sql::query_as("SELECT COUNT(*) FROM outbox WHERE last_error = $1 AND payload LIKE '%Шаг 4 из 6%'")
            .bind(kabinet::store::outbox::RESENT)
            .fetch_one(&store.pool)
            .await
            .unwrap();
    assert!(
        step4 >= 1 && step4 <= 1 + resent as usize,
        "{step4} times, {resent} resent"
    );
    let (handled,): (i64,) = sql::query_as("SELECT COUNT(*) FROM readings")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(handled, 0, "nothing but the dialogue was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_updates_and_loses_none() {
    let mut e = E2e::start(&[]).await;
    let mut c = e.user(20_201);
    c.send("/start");
    c.expect_key("start.welcome").await;
    for _ in 0..5 {
        c.send("/help");
    }
    // Some of them are in flight when the signal comes.
    c.expect(&ru("help.text")).await;
    let (took, clean) = e.sigterm().await;
    assert!(clean, "exit code 0");
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");
    e.spawn();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let helps = e
            .api
            .events_for(c.id())
            .iter()
            .filter(|ev| matches!(ev, tgmock::Event::Sent(m) if m.text == ru("help.text")))
            .count();
        if helps == 5 {
            break;
        }
        assert!(helps < 5, "an update was answered twice");
        assert!(tokio::time::Instant::now() < deadline, "only {helps} of 5 answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Those offered again after the restart were recognised as handled, and confirmed.
    assert!(e.api.wait_updates_confirmed(Duration::from_secs(10)).await);
    let helps = e
        .api
        .events_for(c.id())
        .iter()
        .filter(|ev| matches!(ev, tgmock::Event::Sent(m) if m.text == ru("help.text")))
        .count();
    assert_eq!(helps, 5, "none answered twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bot_api_answers_are_survived() {
    // The faults are set before the bot's first poll.
    let mut e = E2e::prepare(&[]).await;
    e.api.garbage_next(2);
    e.spawn();
    let mut c = e.user(20_301);
    c.send("/start");
    c.expect_key("start.welcome").await;
    // And it carries on normally.
    c.send("/help");
    c.expect(&ru("help.text")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_to_the_bot_api_are_survived() {
    // The faults are set before the bot's first poll. The log is kept, shown if the chat reads
    // anything but what it should.
    let mut e = E2e::prepare(&[("LOG_TO_FILE", "1"), ("RUST_LOG", "info")]).await;
    let polls = e.api.calls("getUpdates").len();
    e.api.drop_next(3);
    e.spawn();
    let mut c = e.user(20_351);
    c.send("/start");
    // Answered once the connection holds again, and only once.
    let welcome = c.expect_key("start.welcome").await;
    assert!(
        e.api.calls("getUpdates").len() >= polls + 4,
        "it polled again after each cut"
    );
    // /help with nothing in progress answers with the help and then the welcome again (the
    // question of the moment): the chat reads exactly these three, the first welcome once.
    // (Counted once the second welcome is there: counted before, a slow machine passed, a
    // fast one saw «two welcomes».)
    c.send("/help");
    c.expect(&ru("help.text")).await;
    c.expect_key("start.welcome").await;
    let said: Vec<String> = e
        .api
        .events_for(20_351)
        .iter()
        .filter_map(|ev| match ev {
            tgmock::Event::Sent(m) => Some(m.text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        said,
        [welcome.text.clone(), ru("help.text"), welcome.text],
        "the log:\n{}",
        std::fs::read_to_string(e.log_path()).unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appeal_answered_in_the_operators_group_reaches_the_consumer() {
    let group_id = GROUP.to_string();
    let e = E2e::start(&[("OPERATOR_CHAT_ID", &group_id)]).await;
    appeal_answered(&e).await;
}

/// The same main scenario with updates by webhook: Telegram (tgmock) posts each update with
/// the secret token; a request without it is refused; back in polling mode the webhook goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_scenario_by_webhook() {
    let port = crate::helpers::free_port();
    let listen = format!("127.0.0.1:{port}");
    let url = format!("http://{listen}/tg");
    let group_id = GROUP.to_string();
    let mut e = E2e::start(&[
        ("OPERATOR_CHAT_ID", &group_id),
        ("WEBHOOK_URL", &url),
        ("WEBHOOK_LISTEN", &listen),
        ("WEBHOOK_SECRET", "s3cret-token"),
    ])
    .await;
    appeal_answered(&e).await;
    assert_eq!(e.api.webhook_url().as_deref(), Some(url.as_str()));
    assert!(
        e.api.calls("getUpdates").is_empty(),
        "no polling while the webhook is set"
    );
    let set = e.api.calls("setWebhook");
    assert_eq!(set[0]["secret_token"], "s3cret-token");
    // Sent as a form field or JSON: either way, pending updates are kept.
    assert_eq!(set[0]["drop_pending_updates"].to_string().trim_matches('"'), "false");
    // A request that does not carry the secret: 401, nothing handled.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = r#"{"update_id":999999,"message":{"message_id":1,"date":0,"chat":{"id":1,"type":"private","first_name":"X"},"from":{"id":1,"is_bot":false,"first_name":"X"},"text":"/start"}}"#;
    let mut s = tokio::net::TcpStream::connect(&listen).await.unwrap();
    let req = format!(
        "POST /tg HTTP/1.1\r\nHost: {listen}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(e.api.events_for(1).is_empty());
    // Back to polling: the webhook is removed and updates come by getUpdates again.
    let (_, clean) = e.sigterm().await;
    assert!(clean);
    e.set_env("WEBHOOK_URL", None);
    e.set_env("WEBHOOK_LISTEN", None);
    e.spawn();
    // Polling again: a message sent before the webhook is deleted would be in the way of the
    // start (the whole suite's load once made it so).
    e.wait_started().await;
    let mut c = e.user(20_402);
    c.send("/start");
    c.expect_key("start.welcome").await;
    assert_eq!(e.api.webhook_url(), None);
}

/// Registration, an appeal, its card in the group, the operator's (900001) answer, the push.
pub async fn appeal_answered(e: &E2e) -> Client {
    let mut c = e.user(20_401);
    appeal_filed(e, &mut c).await;
    let mut group = Group::new_for(e.api.clone());
    let card = group.expect(&no("О-2026-000001")).await;
    // Answered the moment the card shows: the bot waits for the card to be recorded.
    let op = TgUser::new(900_001, "Мария");
    group.reply(&op, &card, "Заменили провод на вводе.");
    c.expect("Заменили провод").await;
    c
}

/// A consumer registers, the operator 900001 is added, the consumer files an appeal
/// (О-2026-000001 when it is the first).
pub async fn appeal_filed(e: &E2e, c: &mut Client) -> tgmock::BotMessage {
    let letter = register(e, c).await;
    c.send(&code_in(&letter));
    c.expect_key("confirm.done").await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args([
            "--database-url",
            &e.db_url(),
            "operator",
            "add",
            "900001",
            "--name",
            "Мария",
        ])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success());
    file_appeal(c).await
}

/// A signed-in consumer files an appeal about the quality of supply; returns the
/// confirmation (with its «Открыть» button).
pub async fn file_appeal(c: &mut Client) -> tgmock::BotMessage {
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
    let s = c.expect_key("ticket.summary").await;
    c.press(&s, &ru("req.send"));
    c.expect_key("ticket.sent.appeal").await
}

/// Consumers signed in from chats `first..first+n`, each with a meter due for verification in
/// ten days: the verification reminder goes to every one of them when the bot starts.
pub async fn seed_reminders(e: &E2e, first: i64, n: i64) {
    let store = kabinet::store::Store::open(&e.db_url()).await.unwrap();
    let now = chrono::Utc::now();
    let due = (now + chrono::Duration::days(10)).date_naive();
    let mut tx = store.pool.begin().await.unwrap();
    for i in 0..n {
        let id: i64 = sql::query_scalar(
            "INSERT INTO consumers (kind, login, name, email, password_hash, status, created_at)
             VALUES ('individual', $1, 'Иванов Иван', 'r@example.ru', 'x', 'confirmed', $2) RETURNING id",
        )
        .bind(format!("{:011}", 20_000_000_000_i64 + first + i))
        .bind(now)
        .fetch_one(&mut tx)
        .await
        .unwrap();
        sql::query("INSERT INTO chats (chat_id, consumer_id, linked_at) VALUES ($1, $2, $3)")
            .bind(first + i)
            .bind(id)
            .bind(now)
            .execute(&mut tx)
            .await
            .unwrap();
        sql::query(
            "INSERT INTO meters (consumer_id, resource, serial, place, address, zones, int_digits, frac_digits, next_verification, created_at)
             VALUES ($1, 'cold_water', $2, 'кухня', 'адрес', 1, 5, 3, $3, $4)",
        )
        .bind(id)
        .bind(format!("W-{i}"))
        .bind(due)
        .bind(now)
        .execute(&mut tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn wait_reminders(e: &E2e, first: i64, n: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let counts: Vec<usize> = (first..first + n)
            .map(|chat| {
                e.api
                    .events_for(chat)
                    .iter()
                    .filter(|ev| matches!(ev, tgmock::Event::Sent(m) if m.text.contains("Срок поверки")))
                    .count()
            })
            .collect();
        assert!(counts.iter().all(|c| *c <= 1), "a reminder went twice");
        if counts.iter().all(|c| *c == 1) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {n} delivered",
            counts.iter().sum::<usize>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_consumers_get_a_reminder_without_a_single_429() {
    let mut e = E2e::prepare(&[("TELEGRAM_LIMITS", "on")]).await;
    seed_reminders(&e, 30_000, 200).await;
    e.api.enforce_limits(true);
    e.spawn();
    wait_reminders(&e, 30_000, 200).await;
    assert_eq!(e.api.too_many_requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_sends_for_a_while_and_every_notification_arrives_once() {
    let mut e = E2e::prepare(&[]).await;
    seed_reminders(&e, 31_000, 5).await;
    e.api.fail_next(1, 502);
    e.spawn();
    wait_reminders(&e, 31_000, 5).await;
    // And a restart does not send them again.
    let (_, clean) = e.sigterm().await;
    assert!(clean);
    e.spawn();
    let mut c = e.user(31_000);
    c.send("/help");
    c.expect(&ru("help.text")).await;
    wait_reminders(&e, 31_000, 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_down_at_registration_then_back_and_the_letter_arrives() {
    let free = crate::helpers::free_port();
    let mut e = E2e::prepare(&[]).await;
    e.smtp_port = free;
    e.spawn();
    let mut c = e.user(20_501);
    let summary = crate::flows::fill_registration(&mut c, &IVANOV).await;
    c.press(&summary, &ru("reg.ok"));
    c.expect_key("reg.sent").await;
    // The server comes up on that port later; the retries (every second here) deliver.
    let late = SmtpServer::start_on(free).await;
    let (_, body) = late.letter().await;
    c.send(&code_in(&body));
    c.expect_key("confirm.done").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meter_added_and_a_reading_sent() {
    let e = E2e::start(&[]).await;
    let mut c = e.user(20_601);
    let letter = register(&e, &mut c).await;
    c.send(&code_in(&letter));
    c.expect_key("menu.title").await;
    crate::flows::add_meter_for_e2e(&mut c).await;
    c.send(&ru("menu.send_readings"));
    c.expect_key("reading.q").await;
    c.send("1234,5");
    c.expect_key("reading.accepted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_name_the_update_and_the_chat_on_each_line() {
    let mut e = E2e::start(&[
        ("LOG_TO_FILE", "1"),
        ("LOG_FORMAT", "json"),
        ("RUST_LOG", "info,kabinet=debug,sqlx=warn"),
    ])
    .await;
    let mut c = e.user(20_301);
    c.send("/start");
    c.expect_key("start.welcome").await;
    let (_, clean) = e.sigterm().await;
    assert!(clean);
    let log = std::fs::read_to_string(e.log_path()).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|err| panic!("not JSON ({err}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["timestamp"].is_string())
    );
    let handled = lines
        .iter()
        .find(|l| l["fields"]["message"] == "message handled")
        .unwrap_or_else(|| panic!("no line of the handled update in:\n{log}"));
    assert_eq!(handled["span"]["chat"], 20_301, "{handled}");
    assert!(handled["span"]["update"].as_i64().is_some(), "{handled}");
}

/// `kabinet <args>` on this database, as the back office runs it.
async fn back_office(e: &E2e, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args(["--database-url", &e.db_url()])
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("BACKUP_DIR")
        .output()
        .await
        .unwrap()
}

/// On PostgreSQL backups are the database's job: `kabinet backup` and `restore` say so and
/// touch nothing, and BACKUP_DIR writes nothing while the bot runs on.
async fn backups_on_postgres_are_the_databases_job(mut e: E2e, dir: std::path::PathBuf) {
    e.spawn();
    let mut c = e.user(20_501);
    c.send("/start");
    c.expect_key("start.welcome").await;
    let copy = e.dir.path().join("copy.db");
    for args in [
        vec!["backup", copy.to_str().unwrap()],
        vec!["restore", copy.to_str().unwrap()],
    ] {
        let out = back_office(&e, &args).await;
        assert!(!out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(kabinet::cli::POSTGRES_BACKUPS),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(!copy.exists() && !dir.exists());
    c.send("/menu");
    c.expect_key("start.welcome").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_and_a_restore_that_waits_for_the_bot_to_stop() {
    let mut e = E2e::prepare(&[]).await;
    if crate::db::on_postgres() {
        let dir = e.dir.path().join("backups");
        e.set_env("BACKUP_DIR", Some(dir.to_str().unwrap()));
        return backups_on_postgres_are_the_databases_job(e, dir).await;
    }
    let dir = e.dir.path().join("backups");
    e.set_env("BACKUP_DIR", Some(dir.to_str().unwrap()));
    e.set_env("BACKUP_KEEP", Some("3"));
    e.spawn();
    let mut c = e.user(20_501);
    c.send("/start");
    c.expect_key("start.welcome").await;
    // The first backup is taken at start (none was there), compressed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let backup = loop {
        if let Some(b) = kabinet::worker::backup::backups_in(&dir).pop() {
            break b;
        }
        assert!(tokio::time::Instant::now() < deadline, "no backup in {}", dir.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(&std::fs::read(&backup).unwrap()[..2], &[0x1f, 0x8b], "gzip");
    #[cfg(unix)]
    let mode_of = |p: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    // A copy of everyone's data: the owner's alone (finding 18).
    #[cfg(unix)]
    assert_eq!(mode_of(&backup), 0o600);

    // A change after it; a restore while the bot runs is refused and changes nothing.
    assert!(back_office(&e, &["operator", "add", "555"]).await.status.success());
    let refused = back_office(&e, &["restore", backup.to_str().unwrap()]).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("stop the bot first"));

    // Stopped: the restore puts the backup in place and keeps what it replaced.
    let (_, clean) = e.sigterm().await;
    assert!(clean);
    let db_file = e.dir.path().join("kabinet.db");
    #[cfg(unix)]
    let mode_before = mode_of(&db_file);
    let restored = back_office(&e, &["restore", backup.to_str().unwrap()]).await;
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    // The restored file keeps the replaced one's mode (and owner).
    #[cfg(unix)]
    assert_eq!(mode_of(&db_file), mode_before);
    let list = back_office(&e, &["operator", "list"]).await;
    assert!(
        !String::from_utf8_lossy(&list.stdout).contains("555"),
        "the later change is gone"
    );
    assert!(
        std::fs::read_dir(e.dir.path()).unwrap().any(|f| f
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".before-restore-")),
        "the replaced database is kept"
    );
    // And the bot runs on it (on a loaded machine a start can outlast a step's wait).
    e.spawn();
    e.wait_started().await;
    c.send("/menu");
    c.expect_key("start.welcome").await;
}

/// One plain HTTP/1.1 GET: (status, body).
pub async fn http_get(addr: &str, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The value of a sample line `name{labels} value` (0 when absent).
pub fn sample(metrics: &str, line_start: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_follow_what_the_bot_does() {
    let port = crate::helpers::free_port();
    let addr = format!("127.0.0.1:{port}");
    let e = E2e::start(&[("METRICS_LISTEN", &addr)]).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::net::TcpStream::connect(&addr).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "nothing listens on {addr}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(http_get(&addr, "/healthz").await.0, 200);
    let (_, before) = http_get(&addr, "/metrics").await;

    // A registration: updates handled, a letter sent.
    let mut c = e.user(20_601);
    register(&e, &mut c).await;
    let (status, ready) = http_get(&addr, "/readyz").await;
    assert_eq!(status, 200, "{ready}");
    let (status, after) = http_get(&addr, "/metrics").await;
    assert_eq!(status, 200);
    let updates = "kabinet_updates_total{kind=\"message\"}";
    assert!(sample(&after, updates) > sample(&before, updates), "{after}");
    let callbacks = "kabinet_updates_total{kind=\"callback\"}";
    assert!(sample(&after, callbacks) >= 1.0, "{after}");
    assert!(sample(&after, "kabinet_handler_seconds_count") >= 3.0, "{after}");
    // The confirmation letter went out (the outbox delivers it within a moment).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (_, m) = http_get(&addr, "/metrics").await;
        if sample(&m, "kabinet_emails_total{result=\"sent\"}") >= 1.0 {
            assert!(m.contains("kabinet_open_items{kind=\"ticket\"} 0"), "{m}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no e-mail counted: {m}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
