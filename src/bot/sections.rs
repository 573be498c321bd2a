//! The list of sections. Adding one is a line here (with its folder, its buttons in
//! `callback`, its migration and its locale keys): the router, the menu and «Интерактивные
//! сервисы» take it from this list. Its order is the menu's and the services' order.

use super::ctx::Ctx;
use super::deps::{HandlerError, HandlerResult};
use super::menu::Catalog;
use super::outcome::Outcome;
use super::section::{Plug, Plugged};
use super::{accounts, auth, connection, faq, home, meters, outages, profile, tickets};

pub static ALL: [&dyn Plug; 9] = [
    &Plugged::<home::Home>::new(),
    &Plugged::<auth::Auth>::new(),
    &Plugged::<profile::Profile>::new(),
    &Plugged::<accounts::Accounts>::new(),
    // «Отключения» and «Частые вопросы» high in «Интерактивные сервисы»: what people look for
    // before they write.
    &Plugged::<outages::Outages>::new(),
    &Plugged::<faq::FaqSection>::new(),
    &Plugged::<meters::Meters>::new(),
    &Plugged::<connection::Connection>::new(),
    &Plugged::<tickets::Tickets>::new(),
];

/// Where a person lands with nothing in progress: the menu (signed in), the reminder to
/// confirm the e-mail (registered, not confirmed), or the welcome.
pub async fn landing(ctx: &Ctx) -> HandlerResult {
    if ctx.user().is_some() {
        home::show_menu(ctx).await
    } else if ctx.pending().is_some() {
        auth::confirm_reminder(ctx).await
    } else {
        home::welcome(ctx).await
    }
}

/// `/start <token>`: the link of the confirmation letter.
pub async fn start_link(ctx: &mut Ctx, token: &str) -> Result<Outcome, HandlerError> {
    auth::confirm_token(ctx, token).await
}

/// The section whose stored state is named `area`.
pub fn by_area(area: &str) -> Option<&'static dyn Plug> {
    ALL.iter().copied().find(|p| p.area() == area)
}

/// The section whose button the data is.
pub fn by_button(data: &str) -> Option<&'static dyn Plug> {
    ALL.iter().copied().find(|p| p.owns(data))
}

/// The section of a menu entry.
pub fn by_entry(entry: &super::menu::Entry) -> Option<&'static dyn Plug> {
    ALL.iter().copied().find(|p| p.menu().contains(entry))
}

/// Every section's menu entries and services.
pub fn catalog() -> Catalog {
    Catalog {
        entries: ALL.iter().flat_map(|p| p.menu().iter()).collect(),
        services: ALL.iter().flat_map(|p| p.services()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_and_menu_labels_are_unique() {
        let mut areas: Vec<&str> = ALL.iter().map(|p| p.area()).collect();
        areas.sort();
        areas.dedup();
        assert_eq!(areas.len(), ALL.len(), "two sections store their state under one name");
        let c = catalog();
        for loc in crate::i18n::LOCALES {
            let mut labels: Vec<String> = c.entries.iter().map(|e| crate::i18n::t(loc, e.key)).collect();
            labels.sort();
            labels.dedup();
            assert_eq!(labels.len(), c.entries.len(), "{loc}: two menu entries read alike");
        }
        for e in &c.entries {
            assert_eq!(c.entry_of(&crate::i18n::t("ru", e.key)), Some(*e));
            assert_eq!(c.entry_of(&crate::i18n::t("en", e.key)), Some(*e));
            assert!(by_entry(e).is_some());
        }
    }

    /// A dialogue stored before the sign-in account was called the consumer's still reads
    /// (and still wants its password).
    #[test]
    fn a_state_stored_with_the_old_names_reads() {
        let at: serde_json::Value =
            serde_json::from_str(r#"{"s":"reset_password","account_id":5,"login":"11223344595"}"#).unwrap();
        assert_eq!(by_area("auth").and_then(|s| s.reads(&at)), Some(true));
        let stale: serde_json::Value = serde_json::from_str(r#"{"s":"no_such_step"}"#).unwrap();
        assert_eq!(by_area("auth").and_then(|s| s.reads(&stale)), None);
    }

    #[test]
    fn a_menu_label_opens_its_entry_with_or_without_yo() {
        let c = catalog();
        let meters = c.entry_of(&crate::i18n::t("ru", "menu.meters")).unwrap();
        assert_eq!(meters.key, "menu.meters");
        // A keyboard sent before «учёта» was spelt with ё still works.
        assert_eq!(c.entry_of(" Приборы учета ").map(|e| e.key), Some("menu.meters"));
        assert_eq!(c.entry_of("Приборы"), None);
    }
}
