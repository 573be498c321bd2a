//! What `kabinet check` asks of the database: does it exist, which migrations it has, can it
//! be written. Nothing is created or changed.

use super::sql;
use super::sql::Backend;
use super::{Result, Store};
use sqlx::sqlite::SqliteConnectOptions;
use std::str::FromStr;

/// The database's migrations against the ones this binary carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    /// Carried by the binary and not applied yet (they run at the next start).
    pub pending: usize,
    /// Applied by a binary newer than this one (an upgrade rolled back without the database).
    pub unknown: usize,
    pub applied: usize,
}

/// The lock file beside a database file, held by the running bot (`kabinet restore` will not
/// replace a database in use). None for an in-memory database.
pub fn lock_path(url: &str) -> Option<std::path::PathBuf> {
    if super::is_postgres(url) {
        return None;
    }
    let opts = SqliteConnectOptions::from_str(url).ok()?;
    let file = opts.get_filename();
    if file.as_os_str().is_empty() || file.to_string_lossy().contains(":memory:") {
        return None;
    }
    let mut name = file.as_os_str().to_owned();
    name.push(".lock");
    Some(std::path::PathBuf::from(name))
}

/// Takes the database's lock for as long as the returned file lives; an error when another
/// process holds it.
pub fn lock_database(url: &str) -> std::io::Result<Option<std::fs::File>> {
    let Some(path) = lock_path(url) else {
        return Ok(None);
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(std::io::Error::new(
            std::io::ErrorKind::WouldBlock,
            format!(
                "{} is locked: a kabinet process is running on this database",
                path.display()
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// The advisory lock every kabinet process on a PostgreSQL database holds shared, and
/// `kabinet migrate-db` alone ("kabinet" in ASCII).
const INSTANCE_LOCK: i64 = 0x006b_6162_696e_6574;
/// The leader's lock (see `leader`).
const LEADER_LOCK: i64 = INSTANCE_LOCK + 1;

/// Takes the leader lock on `conn` if nobody holds it; whether this connection holds it now.
pub async fn try_lead(conn: &mut sqlx::PgConnection) -> Result<bool> {
    use sqlx::Row;
    let row = sqlx::query("SELECT pg_try_advisory_lock($1)")
        .bind(LEADER_LOCK)
        .fetch_one(conn)
        .await?;
    Ok(row.try_get::<bool, _>(0)?)
}

/// Whether `conn` still holds the leader lock: a session's advisory lock goes only with the
/// session, so an answer from it is enough.
pub async fn still_leading(conn: &mut sqlx::PgConnection) -> Result<bool> {
    sqlx::query("SELECT 1").execute(conn).await?;
    Ok(true)
}

impl Store {
    /// On PostgreSQL, the lock of a running kabinet process, shared by the replicas and held on
    /// a connection of its own for as long as the returned connection lives (SQLite's is its
    /// lock file, beside it). An error while `kabinet migrate-db` moves data into it.
    pub async fn lock_postgres(&self) -> Result<Option<sqlx::PgConnection>> {
        self.lock_instance(true, "the database is locked: kabinet migrate-db is copying into it")
            .await
    }

    /// On PostgreSQL, the database for this process alone (no kabinet process runs on it).
    pub async fn lock_postgres_alone(&self) -> Result<Option<sqlx::PgConnection>> {
        self.lock_instance(
            false,
            "the database is locked: a kabinet process is running on this database (stop every replica first)",
        )
        .await
    }

    async fn lock_instance(&self, shared: bool, refused: &str) -> Result<Option<sqlx::PgConnection>> {
        use sqlx::{ConnectOptions, Row};
        let sql::Db::Postgres(pool) = &self.pool else {
            return Ok(None);
        };
        let mut conn = pool.connect_options().connect().await?;
        let take = if shared {
            "SELECT pg_try_advisory_lock_shared($1)"
        } else {
            "SELECT pg_try_advisory_lock($1)"
        };
        let row = sqlx::query(take).bind(INSTANCE_LOCK).fetch_one(&mut conn).await?;
        if !row.try_get::<bool, _>(0)? {
            return Err(super::StoreError::InUse(refused.into()));
        }
        Ok(Some(conn))
    }

    /// SQLite's `PRAGMA integrity_check` says «ok»; PostgreSQL checks its own pages (true).
    pub async fn intact(&self) -> Result<bool> {
        if self.backend() == Backend::Postgres {
            return Ok(true);
        }
        let (answer,): (String,) = sql::query_as("PRAGMA integrity_check").fetch_one(&self.pool).await?;
        Ok(answer == "ok")
    }

    /// Folds SQLite's write-ahead log into the file (before the file is moved); nothing on
    /// PostgreSQL.
    pub async fn checkpoint(&self) -> Result<()> {
        if self.backend() == Backend::Sqlite {
            sql::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    pub async fn migration_state(&self) -> Result<MigrationState> {
        let (exists,): (i64,) = sql::query_as(self.backend().pick(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            "SELECT COUNT(*) FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
        ))
        .fetch_one(&self.pool)
        .await?;
        let applied: Vec<(i64,)> = if exists > 0 {
            sql::query_as("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await?
        } else {
            Vec::new()
        };
        let known: Vec<i64> = self
            .migrator()
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .map(|m| m.version)
            .collect();
        Ok(MigrationState {
            pending: known.iter().filter(|v| !applied.iter().any(|(a,)| a == *v)).count(),
            unknown: applied.iter().filter(|(a,)| !known.contains(a)).count(),
            applied: applied.len(),
        })
    }

    /// Whether a write would go through: a table created and rolled back.
    pub async fn writable(&self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sql::query("CREATE TABLE _kabinet_check (x INTEGER)")
            .execute(&mut tx)
            .await?;
        tx.rollback().await?;
        Ok(())
    }
}

/// What the database server says of itself, for `kabinet check`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    /// «SQLite 3.46.0», «PostgreSQL 15.20».
    pub version: String,
    /// A PostgreSQL standby: read-only, the bot cannot run on it.
    pub standby: bool,
    /// Standbys streaming from this primary and the longest replay lag, where the server
    /// shows them to this user (`pg_monitor`).
    pub replicas: Option<(i64, Option<f64>)>,
}

impl std::fmt::Display for ServerInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.version)?;
        match self.replicas {
            Some((0, _)) => f.write_str(", primary, no standby streaming from it"),
            Some((n, Some(lag))) => write!(f, ", primary, {n} standby streaming, replay lag {lag:.1} s"),
            Some((n, None)) => write!(f, ", primary, {n} standby streaming"),
            None => Ok(()),
        }
    }
}

impl Store {
    pub async fn server(&self) -> Result<ServerInfo> {
        if self.backend() == Backend::Sqlite {
            let (v,): (String,) = sql::query_as("SELECT sqlite_version()").fetch_one(&self.pool).await?;
            return Ok(ServerInfo {
                version: format!("SQLite {v}"),
                standby: false,
                replicas: None,
            });
        }
        let (v, standby): (String, bool) =
            sql::query_as("SELECT current_setting('server_version'), pg_is_in_recovery()")
                .fetch_one(&self.pool)
                .await?;
        // Rows of other users' connections come without their lag unless this user may see them.
        let replicas: Option<(i64, Option<f64>)> = sql::query_as(
            "SELECT COUNT(*), CAST(MAX(EXTRACT(EPOCH FROM replay_lag)) AS DOUBLE PRECISION) FROM pg_stat_replication",
        )
        .fetch_optional(&self.pool)
        .await
        .ok()
        .flatten();
        Ok(ServerInfo {
            version: format!("PostgreSQL {v}"),
            standby,
            replicas,
        })
    }
}

/// The outbox of one channel, for /metrics.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxHealth {
    pub channel: String,
    pub pending: i64,
    pub failed: i64,
    /// When the oldest pending row was queued.
    pub oldest: Option<chrono::DateTime<chrono::Utc>>,
}

impl Store {
    pub async fn outbox_health(&self) -> Result<Vec<OutboxHealth>> {
        Ok(sql::query_as(
            "SELECT channel,
                    COUNT(*) FILTER (WHERE status = 'pending') AS pending,
                    COUNT(*) FILTER (WHERE status = 'failed') AS failed,
                    MIN(CASE WHEN status = 'pending' THEN created_at END) AS oldest
             FROM outbox WHERE status != 'done' GROUP BY channel",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
