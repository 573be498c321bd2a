//! Appeals and complaints filed while an outage is on at their address, on its topic: one card
//! for the outage in the operators' group instead of a card each — the outage, how many, the
//! latest of them — edited as more come. A reply to it answers every one still open
//! (`bot::operators::outage_reply`); a consumer's later message on one of them gives that one
//! a card of its own.

use super::deliver::{Desk, DeskError};
use crate::config::Config;
use crate::i18n;
use crate::store::outage_cards::OutageTicket;
use crate::store::outages::Outage;
use crate::telegram::{Extras, Priority, SendError, esc};
use teloxide::types::{ChatId, MessageId};

/// The appeals a card lists (the latest), the rest counted.
const LISTED: usize = 20;

/// The outage card's text.
pub fn text(config: &Config, o: &Outage, tickets: &[OutageTicket]) -> String {
    let loc = config.default_locale.as_str();
    let at = |t| config.local(t).format("%d.%m.%Y %H:%M").to_string();
    let open = tickets.iter().filter(|t| t.waiting()).count();
    let mut out = i18n::tf(
        loc,
        "desk.outage_card",
        &[
            ("number", &o.number),
            ("resource", &i18n::t(loc, crate::wording::resource_key(o.resource))),
            ("area", &esc(&o.area)),
            ("from", &at(o.starts_at)),
            ("to", &at(o.ends_at)),
            ("count", &tickets.len().to_string()),
            ("open", &open.to_string()),
        ],
    );
    for t in tickets.iter().rev().take(LISTED) {
        let first: String = t.text.chars().take(80).collect();
        let cut = if t.text.chars().count() > 80 { "…" } else { "" };
        out.push_str(&format!(
            "\n• {} · {} — {}{cut}",
            esc(&t.number),
            esc(&t.address),
            esc(&first)
        ));
    }
    if tickets.len() > LISTED {
        out.push_str(&format!(
            "\n{}",
            i18n::tf(
                loc,
                "desk.outage_card_more",
                &[("n", &(tickets.len() - LISTED).to_string())]
            )
        ));
    }
    out.push_str(&format!("\n\n{}", i18n::t(loc, "desk.outage_card_hint")));
    out
}

impl Desk<'_> {
    /// The outage's card, posted once (as a piece: a retry never posts a second) and edited to
    /// the appeals as they are now.
    pub async fn deliver_outage(&self, outage: i64) -> Result<(), DeskError> {
        let Some(o) = self.store.outage_by_id(outage).await? else {
            return Ok(());
        };
        let tickets = self.store.outage_tickets(outage).await?;
        let body = text(self.config, &o, &tickets);
        let key = format!("outage-card:{outage}");
        if let Some((chat, message)) = self.store.outage_card(outage).await? {
            match self.tg.edit(ChatId(chat), MessageId(message as i32), &body, None).await {
                Ok(()) => return Ok(()),
                // Deleted in the group, or left in the group before its move: posted anew
                // where the desk is now, so no appeal goes unseen.
                Err(SendError::Migrated(_)) => {}
                Err(SendError::Refused(e)) if e.contains("not found") => {}
                Err(e) => return Err(e.into()),
            }
            tracing::warn!(outage, "an outage's card is gone from the group: posted again");
            self.store.forget_outage_card(outage, &key).await?;
        }
        let message = match self.store.piece(&key).await? {
            Some(m) => m,
            None => {
                let mut topic = self.topics().kind("outage").await?;
                let mut turn = self.tg.turn(self.group, Priority::Bulk).await;
                let sent = self.post(&mut turn, &mut topic, &body, Extras::default()).await?;
                let m = i64::from(sent.0);
                self.store
                    .record_piece(&key, self.group.0, m, None, self.clock.now())
                    .await?;
                m
            }
        };
        self.store.save_outage_card(outage, self.group.0, message).await?;
        Ok(())
    }
}
