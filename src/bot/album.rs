//! Albums: Telegram delivers several photos or documents sent together (one `media_group_id`)
//! as one update each, at once. Each is handled (every file is attached), but what the bot
//! would say after each is held back: only what it says after the last of the album goes
//! out, once the album has been quiet a moment — one answer to one album.

use crate::door::Door;
use crate::telegram::{Extras, Telegram};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::types::ChatId;

/// How long an album must be quiet before its answer goes: Telegram sends its parts within
/// milliseconds of each other.
pub const QUIET: Duration = Duration::from_millis(800);

/// How many times an answer waits another [`QUIET`] while a newer update of the chat is still
/// in the works here (the album's next part, queued behind a slow one): a busy moment does
/// not split one album's answer in two, and nothing waits for ever.
const PATIENCE: u32 = 20;

/// What one update of an album would have said.
pub struct Gathered {
    pub group: String,
    pub said: Mutex<Said>,
}

impl Gathered {
    pub fn new(group: &str) -> Self {
        Self {
            group: group.to_owned(),
            said: Mutex::new(Vec::new()),
        }
    }

    pub fn push(&self, text: String, extras: Extras) {
        self.said.lock().expect("album lock").push((text, extras));
    }
}

/// The albums being received, by chat and group: the newest part's number, and what the parts
/// before it said besides their last message (a refusal of one file: kept, not replaced).
#[derive(Default)]
pub struct Albums {
    latest: Mutex<HashMap<(i64, String), (u64, Said)>>,
}

/// Messages as they would have been sent.
type Said = Vec<(String, Extras)>;

impl Albums {
    /// `g` is what the newest part (update `update`) said: it goes out after [`QUIET`]
    /// unless another part of the same album comes first (then that one's answer replaces it);
    /// while a newer update of the chat is in the works here (`door`), it waits on.
    pub fn settle(self: &Arc<Self>, tg: &Telegram, door: &Arc<Door>, chat: ChatId, update: u32, g: Gathered) {
        let key = (chat.0, g.group.clone());
        let said = g.said.into_inner().expect("album lock");
        let number = {
            let mut latest = self.latest.lock().expect("albums lock");
            let (n, _) = latest.entry(key.clone()).or_default();
            *n += 1;
            *n
        };
        let (albums, tg, door) = (self.clone(), tg.clone(), door.clone());
        tokio::spawn(async move {
            tokio::time::sleep(QUIET).await;
            for _ in 0..PATIENCE {
                let superseded = albums
                    .latest
                    .lock()
                    .expect("albums lock")
                    .get(&key)
                    .is_none_or(|(n, _)| *n != number);
                if superseded || !door.holds_after(chat.0, update) {
                    break;
                }
                tokio::time::sleep(QUIET).await;
            }
            let earlier = {
                let mut latest = albums.latest.lock().expect("albums lock");
                match latest.get_mut(&key) {
                    Some((n, _)) if *n == number => latest.remove(&key).map(|(_, notes)| notes),
                    // A later part came: this one's notes stay, its last message gives way.
                    Some((_, notes)) => {
                        let mut said = said;
                        said.pop();
                        notes.extend(said);
                        return;
                    }
                    None => return,
                }
            };
            for (text, extras) in earlier.unwrap_or_default().into_iter().chain(said) {
                tg.queue_send(chat, text, extras);
            }
        });
    }
}
