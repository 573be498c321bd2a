//! The dialogue in progress per chat (its state as JSON; the bot reads and writes it).

use super::Store;
use super::sql;

impl Store {
    /// A chat's dialogue state, as stored.
    pub async fn dialogue_state(&self, chat_id: i64) -> super::Result<Option<String>> {
        let row: Option<(String,)> = sql::query_as("SELECT state FROM dialogues WHERE chat_id = $1")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.0))
    }
}
