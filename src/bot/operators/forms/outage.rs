//! `/outage`: resource → planned or emergency → where → start → expected end → a note →
//! «Опубликовать», with how many consumers will be told and how long it takes. `/outages`: the
//! open ones, each extended (by hours, or to a typed time) or closed (asked first).

use super::{Next, On, Screen};
use crate::bot::deps::{Deps, HandlerError, HandlerResult};
use crate::callback::{Buttons, FormCb};
use crate::domain::address::Area;
use crate::domain::meters::Resource;
use crate::domain::outages::{NewOutage, parse_near};
use crate::i18n;
use crate::telegram::esc;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

/// The longest note consumers are shown under an outage.
const MAX_REASON: usize = 500;
/// The extensions offered as buttons, in hours.
const HOURS: [u16; 4] = [2, 4, 8, 24];
/// The open outages `/outages` lists (the soonest first).
const LISTED: usize = 20;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    resource: Option<Resource>,
    planned: Option<bool>,
    area: Option<String>,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    /// Some("") when there is none.
    reason: Option<String>,
}

impl Draft {
    fn outage(&self) -> Option<NewOutage> {
        NewOutage::new(
            self.resource?,
            self.planned?,
            self.area.as_deref()?,
            self.starts_at?,
            self.ends_at?,
            self.reason.as_deref()?,
        )
        .ok()
    }
}

/// An example time for a question: tomorrow at `hour`, in the utility's time.
fn example(on: &On<'_>, hour: u32) -> String {
    let local = on.deps.config.local(on.deps.clock.now()).date() + Duration::days(1);
    format!("{} {hour:02}:00", local.format("%d.%m.%Y"))
}

fn hours_row(on: &On<'_>) -> Vec<InlineKeyboardButton> {
    HOURS
        .iter()
        .map(|h| {
            InlineKeyboardButton::callback(
                on.tf("outdesk.hours", &[("n", &h.to_string())]),
                FormCb::Hours(on.form, *h).encode(),
            )
        })
        .collect()
}

/// What was answered so far, a line each.
fn summary(on: &On<'_>, d: &Draft) -> String {
    let mut lines = vec![on.t("outdesk.title")];
    let mut field = |key: &str, v: String| lines.push(on.tf(key, &[("v", &v)]));
    if let Some(r) = d.resource {
        field("outdesk.f_resource", on.t(crate::wording::resource_key(r)));
    }
    if let Some(p) = d.planned {
        field(
            "outdesk.f_kind",
            on.t(if p { "outdesk.planned" } else { "outdesk.emergency" }),
        );
    }
    if let Some(a) = &d.area {
        field("outdesk.f_area", esc(a));
    }
    if let Some(t) = d.starts_at {
        field("outdesk.f_start", on.at(t));
    }
    if let Some(t) = d.ends_at {
        field("outdesk.f_end", on.at(t));
    }
    if let Some(r) = d.reason.as_deref().filter(|r| !r.is_empty()) {
        field("outdesk.f_reason", esc(r));
    }
    lines.join("\n")
}

pub(super) async fn screen(on: &On<'_>, d: &Draft) -> Result<Screen, HandlerError> {
    let head = summary(on, d);
    let ask = |q: String, rows: Vec<Vec<InlineKeyboardButton>>| Screen {
        text: format!("{head}\n\n{q}"),
        buttons: (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows)),
    };
    Ok(if d.resource.is_none() {
        let mut rows: Vec<Vec<InlineKeyboardButton>> = Resource::ALL
            .chunks(2)
            .map(|pair| {
                pair.iter()
                    .map(|r| on.button(crate::wording::resource_key(*r), FormCb::Resource(on.form, *r)))
                    .collect()
            })
            .collect();
        rows.push(on.cancel());
        ask(on.t("outdesk.q_resource"), rows)
    } else if d.planned.is_none() {
        let rows = vec![
            vec![
                on.button("outdesk.b_planned", FormCb::Planned(on.form, 1)),
                on.button("outdesk.b_emergency", FormCb::Planned(on.form, 0)),
            ],
            on.cancel(),
        ];
        ask(on.t("outdesk.q_kind"), rows)
    } else if d.area.is_none() {
        ask(on.t("outdesk.q_area"), Vec::new())
    } else if d.starts_at.is_none() {
        let q = on.tf("outdesk.q_start", &[("example", &example(on, 9))]);
        ask(
            q,
            vec![vec![on.button("outdesk.now", FormCb::Now(on.form))], on.cancel()],
        )
    } else if d.ends_at.is_none() {
        let q = on.tf("outdesk.q_end", &[("example", &example(on, 18))]);
        ask(q, vec![hours_row(on), on.cancel()])
    } else if d.reason.is_none() {
        ask(
            on.t("outdesk.q_reason"),
            vec![
                vec![on.button("outdesk.no_reason", FormCb::NoReason(on.form))],
                on.cancel(),
            ],
        )
    } else {
        let people = match d.area.as_deref().and_then(Area::parse) {
            Some(area) => {
                let addresses = on.deps.store.consumer_addresses(None).await?;
                crate::worker::outages::inside_area(&area, &addresses).len()
            }
            None => 0,
        };
        let mut q = on.reach(people);
        if people == 0 {
            q = format!("{q}\n{}", on.t("outdesk.nobody"));
        }
        let q = format!("{q}\n{}", on.t("outdesk.preview"));
        ask(
            q,
            vec![vec![
                on.button("outdesk.publish", FormCb::Publish(on.form)),
                on.button("outdesk.cancel", FormCb::Cancel(on.form)),
            ]],
        )
    })
}

/// A typed time that is not over: for the start, any (an emergency began an hour ago); for an
/// end, after the start and after now.
fn end_after(on: &On<'_>, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if end <= start {
        return Err(on.tf("outdesk.end_before_start", &[("start", &on.at(start))]));
    }
    if end <= on.deps.clock.now() {
        return Err(on.t("outdesk.already_over"));
    }
    Ok(end)
}

pub(super) async fn text(on: &On<'_>, d: &mut Draft, text: &str) -> Result<Next, HandlerError> {
    let (now, offset) = (on.deps.clock.now(), on.deps.config.utc_offset_hours);
    let bad_time = |hour| on.tf("outdesk.bad_time", &[("example", &example(on, hour))]);
    Ok(if d.resource.is_none() || d.planned.is_none() {
        // A button is awaited: the typed text is not taken.
        Next::Again(on.t("outdesk.text_only"))
    } else if d.area.is_none() {
        if Area::parse(text).is_none() {
            return Ok(Next::Again(on.t("outdesk.bad_area")));
        }
        d.area = Some(text.to_owned());
        Next::Ask
    } else if d.starts_at.is_none() {
        let Some(at) = parse_near(text, offset, now) else {
            return Ok(Next::Again(bad_time(9)));
        };
        d.starts_at = Some(at);
        Next::Ask
    } else if let (Some(start), None) = (d.starts_at, d.ends_at) {
        let Some(at) = parse_near(text, offset, now) else {
            return Ok(Next::Again(bad_time(18)));
        };
        match end_after(on, start, at) {
            Ok(end) => {
                d.ends_at = Some(end);
                Next::Ask
            }
            Err(why) => Next::Again(why),
        }
    } else if d.reason.is_none() {
        if text.chars().count() > MAX_REASON {
            return Ok(Next::Again(
                on.tf("outdesk.too_long", &[("max", &MAX_REASON.to_string())]),
            ));
        }
        d.reason = Some(text.to_owned());
        Next::Ask
    } else {
        Next::Again(on.t("outdesk.preview"))
    })
}

pub(super) async fn button(on: &On<'_>, d: &mut Draft, cb: FormCb) -> Result<Next, HandlerError> {
    let now = on.deps.clock.now();
    match cb {
        FormCb::Resource(_, r) => d.resource = Some(r),
        FormCb::Planned(_, p) => d.planned = Some(p == 1),
        FormCb::Now(_) if d.starts_at.is_none() => d.starts_at = Some(now),
        FormCb::Hours(_, h) if d.ends_at.is_none() => {
            let Some(start) = d.starts_at else { return Ok(Next::Ask) };
            match end_after(on, start, start + Duration::hours(i64::from(h))) {
                Ok(end) => d.ends_at = Some(end),
                Err(why) => return Ok(Next::Again(why)),
            }
        }
        FormCb::NoReason(_) if d.reason.is_none() => d.reason = Some(String::new()),
        FormCb::Publish(_) => return publish(on, d).await,
        // A button of a step already answered (pressed twice): the form as it is.
        _ => {}
    }
    Ok(Next::Ask)
}

async fn publish(on: &On<'_>, d: &Draft) -> Result<Next, HandlerError> {
    let Some(outage) = d.outage() else {
        return Ok(Next::Ask);
    };
    let deps = on.deps;
    let now = deps.clock.now();
    let Some(number) = deps.store.publish_outage(on.form, &outage, now).await? else {
        return Ok(Next::Done(on.t("outdesk.gone")));
    };
    tracing::info!(operator = on.operator, outage = %number, "an outage published from the group");
    tell(deps, on.group, on.step_msg);
    let done = on.tf("outdesk.published", &[("number", &number)]);
    Ok(Next::Done(format!("{}\n\n{done}", summary(on, d))))
}

/// Tells the consumers of every untold change, off the group's handler (a district takes a
/// while to write), then says in the group how many messages were queued, as a reply to `at`
/// (so in a forum it stays in the form's topic). A stop meanwhile leaves it to the reminders'
/// run, which tells what is untold.
fn tell(deps: &Deps, group: ChatId, at: MessageId) {
    let (store, config, clock) = (deps.store.clone(), deps.config.clone(), deps.clock.clone());
    let (tg, wake) = (deps.tg.clone(), deps.outbox_wake.clone());
    tokio::spawn(async move {
        match crate::worker::outages::run_once(&store, &config, clock.now()).await {
            Ok(n) => {
                wake.notify_one();
                let loc = config.default_locale.as_str();
                let text = i18n::tf(loc, "outdesk.told", &[("messages", &n.to_string())]);
                tg.queue_send(group, text, crate::telegram::Extras::default().reply_to(at));
            }
            Err(e) => tracing::error!(error = %e, "outage notices not queued now: the next reminders' run does it"),
        }
    });
}

/// `/outages`: the open ones with a row of buttons each.
pub(super) async fn list(deps: &Deps, group: ChatId, to: MessageId, loc: &str) -> HandlerResult {
    let open = deps.store.open_outages(deps.clock.now()).await?;
    if open.is_empty() {
        return super::tell_group(deps, group, to, &i18n::t(loc, "outdesk.list_empty"), None).await;
    }
    let at = |t| deps.config.local(t).format("%d.%m.%Y %H:%M").to_string();
    let mut text = i18n::t(loc, "outdesk.list_title");
    let mut rows = Vec::new();
    for (i, o) in open.iter().take(LISTED).enumerate() {
        let i = (i + 1).to_string();
        let kind = if o.planned {
            "outdesk.planned"
        } else {
            "outdesk.emergency"
        };
        let args = [
            ("i", i.clone()),
            ("number", o.number.clone()),
            ("resource", i18n::t(loc, crate::wording::resource_key(o.resource))),
            ("kind", i18n::t(loc, kind)),
            ("area", esc(&o.area)),
            ("from", at(o.starts_at)),
            ("to", at(o.ends_at)),
        ];
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        text.push_str("\n\n");
        text.push_str(&i18n::tf(loc, "outdesk.list_item", &args));
        let label = |key| i18n::tf(loc, key, &[("i", &i)]);
        rows.push(vec![
            InlineKeyboardButton::callback(label("outdesk.extend"), FormCb::Extend(o.id).encode()),
            InlineKeyboardButton::callback(label("outdesk.note"), FormCb::Note(o.id).encode()),
            InlineKeyboardButton::callback(label("outdesk.close"), FormCb::Close(o.id).encode()),
        ]);
    }
    super::super::tell_group_with(deps, group, to, &text, None, Some(InlineKeyboardMarkup::new(rows)))
}

/// A button of the list: extend (a form of the operator's), close (asked first).
pub(super) async fn list_button(
    deps: &Deps,
    group: ChatId,
    pressed: MessageId,
    operator: i64,
    cb: FormCb,
    outage: i64,
    loc: &str,
) -> HandlerResult {
    let Some(o) = deps.store.outage_by_id(outage).await? else {
        return Ok(());
    };
    let say = |key: &str| i18n::tf(loc, key, &[("number", &o.number)]);
    if o.closed_at.is_some() {
        return super::tell_group(deps, group, pressed, &say("outdesk.already_closed"), None).await;
    }
    let form = match cb {
        FormCb::Extend(_) => super::Form::Extend { outage },
        FormCb::Note(_) => super::Form::Note { outage },
        FormCb::Close(_) => {
            let rows = vec![vec![
                InlineKeyboardButton::callback(i18n::t(loc, "outdesk.close_yes"), FormCb::CloseYes(outage).encode()),
                InlineKeyboardButton::callback(i18n::t(loc, "outdesk.close_no"), FormCb::CloseNo(outage).encode()),
            ]];
            return super::super::tell_group_with(
                deps,
                group,
                pressed,
                &say("outdesk.q_close"),
                None,
                Some(InlineKeyboardMarkup::new(rows)),
            );
        }
        FormCb::CloseNo(_) => return edit_to(deps, group, pressed, say("outdesk.not_closed")),
        _ => return close(deps, group, pressed, operator, &o, loc).await,
    };
    super::start(deps, group, operator, loc, form, pressed).await
}

/// «Да, закрыть»: closed and told, once (a second press finds it closed).
async fn close(
    deps: &Deps,
    group: ChatId,
    pressed: MessageId,
    operator: i64,
    o: &crate::store::outages::Outage,
    loc: &str,
) -> HandlerResult {
    let say =
        |key: &str, messages: usize| i18n::tf(loc, key, &[("number", &o.number), ("messages", &messages.to_string())]);
    if !deps.store.close_outage(&o.number, deps.clock.now()).await? {
        return edit_to(deps, group, pressed, say("outdesk.already_closed", 0));
    }
    tracing::info!(operator, outage = %o.number, "an outage closed from the group");
    tell(deps, group, pressed);
    edit_to(deps, group, pressed, say("outdesk.closed", 0))
}

fn edit_to(deps: &Deps, group: ChatId, message: MessageId, text: String) -> HandlerResult {
    super::super::edit_in_group(deps, group, message, text, None)
}

pub(super) async fn extend_screen(on: &On<'_>, outage: i64) -> Result<Screen, HandlerError> {
    let Some(o) = on.deps.store.outage_by_id(outage).await? else {
        return Ok(Screen {
            text: on.t("outdesk.gone"),
            buttons: None,
        });
    };
    let example = on.at(o.ends_at.max(on.deps.clock.now()) + Duration::hours(4));
    let args = [
        ("number", o.number.clone()),
        ("area", esc(&o.area)),
        ("to", on.at(o.ends_at)),
        ("example", example),
    ];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Ok(Screen {
        text: on.tf("outdesk.q_extend", &args),
        buttons: Some(InlineKeyboardMarkup::new(vec![hours_row(on), on.cancel()])),
    })
}

pub(super) async fn extend_text(on: &On<'_>, outage: i64, text: &str) -> Result<Next, HandlerError> {
    let Some(to) = parse_near(text, on.deps.config.utc_offset_hours, on.deps.clock.now()) else {
        return Ok(Next::Again(on.tf("outdesk.bad_time", &[("example", &example(on, 18))])));
    };
    extend_to(on, outage, to).await
}

pub(super) async fn extend_button(on: &On<'_>, outage: i64, cb: FormCb) -> Result<Next, HandlerError> {
    let FormCb::Hours(_, h) = cb else {
        return Ok(Next::Ask);
    };
    let Some(o) = on.deps.store.outage_by_id(outage).await? else {
        return Ok(Next::Done(on.t("outdesk.gone")));
    };
    // From the expected end, or from now when that has passed.
    let from = o.ends_at.max(on.deps.clock.now());
    extend_to(on, outage, from + Duration::hours(i64::from(h))).await
}

async fn extend_to(on: &On<'_>, outage: i64, to: DateTime<Utc>) -> Result<Next, HandlerError> {
    let Some(o) = on.deps.store.outage_by_id(outage).await? else {
        return Ok(Next::Done(on.t("outdesk.gone")));
    };
    if let Err(why) = end_after(on, o.starts_at, to) {
        return Ok(Next::Again(why));
    }
    let say = |key: &str, messages: usize| {
        on.tf(
            key,
            &[
                ("number", &o.number),
                ("to", &on.at(to)),
                ("messages", &messages.to_string()),
            ],
        )
    };
    Ok(match on.deps.store.extend_by_form(on.form, outage, to).await? {
        None => Next::Done(on.t("outdesk.gone")),
        Some(false) => Next::Done(say("outdesk.already_closed", 0)),
        Some(true) => {
            tracing::info!(operator = on.operator, outage = %o.number, "an outage extended from the group");
            tell(on.deps, on.group, on.step_msg);
            Next::Done(say("outdesk.extended", 0))
        }
    })
}
