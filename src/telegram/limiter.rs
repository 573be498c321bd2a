//! Telegram's sending limits kept on our side, so that it rarely has to say 429: about 30
//! messages a second overall, short bursts and then one a second in a private chat, 20 a
//! minute in a group. Token buckets with a little margin under Telegram's figures; a reply to
//! someone waiting in a chat goes before a broadcast (bulk sends leave a reserve of the overall
//! bucket to replies), and a chat that got a 429 waits out its `retry_after`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who is waiting for a send: a person in a conversation, or nobody in particular (pushes,
/// reminders, the desk's cards from the outbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Reply,
    Bulk,
    /// A broadcast sent with `allow_paid_broadcast`: its own overall limit (1,000 a second,
    /// paid), the chat's as for any other.
    Paid,
}

/// The overall rate broadcasts get from our limiter at most (Telegram's 30 with its margin).
pub const BROADCAST_PER_SEC: f64 = 29.0;
/// The rate paid broadcasts get (Telegram's 1,000 with a margin).
pub const PAID_PER_SEC: f64 = 950.0;

/// The limits, per second unless named otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub overall_per_sec: f64,
    pub overall_burst: f64,
    /// Of the overall bucket, what bulk sends never take: replies find it there at once.
    pub reply_reserve: f64,
    pub chat_per_sec: f64,
    pub chat_burst: f64,
    pub group_per_min: f64,
    pub group_burst: f64,
    /// Paid broadcasts' overall limit (`allow_paid_broadcast`), apart from the free one.
    pub paid_per_sec: f64,
}

impl Default for Limits {
    /// Telegram's published limits (30/s overall, 1/s in a chat, 20/min in a group), each
    /// with a margin: its counting and ours never line up to the millisecond.
    fn default() -> Self {
        Self {
            overall_per_sec: BROADCAST_PER_SEC,
            overall_burst: BROADCAST_PER_SEC,
            reply_reserve: 5.0,
            // Under 1/s: our turn and Telegram's count of it are a network trip apart, and a
            // trip that is quicker than the one before must not look like two at once.
            chat_per_sec: 0.9,
            chat_burst: 3.0,
            group_per_min: 19.0,
            group_burst: 19.0,
            paid_per_sec: PAID_PER_SEC,
        }
    }
}

impl Limits {
    /// No limits of our own (a local Bot API server that has none).
    pub fn unlimited() -> Self {
        Self {
            overall_per_sec: 1e9,
            overall_burst: 1e9,
            reply_reserve: 0.0,
            chat_per_sec: 1e9,
            chat_burst: 1e9,
            group_per_min: 1e9,
            group_burst: 1e9,
            paid_per_sec: 1e9,
        }
    }
}

/// A token bucket: `cap` at once, then `rate` a second (the door uses it too).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bucket {
    pub(crate) tokens: f64,
    at: Instant,
    cap: f64,
    rate: f64,
}

impl Bucket {
    pub(crate) fn new(cap: f64, rate: f64, now: Instant) -> Self {
        Self {
            tokens: cap,
            at: now,
            cap,
            rate,
        }
    }

    pub(crate) fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.cap);
        self.at = now;
    }

    /// How long until the bucket holds `need` tokens.
    fn wait(&self, need: f64) -> Duration {
        if self.tokens >= need {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((need - self.tokens) / self.rate)
        }
    }

    pub(crate) fn full(&self) -> bool {
        self.tokens >= self.cap
    }
}

struct ChatLimit {
    bucket: Bucket,
    frozen_until: Option<Instant>,
}

struct State {
    overall: Bucket,
    paid: Bucket,
    chats: HashMap<i64, ChatLimit>,
}

pub struct Limiter {
    limits: Limits,
    state: Mutex<State>,
}

/// Chats remembered before idle ones (full bucket, not frozen) are forgotten.
const CHATS_KEPT: usize = 10_000;

impl Limiter {
    pub fn new(limits: Limits) -> Self {
        let now = Instant::now();
        Self {
            limits,
            state: Mutex::new(State {
                overall: Bucket::new(limits.overall_burst, limits.overall_per_sec, now),
                // A tenth of a second's worth at once: Telegram counts by the second too.
                paid: Bucket::new((limits.paid_per_sec / 10.0).max(1.0), limits.paid_per_sec, now),
                chats: HashMap::new(),
            }),
        }
    }

    fn chat_bucket(&self, chat: i64, now: Instant) -> ChatLimit {
        let l = &self.limits;
        let bucket = if chat < 0 {
            Bucket::new(l.group_burst, l.group_per_min / 60.0, now)
        } else {
            Bucket::new(l.chat_burst, l.chat_per_sec, now)
        };
        ChatLimit {
            bucket,
            frozen_until: None,
        }
    }

    /// Takes a turn to send to `chat` now if there is one; else says how long to wait.
    pub fn try_take(&self, chat: i64, priority: Priority) -> Result<(), Duration> {
        let now = Instant::now();
        let mut s = self.state.lock().expect("limiter lock");
        if s.chats.len() > CHATS_KEPT {
            s.chats.retain(|_, c| {
                c.bucket.refill(now);
                !c.bucket.full() || c.frozen_until.is_some_and(|t| t > now)
            });
        }
        let fresh = self.chat_bucket(chat, now);
        s.overall.refill(now);
        s.paid.refill(now);
        let overall_wait = match priority {
            Priority::Reply => s.overall.wait(1.0),
            Priority::Bulk => s.overall.wait(1.0 + self.limits.reply_reserve),
            Priority::Paid => s.paid.wait(1.0),
        };
        let c = s.chats.entry(chat).or_insert(fresh);
        c.bucket.refill(now);
        let frozen = c
            .frozen_until
            .map(|t| t.saturating_duration_since(now))
            .unwrap_or_default();
        let wait = overall_wait.max(c.bucket.wait(1.0)).max(frozen);
        if !wait.is_zero() {
            return Err(wait);
        }
        c.bucket.tokens -= 1.0;
        c.frozen_until = None;
        match priority {
            Priority::Paid => s.paid.tokens -= 1.0,
            _ => s.overall.tokens -= 1.0,
        }
        Ok(())
    }

    /// Telegram said 429 for this chat: nothing goes there until `retry_after` has passed.
    pub fn freeze(&self, chat: i64, retry_after: Duration) {
        let now = Instant::now();
        let mut s = self.state.lock().expect("limiter lock");
        let fresh = self.chat_bucket(chat, now);
        let c = s.chats.entry(chat).or_insert(fresh);
        let until = now + retry_after;
        c.frozen_until = Some(c.frozen_until.map_or(until, |t| t.max(until)));
        c.bucket.tokens = c.bucket.tokens.min(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_reply_goes_at_once_and_a_burst_in_one_chat_waits() {
        let l = Limiter::new(Limits::default());
        for _ in 0..3 {
            assert!(l.try_take(1, Priority::Reply).is_ok());
        }
        let wait = l.try_take(1, Priority::Reply).unwrap_err();
        assert!(
            wait > Duration::from_secs(1) && wait <= Duration::from_millis(1200),
            "{wait:?}"
        );
        // Another chat is not held up.
        assert!(l.try_take(2, Priority::Reply).is_ok());
    }

    #[test]
    fn bulk_leaves_a_reserve_for_replies() {
        let l = Limiter::new(Limits::default());
        let mut bulk = 0;
        for chat in 100..200 {
            if l.try_take(chat, Priority::Bulk).is_ok() {
                bulk += 1;
            }
        }
        assert_eq!(bulk, 24, "29 at once less the reserve of 5");
        for chat in 300..305 {
            assert!(
                l.try_take(chat, Priority::Reply).is_ok(),
                "the reserve is there for replies"
            );
        }
        assert!(l.try_take(400, Priority::Reply).is_err());
    }

    #[test]
    fn paid_broadcasts_have_their_own_limit_and_leave_the_free_one() {
        let l = Limiter::new(Limits::default());
        let paid = (0..1000)
            .filter(|c| l.try_take(10_000 + c, Priority::Paid).is_ok())
            .count();
        assert!((95..=97).contains(&paid), "a tenth of a second's worth at once: {paid}");
        // The free bucket is untouched: bulk and replies go as before.
        let bulk = (0..100)
            .filter(|c| l.try_take(20_000 + c, Priority::Bulk).is_ok())
            .count();
        assert_eq!(bulk, 24);
        // A chat's own limit holds for paid sends too.
        for _ in 0..3 {
            assert!(l.try_take(7, Priority::Reply).is_ok());
        }
        std::thread::sleep(Duration::from_millis(20));
        assert!(l.try_take(7, Priority::Paid).is_err());
    }

    #[test]
    fn a_group_gets_nineteen_a_minute_and_a_frozen_chat_waits_its_retry_after() {
        let l = Limiter::new(Limits::default());
        for _ in 0..19 {
            assert!(l.try_take(-100, Priority::Bulk).is_ok());
        }
        let wait = l.try_take(-100, Priority::Bulk).unwrap_err();
        assert!(wait > Duration::from_secs(2), "{wait:?}");
        l.freeze(5, Duration::from_secs(7));
        let wait = l.try_take(5, Priority::Reply).unwrap_err();
        assert!(wait > Duration::from_secs(6), "{wait:?}");
    }
}
