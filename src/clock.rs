//! The time as the app sees it. Tests move it forward to expire codes and locks.

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone, Default, Debug)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Moves the clock to `at` (from now on it runs from there).
    pub fn set(&self, at: DateTime<Utc>) {
        self.offset_secs
            .store((at - Utc::now()).num_seconds(), Ordering::Relaxed);
    }

    pub fn advance(&self, by: Duration) {
        self.offset_secs.fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}
