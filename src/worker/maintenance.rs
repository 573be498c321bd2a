//! Housekeeping on a schedule: status choices on the desk that waited too long for the
//! operator's reply lapse (the group is told), and records that have served their purpose are
//! pruned by age (see `store::prune`), so the database does not grow without end.

use crate::clock::Clock;
use crate::config::Config;
use crate::desk::deliver::Desk;
use crate::store::Store;
use crate::store::prune::Retention;
use crate::telegram::Telegram;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Pruning runs at most this often (lapsing runs every tick).
const PRUNE_EVERY: chrono::Duration = chrono::Duration::hours(1);

pub struct Maintenance {
    pub store: Store,
    pub tg: Telegram,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// The operators' group as it is now.
    pub group: Arc<crate::desk::group::DeskGroup>,
    pub every: Duration,
    pub retention: Retention,
}

impl Maintenance {
    /// One round: lapse what waited too long; prune when due. Returns whether it pruned.
    pub async fn tick(&self, last_prune: &mut Option<chrono::DateTime<chrono::Utc>>) -> bool {
        if let Some(group) = self.group.chat() {
            let desk = Desk {
                tg: &self.tg,
                store: &self.store,
                config: &self.config,
                clock: &self.clock,
                group,
            };
            if let Err(e) = desk.lapse_pending().await {
                tracing::error!(error = %e, "maintenance: lapsing status choices failed");
            }
        }
        let now = self.clock.now();
        // An operator's form left unfinished for a day: its buttons say it is gone.
        if let Err(e) = self.store.prune_forms(now - chrono::Duration::days(1)).await {
            tracing::error!(error = %e, "maintenance: pruning forms failed");
        }
        if last_prune.is_some_and(|at| now - at < PRUNE_EVERY) {
            return false;
        }
        match self.store.prune(now, &self.retention).await {
            Ok(p) => {
                if p.total() > 0 {
                    tracing::info!(?p, "maintenance: pruned");
                }
                *last_prune = Some(now);
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "maintenance: pruning failed");
                false
            }
        }
    }

    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        let mut last_prune = None;
        loop {
            self.tick(&mut last_prune).await;
            tokio::select! {
                _ = tokio::time::sleep(self.every) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
