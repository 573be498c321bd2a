//! What the running bot says about itself: `/healthz`, `/readyz` and `/metrics` (Prometheus
//! text) on `METRICS_LISTEN`. Counters are incremented where things happen (one process-wide
//! set); the outbox and open items are read from the database at each scrape.

use crate::store::Store;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

type Labels = Vec<(String, String)>;

pub struct Metrics {
    pub updates: Family<Labels, Counter>,
    pub handler_seconds: Histogram,
    pub errors: Counter,
    pub telegram_429: Counter,
    pub telegram_429_wait_seconds: Counter<f64, std::sync::atomic::AtomicU64>,
    pub emails: Family<Labels, Counter>,
    pub reminders: Counter,
    /// Updates not handled, by why: a chat over its rate («rate»), too many of a chat's
    /// updates in the works («backlog»), posted again by Telegram («repeated»).
    pub shed: Family<Labels, Counter>,
    outbox_pending: Family<Labels, Gauge>,
    outbox_failed: Family<Labels, Gauge>,
    outbox_oldest_seconds: Family<Labels, Gauge>,
    open_items: Family<Labels, Gauge>,
    overdue_items: Gauge,
    /// Unix seconds of the last answer from the Bot API (any call).
    bot_api_ok_at: AtomicI64,
    /// 1 while the bot can post to the operators' group, 0 while it cannot.
    desk_postable: Gauge,
    /// Why it cannot, for /readyz.
    desk_blocked: std::sync::Mutex<Option<String>>,
    registry: Registry,
}

/// The process's metrics.
pub fn get() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::new)
}

impl Metrics {
    fn new() -> Self {
        let mut m = Self {
            updates: Family::default(),
            handler_seconds: Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
            errors: Counter::default(),
            telegram_429: Counter::default(),
            telegram_429_wait_seconds: Counter::default(),
            emails: Family::default(),
            reminders: Counter::default(),
            shed: Family::default(),
            outbox_pending: Family::default(),
            outbox_failed: Family::default(),
            outbox_oldest_seconds: Family::default(),
            open_items: Family::default(),
            overdue_items: Gauge::default(),
            bot_api_ok_at: AtomicI64::new(0),
            desk_postable: Gauge::default(),
            desk_blocked: Default::default(),
            registry: Registry::with_prefix("kabinet"),
        };
        let r = &mut m.registry;
        r.register("updates", "Updates handled, by kind", m.updates.clone());
        r.register("handler_seconds", "Time to handle an update", m.handler_seconds.clone());
        r.register("errors", "Updates whose handling failed", m.errors.clone());
        r.register(
            "telegram_429",
            "429 answers received from the Bot API",
            m.telegram_429.clone(),
        );
        r.register(
            "telegram_429_wait_seconds",
            "Seconds waited on 429 retry_after",
            m.telegram_429_wait_seconds.clone(),
        );
        r.register("emails", "Letters by result (sent, failed)", m.emails.clone());
        r.register("reminders", "Reminders queued", m.reminders.clone());
        r.register(
            "desk_group_postable",
            "1 while the bot can post to the operators' group, 0 while cards wait for it",
            m.desk_postable.clone(),
        );
        r.register(
            "updates_shed",
            "Updates not handled, by reason (rate, backlog, repeated)",
            m.shed.clone(),
        );
        r.register(
            "outbox_pending",
            "Outbox rows waiting, by channel",
            m.outbox_pending.clone(),
        );
        r.register(
            "outbox_failed",
            "Outbox rows given up, by channel",
            m.outbox_failed.clone(),
        );
        r.register(
            "outbox_oldest_pending_seconds",
            "Age of the oldest waiting outbox row, by channel",
            m.outbox_oldest_seconds.clone(),
        );
        r.register(
            "open_items",
            "Open items for the operators, by kind",
            m.open_items.clone(),
        );
        r.register(
            "overdue_items",
            "Open items past their deadline",
            m.overdue_items.clone(),
        );
        m
    }

    pub fn update(&self, kind: &str) {
        self.updates.get_or_create(&vec![("kind".into(), kind.into())]).inc();
    }

    /// Whether the bot can post to the operators' group (`reason` when it cannot).
    pub fn desk_group(&self, configured: bool, reason: Option<String>) {
        self.desk_postable.set(i64::from(configured && reason.is_none()));
        *self.desk_blocked.lock().expect("metrics lock") = reason;
    }

    pub fn shed(&self, reason: &str) {
        self.shed.get_or_create(&vec![("reason".into(), reason.into())]).inc();
    }

    pub fn email(&self, ok: bool) {
        let result = if ok { "sent" } else { "failed" };
        self.emails.get_or_create(&vec![("result".into(), result.into())]).inc();
    }

    /// The Bot API answered (whatever it said): it is reachable.
    pub fn bot_api_answered(&self) {
        self.bot_api_ok_at
            .store(chrono::Utc::now().timestamp(), Ordering::Relaxed);
    }

    fn bot_api_recent(&self) -> bool {
        chrono::Utc::now().timestamp() - self.bot_api_ok_at.load(Ordering::Relaxed) <= 60
    }

    /// The text for a scrape, with the database's figures read now (at most every [`CACHED`]).
    async fn render(
        &self,
        store: &Store,
        counted: &tokio::sync::Mutex<Option<std::time::Instant>>,
    ) -> Result<String, String> {
        let mut last = counted.lock().await;
        if last.is_none_or(|at| at.elapsed() >= CACHED) {
            self.count_database(store).await?;
            *last = Some(std::time::Instant::now());
        }
        drop(last);
        let mut out = String::new();
        encode(&mut out, &self.registry).map_err(|e| e.to_string())?;
        Ok(out)
    }

    async fn count_database(&self, store: &Store) -> Result<(), String> {
        let now = chrono::Utc::now();
        for o in store.outbox_health().await.map_err(|e| e.to_string())? {
            let l = vec![("channel".to_owned(), o.channel.clone())];
            self.outbox_pending.get_or_create(&l).set(o.pending);
            self.outbox_failed.get_or_create(&l).set(o.failed);
            let age = o.oldest.map_or(0, |t| (now - t).num_seconds().max(0));
            self.outbox_oldest_seconds.get_or_create(&l).set(age);
        }
        let counts = store.open_counts(now, None).await.map_err(|e| e.to_string())?;
        self.open_items.clear();
        for kind in crate::domain::items::ItemKind::ALL {
            let n = counts.iter().find(|c| c.0 == kind.as_str()).map_or(0, |c| c.1);
            self.open_items
                .get_or_create(&vec![("kind".into(), kind.as_str().into())])
                .set(n);
        }
        self.overdue_items.set(counts.iter().map(|c| c.2).sum());
        Ok(())
    }
}

/// Serves /healthz, /readyz and /metrics until `stop` resolves.
pub async fn serve(
    addr: std::net::SocketAddr,
    store: Store,
    bot: teloxide::Bot,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // A connection of its own: a flood of scrapes queues here, never before the bot's work.
    let store = store.beside().await.map_err(std::io::Error::other)?;
    let app = Router::new()
        .route("/healthz", routing::get(|| async { "ok\n" }))
        .route("/readyz", routing::get(ready))
        .route("/metrics", routing::get(scrape))
        .with_state(Arc::new(Served {
            store,
            bot,
            counted: Default::default(),
            db_ready: Default::default(),
        }));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "health and metrics served");
    axum::serve(listener, app).with_graceful_shutdown(stop).await
}

struct Served {
    store: Store,
    bot: teloxide::Bot,
    /// When the database's figures were last counted, and the database's own readiness: reused
    /// for [`CACHED`], so a flood of requests costs the database one query set per period.
    counted: tokio::sync::Mutex<Option<std::time::Instant>>,
    db_ready: tokio::sync::Mutex<Option<(std::time::Instant, Vec<String>)>>,
}

/// How long an answer of /metrics or /readyz is reused.
const CACHED: std::time::Duration = std::time::Duration::from_secs(2);

async fn scrape(State(s): State<Arc<Served>>) -> impl IntoResponse {
    match get().render(&s.store, &s.counted).await {
        Ok(text) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

/// Ready: the database writable with every migration applied, and the Bot API answered within
/// the last minute. 503 with what is wrong otherwise.
async fn ready(State(s): State<Arc<Served>>) -> impl IntoResponse {
    let mut wrong = {
        let mut cached = s.db_ready.lock().await;
        match cached.as_ref() {
            Some((at, wrong)) if at.elapsed() < CACHED => wrong.clone(),
            _ => {
                let wrong = database_ready(&s.store).await;
                *cached = Some((std::time::Instant::now(), wrong.clone()));
                wrong
            }
        }
    };
    bot_api_and_desk_ready(&s, &mut wrong).await;
    if wrong.is_empty() {
        (StatusCode::OK, "ready\n".to_owned())
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, wrong.join("\n") + "\n")
    }
}

/// What keeps the database from serving the bot, if anything.
async fn database_ready(store: &Store) -> Vec<String> {
    let mut wrong = Vec::new();
    if let Err(e) = store.writable().await {
        wrong.push(format!("database not writable: {e}"));
    }
    match store.migration_state().await {
        Ok(m) if m.pending == 0 && m.unknown == 0 => {}
        Ok(m) => wrong.push(format!("migrations: {} pending, {} unknown", m.pending, m.unknown)),
        Err(e) => wrong.push(format!("migrations unreadable: {e}")),
    }
    wrong
}

/// The Bot API answered lately (or answers now), and the bot can post to the operators' group.
async fn bot_api_and_desk_ready(s: &Served, wrong: &mut Vec<String>) {
    // Quiet for a minute (no one wrote): ask the Bot API itself.
    if !get().bot_api_recent() {
        use teloxide::prelude::Requester;
        if s.bot.get_me().await.is_ok() {
            get().bot_api_answered();
        } else {
            wrong.push("no answer from the Bot API in the last minute".into());
        }
    }
    let blocked = get().desk_blocked.lock().expect("metrics lock").clone();
    if let Some(why) = blocked {
        wrong.push(format!(
            "the bot cannot post to the operators' group ({why}): cards wait"
        ));
    }
}
