//! The outages' cards in the operators' group (`outage_cards`) and the appeals grouped on them
//! (`tickets.outage_id`).

use super::sql;
use super::tickets::Attachment;
use super::{Result, Store};
use crate::domain::tickets::TicketStatus;

/// An appeal or a complaint grouped on an outage's card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutageTicket {
    pub id: i64,
    pub number: String,
    pub status: TicketStatus,
    /// The address it names, or empty.
    pub address: String,
    /// The consumer's first message.
    pub text: String,
    /// It has a card of its own (the consumer wrote again): answered there.
    pub own_card: bool,
}

impl OutageTicket {
    /// Waiting for an answer on the outage's card.
    pub fn waiting(&self) -> bool {
        !self.own_card
            && matches!(
                self.status,
                TicketStatus::New | TicketStatus::InProgress | TicketStatus::Reopened
            )
    }
}

/// A file of an appeal grouped on an outage's card.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutageFile {
    pub ticket: i64,
    pub number: String,
    #[sqlx(flatten)]
    pub file: Attachment,
}

impl Store {
    /// The files the consumers attached to the appeals grouped on an outage (those without a
    /// card of their own; not the operators' answers) not yet posted under its card, each with
    /// its appeal's id and number.
    pub async fn outage_files(&self, outage: i64) -> Result<Vec<OutageFile>> {
        Ok(sql::query_as(
            "SELECT t.id AS ticket, t.number, a.id, a.owner_id, a.file_id, a.name, a.mime, NULL AS content
               FROM tickets t
               JOIN ticket_messages m ON m.ticket_id = t.id
               JOIN attachments a ON a.owner_kind = 'ticket_message' AND a.owner_id = m.id
              WHERE t.outage_id = $1 AND m.author = 'user'
                AND NOT EXISTS (SELECT 1 FROM desk_cards dc WHERE dc.item_kind = 'ticket' AND dc.item_id = t.id)
                AND NOT EXISTS (SELECT 1 FROM sent_pieces p WHERE p.key = $2 || CAST(a.id AS TEXT))
              ORDER BY a.id",
        )
        .bind(outage)
        .bind(format!("outage-file:{outage}:"))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The appeals grouped on the outage, in the order filed.
    pub async fn outage_tickets(&self, outage: i64) -> Result<Vec<OutageTicket>> {
        let rows: Vec<(i64, String, TicketStatus, String, Option<String>, bool)> = sql::query_as(
            "SELECT t.id, t.number, t.status, t.fields,
                    (SELECT m.text FROM ticket_messages m WHERE m.ticket_id = t.id AND m.author = 'user'
                      ORDER BY m.id LIMIT 1),
                    EXISTS (SELECT 1 FROM desk_cards dc WHERE dc.item_kind = 'ticket' AND dc.item_id = t.id)
               FROM tickets t WHERE t.outage_id = $1 ORDER BY t.id",
        )
        .bind(outage)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, number, status, fields, text, own_card)| {
                let address = serde_json::from_str::<serde_json::Value>(&fields)
                    .ok()
                    .and_then(|f| f.get("address").and_then(|a| a.as_str().map(str::to_owned)))
                    .unwrap_or_default();
                OutageTicket {
                    id,
                    number,
                    status,
                    address,
                    text: text.unwrap_or_default(),
                    own_card,
                }
            })
            .collect())
    }

    /// (chat, message) of the outage's card.
    pub async fn outage_card(&self, outage: i64) -> Result<Option<(i64, i64)>> {
        Ok(
            sql::query_as("SELECT chat_id, message_id FROM outage_cards WHERE outage_id = $1")
                .bind(outage)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn save_outage_card(&self, outage: i64, chat: i64, message: i64) -> Result<()> {
        sql::query(
            "INSERT INTO outage_cards (outage_id, chat_id, message_id) VALUES ($1, $2, $3)
             ON CONFLICT (outage_id) DO UPDATE SET chat_id = excluded.chat_id, message_id = excluded.message_id",
        )
        .bind(outage)
        .bind(chat)
        .bind(message)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The card is gone (deleted in the group, or left before the group's move): forgotten,
    /// with the piece that posted it, so the next delivery posts it again.
    pub async fn forget_outage_card(&self, outage: i64, piece: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sql::query("DELETE FROM outage_cards WHERE outage_id = $1")
            .bind(outage)
            .execute(&mut tx)
            .await?;
        sql::query("DELETE FROM sent_pieces WHERE key = $1")
            .bind(piece)
            .execute(&mut tx)
            .await?;
        // Its appeals' files go again with the new card.
        sql::query("DELETE FROM sent_pieces WHERE key LIKE $1")
            .bind(format!("outage-file:{outage}:%"))
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The outage whose card this message in the group is.
    pub async fn outage_card_at(&self, chat: i64, message: i64) -> Result<Option<i64>> {
        Ok(
            sql::query_scalar("SELECT outage_id FROM outage_cards WHERE chat_id = $1 AND message_id = $2")
                .bind(chat)
                .bind(message)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
