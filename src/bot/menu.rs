//! Nothing in progress: the main menu for a confirmed user, the code for a pending one, the
//! welcome for a stranger. Also the deep link and the services hub.

use super::codes;
use super::state::State;
use super::{Ctx, HandlerResult, esc, keyboards, login, profile, registration, start};
use crate::callback::Cb;
use crate::domain::menu::{Section, menu_sections};
use crate::domain::tickets::TicketSection;
use crate::store::accounts::{ConfirmOutcome, TokenOutcome};
use crate::store::codes::{CodeCheck, CodeFor, Purpose, normalize_code};
use teloxide::prelude::*;

pub async fn show_menu(ctx: &Ctx) -> HandlerResult {
    show_menu_with(ctx, &ctx.t("menu.title")).await
}

/// A message that brings the main menu keyboard up to date (sections appear with items).
pub async fn show_menu_with(ctx: &Ctx, text: &str) -> HandlerResult {
    let Some(user) = ctx.user() else {
        return start::welcome(ctx).await;
    };
    let counts = ctx.store().item_counts(user.id).await?;
    let kb = keyboards::main_menu(ctx.loc, &menu_sections(counts));
    ctx.say_with(text, kb).await
}

pub async fn confirm_reminder(ctx: &Ctx) -> HandlerResult {
    let email = ctx
        .pending()
        .map(|a| crate::domain::person::mask_email(a.email()))
        .unwrap_or_default();
    ctx.say_with(
        ctx.tf("confirm.reminder", &[("email", &esc(&email))]),
        keyboards::pending(ctx.loc),
    )
    .await
}

/// Which menu section a typed text names, in either language (an old keyboard may be in the
/// other one).
fn section_of(text: &str) -> Option<Section> {
    Section::ALL.into_iter().find(|s| {
        crate::i18n::LOCALES
            .iter()
            .any(|l| crate::i18n::t(l, keyboards::section_key(*s)) == text.trim())
    })
}

pub async fn idle_message(ctx: &mut Ctx, msg: &Message) -> HandlerResult {
    if ctx.user().is_some() {
        return match msg.text().and_then(section_of) {
            Some(section) => open_section(ctx, section).await,
            None => {
                ctx.say(ctx.t("menu.unknown")).await?;
                show_menu(ctx).await
            }
        };
    }
    if let Some(pending) = ctx.pending() {
        let account_id = pending.id;
        return match msg.text().and_then(normalize_code) {
            Some(code) => confirm_code(ctx, account_id, &code).await,
            None => confirm_reminder(ctx).await,
        };
    }
    ctx.say(ctx.t("start.who_are_you")).await?;
    start::welcome(ctx).await
}

async fn open_section(ctx: &mut Ctx, section: Section) -> HandlerResult {
    match section {
        Section::Services => services(ctx).await,
        Section::Profile => profile::show(ctx).await,
        Section::Meters => super::meters::show_list(ctx).await,
        Section::SendReadings => super::meters::send_readings_entry(ctx).await,
        Section::Tickets => super::tickets::show_list(ctx, TicketSection::Appeals, 0).await,
        Section::Connection => super::connection::show_section(ctx).await,
        Section::Requests => super::tickets::show_list(ctx, TicketSection::Requests, 0).await,
        Section::Documents => super::tickets::show_list(ctx, TicketSection::Documents, 0).await,
    }
}

async fn services(ctx: &Ctx) -> HandlerResult {
    let has_meters = match ctx.user() {
        Some(u) => ctx.store().active_meter_count(u.id).await? > 0,
        None => false,
    };
    let mut rows = Vec::new();
    if has_meters {
        rows.push(vec![keyboards::button(ctx.loc, "menu.send_readings", Cb::ChooseMeter)]);
    }
    rows.push(vec![keyboards::button(ctx.loc, "meters.add", Cb::AddMeter)]);
    rows.push(vec![keyboards::button(ctx.loc, "conn.new", Cb::NewConn)]);
    for kind in crate::domain::tickets::TicketKind::ALL {
        let key = format!("ticket.new.{}", kind.as_str());
        rows.push(vec![keyboards::button(ctx.loc, &key, Cb::NewTicket(kind))]);
    }
    rows.push(vec![keyboards::button(ctx.loc, "services.info", Cb::UsefulInfo)]);
    rows.push(vec![keyboards::button(ctx.loc, "common.to_menu", Cb::Menu)]);
    let kb = keyboards::inline(rows);
    ctx.say_with(ctx.t("services.title"), kb).await
}

async fn useful_info(ctx: &Ctx) -> HandlerResult {
    let c = &ctx.deps.config;
    let mut text = format!("<b>{}</b>\n{}", ctx.t("info.title"), esc(&c.org_name));
    let fields = [
        ("info.phone", &c.org_phone),
        ("info.email", &c.org_email),
        ("info.address", &c.org_address),
        ("info.hours", &c.org_hours),
        ("info.website", &c.org_website),
        ("info.connection_forms", &c.connection_forms_url),
    ];
    let mut any = false;
    for (key, value) in fields {
        if let Some(v) = value {
            any = true;
            text.push_str(&format!("\n{}: {}", ctx.t(key), esc(v)));
        }
    }
    if !any {
        text.push_str(&format!("\n{}", ctx.t("info.none")));
    }
    let kb = keyboards::inline(vec![vec![
        keyboards::button(ctx.loc, "common.back", Cb::Services),
        keyboards::button(ctx.loc, "common.to_menu", Cb::Menu),
    ]]);
    ctx.say_with(text, kb).await
}

pub async fn idle_callback(ctx: &mut Ctx, cb: Cb, state: State) -> HandlerResult {
    let signed_out = ctx.user().is_none() && ctx.pending().is_none();
    match cb {
        Cb::Register if ctx.user().is_none() => registration::begin(ctx).await,
        Cb::Login if ctx.user().is_none() => login::begin(ctx).await,
        Cb::Forgot if ctx.user().is_none() => login::begin_reset(ctx).await,
        Cb::Resend if ctx.pending().is_some() => resend(ctx).await,
        Cb::RestartRegistration if ctx.pending().is_some() => {
            ctx.store().abandon_pending(ctx.chat.0).await?;
            ctx.reload_session().await?;
            registration::begin(ctx).await
        }
        Cb::Services if ctx.user().is_some() => services(ctx).await,
        Cb::UsefulInfo if ctx.user().is_some() => useful_info(ctx).await,
        _ if signed_out || ctx.pending().is_some() => start::stale_button(ctx).await,
        _ => profile::on_callback(ctx, cb, state).await,
    }
}

async fn confirm_code(ctx: &mut Ctx, account_id: i64, code: &str) -> HandlerResult {
    match ctx
        .store()
        .confirm_by_code(account_id, ctx.chat.0, code, ctx.now())
        .await?
    {
        ConfirmOutcome::Confirmed { .. } => confirmed(ctx).await,
        ConfirmOutcome::LoginTaken => login_taken(ctx).await,
        ConfirmOutcome::Code(check) => code_problem(ctx, &check, keyboards::pending(ctx.loc)).await,
    }
}

/// The sentence for a code that did not work, with the way forward.
pub async fn code_problem(ctx: &Ctx, check: &CodeCheck, kb: teloxide::types::InlineKeyboardMarkup) -> HandlerResult {
    let text = match check {
        CodeCheck::Ok { .. } => return Ok(()),
        CodeCheck::Wrong { attempts_left } => ctx.tf(
            "confirm.wrong",
            &[(
                "left",
                &crate::i18n::plural(ctx.loc, "plural.attempts", *attempts_left as u64),
            )],
        ),
        CodeCheck::Exhausted => ctx.t("confirm.exhausted"),
        CodeCheck::Expired => ctx.t("confirm.expired"),
        CodeCheck::NoCode => ctx.t("confirm.no_code"),
    };
    ctx.say_with(text, kb).await
}

async fn confirmed(ctx: &mut Ctx) -> HandlerResult {
    ctx.reset().await?;
    ctx.reload_session().await?;
    ctx.say(ctx.t("confirm.done")).await?;
    show_menu(ctx).await
}

async fn login_taken(ctx: &Ctx) -> HandlerResult {
    let kb = keyboards::inline(vec![
        vec![keyboards::button(ctx.loc, "start.login", Cb::Login)],
        vec![keyboards::button(ctx.loc, "login.forgot", Cb::Forgot)],
        vec![keyboards::button(ctx.loc, "dispute.its_mine", Cb::Dispute)],
        vec![keyboards::button(ctx.loc, "confirm.restart", Cb::RestartRegistration)],
    ]);
    ctx.say_with(ctx.t("confirm.login_taken"), kb).await
}

async fn resend(ctx: &mut Ctx) -> HandlerResult {
    let Some(acc) = ctx.pending().cloned() else {
        return start::stale_button(ctx).await;
    };
    let key = CodeFor {
        account_id: acc.id,
        purpose: Purpose::Register,
        chat_id: ctx.chat.0,
    };
    let sent = codes::send(ctx, key, acc.email(), acc.name.as_deref().unwrap_or_default()).await?;
    match codes::refusal(ctx, &sent) {
        Some(text) => ctx.say_with(text, keyboards::pending(ctx.loc)).await,
        None => {
            let email = crate::domain::person::mask_email(acc.email());
            ctx.say(ctx.tf("code.resent", &[("email", &esc(&email))])).await
        }
    }
}

/// `/start <token>`: the link from the confirmation letter.
pub async fn confirm_token(ctx: &mut Ctx, token: &str) -> HandlerResult {
    ctx.reset().await?;
    match ctx.store().confirm_by_token(ctx.chat.0, token, ctx.now()).await? {
        TokenOutcome::Confirmed { linked_here: true, .. } => confirmed(ctx).await,
        TokenOutcome::Confirmed { linked_here: false, .. } => {
            ctx.say(ctx.t("confirm.link_elsewhere")).await?;
            start::show_home(ctx).await
        }
        TokenOutcome::AlreadyConfirmed => {
            ctx.say(ctx.t("confirm.already")).await?;
            start::show_home(ctx).await
        }
        TokenOutcome::LoginTaken => login_taken(ctx).await,
        TokenOutcome::Invalid => {
            ctx.say(ctx.t("confirm.link_invalid")).await?;
            start::show_home(ctx).await
        }
    }
}
