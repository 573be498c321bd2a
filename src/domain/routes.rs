//! Departments: which operators' group each kind of item goes to (`OPERATOR_CHATS`), the
//! operators' group of `OPERATOR_CHAT_ID` taking whatever no mapping names. A mapping is
//! `what=group id`, separated by «;»: a kind (`connection`, `meter_request`, `meter`,
//! `appeal`, `complaint`, `request`, `document`, `dispute`, `billing` — a question about a
//! bill of a personal account —, `outage` — the appeals grouped on an outage's card) or `topic:<name>` (an appeal's or complaint's topic, as the
//! consumer chose it). The most specific one an item has wins: its topic, then billing, then
//! its kind.

/// What a mapping may name besides a topic.
pub const KINDS: [&str; 10] = [
    "connection",
    "meter_request",
    "meter",
    "appeal",
    "complaint",
    "request",
    "document",
    "dispute",
    "billing",
    "outage",
];

/// The mappings, in the order written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes(Vec<(String, i64)>);

/// A topic as compared: lower case, «ё» as «е», spaces single.
pub fn topic_key(topic: &str) -> String {
    let plain = topic.to_lowercase().replace('ё', "е");
    format!("topic:{}", plain.split_whitespace().collect::<Vec<_>>().join(" "))
}

impl Routes {
    /// `connection=-1001…;billing=-1002…;topic:Отключения и аварии=-1003…`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (what, id) = part
                .rsplit_once('=')
                .ok_or_else(|| format!("{part:?}: write it as what=group id, e.g. connection=-1001234567890"))?;
            let id: i64 = id
                .trim()
                .parse()
                .ok()
                .filter(|id| *id < 0)
                .ok_or_else(|| format!("{part:?}: a group's id is a negative number"))?;
            let what = what.trim();
            let key = match what.strip_prefix("topic:") {
                Some(t) if !t.trim().is_empty() => topic_key(t),
                Some(_) => return Err(format!("{part:?}: name the topic after topic:")),
                None if KINDS.contains(&what) => what.to_owned(),
                None => {
                    return Err(format!(
                        "{part:?}: {what:?} is none of {} nor topic:<name>",
                        KINDS.join(", ")
                    ));
                }
            };
            if out.iter().any(|(k, _)| *k == key) {
                return Err(format!("{what:?} is mapped twice"));
            }
            out.push((key, id));
        }
        Ok(Self(out))
    }

    /// The same mappings with the groups Telegram moved (`(from, to)`) at their new ids.
    pub fn moved(&self, moves: &[(i64, i64)]) -> Self {
        Self(
            self.0
                .iter()
                .map(|(k, id)| {
                    let to = moves.iter().find(|(f, _)| f == id).map_or(*id, |(_, t)| *t);
                    (k.clone(), to)
                })
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The group for an item with these keys (most specific first), if a mapping names one.
    pub fn chat_for(&self, keys: &[String]) -> Option<i64> {
        keys.iter()
            .find_map(|k| self.0.iter().find(|(m, _)| m == k).map(|(_, id)| *id))
    }

    /// The departments' groups, each once, in the order first written.
    pub fn chats(&self) -> Vec<i64> {
        let mut out: Vec<i64> = Vec::new();
        for (_, id) in &self.0 {
            if !out.contains(id) {
                out.push(*id);
            }
        }
        out
    }

    /// What a group takes, as written: «connection, topic:отключения и аварии».
    pub fn takes(&self, chat: i64) -> String {
        self.0
            .iter()
            .filter(|(_, id)| *id == chat)
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_read_and_the_most_specific_wins() {
        let r =
            Routes::parse("connection=-100200; billing=-100300 ; topic:Отключения  и аварии=-100400; appeal=-100300")
                .unwrap();
        let keys = |k: &[&str]| k.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(r.chat_for(&keys(&["connection"])), Some(-100200));
        assert_eq!(
            r.chat_for(&[topic_key("отключения и аварии"), "appeal".into()]),
            Some(-100400)
        );
        assert_eq!(r.chat_for(&keys(&["topic:другое", "billing", "appeal"])), Some(-100300));
        assert_eq!(r.chat_for(&keys(&["request"])), None, "the main group takes it");
        assert_eq!(r.chats(), vec![-100200, -100300, -100400]);
        assert_eq!(r.takes(-100300), "billing, appeal");
        assert!(Routes::parse("").unwrap().is_empty());
        for bad in [
            "connection",
            "connection=abc",
            "connection=100",
            "gas=-1",
            "topic:=-1",
            "appeal=-1;appeal=-2",
        ] {
            assert!(Routes::parse(bad).is_err(), "{bad}");
        }
    }
}
