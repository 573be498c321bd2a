//! `/announce`: to everyone or to one resource's consumers → the text (a reply) → a preview as
//! consumers will see it, with how many and how long → «Отправить». Consumers who turned
//! «Новости и объявления» off in «Напоминания» are not sent it.

use super::{Next, On, Screen};
use crate::bot::deps::HandlerError;
use crate::callback::FormCb;
use crate::domain::meters::Resource;
use crate::i18n;
use crate::store::outbox::OutboxMessage;
use crate::telegram::esc;
use serde::{Deserialize, Serialize};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// The longest announcement: its header and the text fit one message in any language.
const MAX_TEXT: usize = 3500;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Whether the audience was chosen; `resource` None then means everyone.
    chosen: bool,
    resource: Option<Resource>,
    text: Option<String>,
}

fn summary(on: &On<'_>, d: &Draft) -> String {
    let mut lines = vec![on.t("news.title")];
    if d.chosen {
        let v = match d.resource {
            None => on.t("news.everyone"),
            Some(r) => on.tf("news.of_resource", &[("v", &on.t(crate::wording::resource_key(r)))]),
        };
        lines.push(on.tf("news.f_audience", &[("v", &v)]));
    }
    lines.join("\n")
}

/// The announcement as a consumer reading `loc` gets it.
fn message(loc: &str, text: &str) -> String {
    i18n::tf(loc, "news.message", &[("text", &esc(text))])
}

pub(super) async fn screen(on: &On<'_>, d: &Draft) -> Result<Screen, HandlerError> {
    let head = summary(on, d);
    Ok(match (&d.text, d.chosen) {
        (_, false) => {
            let mut rows = vec![vec![on.button("news.b_everyone", FormCb::Audience(on.form, 0))]];
            for pair in Resource::ALL.chunks(2) {
                rows.push(
                    pair.iter()
                        .map(|r| {
                            let place = Resource::ALL.iter().position(|x| x == r).unwrap_or_default();
                            on.button(
                                crate::wording::resource_key(*r),
                                FormCb::Audience(on.form, place as u8 + 1),
                            )
                        })
                        .collect(),
                );
            }
            rows.push(on.cancel());
            Screen {
                text: format!("{head}\n\n{}", on.t("news.q_audience")),
                buttons: Some(InlineKeyboardMarkup::new(rows)),
            }
        }
        (None, true) => Screen {
            text: format!("{head}\n\n{}", on.tf("news.q_text", &[("max", &MAX_TEXT.to_string())])),
            buttons: None,
        },
        (Some(text), true) => {
            let chats = on.deps.store.news_chats(d.resource).await?;
            let preview = format!(
                "{head}\n{}\n\n{}\n<blockquote>{}</blockquote>",
                on.reach(chats.len()),
                on.t("news.preview"),
                message(on.loc, text)
            );
            let rows: Vec<Vec<InlineKeyboardButton>> = vec![vec![
                on.button("news.send", FormCb::Publish(on.form)),
                on.button("outdesk.cancel", FormCb::Cancel(on.form)),
            ]];
            Screen {
                text: preview,
                buttons: Some(InlineKeyboardMarkup::new(rows)),
            }
        }
    })
}

pub(super) fn text(on: &On<'_>, d: &mut Draft, text: &str) -> Next {
    if !d.chosen {
        return Next::Again(on.t("outdesk.text_only"));
    }
    if text.chars().count() > MAX_TEXT {
        return Next::Again(on.tf("outdesk.too_long", &[("max", &MAX_TEXT.to_string())]));
    }
    // Typed again before sending: the newer text is the one.
    d.text = Some(text.to_owned());
    Next::Ask
}

pub(super) async fn button(on: &On<'_>, d: &mut Draft, cb: FormCb) -> Result<Next, HandlerError> {
    match cb {
        FormCb::Audience(_, which) if !d.chosen => {
            d.chosen = true;
            d.resource = match which {
                0 => None,
                n => Resource::ALL.get(usize::from(n) - 1).copied(),
            };
        }
        FormCb::Publish(_) => return send(on, d).await,
        _ => {}
    }
    Ok(Next::Ask)
}

async fn send(on: &On<'_>, d: &Draft) -> Result<Next, HandlerError> {
    let Some(text) = d.text.as_deref().filter(|_| d.chosen) else {
        return Ok(Next::Ask);
    };
    let deps = on.deps;
    let paid = deps.config.paid_broadcast;
    let messages: Vec<OutboxMessage> = deps
        .store
        .news_chats(d.resource)
        .await?
        .into_iter()
        .map(|(chat, locale)| {
            let loc = i18n::pick_locale(locale.as_deref(), None, &deps.config.default_locale);
            OutboxMessage::broadcast(chat, message(loc, text), None, paid)
        })
        .collect();
    let now = deps.clock.now();
    let sent = deps
        .store
        .send_announcement(on.form, on.operator, d.resource, text, &messages, now)
        .await?;
    let Some(n) = sent else {
        return Ok(Next::Done(on.t("outdesk.gone")));
    };
    deps.outbox_wake.notify_one();
    tracing::info!(
        operator = on.operator,
        messages = n,
        "an announcement sent from the group"
    );
    let done = on.tf("news.sent", &[("messages", &n.to_string())]);
    Ok(Next::Done(format!(
        "{}\n<blockquote>{}</blockquote>\n\n{done}",
        summary(on, d),
        message(on.loc, text)
    )))
}
