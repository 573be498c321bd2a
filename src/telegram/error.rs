//! What can go wrong with a send, and how each Bot API error is taken.

use std::time::Duration;
use teloxide::{ApiError, RequestError};

/// Why a send did not happen.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// Telegram refused the request itself (400): sending it again changes nothing.
    #[error("refused by Telegram: {0}")]
    Refused(String),
    /// The chat cannot be reached (the person blocked the bot, the chat is gone): 403.
    #[error("chat unreachable: {0}")]
    Unreachable(String),
    /// The group became a supergroup with this id (400 with `migrate_to_chat_id`).
    #[error("the group became a supergroup: {0}")]
    Migrated(i64),
    /// Server or network errors, retried as far as the priority allows.
    #[error("Telegram or the network failed: {0}")]
    Transient(String),
    /// 429 with a wait longer than a bulk send holds its place for.
    #[error("Telegram asks to wait {0:?}")]
    RetryAfter(Duration),
    /// The process is stopping: a bulk send waiting for its turn gave it up.
    #[error("stopping")]
    Stopped,
}

impl SendError {
    /// Final: sending the same again will fail the same way.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Refused(_) | Self::Unreachable(_) | Self::Migrated(_))
    }

    /// A forum topic the message was for is gone (deleted by an operator).
    pub fn thread_gone(&self) -> bool {
        matches!(self, Self::Refused(e) if e.contains("message thread not found"))
    }

    /// The message an edit was for is gone (deleted in the chat, or with its forum topic).
    pub fn edit_gone(&self) -> bool {
        matches!(self, Self::Refused(e) if e.contains("message to edit not found"))
    }

    /// The message a reply was for is gone (and Telegram would not send it without: in a forum
    /// topic it never does).
    pub fn reply_gone(&self) -> bool {
        matches!(self, Self::Refused(e) if e.contains("message to be replied not found"))
    }

    /// The bot is not in the chat or may not write there: a group can let it back.
    pub fn not_allowed(&self) -> bool {
        match self {
            Self::Unreachable(_) => true,
            Self::Refused(e) => e.contains("not enough rights") || e.contains("have no rights"),
            _ => false,
        }
    }
}

/// How a Bot API error is taken. teloxide loses the HTTP status, so the description says it:
/// Telegram's 4xx descriptions start with their status text.
pub(super) fn classify(e: RequestError) -> Result<SendError, Duration> {
    match e {
        RequestError::RetryAfter(s) => Err(s.duration()),
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::ChatNotFound
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::CantInitiateConversation
            | ApiError::GroupDeactivated,
        ) => Ok(SendError::Unreachable(e.to_string())),
        RequestError::Api(ApiError::Unknown(text))
            if !["Bad Request", "Forbidden", "Unauthorized", "Conflict", "Not Found"]
                .iter()
                .any(|p| text.starts_with(p)) =>
        {
            Ok(SendError::Transient(text))
        }
        RequestError::Api(ApiError::Unknown(text)) if text.starts_with("Forbidden") => Ok(SendError::Unreachable(text)),
        RequestError::Api(api) => Ok(SendError::Refused(api.to_string())),
        RequestError::MigrateToChatId(c) => Ok(SendError::Migrated(c.0)),
        other => Ok(SendError::Transient(other.to_string())),
    }
}
