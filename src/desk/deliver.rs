//! Delivery of the desk's outbox rows to the operators' group, piece by piece: each part of a
//! card's text, each of its files and each follow-up event is recorded when Telegram accepts
//! it, so a retry sends only what is missing and never a second copy.

use super::{Card, card};
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::items::{Author, DeskAction, DeskEvent, FileOwner};
use crate::i18n;
use crate::store::operators::{ItemKind, ItemRef};
use crate::store::tickets::Attachment;
use crate::store::{Store, StoreError};
use crate::telegram::{Extras, FileSource, OutFile, Priority, SendError, TEXT_LIMIT, Telegram, Turn, esc, split};
use teloxide::types::{ChatId, MessageId, ReplyMarkup};

pub use super::DeskError;

pub struct Desk<'a> {
    pub tg: &'a Telegram,
    pub store: &'a Store,
    pub config: &'a Config,
    pub clock: &'a Clock,
    pub group: ChatId,
}

fn is_photo(f: &Attachment) -> bool {
    f.name.is_none() && f.mime.as_deref() == Some("image/jpeg")
}

impl Desk<'_> {
    /// Delivers the outbox row `row` of an item: its card (what is missing of it), then the
    /// event, unless the event is the item's arrival itself.
    /// `about` is the consumer's message or addition the event was raised for (the latest when
    /// `None`, as rows written before it was kept).
    pub async fn deliver(
        &self,
        row: i64,
        item: ItemRef,
        event: DeskEvent,
        about: Option<i64>,
    ) -> Result<(), DeskError> {
        if event == DeskEvent::Erased {
            return self.erase_shown(item).await;
        }
        let Some(mut card_msg) = self.ensure_card(item).await? else {
            return Ok(());
        };
        let Some(key) = event.key() else {
            return Ok(());
        };
        let loc = self.config.default_locale.as_str();
        let (about, text) = self.event_text(item, event, about).await?;
        let message = i18n::tf(loc, key, &[("text", &esc(&text))]);
        let base = format!("ev:{row}");
        let mut turn = self.tg.turn(self.group, Priority::Bulk).await;
        for (i, part) in split::split(&message, TEXT_LIMIT).iter().enumerate() {
            let key = format!("{base}:t{i}");
            match self
                .piece_text(&mut turn, &key, part, Extras::default().reply_to(card_msg), item)
                .await
            {
                // The card is gone (deleted, or with its forum topic, where Telegram sends no
                // reply without its message): posted again, and the event replies to it.
                Err(DeskError::Send(e)) if e.reply_gone() => {
                    drop(turn);
                    card_msg = self.repost_card(item).await?.unwrap_or(card_msg);
                    turn = self.tg.turn(self.group, Priority::Bulk).await;
                    self.piece_text(&mut turn, &key, part, Extras::default().reply_to(card_msg), item)
                        .await?;
                }
                sent => {
                    sent?;
                }
            }
        }
        for f in self.event_files(item, event, about).await? {
            self.piece_file(&mut turn, &format!("{base}:f{}", f.id), &f, card_msg, item, None)
                .await?;
        }
        drop(turn);
        self.refresh_card(item).await
    }

    /// The consumer's data were erased: every message the group was shown of the item says so
    /// instead, and the files posted there are deleted (a file cannot be edited into a text).
    async fn erase_shown(&self, item: ItemRef) -> Result<(), DeskError> {
        let loc = self.config.default_locale.as_str();
        let note = i18n::t(loc, "desk.erased");
        for (chat, message) in self.store.desk_messages_of(item).await? {
            let (chat, message) = (ChatId(chat), MessageId(message as i32));
            match self.tg.edit(chat, message, &note, None).await {
                Ok(()) => {}
                Err(SendError::Refused(e)) if e.contains("no text in the message") => {
                    match self.tg.delete(chat, message).await {
                        Ok(()) => {}
                        Err(SendError::Refused(e)) => {
                            tracing::error!(error = %e, "a file about an erased consumer could not be deleted from the group: make the bot an admin that may delete messages, and delete it by hand")
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                // Deleted by someone in the group already.
                Err(SendError::Refused(e)) if e.contains("not found") => {}
                // In the group before its move to a supergroup: history Telegram no longer
                // lets the bot change.
                Err(SendError::Migrated(_)) => {
                    tracing::error!(
                        "a message about an erased consumer is in the operators' group before its move: delete it there by hand"
                    )
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Posts whatever of the item's card Telegram has not accepted yet; returns the card's
    /// message (its last part, with the buttons). `None` if the item is gone.
    async fn ensure_card(&self, item: ItemRef) -> Result<Option<MessageId>, DeskError> {
        let recorded = self.store.card(item).await?;
        let base = format!("card:{}:{}", item.kind.as_str(), item.id);
        let first_piece = self.store.piece(&format!("{base}:t0")).await?;
        if let (Some((_, message, _)), None) = (recorded, first_piece) {
            // Posted before cards were recorded piece by piece: complete as it is.
            return Ok(Some(MessageId(message as i32)));
        }
        let Some(c) = card(self.store, self.config, self.clock.now(), item).await? else {
            return Ok(None);
        };
        let parts = c.parts();
        let last = parts.len() - 1;
        let mut turn = self.tg.turn(self.group, Priority::Bulk).await;
        let mut card_msg = MessageId(0);
        // The kind's forum topic (OPERATOR_TOPICS), asked for once a piece is to be posted.
        let mut topic = None;
        let mut asked = false;
        for (i, part) in parts.iter().enumerate() {
            let key = format!("{base}:t{i}");
            if let Some(m) = self.store.piece(&key).await? {
                card_msg = MessageId(m as i32);
                continue;
            }
            if !asked {
                topic = self.topics().of(item).await?;
                asked = true;
            }
            let extras = Extras {
                markup: (i == last).then(|| ReplyMarkup::InlineKeyboard(c.keyboard.clone())),
                ..Extras::default()
            };
            card_msg = self.post(&mut turn, &mut topic, part, extras).await?;
            self.store
                .record_piece(&key, self.group.0, i64::from(card_msg.0), Some(item), self.clock.now())
                .await?;
        }
        if recorded.is_none_or(|(_, m, _)| m != i64::from(card_msg.0)) {
            self.store.save_card(item, self.group.0, i64::from(card_msg.0)).await?;
        }
        for f in &c.files {
            self.piece_file(&mut turn, &format!("{base}:f{}", f.id), f, card_msg, item, None)
                .await?;
        }
        Ok(Some(card_msg))
    }

    /// A post in the group that is not a reply, in `topic` when there is one: a topic an
    /// operator deleted is forgotten and made again, and the post goes there.
    pub(super) async fn post(
        &self,
        turn: &mut Turn<'_>,
        topic: &mut Option<super::topics::Topic>,
        html: &str,
        mut extras: Extras,
    ) -> Result<MessageId, DeskError> {
        extras.thread = topic.as_ref().map(|t| t.thread);
        match turn.send_text(html, extras.clone()).await {
            Err(e) if e.thread_gone() => {
                *topic = self.topics().instead_of(topic.take()).await?;
                extras.thread = topic.as_ref().map(|t| t.thread);
                Ok(turn.send_text(html, extras).await?)
            }
            sent => Ok(sent?),
        }
    }

    pub(super) fn topics(&self) -> super::topics::Topics<'_> {
        super::topics::Topics {
            tg: self.tg,
            store: self.store,
            config: self.config,
            clock: self.clock,
            group: self.group,
        }
    }

    /// The item's card is gone from the group: forgotten (its pieces too) and posted again
    /// whole, in its kind's topic.
    async fn repost_card(&self, item: ItemRef) -> Result<Option<MessageId>, DeskError> {
        if let Some((chat, _, _)) = self.store.card(item).await? {
            self.forget_card(item, chat).await?;
        }
        self.ensure_card(item).await
    }

    /// The card in `chat` is gone: forgotten with its pieces, and queued to be posted again.
    async fn forget_card(&self, item: ItemRef, chat: i64) -> Result<(), DeskError> {
        tracing::warn!(
            kind = item.kind.as_str(),
            id = item.id,
            "a card is gone from the operators' group: posted again"
        );
        self.store.move_card(item, chat, chat, self.clock.now()).await?;
        Ok(())
    }

    /// One text piece, unless Telegram accepted it before; returns its message.
    async fn piece_text(
        &self,
        turn: &mut Turn<'_>,
        key: &str,
        html: &str,
        extras: Extras,
        item: ItemRef,
    ) -> Result<MessageId, DeskError> {
        if let Some(m) = self.store.piece(key).await? {
            return Ok(MessageId(m as i32));
        }
        let sent = turn.send_text(html, extras).await?;
        self.store
            .record_piece(key, self.group.0, i64::from(sent.0), Some(item), self.clock.now())
            .await?;
        Ok(sent)
    }

    /// One file as a reply to the card, unless Telegram accepted it before. A file Telegram
    /// refuses for good (an id it no longer knows) becomes a note, so the rest still go.
    pub(super) async fn piece_file(
        &self,
        turn: &mut Turn<'_>,
        key: &str,
        f: &Attachment,
        card_msg: MessageId,
        item: ItemRef,
        caption: Option<&str>,
    ) -> Result<(), DeskError> {
        if self.store.piece(key).await?.is_some() {
            return Ok(());
        }
        let file = OutFile {
            source: match &f.content {
                Some(bytes) => FileSource::Bytes {
                    bytes: bytes.clone(),
                    name: f.name.clone().unwrap_or_else(|| "file".into()),
                },
                None => FileSource::Id(f.file_id.clone()),
            },
            photo: is_photo(f),
        };
        let extras = Extras::default().reply_to(card_msg);
        let sent = match turn.send_file(&file, caption, extras.clone()).await {
            Ok(m) => m,
            Err(SendError::Refused(reason)) => {
                tracing::warn!(%reason, "a card's file was refused; posting a note instead");
                let loc = self.config.default_locale.as_str();
                let name = esc(f.name.as_deref().unwrap_or("—"));
                turn.send_text(&i18n::tf(loc, "desk.file_unavailable", &[("name", &name)]), extras)
                    .await?
            }
            Err(e) => return Err(e.into()),
        };
        self.store
            .record_piece(key, self.group.0, i64::from(sent.0), Some(item), self.clock.now())
            .await?;
        Ok(())
    }

    /// Brings the card's last message (footer and buttons) up to date.
    pub async fn refresh_card(&self, item: ItemRef) -> Result<(), DeskError> {
        let (Some((chat, message, _)), Some(c)) = (
            self.store.card(item).await?,
            card(self.store, self.config, self.clock.now(), item).await?,
        ) else {
            return Ok(());
        };
        match edit_card(self.tg, ChatId(chat), MessageId(message as i32), &c).await {
            // The card lives in the group before its move to a supergroup: that chat is
            // history now and cannot be edited; the card's item goes on in the new group.
            Err(SendError::Migrated(_)) => Ok(()),
            // Deleted in the group (or with its forum topic): posted again, whole, so the item
            // keeps a card with its buttons.
            Err(e) if e.edit_gone() => self.forget_card(item, chat).await,
            other => Ok(other?),
        }
    }

    /// What the consumer wrote that the event is about (`about`, else the latest: for
    /// follow-ups, reopenings, additions), with its id.
    async fn event_text(
        &self,
        item: ItemRef,
        event: DeskEvent,
        about: Option<i64>,
    ) -> Result<(Option<i64>, String), StoreError> {
        match item.kind {
            ItemKind::Ticket if event == DeskEvent::Rated => Ok((
                None,
                self.store
                    .ticket_by_id(item.id)
                    .await?
                    .map(|t| rating_words(&t))
                    .unwrap_or_default(),
            )),
            ItemKind::Ticket if event != DeskEvent::Closed => Ok(self
                .store
                .ticket_messages(item.id)
                .await?
                .into_iter()
                .rev()
                .find(|m| m.author == Author::User && about.is_none_or(|a| a == m.id))
                .map(|m| (Some(m.id), m.text.unwrap_or_default()))
                .unwrap_or_default()),
            ItemKind::Connection => Ok(self
                .store
                .addition_text(item.id, about)
                .await?
                .map(|(id, text)| (Some(id), text.unwrap_or_default()))
                .unwrap_or_default()),
            _ => Ok((None, String::new())),
        }
    }

    /// The files that came with what the event is about (see `event_text`).
    async fn event_files(
        &self,
        item: ItemRef,
        event: DeskEvent,
        about: Option<i64>,
    ) -> Result<Vec<Attachment>, StoreError> {
        // Rows written before events named what they were about: the latest message's files.
        let about = match (about, item.kind) {
            (Some(a), _) => a,
            (None, ItemKind::Ticket) => {
                let messages = self.store.ticket_messages(item.id).await?;
                match messages.iter().rev().find(|m| m.author == Author::User) {
                    Some(m) => m.id,
                    None => return Ok(vec![]),
                }
            }
            (None, ItemKind::Connection) => match self.store.addition_text(item.id, None).await? {
                Some((id, _)) => id,
                None => return Ok(vec![]),
            },
            (None, _) => return Ok(vec![]),
        };
        match item.kind {
            ItemKind::Ticket if event != DeskEvent::Closed && event != DeskEvent::Rated => Ok(self
                .store
                .ticket_files(item.id)
                .await?
                .into_iter()
                .filter(|f| f.owner_id == about)
                .collect()),
            ItemKind::Connection => Ok(self
                .store
                .application_files(item.id)
                .await?
                .into_iter()
                .filter(|(k, f)| *k == FileOwner::ConnectionAddition && f.owner_id == about)
                .map(|(_, f)| f)
                .collect()),
            _ => Ok(vec![]),
        }
    }
}

impl Desk<'_> {
    /// A disputed login, as a card for the operators (no buttons: the back office decides and
    /// releases the login with `kabinet account release`).
    pub async fn deliver_dispute(&self, row: i64, id: i64) -> Result<(), DeskError> {
        let Some(d) = self.store.dispute(id).await? else {
            return Ok(());
        };
        let loc = self.config.default_locale.as_str();
        let kind = d.kind;
        let none = "—".to_owned();
        let text = i18n::tf(
            loc,
            "dispute.card",
            &[
                ("login_name", &crate::wording::login_name(loc, kind)),
                ("login", &esc(&d.login)),
                ("name", &esc(&d.name)),
                ("email", &esc(&d.email)),
                ("phone", &esc(d.phone.as_ref().unwrap_or(&none))),
                ("comment", &esc(d.comment.as_ref().unwrap_or(&none))),
                ("date", &self.config.local_date(d.created_at)),
            ],
        );
        let mut turn = self.tg.turn(self.group, Priority::Bulk).await;
        let mut topic = None;
        for (i, part) in split::split(&text, TEXT_LIMIT).iter().enumerate() {
            let key = format!("ev:{row}:t{i}");
            if self.store.piece(&key).await?.is_some() {
                continue;
            }
            if topic.is_none() {
                topic = self.topics().kind("dispute").await?;
            }
            let sent = self.post(&mut turn, &mut topic, part, Extras::default()).await?;
            self.store
                .record_piece(&key, self.group.0, i64::from(sent.0), None, self.clock.now())
                .await?;
        }
        Ok(())
    }

    /// Tells the group about status choices that waited too long for the operator's reply,
    /// each as a reply to its card; returns how many lapsed.
    pub async fn lapse_pending(&self) -> Result<usize, DeskError> {
        let loc = self.config.default_locale.as_str();
        let lapsed = self
            .store
            .take_expired_pending(self.clock.now() - super::PENDING_TTL)
            .await?;
        for (_, item, action) in &lapsed {
            let (Some((chat, card_msg, _)), Some(c)) = (
                self.store.card(*item).await?,
                card(self.store, self.config, self.clock.now(), *item).await?,
            ) else {
                continue;
            };
            let note = i18n::tf(
                loc,
                "desk.pending_expired",
                &[("number", &esc(&c.number)), ("action", &action_label(loc, *action))],
            );
            let sent = self
                .tg
                .send(
                    ChatId(chat),
                    Priority::Reply,
                    &note,
                    Extras::default().reply_to(MessageId(card_msg as i32)),
                )
                .await?;
            for m in sent {
                self.store.map_desk_message(chat, i64::from(m.0), *item).await?;
            }
        }
        Ok(lapsed.len())
    }
}

/// How a chosen action is named to the operators (a status by its name).
/// «4 из 5 — Быстро и понятно»: a ticket's rating as the group reads it.
pub fn rating_words(t: &crate::store::tickets::Ticket) -> String {
    let Some(r) = t.rating else { return String::new() };
    match t.rating_comment.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => format!("{r} из 5 — {c}"),
        None => format!("{r} из 5"),
    }
}

pub fn action_label(loc: &str, action: DeskAction) -> String {
    match action {
        DeskAction::Take => i18n::t(loc, "desk.take"),
        DeskAction::Release => i18n::t(loc, "desk.release"),
        DeskAction::Close => i18n::t(loc, "desk.close"),
        DeskAction::Schedule => i18n::t(loc, "desk.schedule"),
        DeskAction::Done => i18n::t(loc, "desk.done"),
        DeskAction::Reject => i18n::t(loc, "desk.reject"),
        DeskAction::Reopen => i18n::t(loc, "desk.reopen"),
        DeskAction::Move | DeskAction::MoveTo(_) => i18n::t(loc, "desk.move"),
        DeskAction::Status(s) => i18n::t(loc, s.key()),
        DeskAction::CloseWhy(r) | DeskAction::CloseNow(r) => {
            i18n::tf(loc, "desk.close_as", &[("reason", &i18n::t(loc, r.key()))])
        }
    }
}

/// Edits a card's last message to the card as it is now.
pub async fn edit_card(tg: &Telegram, chat: ChatId, message: MessageId, c: &Card) -> Result<(), SendError> {
    let last = c.parts().pop().unwrap_or_default();
    tg.edit(
        chat,
        message,
        &last,
        Some(ReplyMarkup::InlineKeyboard(c.keyboard.clone())),
    )
    .await
}
