//! Signals between the processes on one database: "the outbox has a row", "the inbox has an
//! update for anyone", "a card was mapped to its item". Within a process they are `Notify`s;
//! on PostgreSQL they also go to the other processes by `NOTIFY`, which the database delivers
//! when the sending transaction commits.

use super::Store;
use super::sql::{self, Backend};
use tokio::sync::{Notify, watch};

/// What the processes tell each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// A row was queued in the outbox: the worker (in the leader) looks now.
    Outbox,
    /// An update was kept for any process to claim.
    Inbox,
    /// A message in the operators' group was mapped to its item.
    Desk,
}

impl Signal {
    const ALL: [Signal; 3] = [Signal::Outbox, Signal::Inbox, Signal::Desk];

    fn channel(self) -> &'static str {
        match self {
            Signal::Outbox => "kabinet_outbox",
            Signal::Inbox => "kabinet_inbox",
            Signal::Desk => "kabinet_desk",
        }
    }
}

/// Where a process waits for a signal.
#[derive(Debug, Default)]
pub struct Signals {
    /// One worker waits: a signal while it works is kept for its next wait.
    pub outbox: Notify,
    pub inbox: Notify,
    /// Every waiting reply is woken.
    pub desk: Notify,
    /// A `signal_soon` to the other processes is on its way, per signal.
    on_the_way: [std::sync::atomic::AtomicBool; 3],
    /// Operators' groups the bot may post to again, as a process that saw Telegram say so told
    /// (`Store::group_opened`): the outbox worker, maybe in another process, takes them.
    opened: std::sync::Mutex<Vec<i64>>,
}

/// The channel of `Store::group_opened` (its payload the group's id).
const OPENED: &str = "kabinet_group_opened";

impl Signals {
    /// The groups said to be open again since the last call.
    pub fn take_opened(&self) -> Vec<i64> {
        std::mem::take(&mut *self.opened.lock().expect("signals lock"))
    }

    /// Kept once per group until the worker takes it (a process that runs no worker, not
    /// leading, keeps at most one entry a group).
    fn opened_local(&self, chat: i64) {
        let mut opened = self.opened.lock().expect("signals lock");
        if !opened.contains(&chat) {
            opened.push(chat);
        }
        drop(opened);
        self.outbox.notify_one();
    }

    fn local(&self, s: Signal) {
        match s {
            Signal::Outbox => self.outbox.notify_one(),
            Signal::Inbox => self.inbox.notify_one(),
            Signal::Desk => self.desk.notify_waiters(),
        }
    }
}

/// The statement that tells the other processes (in a transaction: when it commits).
pub(crate) fn notify_sql(s: Signal) -> String {
    format!("SELECT pg_notify('{}', '')", s.channel())
}

impl Store {
    pub fn signals(&self) -> &Signals {
        &self.signals
    }

    /// Tells this process and, on PostgreSQL, the others.
    pub async fn signal(&self, s: Signal) {
        self.signals.local(s);
        if self.backend() == Backend::Postgres
            && let Err(e) = sql::query(notify_sql(s)).execute(&self.pool).await
        {
            tracing::warn!(error = %e, "could not signal the other processes");
        }
    }

    /// The bot may post to the operators' group `chat` again (Telegram told this process): the
    /// outbox worker, in this process or the leader, stops waiting for it at once instead of at
    /// its next probe.
    pub async fn group_opened(&self, chat: i64) {
        self.signals.opened_local(chat);
        if self.backend() == Backend::Postgres
            && let Err(e) = sql::query("SELECT pg_notify($1, $2)")
                .bind(OPENED)
                .bind(chat.to_string())
                .execute(&self.pool)
                .await
        {
            tracing::warn!(error = %e, "could not signal the other processes");
        }
    }

    /// As `signal`, without waiting for the database: signals asked for before the last one
    /// went out go as one (a poller keeping a batch of updates tells the others once).
    pub fn signal_soon(&self, s: Signal) {
        use std::sync::atomic::Ordering;
        self.signals.local(s);
        if self.backend() != Backend::Postgres {
            return;
        }
        let i = Signal::ALL.iter().position(|x| *x == s).unwrap_or(0);
        if self.signals.on_the_way[i].swap(true, Ordering::AcqRel) {
            return;
        }
        let store = self.clone();
        tokio::spawn(async move {
            // Cleared first: a signal asked for from here on goes out again after this one.
            store.signals.on_the_way[i].store(false, Ordering::Release);
            if let Err(e) = sql::query(notify_sql(s)).execute(&store.pool).await {
                tracing::warn!(error = %e, "could not signal the other processes");
            }
        });
    }

    /// On PostgreSQL, passes the other processes' signals on to this one's until `stop`
    /// (reconnecting after the database went away; everything is signalled then, since a
    /// signal may have been missed). Nothing to do on SQLite: one process.
    pub async fn listen(&self, mut stop: watch::Receiver<bool>) {
        let sql::Db::Postgres(pool) = &self.pool else { return };
        let channels = Signal::ALL.map(Signal::channel).into_iter().chain([OPENED]);
        let mut listener: Option<sqlx::postgres::PgListener> = None;
        loop {
            if *stop.borrow() {
                return;
            }
            let Some(l) = listener.as_mut() else {
                match sqlx::postgres::PgListener::connect_with(pool).await {
                    Ok(mut l) => match l.listen_all(channels.clone()).await {
                        Ok(()) => {
                            listener = Some(l);
                            Signal::ALL.into_iter().for_each(|s| self.signals.local(s));
                        }
                        Err(e) => tracing::warn!(error = %e, "LISTEN failed; tried again shortly"),
                    },
                    Err(e) => tracing::warn!(error = %e, "LISTEN: no connection; tried again shortly"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
                continue;
            };
            tokio::select! {
                got = l.try_recv() => match got {
                    Ok(Some(n)) if n.channel() == OPENED => {
                        if let Ok(chat) = n.payload().parse() {
                            self.signals.opened_local(chat);
                        }
                    }
                    Ok(Some(n)) => {
                        if let Some(s) = Signal::ALL.into_iter().find(|s| s.channel() == n.channel()) {
                            self.signals.local(s);
                        }
                    }
                    // The connection was lost (it reconnects on the next call).
                    Ok(None) => Signal::ALL.into_iter().for_each(|s| self.signals.local(s)),
                    Err(e) => {
                        tracing::warn!(error = %e, "LISTEN: the connection failed");
                        listener = None;
                    }
                },
                _ = stop.changed() => return,
            }
        }
    }
}

/// Wakes the outbox worker, wherever it runs (in the leader: maybe another process).
#[derive(Debug, Clone)]
pub struct Wake {
    store: Store,
}

impl Wake {
    pub fn outbox(store: Store) -> Self {
        Self { store }
    }

    /// Wakes it (the other processes a moment later, by the database).
    pub fn notify_one(&self) {
        self.store.signals.local(Signal::Outbox);
        if self.store.backend() == Backend::Postgres {
            let store = self.store.clone();
            tokio::spawn(async move { store.signal(Signal::Outbox).await });
        }
    }

    /// Resolves when woken (by this process or another).
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.store.signals.outbox.notified()
    }
}
