//! Spawns the real bot (the same `Application` as `kabinet run`) against the local Bot API
//! server, on a fresh SQLite file, with e-mails written to a folder; and drives it as a user.

use kabinet::clock::Clock;
use kabinet::config::Config;
use kabinet::i18n;
use kabinet::store::Store;
use kabinet::store::sql;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tgmock::{BotMessage, Event, MockBotApi, TgUser};
use tokio::sync::oneshot;

/// The bot's warnings and errors in the test output (RUST_LOG overrides).
fn init_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

pub const WAIT: Duration = Duration::from_secs(15);

pub fn ru(key: &str) -> String {
    i18n::t("ru", key)
}

/// Whether `text` holds the Russian text of `key`: every literal piece of its template (the
/// parts between placeholders), in order.
pub fn is_text_of(text: &str, key: &str) -> bool {
    let template = ru(key);
    let mut rest = text;
    for piece in template.split("%{").enumerate().map(|(i, p)| {
        // Every part but the first begins with a placeholder's name and its `}`.
        if i == 0 {
            p
        } else {
            p.split_once('}').map_or("", |(_, t)| t)
        }
    }) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// The Russian text of `key` with its placeholders filled, as the bot words it.
pub fn ru_with(key: &str, args: &[(&str, &str)]) -> String {
    i18n::tf("ru", key, args)
}

/// «Шаг N из M.» of a form.
pub fn step(n: usize, m: usize) -> String {
    ru_with("common.step", &[("n", &n.to_string()), ("m", &m.to_string())])
}

/// «Всего: N файл(а/ов)» after a file is added.
pub fn files_added(n: u64) -> String {
    let count = i18n::plural("ru", "plural.files", n);
    let text = ru_with("files.added", &[("count", &count)]);
    // The part that counts: up to the count's end.
    let end = text.find(&count).map_or(text.len(), |at| at + count.len());
    text[..end].to_owned()
}

/// «Получено: текст ✓, 1 файл.»: what a follow-up holds so far.
pub fn got_so_far(text: bool, files: u64) -> String {
    let files = i18n::plural("ru", "plural.files", files);
    ru_with(
        "ticket.follow_got",
        &[("text", if text { "✓" } else { "—" }), ("files", &files)],
    )
}

/// The part of a localized text before its first placeholder: enough to recognise it.
pub fn ru_head(key: &str) -> String {
    let s = ru(key);
    s.split("%{").next().unwrap_or_default().to_owned()
}

struct Running {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

pub struct TestApp {
    pub api: Arc<MockBotApi>,
    pub dir: tempfile::TempDir,
    pub db: crate::db::TestDb,
    pub clock: Clock,
    pub extra_flags: Vec<String>,
    running: Option<Running>,
    query_ids: AtomicI64,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    pub async fn spawn_with(flags: &[&str]) -> Self {
        Self::spawn_on(flags, None).await
    }

    /// On this database (`None`: the suite's, a fresh one).
    pub async fn spawn_on(flags: &[&str], db: Option<crate::db::TestDb>) -> Self {
        init_logs();
        let dir = tempfile::tempdir().expect("temp dir");
        let db = match db {
            Some(db) => db,
            None => crate::db::TestDb::new(dir.path(), "kabinet.db").await,
        };
        let mut app = Self {
            api: Arc::new(MockBotApi::start().await),
            db,
            dir,
            clock: Clock::default(),
            extra_flags: flags.iter().map(|s| s.to_string()).collect(),
            running: None,
            query_ids: AtomicI64::new(1),
        };
        app.start().await;
        app
    }

    pub fn db_url(&self) -> String {
        self.db.url.clone()
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    pub fn config(&self) -> Config {
        let mut flags = vec![
            "--telegram-token".to_owned(),
            "123456:TEST".to_owned(),
            "--telegram-api-url".to_owned(),
            self.api.url(),
            "--database-url".to_owned(),
            self.db_url(),
            "--mail-dir".to_owned(),
            self.mail_dir().display().to_string(),
            "--org-name".to_owned(),
            "АО «Тестэнерго»".to_owned(),
            "--outbox-retry-seconds".to_owned(),
            "1".to_owned(),
        ];
        // Tests drive the bot faster than people do; those about Telegram's limits turn the
        // server's limits on and keep ours.
        if !self.extra_flags.iter().any(|f| f == "--telegram-limits") {
            flags.extend(["--telegram-limits".to_owned(), "off".to_owned()]);
        }
        // …and far faster than the door lets a person send; the flood tests keep its limits.
        if !self.extra_flags.iter().any(|f| f == "--chat-updates-burst") {
            flags.extend(["--chat-updates-burst".to_owned(), "100000".to_owned()]);
        }
        flags.extend(self.extra_flags.iter().cloned());
        let mut config = Config::from_flags(flags).expect("test config");
        // The environment must not leak a real SMTP server into tests that did not ask for one.
        if !self.extra_flags.iter().any(|f| f == "--smtp-url") {
            config.smtp_url = None;
        }
        config
    }

    /// Builds a new `Application` on the same database and starts it.
    pub async fn start(&mut self) {
        assert!(self.running.is_none(), "already running");
        let app = kabinet::Application::build(self.config(), self.clock.clone())
            .await
            .expect("build app");
        let (stop, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run(async move {
            let _ = rx.await;
        }));
        self.running = Some(Running { stop, task });
    }

    /// Graceful stop: the dispatcher finishes what it has, then the app is dropped.
    pub async fn stop(&mut self) {
        let running = self.running.take().expect("running");
        let _ = running.stop.send(());
        tokio::time::timeout(WAIT, running.task)
            .await
            .expect("the bot stops within the wait")
            .expect("task")
            .expect("run ok");
    }

    pub async fn store(&self) -> Store {
        Store::connect(&self.db_url()).await.expect("open store")
    }

    /// The consumer a chat is signed in as.
    pub async fn consumer_of(&self, chat: i64) -> i64 {
        sql::query_scalar("SELECT consumer_id FROM chats WHERE chat_id = $1")
            .bind(chat)
            .fetch_one(&self.store().await.pool)
            .await
            .unwrap()
    }

    pub fn user(&self, id: i64) -> Client {
        Client {
            api: self.api.clone(),
            user: TgUser::new(id, "Тест"),
            cursor: 0,
            app_query: self.query_ids.fetch_add(1000, Ordering::SeqCst),
        }
    }

    pub fn english_user(&self, id: i64) -> Client {
        Client {
            api: self.api.clone(),
            user: TgUser::new(id, "Test").with_language("en"),
            cursor: 0,
            app_query: self.query_ids.fetch_add(1000, Ordering::SeqCst),
        }
    }

    /// Waits for a letter to `to` that was not read yet; returns its decoded text body.
    pub async fn mail_to(&self, to: &str, seen: &mut Vec<PathBuf>) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Ok(entries) = std::fs::read_dir(self.mail_dir()) {
                let mut paths: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "eml") && !seen.contains(p))
                    .collect();
                paths.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
                for p in paths {
                    let raw = std::fs::read(&p).unwrap();
                    let (rcpt, body) = parse_mail(&raw);
                    if rcpt.contains(to) {
                        seen.push(p);
                        return body;
                    }
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "no letter to {to} arrived");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The letters already in the folder: pass to `mail_to` to wait for a newer one.
    pub fn mail_seen(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.mail_dir())
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default()
    }

    pub fn mail_count(&self) -> usize {
        std::fs::read_dir(self.mail_dir())
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0)
    }
}

/// (the To header, the decoded plain-text body) of a raw letter.
pub fn parse_mail(raw: &[u8]) -> (String, String) {
    let msg = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a parsable letter");
    let to = msg
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_owned();
    let body = msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
    (to, body)
}

/// The 6-digit code in a letter.
pub fn code_in(body: &str) -> String {
    body.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {body}"))
        .to_owned()
}

/// The deep-link token in a letter.
pub fn token_in(body: &str) -> String {
    let start = body.find("?start=").expect("a deep link") + "?start=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// The next message (sent, or edited) in `chat` after `cursor` that `pred` accepts; moves the
/// cursor past it, or fails with the chat's transcript.
async fn next(
    api: &MockBotApi,
    cursor: &mut usize,
    chat: i64,
    what: &str,
    pred: impl Fn(&BotMessage, bool) -> bool,
) -> BotMessage {
    let found = api
        .wait_event(*cursor, WAIT, |e| match e {
            Event::Sent(m) => m.chat_id == chat && pred(m, false),
            Event::Edited(m) => m.chat_id == chat && pred(m, true),
            _ => false,
        })
        .await;
    match found {
        Some((i, Event::Sent(m) | Event::Edited(m))) => {
            *cursor = i + 1;
            if let Some(twice) = said_twice(&m.text) {
                panic!("a sentence said twice in one message («{twice}»):\n{}", m.text);
            }
            m
        }
        _ => panic!("no {what} for chat {chat}; transcript:\n{}", transcript_of(api, chat)),
    }
}

/// A sentence (of some length: not a field's label or a short answer) that a message says twice:
/// every message a test looks at is checked.
pub fn said_twice(text: &str) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    text.split(['\n', '.', '!', '?'])
        .map(str::trim)
        .filter(|s| s.chars().count() >= 30)
        .find(|s| !seen.insert(s.to_lowercase()))
        .map(str::to_owned)
}

/// What the bot did in a chat, a line an event, for failure messages.
pub fn transcript_of(api: &MockBotApi, chat: i64) -> String {
    api.events_for(chat)
        .iter()
        .map(|e| match e {
            Event::Sent(m) => format!(
                "> [{}] {} {:?}{}",
                m.message_id,
                m.text,
                m.inline_buttons().iter().map(|b| &b.0).collect::<Vec<_>>(),
                m.document.as_deref().map(|d| format!(" file {d}")).unwrap_or_default()
            ),
            Event::Edited(m) => format!("~ [{}] {}", m.message_id, m.text),
            Event::Deleted { message_id, .. } => format!("x deleted {message_id}"),
            Event::CallbackAnswered { text, .. } => format!("! {}", text.as_deref().unwrap_or_default()),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One Telegram user talking to the bot in a private chat.
pub struct Client {
    pub api: Arc<MockBotApi>,
    pub user: TgUser,
    /// Events before this index were already looked at.
    pub cursor: usize,
    app_query: i64,
}

impl Client {
    pub fn new(api: Arc<MockBotApi>, user: TgUser) -> Self {
        Self {
            app_query: user.id * 1000,
            api,
            user,
            cursor: 0,
        }
    }

    pub fn id(&self) -> i64 {
        self.user.id
    }

    /// Sends a text message; returns its message id.
    pub fn send(&self, text: &str) -> i64 {
        let id = self.api.next_message_id();
        self.api.push_update(self.user.text(id, text));
        id
    }

    pub fn sticker(&self) {
        let id = self.api.next_message_id();
        self.api.push_update(self.user.sticker(id));
    }

    pub fn photo(&self) {
        let id = self.api.next_message_id();
        self.api.push_update(self.user.photo(id));
    }

    pub fn voice(&self) {
        let id = self.api.next_message_id();
        self.api.push_update(self.user.voice(id));
    }

    pub fn document(&self, name: &str, mime: &str, size: u64) {
        let id = self.api.next_message_id();
        self.api.push_update(self.user.document(id, name, mime, size));
    }

    pub fn contact(&self, phone: &str, owner: Option<i64>) {
        let id = self.api.next_message_id();
        self.api.push_update(self.user.contact(id, phone, owner));
    }

    /// Presses the inline button labelled `label` under `msg`.
    pub fn press(&mut self, msg: &BotMessage, label: &str) {
        let data = msg
            .inline_buttons()
            .into_iter()
            .find(|(t, _)| t == label)
            .unwrap_or_else(|| panic!("no button «{label}» under «{}»: {:?}", msg.text, msg.inline_buttons()))
            .1;
        self.press_data(msg, &data);
    }

    /// Presses the inline button whose label contains `part` (a meter's or an item's, whose
    /// label carries more than its number).
    pub fn press_containing(&mut self, msg: &BotMessage, part: &str) {
        let data = msg
            .inline_buttons()
            .into_iter()
            .find(|(t, _)| t.contains(part))
            .unwrap_or_else(|| {
                panic!(
                    "no button with «{part}» under «{}»: {:?}",
                    msg.text,
                    msg.inline_buttons()
                )
            })
            .1;
        self.press_data(msg, &data);
    }

    pub fn press_data(&mut self, msg: &BotMessage, data: &str) {
        self.app_query += 1;
        self.api
            .push_update(self.user.press(&format!("q{}", self.app_query), msg, data));
    }

    /// The next message (sent or edited) in this chat whose text contains `needle`.
    pub async fn expect(&mut self, needle: &str) -> BotMessage {
        let chat = self.id();
        next(
            &self.api,
            &mut self.cursor,
            chat,
            &format!("message containing «{needle}»"),
            |m, _| m.text.contains(needle),
        )
        .await
    }

    /// The next message (sent or edited) containing any of `needles`.
    pub async fn expect_any(&mut self, needles: &[&str]) -> BotMessage {
        let chat = self.id();
        next(
            &self.api,
            &mut self.cursor,
            chat,
            &format!("message containing any of {needles:?}"),
            |m, _| needles.iter().any(|n| m.text.contains(n)),
        )
        .await
    }

    /// The next message that is the text of `key` (`is_text_of`).
    pub async fn expect_key(&mut self, key: &str) -> BotMessage {
        let chat = self.id();
        next(
            &self.api,
            &mut self.cursor,
            chat,
            &format!("message with the text of «{key}»"),
            |m, _| is_text_of(&m.text, key),
        )
        .await
    }

    /// The next message with an inline keyboard.
    /// «Интерактивные сервисы» → the service whose button is `label_key`; the caller expects
    /// what it shows.
    pub async fn open_service(&mut self, label_key: &str) {
        self.send(&ru("menu.services"));
        let services = self.expect_key("services.title").await;
        self.press(&services, &ru(label_key));
    }

    pub async fn expect_buttons(&mut self) -> BotMessage {
        let chat = self.id();
        next(&self.api, &mut self.cursor, chat, "message with buttons", |m, _| {
            !m.inline_buttons().is_empty()
        })
        .await
    }

    /// The next document the bot sent to this chat.
    pub async fn expect_document(&mut self) -> BotMessage {
        let chat = self.id();
        next(&self.api, &mut self.cursor, chat, "document", |m, edited| {
            !edited && m.document.is_some()
        })
        .await
    }

    /// Waits until the bot deleted the message `message_id`.
    pub async fn expect_deleted(&self, message_id: i64) {
        let chat = self.id();
        let found = self
            .api
            .wait_event(
                0,
                WAIT,
                |e| matches!(e, Event::Deleted { chat_id, message_id: m } if *chat_id == chat && *m == message_id),
            )
            .await;
        assert!(found.is_some(), "message {message_id} was not deleted");
    }

    pub fn transcript(&self) -> String {
        transcript_of(&self.api, self.id())
    }
}

pub const GROUP: i64 = -1_001_000_000_001;

/// The operators' group as a test sees it: what the bot posts there, and people replying.
pub struct Group {
    pub api: Arc<MockBotApi>,
    pub cursor: usize,
    pub query: i64,
    /// The group's chat id ([`GROUP`] unless Telegram moved it).
    pub chat: i64,
}

impl Group {
    pub fn new(app: &TestApp) -> Self {
        Self::new_for(app.api.clone())
    }

    pub fn new_for(api: Arc<MockBotApi>) -> Self {
        Self {
            api,
            cursor: 0,
            query: 0,
            chat: GROUP,
        }
    }

    /// The next message posted or edited in the group containing `needle`.
    pub async fn expect(&mut self, needle: &str) -> BotMessage {
        next(
            &self.api,
            &mut self.cursor,
            self.chat,
            &format!("group message containing «{needle}»"),
            |m, _| m.text.contains(needle),
        )
        .await
    }

    /// The next message posted or edited in the group that is the text of `key`.
    pub async fn expect_key(&mut self, key: &str) -> BotMessage {
        next(
            &self.api,
            &mut self.cursor,
            self.chat,
            &format!("group message with the text of «{key}»"),
            |m, _| is_text_of(&m.text, key),
        )
        .await
    }

    /// The next card containing `needle`, once the bot has recorded it as the item's card (it
    /// does so right after Telegram confirms the message).
    pub async fn expect_card(&mut self, app: &TestApp, needle: &str) -> BotMessage {
        let card = self.expect(needle).await;
        let store = app.store().await;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let found: Option<(i32,)> =
                sql::query_as("SELECT 1 FROM desk_cards WHERE chat_id = $1 AND message_id = $2")
                    .bind(self.chat)
                    .bind(card.message_id)
                    .fetch_optional(&store.pool)
                    .await
                    .unwrap();
            if found.is_some() {
                return card;
            }
            assert!(tokio::time::Instant::now() < deadline, "the card was never recorded");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The next file the bot sent to the group.
    pub async fn expect_file(&mut self) -> BotMessage {
        next(
            &self.api,
            &mut self.cursor,
            self.chat,
            "file in the group",
            |m, edited| !edited && m.document.is_some(),
        )
        .await
    }

    pub fn reply(&self, who: &TgUser, to: &BotMessage, text: &str) {
        let id = self.api.next_message_id();
        self.api
            .push_update(who.in_group(self.chat, id, Some(to), serde_json::json!({ "text": text })));
    }

    pub fn reply_with_document(&self, who: &TgUser, to: &BotMessage, name: &str, caption: &str) {
        let id = self.api.next_message_id();
        let content = serde_json::json!({
            "caption": caption,
            "document": { "file_id": format!("BQop{id}"), "file_unique_id": format!("uop{id}"), "file_name": name, "mime_type": "application/pdf", "file_size": 1000 }
        });
        self.api.push_update(who.in_group(self.chat, id, Some(to), content));
    }

    pub fn press(&mut self, who: &TgUser, msg: &BotMessage, label: &str) {
        let data = msg
            .inline_buttons()
            .into_iter()
            .find(|(t, _)| t == label)
            .unwrap_or_else(|| panic!("no button «{label}» under «{}»: {:?}", msg.text, msg.inline_buttons()))
            .1;
        self.query += 1;
        self.api.push_update(who.press(&format!("g{}", self.query), msg, &data));
    }
}

/// A СНИЛС with correct check digits, from nine digits.
pub fn snils(base: u64) -> String {
    let digits = format!("{base:09}");
    (0..100)
        .map(|cc| format!("{digits}{cc:02}"))
        .find(|s| kabinet::domain::ids::Snils::parse(s).is_ok())
        .expect("some check number fits")
}

/// A loopback port for a server a test starts (the bot's webhook or metrics, an SMTP server,
/// chromedriver) or leaves closed. Taken below Linux's ephemeral range (32768–60999), where
/// neither outgoing connections nor `bind(…:0)` take ports, so a port let go here is not given
/// to someone else before its server binds it; each one is handed out once per run.
pub fn free_port() -> u16 {
    use std::sync::atomic::AtomicU16;
    const FIRST: u16 = 20_000;
    const SPAN: u16 = 12_000;
    static NEXT: AtomicU16 = AtomicU16::new(0);
    // Two test processes at once (two checkouts on one machine) start far apart.
    let base = std::process::id() % u32::from(SPAN);
    for _ in 0..SPAN {
        let n = u32::from(NEXT.fetch_add(1, Ordering::Relaxed));
        let port = FIRST + ((base + n) % u32::from(SPAN)) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port between {FIRST} and {}", FIRST + SPAN);
}

/// An item's number as the bot gives it this year: `no("О-2026-000001")` with the utility's
/// current year (UTC+3) for 2026, so the tests read the same in any year.
pub fn no(number: &str) -> String {
    use chrono::Datelike;
    let year = (chrono::Utc::now() + chrono::Duration::hours(3)).year();
    number.replace("-2026-", &format!("-{year}-"))
}

/// Waits until the count `sql` gives is `want`.
pub async fn wait_count(store: &Store, sql: &'static str, want: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (n,): (i64,) = sql::query_as(sql).fetch_one(&store.pool).await.unwrap();
        if n == want {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{sql}: {n}, not {want}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Message `id` of `chat` as it is once `pred` accepts it (edited meanwhile, maybe): for a
/// message changed by another way than the next ones in the chat.
pub async fn message_when(
    api: &MockBotApi,
    chat: i64,
    id: i64,
    what: &str,
    pred: impl Fn(&BotMessage) -> bool,
) -> BotMessage {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(m) = api.message(chat, id)
            && pred(&m)
        {
            return m;
        }
        assert!(tokio::time::Instant::now() < deadline, "no {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
