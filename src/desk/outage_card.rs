//! Appeals and complaints filed while an outage is on at their address, on its topic: one card
//! for the outage in the operators' group instead of a card each — the outage, how many, the
//! latest of them — edited as more come. A reply to it answers every one still open
//! (`bot::operators::outage_reply`); a consumer's later message on one of them gives that one
//! a card of its own.

use super::deliver::{Desk, DeskError};
use crate::config::Config;
use crate::i18n;
use crate::store::operators::{ItemKind, ItemRef};
use crate::store::outage_cards::OutageTicket;
use crate::store::outages::Outage;
use crate::telegram::{Extras, Priority, SendError, esc};
use teloxide::types::{ChatId, MessageId};

/// The appeals a card lists (the latest), the rest counted.
const LISTED: usize = 20;

/// How much of the area the card shows (an area typed in the group can be long).
const AREA_SHOWN: usize = 1000;

/// The outage card's text: one message (it is edited as appeals come), so the list is cut to
/// what fits in Telegram's 4,096 characters, the rest counted.
pub fn text(config: &Config, o: &Outage, tickets: &[OutageTicket]) -> String {
    (0..=LISTED.min(tickets.len()))
        .rev()
        .map(|listed| text_listing(config, o, tickets, listed))
        .find(|t| crate::telegram::split::shown_len(t) <= crate::telegram::TEXT_LIMIT)
        .unwrap_or_default()
}

fn text_listing(config: &Config, o: &Outage, tickets: &[OutageTicket], listed: usize) -> String {
    let loc = config.default_locale.as_str();
    let at = |t| config.local(t).format("%d.%m.%Y %H:%M").to_string();
    let open = tickets.iter().filter(|t| t.waiting()).count();
    let mut out = i18n::tf(
        loc,
        "desk.outage_card",
        &[
            ("number", &o.number),
            ("resource", &i18n::t(loc, crate::wording::resource_key(o.resource))),
            ("area", &esc(&crate::wording::cut(&o.area, AREA_SHOWN))),
            ("from", &at(o.starts_at)),
            ("to", &at(o.ends_at)),
            ("count", &tickets.len().to_string()),
            ("open", &open.to_string()),
        ],
    );
    for t in tickets.iter().rev().take(listed) {
        out.push_str(&format!(
            "\n• {} · {} — {}",
            esc(&t.number),
            esc(&crate::wording::cut(&t.address, 120)),
            esc(&crate::wording::cut(&t.text, 80))
        ));
    }
    if tickets.len() > listed {
        out.push_str(&format!(
            "\n{}",
            i18n::tf(
                loc,
                "desk.outage_card_more",
                &[("n", &(tickets.len() - listed).to_string())]
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
                Ok(()) => return self.outage_files(outage, MessageId(message as i32)).await,
                // Deleted in the group, or left in the group before its move: posted anew
                // where the desk is now, so no appeal goes unseen.
                Err(SendError::Migrated(_)) => {}
                Err(e) if e.edit_gone() => {}
                Err(e) => return Err(e.into()),
            }
            tracing::warn!(outage, "an outage's card is gone from the group: posted again");
            self.store.forget_outage_card(outage, &key).await?;
        }
        let message = match self.store.piece(&key).await? {
            Some(m) => m,
            None => {
                let mut turn = self.tg.turn(self.group, Priority::Bulk).await;
                let mut topic = self.topics().kind("outage").await?;
                let sent = self.post(&mut turn, &mut topic, &body, Extras::default()).await?;
                let m = i64::from(sent.0);
                self.store
                    .record_piece(&key, self.group.0, m, None, self.clock.now())
                    .await?;
                m
            }
        };
        self.store.save_outage_card(outage, self.group.0, message).await?;
        self.outage_files(outage, MessageId(message as i32)).await
    }

    /// The files of the appeals grouped on the card, as replies to it captioned with their
    /// appeal's number, each once: a reply to one answers that appeal alone.
    async fn outage_files(&self, outage: i64, card: MessageId) -> Result<(), DeskError> {
        let mut turn = None;
        for crate::store::outage_cards::OutageFile {
            ticket,
            number,
            file: f,
        } in self.store.outage_files(outage).await?
        {
            // The query leaves out what was posted; `piece_file` checks again under the lane.
            let key = format!("outage-file:{outage}:{}", f.id);
            let turn = match &mut turn {
                Some(t) => t,
                None => turn.insert(self.tg.turn(self.group, Priority::Bulk).await),
            };
            let item = ItemRef {
                kind: ItemKind::Ticket,
                id: ticket,
            };
            self.piece_file(turn, &key, &f, card, item, Some(&esc(&number))).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::meters::Resource;
    use crate::domain::outages::Change;
    use crate::domain::tickets::TicketStatus;

    /// A long typed area and many appeals with long addresses still make one message: the
    /// list is cut to what fits and the rest counted.
    #[test]
    fn the_card_fits_one_message_however_long_the_area_and_the_list() {
        let config = Config::from_flags(["--telegram-token", "1:T"]).unwrap();
        let now = chrono::Utc::now();
        let o = Outage {
            id: 1,
            number: "ОТК-2026-000001".into(),
            resource: Resource::ColdWater,
            planned: false,
            area: "г. Город, ул. Длинная: 1-999 нечёт, ".repeat(200),
            starts_at: now,
            ends_at: now,
            reason: String::new(),
            version: 1,
            last_change: Change::Published,
            closed_at: None,
        };
        let tickets: Vec<OutageTicket> = (0..60)
            .map(|i| OutageTicket {
                id: i,
                number: format!("О-2026-{i:06}"),
                status: TicketStatus::New,
                address: "г. Город, ул. Очень длинного названия улицы, д. 1, корп. 2, кв. 3".repeat(4),
                text: "Нет воды с утра, когда дадут? ".repeat(10),
                own_card: false,
            })
            .collect();
        let card = text(&config, &o, &tickets);
        assert!(
            card.chars().count() <= crate::telegram::TEXT_LIMIT,
            "{}",
            card.chars().count()
        );
        assert!(card.contains("О-2026-000059"), "the latest is listed");
        let template = i18n::t("ru", "desk.outage_card_more");
        let more = template.split("%{n}").next().unwrap();
        assert!(card.contains(more), "the rest counted: {card}");
        // A short one lists them all.
        let short = text(
            &config,
            &Outage {
                area: "г. Город".into(),
                ..o
            },
            &tickets[..3],
        );
        assert!(short.contains("О-2026-000000") && !short.contains(more), "{short}");
    }
}
