//! The inbox of updates: each kept as it arrives, before Telegram is told it arrived, and
//! marked when handled. Several processes (replicas) may share one database: an update is
//! handled by the process that holds its lease (`owner` until `lease_until`), renewed while
//! it is in the works; one whose lease ran out (its process died) is claimed by another. A
//! chat's updates are handled in the order Telegram numbered them (`inbox_turn`).

use super::sql;
use super::{Store, StoreError};
use chrono::{DateTime, Utc};

/// How long a claim on an update holds without being renewed: a process killed in the middle
/// of an update leaves it to another after this.
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(10);

/// Times an update is claimed (by any process) before it is left alone: a handler that fails
/// on it every time must not run every few seconds forever; a restart on SQLite offers every
/// one once more.
const CLAIMS: i64 = 4;

/// This process, as the owner of the leases it takes: host, process id and a random tag (a
/// restarted process with the same id is another owner).
pub fn replica() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "host".into());
        // Short enough for PostgreSQL's 63-byte `application_name` with its prefix.
        let host: String = host.chars().take(24).collect();
        format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>())
    })
}

/// The lease's end if taken now.
pub fn lease_from(now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::from_std(LEASE).unwrap_or_default()
}

/// Whether an update may be handled now (`inbox_turn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Its chat's earlier updates are handled: go (or it was never kept: nothing to wait for).
    Go,
    /// An earlier update of its chat is in the works in another process: wait a moment.
    Wait,
    /// Handled already, or another process holds it now: not handled here.
    Taken,
    /// An earlier update of its chat is unhandled and in nobody's works (or queued behind this
    /// one here): this one steps back and is claimed again from `until` (with or after it).
    Behind { earlier: i64, until: DateTime<Utc> },
}

impl Store {
    /// The highest update received so far: only updates up to it can be offered again (by
    /// Telegram, or from the inbox after a crash).
    pub async fn last_received_update(&self) -> super::Result<i64> {
        let (max,): (Option<i64>,) = sql::query_as("SELECT MAX(update_id) FROM inbox")
            .fetch_one(&self.pool)
            .await?;
        Ok(max.unwrap_or(0))
    }

    pub async fn update_processed(&self, update_id: i64) -> super::Result<bool> {
        let row: Option<(i32,)> = sql::query_as("SELECT 1 FROM inbox WHERE update_id = $1 AND handled_at IS NOT NULL")
            .bind(update_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Records a handled update (its stored copy is dropped; the mark is pruned after two
    /// days: Telegram offers an unconfirmed update again for 24 hours).
    pub async fn mark_update_processed(&self, update_id: i64, now: DateTime<Utc>) -> super::Result<()> {
        mark_handled(&self.pool, update_id, now).await
    }

    /// As `mark_update_processed`, for an update that said nothing: its lease goes with the
    /// mark, so the chat's next update need not wait for answers (see `inbox_release`).
    pub async fn mark_update_settled(&self, update_id: i64, now: DateTime<Utc>) -> super::Result<()> {
        mark(&self.pool, update_id, now, true).await
    }

    /// An update as it arrives, kept until it is handled, with this process's lease on it (or,
    /// `offered`, with none: for any process to claim — unless its secret is kept out, when only
    /// this process has it as typed). A
    /// private message comes with a copy without what its person typed (`redacted`), kept
    /// instead while the chat's dialogue expects a password: decided in the one statement, the
    /// typed text is only ever a bound value, never a row. `None` when it was seen before (kept
    /// or handled already: Telegram posted it again); else whether the copy without the secret
    /// was kept.
    pub async fn inbox_received(
        &self,
        update_id: i64,
        chat: Option<i64>,
        payload: &str,
        redacted: Option<&str>,
        now: DateTime<Utc>,
        offered: bool,
    ) -> super::Result<Option<bool>> {
        // Typed where a branch of CASE is NULL (PostgreSQL would read the parameter as text).
        let lease = self.backend().pick("$7", "CAST($7 AS TIMESTAMPTZ)");
        let row: Option<(bool,)> = sql::query_as(format!(
            "INSERT INTO inbox (update_id, payload, received_at, chat_id, owner, lease_until)
             SELECT $1, CASE WHEN s.secret THEN COALESCE($3, $2) ELSE $2 END, $4, $8,
                    CASE WHEN $9 AND NOT s.secret THEN NULL ELSE $6 END,
                    CASE WHEN $9 AND NOT s.secret THEN NULL ELSE {lease} END
               FROM (SELECT COALESCE((SELECT secret FROM dialogues WHERE chat_id = $5), FALSE) AS secret) s
              WHERE TRUE
             ON CONFLICT (update_id) DO NOTHING
             RETURNING payload IS DISTINCT FROM $2"
        ))
        .bind(update_id)
        .bind(payload)
        .bind(redacted)
        .bind(now)
        .bind(chat)
        .bind(replica())
        .bind(lease_from(now))
        // A chat's order across processes: PostgreSQL's (SQLite's index stays empty).
        .bind(chat.filter(|_| self.backend() == sql::Backend::Postgres))
        .bind(offered)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(r,)| r))
    }

    /// At start on SQLite, where no other process can hold an update: every unhandled one the
    /// last run left is free to claim again, each with its claims counted anew (a restart
    /// offers every one once more). Those this process kept already (polled as it started)
    /// stay its own: freed, they would be claimed and handled a second time.
    pub async fn inbox_free_all(&self) -> super::Result<u64> {
        let done = sql::query(
            "UPDATE inbox SET owner = NULL, lease_until = NULL, tries = 0
              WHERE handled_at IS NULL AND payload IS NOT NULL AND (owner IS NULL OR owner <> $1)",
        )
        .bind(replica())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Claims for this process up to `limit` kept updates that nobody handles: never claimed
    /// (kept by the poller for any process), or whose lease ran out (their process died, or
    /// their handling failed). `held`: updates in the works here, left alone. Oldest first.
    pub async fn inbox_claim(&self, now: DateTime<Utc>, limit: i64, held: &[u32]) -> super::Result<Vec<(i64, String)>> {
        let skip = if held.is_empty() {
            String::new()
        } else {
            format!("AND update_id NOT IN ({})", id_list(held))
        };
        let lock = self.backend().pick("", "FOR UPDATE SKIP LOCKED");
        let mut rows: Vec<(i64, String)> = sql::query_as(format!(
            "UPDATE inbox SET owner = $1, lease_until = $2, tries = tries + 1
              WHERE update_id IN (
                 SELECT update_id FROM inbox
                  WHERE handled_at IS NULL AND payload IS NOT NULL
                    AND (owner IS NULL OR lease_until < $3) AND tries < {CLAIMS} {skip}
                  ORDER BY update_id LIMIT $4 {lock})
             RETURNING update_id, payload"
        ))
        .bind(replica())
        .bind(lease_from(now))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.sort_by_key(|r| r.0);
        Ok(rows)
    }

    /// On PostgreSQL, whether another process of kabinet is connected to the database (each
    /// names itself in `application_name`): the polling leader keeps updates for anyone only
    /// then, so one process alone pays nothing for sharing.
    pub async fn other_replicas(&self) -> super::Result<bool> {
        if self.backend() != sql::Backend::Postgres {
            return Ok(false);
        }
        let (others,): (bool,) = sql::query_as(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                             WHERE application_name LIKE 'kabinet %' AND application_name <> $1)",
        )
        .bind(format!("kabinet {}", replica()))
        .fetch_one(&self.pool)
        .await?;
        Ok(others)
    }

    /// Renews this process's leases on `ids` (its updates in the works).
    pub async fn inbox_renew(&self, ids: &[u32], now: DateTime<Utc>) -> super::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        sql::query(format!(
            "UPDATE inbox SET lease_until = $1
              WHERE owner = $2 AND handled_at IS NULL AND update_id IN ({})",
            id_list(ids)
        ))
        .bind(lease_from(now))
        .bind(replica())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether this process may handle `update_id` now (its lease is renewed meanwhile): a
    /// chat's updates go in the order Telegram numbered them, whichever process got them.
    pub async fn inbox_turn(&self, update_id: i64, now: DateTime<Utc>) -> super::Result<Turn> {
        // One statement (PostgreSQL's: a data-modifying CTE; one process on SQLite needs no
        // turns): the lease renewed, and the chat's first earlier update still open that this
        // one must wait for or step back behind — in the works elsewhere (its lease alive), or
        // unhandled and not given up (claimed fewer than CLAIMS times, or its lease alive).
        // Handled ones whose answers are on their way elsewhere count as in the works.
        if self.backend() != sql::Backend::Postgres {
            return Ok(Turn::Go);
        }
        let mine: Option<Earliest> = sql::query_as(format!(
            "WITH me AS (
                UPDATE inbox SET lease_until = $1
                 WHERE update_id = $2 AND owner = $3 AND handled_at IS NULL
                RETURNING update_id, chat_id)
             SELECT me.chat_id, e.update_id, e.owner, e.lease_until > $4
               FROM me LEFT JOIN LATERAL (
                    SELECT update_id, owner, lease_until FROM inbox e
                     WHERE e.chat_id = me.chat_id AND e.update_id < me.update_id AND e.chat_id IS NOT NULL
                       AND (e.handled_at IS NULL OR e.lease_until IS NOT NULL)
                       AND ((e.owner <> $3 AND e.lease_until > $4)
                            OR (e.handled_at IS NULL AND (e.tries < {CLAIMS} OR e.lease_until > $4)))
                     ORDER BY e.update_id LIMIT 1) e ON TRUE"
        ))
        .bind(lease_from(now))
        .bind(update_id)
        .bind(replica())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some((_, earlier, owner, alive)) = mine else {
            // Not kept at all (the database did not take it; polling handles it anyway), or
            // handled, or another process's now.
            let kept: Option<(i32,)> = sql::query_as("SELECT 1 FROM inbox WHERE update_id = $1")
                .bind(update_id)
                .fetch_optional(&self.pool)
                .await?;
            return Ok(if kept.is_some() { Turn::Taken } else { Turn::Go });
        };
        let Some(earlier) = earlier else { return Ok(Turn::Go) };
        let (alive, mine) = (alive == Some(true), owner.as_deref() == Some(replica()));
        if alive && !mine {
            return Ok(Turn::Wait);
        }
        Ok(Turn::Behind {
            earlier,
            until: if alive && mine { lease_from(now) } else { now },
        })
    }

    /// Its answers have gone out: the chat's next update may go (see `inbox_turn`).
    pub async fn inbox_release(&self, update_id: i64) -> super::Result<()> {
        sql::query(
            "UPDATE inbox SET lease_until = NULL WHERE update_id = $1 AND owner = $2 AND handled_at IS NOT NULL",
        )
        .bind(update_id)
        .bind(replica())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// This process's update steps back (see `Turn::Behind`): claimed again from `until`.
    pub async fn inbox_step_back(&self, update_id: i64, until: DateTime<Utc>) -> super::Result<()> {
        // Stepping back is no failed try: the claim that brought it here is given back.
        sql::query(
            "UPDATE inbox SET lease_until = $1, tries = CASE WHEN tries > 0 THEN tries - 1 ELSE 0 END
              WHERE update_id = $2 AND owner = $3 AND handled_at IS NULL",
        )
        .bind(until)
        .bind(update_id)
        .bind(replica())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// `inbox_turn`'s row: the update's chat, and the first earlier update it waits for (none:
/// NULLs), its owner and whether its lease is alive.
type Earliest = (Option<i64>, Option<i64>, Option<String>, Option<bool>);

/// Update ids as an SQL list (numbers only: never a value from outside).
fn id_list(ids: &[u32]) -> String {
    ids.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// Marks an update handled in `conn` (a transaction, when it goes with what the update did).
/// An error when another process has claimed it meanwhile (this one's lease ran out): the
/// transaction is then rolled back, and the update is that process's.
pub(crate) async fn mark_handled<'c>(
    conn: impl Into<sql::Exec<'c>>,
    update_id: i64,
    now: chrono::DateTime<Utc>,
) -> super::Result<()> {
    mark(conn, update_id, now, false).await
}

/// `mark_handled`, the lease released with it when `release`.
async fn mark<'c>(
    conn: impl Into<sql::Exec<'c>>,
    update_id: i64,
    now: chrono::DateTime<Utc>,
    release: bool,
) -> super::Result<()> {
    let done = sql::query(
        "INSERT INTO inbox (update_id, received_at, handled_at) VALUES ($1, $2, $2)
         ON CONFLICT (update_id) DO UPDATE SET handled_at = excluded.handled_at, payload = NULL,
                lease_until = CASE WHEN $4 THEN NULL ELSE inbox.lease_until END
          WHERE inbox.owner IS NULL OR inbox.owner = $3",
    )
    .bind(update_id)
    .bind(now)
    .bind(replica())
    .bind(release)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::TakenOver(update_id));
    }
    Ok(())
}
