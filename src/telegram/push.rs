//! A queued Telegram message (an outbox row) delivered piece by piece: a long text goes as
//! several messages, each recorded when Telegram accepts it, so a retry sends only the parts
//! still missing.

use super::{Extras, Priority, SendError, TEXT_LIMIT, Telegram, split};
use crate::store::outbox::Button;
use crate::store::{Store, StoreError};
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ReplyMarkup};

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Send(#[from] SendError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A queued message as it is sent.
pub struct Push<'a> {
    /// The outbox row: names the pieces.
    pub row: i64,
    pub chat_id: i64,
    pub text: &'a str,
    /// Under the last part.
    pub keyboard: Option<ReplyMarkup>,
    pub reply_to: Option<i64>,
    /// Nothing of it can have been sent before, and it is marked as being sent already (see
    /// `Store::outbox_leased_row`): no piece is looked up, and the last one's record marks the
    /// row delivered. Otherwise the caller marks it.
    pub fresh: bool,
}

/// The inline keyboard of a queued message: its rows, else its one button.
pub fn keyboard(button: Option<&Button>, rows: &[Vec<Button>]) -> Option<InlineKeyboardMarkup> {
    let make = |b: &Button| InlineKeyboardButton::callback(b.text.clone(), b.data.clone());
    if !rows.is_empty() {
        return Some(InlineKeyboardMarkup::new(
            rows.iter().map(|r| r.iter().map(make).collect::<Vec<_>>()),
        ));
    }
    button.map(|b| InlineKeyboardMarkup::new(vec![vec![make(b)]]))
}

/// Sends what Telegram has not accepted yet of `push`.
pub async fn deliver(tg: &Telegram, store: &Store, priority: Priority, push: &Push<'_>) -> Result<(), PushError> {
    let parts = split::split(push.text, TEXT_LIMIT);
    let last = parts.len() - 1;
    let mut turn = tg.turn(ChatId(push.chat_id), priority).await;
    for (i, part) in parts.iter().enumerate() {
        let key = format!("out:{}:{i}", push.row);
        if !push.fresh && store.piece(&key).await?.is_some() {
            continue;
        }
        let markup = push.keyboard.clone().filter(|_| i == last);
        let extras = Extras {
            markup,
            reply_to: push.reply_to.map(|r| MessageId(r as i32)),
            thread: None,
        };
        if !push.fresh {
            store.outbox_sending(push.row, chrono::Utc::now()).await?;
        }
        let sent = turn.send_text(part, extras).await?;
        let (message, now) = (i64::from(sent.0), chrono::Utc::now());
        if push.fresh && i == last {
            store
                .record_last_piece(&key, push.chat_id, message, push.row, now)
                .await?;
        } else {
            store.record_piece(&key, push.chat_id, message, None, now).await?;
        }
    }
    Ok(())
}
