//! What «Частые вопросы» did (`faq_events`): an answer that helped, an appeal filed after one.

use super::sql;
use super::{Result, Store};
use chrono::{DateTime, Utc};

impl Store {
    /// `kind`: "helped" or "filed".
    pub async fn record_faq(&self, kind: &str, topic: &str, now: DateTime<Utc>) -> Result<()> {
        sql::query("INSERT INTO faq_events (kind, topic, at) VALUES ($1, $2, $3)")
            .bind(kind)
            .bind(topic)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// (helped, filed) since `since`.
    pub async fn faq_counts(&self, since: DateTime<Utc>) -> Result<(i64, i64)> {
        Ok(sql::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'helped' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN kind = 'filed' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM faq_events WHERE at >= $1",
        )
        .bind(since)
        .fetch_one(&self.pool)
        .await?)
    }
}
