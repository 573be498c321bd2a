//! The operators' group as the running bot knows it: its id now (Telegram may have moved it to
//! a supergroup while `OPERATOR_CHAT_ID` still names the old one) and whether the bot can post
//! there (removed from the group, or not allowed to write). Cards and events wait while it
//! cannot; they never fail because of the group.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};
use teloxide::types::ChatId;

/// While the bot cannot post, the outbox tries one row this often (a probe); the others wait.
pub const PROBE_EVERY: Duration = Duration::from_secs(60);

pub struct DeskGroup {
    /// The id in use (0: no group configured).
    id: AtomicI64,
    /// Why the bot cannot post there, and when the outbox last tried.
    blocked: Mutex<Option<(String, Option<Instant>)>>,
}

impl DeskGroup {
    pub fn new(id: Option<i64>) -> Self {
        let g = Self {
            id: AtomicI64::new(id.unwrap_or(0)),
            blocked: Mutex::new(None),
        };
        g.report();
        g
    }

    pub fn chat(&self) -> Option<ChatId> {
        match self.id.load(Ordering::Relaxed) {
            0 => None,
            id => Some(ChatId(id)),
        }
    }

    /// Whether `chat` is the operators' group.
    pub fn is(&self, chat: ChatId) -> bool {
        self.chat() == Some(chat)
    }

    /// Telegram moved the group to `to`.
    pub fn moved_to(&self, to: i64) {
        let from = self.id.swap(to, Ordering::Relaxed);
        if from != to {
            tracing::error!(
                from,
                to,
                "the operators' group became a supergroup: the bot uses the new id now; set OPERATOR_CHAT_ID={to}"
            );
        }
    }

    /// Why the bot cannot post to the group, if it cannot.
    pub fn blocked(&self) -> Option<String> {
        self.blocked
            .lock()
            .expect("desk group lock")
            .as_ref()
            .map(|(why, _)| why.clone())
    }

    /// The bot cannot post to the group (logged once, reported to /readyz and the metrics).
    pub fn block(&self, why: &str) {
        let mut b = self.blocked.lock().expect("desk group lock");
        if b.is_none() {
            tracing::error!(
                reason = why,
                "the bot cannot post to the operators' group: cards and events wait until it can (add it back, let it write)"
            );
        }
        *b = Some((why.to_owned(), Some(Instant::now())));
        drop(b);
        self.report();
    }

    /// The bot can post again; true if it could not before.
    pub fn unblock(&self) -> bool {
        let was = self.blocked.lock().expect("desk group lock").take().is_some();
        if was {
            tracing::warn!("the bot can post to the operators' group again: the waiting cards go out");
        }
        self.report();
        was
    }

    /// Whether the outbox should try the group now: always when it is not blocked, and once
    /// per [`PROBE_EVERY`] when it is.
    pub fn may_try(&self) -> bool {
        let mut b = self.blocked.lock().expect("desk group lock");
        match b.as_mut() {
            None => self.chat().is_some(),
            Some((_, last)) => {
                let due = last.is_none_or(|t| t.elapsed() >= PROBE_EVERY);
                if due {
                    *last = Some(Instant::now());
                }
                due
            }
        }
    }

    fn report(&self) {
        let reason = self
            .blocked
            .lock()
            .expect("desk group lock")
            .as_ref()
            .map(|(w, _)| w.clone());
        crate::metrics::get().desk_group(self.chat().is_some(), reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_group_is_probed_once_a_while_and_a_move_changes_its_id() {
        let g = DeskGroup::new(Some(-5));
        assert!(g.is(ChatId(-5)) && g.may_try() && g.may_try());
        g.block("Forbidden: bot was kicked from the group chat");
        assert!(g.blocked().is_some());
        assert!(!g.may_try(), "just tried");
        assert!(g.unblock());
        assert!(g.may_try() && !g.unblock());
        g.moved_to(-1_000_000_000_005);
        assert!(g.is(ChatId(-1_000_000_000_005)) && !g.is(ChatId(-5)));
        assert!(!DeskGroup::new(None).may_try());
    }
}
