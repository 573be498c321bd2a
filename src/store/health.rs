//! What `kabinet check` asks of the database: does it exist, which migrations it has, can it
//! be written. Nothing is created or changed.

use super::{MIGRATOR, Result, Store};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
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

impl Store {
    /// Opens an existing database file only (an error if there is none), without migrating.
    pub async fn connect_existing(url: &str) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?.create_if_missing(false);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?;
        Ok(Self {
            pool,
            desk_mapped: Default::default(),
        })
    }

    pub async fn migration_state(&self) -> Result<MigrationState> {
        let (exists,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
                .fetch_one(&self.pool)
                .await?;
        let applied: Vec<(i64,)> = if exists > 0 {
            sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await?
        } else {
            Vec::new()
        };
        let known: Vec<i64> = MIGRATOR
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
        sqlx::query("CREATE TABLE _kabinet_check (x INTEGER)")
            .execute(&mut *tx)
            .await?;
        tx.rollback().await?;
        Ok(())
    }
}
