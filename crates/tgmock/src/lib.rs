//! A local Telegram Bot API server for tests.
//!
//! It speaks the Bot API methods the bot uses over real HTTP (teloxide talks to it through
//! `set_api_url`), hands out the updates a test pushes through long polling with offsets, and
//! records everything the bot does per chat, so a test can wait for a message that matches and
//! press one of its buttons. Files keep their bytes: what the bot uploads and what a caller puts
//! with `put_file` can be fetched back by file id (`getFile` and the download path). The same
//! server backs `kabinet sandbox`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

pub const BOT_ID: i64 = 7_000_000_001;
pub const BOT_USERNAME: &str = "kabinet_test_bot";

/// How many calls are remembered for `calls` (the older half is forgotten past it).
const MAX_CALLS: usize = 200_000;

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
struct Inner {
    next_update_id: i64,
    updates: VecDeque<(i64, Value)>,
    events: Vec<Event>,
    /// Every Bot API call by method name, for assertions on what the bot asked.
    calls: Vec<(String, Value)>,
    files: std::collections::HashMap<String, StoredFile>,
    next_file: u64,
}

/// Faults a test asks for, and Telegram's limits when enforced.
struct Faults {
    /// HTTP statuses for the next sending calls (500, 502…).
    fail_next: VecDeque<u16>,
    garbage_next: usize,
    drop_next: usize,
    retry_after_next: Option<u32>,
    blocked: std::collections::HashSet<i64>,
    enforce_limits: bool,
    /// (tokens, last refill) of the overall bucket and of each chat's.
    overall: (f64, std::time::Instant),
    per_chat: std::collections::HashMap<i64, (f64, std::time::Instant)>,
    too_many_requests: usize,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            fail_next: VecDeque::new(),
            garbage_next: 0,
            drop_next: 0,
            retry_after_next: None,
            blocked: Default::default(),
            enforce_limits: false,
            overall: (30.0, std::time::Instant::now()),
            per_chat: Default::default(),
            too_many_requests: 0,
        }
    }
}

/// Refills a token bucket to `now`; with `consume`, takes a token. Returns whether one was there.
fn take(bucket: &mut (f64, std::time::Instant), now: std::time::Instant, cap: f64, rate: f64, consume: bool) -> bool {
    let elapsed = now.saturating_duration_since(bucket.1).as_secs_f64();
    bucket.0 = (bucket.0 + elapsed * rate).min(cap);
    bucket.1 = now;
    let ok = bucket.0 >= 1.0;
    if ok && consume {
        bucket.0 -= 1.0;
    }
    ok
}

struct Shared {
    faults: Mutex<Faults>,
    inner: Mutex<Inner>,
    new_update: Notify,
    new_event: Notify,
    next_message_id: AtomicI64,
    max_long_poll: Duration,
}

/// The running server. Dropping it stops it.
pub struct MockBotApi {
    shared: Arc<Shared>,
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockBotApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn now_unix() -> i64 {
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
        let app = Router::new().route("/{*path}", any(handle)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { shared, port, task }
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
        self.shared.inner.lock().unwrap().events.len()
    }

    pub fn events(&self) -> Vec<Event> {
        self.shared.inner.lock().unwrap().events.clone()
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
                if let Some((i, e)) = inner.events.iter().enumerate().skip(from).find(|(_, e)| pred(e)) {
                    return Some((i, e.clone()));
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

    /// The next sending call is refused with 429 and this `retry_after`.
    pub fn retry_after_next(&self, secs: u32) {
        self.shared.faults.lock().unwrap().retry_after_next = Some(secs);
    }

    /// Sending to this chat answers 403: the user blocked the bot.
    pub fn block_chat(&self, chat_id: i64) {
        self.shared.faults.lock().unwrap().blocked.insert(chat_id);
    }

    /// Enforce Telegram's limits like the real service: 429 past 30 messages/s overall, past
    /// a short burst (3) and 1/s in one private chat, past 20/min in a group.
    pub fn enforce_limits(&self, on: bool) {
        self.shared.faults.lock().unwrap().enforce_limits = on;
    }

    /// How many calls were answered 429 for going over the limits.
    pub fn too_many_requests(&self) -> usize {
        self.shared.faults.lock().unwrap().too_many_requests
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

fn store_file(shared: &Shared, prefix: &str, name: &str, mime: &str, bytes: Bytes) -> String {
    let mut inner = shared.inner.lock().unwrap();
    inner.next_file += 1;
    let id = format!("{prefix}{}:{}", inner.next_file, bytes.len());
    inner.files.insert(
        id.clone(),
        StoredFile {
            name: name.to_owned(),
            mime: mime.to_owned(),
            bytes,
        },
    );
    id
}

/// A message the bot sent to a chat, as it is now (after edits); `None` if it was never sent
/// or has been deleted.
fn current_message(inner: &Inner, chat_id: i64, message_id: i64) -> Option<BotMessage> {
    inner.events.iter().rev().find_map(|e| match e {
        Event::Sent(m) | Event::Edited(m) if m.chat_id == chat_id && m.message_id == message_id => {
            Some(Some(m.clone()))
        }
        Event::Deleted {
            chat_id: c,
            message_id: d,
        } if *c == chat_id && *d == message_id => Some(None),
        _ => None,
    })?
}

fn record(shared: &Shared, e: Event) {
    shared.inner.lock().unwrap().events.push(e);
    shared.new_event.notify_waiters();
}

/// A fault the test asked for, or a 429 for going over the limits; None lets the call through.
fn fault(shared: &Shared, chat_id: i64) -> Option<Response> {
    let mut f = shared.faults.lock().unwrap();
    if let Some(status) = f.fail_next.pop_front() {
        return Some(api_error(status, "Internal Server Error"));
    }
    if let Some(secs) = f.retry_after_next.take() {
        return Some(too_many(secs));
    }
    if f.blocked.contains(&chat_id) {
        return Some(api_error(403, "Forbidden: bot was blocked by the user"));
    }
    if f.enforce_limits {
        let now = std::time::Instant::now();
        // Token buckets: 30 at once and 30/s overall; a burst of 3 and 1/s in a private chat;
        // 20 and 20/min in a group.
        let (cap, rate) = if chat_id < 0 { (20.0, 20.0 / 60.0) } else { (3.0, 1.0) };
        let overall_ok = take(&mut f.overall, now, 30.0, 30.0, false);
        let chat = f.per_chat.entry(chat_id).or_insert((cap, now));
        let chat_ok = take(chat, now, cap, rate, false);
        if !(overall_ok && chat_ok) {
            f.too_many_requests += 1;
            return Some(too_many(1));
        }
        take(&mut f.overall, now, 30.0, 30.0, true);
        let chat = f.per_chat.entry(chat_id).or_insert((cap, now));
        take(chat, now, cap, rate, true);
    }
    None
}

fn too_many(secs: u32) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(json!({
            "ok": false, "error_code": 429,
            "description": format!("Too Many Requests: retry after {secs}"),
            "parameters": { "retry_after": secs }
        })),
    )
        .into_response()
}

fn ok(result: Value) -> Response {
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

fn api_error(code: u16, description: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        axum::Json(json!({ "ok": false, "error_code": code, "description": description })),
    )
        .into_response()
}

fn bot_user() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": "Kabinet", "username": BOT_USERNAME })
}

fn chat_json(chat_id: i64) -> Value {
    if chat_id < 0 {
        json!({ "id": chat_id, "type": "supergroup", "title": "Operators" })
    } else {
        json!({ "id": chat_id, "type": "private", "first_name": "User" })
    }
}

/// The `Message` object Telegram returns for a message the bot sent or edited.
fn message_json(m: &BotMessage) -> Value {
    let mut v = json!({
        "message_id": m.message_id,
        "date": now_unix(),
        "chat": chat_json(m.chat_id),
        "from": bot_user(),
        "text": m.text,
    });
    // Telegram echoes only inline keyboards back.
    if let Some(markup) = m.reply_markup.as_ref().filter(|r| r.get("inline_keyboard").is_some()) {
        v["reply_markup"] = markup.clone();
    }
    v
}

fn reply_to_of(params: &Value) -> Option<i64> {
    params
        .get("reply_parameters")
        .and_then(|r| match r {
            Value::String(s) => serde_json::from_str::<Value>(s).ok(),
            v => Some(v.clone()),
        })
        .and_then(|r| r.get("message_id").and_then(Value::as_i64))
        .or_else(|| params.get("reply_to_message_id").and_then(Value::as_i64))
}

fn parse_params(headers: &HeaderMap, body: &Bytes) -> Value {
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
fn markup_of(params: &Value) -> Option<Value> {
    match params.get("reply_markup") {
        Some(Value::String(s)) => serde_json::from_str(s).ok(),
        Some(Value::Null) | None => None,
        Some(v) => Some(v.clone()),
    }
}

/// Multipart requests (file uploads): the text fields as params, the file part as
/// `_upload` = `upload:<name>:<n>:<length>`, a file id under which the bytes are kept.
async fn multipart_params(shared: &Shared, req: Request) -> Value {
    let mut params = serde_json::Map::new();
    let Ok(mut mp) = Multipart::from_request(req, &()).await else {
        return Value::Object(params);
    };
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let mime = field.content_type().unwrap_or("application/octet-stream").to_owned();
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

async fn handle(State(shared): State<Arc<Shared>>, Path(path): Path<String>, req: Request) -> Response {
    // File downloads: /file/bot<token>/<file_path>: the kept bytes, or for an id the server
    // never saw (a test's made-up one) bytes that name the file.
    if let Some(rest) = path.strip_prefix("file/bot") {
        let file_path = rest.split_once('/').map(|(_, p)| p).unwrap_or_default();
        let kept = file_path
            .strip_prefix("files/")
            .and_then(|id| shared.inner.lock().unwrap().files.get(id).map(|f| f.bytes.clone()));
        return match kept {
            Some(bytes) => (StatusCode::OK, bytes).into_response(),
            None => (StatusCode::OK, format!("content:{file_path}")).into_response(),
        };
    }
    let Some((_token, method)) = path.strip_prefix("bot").and_then(|p| p.split_once('/')) else {
        return api_error(404, "Not Found");
    };
    let headers: HeaderMap = req.headers().clone();
    let is_multipart = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    let params = if is_multipart {
        multipart_params(&shared, req).await
    } else {
        let body: Bytes = axum::body::to_bytes(req.into_body(), 64 * 1024 * 1024)
            .await
            .unwrap_or_default();
        parse_params(&headers, &body)
    };
    {
        let mut inner = shared.inner.lock().unwrap();
        // A server left running (the sandbox) polls every second: keep the recent calls only.
        if inner.calls.len() >= MAX_CALLS {
            inner.calls.drain(..MAX_CALLS / 2);
        }
        inner.calls.push((method.to_owned(), params.clone()));
    }
    let chat_id = params.get("chat_id").and_then(Value::as_i64).unwrap_or_default();
    {
        let mut f = shared.faults.lock().unwrap();
        if f.garbage_next > 0 && method.eq_ignore_ascii_case("getupdates") {
            f.garbage_next -= 1;
            return (StatusCode::OK, "<html>upstream hiccup</html>").into_response();
        }
        if f.drop_next > 0 && method.eq_ignore_ascii_case("getupdates") {
            f.drop_next -= 1;
            // A body that fails at once: hyper cuts the connection mid-answer.
            let cut = futures::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection dropped by the test",
                ))
            });
            return (StatusCode::OK, axum::body::Body::from_stream(cut)).into_response();
        }
    }
    let lower = method.to_ascii_lowercase();
    let sending = lower.starts_with("send") || lower.starts_with("copy") || lower.starts_with("forward");
    if sending && let Some(refusal) = fault(&shared, chat_id) {
        return refusal;
    }
    match method.to_ascii_lowercase().as_str() {
        "getme" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "Kabinet", "username": BOT_USERNAME,
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false, "has_main_web_app": false
        })),
        "deletewebhook" | "setmycommands" => ok(json!(true)),
        "answercallbackquery" => {
            record(
                &shared,
                Event::CallbackAnswered {
                    query_id: params["callback_query_id"].as_str().unwrap_or_default().to_owned(),
                    text: params["text"].as_str().map(str::to_owned),
                    show_alert: params["show_alert"].as_bool().unwrap_or(false),
                },
            );
            ok(json!(true))
        }
        "getwebhookinfo" => ok(json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 })),
        "getupdates" => get_updates(&shared, &params).await,
        "sendmessage" => {
            let m = BotMessage {
                chat_id,
                message_id: shared.next_message_id.fetch_add(1, Ordering::SeqCst),
                text: params["text"].as_str().unwrap_or_default().to_owned(),
                document: None,
                reply_to: reply_to_of(&params),
                parse_mode: params["parse_mode"].as_str().map(str::to_owned),
                reply_markup: markup_of(&params),
            };
            if m.text.is_empty() {
                return api_error(400, "Bad Request: message text is empty");
            }
            let result = message_json(&m);
            record(&shared, Event::Sent(m));
            ok(result)
        }
        "editmessagetext" | "editmessagereplymarkup" => {
            let message_id = params["message_id"].as_i64().unwrap_or_default();
            let previous = current_message(&shared.inner.lock().unwrap(), chat_id, message_id);
            let Some(mut m) = previous else {
                return api_error(400, "Bad Request: message to edit not found");
            };
            if let Some(text) = params["text"].as_str() {
                m.text = text.to_owned();
                m.parse_mode = params["parse_mode"].as_str().map(str::to_owned);
            }
            m.reply_markup = markup_of(&params);
            let result = message_json(&m);
            record(&shared, Event::Edited(m));
            ok(result)
        }
        "getfile" => {
            let id = params["file_id"].as_str().unwrap_or_default().to_owned();
            let size = shared
                .inner
                .lock()
                .unwrap()
                .files
                .get(&id)
                .map_or(12, |f| f.bytes.len());
            ok(
                json!({ "file_id": id, "file_unique_id": format!("u-{id}"), "file_size": size, "file_path": format!("files/{id}") }),
            )
        }
        "senddocument" | "sendphoto" => {
            let field = if method.eq_ignore_ascii_case("sendphoto") {
                "photo"
            } else {
                "document"
            };
            let document = match (params.get("_upload"), params.get(field)) {
                (Some(u), _) => u.as_str().unwrap_or_default().to_owned(),
                (None, Some(Value::String(id))) if id.starts_with("BROKEN") => {
                    return api_error(400, "Bad Request: wrong file identifier/HTTP URL specified");
                }
                (None, Some(Value::String(id))) => id.clone(),
                _ => return api_error(400, "Bad Request: there is no document in the request"),
            };
            let m = BotMessage {
                chat_id,
                message_id: shared.next_message_id.fetch_add(1, Ordering::SeqCst),
                text: params["caption"].as_str().unwrap_or_default().to_owned(),
                document: Some(document.clone()),
                reply_to: reply_to_of(&params),
                parse_mode: None,
                reply_markup: markup_of(&params),
            };
            let mut result = message_json(&m);
            result["document"] =
                json!({ "file_id": document, "file_unique_id": format!("u{}", m.message_id), "file_size": 1 });
            record(&shared, Event::Sent(m));
            ok(result)
        }
        // Copies and forwards of a message the bot knows, as a new message in the target chat.
        "copymessage" | "forwardmessage" => {
            let from_chat = params["from_chat_id"].as_i64().unwrap_or_default();
            let from_id = params["message_id"].as_i64().unwrap_or_default();
            let original = current_message(&shared.inner.lock().unwrap(), from_chat, from_id);
            let Some(original) = original else {
                return api_error(400, "Bad Request: message to copy not found");
            };
            let m = BotMessage {
                chat_id,
                message_id: shared.next_message_id.fetch_add(1, Ordering::SeqCst),
                reply_to: reply_to_of(&params),
                ..original
            };
            let result = message_json(&m);
            record(&shared, Event::Sent(m.clone()));
            if lower == "copymessage" {
                ok(json!({ "message_id": m.message_id }))
            } else {
                ok(result)
            }
        }
        // An album: each file becomes a message; the answer is the list of them.
        "sendmediagroup" => {
            let media: Vec<Value> = match &params["media"] {
                Value::String(s) => serde_json::from_str(s).unwrap_or_default(),
                Value::Array(a) => a.clone(),
                _ => vec![],
            };
            if !(2..=10).contains(&media.len()) {
                return api_error(400, "Bad Request: media group must include 2-10 items");
            }
            let mut out = Vec::new();
            for item in media {
                let file = item["media"].as_str().unwrap_or_default().to_owned();
                let m = BotMessage {
                    chat_id,
                    message_id: shared.next_message_id.fetch_add(1, Ordering::SeqCst),
                    text: item["caption"].as_str().unwrap_or_default().to_owned(),
                    document: Some(file),
                    reply_to: reply_to_of(&params),
                    parse_mode: None,
                    reply_markup: None,
                };
                out.push(message_json(&m));
                record(&shared, Event::Sent(m));
            }
            ok(Value::Array(out))
        }
        "deletemessage" => {
            let message_id = params["message_id"].as_i64().unwrap_or_default();
            record(&shared, Event::Deleted { chat_id, message_id });
            ok(json!(true))
        }
        _ => api_error(
            400,
            &format!("Bad Request: method {method} is not supported by the mock"),
        ),
    }
}

async fn get_updates(shared: &Shared, params: &Value) -> Response {
    let offset = params.get("offset").and_then(Value::as_i64).unwrap_or(0);
    let limit = params.get("limit").and_then(Value::as_u64).unwrap_or(100).clamp(1, 100) as usize;
    let timeout = params.get("timeout").and_then(Value::as_u64).unwrap_or(0);
    let wait = Duration::from_secs(timeout).min(shared.max_long_poll);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let notified = shared.new_update.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let batch: Vec<Value> = {
            let mut inner = shared.inner.lock().unwrap();
            // An offset confirms every update before it: Telegram forgets them.
            while inner.updates.front().is_some_and(|(id, _)| *id < offset) {
                inner.updates.pop_front();
            }
            inner.updates.iter().take(limit).map(|(_, u)| u.clone()).collect()
        };
        if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
            return ok(Value::Array(batch));
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

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
