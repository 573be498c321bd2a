//! WAL checkpoints on a connection of their own, off the handlers' path. A checkpoint copies
//! the write-ahead log into the database file and syncs both; SQLite's automatic one runs
//! inside the commit that crosses 1,000 pages, on the bot's only connection, so every update
//! waited while it synced. Behind a large write elsewhere on the machine (a 3.4 GiB backup of a
//! region's database) that sync took seconds. Here the sync waits instead, and commits go on
//! appending to the log meanwhile (`PASSIVE` never blocks them).

use crate::store::Store;
use std::time::Duration;
use tokio::sync::watch;

/// Checkpoints every `every` until stopped. Commits never checkpoint (`wal_autocheckpoint` is
/// off), so a connection that fails is opened again at the next tick rather than given up.
/// On PostgreSQL there is nothing to do: its checkpoints are the server's own.
pub async fn run(store: Store, every: Duration, mut stop: watch::Receiver<bool>) {
    if store.backend() != crate::store::sql::Backend::Sqlite {
        return;
    }
    let mut conn = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        if conn.is_none() {
            match store.side_connection().await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "checkpoints: no connection; tried again shortly");
                    continue;
                }
            }
        }
        if let Some(c) = conn.as_mut()
            && let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(c).await
        {
            tracing::warn!(error = %e, "checkpoint failed; tried again shortly");
            conn = None;
        }
    }
}
