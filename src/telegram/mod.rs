//! The only way out to Telegram. Every message the bot sends — replies, edits, callback
//! answers, files, the desk's cards, pushes — goes through [`Telegram`], which keeps
//! Telegram's limits (without holding up a lone reply), waits out `retry_after` on 429 and
//! sends again, retries server and network errors a bounded number of times, keeps the order
//! of messages within a chat, splits texts that are too long, and takes 400/403 as final
//! (logged with the reason and counted). The plain teloxide `Bot` stays inside this module.

mod error;
pub mod lanes;
pub mod limiter;
pub mod push;
pub mod split;

pub use error::SendError;
use error::classify;
pub use limiter::{BROADCAST_PER_SEC, Limits, PAID_PER_SEC, Priority};
pub use split::{CAPTION_LIMIT, TEXT_LIMIT};

use crate::store::Store;
use limiter::Limiter;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::RequestError;
use teloxide::net::Download;
use teloxide::payloads::setters::*;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, CallbackQueryId, ChatId, FileId, InputFile, MessageId, ParseMode, ReplyMarkup, ReplyParameters,
    ThreadId,
};
use tokio::sync::watch;

/// Escapes text someone typed before it goes into an HTML message.
pub fn esc(s: &str) -> String {
    teloxide::utils::html::escape(s)
}

/// Figures since start: what was sent and what Telegram pushed back.
#[derive(Debug, Default)]
pub struct Counters {
    pub sent: AtomicU64,
    /// 429 answers received (each waited out).
    pub too_many_requests: AtomicU64,
    pub retry_after_waited_ms: AtomicU64,
    pub refused: AtomicU64,
    pub unreachable: AtomicU64,
    pub transient: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub sent: u64,
    pub too_many_requests: u64,
    pub retry_after_waited_ms: u64,
    pub refused: u64,
    pub unreachable: u64,
    pub transient: u64,
}

/// Retries of server and network errors for replies (bulk sends return at once: the outbox
/// has its own schedule that survives restarts).
const REPLY_RETRIES: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];
/// A bulk send waits out a 429 this long in place; longer, it goes back to the outbox.
const BULK_WAIT_IN_PLACE: Duration = Duration::from_secs(10);
/// A reply keeps waiting out 429s for up to this long in all.
const REPLY_MAX_WAIT: Duration = Duration::from_secs(300);

struct Inner {
    bot: Bot,
    limiter: Limiter,
    /// One turn at a time per chat: messages to a chat leave in the order they were asked.
    turns: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    counters: Counters,
    store: Option<Store>,
    stopping: watch::Receiver<bool>,
    lanes: lanes::Lanes,
}

/// The sending path (cheap to clone).
#[derive(Clone)]
pub struct Telegram {
    inner: Arc<Inner>,
}

/// A file to send: one Telegram already has, or bytes with a name.
#[derive(Debug, Clone)]
pub enum FileSource {
    Id(String),
    Bytes { bytes: Vec<u8>, name: String },
}

#[derive(Debug, Clone)]
pub struct OutFile {
    pub source: FileSource,
    /// Sent as a photo (shown inline) rather than as a document.
    pub photo: bool,
}

/// Where a message goes and what comes with it.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub markup: Option<ReplyMarkup>,
    pub reply_to: Option<MessageId>,
    /// The forum topic to post in (a reply goes to its message's topic without it).
    pub thread: Option<ThreadId>,
}

impl Extras {
    pub fn markup(markup: impl Into<ReplyMarkup>) -> Self {
        Self {
            markup: Some(markup.into()),
            ..Self::default()
        }
    }

    pub fn reply_to(mut self, id: MessageId) -> Self {
        self.reply_to = Some(id);
        self
    }
}

impl Telegram {
    /// `store` records Telegram's refusals for /stats; `stopping` turning true makes bulk
    /// sends that wait for their turn give up (in-flight ones finish).
    pub fn new(bot: Bot, limits: Limits, store: Option<Store>, stopping: watch::Receiver<bool>) -> Self {
        Self {
            inner: Arc::new(Inner {
                bot,
                limiter: Limiter::new(limits),
                turns: Mutex::new(HashMap::new()),
                counters: Counters::default(),
                store,
                stopping,
                lanes: Default::default(),
            }),
        }
    }

    pub fn figures(&self) -> Figures {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Figures {
            sent: get(&c.sent),
            too_many_requests: get(&c.too_many_requests),
            retry_after_waited_ms: get(&c.retry_after_waited_ms),
            refused: get(&c.refused),
            unreachable: get(&c.unreachable),
            transient: get(&c.transient),
        }
    }

    /// Takes the chat's turn: until the returned guard is dropped, other sends to the chat wait.
    pub async fn turn(&self, chat: ChatId, priority: Priority) -> Turn<'_> {
        let lock = {
            let mut turns = self.inner.turns.lock().expect("turns lock");
            if turns.len() > 1000 {
                turns.retain(|_, l| Arc::strong_count(l) > 1);
            }
            turns.entry(chat.0).or_default().clone()
        };
        let guard = lock.clone().lock_owned().await;
        Turn {
            tg: self,
            chat,
            priority,
            _guard: guard,
        }
    }

    /// `createForumTopic`: a topic named `name` in the forum supergroup `chat`; its thread.
    pub async fn create_forum_topic(&self, chat: ChatId, name: &str) -> Result<ThreadId, SendError> {
        let bot = &self.inner.bot;
        self.call(chat, Priority::Bulk, true, "createForumTopic", || {
            let req = bot.create_forum_topic(chat, name.to_owned());
            async move { req.await.map(|t| t.thread_id) }
        })
        .await
    }

    /// Sends `html` to `chat`, split into as many messages as it needs (the markup on the
    /// last); returns their ids.
    pub async fn send(
        &self,
        chat: ChatId,
        priority: Priority,
        html: &str,
        extras: Extras,
    ) -> Result<Vec<MessageId>, SendError> {
        let mut turn = self.turn(chat, priority).await;
        turn.send_split(html, extras).await
    }

    /// A file with an optional caption; a caption too long for one goes as messages after it
    /// (with the markup on the last of them).
    pub async fn send_file(
        &self,
        chat: ChatId,
        priority: Priority,
        file: &OutFile,
        caption: Option<&str>,
        extras: Extras,
    ) -> Result<MessageId, SendError> {
        let mut turn = self.turn(chat, priority).await;
        match caption {
            Some(c) if split::shown_len(c) > CAPTION_LIMIT => {
                let id = turn.send_file(file, None, Extras::default()).await?;
                turn.send_split(c, extras.reply_to(id)).await?;
                Ok(id)
            }
            _ => turn.send_file(file, caption, extras).await,
        }
    }

    /// Replaces a message's text (and markup). The same text again is not an error. A text
    /// that no longer fits is cut with «…» (callers keep what they edit within the limit).
    pub async fn edit(
        &self,
        chat: ChatId,
        message: MessageId,
        html: &str,
        markup: Option<ReplyMarkup>,
    ) -> Result<(), SendError> {
        let text = if split::shown_len(html) > TEXT_LIMIT {
            tracing::warn!(chat = chat.0, "an edit over Telegram's limit was cut");
            split::truncate(html, TEXT_LIMIT)
        } else {
            html.to_owned()
        };
        let inline = match markup {
            Some(ReplyMarkup::InlineKeyboard(k)) => Some(k),
            _ => None,
        };
        let bot = &self.inner.bot;
        let result = self
            .call(chat, Priority::Reply, false, "editMessageText", || {
                let mut req = bot
                    .edit_message_text(chat, message, text.clone())
                    .parse_mode(ParseMode::Html);
                if let Some(k) = inline.clone() {
                    req = req.reply_markup(k);
                }
                async move { req.await.map(|_| ()) }
            })
            .await;
        match result {
            Err(SendError::Refused(e)) if e.contains("message is not modified") => Ok(()),
            other => other,
        }
    }

    /// Stops a button's spinner, with a short notice (cut to Telegram's 200 characters) or an
    /// alert. Answered on its own task, outside the chat's lane: the spinner stops at once
    /// whatever the chat has queued. A query too old to answer is logged, not an error.
    pub fn answer_callback(&self, id: &CallbackQueryId, text: Option<&str>, alert: bool) {
        let tg = self.clone();
        let id = id.clone();
        let text = text.map(|t| split::truncate(t, 200));
        tokio::spawn(async move {
            let bot = &tg.inner.bot;
            let result = tg
                .call(ChatId(0), Priority::Reply, false, "answerCallbackQuery", || {
                    let mut req = bot.answer_callback_query(id.clone());
                    if let Some(t) = text.clone() {
                        req = req.text(t).show_alert(alert);
                    }
                    async move { req.await.map(|_| ()) }
                })
                .await;
            if let Err(e) = result {
                tracing::info!(error = %e, "callback query not answered");
            }
        });
    }

    pub async fn delete(&self, chat: ChatId, message: MessageId) -> Result<(), SendError> {
        let bot = &self.inner.bot;
        self.call(chat, Priority::Reply, false, "deleteMessage", || {
            let req = bot.delete_message(chat, message);
            async move { req.await.map(|_| ()) }
        })
        .await
    }

    /// The bytes of a file someone sent, up to `max` bytes; `None` if larger or unavailable.
    pub async fn download(&self, file_id: &str, max: u32) -> Option<Vec<u8>> {
        let bot = &self.inner.bot;
        let file = bot.get_file(FileId(file_id.to_owned())).await.ok()?;
        if file.size > max {
            return None;
        }
        let mut buf = Vec::new();
        bot.download_file(&file.path, &mut buf).await.ok()?;
        Some(buf)
    }

    /// The command menu, per language (`None` for the default).
    pub async fn set_commands(&self, commands: Vec<BotCommand>, language: Option<&str>) -> Result<(), SendError> {
        let bot = &self.inner.bot;
        self.call(ChatId(0), Priority::Reply, false, "setMyCommands", || {
            let mut req = bot.set_my_commands(commands.clone());
            if let Some(l) = language {
                req = req.language_code(l);
            }
            async move { req.await.map(|_| ()) }
        })
        .await
    }

    /// One Bot API call with the sending rules: the chat's limits when `limited`, 429 waited
    /// out, server and network errors retried for replies, refusals recorded.
    async fn call<T, F, Fut>(
        &self,
        chat: ChatId,
        priority: Priority,
        limited: bool,
        method: &'static str,
        mut make: F,
    ) -> Result<T, SendError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, RequestError>>,
    {
        let c = &self.inner.counters;
        let mut retries = REPLY_RETRIES.iter();
        let mut waited = Duration::ZERO;
        loop {
            if limited {
                self.wait_turn(chat, priority).await?;
            }
            let answer = make().await;
            // An answer of Telegram's own (not a network failure): the Bot API is reachable.
            if !matches!(&answer, Err(RequestError::Network(_) | RequestError::Io(_))) {
                crate::metrics::get().bot_api_answered();
            }
            let error = match answer {
                Ok(v) => {
                    if limited {
                        c.sent.fetch_add(1, Ordering::Relaxed);
                    }
                    return Ok(v);
                }
                Err(e) => classify(e),
            };
            match error {
                Err(retry_after) => {
                    c.too_many_requests.fetch_add(1, Ordering::Relaxed);
                    crate::metrics::get().telegram_429.inc();
                    crate::metrics::get()
                        .telegram_429_wait_seconds
                        .inc_by(retry_after.as_secs_f64());
                    self.inner.limiter.freeze(chat.0, retry_after);
                    tracing::warn!(chat = chat.0, method, ?retry_after, "429 from Telegram: waiting");
                    waited += retry_after;
                    let give_up = match priority {
                        Priority::Bulk | Priority::Paid => retry_after > BULK_WAIT_IN_PLACE,
                        Priority::Reply => waited > REPLY_MAX_WAIT,
                    };
                    if give_up {
                        return Err(SendError::RetryAfter(retry_after));
                    }
                    if !limited {
                        tokio::time::sleep(retry_after).await;
                    }
                    c.retry_after_waited_ms
                        .fetch_add(retry_after.as_millis() as u64, Ordering::Relaxed);
                }
                Ok(SendError::Transient(e)) => {
                    c.transient.fetch_add(1, Ordering::Relaxed);
                    let next = match priority {
                        Priority::Reply => retries.next(),
                        Priority::Bulk | Priority::Paid => None,
                    };
                    let Some(pause) = next else {
                        tracing::warn!(chat = chat.0, method, error = %e, "Telegram send failed");
                        return Err(SendError::Transient(e));
                    };
                    tracing::info!(chat = chat.0, method, error = %e, "Telegram send failed: retrying");
                    tokio::time::sleep(*pause).await;
                }
                // The same text again: not a refusal (callers take it as done).
                Ok(SendError::Refused(e)) if e.contains("message is not modified") => {
                    return Err(SendError::Refused(e));
                }
                Ok(final_error) => {
                    self.refused(chat, method, &final_error).await;
                    return Err(final_error);
                }
            }
        }
    }

    /// Waits until the limits allow a message to `chat`. Bulk sends give up when stopping.
    async fn wait_turn(&self, chat: ChatId, priority: Priority) -> Result<(), SendError> {
        let mut stopping = self.inner.stopping.clone();
        loop {
            match self.inner.limiter.try_take(chat.0, priority) {
                Ok(()) => return Ok(()),
                Err(wait) => {
                    if priority != Priority::Reply && *stopping.borrow() {
                        return Err(SendError::Stopped);
                    }
                    match priority {
                        Priority::Reply => tokio::time::sleep(wait).await,
                        Priority::Bulk | Priority::Paid => {
                            tokio::select! {
                                _ = tokio::time::sleep(wait) => {}
                                _ = stopping.changed() => {}
                            }
                        }
                    }
                }
            }
        }
    }

    async fn refused(&self, chat: ChatId, method: &str, e: &SendError) {
        let c = &self.inner.counters;
        match e {
            SendError::Unreachable(_) => c.unreachable.fetch_add(1, Ordering::Relaxed),
            _ => c.refused.fetch_add(1, Ordering::Relaxed),
        };
        tracing::warn!(chat = chat.0, method, error = %e, "Telegram refused");
        let Some(store) = &self.inner.store else { return };
        let now = chrono::Utc::now();
        if let SendError::Unreachable(_) = e
            && chat.0 > 0
            && let Err(db) = store.mark_chat_blocked(chat.0, now).await
        {
            tracing::error!(error = %db, "could not mark a chat unreachable");
        }
        if let Err(db) = store.record_refusal(chat.0, method, &e.to_string(), now).await {
            tracing::error!(error = %db, "could not record a refusal");
        }
    }
}

/// A chat's turn: sends made through it reach the chat in the order they are made.
pub struct Turn<'a> {
    tg: &'a Telegram,
    chat: ChatId,
    priority: Priority,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Turn<'_> {
    /// One message; `html` must fit (see [`split::split`]).
    pub async fn send_text(&mut self, html: &str, extras: Extras) -> Result<MessageId, SendError> {
        let bot = &self.tg.inner.bot;
        let chat = self.chat;
        let paid = self.priority == Priority::Paid;
        self.tg
            .call(chat, self.priority, true, "sendMessage", || {
                let mut req = bot.send_message(chat, html.to_owned()).parse_mode(ParseMode::Html);
                if paid {
                    req = req.allow_paid_broadcast(true);
                }
                if let Some(m) = extras.markup.clone() {
                    req = req.reply_markup(m);
                }
                if let Some(r) = extras.reply_to {
                    req = req.reply_parameters(ReplyParameters::new(r).allow_sending_without_reply());
                }
                if let Some(t) = extras.thread {
                    req = req.message_thread_id(t);
                }
                async move { req.await.map(|m| m.id) }
            })
            .await
    }

    /// `html` split as it needs, the markup on the last part.
    pub async fn send_split(&mut self, html: &str, extras: Extras) -> Result<Vec<MessageId>, SendError> {
        let parts = split::split(html, TEXT_LIMIT);
        let mut ids = Vec::with_capacity(parts.len());
        let last = parts.len() - 1;
        for (i, part) in parts.iter().enumerate() {
            let ex = Extras {
                markup: if i == last { extras.markup.clone() } else { None },
                ..extras.clone()
            };
            ids.push(self.send_text(part, ex).await?);
        }
        Ok(ids)
    }

    /// One file; a caption must fit ([`CAPTION_LIMIT`]).
    pub async fn send_file(
        &mut self,
        file: &OutFile,
        caption: Option<&str>,
        extras: Extras,
    ) -> Result<MessageId, SendError> {
        let bot = &self.tg.inner.bot;
        let chat = self.chat;
        let method = if file.photo { "sendPhoto" } else { "sendDocument" };
        self.tg
            .call(chat, self.priority, true, method, || {
                let input = match &file.source {
                    FileSource::Id(id) => InputFile::file_id(FileId(id.clone())),
                    FileSource::Bytes { bytes, name } => InputFile::memory(bytes.clone()).file_name(name.clone()),
                };
                let reply = extras
                    .reply_to
                    .map(|r| ReplyParameters::new(r).allow_sending_without_reply());
                let (markup, thread) = (extras.markup.clone(), extras.thread);
                let caption = caption.map(str::to_owned);
                let photo = file.photo;
                async move {
                    // The two requests are of two types with the same setters.
                    macro_rules! with_extras {
                        ($req:expr) => {{
                            let mut req = $req;
                            if let Some(c) = caption {
                                req = req.caption(c).parse_mode(ParseMode::Html);
                            }
                            if let Some(r) = reply {
                                req = req.reply_parameters(r);
                            }
                            if let Some(m) = markup {
                                req = req.reply_markup(m);
                            }
                            if let Some(t) = thread {
                                req = req.message_thread_id(t);
                            }
                            req.await
                        }};
                    }
                    let sent = if photo {
                        with_extras!(bot.send_photo(chat, input))
                    } else {
                        with_extras!(bot.send_document(chat, input))
                    };
                    sent.map(|m| m.id)
                }
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    /// Handler and worker code cannot reach the plain teloxide `Bot` (or its `Requester`
    /// methods): everything they send goes through `Telegram`.
    #[test]
    fn only_this_module_talks_to_the_bot_api() {
        let mut offenders = Vec::new();
        for dir in ["src/bot", "src/desk", "src/worker"] {
            let mut stack = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)];
            while let Some(p) = stack.pop() {
                if p.is_dir() {
                    stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                    continue;
                }
                if p.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                for (n, line) in std::fs::read_to_string(&p).unwrap().lines().enumerate() {
                    let code = line.split("//").next().unwrap_or_default();
                    // Drop string literals: texts may name the Bot API.
                    let code: String = code.split('"').step_by(2).collect();
                    let named = code
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .any(|w| w == "Bot" || w == "Requester" || w == "Throttle");
                    if named {
                        offenders.push(format!("{}:{}: {line}", p.display(), n + 1));
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "{}", offenders.join("\n"));
    }
}
