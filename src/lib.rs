//! Kabinet: a Telegram bot that is the personal area of a utility's consumers.

rust_i18n::i18n!("locales", fallback = "ru");

pub mod bot;
pub mod callback;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod desk;
pub mod domain;
pub mod door;
pub mod failpoint;
pub mod gate;
pub mod hashing;
pub mod i18n;
pub mod import;
pub mod leader;
pub mod listener;
pub mod mail;
pub mod metrics;
pub mod policy;
pub mod private_file;
pub mod receipt;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod store;
pub mod telegram;
pub mod webhook;
pub mod wording;
pub mod worker;

use anyhow::Context;
use clock::Clock;
use config::Config;
use std::future::Future;
use std::sync::Arc;
use store::Store;
use teloxide::prelude::*;
use tokio::sync::watch;

/// The bot with everything it needs, built once and run until told to stop.
pub struct Application {
    config: Arc<Config>,
    store: Store,
    /// Only for polling updates: everything sent goes through `tg`.
    bot: Bot,
    tg: telegram::Telegram,
    stopping: watch::Sender<bool>,
    mailer: mail::Mailer,
    clock: Clock,
    bot_username: String,
}

impl Application {
    pub async fn build(config: Config, clock: Clock) -> anyhow::Result<Self> {
        anyhow::ensure!(
            config.readings_first_day <= config.readings_last_day,
            "READINGS_FIRST_DAY must not be after READINGS_LAST_DAY"
        );
        anyhow::ensure!(
            config.webhook_url.is_none() || config.webhook_listen.is_some(),
            "WEBHOOK_URL needs WEBHOOK_LISTEN (--listen): where the proxy passes the requests"
        );
        let token =
            config.telegram_token.clone().filter(|t| !t.trim().is_empty()).context(
                "TELOXIDE_TOKEN is not set: get a token from @BotFather and put it in .env or the environment",
            )?;
        let store = Store::open(&config.database_url).await.with_context(|| {
            format!(
                "cannot open the database DATABASE_URL={}",
                store::shown_url(&config.database_url)
            )
        })?;
        let mailer = mail::Mailer::new(config.smtp_url.as_deref(), &config.mail_dir, &config.mail_from)
            .context("cannot set up e-mail (SMTP_URL / MAIL_DIR)")?;
        let mut bot = Bot::new(token);
        if let Some(url) = &config.telegram_api_url {
            bot = bot.set_api_url(url.clone());
        }
        let me = bot
            .get_me()
            .await
            .context("cannot reach the Bot API with TELOXIDE_TOKEN (getMe failed)")?;
        let bot_username = me.username.clone().unwrap_or_default();
        let (stopping, stopping_rx) = watch::channel(false);
        let tg = telegram::Telegram::new(bot.clone(), config.send_limits(), Some(store.clone()), stopping_rx);
        if let Err(e) = bot::register_commands(&tg).await {
            tracing::warn!(error = %e, "setMyCommands failed; the command menu may be missing");
        }
        tracing::info!(bot = %bot_username, mail = %mailer.describe(), "ready");
        Ok(Self {
            config: Arc::new(config),
            store,
            bot,
            tg,
            stopping,
            mailer,
            clock,
            bot_username,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The bot's @username, as the Bot API reported it.
    pub fn bot_username(&self) -> &str {
        &self.bot_username
    }

    /// Polls for updates until `shutdown` resolves, then lets in-flight updates finish and
    /// stops the outbox worker.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        // Held while the bot runs: `kabinet restore` refuses to replace this database meanwhile.
        let _lock = store::health::lock_database(&self.config.database_url)
            .with_context(|| format!("DATABASE_URL={}", store::shown_url(&self.config.database_url)))?;
        let wake = Arc::new(store::signals::Wake::outbox(self.store.clone()));
        let stop_tx = self.stopping.clone();
        let stop_rx = stop_tx.subscribe();
        // On PostgreSQL several replicas may run: the leader does what must happen once.
        let leadership = leader::start(&self.store, stop_rx.clone())
            .await
            .with_context(|| format!("DATABASE_URL={}", store::shown_url(&self.config.database_url)))?;
        let leading = leadership.leader.clone();
        let signals = {
            let (store, stop) = (self.store.clone(), stop_rx.clone());
            tokio::spawn(async move { store.listen(stop).await })
        };
        let group = Arc::new(self.desk_groups().await?);
        let stop_rx_listener = stop_rx.clone();
        let mut jobs = self.spawn_jobs(&leading, stop_rx, &group, &wake);
        jobs.push(signals);
        let door = door::Door::new(self.config.door_limits());

        let deps = Arc::new(bot::Deps {
            store: self.store.clone(),
            tg: self.tg.clone(),
            config: self.config.clone(),
            clock: self.clock.clone(),
            outbox_wake: wake,
            bot_username: self.bot_username.clone(),
            group: group.clone(),
            albums: Default::default(),
            handled_before_start: self.store.last_received_update().await?,
            door: door.clone(),
            menu: Arc::new(bot::sections::catalog()),
        });
        // Every update holds its ticket from the door while it is handled.
        let schema = dptree::entry()
            .map(|u: Update, door: Arc<door::Door>| door.ticket(u.id.0))
            .chain(bot::schema());
        let mut dispatcher = Dispatcher::builder(self.bot.clone(), schema)
            .dependencies(dptree::deps![deps, door.clone()])
            .worker_queue_size(door::WORKER_QUEUE)
            // Updates no branch takes are handled too (by doing nothing): mark them, so the
            // inbox does not offer them again after a restart.
            .default_handler(mark_unhandled(self.store.clone(), self.clock.clone()))
            .error_handler(LoggingErrorHandler::with_custom_text("update handler failed"))
            .build();
        let stop_workers = stop_tx.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("stopping: finishing the updates in progress");
            // The listener's stream ends (the dispatcher then finishes what it took); the
            // workers stop between deliveries; what is not sent stays queued.
            let _ = stop_workers.send(true);
        });
        let webhook = self.webhook();
        let gate = listener::Gate {
            door,
            group: group.clone(),
            store: self.store.clone(),
            clock: self.clock.clone(),
            tg: self.tg.clone(),
            default_locale: self.config.default_locale.clone(),
        };
        let updates = listener::listener(self.bot.clone(), gate, stop_rx_listener, webhook, leading).await?;
        dispatcher
            .dispatch_with_listener(
                updates,
                LoggingErrorHandler::with_custom_text("an error from the update listener"),
            )
            .await;
        self.let_answers_out().await;
        let _ = stop_tx.send(true);
        jobs.extend(leadership.task);
        for job in jobs {
            let _ = job.await;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

impl Application {
    /// What the handlers said is still on its way: let it go out (what a chat has waiting past
    /// 20 seconds is dropped; committed replies stay in the outbox).
    async fn let_answers_out(&self) {
        if !self.tg.lanes_idle(std::time::Duration::from_secs(20)).await {
            tracing::warn!(
                waiting = self.tg.lanes_waiting(),
                "stopped with messages still waiting to be sent"
            );
        }
    }

    /// The webhook mode's settings, if it is on (checked in `build`: a webhook URL comes with
    /// its listen address).
    fn webhook(&self) -> Option<listener::Webhook> {
        let (Some(url), Some(listen)) = (&self.config.webhook_url, self.config.webhook_listen) else {
            return None;
        };
        Some(listener::Webhook {
            url: url.clone(),
            listen,
            secret: self.config.webhook_secret.clone().unwrap_or_else(|| {
                webhook::secret_from_token(self.config.telegram_token.as_deref().unwrap_or_default())
            }),
        })
    }

    /// The jobs beside the dispatcher, each until `stop`: the outbox, reminders and maintenance
    /// while this process leads; SQLite's checkpoints and backups; health and metrics.
    fn spawn_jobs(
        &self,
        leading: &watch::Receiver<bool>,
        stop_rx: watch::Receiver<bool>,
        group: &Arc<desk::group::DeskGroup>,
        wake: &Arc<store::signals::Wake>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let mut jobs = Vec::new();
        let worker = Arc::new(worker::outbox::OutboxWorker {
            store: self.store.clone(),
            tg: self.tg.clone(),
            config: self.config.clone(),
            group: group.clone(),
            mailer: self.mailer.clone(),
            clock: self.clock.clone(),
            schedule: self.config.outbox_retry_seconds.clone(),
            max_attempts: self.config.outbox_max_attempts,
            wake: wake.clone(),
            mail_sent: Default::default(),
        });
        jobs.push(tokio::spawn(leader::lead(leading.clone(), stop_rx.clone(), {
            let (store, config, clock, wake) = (
                self.store.clone(),
                self.config.clone(),
                self.clock.clone(),
                wake.clone(),
            );
            let every = std::time::Duration::from_secs(self.config.reminder_interval_seconds);
            move |term| worker::reminders::run(store.clone(), config.clone(), clock.clone(), wake.clone(), every, term)
        })));
        let maintenance = Arc::new(worker::maintenance::Maintenance {
            store: self.store.clone(),
            tg: self.tg.clone(),
            config: self.config.clone(),
            clock: self.clock.clone(),
            group: group.clone(),
            every: std::time::Duration::from_secs(self.config.maintenance_interval_seconds.max(1)),
            retention: Default::default(),
        });
        jobs.push(tokio::spawn(leader::lead(
            leading.clone(),
            stop_rx.clone(),
            move |term| {
                let m = maintenance.clone();
                async move { m.run(term).await }
            },
        )));
        jobs.push(tokio::spawn(worker::checkpoint::run(
            self.store.clone(),
            std::time::Duration::from_secs(1),
            stop_rx.clone(),
        )));
        // On PostgreSQL backups are the database's own job (README, «Production»).
        let sqlite = self.store.backend() == store::sql::Backend::Sqlite;
        if !sqlite && self.config.backup_dir.is_some() {
            tracing::warn!("BACKUP_DIR is for an SQLite database and is ignored on PostgreSQL");
        }
        jobs.extend(self.config.backup_dir.clone().filter(|_| sqlite).map(|dir| {
            let every = std::time::Duration::from_secs_f64(self.config.backup_every_hours.max(0.0001) * 3600.0);
            tokio::spawn(worker::backup::run(
                self.store.clone(),
                self.clock.clone(),
                dir,
                every,
                self.config.backup_keep,
                stop_rx.clone(),
            ))
        }));
        jobs.extend(self.config.metrics_listen.map(|addr| {
            let mut stop = stop_rx.clone();
            let served = metrics::serve(addr, self.store.clone(), self.bot.clone(), async move {
                let _ = stop.wait_for(|s| *s).await;
            });
            tokio::spawn(async move {
                if let Err(e) = served.await {
                    tracing::error!(error = %e, %addr, "health and metrics not served (METRICS_LISTEN)");
                }
            })
        }));
        jobs.push(tokio::spawn(leader::lead(leading.clone(), stop_rx, move |term| {
            let w = worker.clone();
            async move { w.run(term).await }
        })));
        jobs
    }

    /// The operators' group's id now: `OPERATOR_CHAT_ID`, or the supergroup Telegram moved it
    /// to (said at start: the setting should follow).
    /// The operators' groups: the main one and the departments', each at its id now.
    async fn desk_groups(&self) -> anyhow::Result<desk::group::DeskGroup> {
        let routes = self.departments_now().await?;
        Ok(desk::group::DeskGroup::with_routes(
            self.desk_group_now().await?,
            routes,
        ))
    }

    /// The departments' groups, each at its id now (one Telegram moved is followed).
    async fn departments_now(&self) -> anyhow::Result<domain::routes::Routes> {
        let Some(routes) = self.config.operator_chats.clone() else {
            return Ok(domain::routes::Routes::default());
        };
        if self.config.operator_chat_id.is_none() {
            anyhow::bail!("OPERATOR_CHATS needs OPERATOR_CHAT_ID: the main group takes what no department does");
        }
        let mut moved = Vec::new();
        for chat in routes.chats() {
            let now = self.store.chat_now(chat).await?;
            if now != chat {
                moved.push((chat, now));
            }
        }
        Ok(routes.moved(&moved))
    }

    async fn desk_group_now(&self) -> anyhow::Result<Option<i64>> {
        let Some(configured) = self.config.operator_chat_id else {
            tracing::warn!("OPERATOR_CHAT_ID is not set: new items wait in the outbox until it is");
            return Ok(None);
        };
        let now = self.store.chat_now(configured).await?;
        if now != configured {
            tracing::warn!(
                configured,
                now,
                "the operators' group became a supergroup: the bot uses its new id; set OPERATOR_CHAT_ID={now}"
            );
        }
        Ok(Some(now))
    }
}

/// The dispatcher's handler of updates no branch takes (handled by doing nothing): marked, so
/// the inbox does not offer them again, their lease released with it (nothing was said).
fn mark_unhandled(
    store: Store,
    clock: Clock,
) -> impl Fn(Arc<Update>) -> futures::future::BoxFuture<'static, ()> + Send + Sync + 'static {
    move |update| {
        let (store, now) = (store.clone(), clock.now());
        Box::pin(async move {
            if let Err(e) = store.mark_update_settled(i64::from(update.id.0), now).await {
                tracing::error!(error = %e, "could not mark an update handled");
            }
        })
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
