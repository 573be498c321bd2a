//! A local Telegram Bot API server for tests.
//!
//! It speaks the Bot API methods the bot uses over real HTTP (teloxide talks to it through
//! `set_api_url`), hands out the updates a test pushes through long polling with offsets, and
//! records everything the bot does per chat, so a test can wait for a message that matches and
//! press one of its buttons. Files keep their bytes: what the bot uploads and what a caller puts
//! with `put_file` can be fetched back by file id (`getFile` and the download path). The same
//! server backs `kabinet sandbox`.

pub mod html;
mod persona;
mod rules;
mod server;
mod webhook;

pub use axum::body::Bytes;
pub use persona::TgUser;
pub use rules::{MAX_CALLBACK_DATA, MAX_CAPTION, MAX_TEXT};

use axum::Router;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use rules::{FailCall, Faults};
use serde_json::{Value, json};
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

pub const BOT_ID: i64 = 7_000_000_001;
pub const BOT_USERNAME: &str = "kabinet_test_bot";

/// How many calls are remembered for `calls` (the older half is forgotten past it).
pub(crate) const MAX_CALLS: usize = 200_000;

/// What the bot did, in order, per chat.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Sent(BotMessage),
    Edited(BotMessage),
    Deleted {
        chat_id: i64,
        message_id: i64,
    },
    /// `answerCallbackQuery`: the little notice (or alert) Telegram shows over the chat.
    CallbackAnswered {
        query_id: String,
        text: Option<String>,
        show_alert: bool,
    },
}

/// A file the server holds: uploaded by the bot or put by a caller.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub name: String,
    pub mime: String,
    pub bytes: Bytes,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BotMessage {
    pub chat_id: i64,
    pub message_id: i64,
    /// The text, or a document's caption.
    pub text: String,
    /// A sent document: its file id, or `upload:<file name>` with the uploaded bytes' length.
    pub document: Option<String>,
    /// The message this one replies to.
    pub reply_to: Option<i64>,
    pub parse_mode: Option<String>,
    /// The markup as sent: an inline keyboard, a reply keyboard or a removal.
    pub reply_markup: Option<Value>,
    /// The forum topic it is in (`message_thread_id`): given, or the topic of the message it
    /// replies to, as Telegram places a reply.
    pub thread: Option<i64>,
}

impl BotMessage {
    /// Inline buttons as (text, callback data), row by row flattened.
    pub fn inline_buttons(&self) -> Vec<(String, String)> {
        self.reply_markup
            .as_ref()
            .and_then(|m| m.get("inline_keyboard"))
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .map(|b| {
                        (
                            b["text"].as_str().unwrap_or_default().to_owned(),
                            b["callback_data"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Reply-keyboard button texts, if the message carried a reply keyboard.
    pub fn keyboard_buttons(&self) -> Vec<String> {
        self.reply_markup
            .as_ref()
            .and_then(|m| m.get("keyboard"))
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .filter_map(|b| b["text"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn removes_keyboard(&self) -> bool {
        self.reply_markup
            .as_ref()
            .is_some_and(|m| m.get("remove_keyboard").is_some())
    }
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) next_update_id: i64,
    /// `getUpdates` calls so far: a newer one ends an older one still waiting, as Telegram
    /// does (409 to the older).
    pub(crate) polls: u64,
    pub(crate) updates: VecDeque<(i64, Value)>,
    pub(crate) events: VecDeque<Event>,
    /// The index of `events[0]` among every event ever recorded (older ones are forgotten
    /// past the bounds).
    pub(crate) events_base: usize,
    /// Each message the bot sent, as it is now (after edits), by id; deleted ones removed.
    pub(crate) latest: std::collections::BTreeMap<i64, BotMessage>,
    /// File ids in the order they were kept, and their bytes in all.
    pub(crate) file_order: VecDeque<String>,
    pub(crate) file_bytes: usize,
    pub(crate) bounds: Bounds,
    /// Every Bot API call by method name, for assertions on what the bot asked.
    pub(crate) calls: Vec<(String, Value)>,
    pub(crate) files: std::collections::HashMap<String, StoredFile>,
    pub(crate) next_file: u64,
    /// Callback queries already answered: Telegram takes one answer per query.
    pub(crate) answered: HashSet<String>,
    /// Messages people sent (chat, message), which the bot may delete once.
    pub(crate) incoming: HashSet<(i64, i64)>,
    /// The sizes of files in updates (people's documents and photos), by file id.
    pub(crate) file_sizes: std::collections::HashMap<String, u64>,
    /// Groups the server knows (`getChat`), with the bot's status in each (`getChatMember`).
    pub(crate) groups: std::collections::HashMap<i64, (String, String)>,
    /// Set by `setWebhook`: updates are posted there, `getUpdates` refused.
    pub(crate) webhook: Option<webhook::Hook>,
    /// The kinds of update the bot asked for (`allowed_updates`), if it did, and the first
    /// update that setting applies to (earlier ones still come, as Telegram says).
    pub(crate) allowed: Option<Vec<String>>,
    pub(crate) allowed_since: i64,
    /// Where webhook posts go in turn instead of the webhook's own host (`balance`).
    pub(crate) backends: Vec<String>,
    pub(crate) next_backend: usize,
    /// Forum supergroups (topics on): their topics by thread id, and whether the bot may
    /// create topics there (`can_manage_topics`).
    pub(crate) forums: std::collections::HashMap<i64, Forum>,
    /// The topics of people's messages in forums (chat, message → thread).
    pub(crate) incoming_threads: std::collections::HashMap<(i64, i64), i64>,
}

impl Inner {
    /// The forum topic a message (the bot's or a person's) is in.
    pub(crate) fn thread_of_message(&self, chat: i64, message: i64) -> Option<i64> {
        self.latest
            .get(&message)
            .filter(|m| m.chat_id == chat)
            .and_then(|m| m.thread)
            .or_else(|| self.incoming_threads.get(&(chat, message)).copied())
    }
}

#[derive(Default)]
pub(crate) struct Forum {
    pub(crate) topics: std::collections::BTreeMap<i64, String>,
    pub(crate) bot_manages_topics: bool,
}

/// How much a long-running server (the sandbox) remembers; tests keep everything.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub events: usize,
    pub messages: usize,
    pub file_bytes: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            events: usize::MAX,
            messages: usize::MAX,
            file_bytes: usize::MAX,
        }
    }
}

/// What a guarded server accepts (see `MockBotApi::guard`).
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    pub host: String,
    pub token: String,
}

pub(crate) struct Shared {
    pub(crate) guard: Mutex<Option<Guard>>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) inner: Mutex<Inner>,
    pub(crate) new_update: Notify,
    pub(crate) new_event: Notify,
    pub(crate) next_message_id: AtomicI64,
    pub(crate) max_long_poll: Duration,
}

/// The running server. Dropping it stops it.
pub struct MockBotApi {
    shared: Arc<Shared>,
    port: u16,
    task: tokio::task::JoinHandle<()>,
    hook_task: tokio::task::JoinHandle<()>,
}

impl Drop for MockBotApi {
    fn drop(&mut self) {
        self.task.abort();
        self.hook_task.abort();
    }
}

pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

impl MockBotApi {
    /// Starts on a free loopback port. Long polls are answered within a second so a stopping
    /// bot is never held up by one.
    pub async fn start() -> Self {
        let shared = Arc::new(Shared {
            guard: Mutex::new(None),
            faults: Mutex::new(Faults::default()),
            inner: Mutex::new(Inner {
                next_update_id: 1,
                ..Default::default()
            }),
            new_update: Notify::new(),
            new_event: Notify::new(),
            next_message_id: AtomicI64::new(1),
            max_long_poll: Duration::from_secs(1),
        });
        let app = Router::new()
            .route("/{*path}", any(server::handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let hook_task = tokio::spawn(webhook::deliver(shared.clone()));
        Self {
            shared,
            port,
            task,
            hook_task,
        }
    }

    /// Accept only requests that name this server's own address as Host, carry `token` and
    /// send JSON or a form; refuse a webhook that points away from this machine. For a server
    /// a browser could reach (the sandbox's): no other page, nor a name rebound to loopback,
    /// can drive it.
    pub fn guard(&self, token: &str) {
        *self.shared.guard.lock().unwrap() = Some(Guard {
            host: format!("127.0.0.1:{}", self.port),
            token: token.to_owned(),
        });
    }

    /// The address to give teloxide (`Bot::set_api_url`) or the binary (`TELOXIDE_API_URL`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn next_message_id(&self) -> i64 {
        self.shared.next_message_id.fetch_add(1, Ordering::SeqCst)
    }

    /// Numbers the next updates and messages from these on (never lower than now): a server
    /// started again for the same bot database must not hand out ids the bot has seen.
    pub fn continue_from(&self, update_id: i64, message_id: i64) {
        {
            let mut inner = self.shared.inner.lock().unwrap();
            inner.next_update_id = inner.next_update_id.max(update_id);
        }
        self.shared.next_message_id.fetch_max(message_id, Ordering::SeqCst);
    }

    /// Queues an update (the `update_id` is filled in) and returns its id.
    pub fn push_update(&self, mut update: Value) -> i64 {
        let id = {
            let mut inner = self.shared.inner.lock().unwrap();
            let id = inner.next_update_id;
            inner.next_update_id += 1;
            update["update_id"] = json!(id);
            // A reply in a forum topic is in that topic, as Telegram marks it.
            let (chat, replied) = (
                update["message"]["chat"]["id"].as_i64(),
                update["message"]["reply_to_message"]["message_id"].as_i64(),
            );
            let mut thread = chat.zip(replied).and_then(|(c, r)| inner.thread_of_message(c, r));
            // Written in a topic, replying to nothing: Telegram gives it as a reply to the
            // topic's first message, the service message that made the topic (the bot's: the
            // server's topics are made by `createForumTopic`).
            let given = update["message"]["message_thread_id"].as_i64();
            if let (Some(c), Some(t), None) = (chat, given, replied) {
                let name = inner.forums.get(&c).and_then(|f| f.topics.get(&t)).cloned();
                if let Some(name) = name {
                    update["message"]["reply_to_message"] = json!({
                        "message_id": t, "date": now_unix(), "chat": chat_json(c), "from": bot_user(),
                        "message_thread_id": t, "is_topic_message": true,
                        "forum_topic_created": { "name": name, "icon_color": 7_322_096 }
                    });
                    thread = Some(t);
                }
            }
            if let Some(thread) = thread {
                update["message"]["message_thread_id"] = json!(thread);
                update["message"]["is_topic_message"] = json!(true);
            }
            let m = &update["message"];
            if let (Some(chat), Some(message)) = (m["chat"]["id"].as_i64(), m["message_id"].as_i64()) {
                inner.incoming.insert((chat, message));
                if let Some(thread) = thread {
                    inner.incoming_threads.insert((chat, message), thread);
                }
            }
            // The sizes of the files people send: `getFile` refuses what a bot may not download.
            let sent_files = m["document"]
                .as_object()
                .into_iter()
                .chain(m["photo"].as_array().into_iter().flatten().filter_map(Value::as_object));
            for f in sent_files {
                if let (Some(fid), Some(size)) = (
                    f.get("file_id").and_then(Value::as_str),
                    f.get("file_size").and_then(Value::as_u64),
                ) {
                    inner.file_sizes.insert(fid.to_owned(), size);
                }
            }
            inner.updates.push_back((id, update));
            id
        };
        self.shared.new_update.notify_waiters();
        id
    }

    /// Updates handed out but not yet confirmed by a later offset, plus those never handed out.
    pub fn pending_updates(&self) -> usize {
        self.shared.inner.lock().unwrap().updates.len()
    }

    /// How many events were recorded: a cursor for `wait_event` without copying them.
    pub fn event_count(&self) -> usize {
        let inner = self.shared.inner.lock().unwrap();
        inner.events_base + inner.events.len()
    }

    /// The events remembered (all of them unless `bound_memory` was asked for).
    pub fn events(&self) -> Vec<Event> {
        self.shared.inner.lock().unwrap().events.iter().cloned().collect()
    }

    /// Remember at most this much: the oldest events, messages and files are forgotten past
    /// it (a server left running, as the sandbox's, must not grow without end).
    pub fn bound_memory(&self, bounds: Bounds) {
        let mut inner = self.shared.inner.lock().unwrap();
        inner.bounds = bounds;
        trim(&mut inner);
    }

    pub fn events_for(&self, chat_id: i64) -> Vec<Event> {
        self.events()
            .into_iter()
            .filter(|e| match e {
                Event::Sent(m) | Event::Edited(m) => m.chat_id == chat_id,
                Event::Deleted { chat_id: c, .. } => *c == chat_id,
                Event::CallbackAnswered { .. } => false,
            })
            .collect()
    }

    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.shared
            .inner
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|(m, _)| m.eq_ignore_ascii_case(method))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Waits until an event at index `from` or later satisfies `pred`; returns its index and
    /// the event, or `None` after `timeout`.
    pub async fn wait_event(
        &self,
        from: usize,
        timeout: Duration,
        mut pred: impl FnMut(&Event) -> bool,
    ) -> Option<(usize, Event)> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.new_event.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let inner = self.shared.inner.lock().unwrap();
                let base = inner.events_base;
                let skip = from.saturating_sub(base);
                if let Some((i, e)) = inner.events.iter().enumerate().skip(skip).find(|(_, e)| pred(e)) {
                    return Some((base + i, e.clone()));
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Waits until every pushed update has been confirmed by the bot (a later offset).
    pub async fn wait_updates_confirmed(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if self.pending_updates() == 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    fn record(&self, e: Event) {
        record(&self.shared, e);
    }

    /// The next `n` sending calls fail with HTTP `status` (e.g. 500).
    pub fn fail_next(&self, n: usize, status: u16) {
        self.shared
            .faults
            .lock()
            .unwrap()
            .fail_next
            .extend(std::iter::repeat_n(status, n));
    }

    /// The next `n` getUpdates calls are answered with something that is not JSON, as a broken
    /// proxy would.
    pub fn garbage_next(&self, n: usize) {
        self.shared.faults.lock().unwrap().garbage_next += n;
    }

    /// The next `n` getUpdates calls lose their connection: the answer starts and the
    /// connection is cut before it is complete, as a failing network or proxy would. The
    /// updates stay queued.
    pub fn drop_next(&self, n: usize) {
        self.shared.faults.lock().unwrap().drop_next += n;
    }

    /// After `skip` more calls of `method` (e.g. "sendDocument"), the next `times` calls of it
    /// are answered with HTTP `status` (0: the connection is cut before an answer), and
    /// nothing is done.
    pub fn fail_call(&self, method: &str, skip: usize, times: usize, status: u16) {
        self.shared.faults.lock().unwrap().fail_calls.push(FailCall {
            method: method.to_ascii_lowercase(),
            skip,
            times,
            status,
        });
    }

    /// The next `n` updates posted to the webhook are posted once more after the bot answered
    /// 200, as Telegram does when it did not see the answer in time (a proxy's timeout, a
    /// connection dropped after the response): the same update, the same `update_id`.
    pub fn repost_next(&self, n: usize) {
        self.shared.faults.lock().unwrap().webhook_reposts += n;
    }

    /// Updates posted to the webhook a second time so far (see `repost_next`).
    pub fn reposted(&self) -> usize {
        self.shared.faults.lock().unwrap().webhook_reposted
    }

    /// The next sending call is refused with 429 and this `retry_after`.
    pub fn retry_after_next(&self, secs: u32) {
        self.shared.faults.lock().unwrap().retry_after_next = Some(secs);
    }

    /// Sending to this chat answers 403: the user blocked the bot.
    pub fn block_chat(&self, chat_id: i64) {
        self.shared.faults.lock().unwrap().blocked.insert(chat_id);
    }

    /// Enforce Telegram's limits like the real service: 429 past 30 messages/s overall, past
    /// a short burst (3) and 1/s in one private chat, past 20/min in a group; `retry_after`
    /// names the seconds until the call would pass.
    pub fn enforce_limits(&self, on: bool) {
        self.shared.faults.lock().unwrap().enforce_limits = on;
    }

    /// A group the bot was added to, with its title and the bot's status in it (`member`,
    /// `administrator`, `restricted` — which may not post —, `left`, `kicked`). Others are
    /// «chat not found» to `getChat` and `getChatMember`, as Telegram answers.
    pub fn add_group(&self, chat_id: i64, title: &str, bot_status: &str) {
        self.shared
            .inner
            .lock()
            .unwrap()
            .groups
            .insert(chat_id, (title.to_owned(), bot_status.to_owned()));
    }

    /// The group becomes a forum (topics on). `bot_manages_topics`: the bot is an
    /// administrator allowed to manage topics, so `createForumTopic` works.
    pub fn make_forum(&self, chat_id: i64, bot_manages_topics: bool) {
        self.shared.inner.lock().unwrap().forums.insert(
            chat_id,
            Forum {
                topics: Default::default(),
                bot_manages_topics,
            },
        );
    }

    /// The forum's topics as (thread id, name), oldest first.
    pub fn forum_topics(&self, chat_id: i64) -> Vec<(i64, String)> {
        let inner = self.shared.inner.lock().unwrap();
        inner.forums.get(&chat_id).map_or_else(Vec::new, |f| {
            f.topics.iter().map(|(id, name)| (*id, name.clone())).collect()
        })
    }

    /// An operator deletes a topic (with its messages, as Telegram does).
    pub fn delete_forum_topic(&self, chat_id: i64, thread: i64) {
        let mut inner = self.shared.inner.lock().unwrap();
        if let Some(f) = inner.forums.get_mut(&chat_id) {
            f.topics.remove(&thread);
        }
        inner
            .latest
            .retain(|_, m| !(m.chat_id == chat_id && m.thread == Some(thread)));
        let gone: Vec<(i64, i64)> = inner
            .incoming_threads
            .iter()
            .filter(|(k, t)| k.0 == chat_id && **t == thread)
            .map(|(k, _)| *k)
            .collect();
        for k in gone {
            inner.incoming.remove(&k);
            inner.incoming_threads.remove(&k);
        }
    }

    /// The group becomes a supergroup with the id `to`, as Telegram does it: every call about
    /// the old id is answered 400 with `migrate_to_chat_id`. (The service messages that tell
    /// the bot come with `migration_messages`.)
    pub fn migrate_group(&self, from: i64, to: i64) {
        {
            let mut inner = self.shared.inner.lock().unwrap();
            let known = inner.groups.get(&from).cloned();
            let (title, status) = known.unwrap_or_else(|| ("Группа".into(), "member".into()));
            inner.groups.insert(to, (title, status));
        }
        self.shared.faults.lock().unwrap().migrated.insert(from, to);
    }

    /// The service messages of a migration, as the bot gets them: `migrate_to_chat_id` in the
    /// old group, `migrate_from_chat_id` in the new one.
    pub fn migration_messages(&self, from: i64, to: i64, by: &TgUser) {
        let now = now_unix();
        let (m1, m2) = (self.next_message_id(), self.next_message_id());
        self.push_update(json!({ "message": {
            "message_id": m1, "date": now, "from": by.user_json(),
            "chat": { "id": from, "type": "group", "title": "Группа" },
            "migrate_to_chat_id": to,
        }}));
        self.push_update(json!({ "message": {
            "message_id": m2, "date": now, "from": by.user_json(),
            "chat": { "id": to, "type": "supergroup", "title": "Группа" },
            "migrate_from_chat_id": from,
        }}));
    }

    /// An admin `by` removes the bot from the group (`kicked`) or lets it back (`member`): the
    /// bot gets `my_chat_member`; while removed, every call about the group is 403.
    pub fn set_bot_in_group(&self, chat_id: i64, status: &str, by: &TgUser) {
        let old = {
            let mut f = self.shared.faults.lock().unwrap();
            let was_kicked = f.kicked.contains(&chat_id);
            if status == "kicked" || status == "left" {
                f.kicked.insert(chat_id);
            } else {
                f.kicked.remove(&chat_id);
            }
            if was_kicked { "kicked" } else { "member" }
        };
        if let Some(g) = self.shared.inner.lock().unwrap().groups.get_mut(&chat_id) {
            g.1 = status.to_owned();
        }
        let bot = json!({ "id": BOT_ID, "is_bot": true, "first_name": "Kabinet", "username": BOT_USERNAME });
        let member = |status: &str| match status {
            "kicked" => json!({ "user": bot, "status": "kicked", "until_date": 0 }),
            s => json!({ "user": bot, "status": s }),
        };
        let kind = if chat_id <= -1_000_000_000_000 {
            "supergroup"
        } else {
            "group"
        };
        self.push_update(json!({ "my_chat_member": {
            "chat": { "id": chat_id, "type": kind, "title": "Группа" },
            "from": by.user_json(),
            "date": now_unix(),
            "old_chat_member": member(old),
            "new_chat_member": member(status),
        }}));
    }

    /// Webhook posts go to these `host:port`s in turn (the URL's path kept), as a load
    /// balancer in front of several replicas passes them on; one that refuses the connection
    /// has its update posted again to the next.
    pub fn balance(&self, backends: Vec<String>) {
        let mut inner = self.shared.inner.lock().unwrap();
        inner.backends = backends;
        inner.next_backend = 0;
    }

    /// The webhook the bot set (its URL), if any.
    pub fn webhook_url(&self) -> Option<String> {
        self.shared
            .inner
            .lock()
            .unwrap()
            .webhook
            .as_ref()
            .map(|h| h.url.clone())
    }

    /// How many calls were answered 429 for going over the limits.
    pub fn too_many_requests(&self) -> usize {
        self.shared.faults.lock().unwrap().too_many_requests
    }

    /// Messages the bot sent with `allow_paid_broadcast` (each costs it 0.1 Star).
    pub fn paid_messages(&self) -> usize {
        self.shared.faults.lock().unwrap().paid_sent
    }

    /// A message the bot sent, as it is now (after edits); `None` once deleted.
    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<BotMessage> {
        current_message(&self.shared.inner.lock().unwrap(), chat_id, message_id)
    }

    /// Keeps a file as if a user had sent it to Telegram; returns its file id.
    pub fn put_file(&self, name: &str, mime: &str, bytes: Bytes) -> String {
        store_file(&self.shared, "BQ", name, mime, bytes)
    }

    /// A file the server holds (uploaded by the bot or put by a caller).
    pub fn file(&self, file_id: &str) -> Option<StoredFile> {
        self.shared.inner.lock().unwrap().files.get(file_id).cloned()
    }

    /// Records a message as if the bot had sent it (for tests that build on history).
    pub fn inject_event(&self, e: Event) {
        self.record(e);
    }
}

pub(crate) fn store_file(shared: &Shared, prefix: &str, name: &str, mime: &str, bytes: Bytes) -> String {
    let mut inner = shared.inner.lock().unwrap();
    inner.next_file += 1;
    // Not guessable: the sandbox serves files by id.
    let id = format!("{prefix}{}-{:016x}", inner.next_file, rand::random::<u64>());
    inner.file_bytes += bytes.len();
    inner.file_order.push_back(id.clone());
    inner.files.insert(
        id.clone(),
        StoredFile {
            name: name.to_owned(),
            mime: mime.to_owned(),
            bytes,
        },
    );
    trim(&mut inner);
    id
}

/// A message the bot sent to a chat, as it is now (after edits); `None` if it was never sent
/// or has been deleted.
pub(crate) fn current_message(inner: &Inner, chat_id: i64, message_id: i64) -> Option<BotMessage> {
    inner.latest.get(&message_id).filter(|m| m.chat_id == chat_id).cloned()
}

/// Forgets what is past the bounds, oldest first.
fn trim(inner: &mut Inner) {
    while inner.events.len() > inner.bounds.events {
        inner.events.pop_front();
        inner.events_base += 1;
    }
    while inner.latest.len() > inner.bounds.messages {
        inner.latest.pop_first();
    }
    while inner.file_bytes > inner.bounds.file_bytes {
        let Some(id) = inner.file_order.pop_front() else { break };
        if let Some(f) = inner.files.remove(&id) {
            inner.file_bytes -= f.bytes.len();
        }
    }
}

pub(crate) fn record(shared: &Shared, e: Event) {
    {
        let mut inner = shared.inner.lock().unwrap();
        match &e {
            Event::Sent(m) | Event::Edited(m) => {
                inner.latest.insert(m.message_id, m.clone());
            }
            Event::Deleted { chat_id, message_id } => {
                if inner.latest.get(message_id).is_some_and(|m| m.chat_id == *chat_id) {
                    inner.latest.remove(message_id);
                }
            }
            Event::CallbackAnswered { .. } => {}
        }
        inner.events.push_back(e);
        trim(&mut inner);
    }
    shared.new_event.notify_waiters();
}

pub(crate) fn ok(result: Value) -> Response {
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

pub(crate) fn bot_user() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": "Kabinet", "username": BOT_USERNAME })
}

pub(crate) fn chat_json(chat_id: i64) -> Value {
    if chat_id < 0 {
        json!({ "id": chat_id, "type": "supergroup", "title": "Operators" })
    } else {
        json!({ "id": chat_id, "type": "private", "first_name": "User" })
    }
}

/// The `Message` object Telegram returns for a message the bot sent or edited.
pub(crate) fn message_json(m: &BotMessage) -> Value {
    let mut v = json!({
        "message_id": m.message_id,
        "date": now_unix(),
        "chat": chat_json(m.chat_id),
        "from": bot_user(),
        "text": m.text,
    });
    if let Some(thread) = m.thread {
        v["message_thread_id"] = json!(thread);
        v["is_topic_message"] = json!(true);
    }
    // Telegram echoes only inline keyboards back.
    if let Some(markup) = m.reply_markup.as_ref().filter(|r| r.get("inline_keyboard").is_some()) {
        v["reply_markup"] = markup.clone();
    }
    v
}

pub(crate) fn reply_to_of(params: &Value) -> Option<i64> {
    params
        .get("reply_parameters")
        .and_then(|r| match r {
            Value::String(s) => serde_json::from_str::<Value>(s).ok(),
            v => Some(v.clone()),
        })
        .and_then(|r| r.get("message_id").and_then(Value::as_i64))
        .or_else(|| params.get("reply_to_message_id").and_then(Value::as_i64))
}

pub(crate) fn parse_params(headers: &HeaderMap, body: &Bytes) -> Value {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if ct.starts_with("application/json") {
        serde_json::from_slice(body).unwrap_or(Value::Null)
    } else if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(body).unwrap_or(json!({}))
    }
}

/// The markup arrives as an object in JSON requests.
pub(crate) fn markup_of(params: &Value) -> Option<Value> {
    match params.get("reply_markup") {
        Some(Value::String(s)) => serde_json::from_str(s).ok(),
        Some(Value::Null) | None => None,
        Some(v) => Some(v.clone()),
    }
}

/// Multipart requests (file uploads): the text fields as params, the file part as
/// `_upload` = `upload:<name>:<n>:<length>`, a file id under which the bytes are kept.
pub(crate) async fn multipart_params(shared: &Shared, req: Request) -> Value {
    let mut params = serde_json::Map::new();
    let Ok(mut mp) = Multipart::from_request(req, &()).await else {
        return Value::Object(params);
    };
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let mime = field.content_type().unwrap_or("application/octet-stream").to_owned();
        // Telegram looks at the file, not at the part's declared type (clients often send
        // application/octet-stream): a PNG sent as a photo is a picture.
        let mime = match (
            mime.as_str(),
            file_name
                .as_deref()
                .and_then(|f| f.rsplit_once('.'))
                .map(|(_, e)| e.to_ascii_lowercase()),
        ) {
            ("application/octet-stream", Some(e)) if e == "png" => "image/png".to_owned(),
            ("application/octet-stream", Some(e)) if e == "jpg" || e == "jpeg" => "image/jpeg".to_owned(),
            ("application/octet-stream", Some(e)) if e == "pdf" => "application/pdf".to_owned(),
            _ => mime,
        };
        let Ok(bytes) = field.bytes().await else { continue };
        match file_name {
            Some(f) => {
                let id = store_file(shared, &format!("upload:{f}:"), &f, &mime, bytes);
                params.insert("_upload".into(), json!(id));
            }
            None => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let v = serde_json::from_str::<Value>(&text)
                    .ok()
                    .filter(|v| v.is_number())
                    .unwrap_or(json!(text));
                params.insert(name, v);
            }
        }
    }
    Value::Object(params)
}
