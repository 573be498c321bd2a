//! Black-box: the `kabinet` binary against people and a Telegram that do not behave: one chat
//! that floods, the operators' group replying faster than it may be written to, Telegram
//! posting an update twice, the process killed with a password in flight.

use crate::e2e::{E2e, appeal_answered, http_get, sample};
use crate::helpers::{GROUP, Group, got_so_far, ru, ru_head, step};
use crate::helpers::{no, wait_count};
use kabinet::store::sql;
use std::time::{Duration, Instant};
use tgmock::{Event, TgUser};

fn free_addr() -> String {
    let port = crate::helpers::free_port();
    format!("127.0.0.1:{port}")
}

async fn wait_listening(addr: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "nothing listens on {addr}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Messages in `chat` whose text contains `needle`.
fn count(e: &E2e, chat: i64, needle: &str) -> usize {
    e.api
        .events_for(chat)
        .iter()
        .filter(|ev| matches!(ev, Event::Sent(m) if m.text.contains(needle)))
        .count()
}

/// The binary with Telegram's limits on both sides and the door's defaults (the helpers raise
/// them for the other tests, which drive the bot faster than people), metrics served on
/// `metrics`, and `more` settings.
async fn start_limited(metrics: &str, more: &[(&str, String)]) -> E2e {
    let mut env = vec![
        ("TELEGRAM_LIMITS", "on".to_owned()),
        ("CHAT_UPDATES_BURST", "20".to_owned()),
        ("METRICS_LISTEN", metrics.to_owned()),
    ];
    env.extend(more.iter().cloned());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let e = E2e::start(&env).await;
    e.api.enforce_limits(true);
    wait_listening(metrics).await;
    e
}

/// A new person's /start in `chat` is answered in under two seconds.
async fn assert_start_answered_soon(e: &E2e, chat: i64, behind: &str) {
    let mut other = e.user(chat);
    let started = Instant::now();
    other.send("/start");
    other.expect_key("start.welcome").await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "/start waited {took:?} {behind}");
}

/// One chat sends 150 messages at once; another person's /start meanwhile is answered in
/// under two seconds. The flooder is told once; what was shed is counted by reason.
async fn flood_then_start(e: &E2e, metrics: &str) {
    let flooder = TgUser::new(31_001, "Flood");
    for i in 0..150 {
        e.api
            .push_update(flooder.text(e.api.next_message_id(), &format!("спам {i}")));
    }
    assert_start_answered_soon(e, 31_002, "behind a flood").await;
    // The flooder hears once that it sends too much.
    let flood = ru("common.flood");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while count(e, flooder.id, &flood) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the flooder was never told");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(count(e, flooder.id, &flood), 1, "told once");
    // Telegram hands a chat's updates over one at a time: the whole flood has been taken.
    assert!(e.api.wait_updates_confirmed(Duration::from_secs(60)).await);
    let (_, m) = http_get(metrics, "/metrics").await;
    let shed = sample(&m, "kabinet_updates_shed_total{reason=\"rate\"}");
    assert!(shed >= 100.0, "shed {shed}: {m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_chat_delays_no_other_chat() {
    let metrics = free_addr();
    let e = start_limited(&metrics, &[]).await;
    flood_then_start(&e, &metrics).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_chat_delays_no_other_chat_by_webhook() {
    let metrics = free_addr();
    let listen = free_addr();
    let url = format!("http://{listen}/tg");
    let e = start_limited(&metrics, &[("WEBHOOK_URL", url), ("WEBHOOK_LISTEN", listen)]).await;
    flood_then_start(&e, &metrics).await;
}

/// The operators reply sixty times at once to a card: the group may be written to 20 times
/// a minute, yet a consumer's /start meanwhile is answered in under two seconds, and every
/// reply is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_operators_group_delays_no_consumer() {
    let metrics = free_addr();
    let e = start_limited(&metrics, &[("OPERATOR_CHAT_ID", GROUP.to_string())]).await;
    appeal_answered(&e).await;
    let mut group = Group::new_for(e.api.clone());
    let card = group.expect(&no("О-2026-000001")).await;
    let op = TgUser::new(900_001, "Мария");
    for i in 0..60 {
        group.reply(&op, &card, &format!("Уточнение {i}"));
    }
    assert_start_answered_soon(&e, 31_102, "behind the busy group").await;
    // Every reply was taken (stored for the consumer), none shed.
    let store = kabinet::store::Store::open(&e.db_url()).await.unwrap();
    wait_count(
        &store,
        "SELECT COUNT(*) FROM ticket_messages WHERE author = 'operator'",
        61,
    )
    .await;
    let (_, m) = http_get(&metrics, "/metrics").await;
    assert!(!m.contains("kabinet_updates_shed_total{reason=\"rate\"}"), "{m}");
}

/// Telegram posts an operator's reply twice (it missed the 200): the consumer gets it once
/// and it is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_posted_twice_by_webhook_is_handled_once() {
    let listen = free_addr();
    let url = format!("http://{listen}/tg");
    let group_id = GROUP.to_string();
    let e = E2e::start(&[
        ("OPERATOR_CHAT_ID", &group_id),
        ("WEBHOOK_URL", &url),
        ("WEBHOOK_LISTEN", &listen),
    ])
    .await;
    let mut c = appeal_answered(&e).await;
    let mut group = Group::new_for(e.api.clone());
    let card = group.expect(&no("О-2026-000001")).await;
    let op = TgUser::new(900_001, "Мария");
    e.api.repost_next(1);
    group.reply(&op, &card, "Повторно присланный ответ");
    c.expect("Повторно присланный ответ").await;
    // A later reply from the same group is handled after the repost would have been.
    group.reply(&op, &card, "Следующий ответ");
    c.expect("Следующий ответ").await;
    assert_eq!(e.api.reposted(), 1, "Telegram posted the update twice");
    assert_eq!(count(&e, c.id(), "Повторно присланный ответ"), 1, "one push");
    let store = kabinet::store::Store::open(&e.db_url()).await.unwrap();
    let (n,): (i64,) = sql::query_as("SELECT COUNT(*) FROM ticket_messages WHERE text = 'Повторно присланный ответ'")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(n, 1, "stored once");
}

/// Whether any of the database's files holds `needle`.
fn files_holding(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    ["kabinet.db", "kabinet.db-wal", "kabinet.db-shm"]
        .iter()
        .filter(|f| {
            std::fs::read(dir.join(f))
                .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
                .unwrap_or(false)
        })
        .map(|f| f.to_string())
        .collect()
}

/// The process is killed (SIGKILL at a crash point) right after the update with a password
/// was kept: no database file holds the password; after the restart the person is asked for
/// it again, the message that carried it is deleted, and the registration goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_password_never_reaches_the_disk_even_when_killed() {
    const SECRET: &str = "Zebra-Quartz-7731";
    let mut e = E2e::start(&[("KABINET_FAILPOINT", "inbox.secret_kept")]).await;
    let mut c = e.user(31_301);
    crate::flows::open_registration(&mut c, "kind.individual").await;
    c.send("112-233-445 95");
    c.expect(&step(4, 6)).await;
    c.send("Иванов Иван Иванович");
    c.expect_key("reg.email_q").await;
    c.send("ivanov@example.ru");
    c.expect_key("reg.password_q").await;
    let typed = c.send(SECRET);
    assert!(!e.wait_exit().await, "the crash point aborted the process");
    let held = files_holding(e.dir.path(), SECRET.as_bytes());
    assert!(held.is_empty(), "the password is in {held:?}");

    e.set_env("KABINET_FAILPOINT", None);
    e.spawn();
    c.expect_key("auth.secret_again").await;
    c.expect_key("reg.password_q").await;
    c.expect_deleted(typed).await;
    let first = c.send(SECRET);
    c.expect_key("reg.password_repeat_q").await;
    c.expect_deleted(first).await;
    c.send(SECRET);
    let summary = c.expect_key("reg.summary").await;
    c.press(&summary, &ru("reg.ok"));
    c.expect(&ru_head("reg.sent")).await;
    let held = files_holding(e.dir.path(), SECRET.as_bytes());
    assert!(held.is_empty(), "the password is in {held:?}");
}

/// A button pressed under a bot message in a group that is not the desk (the old group after
/// a move): its spinner stops; nothing is posted there and no chat is made of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_in_a_foreign_group_is_only_answered() {
    let app = crate::helpers::TestApp::spawn().await;
    let someone = TgUser::new(900_077, "Кто-то");
    let id = app.api.push_update(serde_json::json!({ "callback_query": {
        "id": "foreign-1",
        "from": someone.user_json(),
        "message": {
            "message_id": 5, "date": chrono::Utc::now().timestamp(),
            "chat": { "id": -100_999, "type": "supergroup", "title": "Старая группа" },
            "from": { "id": 123456, "is_bot": true, "first_name": "Kabinet" },
            "text": "карточка"
        },
        "chat_instance": "ci-foreign",
        "data": "dk:t:1:take",
    }}));
    let answered = app
        .api
        .wait_event(
            0,
            crate::helpers::WAIT,
            |e| matches!(e, Event::CallbackAnswered { query_id, .. } if query_id == "foreign-1"),
        )
        .await;
    assert!(answered.is_some(), "the spinner was not stopped");
    let store = app.store().await;
    let deadline = tokio::time::Instant::now() + crate::helpers::WAIT;
    while !store.update_processed(id).await.unwrap() {
        assert!(tokio::time::Instant::now() < deadline, "never marked handled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        app.api.events_for(-100_999).is_empty(),
        "{:?}",
        app.api.events_for(-100_999)
    );
    let (chats,): (i64,) = sql::query_as("SELECT COUNT(*) FROM chats WHERE chat_id = -100999")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(chats, 0);
}

/// The bot's log so far.
fn log_of(e: &E2e) -> String {
    std::fs::read_to_string(e.log_path()).unwrap_or_default()
}

/// The group becomes a supergroup under the bot: its first card is answered 400 with
/// `migrate_to_chat_id`; the bot moves to the new id at once and posts there; replies from the
/// new group reach the consumer; after a restart with OPERATOR_CHAT_ID still the old id, it
/// stays on the new one, says so at start and in `kabinet check`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_group_becomes_a_supergroup_and_nothing_is_lost() {
    const OLD: i64 = -4_000_001;
    const NEW: i64 = -1_004_000_001;
    let old = OLD.to_string();
    let mut e = E2e::start(&[("OPERATOR_CHAT_ID", &old), ("LOG_TO_FILE", "1")]).await;
    e.api.add_group(OLD, "Операторы", "member");
    e.api.migrate_group(OLD, NEW);
    let mut c = e.user(31_401);
    crate::e2e::appeal_filed(&e, &mut c).await;
    let mut group = crate::helpers::Group::new_for(e.api.clone());
    group.chat = NEW;
    let card = group.expect(&no("О-2026-000001")).await;
    let op = TgUser::new(900_001, "Мария");
    group.reply(&op, &card, "Ответ из новой группы");
    c.expect("Ответ из новой группы").await;
    let store = kabinet::store::Store::open(&e.db_url()).await.unwrap();
    let (failed,): (i64,) = sql::query_as("SELECT COUNT(*) FROM outbox WHERE status = 'failed'")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(failed, 0, "nothing given up because of the group");

    let (_, clean) = e.sigterm().await;
    assert!(clean);
    e.spawn();
    // A restart on a loaded machine can outlast a step's wait.
    e.wait_started().await;
    crate::e2e::file_appeal(&mut c).await;
    group.expect(&no("О-2026-000002")).await;
    let to_old = e
        .api
        .calls("sendMessage")
        .iter()
        .filter(|call| call["chat_id"].as_i64() == Some(OLD))
        .count();
    assert_eq!(to_old, 1, "only the first card tried the old id");
    let log = log_of(&e);
    assert!(log.contains(&format!("set OPERATOR_CHAT_ID={NEW}")), "{log}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .arg("check")
        .env_clear()
        .env("TELOXIDE_TOKEN", "42:E2E")
        .env("TELOXIDE_API_URL", e.api.url())
        .env("DATABASE_URL", e.db_url())
        .env("OPERATOR_CHAT_ID", &old)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.lines()
            .any(|l| l.starts_with("✓ Operators' group") && l.contains(&format!("set OPERATOR_CHAT_ID={NEW}"))),
        "{said}"
    );
}

/// The bot is removed from the operators' group for a while: cards wait (never failed), the
/// log, /readyz and a metric say so; let back, what waited is posted. A row an older version
/// gave up on comes back with `kabinet outbox requeue`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_from_the_group_the_cards_wait_and_go_when_it_is_back() {
    let metrics = free_addr();
    let group_id = GROUP.to_string();
    let e = E2e::start(&[
        ("OPERATOR_CHAT_ID", &group_id),
        ("METRICS_LISTEN", &metrics),
        ("LOG_TO_FILE", "1"),
    ])
    .await;
    wait_listening(&metrics).await;
    let admin = TgUser::new(900_099, "Админ");
    e.api.add_group(GROUP, "Операторы", "member");
    e.api.set_bot_in_group(GROUP, "kicked", &admin);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = http_get(&metrics, "/readyz").await;
        if status == 503 && body.contains("operators' group") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "/readyz: {status} {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, m) = http_get(&metrics, "/metrics").await;
    assert_eq!(sample(&m, "kabinet_desk_group_postable"), 0.0, "{m}");
    assert!(log_of(&e).contains("cannot post to the operators' group"));

    let mut c = e.user(31_501);
    crate::e2e::appeal_filed(&e, &mut c).await;
    // The card's row waits: tried, not counted, not failed.
    let store = kabinet::store::Store::open(&e.db_url()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let card_row = loop {
        let row: Option<(i64, String, i64)> = sql::query_as(
            "SELECT id, status, attempts FROM outbox WHERE channel = 'operator' AND last_error IS NOT NULL",
        )
        .fetch_optional(&store.pool)
        .await
        .unwrap();
        if let Some(r) = row {
            break r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the card's row was never looked at"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((card_row.1.as_str(), card_row.2), ("pending", 0));
    // A row an older version gave up on.
    sql::query(
        "INSERT INTO outbox (channel, payload, status, attempts, next_attempt_at, created_at, done_at, last_error)
         SELECT channel, payload, 'failed', 50, next_attempt_at, created_at, created_at, 'group migrated'
         FROM outbox WHERE id = $1",
    )
    .bind(card_row.0)
    .execute(&store.pool)
    .await
    .unwrap();
    assert!(e.api.events_for(GROUP).is_empty(), "nothing posted while removed");

    e.api.set_bot_in_group(GROUP, "member", &admin);
    let mut group = crate::helpers::Group::new_for(e.api.clone());
    group.expect(&no("О-2026-000001")).await;
    let (status, body) = http_get(&metrics, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args([
            "--database-url",
            &e.db_url(),
            "outbox",
            "requeue",
            "--channel",
            "operator",
        ])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("1 rows"));
    // Delivered again (a card already posted is not posted twice: the row just ends done).
    wait_count(&store, "SELECT COUNT(*) FROM outbox WHERE status <> 'done'", 0).await;
    assert_eq!(count(&e, GROUP, &no("О-2026-000001")), 1, "the card once");
}

/// Two additions to an appeal queued while the group could not be written to: each event in
/// the group carries its own text, neither is shown twice nor lost (finding 4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_desk_event_shows_the_addition_it_was_raised_for() {
    let group_id = GROUP.to_string();
    let e = E2e::start(&[("OPERATOR_CHAT_ID", &group_id)]).await;
    let admin = TgUser::new(900_099, "Админ");
    e.api.add_group(GROUP, "Операторы", "member");
    e.api.set_bot_in_group(GROUP, "kicked", &admin);
    let mut c = e.user(31_601);
    let sent = crate::e2e::appeal_filed(&e, &mut c).await;
    c.press(&sent, &ru("ticket.open_this.appeal"));
    let mut card = c.expect("Мигает свет").await;
    for text in ["Дополнение А", "Дополнение Б"] {
        c.press(&card, &ru("ticket.add"));
        c.expect_key("ticket.add_q").await;
        c.send(text);
        let ready = c.expect("текст ✓").await;
        c.press(&ready, &ru("req.send"));
        c.expect_key("ticket.added").await;
        card = c.expect(text).await;
    }
    e.api.set_bot_in_group(GROUP, "member", &admin);
    let mut group = Group::new_for(e.api.clone());
    group.expect(&no("О-2026-000001")).await;
    group.expect("Дополнение А").await;
    group.expect("Дополнение Б").await;
    assert_eq!(count(&e, GROUP, "Дополнение А"), 1);
    assert_eq!(count(&e, GROUP, "Дополнение Б"), 1);
}

/// A consumer deletes the consumer: within moments every card and event message about them in
/// the operators' group says the data were deleted, and the files posted there are gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_reaches_the_operators_group() {
    let group_id = GROUP.to_string();
    let e = E2e::start(&[("OPERATOR_CHAT_ID", &group_id)]).await;
    let mut c = e.user(31_701);
    let sent = crate::e2e::appeal_filed(&e, &mut c).await;
    c.press(&sent, &ru("ticket.open_this.appeal"));
    let card = c.expect("Мигает свет").await;
    c.press(&card, &ru("ticket.add"));
    c.expect_key("ticket.add_q").await;
    c.send("Иванов, ул. Ленина 1");
    c.photo();
    let ready = c.expect(&got_so_far(true, 1)).await;
    c.press(&ready, &ru("req.send"));
    c.expect_key("ticket.added").await;
    let mut group = Group::new_for(e.api.clone());
    group.expect(&no("О-2026-000001")).await;
    group.expect("Ленина").await;
    group.expect_file().await;

    c.send(&ru("menu.profile"));
    let profile = c.expect_key("profile.card").await;
    c.press(&profile, &ru("profile.delete"));
    c.expect_key("profile.delete_q").await;
    c.send(crate::flows::IVANOV.password);
    c.expect_key("profile.deleted").await;

    let erased = ru("desk.erased");
    let posted: Vec<i64> = e
        .api
        .events_for(GROUP)
        .iter()
        .filter_map(|ev| match ev {
            Event::Sent(m) => Some(m.message_id),
            _ => None,
        })
        .collect();
    assert!(posted.len() >= 3, "card, event, file");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let left: Vec<String> = posted
            .iter()
            .filter_map(|id| e.api.message(GROUP, *id))
            .filter(|m| m.text != erased)
            .map(|m| format!("{}: {}", m.message_id, m.text))
            .collect();
        if left.is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still shown: {left:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deleted = e
        .api
        .events_for(GROUP)
        .iter()
        .filter(|ev| matches!(ev, Event::Deleted { .. }))
        .count();
    assert!(deleted >= 1, "the photo was deleted from the group");
}

/// The card `id` in the group once it shows a button labelled `label`.
async fn card_with(e: &E2e, id: i64, label: &str) -> tgmock::BotMessage {
    crate::helpers::message_when(&e.api, GROUP, id, &format!("«{label}» on the card"), |m| {
        m.inline_buttons().iter().any(|b| b.0 == label)
    })
    .await
}

/// The desk's edge cases: an anonymous admin's reply, an edited reply, a reply to a closed
/// ticket (refused until «Открыть снова»), a reply after the consumer deleted the consumer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_says_why_a_reply_did_not_go() {
    let group_id = GROUP.to_string();
    let e = E2e::start(&[("OPERATOR_CHAT_ID", &group_id)]).await;
    let mut c = appeal_answered(&e).await;
    let mut group = Group::new_for(e.api.clone());
    let card = group.expect(&no("О-2026-000001")).await;
    let op = TgUser::new(900_001, "Мария");

    // As the group: refused, nothing reaches the consumer.
    e.api.push_update(TgUser::anonymous_in_group(
        GROUP,
        e.api.next_message_id(),
        Some(&card),
        serde_json::json!({ "text": "Анонимный ответ" }),
    ));
    group.expect(&ru("desk.anonymous")).await;

    // An edited reply: the operator is told the edit does not reach the consumer.
    let reply = op.in_group(
        GROUP,
        e.api.next_message_id(),
        Some(&card),
        serde_json::json!({ "text": "Ответ с опечткой" }),
    );
    e.api.push_update(reply.clone());
    c.expect("Ответ с опечткой").await;
    group.expect(&ru("desk.sent")).await;
    e.api.push_update(TgUser::edited(
        &reply,
        serde_json::json!({ "text": "Ответ с опечаткой" }),
    ));
    group.expect(&ru("desk.edit_not_sent")).await;

    // Closed: a reply is refused with the way to reopen; reopened, it goes.
    group.press(&op, &card, &ru("desk.close"));
    let why = group.expect_key("desk.close_why").await;
    group.press(&op, &why, &ru("close_reason.resolved"));
    let explain = group.expect_key("desk.close_explain").await;
    group.press(&op, &explain, &ru("desk.close_now"));
    let closed = card_with(&e, card.message_id, &ru("desk.reopen")).await;
    group.reply(&op, &closed, "После закрытия");
    group.expect(&ru_head("desk.closed_item")).await;
    group.press(&op, &closed, &ru("desk.reopen"));
    card_with(&e, card.message_id, &ru("desk.close")).await;
    group.reply(&op, &closed, "После открытия");
    c.expect("После открытия").await;
    assert_eq!(count(&e, c.id(), "Анонимный ответ"), 0);
    assert_eq!(count(&e, c.id(), "После закрытия"), 0);
    assert_eq!(count(&e, c.id(), "Ответ с опечаткой"), 0, "the edit did not go");

    // The consumer deletes the consumer: a reply says so instead of «отправлено».
    c.send(&ru("menu.profile"));
    let profile = c.expect_key("profile.card").await;
    c.press(&profile, &ru("profile.delete"));
    c.expect_key("profile.delete_q").await;
    c.send(crate::flows::IVANOV.password);
    c.expect_key("profile.deleted").await;
    group.reply(&op, &closed, "Вы здесь?");
    group.expect(&ru_head("desk.consumer_gone")).await;
}

/// Registration up to the summary as `c`, for `login`, with e-mail `email`; the password
/// `first` is tried before the good one.
async fn register_as(c: &mut crate::helpers::Client, login: &str, email: &str, first: Option<&str>) {
    crate::flows::open_registration(c, "kind.individual").await;
    c.send(login);
    c.expect(&step(4, 6)).await;
    c.send("Иванов Иван Иванович");
    c.expect_key("reg.email_q").await;
    c.send(email);
    c.expect_key("reg.password_q").await;
    if let Some(weak) = first {
        c.send(weak);
        c.expect_key("password.common").await;
    }
    c.send("correct horse");
    c.expect_key("reg.password_repeat_q").await;
    c.send("correct horse");
    let summary = c.expect_key("reg.summary").await;
    c.press(&summary, &ru("reg.ok"));
}

/// Abuse of consumers and mail: the commonest passwords are refused; a chat cannot probe
/// which numbers are registered without end; one address gets a bounded number of letters
/// whatever the chats asking, and none carries the name that was typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_and_mail_cannot_be_abused() {
    let e = E2e::start(&[]).await;
    let victim = "victim@example.ru";
    let limit = kabinet::policy::LETTERS_PER_ADDRESS_PER_DAY;
    for i in 0..limit {
        let mut c = e.user(31_800 + i);
        let weak = (i == 0).then_some("password1");
        register_as(&mut c, &crate::helpers::snils(500_000_000 + i as u64), victim, weak).await;
        c.expect(&ru_head("reg.sent")).await;
    }
    let mut one_more = e.user(31_899);
    register_as(&mut one_more, &crate::helpers::snils(500_000_999), victim, None).await;
    one_more.expect_key("code.address_limit").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while e.smtp.count() < limit as usize {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} letters arrived",
            e.smtp.count()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(e.smtp.count(), limit as usize, "no letter over the address's limit");
    let (_, body) = e.smtp.letter().await;
    assert!(!body.contains("Иванов"), "{body}");

    // Probing numbers: after the hour's checks, the chat is told to wait.
    let mut prober = e.user(31_950);
    crate::flows::open_registration(&mut prober, "kind.individual").await;
    for i in 0..kabinet::policy::LOGIN_CHECKS_PER_HOUR {
        prober.send(&crate::helpers::snils(600_000_000 + i as u64));
        let q = prober.expect(&step(4, 6)).await;
        prober.press(&q, &ru("common.back"));
        prober.expect(&step(3, 6)).await;
    }
    prober.send(&crate::helpers::snils(600_000_100));
    prober.expect_key("reg.checks_limit").await;
}

/// Telegram's media as people send them: an album of five photos is one answer with every
/// file attached; a 25 MB scan is refused at once with the limit; a button under a message
/// older than 48 hours (Telegram gives no message, date 0) still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn albums_big_files_and_old_buttons() {
    let e = E2e::start(&[]).await;
    let mut c = e.user(31_901);
    let letter = crate::e2e::register(&e, &mut c).await;
    c.send(&crate::helpers::code_in(&letter));
    c.expect_key("menu.title").await;
    c.send(&ru("menu.services"));
    let hub = c.expect_key("services.title").await;
    let appeal = hub
        .inline_buttons()
        .into_iter()
        .find(|b| b.0 == ru("ticket.new.appeal"))
        .unwrap()
        .1;
    // The hub's button pressed as if the hub were days old.
    e.api.push_update(c.user.press_old("old-1", hub.message_id, &appeal));
    let q = c.expect_key("ticket.topic_q").await;
    assert!(
        e.api
            .events()
            .iter()
            .any(|ev| matches!(ev, Event::CallbackAnswered { query_id, .. } if query_id == "old-1")),
        "the old button's spinner stopped"
    );
    c.press(&q, &ru("topic.appeal.quality"));
    c.send("Мигает свет");
    let q = c.expect_key("ticket.address_q").await;
    c.press(&q, &ru("common.skip"));
    c.expect_key("ticket.files_q").await;
    let first = e.api.next_message_id();
    for _ in 1..5 {
        e.api.next_message_id();
    }
    for part in c.user.album(first, 5, "album-31901") {
        e.api.push_update(part);
    }
    let added = ru_head("files.added");
    c.expect("Всего: 5 файлов").await;
    assert_eq!(
        count(&e, c.id(), &added),
        1,
        "one answer to one album: {}",
        c.transcript()
    );
    c.document("scan.pdf", "application/pdf", 25 * 1024 * 1024);
    let refused = c.expect_key("files.too_big").await;
    assert!(refused.text.contains("20"), "{}", refused.text);
    assert_eq!(count(&e, c.id(), &added), 1, "the big file was not taken");
}

/// One raw HTTP/1.1 POST: the status line's code.
async fn post_raw(addr: &str, host: &str, path: &str, content_type: &str, body: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    answer.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// The sandbox's Bot API server (guarded) answers only the bot: its own Host, its token, JSON
/// or a form; a webhook only to this machine (finding 17).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandboxs_bot_api_answers_only_the_bot() {
    let api = tgmock::MockBotApi::start().await;
    api.guard("sandbox:TOKEN");
    let addr = api.url().trim_start_matches("http://").trim_end_matches('/').to_owned();
    let hook = r#"{"url":"http://attacker.example/h"}"#;
    let path = "/botsandbox:TOKEN/setWebhook";
    // A cross-site «simple» request: a text body.
    assert_eq!(post_raw(&addr, &addr, path, "text/plain", hook).await, 400);
    // A name rebound to loopback: another Host.
    assert_eq!(
        post_raw(&addr, "evil.example", path, "application/json", hook).await,
        403
    );
    // Another token.
    assert_eq!(
        post_raw(&addr, &addr, "/botx:Y/setWebhook", "application/json", hook).await,
        401
    );
    // The right request, but the webhook points away.
    assert_eq!(post_raw(&addr, &addr, path, "application/json", hook).await, 400);
    assert_eq!(api.webhook_url(), None);
    let home = r#"{"url":"http://127.0.0.1:9/h"}"#;
    assert_eq!(post_raw(&addr, &addr, path, "application/json", home).await, 200);
}

/// The group moves after a card was posted there: the item's next event goes to the new group,
/// and the card left in the old one (history Telegram no longer lets the bot edit) is not
/// tried again and again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_posted_before_the_move_does_not_hold_up_its_item() {
    const OLD: i64 = -4_000_002;
    const NEW: i64 = -1_004_000_002;
    let old = OLD.to_string();
    let e = E2e::start(&[("OPERATOR_CHAT_ID", &old)]).await;
    e.api.add_group(OLD, "Операторы", "member");
    let mut c = e.user(31_402);
    let sent = crate::e2e::appeal_filed(&e, &mut c).await;
    let mut before = Group::new_for(e.api.clone());
    before.chat = OLD;
    before.expect(&no("О-2026-000001")).await;
    e.api.migrate_group(OLD, NEW);
    c.press(&sent, &ru("ticket.open_this.appeal"));
    let card = c.expect("Мигает свет").await;
    c.press(&card, &ru("ticket.add"));
    c.expect_key("ticket.add_q").await;
    c.send("Дополнение после переезда");
    let ready = c.expect("текст ✓").await;
    c.press(&ready, &ru("req.send"));
    c.expect_key("ticket.added").await;
    let mut after = Group::new_for(e.api.clone());
    after.chat = NEW;
    after.expect("Дополнение после переезда").await;
    let store = kabinet::store::Store::open(&e.db_url()).await.unwrap();
    wait_count(&store, "SELECT COUNT(*) FROM outbox WHERE status <> 'done'", 0).await;
    let edits_of_old = e
        .api
        .calls("editMessageText")
        .iter()
        .filter(|call| call["chat_id"].as_i64() == Some(OLD))
        .count();
    assert!(edits_of_old <= 2, "the old card was tried {edits_of_old} times");
}

/// A conversation far over Telegram's limit, answered again and again with answers of
/// growing length, is opened after each: the cut before its kept end falls at every offset of
/// the answers' bold headers, and the card must open every time (finding 10: a cut inside
/// `<b>…</b>` left an orphan tag and Telegram refused the card).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_card_opens_wherever_it_is_cut() {
    let app = crate::helpers::TestApp::spawn().await;
    let mut c = app.user(32_001);
    crate::flows::register_confirmed(&app, &mut c, &crate::flows::IVANOV).await;
    let sent = crate::flows::tickets::file_appeal_with(&mut c, &"а".repeat(3000), false, false).await;
    let store = app.store().await;
    let (ticket,): (i64,) = sql::query_as("SELECT id FROM tickets")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    let mut last = String::new();
    for i in 0..50 {
        let answer = format!("{i:02}{}", "б".repeat(20 + i));
        store
            .add_operator_answer(ticket, 777, Some(&answer), &[], &[], chrono::Utc::now())
            .await
            .unwrap();
        c.press(&sent, &ru("ticket.open_this.appeal"));
        last = c.expect(&answer).await.text;
    }
    assert!(
        last.starts_with('…'),
        "the last cards were cut: {}",
        last.chars().take(40).collect::<String>()
    );
}

/// An operator answers with a 25 MB scan, more than a bot may download (`getFile`: «Bad
/// Request: file is too big»): the answer is not dropped — the consumer gets the file by its id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_file_too_big_to_download_still_reaches_the_consumer() {
    let group_id = GROUP.to_string();
    let e = E2e::start(&[("OPERATOR_CHAT_ID", &group_id)]).await;
    let mut c = appeal_answered(&e).await;
    let mut group = Group::new_for(e.api.clone());
    let card = group.expect(&no("О-2026-000001")).await;
    let op = TgUser::new(900_001, "Мария");
    let id = e.api.next_message_id();
    let content = serde_json::json!({
        "caption": "Скан акта",
        "document": { "file_id": "BQbig-scan", "file_unique_id": "ubig-scan", "file_name": "akt.pdf",
                      "mime_type": "application/pdf", "file_size": 25 * 1024 * 1024 }
    });
    e.api.push_update(op.in_group(GROUP, id, Some(&card), content));
    group.expect(&ru("desk.sent")).await;
    let push = c.expect("Скан акта").await;
    c.press(&push, &ru("ticket.open"));
    let card = c.expect("akt.pdf").await;
    c.press_containing(&card, "akt.pdf");
    let doc = c.expect_document().await;
    assert_eq!(doc.document.as_deref(), Some("BQbig-scan"));
    assert!(
        e.api
            .calls("getFile")
            .iter()
            .any(|call| call["file_id"] == "BQbig-scan")
    );
}

/// `MAIL_PER_HOUR`: past it, letters wait in the outbox (none is lost, none goes over).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letters_past_the_hours_cap_wait() {
    let e = E2e::start(&[("MAIL_PER_HOUR", "2")]).await;
    for i in 0..3 {
        let mut c = e.user(32_100 + i);
        register_as(
            &mut c,
            &crate::helpers::snils(700_000_000 + i as u64),
            &format!("p{i}@example.ru"),
            None,
        )
        .await;
        c.expect(&ru_head("reg.sent")).await;
    }
    let store = kabinet::store::Store::open(&e.db_url()).await.unwrap();
    wait_count(
        &store,
        "SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND status = 'pending' AND last_error LIKE 'MAIL_PER_HOUR%'",
        1,
    )
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while e.smtp.count() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first two letters never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(e.smtp.count(), 2, "two letters this hour, the third waits");
}

/// An update of a kind the bot did not ask for, created before it said so (Telegram still
/// delivers those for a moment), is taken without harm; one created after never comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_the_bot_did_not_ask_for_are_survived() {
    let mut e = E2e::prepare(&[]).await;
    let post = |id: i64| {
        serde_json::json!({ "channel_post": {
            "message_id": id, "date": chrono::Utc::now().timestamp(),
            "chat": { "id": -1_009_999, "type": "channel", "title": "Новости" }, "text": "пост"
        }})
    };
    let before = e.api.push_update(post(1));
    e.spawn();
    let mut c = e.user(32_201);
    c.send("/start");
    c.expect_key("start.welcome").await;
    assert!(e.api.wait_updates_confirmed(Duration::from_secs(10)).await);
    let after = e.api.push_update(post(2));
    c.send("/help");
    c.expect(&ru("help.text")).await;
    assert!(e.api.wait_updates_confirmed(Duration::from_secs(10)).await);
    assert!(e.api.events_for(-1_009_999).is_empty(), "nothing said in the channel");
    let store = kabinet::store::Store::open(&e.db_url()).await.unwrap();
    assert!(
        store.update_processed(before).await.unwrap(),
        "the earlier post came and was taken"
    );
    assert!(
        !store.update_processed(after).await.unwrap(),
        "the later post never came"
    );
}
