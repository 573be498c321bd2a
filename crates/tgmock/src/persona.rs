//! Test personas: a Telegram user and the updates their actions cause.

use crate::{BotMessage, message_json, now_unix};
use serde_json::{Value, json};

/// A Telegram user as a test persona, with helpers that build the updates they would cause.
#[derive(Debug, Clone)]
pub struct TgUser {
    pub id: i64,
    pub first_name: String,
    pub language_code: Option<String>,
}

impl TgUser {
    pub fn new(id: i64, first_name: &str) -> Self {
        Self {
            id,
            first_name: first_name.to_owned(),
            language_code: Some("ru".into()),
        }
    }

    pub fn with_language(mut self, code: &str) -> Self {
        self.language_code = Some(code.to_owned());
        self
    }

    pub fn user_json(&self) -> Value {
        let mut u = json!({ "id": self.id, "is_bot": false, "first_name": self.first_name });
        if let Some(l) = &self.language_code {
            u["language_code"] = json!(l);
        }
        u
    }

    fn private_chat(&self) -> Value {
        json!({ "id": self.id, "type": "private", "first_name": self.first_name })
    }

    /// A message with arbitrary content fields (`text`, `photo`, `sticker`, `contact`…).
    pub fn message(&self, message_id: i64, content: Value) -> Value {
        let mut m = json!({
            "message_id": message_id,
            "date": now_unix(),
            "chat": self.private_chat(),
            "from": self.user_json(),
        });
        if let (Some(m), Some(c)) = (m.as_object_mut(), content.as_object()) {
            for (k, v) in c {
                m.insert(k.clone(), v.clone());
            }
        }
        json!({ "message": m })
    }

    pub fn text(&self, message_id: i64, text: &str) -> Value {
        let mut content = json!({ "text": text });
        if text.starts_with('/') {
            let len = text
                .split_whitespace()
                .next()
                .map(|c| c.encode_utf16().count())
                .unwrap_or(0);
            content["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": len }]);
        }
        self.message(message_id, content)
    }

    pub fn sticker(&self, message_id: i64) -> Value {
        self.message(
            message_id,
            json!({ "sticker": {
                "file_id": "CAACAgIAAxkBAAE", "file_unique_id": "AgADsticker", "type": "regular",
                "width": 512, "height": 512, "is_animated": false, "is_video": false
            }}),
        )
    }

    pub fn photo(&self, message_id: i64) -> Value {
        self.message(
            message_id,
            json!({ "photo": [{ "file_id": "AgACAgIAAxkBAAphoto", "file_unique_id": "AQADphoto", "width": 90, "height": 90, "file_size": 1000 }] }),
        )
    }

    /// Photos sent together as an album: one message each, sharing `media_group_id`, as
    /// Telegram delivers them (one update each, one after another).
    pub fn album(&self, first_message_id: i64, photos: usize, group: &str) -> Vec<Value> {
        (0..photos)
            .map(|i| {
                let id = first_message_id + i as i64;
                self.message(
                    id,
                    json!({
                        "media_group_id": group,
                        "photo": [{ "file_id": format!("AgACAgIAAxkBAAalbum{id}"), "file_unique_id": format!("AQADalbum{id}"), "width": 90, "height": 90, "file_size": 1000 }]
                    }),
                )
            })
            .collect()
    }

    /// A press on a button under a message older than 48 hours: Telegram no longer gives the
    /// message, only its chat and id, with `date` 0 (an inaccessible message).
    pub fn press_old(&self, query_id: &str, message_id: i64, data: &str) -> Value {
        json!({ "callback_query": {
            "id": query_id,
            "from": self.user_json(),
            "message": {
                "chat": { "id": self.id, "type": "private", "first_name": self.first_name },
                "message_id": message_id,
                "date": 0,
            },
            "chat_instance": format!("ci{}", self.id),
            "data": data,
        }})
    }

    pub fn voice(&self, message_id: i64) -> Value {
        self.message(
            message_id,
            json!({ "voice": { "file_id": "AwACAgIAAxkBAAvoice", "file_unique_id": "AgADvoice", "duration": 3, "mime_type": "audio/ogg", "file_size": 5000 } }),
        )
    }

    /// A document (PDF, DOCX…) as Telegram delivers it.
    pub fn document(&self, message_id: i64, file_name: &str, mime: &str, size: u64) -> Value {
        self.message(
            message_id,
            json!({ "document": {
                "file_id": format!("BQACAgIAAxkBAAdoc{message_id}"), "file_unique_id": format!("AgADdoc{message_id}"),
                "file_name": file_name, "mime_type": mime, "file_size": size
            }}),
        )
    }

    /// Telegram's «share my number» (or a forwarded contact of someone else, by `owner`).
    pub fn contact(&self, message_id: i64, phone: &str, owner: Option<i64>) -> Value {
        let mut c = json!({ "phone_number": phone, "first_name": self.first_name });
        if let Some(id) = owner {
            c["user_id"] = json!(id);
        }
        self.message(message_id, json!({ "contact": c }))
    }

    /// A message in a group (`chat_id` < 0), optionally replying to a bot message there, with
    /// content fields as in `message`.
    pub fn in_group(&self, chat_id: i64, message_id: i64, reply_to: Option<&BotMessage>, content: Value) -> Value {
        let mut m = json!({
            "message_id": message_id,
            "date": now_unix(),
            "chat": { "id": chat_id, "type": "supergroup", "title": "Operators" },
            "from": self.user_json(),
        });
        if let Some(r) = reply_to {
            m["reply_to_message"] = message_json(r);
        }
        if let (Some(m), Some(c)) = (m.as_object_mut(), content.as_object()) {
            for (k, v) in c {
                m.insert(k.clone(), v.clone());
            }
        }
        json!({ "message": m })
    }

    /// What an admin who writes anonymously (as the group) sends: Telegram gives it from
    /// `GroupAnonymousBot` with the group as `sender_chat`.
    pub fn anonymous_in_group(chat_id: i64, message_id: i64, reply_to: Option<&BotMessage>, content: Value) -> Value {
        let anon = TgUser {
            id: 1_087_968_824,
            first_name: "Group".into(),
            language_code: None,
        };
        let mut update = anon.in_group(chat_id, message_id, reply_to, content);
        let m = &mut update["message"];
        m["from"] =
            json!({ "id": 1_087_968_824i64, "is_bot": true, "first_name": "Group", "username": "GroupAnonymousBot" });
        m["sender_chat"] = json!({ "id": chat_id, "type": "supergroup", "title": "Operators" });
        update
    }

    /// The same message as edited by its author: Telegram sends `edited_message` with the new
    /// content and an `edit_date`.
    pub fn edited(update: &Value, content: Value) -> Value {
        let mut m = update["message"].clone();
        if let (Some(m), Some(c)) = (m.as_object_mut(), content.as_object()) {
            for (k, v) in c {
                m.insert(k.clone(), v.clone());
            }
            m.insert("edit_date".into(), json!(now_unix()));
        }
        json!({ "edited_message": m })
    }

    /// A press on an inline button of a message the bot sent.
    pub fn press(&self, query_id: &str, on: &BotMessage, data: &str) -> Value {
        json!({ "callback_query": {
            "id": query_id,
            "from": self.user_json(),
            "message": message_json(on),
            "chat_instance": format!("ci{}", self.id),
            "data": data,
        }})
    }
}
