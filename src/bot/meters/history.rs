//! «История показаний»: the last twelve periods, six a page, a line per zone with what was
//! consumed.

use super::list::{not_found, owned};
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::ui::{self, esc};
use crate::callback::MetersCb;
use crate::domain::meters::Period;

type Result<T> = std::result::Result<T, HandlerError>;

const PAGE: usize = 6;
const PERIODS: usize = 12;

pub async fn show(ctx: &Ctx, meter_id: i64, page: u8) -> Result<Outcome> {
    let Some(m) = owned(ctx, meter_id).await? else {
        return not_found(ctx).await;
    };
    let u = crate::wording::unit(ctx.loc, m.resource);
    let mut by_zone = Vec::new();
    for zone in 1..=m.zones {
        by_zone.push(ctx.store().zone_history(&m, zone).await?);
    }
    let mut periods: Vec<String> = by_zone.iter().flatten().map(|h| h.period.clone()).collect();
    periods.sort();
    periods.dedup();
    periods.reverse();
    periods.truncate(PERIODS);
    let pages = periods.len().div_ceil(PAGE).max(1);
    let page = usize::from(page).min(pages - 1);
    let mut text = ctx.tf("history.title", &[("serial", &esc(&m.serial))]);
    if periods.is_empty() {
        text.push_str(&format!("\n\n{}", ctx.t("history.empty")));
    }
    for p in periods.iter().skip(page * PAGE).take(PAGE) {
        let label = Period::parse_key(p).map(Period::label).unwrap_or_else(|| p.clone());
        text.push_str(&format!("\n\n<b>{label}</b>"));
        for (zi, rows) in by_zone.iter().enumerate() {
            if let Some(h) = rows.iter().find(|h| &h.period == p) {
                let z = crate::wording::zone_label(ctx.loc, m.zones, zi as i64 + 1);
                let z = if z.is_empty() { String::new() } else { format!("{z}: ") };
                let c = h.consumption.map(|c| format!(" (+{c} {u})")).unwrap_or_default();
                text.push_str(&format!("\n{z}{} {u}{c}", h.value));
            }
        }
    }
    if pages > 1 {
        let n = ctx.tf(
            "history.page",
            &[("page", &(page + 1).to_string()), ("pages", &pages.to_string())],
        );
        text.push_str(&format!("\n\n{n}"));
    }
    let mut nav = Vec::new();
    if page + 1 < pages {
        nav.push(ui::button(
            ctx.loc,
            "history.older",
            MetersCb::History(m.id, (page + 1) as u8),
        ));
    }
    if page > 0 {
        nav.push(ui::button(
            ctx.loc,
            "history.newer",
            MetersCb::History(m.id, (page - 1) as u8),
        ));
    }
    let mut rows = vec![];
    if !nav.is_empty() {
        rows.push(nav);
    }
    rows.push(ui::row(ctx.loc, "meters.to_card", MetersCb::Meter(m.id)));
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}
