//! What Telegram refuses: its rate limits (429 with `retry_after`), message, caption and
//! callback sizes, inline keyboards, broken HTML; and the faults a test asks for. Every
//! refusal carries Telegram's own words.

use crate::html;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

pub const MAX_TEXT: usize = 4096;
pub const MAX_CAPTION: usize = 1024;
pub const MAX_CALLBACK_DATA: usize = 64;
pub const MAX_CALLBACK_ANSWER: usize = 200;
pub const MAX_INLINE_BUTTONS: usize = 100;

/// A call of one method that will fail: after `skip` more calls of it, `times` calls in a
/// row are answered with `status`.
pub(crate) struct FailCall {
    pub method: String,
    pub skip: usize,
    pub times: usize,
    pub status: u16,
}

/// A token bucket: `tokens` of `cap`, refilled at `rate` per second.
#[derive(Clone, Copy)]
pub(crate) struct Bucket {
    tokens: f64,
    at: Instant,
    cap: f64,
    rate: f64,
}

impl Bucket {
    fn new(cap: f64, rate: f64, now: Instant) -> Self {
        Self {
            tokens: cap,
            at: now,
            cap,
            rate,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.cap);
        self.at = now;
    }

    /// Seconds until a token is there (0 when one is).
    fn wait(&self) -> f64 {
        if self.tokens >= 1.0 {
            0.0
        } else {
            (1.0 - self.tokens) / self.rate
        }
    }
}

/// Faults a test asks for, and Telegram's limits when enforced.
pub(crate) struct Faults {
    /// HTTP statuses for the next sending calls (500, 502…).
    pub fail_next: VecDeque<u16>,
    pub fail_calls: Vec<FailCall>,
    pub garbage_next: usize,
    pub drop_next: usize,
    pub retry_after_next: Option<u32>,
    pub blocked: HashSet<i64>,
    pub enforce_limits: bool,
    overall: Bucket,
    /// What messages sent with `allow_paid_broadcast` share instead of `overall`.
    paid: Bucket,
    per_chat: HashMap<i64, Bucket>,
    pub too_many_requests: usize,
    /// Messages accepted with `allow_paid_broadcast`.
    pub paid_sent: usize,
    /// Webhook updates still to be posted twice, and those that were.
    pub webhook_reposts: usize,
    pub webhook_reposted: usize,
    /// Groups turned into supergroups: the old id and the new.
    pub migrated: HashMap<i64, i64>,
    /// Groups the bot was removed from.
    pub kicked: HashSet<i64>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            fail_next: VecDeque::new(),
            fail_calls: Vec::new(),
            garbage_next: 0,
            drop_next: 0,
            retry_after_next: None,
            blocked: Default::default(),
            enforce_limits: false,
            overall: Bucket::new(30.0, 30.0, Instant::now()),
            paid: Bucket::new(1000.0, 1000.0, Instant::now()),
            per_chat: Default::default(),
            too_many_requests: 0,
            paid_sent: 0,
            webhook_reposts: 0,
            webhook_reposted: 0,
            migrated: Default::default(),
            kicked: Default::default(),
        }
    }
}

impl Faults {
    /// A failure asked for this call of `method`, if any.
    pub fn planned_failure(&mut self, method: &str) -> Option<u16> {
        let plan = self.fail_calls.iter_mut().find(|f| f.method == method)?;
        if plan.skip > 0 {
            plan.skip -= 1;
            return None;
        }
        plan.times -= 1;
        let status = plan.status;
        self.fail_calls.retain(|f| f.times > 0);
        Some(status)
    }

    /// What Telegram answers any call about a group that changed under the bot: a group
    /// upgraded to a supergroup names its new id (400 with `migrate_to_chat_id`); a group the
    /// bot was removed from is 403.
    pub fn group_refusal(&self, chat_id: i64) -> Option<Response> {
        if let Some(to) = self.migrated.get(&chat_id) {
            return Some(
                (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({
                        "ok": false, "error_code": 400,
                        "description": "Bad Request: group chat was upgraded to a supergroup chat",
                        "parameters": { "migrate_to_chat_id": to }
                    })),
                )
                    .into_response(),
            );
        }
        if self.kicked.contains(&chat_id) {
            let kind = if chat_id <= -1_000_000_000_000 {
                "supergroup"
            } else {
                "group"
            };
            return Some(error(403, &format!("Forbidden: bot was kicked from the {kind} chat")));
        }
        None
    }

    /// A fault the test asked for, or a 429 for going over the limits; None lets a sending
    /// call through.
    pub fn sending(&mut self, chat_id: i64, paid: bool) -> Option<Response> {
        if let Some(status) = self.fail_next.pop_front() {
            return Some(error(status, "Internal Server Error"));
        }
        if let Some(secs) = self.retry_after_next.take() {
            return Some(too_many(secs));
        }
        if self.blocked.contains(&chat_id) {
            return Some(error(403, "Forbidden: bot was blocked by the user"));
        }
        if self.enforce_limits {
            let now = Instant::now();
            // 30 at once and 30/s overall (1,000 for paid broadcasts); a burst of 3 and 1/s in
            // a private chat; 20 at once and 20/min in a group.
            let (cap, rate) = if chat_id < 0 { (20.0, 20.0 / 60.0) } else { (3.0, 1.0) };
            let overall = if paid { &mut self.paid } else { &mut self.overall };
            overall.refill(now);
            let chat = self
                .per_chat
                .entry(chat_id)
                .or_insert_with(|| Bucket::new(cap, rate, now));
            chat.refill(now);
            let wait = overall.wait().max(chat.wait());
            if wait > 0.0 {
                self.too_many_requests += 1;
                // Telegram names whole seconds, at least one.
                return Some(too_many(wait.ceil().max(1.0) as u32));
            }
            overall.tokens -= 1.0;
            chat.tokens -= 1.0;
        }
        if paid {
            self.paid_sent += 1;
        }
        None
    }
}

pub fn too_many(secs: u32) -> Response {
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

pub fn error(code: u16, description: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        axum::Json(json!({ "ok": false, "error_code": code, "description": description })),
    )
        .into_response()
}

pub fn bad_request(description: &str) -> Response {
    error(400, &format!("Bad Request: {description}"))
}

/// The shown text of a message or caption: parsed by its parse mode.
fn shown(text: &str, parse_mode: Option<&str>) -> Result<String, String> {
    match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        Some("html") => html::parse(text).map_err(|e| format!("can't parse entities: {e}")),
        _ => Ok(text.to_owned()),
    }
}

/// What kind of text is checked: each has its own limit and words.
#[derive(Clone, Copy)]
pub enum TextKind {
    Message,
    Edit,
    Caption,
}

/// Refuses (with Telegram's description after "Bad Request: ") a text Telegram would refuse: broken HTML, empty (captions may be), too long in
/// UTF-16 code units after parsing.
pub fn check_text(kind: TextKind, text: &str, parse_mode: Option<&str>) -> Result<(), String> {
    let shown = shown(text, parse_mode)?;
    let len = html::telegram_len(&shown);
    match kind {
        TextKind::Message | TextKind::Edit if len == 0 => Err("message text is empty".into()),
        TextKind::Message if len > MAX_TEXT => Err("message is too long".into()),
        TextKind::Edit if len > MAX_TEXT => Err("MESSAGE_TOO_LONG".into()),
        TextKind::Caption if len > MAX_CAPTION => Err("message caption is too long".into()),
        _ => Ok(()),
    }
}

/// Refuses an inline keyboard Telegram would refuse: callback data over 64 bytes (or empty),
/// a button that does nothing, more than 100 buttons.
pub fn check_markup(markup: Option<&Value>) -> Result<(), String> {
    let Some(rows) = markup.and_then(|m| m.get("inline_keyboard")).and_then(Value::as_array) else {
        return Ok(());
    };
    let mut count = 0;
    for row in rows {
        for b in row.as_array().map(Vec::as_slice).unwrap_or_default() {
            count += 1;
            match (b.get("callback_data").and_then(Value::as_str), b.get("url")) {
                (Some(data), _) if data.is_empty() || data.len() > MAX_CALLBACK_DATA => {
                    return Err("BUTTON_DATA_INVALID".into());
                }
                (None, None) if b.get("switch_inline_query").is_none() && b.get("web_app").is_none() => {
                    return Err(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard".into(),
                    );
                }
                _ => {}
            }
        }
    }
    if count > MAX_INLINE_BUTTONS {
        return Err("reply markup is too long".into());
    }
    Ok(())
}

/// `answerCallbackQuery`'s notice: at most 200 characters.
pub fn check_callback_answer(text: Option<&str>) -> Result<(), String> {
    match text {
        Some(t) if t.encode_utf16().count() > MAX_CALLBACK_ANSWER => Err("MESSAGE_TOO_LONG".into()),
        _ => Ok(()),
    }
}
