//! Albums: Telegram delivers several photos or documents sent together (one `media_group_id`)
//! as one update each, at once. Each is handled (every file is attached), but what the bot
//! would say after each is held back: only what it says after the last of the album goes
//! out, once the album has been quiet a moment — one answer to one album.

use crate::telegram::{Extras, Telegram};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::types::ChatId;

/// How long an album must be quiet before its answer goes: Telegram sends its parts within
/// milliseconds of each other.
pub const QUIET: Duration = Duration::from_millis(800);

/// What one update of an album would have said.
pub struct Gathered {
    pub group: String,
    pub said: Mutex<Vec<(String, Extras)>>,
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

/// The albums being received, by chat and group: the newest part's number.
#[derive(Default)]
pub struct Albums {
    latest: Mutex<HashMap<(i64, String), u64>>,
}

impl Albums {
    /// `g` is what the newest part said: it goes out after [`QUIET`] unless another part of
    /// the same album comes first (then that one's answer replaces it).
    pub fn settle(self: &Arc<Self>, tg: &Telegram, chat: ChatId, g: Gathered) {
        let key = (chat.0, g.group.clone());
        let number = {
            let mut latest = self.latest.lock().expect("albums lock");
            let n = latest.entry(key.clone()).or_insert(0);
            *n += 1;
            *n
        };
        let said = g.said.into_inner().expect("album lock");
        let (albums, tg) = (self.clone(), tg.clone());
        tokio::spawn(async move {
            tokio::time::sleep(QUIET).await;
            let last = {
                let mut latest = albums.latest.lock().expect("albums lock");
                let last = latest.get(&key) == Some(&number);
                if last {
                    latest.remove(&key);
                }
                last
            };
            if last {
                for (text, extras) in said {
                    tg.queue_send(chat, text, extras);
                }
            }
        });
    }
}
