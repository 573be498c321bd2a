//! `OPERATOR_TOPICS`: in a forum supergroup each kind of item has its topic («Обращения»,
//! «Технологическое присоединение», …), created by the bot the first time a card of the kind
//! is posted there and kept in `desk_topics`. A topic an operator deleted is forgotten and made
//! again by the next card; a group that is not a forum, or where the bot may not manage topics,
//! gets its cards in the general topic, as without the setting, and the log says why.

use super::DeskError;
use crate::clock::Clock;
use crate::config::Config;
use crate::i18n;
use crate::store::Store;
use crate::store::operators::ItemRef;
use crate::telegram::{SendError, Telegram};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use teloxide::types::{ChatId, MessageId, ThreadId};

/// How long a group that refused a topic is left alone before the bot tries again (an
/// administrator may turn topics on or give the right meanwhile).
const REFUSED_FOR: Duration = Duration::from_secs(600);

/// A kind's topic in a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub kind: &'static str,
    pub thread: ThreadId,
}

/// The topic's name for a kind of item (a route key of `OPERATOR_CHATS`); none for keys that
/// are not kinds (`topic:…`).
pub fn name_key(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "connection" => "desk.topic.connection",
        "meter_request" => "desk.topic.meter_request",
        "meter" => "desk.topic.meter",
        "appeal" => "desk.topic.appeal",
        "complaint" => "desk.topic.complaint",
        "request" => "desk.topic.request",
        "document" => "desk.topic.document",
        "billing" => "desk.topic.billing",
        "outage" => "desk.topic.outage",
        "dispute" => "desk.topic.dispute",
        _ => return None,
    })
}

/// The kind whose topic an item's card goes to: the first of its route keys that is a kind
/// («billing» before «appeal» for a question about a bill).
fn kind_of(keys: &[String]) -> Option<&'static str> {
    const KINDS: [&str; 9] = [
        "connection",
        "meter_request",
        "meter",
        "appeal",
        "complaint",
        "request",
        "document",
        "billing",
        "outage",
    ];
    keys.iter()
        .find_map(|k| KINDS.iter().find(|kind| **kind == k.as_str()).copied())
}

/// Groups that refused a topic lately (not a forum, no right), with when.
fn refused() -> &'static Mutex<HashMap<i64, Instant>> {
    static REFUSED: std::sync::OnceLock<Mutex<HashMap<i64, Instant>>> = std::sync::OnceLock::new();
    REFUSED.get_or_init(Default::default)
}

pub struct Topics<'a> {
    pub tg: &'a Telegram,
    pub store: &'a Store,
    pub config: &'a Config,
    pub clock: &'a Clock,
    pub group: ChatId,
}

impl Topics<'_> {
    /// The topic an item's card is posted in: none with topics off, for an item of no kind's
    /// topic, or in a group that refused.
    pub async fn of(&self, item: ItemRef) -> Result<Option<Topic>, DeskError> {
        if !self.config.operator_topics {
            return Ok(None);
        }
        let keys = super::route_keys(self.store, item.kind.into(), item.id).await?;
        let Some(kind) = kind_of(&keys) else {
            return Ok(None);
        };
        self.kind(kind).await
    }

    /// The kind's topic in the group, created if it has none; none with topics off.
    pub async fn kind(&self, kind: &'static str) -> Result<Option<Topic>, DeskError> {
        if !self.config.operator_topics {
            return Ok(None);
        }
        let chat = self.group.0;
        if let Some(thread) = self.store.desk_topic(chat, kind).await? {
            return Ok(Some(topic(kind, thread)));
        }
        let lately = refused().lock().unwrap().get(&chat).copied();
        if lately.is_some_and(|at| at.elapsed() < REFUSED_FOR) {
            return Ok(None);
        }
        let Some(name_key) = name_key(kind) else {
            return Ok(None);
        };
        let name = i18n::t(&self.config.default_locale, name_key);
        match self.tg.create_forum_topic(self.group, &name).await {
            Ok(thread) => {
                let made = i64::from(thread.0.0);
                let kept = self.store.save_desk_topic(chat, kind, made, self.clock.now()).await?;
                tracing::info!(
                    chat,
                    kind,
                    thread = kept,
                    "a topic for the kind's cards was made in the operators' group"
                );
                Ok(Some(topic(kind, kept)))
            }
            // Not a forum, or no right to manage topics: the general topic, as without topics.
            Err(e @ SendError::Refused(_)) => {
                tracing::warn!(chat, error = %e, "OPERATOR_TOPICS: no topic could be made in the operators' group (turn topics on, let the bot manage topics): cards go to its general topic");
                refused().lock().unwrap().insert(chat, Instant::now());
                Ok(None)
            }
            // Removed from the group, or it moved: the send that follows meets the same and is
            // handled as any card's.
            Err(e) if e.is_permanent() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A topic Telegram no longer knows, forgotten; its kind's new one (or none).
    pub async fn instead_of(&self, gone: Option<Topic>) -> Result<Option<Topic>, DeskError> {
        let Some(gone) = gone else {
            return Ok(None);
        };
        let thread = i64::from(gone.thread.0.0);
        self.store.forget_desk_topic(self.group.0, gone.kind, thread).await?;
        tracing::warn!(
            chat = self.group.0,
            kind = gone.kind,
            "a topic of the operators' group is gone (deleted?): made again"
        );
        self.kind(gone.kind).await
    }
}

fn topic(kind: &'static str, thread: i64) -> Topic {
    Topic {
        kind,
        thread: ThreadId(MessageId(thread as i32)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_goes_to_the_first_kind_among_its_route_keys() {
        let keys = |k: &[&str]| k.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            kind_of(&keys(&["topic:Качество воды", "billing", "appeal"])),
            Some("billing")
        );
        assert_eq!(
            kind_of(&keys(&["topic:Отключения и аварии", "outage", "appeal"])),
            Some("outage")
        );
        assert_eq!(kind_of(&keys(&["topic:Другое"])), None);
        for kind in [
            "connection",
            "meter_request",
            "meter",
            "appeal",
            "complaint",
            "request",
            "document",
            "billing",
            "outage",
        ] {
            let key = name_key(kind).unwrap();
            assert_ne!(i18n::t("ru", key), key, "{key} has a Russian name");
            assert_ne!(i18n::t("en", key), key, "{key} has an English name");
        }
    }
}
