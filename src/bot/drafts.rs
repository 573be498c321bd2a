//! Forms left half-way: kept when the person goes elsewhere in the middle (a main-menu button,
//! another section's button, «В меню», /menu), offered back when they come to that section
//! again — open one of its menu entries or start one of its forms — with «Продолжить» and
//! «Начать заново». A section says which of its states are worth keeping
//! (`SectionState::draft`); connection applications keep their own drafts.

use super::ctx::Ctx;
use super::deps::HandlerError;
use super::outcome::Outcome;
use super::section::Plug;
use super::sections;
use super::state::{InProgress, State};
use super::ui;
use crate::callback::Cb;

type Result<T> = std::result::Result<T, HandlerError>;

/// Keeps the form in progress if its section keeps it this way: what the person is told.
pub async fn keep(ctx: &Ctx, p: &InProgress) -> Result<Option<String>> {
    let (Some(user), Some(s)) = (ctx.user(), sections::by_area(&p.area)) else {
        return Ok(None);
    };
    let Some(what) = s.draft(&p.at) else {
        return Ok(None);
    };
    ctx.store().save_form_draft(user.id, &p.area, &p.at, ctx.now()).await?;
    Ok(Some(ctx.tf("draft.kept", &[("what", &ctx.t(&what))])))
}

/// Keeps what is in progress (if anything is worth it) before something else replaces it.
pub async fn keep_current(ctx: &Ctx) -> Result<Option<String>> {
    match ctx.state.in_progress() {
        Some(p) => keep(ctx, p).await,
        None => Ok(None),
    }
}

/// The person came to `area` (opened its entry, or started one of its forms from elsewhere):
/// a form kept there is offered back.
pub async fn offer(ctx: &Ctx, area: &str) -> Result<()> {
    let Some(user) = ctx.user() else {
        return Ok(());
    };
    let Some((place, s)) = place_of(area).filter(|(_, s)| s.keeps_forms()) else {
        return Ok(());
    };
    let Some(d) = ctx.store().form_draft(user.id, area, ctx.now()).await? else {
        return Ok(());
    };
    // Kept by an older version and no longer readable: not offered (it goes with the prune).
    let Some(what) = s.draft(&d.state) else {
        return Ok(());
    };
    let text = ctx.tf(
        "draft.offer",
        &[
            ("what", &ctx.t(&what)),
            ("date", &ctx.deps.config.local_date(d.saved_at)),
        ],
    );
    let kb = ui::inline(vec![
        ui::row(ctx.loc, "draft.resume", Cb::DraftResume(place)),
        ui::row(ctx.loc, "draft.fresh", Cb::DraftFresh(place)),
    ]);
    ctx.say_with(text, kb).await
}

fn place_of(area: &str) -> Option<(u8, &'static dyn Plug)> {
    sections::ALL
        .iter()
        .enumerate()
        .find(|(_, s)| s.area() == area)
        .map(|(i, s)| (i as u8, *s))
}

/// «Продолжить»: the kept form is what is in progress again, at its question. What was in
/// progress meanwhile is kept in its turn.
pub async fn resume(ctx: &mut Ctx, place: u8) -> Result<Outcome> {
    let (Some(user), Some(s)) = (ctx.user(), sections::ALL.get(usize::from(place))) else {
        return Ok(Outcome::Stale);
    };
    let Some(at) = ctx.store().take_form_draft(user.id, s.area()).await? else {
        return gone(ctx).await;
    };
    if s.reads(&at).is_none() {
        return gone(ctx).await;
    }
    if let Some(p) = ctx.state.in_progress().filter(|p| p.area != s.area()) {
        keep(ctx, &p.clone()).await?;
    }
    set(ctx, *s, at).await
}

/// «Начать заново»: the kept form is dropped. A form of the section in progress goes on; with
/// none, the kept one starts from its first question.
pub async fn fresh(ctx: &mut Ctx, place: u8) -> Result<Outcome> {
    let (Some(user), Some(s)) = (ctx.user(), sections::ALL.get(usize::from(place))) else {
        return Ok(Outcome::Stale);
    };
    let Some(kept) = ctx.store().take_form_draft(user.id, s.area()).await? else {
        return gone(ctx).await;
    };
    if ctx.state.in_progress().is_some_and(|p| p.area == s.area()) {
        return Ok(Outcome::Reprompt);
    }
    match s.fresh(&kept) {
        Some(at) => set(ctx, *s, at).await,
        None => gone(ctx).await,
    }
}

async fn set(ctx: &mut Ctx, s: &'static dyn Plug, at: serde_json::Value) -> Result<Outcome> {
    let state = State::In(InProgress {
        area: s.area().into(),
        secret: s.reads(&at).unwrap_or(false),
        at: at.clone(),
    });
    ctx.set(state.clone()).await?;
    ctx.state = state;
    s.prompt(ctx, &at).await
}

/// The draft's button pressed a second time, or after the draft went.
async fn gone(ctx: &Ctx) -> Result<Outcome> {
    ctx.say(ctx.t("draft.gone")).await?;
    Ok(Outcome::Reprompt)
}
