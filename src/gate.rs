//! What an update passes before it is kept and dispatched: the door (see `door`), and what a
//! shed update needs (its chat told, a button's spinner stopped).

use crate::clock::Clock;
use crate::store::Store;
use teloxide::types::Update;

/// What an update passes before the dispatcher: the door, and what a shed one needs.
pub struct Gate {
    pub door: std::sync::Arc<crate::door::Door>,
    /// The operators' group.
    pub group: std::sync::Arc<crate::desk::group::DeskGroup>,
    pub store: Store,
    pub clock: Clock,
    pub tg: crate::telegram::Telegram,
    pub default_locale: String,
}

impl Gate {
    /// Whether `u` goes on to the dispatcher (and is kept); one that does not is counted and its
    /// chat told once per flood. A replayed one shed is given back to the inbox, claimed again
    /// later. `replayed`: claimed from the inbox (counted in the works, not against the rate).
    pub fn pass(&self, u: &Update, replayed: bool) -> bool {
        use crate::door::Verdict;
        let Some(chat) = u.chat() else { return true };
        let group = self.group.is(chat.id);
        let verdict = if replayed {
            self.door.admit_replay(u.id.0, chat.id.0, group)
        } else {
            self.door.admit(u.id.0, chat.id.0, group)
        };
        let Verdict::Shed { reason, tell } = verdict else {
            return true;
        };
        crate::metrics::get().shed(reason);
        // A shed button press still has its spinner stopped.
        if let teloxide::types::UpdateKind::CallbackQuery(q) = &u.kind {
            self.tg.answer_callback(&q.id, None, false);
        }
        if tell {
            tracing::warn!(
                chat = chat.id.0,
                reason,
                "a chat is over its rate: its excess is not handled"
            );
            if chat.is_private() || self.group.is(chat.id) {
                let lang = u.from().and_then(|f| f.language_code.as_deref());
                let loc = crate::i18n::pick_locale(None, lang, &self.default_locale);
                let text = crate::i18n::t(loc, "common.flood");
                self.tg.queue_send(chat.id, text, Default::default());
            }
        }
        if !replayed {
            return false;
        }
        // Claimed from the inbox while its chat has enough in the works here: not dropped (it
        // was kept, and may be a person's answer) but given back, claimed again in a moment.
        let (store, id) = (self.store.clone(), i64::from(u.id.0));
        let until = self.clock.now() + chrono::Duration::seconds(1);
        tokio::spawn(async move {
            if let Err(e) = store.inbox_step_back(id, until).await {
                tracing::error!(error = %e, "could not give back a claimed update");
            }
        });
        false
    }
}
