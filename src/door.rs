//! The door: every update from Telegram passes here before the dispatcher. A chat that sends
//! faster than a person can (a script, a backlog after an outage) is throttled here: what is
//! over its rate is not handled, the chat is told once, and the rest of the bot never sees
//! the flood. Each chat also has a bound on its updates in the works, well under teloxide's
//! per-chat queue: a full queue would stop the dispatcher for every chat.

use crate::telegram::limiter::Bucket;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How fast a chat may send.
#[derive(Debug, Clone, Copy)]
pub struct DoorLimits {
    /// Updates a private chat may send at once (an album of ten, a few quick presses).
    pub chat_burst: f64,
    /// …and then per second, sustained.
    pub chat_per_sec: f64,
    /// The operators' group: many people at once.
    pub group_burst: f64,
    pub group_per_sec: f64,
    /// A chat's updates let in and not yet handled.
    pub chat_in_flight: usize,
    pub group_in_flight: usize,
}

impl Default for DoorLimits {
    fn default() -> Self {
        Self {
            chat_burst: 20.0,
            chat_per_sec: 1.0,
            group_burst: 60.0,
            group_per_sec: 3.0,
            chat_in_flight: 24,
            group_in_flight: 96,
        }
    }
}

/// teloxide's queue per chat: above every in-flight bound, so the dispatcher never waits for
/// room in one.
pub const WORKER_QUEUE: usize = 128;

/// What the door does with an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Not handled: `reason` for the metric; `tell` the first time in a flood.
    Shed {
        reason: &'static str,
        tell: bool,
    },
}

struct ChatDoor {
    bucket: Bucket,
    in_flight: usize,
    /// Told about the flood; again only after the chat has calmed down.
    told: bool,
}

#[derive(Default)]
struct State {
    chats: HashMap<i64, ChatDoor>,
    /// Updates let in and not yet handled, with their chat.
    updates: HashMap<u32, i64>,
}

impl State {
    /// The chat's door, a fresh one (a full bucket) for a chat not seen lately.
    fn chat(&mut self, chat: i64, burst: f64, rate: f64, now: Instant) -> &mut ChatDoor {
        self.chats.entry(chat).or_insert(ChatDoor {
            bucket: Bucket::new(burst, rate, now),
            in_flight: 0,
            told: false,
        })
    }

    fn let_in(&mut self, update: u32, chat: i64) {
        if let Some(c) = self.chats.get_mut(&chat) {
            c.in_flight += 1;
        }
        self.updates.insert(update, chat);
    }
}

pub struct Door {
    limits: DoorLimits,
    state: Mutex<State>,
}

/// Chats remembered before calm ones are forgotten.
const CHATS_KEPT: usize = 10_000;

impl Door {
    pub fn new(limits: DoorLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            state: Mutex::new(State::default()),
        })
    }

    /// A chat's burst, rate a second and bound in the works (the group's are larger).
    fn limits_for(&self, group: bool) -> (f64, f64, usize) {
        let l = &self.limits;
        if group {
            (l.group_burst, l.group_per_sec, l.group_in_flight)
        } else {
            (l.chat_burst, l.chat_per_sec, l.chat_in_flight)
        }
    }

    /// Lets update `update` from `chat` in, or not. `group` is the operators' group.
    pub fn admit(&self, update: u32, chat: i64, group: bool) -> Verdict {
        let (burst, rate, in_flight_max) = self.limits_for(group);
        let now = Instant::now();
        let mut s = self.state.lock().expect("door lock");
        if s.chats.len() > CHATS_KEPT {
            s.chats.retain(|_, c| {
                c.bucket.refill(now);
                c.in_flight > 0 || !c.bucket.full()
            });
        }
        let c = s.chat(chat, burst, rate, now);
        c.bucket.refill(now);
        // Calm again (half the burst back, little in the works): a new flood is told again.
        if c.bucket.tokens >= burst / 2.0 && c.in_flight < in_flight_max / 2 {
            c.told = false;
        }
        let reason = if c.bucket.tokens < 1.0 {
            "rate"
        } else if c.in_flight >= in_flight_max {
            "backlog"
        } else {
            c.bucket.tokens -= 1.0;
            s.let_in(update, chat);
            return Verdict::Pass;
        };
        let tell = !std::mem::replace(&mut c.told, true);
        Verdict::Shed { reason, tell }
    }

    /// An update from the inbox after a restart: not counted against the rate (it came before),
    /// but against the chat's updates in the works, so a replayed flood never fills teloxide's
    /// queue.
    pub fn admit_replay(&self, update: u32, chat: i64, group: bool) -> Verdict {
        let (burst, rate, max) = self.limits_for(group);
        let mut s = self.state.lock().expect("door lock");
        if s.chat(chat, burst, rate, Instant::now()).in_flight >= max {
            return Verdict::Shed {
                reason: "backlog",
                tell: false,
            };
        }
        s.let_in(update, chat);
        Verdict::Pass
    }

    /// Whether the update was let in and is not done yet (queued or being handled).
    pub fn holds(&self, update: u32) -> bool {
        self.state.lock().expect("door lock").updates.contains_key(&update)
    }

    /// Whether an update of `chat` newer than `update` was let in and is not done yet (an
    /// album's next part still on its way through this process).
    pub fn holds_after(&self, chat: i64, update: u32) -> bool {
        let s = self.state.lock().expect("door lock");
        s.updates.iter().any(|(u, c)| *c == chat && *u > update)
    }

    /// Every update let in and not done yet (their leases are renewed).
    pub fn held(&self) -> Vec<u32> {
        self.state.lock().expect("door lock").updates.keys().copied().collect()
    }

    /// The update let in is handled (or dropped): its chat has room for another.
    pub fn done(&self, update: u32) {
        let mut s = self.state.lock().expect("door lock");
        if let Some(chat) = s.updates.remove(&update)
            && let Some(c) = s.chats.get_mut(&chat)
        {
            c.in_flight = c.in_flight.saturating_sub(1);
        }
    }

    /// A guard that calls `done` when the handling of `update` ends, however it ends.
    pub fn ticket(self: &Arc<Self>, update: u32) -> Arc<Ticket> {
        Arc::new(Ticket {
            door: self.clone(),
            update,
        })
    }
}

/// Held while an update is handled (a dptree dependency); dropped, the door counts it done.
pub struct Ticket {
    door: Arc<Door>,
    update: u32,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.door.done(self.update);
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn an_update_is_held_from_its_admission_until_done() {
        let door = Door::new(DoorLimits::default());
        assert!(!door.holds(7));
        assert_eq!(door.admit(7, 9302, false), Verdict::Pass);
        assert!(door.holds(7), "let in: held until done (the inbox sweep leaves it)");
        assert_eq!(door.held(), vec![7]);
        assert_eq!(door.admit(9, 9302, false), Verdict::Pass);
        assert!(door.holds_after(9302, 7), "a newer one of the chat is in the works");
        assert!(!door.holds_after(9302, 9) && !door.holds_after(9303, 7));
        door.done(9);
        door.done(7);
        assert!(!door.holds(7));
        assert_eq!(door.admit_replay(8, 9302, false), Verdict::Pass);
        assert!(door.holds(8), "a replayed one too");
    }

    use super::*;

    #[test]
    fn a_flood_is_cut_at_the_burst_and_told_once_other_chats_pass() {
        let door = Door::new(DoorLimits::default());
        let mut passed = 0;
        let mut told = 0;
        for u in 0..150 {
            match door.admit(u, 1001, false) {
                Verdict::Pass => passed += 1,
                Verdict::Shed { reason, tell } => {
                    assert!(reason == "rate" || reason == "backlog", "{reason}");
                    told += usize::from(tell);
                }
            }
        }
        // The burst is let in, the rest is not.
        assert_eq!(passed, DoorLimits::default().chat_burst as usize);
        assert_eq!(told, 1, "told once per flood");
        assert_eq!(door.admit(1000, 1002, false), Verdict::Pass, "another chat is let in");
        // Handled ones make room; the rate still holds the flooder back.
        for u in 0..150 {
            door.done(u);
        }
        let more = (2000..2100)
            .filter(|u| door.admit(*u, 1001, false) == Verdict::Pass)
            .count();
        assert!(more < 5, "the burst is spent: {more}");
    }

    #[test]
    fn the_group_has_room_for_many_operators() {
        let door = Door::new(DoorLimits::default());
        let passed = (0..60)
            .filter(|u| {
                let v = door.admit(*u, -100, true);
                door.done(*u);
                v == Verdict::Pass
            })
            .count();
        assert_eq!(passed, 60);
    }

    #[test]
    fn replayed_updates_count_in_the_works_but_not_against_the_rate() {
        let door = Door::new(DoorLimits::default());
        let max = DoorLimits::default().chat_in_flight as u32;
        for u in 0..max {
            assert_eq!(door.admit_replay(u, 7, false), Verdict::Pass);
        }
        assert!(matches!(
            door.admit_replay(max, 7, false),
            Verdict::Shed { reason: "backlog", .. }
        ));
        for u in 0..max {
            door.done(u);
        }
        assert_eq!(door.admit(1000, 7, false), Verdict::Pass, "the rate was left whole");
    }

    #[test]
    fn a_ticket_frees_its_place_when_dropped() {
        let limits = DoorLimits {
            chat_in_flight: 1,
            ..Default::default()
        };
        assert!(
            DoorLimits::default().chat_in_flight < WORKER_QUEUE && DoorLimits::default().group_in_flight < WORKER_QUEUE
        );
        let door = Door::new(limits);
        assert_eq!(door.admit(1, 5, false), Verdict::Pass);
        assert!(matches!(
            door.admit(2, 5, false),
            Verdict::Shed { reason: "backlog", .. }
        ));
        drop(door.ticket(1));
        assert_eq!(door.admit(3, 5, false), Verdict::Pass);
    }
}
