//! The operators' groups as the running bot knows them: the main one (`OPERATOR_CHAT_ID`) and
//! the departments' (`OPERATOR_CHATS`), each with its id now (Telegram may have moved it to a
//! supergroup while the setting still names the old one) and whether the bot can post there
//! (removed from the group, or not allowed to write). A group's cards and events wait while it
//! cannot; they never fail because of the group.

use crate::domain::routes::Routes;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use teloxide::types::ChatId;

/// While the bot cannot post, the outbox tries one row this often (a probe); the others wait.
pub const PROBE_EVERY: Duration = Duration::from_secs(60);

struct Slot {
    /// The id as configured (what the routes name).
    configured: i64,
    /// The id in use (0: no group configured).
    id: AtomicI64,
    /// Why the bot cannot post there, and when the outbox last tried.
    blocked: Mutex<Option<(String, Option<Instant>)>>,
}

impl Slot {
    fn new(id: i64) -> Self {
        Self {
            configured: id,
            id: AtomicI64::new(id),
            blocked: Mutex::new(None),
        }
    }

    fn chat(&self) -> Option<ChatId> {
        match self.id.load(Ordering::Relaxed) {
            0 => None,
            id => Some(ChatId(id)),
        }
    }
}

pub struct DeskGroup {
    /// The main group first, then each department's.
    slots: Vec<Slot>,
    routes: Routes,
    /// How many times a group opened again (the bot let back in, the group moved): the rows
    /// that waited for it are due at once then, and a row the outbox took before must not
    /// overtake them (see [`DeskGroup::turn`]).
    turns: AtomicU64,
}

impl DeskGroup {
    pub fn new(id: Option<i64>) -> Self {
        Self::with_routes(id, Routes::default())
    }

    /// The main group and the departments' groups of `routes`.
    pub fn with_routes(id: Option<i64>, routes: Routes) -> Self {
        let main = id.unwrap_or(0);
        let mut slots = vec![Slot::new(main)];
        for chat in routes.chats() {
            if chat != main {
                slots.push(Slot::new(chat));
            }
        }
        let g = Self {
            slots,
            routes,
            turns: AtomicU64::new(0),
        };
        g.report();
        g
    }

    /// The main group.
    pub fn chat(&self) -> Option<ChatId> {
        self.slots[0].chat()
    }

    /// Every group, the main one first.
    pub fn chats(&self) -> Vec<ChatId> {
        self.slots.iter().filter_map(Slot::chat).collect()
    }

    /// Whether there are departments besides the main group.
    pub fn has_departments(&self) -> bool {
        self.chat().is_some() && self.slots.len() > 1
    }

    /// Whether `chat` is one of the operators' groups.
    pub fn is(&self, chat: ChatId) -> bool {
        self.slot(chat).is_some()
    }

    fn slot(&self, chat: ChatId) -> Option<&Slot> {
        self.slots.iter().find(|s| s.chat() == Some(chat))
    }

    /// The group for an item with these route keys (most specific first): its department's,
    /// else the main one.
    pub fn route(&self, keys: &[String]) -> Option<ChatId> {
        let configured = self.routes.chat_for(keys);
        configured
            .and_then(|c| self.slots.iter().find(|s| s.configured == c))
            .and_then(Slot::chat)
            .or_else(|| self.chat())
    }

    /// What a group takes, as its mappings say («connection, billing»); empty for the main
    /// group.
    pub fn takes(&self, chat: ChatId) -> String {
        self.slot(chat)
            .map(|s| self.routes.takes(s.configured))
            .unwrap_or_default()
    }

    /// Telegram moved the group `from` to `to`.
    pub fn moved(&self, from: ChatId, to: i64) {
        let Some(slot) = self.slot(from) else { return };
        let was = slot.id.swap(to, Ordering::Relaxed);
        self.turns.fetch_add(1, Ordering::SeqCst);
        let main = std::ptr::eq(slot, &self.slots[0]);
        if was != to && main {
            tracing::error!(
                from = was,
                to,
                "the operators' group became a supergroup: the bot uses the new id now; set OPERATOR_CHAT_ID={to}"
            );
        } else if was != to {
            tracing::error!(
                from = was,
                to,
                "a department's operators' group became a supergroup: the bot uses the new id now; put {to} in place of {} in OPERATOR_CHATS",
                slot.configured
            );
        }
    }

    /// Why the bot cannot post to a group, if it cannot post to one of them.
    pub fn blocked(&self) -> Option<String> {
        self.slots.iter().find_map(|s| {
            s.blocked
                .lock()
                .expect("desk group lock")
                .as_ref()
                .map(|(why, _)| why.clone())
        })
    }

    /// The bot cannot post to `chat` (logged once, reported to /readyz and the metrics).
    pub fn block(&self, chat: ChatId, why: &str) {
        let Some(slot) = self.slot(chat) else { return };
        let mut b = slot.blocked.lock().expect("desk group lock");
        if b.is_none() {
            tracing::error!(
                chat = chat.0,
                reason = why,
                "the bot cannot post to the operators' group: its cards and events wait until it can (add it back, let it write)"
            );
        }
        *b = Some((why.to_owned(), Some(Instant::now())));
        drop(b);
        self.report();
    }

    /// The bot can post to `chat` again; true if it could not before.
    pub fn unblock(&self, chat: ChatId) -> bool {
        let Some(slot) = self.slot(chat) else { return false };
        let was = slot.blocked.lock().expect("desk group lock").take().is_some();
        if was {
            self.turns.fetch_add(1, Ordering::SeqCst);
            tracing::warn!(
                chat = chat.0,
                "the bot can post to the operators' group again: the waiting cards go out"
            );
        }
        self.report();
        was
    }

    /// Whether the outbox should try `chat` now: always when it is not blocked, and once per
    /// [`PROBE_EVERY`] when it is.
    pub fn may_try(&self, chat: ChatId) -> bool {
        let Some(slot) = self.slot(chat) else { return false };
        let mut b = slot.blocked.lock().expect("desk group lock");
        match b.as_mut() {
            None => true,
            Some((_, last)) => {
                let due = last.is_none_or(|t| t.elapsed() >= PROBE_EVERY);
                if due {
                    *last = Some(Instant::now());
                }
                due
            }
        }
    }

    /// The count of times a group opened again. The outbox reads it before it takes a batch:
    /// when it changed by the time a row of the batch is tried, the rows that had waited were
    /// just made due, and the row goes back to be taken with them in their order (an operator
    /// reads an appeal's additions in the order they were sent).
    pub fn turn(&self) -> u64 {
        self.turns.load(Ordering::SeqCst)
    }

    fn report(&self) {
        crate::metrics::get().desk_group(self.chat().is_some(), self.blocked());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_group_is_probed_once_a_while_and_a_move_changes_its_id() {
        let g = DeskGroup::new(Some(-5));
        let main = ChatId(-5);
        assert!(g.is(main) && g.may_try(main) && g.may_try(main));
        g.block(main, "Forbidden: bot was kicked from the group chat");
        assert!(g.blocked().is_some());
        assert!(!g.may_try(main), "just tried");
        let turn = g.turn();
        assert!(g.unblock(main));
        assert_eq!(g.turn(), turn + 1, "opened again: a new turn");
        assert!(g.may_try(main) && !g.unblock(main));
        assert_eq!(g.turn(), turn + 1, "unblocking an open group is no turn");
        g.moved(main, -1_000_000_000_005);
        assert_eq!(g.turn(), turn + 2, "a move is one");
        assert!(g.is(ChatId(-1_000_000_000_005)) && !g.is(main));
        assert!(!DeskGroup::new(None).may_try(main));
    }

    #[test]
    fn departments_take_what_their_mappings_name_and_the_main_group_the_rest() {
        let routes = Routes::parse("connection=-200;billing=-300").unwrap();
        let g = DeskGroup::with_routes(Some(-100), routes);
        let keys = |k: &str| vec![k.to_owned()];
        assert_eq!(g.route(&keys("connection")), Some(ChatId(-200)));
        assert_eq!(g.route(&keys("billing")), Some(ChatId(-300)));
        assert_eq!(g.route(&keys("appeal")), Some(ChatId(-100)));
        assert_eq!(g.chats(), vec![ChatId(-100), ChatId(-200), ChatId(-300)]);
        assert!(g.has_departments() && g.is(ChatId(-300)));
        // A department's group moved: its items follow; one blocked holds only its own.
        g.moved(ChatId(-300), -1_000_000_000_300);
        assert_eq!(g.route(&keys("billing")), Some(ChatId(-1_000_000_000_300)));
        g.block(ChatId(-200), "kicked");
        assert!(!g.may_try(ChatId(-200)) && g.may_try(ChatId(-100)));
        assert_eq!(g.takes(ChatId(-200)), "connection");
    }
}
