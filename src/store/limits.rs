//! Counters for rate limits that outlive a restart: events per key in a sliding window.

use super::sql;
use super::{Result, Store};
use chrono::{DateTime, Duration, Utc};

impl Store {
    /// How many events of `key` happened in the last `window`.
    pub async fn rate_count(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<i64> {
        let (n,): (i64,) = sql::query_as("SELECT COUNT(*) FROM rate_events WHERE key = $1 AND at > $2")
            .bind(key)
            .bind(now - window)
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    /// Records an event of `key`, forgetting the ones older than `window`.
    pub async fn rate_add(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sql::query("DELETE FROM rate_events WHERE key = $1 AND at <= $2")
            .bind(key)
            .bind(now - window)
            .execute(&mut tx)
            .await?;
        sql::query("INSERT INTO rate_events (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(now)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest event of `key` in the last `window`, and how many there were.
    pub async fn rate_recent(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<(i64, Option<DateTime<Utc>>)> {
        Ok(
            sql::query_as("SELECT COUNT(*), MAX(at) FROM rate_events WHERE key = $1 AND at > $2")
                .bind(key)
                .bind(now - window)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Forgets the events of `key` (a right password clears the wrong ones before it).
    pub async fn rate_clear(&self, key: &str) -> Result<()> {
        sql::query("DELETE FROM rate_events WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
