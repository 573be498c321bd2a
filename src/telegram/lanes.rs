//! The sender's lanes: what a handler has to say to a chat is handed over here and the
//! handler goes on; one task per chat with something to send works through that chat's
//! lane in order, waiting on Telegram's limits itself. A chat whose messages have to wait
//! (its own pace, a group's 20 a minute, a 429) holds up nobody but itself, and no handler
//! ever sleeps on the limiter.

use super::{Extras, Priority};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Jobs a chat may have waiting: far more than a person's conversation ever queues; a chat
/// that floods loses what is over (counted), nobody else does.
pub const PRIVATE_LANE_MAX: usize = 100;
/// The operators' group: dozens of replies a minute against 20 messages a minute.
pub const GROUP_LANE_MAX: usize = 1000;

#[derive(Default)]
struct Lane {
    jobs: VecDeque<Job>,
}

#[derive(Default)]
pub struct Lanes {
    lanes: Mutex<HashMap<i64, Lane>>,
    /// Woken whenever a lane empties.
    emptied: Notify,
}

impl Lanes {
    /// Queues `job` behind what the chat already has; false (and counted) when the lane is
    /// full. A lane without a task gets one.
    pub fn push(&self, chat: i64, job: impl Future<Output = ()> + Send + 'static) -> Option<bool> {
        let mut lanes = self.lanes.lock().expect("lanes lock");
        let max = if chat < 0 { GROUP_LANE_MAX } else { PRIVATE_LANE_MAX };
        let fresh = !lanes.contains_key(&chat);
        let lane = lanes.entry(chat).or_default();
        if lane.jobs.len() >= max {
            return None;
        }
        lane.jobs.push_back(Box::pin(job));
        Some(fresh)
    }

    /// Works through `chat`'s lane until it is empty (the task `push` asked for).
    pub async fn drain(&self, chat: i64) {
        loop {
            let job = {
                let mut lanes = self.lanes.lock().expect("lanes lock");
                match lanes.get_mut(&chat).and_then(|l| l.jobs.pop_front()) {
                    Some(job) => job,
                    None => {
                        lanes.remove(&chat);
                        self.emptied.notify_waiters();
                        return;
                    }
                }
            };
            // A job that panics loses its own message, never the chat's lane.
            if futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(job))
                .await
                .is_err()
            {
                tracing::error!(chat, "a send panicked; the chat's next messages go on");
            }
        }
    }

    /// Messages waiting in all lanes (the job in progress not counted).
    pub fn waiting(&self) -> usize {
        self.lanes
            .lock()
            .expect("lanes lock")
            .values()
            .map(|l| l.jobs.len())
            .sum()
    }

    fn busy(&self) -> bool {
        !self.lanes.lock().expect("lanes lock").is_empty()
    }

    /// Waits until every lane is empty, at most `limit`; false if some were not.
    pub async fn idle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let emptied = self.emptied.notified();
            tokio::pin!(emptied);
            emptied.as_mut().enable();
            if !self.busy() {
                return true;
            }
            if tokio::time::timeout_at(deadline, emptied).await.is_err() {
                return !self.busy();
            }
        }
    }
}

impl super::Telegram {
    /// Hands `job` to `chat`'s lane: it runs after everything queued for the chat before it,
    /// and the caller goes on at once. A job over the lane's bound is dropped and counted.
    pub fn queue(&self, chat: teloxide::types::ChatId, job: impl std::future::Future<Output = ()> + Send + 'static) {
        match self.inner.lanes.push(chat.0, job) {
            Some(true) => {
                let tg = self.clone();
                tokio::spawn(async move { tg.inner.lanes.drain(chat.0).await });
            }
            Some(false) => {}
            None => {
                crate::metrics::get().shed("replies");
                tracing::warn!(chat = chat.0, "the chat's lane is full: a message was dropped");
            }
        }
    }

    /// `html` to `chat` through its lane (a failure is logged; see [`Telegram::send`]).
    pub fn queue_send(&self, chat: teloxide::types::ChatId, html: String, extras: Extras) {
        let tg = self.clone();
        self.queue(chat, async move {
            if let Err(e) = tg.send(chat, Priority::Reply, &html, extras).await {
                crate::metrics::get().errors.inc();
                tracing::warn!(chat = chat.0, error = %e, "a message was not sent");
            }
        });
    }

    /// Waits (at most `limit`) until everything handed to the lanes has been sent.
    pub async fn lanes_idle(&self, limit: Duration) -> bool {
        self.inner.lanes.idle(limit).await
    }

    /// Messages waiting in the lanes.
    pub fn lanes_waiting(&self) -> usize {
        self.inner.lanes.waiting()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A chat's jobs run in order; a chat whose job waits holds up no other chat; a full lane
    /// takes no more.
    #[tokio::test]
    async fn lanes_keep_order_within_a_chat_and_never_across() {
        let lanes = Arc::new(Lanes::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        let gate = Arc::new(Notify::new());
        for i in 0..3 {
            let (log, gate) = (log.clone(), gate.clone());
            let fresh = lanes
                .push(1, async move {
                    if i == 0 {
                        gate.notified().await;
                    }
                    log.lock().unwrap().push((1, i));
                })
                .unwrap();
            if fresh {
                let l = lanes.clone();
                tokio::spawn(async move { l.drain(1).await });
            }
        }
        let l2 = log.clone();
        assert_eq!(
            lanes.push(2, async move { l2.lock().unwrap().push((2, 0)) }),
            Some(true)
        );
        let l = lanes.clone();
        tokio::spawn(async move { l.drain(2).await });
        // Chat 2 is done while chat 1's first job still waits.
        tokio::time::timeout(Duration::from_secs(5), async {
            while !log.lock().unwrap().contains(&(2, 0)) {
                tokio::task::yield_now().await;
            }
        })
        .await
        .unwrap();
        assert!(!log.lock().unwrap().iter().any(|(c, _)| *c == 1));
        gate.notify_one();
        assert!(lanes.idle(Duration::from_secs(5)).await);
        let chat1: Vec<i32> = log
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _)| *c == 1)
            .map(|(_, i)| *i)
            .collect();
        assert_eq!(chat1, vec![0, 1, 2]);

        let stuck = Arc::new(Notify::new());
        for _ in 0..PRIVATE_LANE_MAX {
            let s = stuck.clone();
            lanes.push(3, async move { s.notified().await }).unwrap();
        }
        assert_eq!(lanes.push(3, async {}), None, "a full lane takes no more");
        assert_eq!(lanes.waiting(), PRIVATE_LANE_MAX);
        assert!(!lanes.idle(Duration::from_millis(10)).await);
    }
}
