//! Several replicas on one PostgreSQL database: all of them handle updates, one of them (the
//! leader) also does what must happen once: polling Telegram (a second `getUpdates` is
//! refused with 409), setting the webhook, the outbox, reminders, maintenance. The leader is
//! whoever holds the database's leader lock, an advisory lock held by a connection of its own:
//! when the process dies its connection closes and the lock goes with it, and another replica
//! takes it within `CHECK_EVERY`. On SQLite the one process is always the leader.

use crate::store::Store;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// How often a replica tries for the lock, and the leader checks it still holds it.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);
/// A check that takes longer than this counts as the lock lost (the connection hangs).
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether this process leads now, and the task that keeps it up to date.
pub struct Leadership {
    pub leader: watch::Receiver<bool>,
    pub task: Option<tokio::task::JoinHandle<()>>,
    /// Kept while the process runs when no task keeps it (SQLite: leading throughout).
    _always: Option<watch::Sender<bool>>,
}

/// Starts leading or following. On PostgreSQL, an error when the database is locked for a
/// move (`kabinet migrate-db`); the first try for the leader lock is made before returning.
pub async fn start(store: &Store, stop: watch::Receiver<bool>) -> anyhow::Result<Leadership> {
    let (tx, leader) = watch::channel(false);
    let Some(mut conn) = store.lock_postgres().await? else {
        let _ = tx.send(true);
        return Ok(Leadership {
            leader,
            task: None,
            _always: Some(tx),
        });
    };
    if crate::store::health::try_lead(&mut conn).await? {
        tracing::info!(
            replica = crate::store::inbox::replica(),
            "leading: this replica polls and sends"
        );
        let _ = tx.send(true);
    }
    let store = store.clone();
    let task = tokio::spawn(keep_up(store, Some(conn), tx, stop));
    Ok(Leadership {
        leader,
        task: Some(task),
        _always: None,
    })
}

/// Tries for the lock while following, checks it while leading, reconnects when the database
/// went away (leading no more meanwhile), until `stop`.
async fn keep_up(
    store: Store,
    mut conn: Option<sqlx::PgConnection>,
    tx: watch::Sender<bool>,
    mut stop: watch::Receiver<bool>,
) {
    use crate::store::health::{still_leading, try_lead};
    loop {
        tokio::select! {
            _ = tokio::time::sleep(CHECK_EVERY) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        let leading = *tx.borrow();
        let checked = match conn.as_mut() {
            None => match store.lock_postgres().await {
                Ok(c) => {
                    conn = c;
                    Ok(false)
                }
                Err(e) => Err(e.to_string()),
            },
            Some(c) if leading => tokio::time::timeout(CHECK_TIMEOUT, still_leading(c))
                .await
                .map_err(|_| "no answer".to_owned())
                .and_then(|r| r.map_err(|e| e.to_string())),
            Some(c) => tokio::time::timeout(CHECK_TIMEOUT, try_lead(c))
                .await
                .map_err(|_| "no answer".to_owned())
                .and_then(|r| r.map_err(|e| e.to_string())),
        };
        let now_leading = match checked {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "the database's lock connection failed: not leading until it is back");
                conn = None;
                false
            }
        };
        if now_leading != leading {
            if now_leading {
                tracing::info!(
                    replica = crate::store::inbox::replica(),
                    "leading: this replica polls and sends"
                );
            } else {
                tracing::warn!(replica = crate::store::inbox::replica(), "no longer leading");
            }
            let _ = tx.send(now_leading);
        }
    }
    // Stopping: the jobs stop first (they watch the same signal); the connection's close frees
    // the lock for another replica at once.
    let _ = tx.send(false);
    drop(conn);
}

/// Runs `job` whenever this process leads: started when it becomes the leader, told to stop
/// (its argument turns true) when it no longer is or the process stops, and started again at
/// the next term.
pub async fn lead<F, Fut>(mut leader: watch::Receiver<bool>, mut stop: watch::Receiver<bool>, mut job: F)
where
    F: FnMut(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        tokio::select! {
            r = leader.wait_for(|l| *l) => if r.is_err() { return },
            _ = stop.wait_for(|s| *s) => return,
        }
        if *stop.borrow() {
            return;
        }
        let (term_tx, term) = watch::channel(false);
        let running = job(term);
        tokio::pin!(running);
        let ended = async {
            tokio::select! {
                _ = leader.wait_for(|l| !*l) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        };
        tokio::select! {
            _ = &mut running => {}
            _ = ended => {
                let _ = term_tx.send(true);
                running.await;
            }
        }
        if *stop.borrow() {
            return;
        }
        // A job that ended by itself while leading waits for the next term (or the stop).
        let leading = *leader.borrow();
        if leading {
            tokio::select! {
                r = leader.wait_for(|l| !*l) => if r.is_err() { return },
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }
}
