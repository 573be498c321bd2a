//! Several replicas on one PostgreSQL database, black-box: three `kabinet` processes in webhook
//! mode behind a balancer (tgmock posting to them in turn, a chat's updates one at a time as
//! Telegram does, so one chat's updates reach different replicas), 50 consumers sending
//! readings and appeals, an operator answering every appeal; one replica killed with SIGKILL
//! in the middle and another restarted. Nothing is lost, nothing is doubled, every chat's
//! order holds, every card and every push goes once.

use crate::helpers::{GROUP, ru, ru_head, transcript_of};
use kabinet::store::Store;
use kabinet::store::sql;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tgmock::{BotMessage, Event, MockBotApi, TgUser};
use tokio::process::{Child, Command};

const CONSUMERS: i64 = 50;
const CHAT_BASE: i64 = bench_common::CHAT_BASE;
const OPERATOR: i64 = 900_077;
/// Long enough for a lease to run out and another replica to claim what a killed one held.
const PATIENCE: Duration = Duration::from_secs(45);

struct Replica {
    port: u16,
    child: Option<Child>,
}

struct Cluster {
    api: Arc<MockBotApi>,
    dir: tempfile::TempDir,
    db: String,
    /// Webhook mode behind the balancer; `None`: polling (the leader polls, all handle).
    hook_url: Option<String>,
}

impl Cluster {
    fn spawn(&self, r: &mut Replica, n: usize) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join(format!("replica{n}.log")))
            .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kabinet"));
        cmd.arg("run").env_clear();
        // After `env_clear` (set before it, they were cleared: the webhook test polled).
        if let Some(url) = &self.hook_url {
            cmd.env("WEBHOOK_URL", url)
                .env("WEBHOOK_LISTEN", format!("127.0.0.1:{}", r.port));
        }
        let child = cmd
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TELOXIDE_TOKEN", "42:REPLICAS")
            .env("TELOXIDE_API_URL", self.api.url())
            .env("DATABASE_URL", &self.db)
            .env("MAIL_DIR", self.dir.path().join("mail"))
            .env("OPERATOR_CHAT_ID", GROUP.to_string())
            .env("OUTBOX_RETRY_SECONDS", "1")
            .env("TELEGRAM_LIMITS", "off")
            .env("CHAT_UPDATES_BURST", "100000")
            .env("RUST_LOG", "info")
            .current_dir(self.dir.path())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn kabinet");
        r.child = Some(child);
    }

    /// The replica that leads now, by its log (it says so when it starts leading).
    fn leader(&self) -> Option<usize> {
        (0..3).find(|n| {
            let log = std::fs::read_to_string(self.dir.path().join(format!("replica{n}.log"))).unwrap_or_default();
            log.rfind("leading: this replica polls")
                .is_some_and(|at| !log[at..].contains("no longer leading"))
        })
    }

    fn logs(&self) -> String {
        (0..3)
            .map(|n| {
                let log = std::fs::read_to_string(self.dir.path().join(format!("replica{n}.log"))).unwrap_or_default();
                format!("--- replica {n}\n{log}")
            })
            .collect()
    }
}

/// The benchmarks' seeding: consumers signed in from chats `CHAT_BASE..`, meters with an
/// installation reading each.
#[path = "../../benches/common/mod.rs"]
#[allow(dead_code)]
mod bench_common;

/// Consumers signed in from chats CHAT_BASE.., two electricity meters each with an
/// installation reading, and the operator.
async fn seed(store: &Store) {
    bench_common::seed(store, CONSUMERS, 2, 3000).await;
    sql::query("INSERT INTO operators (telegram_id, name, added_at) VALUES ($1, 'Мария', $2)")
        .bind(OPERATOR)
        .bind(chrono::Utc::now())
        .execute(&store.pool)
        .await
        .unwrap();
}

/// A consumer: their chat, and the events already looked at.
struct Person {
    api: Arc<MockBotApi>,
    store: Store,
    user: TgUser,
    cursor: usize,
    presses: usize,
}

impl Person {
    fn chat(&self) -> i64 {
        self.user.id
    }

    fn send(&self, text: &str) {
        let id = self.api.next_message_id();
        self.api.push_update(self.user.text(id, text));
    }

    fn press(&mut self, msg: &BotMessage, label: &str) {
        let data = msg
            .inline_buttons()
            .into_iter()
            .find(|(t, _)| t == label)
            .unwrap_or_else(|| panic!("no «{label}» under «{}»", msg.text))
            .1;
        self.presses += 1;
        self.api.push_update(
            self.user
                .press(&format!("q{}-{}", self.chat(), self.presses), msg, &data),
        );
    }

    fn press_first(&mut self, msg: &BotMessage) {
        let label = msg.inline_buttons()[0].0.clone();
        self.press(msg, &label);
    }

    /// The next message in the chat containing any of `needles`.
    async fn expect(&mut self, needles: &[&str]) -> BotMessage {
        let chat = self.chat();
        let found = self
            .api
            .wait_event(self.cursor, PATIENCE, |e| {
                matches!(e, Event::Sent(m) | Event::Edited(m) if m.chat_id == chat && needles.iter().any(|n| m.text.contains(n)))
            })
            .await;
        match found {
            Some((i, Event::Sent(m) | Event::Edited(m))) => {
                self.cursor = i + 1;
                m
            }
            _ => panic!(
                "no {needles:?} for chat {chat}; transcript:\n{}\n{}",
                transcript_of(&self.api, chat),
                dump(&self.store, chat).await
            ),
        }
    }
}

/// A reading, a burst of three messages at once (their answers must come in their order), an
/// appeal.
async fn consumer(mut p: Person, done: Arc<AtomicUsize>) {
    p.send(&ru("menu.send_readings"));
    let which = p.expect(&["Для какого прибора"]).await;
    p.press_first(&which);
    p.expect(&["Введите показание"]).await;
    p.send("1100");
    p.expect(&["Показания приняты"]).await;
    // Three at once: each answered, in the order sent.
    p.send(&ru("menu.send_readings"));
    p.send("/menu");
    p.send(&ru("menu.send_readings"));
    p.expect(&["Для какого прибора"]).await;
    p.expect(&[&ru_head("menu.title")]).await;
    p.expect(&["Для какого прибора"]).await;
    done.fetch_add(1, Ordering::SeqCst);
    appeal(&mut p).await;
    // The operator's answer, pushed.
    p.expect(&[&format!("Ответ для чата {}", p.chat())]).await;
}

/// An appeal, about one of the meters or not: «Мигает свет, чат N».
async fn appeal(p: &mut Person) {
    p.send(&ru("menu.services"));
    let hub = p.expect(&[&ru_head("services.title")]).await;
    p.press(&hub, &ru("ticket.new.appeal"));
    let q = p.expect(&[&ru_head("ticket.topic_q")]).await;
    p.press(&q, &ru("topic.appeal.quality"));
    p.expect(&["Опишите вопрос"]).await;
    p.send(&format!("Мигает свет, чат {}", p.chat()));
    let q = p.expect(&[&ru_head("ticket.address_q")]).await;
    p.press(&q, &ru("common.skip"));
    let mut q = p
        .expect(&["Приложите фото", "Относится ли вопрос к одному из ваших приборов"])
        .await;
    if !q.text.contains("Приложите фото") {
        p.press(&q, &ru("common.skip"));
        q = p.expect(&["Приложите фото"]).await;
    }
    p.press(&q, &ru("common.skip"));
    let q = p.expect(&["Прислать копию ответа"]).await;
    p.press(&q, &ru("ticket.email_no"));
    let s = p.expect(&["Проверьте перед отправкой"]).await;
    p.press(&s, &ru("req.send"));
    p.expect(&["зарегистрировано"]).await;
}

/// The chat's inbox and outbox rows, for a failure's message.
async fn dump(store: &Store, chat: i64) -> String {
    type Kept = (
        i64,
        Option<String>,
        Option<chrono::DateTime<chrono::Utc>>,
        chrono::DateTime<chrono::Utc>,
    );
    let inbox: Vec<Kept> = sql::query_as(
        "SELECT update_id, owner, handled_at, received_at FROM inbox WHERE chat_id = $1 ORDER BY update_id",
    )
    .bind(chat)
    .fetch_all(&store.pool)
    .await
    .unwrap_or_default();
    type Queued = (
        i64,
        String,
        String,
        i64,
        Option<String>,
        chrono::DateTime<chrono::Utc>,
        Option<chrono::DateTime<chrono::Utc>>,
    );
    let outbox: Vec<Queued> = sql::query_as(
        "SELECT id, status, substr(payload, 1, 70), attempts, owner, created_at, done_at FROM outbox
          WHERE payload LIKE $1 ORDER BY id",
    )
    .bind(format!("%{chat}%"))
    .fetch_all(&store.pool)
    .await
    .unwrap_or_default();
    format!("inbox:\n{inbox:?}\noutbox:\n{outbox:?}")
}

fn sent_in(api: &MockBotApi, chat: i64, needle: &str) -> usize {
    api.events_for(chat)
        .iter()
        .filter(|e| matches!(e, Event::Sent(m) if m.text.contains(needle)))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_lose_nothing_double_nothing_and_keep_each_chats_order() {
    three_replicas(true).await;
}

/// The same by long polling: only the leader polls (a second poller would get 409), every
/// replica handles, and when the leader is killed another takes over polling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_polling_replicas_share_the_work_and_take_over_polling() {
    three_replicas(false).await;
}

async fn three_replicas(webhook: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = crate::db::TestDb::postgres(dir.path()).await else {
        return;
    };
    let store = Store::open(&db.url).await.unwrap();
    seed(&store).await;
    let api = Arc::new(MockBotApi::start().await);
    let mut replicas: Vec<Replica> = (0..3)
        .map(|_| Replica {
            port: bench_common::free_port(),
            child: None,
        })
        .collect();
    if webhook {
        api.balance(replicas.iter().map(|r| format!("127.0.0.1:{}", r.port)).collect());
    }
    let cluster = Cluster {
        api: api.clone(),
        hook_url: webhook.then(|| format!("http://127.0.0.1:{}/tg", replicas[0].port)),
        db: db.url.clone(),
        dir,
    };
    for (n, r) in replicas.iter_mut().enumerate() {
        cluster.spawn(r, n);
    }

    // The operator answers every card as it comes.
    let operator =
        {
            let api = api.clone();
            tokio::spawn(async move {
                let op = TgUser::new(OPERATOR, "Мария");
                let mut cursor = 0;
                let mut answered = 0;
                while answered < CONSUMERS {
                    let (i, e) = api
                    .wait_event(cursor, PATIENCE, |e| {
                        matches!(e, Event::Sent(m) if m.chat_id == GROUP && m.text.contains("Мигает свет, чат "))
                    })
                    .await
                    .expect("a card for every appeal");
                    cursor = i + 1;
                    let Event::Sent(card) = e else { unreachable!() };
                    let chat: i64 = card.text.split("Мигает свет, чат ").nth(1).unwrap()[..7]
                        .parse()
                        .unwrap();
                    // At a person's pace: after the consumer has seen the appeal registered.
                    api.wait_event(
                        0,
                        PATIENCE,
                        |e| matches!(e, Event::Sent(m) if m.chat_id == chat && m.text.contains("зарегистрировано")),
                    )
                    .await
                    .expect("the appeal's confirmation");
                    let id = api.next_message_id();
                    api.push_update(op.in_group(
                        GROUP,
                        id,
                        Some(&card),
                        serde_json::json!({ "text": format!("Ответ для чата {chat}") }),
                    ));
                    answered += 1;
                }
            })
        };

    let done = Arc::new(AtomicUsize::new(0));
    let people: Vec<_> = (0..CONSUMERS)
        .map(|i| {
            let p = Person {
                api: api.clone(),
                store: store.clone(),
                user: TgUser::new(CHAT_BASE + i, "Тест"),
                cursor: 0,
                presses: 0,
            };
            tokio::spawn(consumer(p, done.clone()))
        })
        .collect();

    // Mid-load: the leader killed outright (the one polling, sending the outbox), later
    // another replica stopped and started again (a rolling restart).
    let wait_done = |n: usize| {
        let done = done.clone();
        async move {
            let deadline = tokio::time::Instant::now() + PATIENCE * 2;
            while done.load(Ordering::SeqCst) < n {
                assert!(tokio::time::Instant::now() < deadline, "the load stalled at {n}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_done(CONSUMERS as usize / 3).await;
    let leader = cluster.leader().expect("a leader");
    replicas[leader].child.take().unwrap().kill().await.unwrap();
    wait_done(CONSUMERS as usize * 2 / 3).await;
    let restarted = (leader + 1) % 3;
    let child = replicas[restarted].child.take().unwrap();
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let mut child = child;
    let clean = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("a replica stops on SIGTERM")
        .unwrap();
    assert!(clean.success(), "{}", cluster.logs());
    cluster.spawn(&mut replicas[restarted], restarted);

    for p in people {
        if let Err(e) = p.await {
            panic!("{e}\n{}", cluster.logs());
        }
    }
    tokio::time::timeout(PATIENCE, operator)
        .await
        .expect("every appeal answered")
        .unwrap();

    // 0 updates lost: every one kept is handled.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (left,): (i64,) = sql::query_as("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{left} updates never handled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // 0 replies doubled, every card and push once — but for a message a killed replica was
    // sending at that moment (Telegram cannot be asked whether it arrived): sent again, its row
    // says so, and it alone may show twice.
    let resent: Vec<(String,)> = sql::query_as("SELECT payload FROM outbox WHERE last_error = $1")
        .bind(kabinet::store::outbox::RESENT)
        .fetch_all(&store.pool)
        .await
        .unwrap();
    let may_repeat = |chat: i64, needle: &str| {
        resent
            .iter()
            .filter(|(p,)| p.contains(&format!("\"chat_id\":{chat},")) && p.contains(needle))
            .count()
    };
    let once = |chat: i64, needle: &str, times: usize, transcript: &str| {
        let n = sent_in(&api, chat, needle);
        assert!(
            n >= times && n <= times + may_repeat(chat, needle),
            "{needle}: {n} times, {times} expected\n{transcript}"
        );
    };
    let (resent_cards,): (i64,) =
        sql::query_as("SELECT COUNT(*) FROM outbox WHERE channel = 'operator' AND last_error = $1")
            .bind(kabinet::store::outbox::RESENT)
            .fetch_one(&store.pool)
            .await
            .unwrap();
    let resent_cards = resent_cards as usize;
    let mut extra_cards = 0;
    for i in 0..CONSUMERS {
        let chat = CHAT_BASE + i;
        let transcript = format!(
            "{}\n{}\n{}",
            transcript_of(&api, chat),
            dump(&store, chat).await,
            cluster.logs()
        );
        once(chat, "Показания приняты", 1, &transcript);
        once(chat, "зарегистрировано", 1, &transcript);
        once(chat, &format!("Ответ для чата {chat}"), 1, &transcript);
        once(chat, "Для какого прибора", 3, &transcript);
        let cards = sent_in(&api, GROUP, &format!("Мигает свет, чат {chat}"));
        assert!(cards >= 1, "no card for chat {chat}\n{transcript}");
        extra_cards += cards - 1;
    }
    // A card the killed leader was posting is posted again too (its row says so).
    assert!(
        extra_cards <= resent_cards,
        "{extra_cards} cards posted twice, {resent_cards} rows sent again"
    );
    eprintln!(
        "messages sent again after a replica died while sending them: {}",
        resent.len()
    );
    let (readings,): (i64,) = sql::query_as("SELECT COUNT(*) FROM readings WHERE source = 'user'")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(readings, CONSUMERS);
    // Every chat's updates were handled in the order Telegram numbered them.
    let (out_of_order,): (i64,) = sql::query_as(
        "SELECT COUNT(*) FROM inbox a JOIN inbox b
            ON a.chat_id = b.chat_id AND a.update_id < b.update_id AND a.handled_at > b.handled_at",
    )
    .fetch_one(&store.pool)
    .await
    .unwrap();
    assert_eq!(out_of_order, 0, "{}", cluster.logs());
    let logs = cluster.logs();
    assert!(logs.contains("leading"), "{logs}");
    // The load was spread: updates were handled by every replica, not only the one polling
    // (three at the start, the one started again later).
    let (owners,): (i64,) = sql::query_as("SELECT COUNT(DISTINCT owner) FROM inbox WHERE handled_at IS NOT NULL")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    let spread: Vec<(Option<String>, i64)> =
        sql::query_as("SELECT owner, COUNT(*) FROM inbox WHERE handled_at IS NOT NULL GROUP BY owner ORDER BY 1")
            .fetch_all(&store.pool)
            .await
            .unwrap();
    eprintln!("updates handled per replica: {spread:?}");
    assert!(owners >= 3, "updates handled by {owners} replicas: {spread:?}\n{logs}");
    if !webhook {
        // Polling went on after the first leader was killed, and was never two at once.
        assert!(logs.matches("leading").count() >= 2, "nobody took over polling\n{logs}");
        assert!(
            !logs.contains("terminated by other getUpdates"),
            "two replicas polled at once\n{logs}"
        );
    }
}

/// The bot let back into the operators' group while the leader (which sends the outbox) knows
/// the group as closed: the other replica hears it from Telegram, and the card that waited goes
/// at once — not at the leader's next probe, a minute later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn let_back_into_the_group_the_waiting_card_goes_at_once_whichever_replica_hears_it() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = crate::db::TestDb::postgres(dir.path()).await else {
        return;
    };
    let store = Store::open(&db.url).await.unwrap();
    bench_common::seed(&store, 1, 1, 3000).await;
    let api = Arc::new(MockBotApi::start().await);
    let admin = TgUser::new(900_099, "Админ");
    api.add_group(GROUP, "Операторы", "member");
    let mut replicas: Vec<Replica> = (0..2)
        .map(|_| Replica {
            port: bench_common::free_port(),
            child: None,
        })
        .collect();
    let address = |r: &Replica| format!("127.0.0.1:{}", r.port);
    api.balance(replicas.iter().map(address).collect());
    let cluster = Cluster {
        api: api.clone(),
        hook_url: Some(format!("http://127.0.0.1:{}/tg", replicas[0].port)),
        db: db.url.clone(),
        dir,
    };
    for (n, r) in replicas.iter_mut().enumerate() {
        cluster.spawn(r, n);
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let leader = loop {
        if let Some(l) = cluster.leader() {
            break l;
        }
        assert!(tokio::time::Instant::now() < deadline, "no leader\n{}", cluster.logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let other = 1 - leader;

    // Removed from the group: the appeal's card waits (the leader tried it once and was told).
    api.set_bot_in_group(GROUP, "kicked", &admin);
    let mut p = Person {
        api: api.clone(),
        store: store.clone(),
        user: TgUser::new(CHAT_BASE, "Тест"),
        cursor: 0,
        presses: 0,
    };
    appeal(&mut p).await;
    crate::helpers::wait_count(
        &store,
        "SELECT COUNT(*) FROM outbox WHERE channel = 'operator' AND last_error IS NOT NULL",
        1,
    )
    .await;
    assert_eq!(sent_in(&api, GROUP, "Мигает свет, чат"), 0);

    // Let back in: Telegram tells the other replica.
    api.balance(vec![address(&replicas[other])]);
    let back = std::time::Instant::now();
    api.set_bot_in_group(GROUP, "member", &admin);
    let card = api
        .wait_event(
            0,
            PATIENCE * 2,
            |e| matches!(e, Event::Sent(m) if m.chat_id == GROUP && m.text.contains("Мигает свет, чат")),
        )
        .await;
    let took = back.elapsed();
    assert!(card.is_some(), "no card\n{}", cluster.logs());
    assert!(
        took < kabinet::desk::group::PROBE_EVERY / 2,
        "the card went {took:?} after the bot was back: at the leader's probe, not at once\n{}",
        cluster.logs()
    );
    // It was the other replica that heard it (marked handled as its handler ends, which may
    // be after the card went).
    let pid = replicas[other].child.as_ref().and_then(Child::id).unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (heard,): (Option<String>,) = sql::query_as(
            "SELECT owner FROM inbox WHERE chat_id = $1 AND handled_at IS NOT NULL ORDER BY update_id DESC LIMIT 1",
        )
        .bind(GROUP)
        .fetch_one(&store.pool)
        .await
        .unwrap();
        if heard.as_deref().is_some_and(|o| o.contains(&format!(":{pid}:"))) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the group's last update handled by {heard:?}, not the replica {pid}\n{}\n{}",
            dump(&store, GROUP).await,
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sent_in(&api, GROUP, "Мигает свет, чат"), 1);
}
