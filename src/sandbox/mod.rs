//! `kabinet sandbox`: the whole bot without Telegram. One process runs the local Bot API server
//! (`tgmock`, the one the end-to-end tests use), the real bot pointed at it (the same
//! `Application` as `kabinet run`), an SMTP sink, and a web page with three panes: a consumer's
//! chat, the operators' group and the mailbox. The page gets everything over one server-sent
//! event stream and acts through a few JSON calls that become Telegram updates.

mod smtp;
mod web;

use crate::config::Config;
use anyhow::Context;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgmock::{Event, MockBotApi};
use tokio::sync::{Notify, oneshot};

/// The operators' group of the sandbox.
pub const GROUP_CHAT_ID: i64 = -1_001_000_000_001;
pub const GROUP_TITLE: &str = "Операторы";

/// Someone who types in the sandbox: a consumer, or the operator.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Persona {
    pub id: i64,
    pub name: &'static str,
    pub language: &'static str,
    pub phone: &'static str,
}

/// The test consumers offered by the switch over the chat.
pub const CONSUMERS: [Persona; 3] = [
    Persona {
        id: 10_001,
        name: "Анна Петрова",
        language: "ru",
        phone: "+79000001001",
    },
    Persona {
        id: 10_002,
        name: "Игорь Смирнов",
        language: "ru",
        phone: "+79000001002",
    },
    Persona {
        id: 10_003,
        name: "John Smith",
        language: "en",
        phone: "+79000001003",
    },
];

/// The operator made in the sandbox database at start; she answers in the group and can also
/// talk to the bot privately (`/queue`, `/item`, `/stats`).
pub const OPERATOR: Persona = Persona {
    id: 20_001,
    name: "Мария (оператор)",
    language: "ru",
    phone: "+79000002001",
};

pub fn persona(id: i64) -> Option<&'static Persona> {
    CONSUMERS.iter().chain(std::iter::once(&OPERATOR)).find(|p| p.id == id)
}

/// What the sandbox needs besides the bot's own settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// The page's port on 127.0.0.1 (0: any free one).
    pub port: u16,
    /// The sandbox's own database, never the production one.
    pub database_url: String,
    /// Start from an empty database.
    pub fresh: bool,
}

/// How much the sandbox remembers: the page's log, the Bot API server's messages and files.
/// A sandbox left running for days stays within these.
const LOG_ENTRIES: usize = 20_000;
pub(crate) const API_BOUNDS: tgmock::Bounds = tgmock::Bounds {
    events: 50_000,
    messages: 50_000,
    file_bytes: 256 * 1024 * 1024,
};

/// Everything shown on the page, in order (the latest `LOG_ENTRIES` of it); the page replays
/// it and then follows it.
pub(crate) struct Log {
    entries: Mutex<(u64, std::collections::VecDeque<Value>)>,
    pub(crate) changed: Notify,
}

impl Log {
    fn new() -> Self {
        Self {
            entries: Mutex::new((0, std::collections::VecDeque::new())),
            changed: Notify::new(),
        }
    }

    /// Appends an entry (its `seq` and `at` filled in) and wakes the page's streams.
    pub(crate) fn push(&self, mut entry: Value) {
        {
            let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            let (forgotten, entries) = &mut *guard;
            entry["seq"] = json!(*forgotten + entries.len() as u64 + 1);
            entry["at"] = json!(chrono::Utc::now().timestamp_millis());
            entries.push_back(entry);
            while entries.len() > LOG_ENTRIES {
                entries.pop_front();
                *forgotten += 1;
            }
        }
        self.changed.notify_waiters();
    }

    /// The entries after `seq` (those still remembered).
    pub(crate) fn after(&self, seq: u64) -> Vec<Value> {
        let guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (forgotten, entries) = &*guard;
        entries
            .iter()
            .skip(seq.saturating_sub(*forgotten) as usize)
            .cloned()
            .collect()
    }
}

pub(crate) struct Shared {
    pub(crate) api: Arc<MockBotApi>,
    pub(crate) log: Arc<Log>,
    pub(crate) bot_username: String,
    /// The command menu the bot registered at start.
    pub(crate) commands: Value,
    next_query: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub(crate) fn query_id(&self, chat: i64) -> String {
        let n = self.next_query.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        format!("cq:{chat}:{n}")
    }

    /// A file as the page shows it: id, name, type, and whether it is a picture.
    pub(crate) fn file_entry(&self, file_id: &str) -> Value {
        // Every upload is kept; only an id the server never saw has no name.
        let (name, mime) = match self.api.file(file_id) {
            Some(f) => (f.name, f.mime),
            None => ("document".to_owned(), "application/octet-stream".to_owned()),
        };
        json!({ "id": file_id, "name": name, "image": mime.starts_with("image/"), "mime": mime })
    }

    fn entry_of(&self, e: &Event) -> Option<Value> {
        Some(match e {
            Event::Sent(m) | Event::Edited(m) => {
                let kind = if matches!(e, Event::Sent(_)) { "sent" } else { "edited" };
                json!({
                    "kind": kind,
                    "chat": m.chat_id,
                    "id": m.message_id,
                    "text": m.text,
                    "html": m.parse_mode.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("html")),
                    "file": m.document.as_deref().map(|d| self.file_entry(d)),
                    "reply_to": m.reply_to,
                    "markup": m.reply_markup,
                })
            }
            Event::Deleted { chat_id, message_id } => json!({ "kind": "deleted", "chat": chat_id, "id": message_id }),
            Event::CallbackAnswered {
                query_id,
                text: Some(text),
                show_alert,
            } => {
                let chat: i64 = query_id.split(':').nth(1)?.parse().ok()?;
                json!({ "kind": "toast", "chat": chat, "text": text, "alert": show_alert })
            }
            Event::CallbackAnswered { .. } => return None,
        })
    }
}

/// A running sandbox. `stop` ends it.
pub struct Sandbox {
    address: SocketAddr,
    stop_bot: Option<oneshot::Sender<()>>,
    stop_web: Option<oneshot::Sender<()>>,
    bot: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// The Bot API server lives until the bot has stopped polling it.
    api: Arc<MockBotApi>,
    web: tokio::task::JoinHandle<()>,
    pump: tokio::task::JoinHandle<()>,
    _smtp: smtp::Sink,
}

impl Sandbox {
    /// Starts every part; the page is served once this returns.
    pub async fn start(mut config: Config, options: Options) -> anyhow::Result<Self> {
        // The page's port first: a taken port is the likeliest mistake, said before anything starts.
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{} (is it taken? try --port)", options.port))?;
        let address = listener.local_addr()?;
        if options.fresh {
            remove_database(&options.database_url)?;
        }
        let api = Arc::new(MockBotApi::start().await);
        api.bound_memory(API_BOUNDS);
        // Any page in the browser could reach this port: only the bot may drive it.
        api.guard(SANDBOX_TOKEN);
        let log = Arc::new(Log::new());
        let sink = smtp::Sink::start(log.clone())
            .await
            .context("cannot start the sandbox's SMTP sink")?;

        config.telegram_token = Some(SANDBOX_TOKEN.into());
        config.telegram_api_url = Some(api.url().parse().context("the local Bot API address")?);
        config.database_url = options.database_url.clone();
        config.smtp_url = Some(format!("smtp://{}", sink.address()));
        config.operator_chat_id = Some(GROUP_CHAT_ID);
        sandboxed(&mut config);

        let app = crate::Application::build(config, Default::default()).await?;
        app.store()
            .add_operator(OPERATOR.id, Some(OPERATOR.name), chrono::Utc::now())
            .await
            .context("cannot make the sandbox's operator")?;
        samples(app.store())
            .await
            .context("cannot import the sample accounts")?;
        let bot_username = app.bot_username().to_owned();
        // The database outlives the page's chats: a sandbox started again must not number
        // updates or messages as ones the bot already handled or stored (cards, prompts).
        let handled = app.store().last_received_update().await?;
        api.continue_from(handled + 1, restart_floor(chrono::Utc::now().timestamp()));

        let (bot_stop_tx, bot_stop_rx) = oneshot::channel::<()>();
        let (web_stop_tx, web_stop_rx) = oneshot::channel::<()>();
        let bot = tokio::spawn(app.run(async move {
            let _ = bot_stop_rx.await;
        }));

        let shared = Arc::new(Shared {
            api: api.clone(),
            log,
            bot_username,
            commands: web::commands_of(&api),
            next_query: Default::default(),
        });
        let pump = tokio::spawn(pump(shared.clone()));

        let router = web::router(shared, web::Own { port: address.port() });
        let web = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = web_stop_rx.await;
                })
                .await;
        });
        Ok(Self {
            address,
            stop_bot: Some(bot_stop_tx),
            stop_web: Some(web_stop_tx),
            bot,
            api,
            web,
            pump,
            _smtp: sink,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The local Bot API server the bot talks to (what it sent, per chat).
    pub fn bot_api(&self) -> &MockBotApi {
        &self.api
    }

    /// Stops the bot (letting the updates in progress finish), then the page.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop_bot.take() {
            let _ = stop.send(());
        }
        let result = (&mut self.bot).await.context("the bot task");
        if let Some(stop) = self.stop_web.take() {
            let _ = stop.send(());
        }
        self.pump.abort();
        // The page's event streams stay open until the browser leaves: do not wait for them.
        let _ = tokio::time::timeout(Duration::from_secs(1), &mut self.web).await;
        self.web.abort();
        result?
    }
}

/// Moves what the bot did (from the Bot API server) into the page's log, in order. (The SMTP
/// sink writes its letters into the same log itself.)
async fn pump(shared: Arc<Shared>) {
    let mut cursor = 0;
    loop {
        // Waits an hour at a time when nothing happens; the task ends with the sandbox.
        if let Some((i, e)) = shared.api.wait_event(cursor, Duration::from_secs(3600), |_| true).await {
            cursor = i + 1;
            if let Some(entry) = shared.entry_of(&e) {
                shared.log.push(entry);
            }
        }
    }
}

/// Message ids of a run start above those of any earlier run of the same database: ten per
/// second since a fixed moment. Telegram's ids are 32-bit; this lasts until 2033.
fn restart_floor(now_secs: i64) -> i64 {
    ((now_secs - 1_790_000_000) * 10).max(1)
}

fn remove_database(url: &str) -> anyhow::Result<()> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        return Ok(());
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {file}")),
        }
    }
    Ok(())
}

/// The billing samples of `samples/billing`, imported at every start (the same files again
/// change nothing): a newcomer can add account 100200300 (proved with meter ЭЛ-001 or the
/// amount 2742,81, as the page says) and see its bill, receipt and QR code.
async fn samples(store: &crate::store::Store) -> anyhow::Result<()> {
    let opts = crate::import::Options::default();
    let now = chrono::Utc::now();
    let accounts = include_bytes!("../../samples/billing/accounts.csv");
    let charges = include_bytes!("../../samples/billing/charges-2026-11.csv");
    let payments = include_bytes!("../../samples/billing/payments.csv");
    crate::import::accounts(store, accounts, &opts, now).await?;
    let period = crate::domain::meters::Period { year: 2026, month: 11 };
    crate::import::charges(store, period, charges, &opts, now).await?;
    crate::import::payments(store, payments, &opts, now).await?;
    Ok(())
}

/// The sandbox bot's token: only it may call the sandbox's Bot API server.
const SANDBOX_TOKEN: &str = "sandbox:TOKEN";

/// What the sandbox takes from the production settings (`.env`) is only what shapes the
/// conversation: never production's backups (their folder would get sandbox copies and lose
/// its oldest real ones), its metrics address or its webhook.
fn sandboxed(config: &mut Config) {
    config.backup_dir = None;
    config.metrics_listen = None;
    config.webhook_url = None;
    config.webhook_listen = None;
    config.webhook_secret = None;
    // Payment details of the samples (valid keys, no real money goes anywhere), so receipts
    // carry their QR code; a `.env` with its own details keeps them.
    if config.bank_account.is_none() {
        config
            .org_name
            .get_or_insert_with(|| "АО «Энергосбыт» (песочница)".into());
        config.org_inn = Some("7707083893".into());
        config.org_kpp = Some("773601001".into());
        config.bank_name = Some("ПАО Сбербанк".into());
        config.bank_bic = Some("044525225".into());
        config.bank_account = Some("40702810938000000001".into());
        config.bank_corr_account = Some("30101810400000000225".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_log_keeps_the_latest_entries_with_their_numbers() {
        let log = Log::new();
        for i in 0..LOG_ENTRIES + 10 {
            log.push(json!({ "i": i }));
        }
        let all = log.after(0);
        assert_eq!(all.len(), LOG_ENTRIES);
        assert_eq!(all[0]["seq"], json!(11));
        let tail = log.after((LOG_ENTRIES + 5) as u64);
        assert_eq!(tail.len(), 5);
        assert_eq!(tail[0]["seq"], json!(LOG_ENTRIES + 6));
    }

    #[test]
    fn the_sandbox_takes_no_production_backups_metrics_or_webhook() {
        let mut c = Config::from_flags([
            "--backup-dir",
            "/srv/backups",
            "--metrics-listen",
            "0.0.0.0:9090",
            "--webhook-url",
            "https://bot.example.ru/tg",
            "--listen",
            "127.0.0.1:8443",
            "--webhook-secret",
            "s3cret",
        ])
        .unwrap();
        sandboxed(&mut c);
        assert!(c.backup_dir.is_none() && c.metrics_listen.is_none());
        assert!(c.webhook_url.is_none() && c.webhook_listen.is_none() && c.webhook_secret.is_none());
    }
}
