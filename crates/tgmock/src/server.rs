//! The Bot API methods over HTTP: updates by long polling, what the bot sends recorded as
//! events, each call checked as Telegram checks it.

use crate::rules::{self, TextKind, check_text};
use crate::{
    BOT_ID, BOT_USERNAME, BotMessage, Event, MAX_CALLS, Shared, current_message, markup_of, message_json,
    multipart_params, ok, parse_params, record, reply_to_of,
};
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// With a guard (the sandbox's server, which listens where any page in the browser could reach
/// it): a request must name this server's own address as its Host (no DNS rebinding), carry
/// the bot's token and send JSON or a form (no cross-site «simple» request with a text body),
/// and a webhook may only point back to this machine.
fn guarded(guard: &crate::Guard, headers: &HeaderMap, token: &str, method: &str) -> Option<Response> {
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if host != guard.host {
        return Some(rules::error(403, "Forbidden: wrong host"));
    }
    if token != guard.token {
        return Some(rules::error(401, "Unauthorized"));
    }
    let kind = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let form = [
        "application/json",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ];
    if !kind.is_empty() && !form.iter().any(|f| kind.starts_with(f)) || kind.is_empty() && method != "getme" {
        return Some(rules::bad_request("unsupported content type"));
    }
    None
}

/// Whether a webhook URL points back to this machine.
pub(crate) fn loopback_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or("");
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

pub(crate) async fn handle(State(shared): State<Arc<Shared>>, Path(path): Path<String>, req: Request) -> Response {
    if let Some(guard) = shared.guard.lock().unwrap().clone() {
        let (token, method) = path
            .strip_prefix("file/bot")
            .or_else(|| path.strip_prefix("bot"))
            .and_then(|p| p.split_once('/'))
            .unwrap_or_default();
        let method = if path.starts_with("file/") { "getme" } else { method };
        if let Some(refusal) = guarded(&guard, req.headers(), token, &method.to_ascii_lowercase()) {
            return refusal;
        }
    }
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
        return rules::error(404, "Not Found");
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
    // A poll's place among the polls is taken as it arrives (with its record): the newer of
    // two is the one the server got later, whichever handler runs first.
    let poll = {
        let mut inner = shared.inner.lock().unwrap();
        // A server left running (the sandbox) polls every second: keep the recent calls only.
        if inner.calls.len() >= MAX_CALLS {
            inner.calls.drain(..MAX_CALLS / 2);
        }
        inner.calls.push((method.to_owned(), params.clone()));
        method.eq_ignore_ascii_case("getupdates").then(|| {
            inner.polls += 1;
            inner.polls
        })
    };
    let chat_id = params.get("chat_id").and_then(Value::as_i64).unwrap_or_default();
    {
        let mut f = shared.faults.lock().unwrap();
        if f.garbage_next > 0 && method.eq_ignore_ascii_case("getupdates") {
            f.garbage_next -= 1;
            return (StatusCode::OK, "<html>upstream hiccup</html>").into_response();
        }
        if f.drop_next > 0 && method.eq_ignore_ascii_case("getupdates") {
            f.drop_next -= 1;
            return cut();
        }
    }
    let lower = method.to_ascii_lowercase();
    match shared.faults.lock().unwrap().planned_failure(&lower) {
        Some(0) => return cut(),
        Some(status) => return rules::error(status, "Internal Server Error"),
        None => {}
    }
    if let Err(refusal) = check(&lower, &params) {
        return rules::bad_request(&refusal);
    }
    if chat_id < 0
        && lower != "getupdates"
        && let Some(refusal) = shared.faults.lock().unwrap().group_refusal(chat_id)
    {
        return refusal;
    }
    let sending = lower.starts_with("send") || lower.starts_with("copy") || lower.starts_with("forward");
    // `allow_paid_broadcast`: up to 1,000 a second overall instead of 30 (paid in Stars).
    let paid = params
        .get("allow_paid_broadcast")
        .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
    if sending && let Some(refusal) = shared.faults.lock().unwrap().sending(chat_id, paid) {
        return refusal;
    }
    let thread = if sending {
        match thread_of(&shared, chat_id, &params) {
            Ok(thread) => thread,
            Err(refusal) => return rules::bad_request(refusal),
        }
    } else {
        None
    };
    match lower.as_str() {
        "getme" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "Kabinet", "username": BOT_USERNAME,
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false, "has_main_web_app": false
        })),
        "setmycommands" => ok(json!(true)),
        "setwebhook"
            if shared.guard.lock().unwrap().is_some() && !loopback_url(params["url"].as_str().unwrap_or_default()) =>
        {
            rules::bad_request("bad webhook: the sandbox's server posts updates to this machine only")
        }
        "setwebhook" => {
            let url = params["url"].as_str().unwrap_or_default().to_owned();
            let secret = params["secret_token"].as_str().map(str::to_owned);
            let mut inner = shared.inner.lock().unwrap();
            set_allowed(&mut inner, &params);
            let max_connections = params["max_connections"]
                .as_u64()
                .or_else(|| params["max_connections"].as_str().and_then(|s| s.parse().ok()))
                .map_or(crate::webhook::MAX_CONNECTIONS, |n| n.clamp(1, 100) as usize);
            inner.webhook = Some(crate::webhook::Hook {
                url,
                secret,
                max_connections,
            });
            drop(inner);
            shared.new_update.notify_waiters();
            ok(json!(true))
        }
        "deletewebhook" => {
            shared.inner.lock().unwrap().webhook = None;
            ok(json!(true))
        }
        "getchat" | "getchatmember" => group_info(&shared, &lower, chat_id, &params),
        "answercallbackquery" => answer_callback(&shared, &params),
        "getwebhookinfo" => {
            let inner = shared.inner.lock().unwrap();
            let url = inner.webhook.as_ref().map(|h| h.url.clone()).unwrap_or_default();
            ok(json!({ "url": url, "has_custom_certificate": false, "pending_update_count": inner.updates.len() }))
        }
        "getupdates" if shared.inner.lock().unwrap().webhook.is_some() => rules::error(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
        ),
        "getupdates" => get_updates(&shared, &params, poll.unwrap_or_default()).await,
        "sendmessage" => {
            let m = BotMessage {
                chat_id,
                message_id: shared.next_message_id.fetch_add(1, Ordering::SeqCst),
                text: params["text"].as_str().unwrap_or_default().to_owned(),
                document: None,
                reply_to: reply_to_of(&params),
                parse_mode: params["parse_mode"].as_str().map(str::to_owned),
                reply_markup: markup_of(&params),
                thread,
            };
            let result = message_json(&m);
            record(&shared, Event::Sent(m));
            ok(result)
        }
        "editmessagetext" | "editmessagereplymarkup" => edit(&shared, &lower, chat_id, &params),
        "getfile"
            if shared
                .inner
                .lock()
                .unwrap()
                .file_sizes
                .get(params["file_id"].as_str().unwrap_or_default())
                .is_some_and(|size| *size > 20 * 1024 * 1024) =>
        {
            // Bots may download files of up to 20 MB.
            rules::bad_request("file is too big")
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
        "senddocument" | "sendphoto" => send_file(&shared, &lower, chat_id, &params, thread),
        "copymessage" | "forwardmessage" => copy(&shared, &lower, chat_id, &params, thread),
        "sendmediagroup" => media_group(&shared, chat_id, &params, thread),
        "createforumtopic" => create_topic(&shared, chat_id, &params),
        "deletemessage" => {
            let message_id = params["message_id"].as_i64().unwrap_or_default();
            {
                let mut inner = shared.inner.lock().unwrap();
                let incoming = inner.incoming.remove(&(chat_id, message_id));
                if !incoming && current_message(&inner, chat_id, message_id).is_none() {
                    return rules::bad_request("message to delete not found");
                }
            }
            record(&shared, Event::Deleted { chat_id, message_id });
            ok(json!(true))
        }
        _ => rules::bad_request(&format!("method {method} is not supported by the mock")),
    }
}

/// An answer whose body fails at once: hyper cuts the connection mid-answer, as a failing
/// network or proxy would. Nothing was done.
fn cut() -> Response {
    let body = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection dropped by the test",
        ))
    });
    (StatusCode::OK, axum::body::Body::from_stream(body)).into_response()
}

/// What Telegram checks before anything is sent: texts, captions, keyboards.
fn check(method: &str, params: &Value) -> Result<(), String> {
    let parse_mode = params["parse_mode"].as_str();
    match method {
        "sendmessage" => check_text(
            TextKind::Message,
            params["text"].as_str().unwrap_or_default(),
            parse_mode,
        )?,
        "editmessagetext" => check_text(TextKind::Edit, params["text"].as_str().unwrap_or_default(), parse_mode)?,
        "senddocument" | "sendphoto" | "copymessage" => {
            if let Some(caption) = params["caption"].as_str() {
                check_text(TextKind::Caption, caption, parse_mode)?;
            }
        }
        "sendmediagroup" => {
            for item in media_of(params) {
                if let Some(caption) = item["caption"].as_str() {
                    check_text(TextKind::Caption, caption, item["parse_mode"].as_str())?;
                }
            }
        }
        "answercallbackquery" => rules::check_callback_answer(params["text"].as_str())?,
        _ => {}
    }
    rules::check_markup(markup_of(params).as_ref())
}

/// One answer per callback query, as Telegram takes it.
fn answer_callback(shared: &Shared, params: &Value) -> Response {
    let query_id = params["callback_query_id"].as_str().unwrap_or_default().to_owned();
    if !shared.inner.lock().unwrap().answered.insert(query_id.clone()) {
        return rules::bad_request("query is too old and response timeout expired or query id is invalid");
    }
    record(
        shared,
        Event::CallbackAnswered {
            query_id,
            text: params["text"].as_str().map(str::to_owned),
            show_alert: params["show_alert"].as_bool().unwrap_or(false),
        },
    );
    ok(json!(true))
}

fn edit(shared: &Shared, method: &str, chat_id: i64, params: &Value) -> Response {
    let message_id = params["message_id"].as_i64().unwrap_or_default();
    let previous = current_message(&shared.inner.lock().unwrap(), chat_id, message_id);
    let Some(mut m) = previous else {
        return rules::bad_request("message to edit not found");
    };
    let before = m.clone();
    if method == "editmessagetext" && m.document.is_some() {
        return rules::bad_request("there is no text in the message to edit");
    }
    if method == "editmessagetext" {
        m.text = params["text"].as_str().unwrap_or_default().to_owned();
        m.parse_mode = params["parse_mode"].as_str().map(str::to_owned);
    }
    m.reply_markup = markup_of(params);
    let same_markup = |a: &Option<Value>, b: &Option<Value>| {
        let inline = |m: &Option<Value>| m.as_ref().and_then(|v| v.get("inline_keyboard").cloned());
        inline(a) == inline(b)
    };
    if m.text == before.text && same_markup(&m.reply_markup, &before.reply_markup) {
        return rules::bad_request(
            "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
        );
    }
    let result = message_json(&m);
    record(shared, Event::Edited(m));
    ok(result)
}

fn send_file(shared: &Shared, method: &str, chat_id: i64, params: &Value, thread: Option<i64>) -> Response {
    let field = if method == "sendphoto" { "photo" } else { "document" };
    let document = match (params.get("_upload"), params.get(field)) {
        (Some(u), _) => u.as_str().unwrap_or_default().to_owned(),
        (None, Some(Value::String(id))) if id.starts_with("BROKEN") => {
            return rules::bad_request("wrong file identifier/HTTP URL specified");
        }
        (None, Some(Value::String(id))) => id.clone(),
        _ => return rules::bad_request("there is no document in the request"),
    };
    let m = BotMessage {
        chat_id,
        message_id: shared.next_message_id.fetch_add(1, Ordering::SeqCst),
        text: params["caption"].as_str().unwrap_or_default().to_owned(),
        document: Some(document.clone()),
        reply_to: reply_to_of(params),
        parse_mode: params["parse_mode"].as_str().map(str::to_owned),
        reply_markup: markup_of(params),
        thread,
    };
    let mut result = message_json(&m);
    result["document"] = json!({ "file_id": document, "file_unique_id": format!("u{}", m.message_id), "file_size": 1 });
    record(shared, Event::Sent(m));
    ok(result)
}

/// Copies and forwards of a message the bot knows, as a new message in the target chat.
fn copy(shared: &Shared, method: &str, chat_id: i64, params: &Value, thread: Option<i64>) -> Response {
    let from_chat = params["from_chat_id"].as_i64().unwrap_or_default();
    let from_id = params["message_id"].as_i64().unwrap_or_default();
    let original = current_message(&shared.inner.lock().unwrap(), from_chat, from_id);
    let Some(original) = original else {
        return rules::bad_request("message to copy not found");
    };
    let m = BotMessage {
        chat_id,
        message_id: shared.next_message_id.fetch_add(1, Ordering::SeqCst),
        reply_to: reply_to_of(params),
        thread,
        ..original
    };
    let result = message_json(&m);
    record(shared, Event::Sent(m.clone()));
    if method == "copymessage" {
        ok(json!({ "message_id": m.message_id }))
    } else {
        ok(result)
    }
}

fn media_of(params: &Value) -> Vec<Value> {
    match &params["media"] {
        Value::String(s) => serde_json::from_str(s).unwrap_or_default(),
        Value::Array(a) => a.clone(),
        _ => vec![],
    }
}

/// An album: each file becomes a message; the answer is the list of them.
fn media_group(shared: &Shared, chat_id: i64, params: &Value, thread: Option<i64>) -> Response {
    let media = media_of(params);
    if !(2..=10).contains(&media.len()) {
        return rules::bad_request("media group must include 2-10 items");
    }
    let mut out = Vec::new();
    for item in media {
        let file = item["media"].as_str().unwrap_or_default().to_owned();
        let m = BotMessage {
            chat_id,
            message_id: shared.next_message_id.fetch_add(1, Ordering::SeqCst),
            text: item["caption"].as_str().unwrap_or_default().to_owned(),
            document: Some(file),
            reply_to: reply_to_of(params),
            parse_mode: None,
            reply_markup: None,
            thread,
        };
        out.push(message_json(&m));
        record(shared, Event::Sent(m));
    }
    ok(Value::Array(out))
}

/// `allowed_updates` as given (a JSON array, or one sent as a form field's string); unsent
/// keeps the last setting, as Telegram does.
fn set_allowed(inner: &mut crate::Inner, params: &Value) {
    let list = match &params["allowed_updates"] {
        Value::Array(a) => Some(a.clone()),
        Value::String(s) => serde_json::from_str::<Vec<Value>>(s).ok(),
        _ => None,
    };
    if let Some(list) = list {
        let kinds: Vec<String> = list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
        // «This parameter doesn't affect updates created before the call»: those already
        // queued still come.
        if inner.allowed.as_ref() != Some(&kinds) {
            inner.allowed_since = inner.next_update_id;
        }
        inner.allowed = Some(kinds);
    }
}

/// What Telegram delivers to a bot that never asked for anything.
pub(crate) fn inner_default(update: &Value) -> bool {
    is_allowed(None, update)
}

/// Whether Telegram delivers `update` to a bot that asked for `allowed` (an empty list, or none
/// asked: everything but `chat_member` and reactions).
pub(crate) fn is_allowed(allowed: Option<&[String]>, update: &Value) -> bool {
    let Some(kind) = update.as_object().and_then(|o| o.keys().find(|k| *k != "update_id")) else {
        return true;
    };
    match allowed {
        Some(list) if !list.is_empty() => list.iter().any(|a| a == kind),
        _ => !matches!(
            kind.as_str(),
            "chat_member" | "message_reaction" | "message_reaction_count"
        ),
    }
}

async fn get_updates(shared: &Shared, params: &Value, me: u64) -> Response {
    let offset = params.get("offset").and_then(Value::as_i64).unwrap_or(0);
    let limit = params.get("limit").and_then(Value::as_u64).unwrap_or(100).clamp(1, 100) as usize;
    let timeout = params.get("timeout").and_then(Value::as_u64).unwrap_or(0);
    let wait = Duration::from_secs(timeout).min(shared.max_long_poll);
    let deadline = tokio::time::Instant::now() + wait;
    // An older poll still waiting is ended now.
    shared.new_update.notify_waiters();
    loop {
        let notified = shared.new_update.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let batch: Vec<Value> = {
            let mut inner = shared.inner.lock().unwrap();
            if inner.polls != me {
                return rules::error(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                );
            }
            set_allowed(&mut inner, params);
            // An offset confirms every update before it: Telegram forgets them.
            while inner.updates.front().is_some_and(|(id, _)| *id < offset) {
                inner.updates.pop_front();
            }
            // Kinds the bot did not ask for are never delivered.
            let (allowed, since) = (inner.allowed.clone(), inner.allowed_since);
            inner
                .updates
                .retain(|(id, u)| (*id < since && inner_default(u)) || is_allowed(allowed.as_deref(), u));
            inner.updates.iter().take(limit).map(|(_, u)| u.clone()).collect()
        };
        if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
            return ok(Value::Array(batch));
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

/// `getChat` / `getChatMember` of a group the server knows; Telegram's refusal otherwise.
fn group_info(shared: &Shared, method: &str, chat_id: i64, params: &Value) -> Response {
    let Some((title, status)) = shared.inner.lock().unwrap().groups.get(&chat_id).cloned() else {
        return rules::bad_request("chat not found");
    };
    if method == "getchat" {
        return ok(json!({
            "id": chat_id, "type": "supergroup", "title": title,
            "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": { "unlimited_gifts": false, "limited_gifts": false, "unique_gifts": false, "premium_subscription": false }
        }));
    }
    if params["user_id"].as_i64() != Some(crate::BOT_ID) {
        return rules::bad_request("user not found");
    }
    let user = json!({ "id": crate::BOT_ID, "is_bot": true, "first_name": "Kabinet", "username": crate::BOT_USERNAME });
    let member = match status.as_str() {
        "restricted" => json!({
            "user": user, "status": "restricted", "until_date": 0, "is_member": true,
            "can_send_messages": false, "can_send_audios": false, "can_send_documents": false,
            "can_send_photos": false, "can_send_videos": false, "can_send_video_notes": false,
            "can_send_voice_notes": false, "can_send_polls": false, "can_send_other_messages": false,
            "can_add_web_page_previews": false, "can_change_info": false, "can_invite_users": false,
            "can_pin_messages": false, "can_manage_topics": false
        }),
        "administrator" => json!({
            "user": user, "status": "administrator", "can_be_edited": false, "is_anonymous": false,
            "can_manage_chat": true, "can_delete_messages": true, "can_manage_video_chats": false,
            "can_restrict_members": false, "can_promote_members": false, "can_change_info": false,
            "can_invite_users": true, "can_post_stories": false, "can_edit_stories": false,
            "can_delete_stories": false, "can_pin_messages": true
        }),
        "kicked" => json!({ "user": user, "status": "kicked", "until_date": 0 }),
        other => json!({ "user": user, "status": other }),
    };
    ok(member)
}

/// The topic a message goes to: `message_thread_id` if given — a topic of the forum, else
/// Telegram's «message thread not found» —, or the topic of the message it replies to.
fn thread_of(shared: &Shared, chat_id: i64, params: &Value) -> Result<Option<i64>, &'static str> {
    let inner = shared.inner.lock().unwrap();
    let given = match &params["message_thread_id"] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    if let Some(thread) = given {
        let known = inner
            .forums
            .get(&chat_id)
            .is_some_and(|f| f.topics.contains_key(&thread));
        return if known {
            Ok(Some(thread))
        } else {
            Err("message thread not found")
        };
    }
    let Some(replied) = crate::reply_to_of(params) else {
        return Ok(None);
    };
    // In a forum a reply needs its message (`allow_sending_without_reply` is always false in
    // topics): one deleted, or gone with its topic, is refused.
    if let Some(forum) = inner.forums.get(&chat_id) {
        let exists = forum.topics.contains_key(&replied)
            || inner.latest.get(&replied).is_some_and(|m| m.chat_id == chat_id)
            || inner.incoming.contains(&(chat_id, replied));
        if !exists {
            return Err("message to be replied not found");
        }
    }
    Ok(inner.thread_of_message(chat_id, replied))
}

/// `createForumTopic`: a new topic of a forum whose topics the bot may manage.
fn create_topic(shared: &Shared, chat_id: i64, params: &Value) -> Response {
    let name = params["name"].as_str().unwrap_or_default().to_owned();
    let mut inner = shared.inner.lock().unwrap();
    if !inner.groups.contains_key(&chat_id) && !inner.forums.contains_key(&chat_id) {
        return rules::bad_request("chat not found");
    }
    let Some(forum) = inner.forums.get_mut(&chat_id) else {
        return rules::bad_request("the chat is not a forum");
    };
    if !forum.bot_manages_topics {
        return rules::bad_request("not enough rights to create a topic");
    }
    if name.is_empty() || name.chars().count() > 128 {
        return rules::bad_request("TOPIC_TITLE_EMPTY");
    }
    let thread = shared.next_message_id.fetch_add(1, Ordering::SeqCst);
    forum.topics.insert(thread, name.clone());
    ok(json!({ "message_thread_id": thread, "name": name, "icon_color": 7_322_096 }))
}
