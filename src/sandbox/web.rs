//! The sandbox's page and the calls it makes. Everything the page shows comes from one
//! server-sent event stream (`/api/events`); pressing, typing and uploading become Telegram
//! updates for the bot. The page's files are compiled into the binary: no build step, no
//! requests outside this server.

use super::{CONSUMERS, GROUP_CHAT_ID, GROUP_TITLE, OPERATOR, Shared, persona};
use axum::Json;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use tgmock::TgUser;

const INDEX: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// Uploads bigger than this are refused by the page's server (Telegram's own bot limit).
const MAX_UPLOAD: usize = 50 * 1024 * 1024;

/// The page's own address: requests must name it as their `Host`, and every POST as its
/// `Origin`. A page elsewhere (or a name rebound to 127.0.0.1 by DNS) can neither drive the
/// sandbox nor read its events, codes included.
#[derive(Clone, Copy)]
pub(super) struct Own {
    pub port: u16,
}

impl Own {
    fn host_ok(&self, host: &str) -> bool {
        let port = self.port;
        ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .any(|h| host.eq_ignore_ascii_case(&format!("{h}:{port}")))
    }

    fn origin_ok(&self, origin: &str) -> bool {
        origin.strip_prefix("http://").is_some_and(|host| self.host_ok(host))
    }
}

/// Every response carries the page's content policy and `nosniff`; a request from anywhere
/// but the page itself is refused.
async fn guard(State(own): State<Own>, request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let unsafe_method = !matches!(request.method(), &axum::http::Method::GET | &axum::http::Method::HEAD);
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let mut response = if !own.host_ok(host) {
        refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this page answers only at its own loopback address",
        )
    } else if unsafe_method && !origin.is_some_and(|o| own.origin_ok(o)) {
        refuse(StatusCode::FORBIDDEN, "only the sandbox's own page may do that")
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(PAGE_POLICY));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Only this server: no fonts, scripts or images from elsewhere; never framed.
const PAGE_POLICY: &str =
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

pub(super) fn router(shared: Arc<Shared>, own: Own) -> Router {
    Router::new()
        .route("/", get(|| async { page(INDEX, "text/html; charset=utf-8") }))
        .route(
            "/app.js",
            get(|| async { page(APP_JS, "text/javascript; charset=utf-8") }),
        )
        .route("/app.css", get(|| async { page(APP_CSS, "text/css; charset=utf-8") }))
        .route("/api/config", get(config))
        .route("/api/events", get(events))
        .route("/api/send", post(send))
        .route("/api/press", post(press))
        .route("/api/contact", post(contact))
        .route("/api/upload", post(upload))
        .route("/api/files/{id}", get(download))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD + 64 * 1024))
        .layer(axum::middleware::from_fn_with_state(own, guard))
        .with_state(shared)
}

fn page(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
        ],
        body,
    )
        .into_response()
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// Who types in a chat: the chat's consumer, or the operator in the group and in her own chat.
fn speaker(chat: i64) -> Option<TgUser> {
    let p = if chat == GROUP_CHAT_ID {
        &OPERATOR
    } else {
        persona(chat)?
    };
    Some(TgUser::new(p.id, p.name).with_language(p.language))
}

async fn config(State(s): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({
        "bot": s.bot_username,
        "consumers": CONSUMERS,
        "operator": OPERATOR,
        "group": { "id": GROUP_CHAT_ID, "title": GROUP_TITLE },
        "commands": s.commands,
    }))
}

/// The command menu as the bot registered it at start, per language (`default` for the rest).
pub(super) fn commands_of(api: &tgmock::MockBotApi) -> Value {
    let mut commands = serde_json::Map::new();
    for call in api.calls("setMyCommands") {
        let lang = call["language_code"].as_str().unwrap_or("default").to_owned();
        let list = match &call["commands"] {
            Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            v => v.clone(),
        };
        commands.insert(lang, list);
    }
    Value::Object(commands)
}

/// The page's log from the start (or from the last entry the browser saw, on a reconnect),
/// then each new batch as it comes.
async fn events(State(s): State<Arc<Shared>>, headers: HeaderMap) -> impl IntoResponse {
    let from: u64 = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let stream = futures::stream::unfold((s, from), |(s, seen)| async move {
        let batch = loop {
            let changed = s.log.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let batch = s.log.after(seen);
            if !batch.is_empty() {
                break batch;
            }
            changed.await;
        };
        let last = batch.last().and_then(|e| e["seq"].as_u64()).unwrap_or(seen);
        let event = SseEvent::default()
            .event("entries")
            .id(last.to_string())
            .data(Value::Array(batch).to_string());
        Some((Ok::<_, Infallible>(event), (s, last)))
    });
    let mut response = Sse::new(stream).keep_alive(KeepAlive::default()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[derive(Deserialize)]
struct SendBody {
    chat: i64,
    text: String,
    reply_to: Option<i64>,
}

/// A text message typed in a chat.
async fn send(State(s): State<Arc<Shared>>, Json(body): Json<SendBody>) -> Response {
    let Some(user) = speaker(body.chat) else {
        return refuse(StatusCode::NOT_FOUND, "no such chat");
    };
    let text = body.text.trim();
    if text.is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "empty message");
    }
    let id = s.api.next_message_id();
    let mut content = json!({ "text": text });
    if text.starts_with('/') {
        let len = text.split_whitespace().next().map_or(0, |c| c.encode_utf16().count());
        content["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": len }]);
    }
    deliver(
        &s,
        &user,
        body.chat,
        id,
        content,
        json!({ "text": text }),
        body.reply_to,
    )
}

/// Logs what the person sent and hands it to the bot as an update.
fn deliver(
    s: &Shared,
    user: &TgUser,
    chat: i64,
    id: i64,
    content: Value,
    shown: Value,
    reply_to: Option<i64>,
) -> Response {
    let mut entry = json!({
        "kind": "user", "chat": chat, "id": id, "from": user.first_name, "from_id": user.id,
        "reply_to": reply_to,
    });
    if let (Some(e), Some(extra)) = (entry.as_object_mut(), shown.as_object()) {
        e.extend(extra.clone());
    }
    let update = if chat == GROUP_CHAT_ID {
        let original = reply_to.and_then(|r| s.api.message(chat, r));
        if reply_to.is_some() && original.is_none() {
            return refuse(StatusCode::CONFLICT, "that message is gone");
        }
        user.in_group(chat, id, original.as_ref(), content)
    } else {
        user.message(id, content)
    };
    s.log.push(entry);
    s.api.push_update(update);
    (StatusCode::OK, Json(json!({ "id": id }))).into_response()
}

#[derive(Deserialize)]
struct PressBody {
    chat: i64,
    message_id: i64,
    data: String,
}

/// A press on an inline button.
async fn press(State(s): State<Arc<Shared>>, Json(body): Json<PressBody>) -> Response {
    let Some(user) = speaker(body.chat) else {
        return refuse(StatusCode::NOT_FOUND, "no such chat");
    };
    let Some(message) = s.api.message(body.chat, body.message_id) else {
        return refuse(StatusCode::CONFLICT, "that message is gone");
    };
    let query = s.query_id(body.chat);
    s.api.push_update(user.press(&query, &message, &body.data));
    (StatusCode::OK, Json(json!({ "query": query }))).into_response()
}

#[derive(Deserialize)]
struct ContactBody {
    chat: i64,
}

/// Telegram's «share my phone number» button: the person's own contact.
async fn contact(State(s): State<Arc<Shared>>, Json(body): Json<ContactBody>) -> Response {
    let (Some(user), Some(p)) = (speaker(body.chat), persona(body.chat)) else {
        return refuse(StatusCode::NOT_FOUND, "no such chat");
    };
    let id = s.api.next_message_id();
    let content = json!({ "contact": { "phone_number": p.phone, "first_name": p.name, "user_id": p.id } });
    deliver(&s, &user, body.chat, id, content, json!({ "contact": p.phone }), None)
}

/// A file or photo sent in a chat (with an optional caption).
async fn upload(State(s): State<Arc<Shared>>, mut form: Multipart) -> Response {
    let mut chat = None;
    let mut caption = String::new();
    let mut reply_to = None;
    let mut file = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return refuse(StatusCode::BAD_REQUEST, &e.body_text()),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("file").to_owned();
            let mime = field
                .content_type()
                .map(str::to_owned)
                .unwrap_or_else(|| "application/octet-stream".into());
            match field.bytes().await {
                Ok(bytes) => file = Some((file_name, mime, bytes)),
                Err(e) => return refuse(StatusCode::PAYLOAD_TOO_LARGE, &e.body_text()),
            }
        } else {
            let value = field.text().await.unwrap_or_default();
            match name.as_str() {
                "chat" => chat = value.parse::<i64>().ok(),
                "caption" => caption = value,
                "reply_to" => reply_to = value.parse::<i64>().ok(),
                _ => {}
            }
        }
    }
    let Some(chat) = chat else {
        return refuse(StatusCode::BAD_REQUEST, "which chat?");
    };
    let Some(user) = speaker(chat) else {
        return refuse(StatusCode::NOT_FOUND, "no such chat");
    };
    let Some((name, mime, bytes)) = file else {
        return refuse(StatusCode::BAD_REQUEST, "no file");
    };
    let size = bytes.len();
    let file_id = s.api.put_file(&name, &mime, bytes);
    let id = s.api.next_message_id();
    let mut content = if mime.starts_with("image/") && !mime.contains("svg") {
        json!({ "photo": [{ "file_id": file_id, "file_unique_id": format!("u-{file_id}"), "width": 800, "height": 600, "file_size": size }] })
    } else {
        json!({ "document": {
            "file_id": file_id, "file_unique_id": format!("u-{file_id}"),
            "file_name": name, "mime_type": mime, "file_size": size
        }})
    };
    let caption = caption.trim();
    let mut shown = json!({ "file": s.file_entry(&file_id) });
    if !caption.is_empty() {
        content["caption"] = json!(caption);
        shown["text"] = json!(caption);
    }
    deliver(&s, &user, chat, id, content, shown, reply_to)
}

#[derive(Deserialize)]
struct DownloadQuery {
    /// Show in the page (pictures) instead of saving.
    inline: Option<bool>,
}

/// Pictures the page may show in place; anything else (SVG and HTML included) is only ever
/// downloaded, so an uploaded file cannot run script on the page's origin.
const SHOWN_INLINE: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// A file from the chat: what the bot sent or what someone uploaded.
async fn download(State(s): State<Arc<Shared>>, Path(id): Path<String>, Query(q): Query<DownloadQuery>) -> Response {
    let Some(file) = s.api.file(&id) else {
        return refuse(StatusCode::NOT_FOUND, "no such file");
    };
    let inline = q.inline.unwrap_or(false) && SHOWN_INLINE.contains(&file.mime.as_str());
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        url::form_urlencoded::byte_serialize(file.name.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    );
    let mut response = (StatusCode::OK, file.bytes).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&file.mime) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    // Opened by itself, a file is a sandboxed document with no script and no resources.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; img-src 'self'"),
    );
    response
}
