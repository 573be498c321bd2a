//! The consumer's rating of an answer: on the ticket, with an event for the operators' card.

use super::outbox::{self, OutboxMessage};
use super::sql;
use super::{Result, Store};
use crate::domain::items::{DeskEvent, DeskTarget};
use chrono::{DateTime, Utc};

/// The figures of /stats: over the tickets first answered since a moment.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RatingStats {
    pub answered: i64,
    pub rated: i64,
    pub average: Option<f64>,
}

impl Store {
    /// Rates the consumer's ticket (or, with `comment`, adds the comment to its rating) and
    /// tells the card; false when it is not theirs (or not rated yet, for a comment).
    pub async fn rate_ticket(
        &self,
        consumer_id: i64,
        ticket_id: i64,
        rating: Option<i64>,
        comment: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let n = match rating {
            Some(r) => sql::query(
                "UPDATE tickets SET rating = $1, rating_comment = NULL, rated_at = $2 WHERE id = $3 AND consumer_id = $4",
            )
            .bind(r)
            .bind(now)
            .bind(ticket_id)
            .bind(consumer_id),
            None => sql::query(
                "UPDATE tickets SET rating_comment = $1 WHERE id = $2 AND consumer_id = $3 AND rating IS NOT NULL",
            )
            .bind(comment.unwrap_or_default())
            .bind(ticket_id)
            .bind(consumer_id),
        }
        .execute(&mut tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        let event = OutboxMessage::Operator {
            item: DeskTarget::Ticket,
            id: ticket_id,
            event: DeskEvent::Rated,
            about: None,
            to: None,
        };
        outbox::enqueue(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Over the tickets answered since `since`; with `chat`, those whose card is in that
    /// operators' group (a department's).
    pub async fn rating_stats(&self, since: DateTime<Utc>, chat: Option<i64>) -> Result<RatingStats> {
        let (answered, rated, average): (i64, i64, Option<f64>) = sql::query_as(format!(
            "SELECT COUNT(*), COUNT(rating), CAST(AVG(rating) AS DOUBLE PRECISION) FROM tickets
             WHERE first_answer_at >= $1 AND {}",
            super::operators::in_group("ticket", "tickets", "id")
        ))
        .bind(since)
        .bind(chat)
        .fetch_one(&self.pool)
        .await?;
        Ok(RatingStats {
            answered,
            rated,
            average,
        })
    }
}
