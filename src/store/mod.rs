//! SQLite through sqlx: one pool per process, WAL, foreign keys, migrations at start.

pub mod accounts;
pub mod codes;
pub mod connection;
pub mod delivery;
pub mod desk;
pub mod dialogue;
pub mod disputes;
pub mod erasure;
pub mod finish;
pub mod groups;
pub mod health;
pub mod limits;
pub mod meters;
pub mod outbox;
pub mod prune;
pub mod reminders;
pub mod review;
pub mod tickets;
pub mod verification;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the database folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A stored name this version does not know (never read as some default).
    #[error("unknown {what} {value:?} in the database")]
    Unknown { what: &'static str, value: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone, Debug)]
pub struct Store {
    pub pool: SqlitePool,
    /// Told whenever a message in the operators' group is mapped to its item: a reply that
    /// comes in while its card is still being recorded waits for it (see `desk_item_waiting`).
    desk_mapped: std::sync::Arc<tokio::sync::Notify>,
}

impl Store {
    /// Opens (creating the file and its folder if needed) without migrating.
    pub async fn connect(url: &str) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Erased personal data must not stay readable in the file's free space.
            .pragma("secure_delete", "on")
            .busy_timeout(Duration::from_secs(10))
            // Every statement is prepared once and kept: the bot has about 180, more than
            // sqlx's default cache of 100, and one evicted is prepared again on its next use.
            .statement_cache_capacity(512)
            // No checkpoint inside a commit: the bot runs them on a connection of their own
            // (`worker::checkpoint`); a short-lived command's log is checkpointed as it closes.
            .pragma("wal_autocheckpoint", "0")
            // The log shrinks back to this after a checkpoint (a backup's minute can grow it).
            .pragma("journal_size_limit", "67108864");
        let file = opts.get_filename();
        if let Some(dir) = Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: dir.display().to_string(),
                source,
            })?;
        }
        // One connection: SQLite takes one writer at a time, and writers that collide wait in
        // its busy handler by sleeping. Queueing for the one connection in the pool instead
        // measured 3.6× the throughput with a quarter of the p99 (benches/readings.rs, 20
        // consumers at once). Never query `pool` while holding a transaction of it.
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?;
        Ok(Self {
            pool,
            desk_mapped: Default::default(),
        })
    }

    /// A connection beside the pool, with the same settings: for work that takes long and must
    /// not hold the pool's one connection (WAL checkpoints, the backup's copy).
    pub async fn side_connection(&self) -> Result<sqlx::SqliteConnection> {
        use sqlx::ConnectOptions;
        Ok(self.pool.connect_options().connect().await?)
    }

    /// Another store on the same database with a pool (one connection) of its own: for
    /// readers from outside the bot (/metrics, /readyz), who must never wait for nor hold the
    /// bot's connection.
    pub async fn beside(&self) -> Result<Self> {
        let opts = (*self.pool.connect_options()).clone();
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?;
        Ok(Self {
            pool,
            desk_mapped: Default::default(),
        })
    }

    pub async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    pub async fn open(url: &str) -> Result<Self> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }
}

/// True when the error is a violated UNIQUE constraint (someone else got there first).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
