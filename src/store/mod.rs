//! SQLite (the embedded default: one file, one connection, WAL) or PostgreSQL (a pool),
//! chosen by the URL; one copy of the queries for both (`sql`), migrations at start.

pub mod accounts;
pub mod backoffice;
pub mod bills;
pub mod codes;
pub mod connection;
pub mod consumers;
pub mod delivery;
pub mod desk_forms;
pub mod desk_topics;
pub mod dialogue;
pub mod disputes;
pub mod drafts;
pub mod erasure;
pub mod faq;
pub mod finish;
pub mod groups;
pub mod health;
pub mod inbox;
pub mod limits;
pub mod links;
pub mod menu;
pub mod meter_requests;
pub mod meters;
pub mod moving;
pub mod notices;
pub mod operators;
pub mod outage_cards;
pub mod outages;
pub mod outbox;
pub mod prune;
pub mod ratings;
pub mod reminders;
pub mod review;
pub mod signals;
pub mod tickets;
pub mod verification;

pub mod sql;

use sql::{Backend, Db};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
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
    /// Another kabinet process holds the database.
    #[error("{0}")]
    InUse(String),
    /// Another process claimed the update while this one handled it (its lease ran out): what
    /// this one did is rolled back, the other handles it.
    #[error("update {0} was taken over by another process")]
    TakenOver(i64),
    /// Asked of PostgreSQL what only an SQLite file has (its WAL, a copy of the file).
    #[error("{0} is for an SQLite database; on PostgreSQL it is the database's own job")]
    SqliteOnly(&'static str),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// SQLite's migrations (`migrations/sqlite`) and PostgreSQL's (`migrations/postgres`): the
/// same schema in each database's own types, kept in step by `tests/it/schema.rs`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
pub static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections a process keeps to PostgreSQL (the bot's pool; the side pool has two).
const PG_POOL: u32 = 16;

#[cfg(test)]
mod tests {
    #[test]
    fn a_postgres_password_is_never_shown() {
        let shown = super::shown_url("postgres://kabinet:s3cret@db.example:5432/kabinet");
        assert!(
            !shown.contains("s3cret") && shown.contains("kabinet:***@db.example:5432/kabinet"),
            "{shown}"
        );
        assert_eq!(super::shown_url("sqlite://data/k.db"), "sqlite://data/k.db");
        let shown = super::shown_url("postgres://kabinet@db/kabinet?sslmode=require&password=s3cret");
        assert!(
            !shown.contains("s3cret") && shown.contains("sslmode=require"),
            "{shown}"
        );
        assert_eq!(super::shown_url("postgres://[broken"), "postgres://***");
    }
}

/// True for a `postgres://` (or `postgresql://`) URL; anything else is an SQLite file.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The URL as it may be shown or logged: a PostgreSQL password replaced by `***`.
pub fn shown_url(url: &str) -> String {
    if !is_postgres(url) {
        return url.to_owned();
    }
    let Ok(mut u) = url::Url::parse(url) else {
        return "postgres://***".into();
    };
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    // sqlx also takes `?password=…`.
    let query: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if k.eq_ignore_ascii_case("password") {
                "***".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    if !query.is_empty() {
        u.query_pairs_mut().clear().extend_pairs(query);
    }
    u.to_string()
}

#[derive(Clone, Debug)]
pub struct Store {
    pub pool: Db,
    /// Signals from this process and the others on the database (`signals`).
    signals: std::sync::Arc<signals::Signals>,
}

impl Store {
    fn with(pool: Db) -> Self {
        Self {
            pool,
            signals: Default::default(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    fn sqlite_options(url: &str) -> Result<SqliteConnectOptions> {
        Ok(SqliteConnectOptions::from_str(url)?
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
            .pragma("journal_size_limit", "67108864"))
    }

    fn pg_options(url: &str) -> Result<PgConnectOptions> {
        Ok(PgConnectOptions::from_str(url)?
            .statement_cache_capacity(512)
            // Names the process: the leader finds replies a dead replica left (`outbox`).
            .application_name(&format!("kabinet {}", inbox::replica())))
    }

    async fn pg_pool(url: &str, size: u32) -> Result<Db> {
        let pool = PgPoolOptions::new()
            .max_connections(size)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(Self::pg_options(url)?)
            .await?;
        Ok(Db::Postgres(pool))
    }

    /// Opens (creating an SQLite file and its folder if needed) without migrating.
    pub async fn connect(url: &str) -> Result<Self> {
        if is_postgres(url) {
            return Ok(Self::with(Self::pg_pool(url, PG_POOL).await?));
        }
        let opts = Self::sqlite_options(url)?.create_if_missing(true);
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
        Ok(Self::with(Db::Sqlite(pool)))
    }

    /// Opens an existing database only (an error if there is none), without migrating.
    pub async fn connect_existing(url: &str) -> Result<Self> {
        if is_postgres(url) {
            return Ok(Self::with(Self::pg_pool(url, 2).await?));
        }
        let opts = Self::sqlite_options(url)?.create_if_missing(false);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?;
        Ok(Self::with(Db::Sqlite(pool)))
    }

    /// A connection beside the pool, with the same settings: for work that takes long and must
    /// not hold the pool's one connection (WAL checkpoints, the backup's copy). SQLite only.
    pub async fn side_connection(&self) -> Result<sqlx::SqliteConnection> {
        use sqlx::ConnectOptions;
        match &self.pool {
            Db::Sqlite(p) => Ok(p.connect_options().connect().await?),
            Db::Postgres(_) => Err(StoreError::SqliteOnly("a side connection")),
        }
    }

    /// Another store on the same database with a small pool of its own: for readers from
    /// outside the bot (/metrics, /readyz), who must never wait for nor hold the bot's
    /// connections.
    pub async fn beside(&self) -> Result<Self> {
        let pool = match &self.pool {
            Db::Sqlite(p) => {
                let opts = (*p.connect_options()).clone();
                Db::Sqlite(SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?)
            }
            Db::Postgres(p) => {
                let opts = (*p.connect_options()).clone();
                Db::Postgres(PgPoolOptions::new().max_connections(2).connect_with(opts).await?)
            }
        };
        Ok(Self::with(pool))
    }

    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Db::Sqlite(p) => MIGRATOR.run(p).await?,
            Db::Postgres(p) => PG_MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    /// The migrations this binary carries for the store's database.
    pub fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend() {
            Backend::Sqlite => &MIGRATOR,
            Backend::Postgres => &PG_MIGRATOR,
        }
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
