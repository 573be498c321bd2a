//! The main menu and «Интерактивные сервисы» as data: each section declares its entries and
//! services (`section::Section`), the list of sections gathers them into one `Catalog` at
//! start, and everything that shows the menu reads it from there.

use crate::store::menu::Count;
use crate::store::{Result, Store};
use teloxide::types::{KeyboardButton, KeyboardMarkup};

/// When an entry or a service shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Always,
    /// Once the consumer has at least one item of this count (the portal's rule).
    WithItems(Count),
}

/// An entry of the main menu (a button of its reply keyboard): its label, and when it shows.
/// What it opens is its section's (`Section::open`).
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub key: &'static str,
    pub shown: Shown,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Entry {}

/// A row of «Интерактивные сервисы»: a label and its button's data.
#[derive(Debug, Clone)]
pub struct Service {
    pub key: &'static str,
    pub data: String,
    pub shown: Shown,
}

/// Every section's entries and services, in the list's order.
#[derive(Debug, Default)]
pub struct Catalog {
    pub entries: Vec<&'static Entry>,
    pub services: Vec<Service>,
}

impl Catalog {
    /// Which entry a typed text names, in either language (an old keyboard may be in the
    /// other one; «е» for «ё»: a keyboard sent before a spelling change still opens its
    /// section).
    pub fn entry_of(&self, text: &str) -> Option<&'static Entry> {
        let plain = |s: &str| s.trim().replace('ё', "е");
        let text = plain(text);
        self.entries.iter().copied().find(|e| {
            crate::i18n::LOCALES
                .iter()
                .any(|l| plain(&crate::i18n::t(l, e.key)) == text)
        })
    }

    /// What of `shown` the consumer sees now: one statement for every count.
    async fn visible<'a, T>(
        store: &Store,
        consumer_id: i64,
        items: impl Iterator<Item = (&'a Shown, T)>,
    ) -> Result<Vec<T>> {
        let items: Vec<(&Shown, T)> = items.collect();
        let mut counts: Vec<Count> = Vec::new();
        for (s, _) in &items {
            if let Shown::WithItems(c) = s
                && !counts.contains(c)
            {
                counts.push(*c);
            }
        }
        let n = store.menu_counts(consumer_id, &counts).await?;
        Ok(items
            .into_iter()
            .filter(|(s, _)| match s {
                Shown::Always => true,
                Shown::WithItems(c) => counts.iter().position(|x| x == c).is_some_and(|i| n[i] > 0),
            })
            .map(|(_, t)| t)
            .collect())
    }

    /// The menu's entries the consumer sees now.
    pub async fn entries_for(&self, store: &Store, consumer_id: i64) -> Result<Vec<&'static Entry>> {
        Self::visible(store, consumer_id, self.entries.iter().map(|e| (&e.shown, *e))).await
    }

    /// The services the consumer sees now.
    pub async fn services_for(&self, store: &Store, consumer_id: i64) -> Result<Vec<&Service>> {
        Self::visible(store, consumer_id, self.services.iter().map(|s| (&s.shown, s))).await
    }
}

/// The main menu as a reply keyboard, two buttons a row.
pub fn keyboard(loc: &str, entries: &[&'static Entry]) -> KeyboardMarkup {
    let rows = entries
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .map(|e| KeyboardButton::new(crate::i18n::t(loc, e.key)))
                .collect()
        })
        .collect::<Vec<Vec<_>>>();
    KeyboardMarkup::new(rows).resize_keyboard().persistent()
}
