//! «Частые вопросы» in «Интерактивные сервисы», from the utility's file (`FAQ_FILE`), read
//! again whenever it changes: topics, their questions, an answer with «Ответ помог» and «Ответ
//! не помог — подать обращение». Offered before an appeal is filed; what helped and what was
//! filed after it are counted for /stats.

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::section::{Press, Section, SectionState};
use crate::bot::ui::{self, esc};
use crate::callback::{Buttons, Cb, FaqCb, HomeCb, TicketsCb};
use crate::domain::faq::Faq;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use teloxide::types::{InlineKeyboardButton, Message};

type Result<T> = std::result::Result<T, HandlerError>;

/// The file as last read: its path and time, and what it said (the last good reading).
type Cached = (PathBuf, Option<SystemTime>, Arc<Faq>);
static CACHE: Mutex<Option<Cached>> = Mutex::new(None);

/// The questions of `FAQ_FILE`, read again when the file's time changed; a file that no longer
/// reads keeps the last good questions (and says why in the log). None: no file, or nothing in it.
pub fn current(path: Option<&Path>) -> Option<Arc<Faq>> {
    let path = path?;
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut cache = CACHE.lock().ok()?;
    if let Some((p, m, faq)) = cache.as_ref()
        && p == path
        && *m == modified
    {
        return Some(faq.clone()).filter(|f| !f.topics.is_empty());
    }
    let read = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| Faq::parse(&t));
    let faq = match read {
        Ok(faq) => Arc::new(faq),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "FAQ_FILE does not read; the last good one stays");
            match cache.as_ref() {
                Some((p, _, faq)) if p == path => faq.clone(),
                _ => Arc::new(Faq::default()),
            }
        }
    };
    *cache = Some((path.to_owned(), modified, faq.clone()));
    Some(faq).filter(|f| !f.topics.is_empty())
}

pub fn of(ctx: &Ctx) -> Option<Arc<Faq>> {
    current(ctx.deps.config.faq_file.as_deref())
}

pub struct FaqSection;

/// Nothing in progress here: screens only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum FaqState {}

impl SectionState for FaqState {
    const AREA: &'static str = "faq";
}

impl Section for FaqSection {
    type Button = FaqCb;
    type State = FaqState;

    async fn on_message(_: &mut Ctx, _: &Message, state: FaqState) -> Result<Outcome> {
        match state {}
    }

    async fn on_button(ctx: &mut Ctx, press: Press<FaqCb>, _: Option<FaqState>) -> Result<Outcome> {
        let Some(faq) = of(ctx) else {
            return Ok(Outcome::Stale);
        };
        match press {
            Press::Own(FaqCb::Faq) => topics(ctx, &faq, "faq.title").await,
            Press::Own(FaqCb::FaqTopic(t)) => topic(ctx, &faq, t).await,
            Press::Own(FaqCb::FaqItem(t, i)) => item(ctx, &faq, t, i).await,
            Press::Own(FaqCb::FaqHelped(t, _)) => helped(ctx, &faq, t).await,
            Press::Step(_) => Ok(Outcome::Stale),
        }
    }

    async fn prompt(_: &Ctx, state: &FaqState) -> Result<Outcome> {
        match *state {}
    }
}

/// The topics, under `title_key` (the section's title, or the offer before an appeal).
pub async fn topics(ctx: &Ctx, faq: &Faq, title_key: &str) -> Result<Outcome> {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = faq
        .topics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            vec![InlineKeyboardButton::callback(
                t.name.clone(),
                FaqCb::FaqTopic(i as u8).encode(),
            )]
        })
        .collect();
    if title_key == "faq.before_appeal" {
        rows.push(ui::row(
            ctx.loc,
            "faq.file_now",
            TicketsCb::NewTicketAnyway(crate::domain::tickets::TicketKind::Appeal),
        ));
    }
    rows.push(vec![
        ui::button(ctx.loc, "common.back", HomeCb::Services),
        ui::button(ctx.loc, "common.to_menu", Cb::Menu),
    ]);
    ctx.say_with(ctx.t(title_key), ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

async fn topic(ctx: &Ctx, faq: &Faq, t: u8) -> Result<Outcome> {
    let Some(topic) = faq.topics.get(usize::from(t)) else {
        return topics(ctx, faq, "faq.title").await;
    };
    let mut text = format!("<b>{}</b>\n", esc(&topic.name));
    let mut rows = Vec::new();
    for (i, qa) in topic.items.iter().enumerate() {
        text.push_str(&format!("\n{}. {}", i + 1, esc(&qa.question)));
        rows.push(InlineKeyboardButton::callback(
            (i + 1).to_string(),
            FaqCb::FaqItem(t, i as u8).encode(),
        ));
    }
    text.push_str(&format!("\n\n{}", ctx.t("faq.pick")));
    let mut rows: Vec<Vec<InlineKeyboardButton>> = rows.chunks(5).map(<[_]>::to_vec).collect();
    rows.push(ui::row(ctx.loc, "faq.not_here", TicketsCb::AppealAfterFaq(t)));
    rows.push(ui::row(ctx.loc, "faq.to_topics", FaqCb::Faq));
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

async fn item(ctx: &Ctx, faq: &Faq, t: u8, i: u8) -> Result<Outcome> {
    let Some(qa) = faq
        .topics
        .get(usize::from(t))
        .and_then(|topic| topic.items.get(usize::from(i)))
    else {
        return topics(ctx, faq, "faq.title").await;
    };
    let text = format!("<b>{}</b>\n\n{}", esc(&qa.question), esc(&qa.answer));
    let kb = ui::inline(vec![
        ui::row(ctx.loc, "faq.helped", FaqCb::FaqHelped(t, i)),
        ui::row(ctx.loc, "faq.not_helped", TicketsCb::AppealAfterFaq(t)),
        ui::row(ctx.loc, "faq.to_questions", FaqCb::FaqTopic(t)),
    ]);
    ctx.say_with(text, kb).await?;
    Ok(Outcome::Done)
}

async fn helped(ctx: &Ctx, faq: &Faq, t: u8) -> Result<Outcome> {
    if let Some(topic) = faq.topics.get(usize::from(t)) {
        ctx.store().record_faq("helped", &topic.name, ctx.now()).await?;
    }
    Ok(Outcome::Home(Some(ctx.t("faq.glad"))))
}
