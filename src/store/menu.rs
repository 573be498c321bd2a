//! What the main menu counts: each conditional entry names a `Count` (a scalar query over
//! the consumer, `$1`), declared beside its section's tables; the menu asks for all of them in
//! one statement.

use super::sql;
use super::{Result, Store};

/// A scalar SQL subquery counting a consumer's items (`$1` is the consumer's id); written so
/// that SQLite and PostgreSQL read it alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub &'static str);

impl Store {
    /// Each of `counts` for the consumer, in their order, in one statement.
    pub async fn menu_counts(&self, consumer_id: i64, counts: &[Count]) -> Result<Vec<i64>> {
        if counts.is_empty() {
            return Ok(Vec::new());
        }
        let sql = counts
            .iter()
            .enumerate()
            .map(|(i, c)| format!("SELECT CAST({i} AS BIGINT) AS i, ({}) AS n", c.0))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let rows: Vec<(i64, i64)> = sql::query_as(sql).bind(consumer_id).fetch_all(&self.pool).await?;
        let mut out = vec![0; counts.len()];
        for (i, n) in rows {
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
                *slot = n;
            }
        }
        Ok(out)
    }
}
