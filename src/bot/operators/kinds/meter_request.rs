//! Requests on a meter at the desk: «Назначить дату» (the date comes with the reply),
//! «Выполнено» (a verification's comes with its certificate), «Отклонить», and comments.

use super::{Answer, Kind, On, Reply, Result};
use crate::bot::deps::Deps;
use crate::callback::MetersCb;
use crate::desk::notices;
use crate::domain::items::{DeskAction, MeterRequestKind, MeterRequestStatus};
use crate::i18n;

pub(super) struct MeterRequest;

#[async_trait::async_trait]
impl Kind for MeterRequest {
    async fn act(&self, on: &On<'_>, action: DeskAction) -> Result<Answer> {
        let (deps, loc, item) = (on.deps, on.loc(), on.item);
        let next = match action {
            DeskAction::Schedule => Some("desk.reply_with_date"),
            // A verification is done by its certificate: the operator's reply brings it.
            DeskAction::Done
                if deps.store.meter_request_by_id(item.id).await?.map(|r| r.kind)
                    == Some(MeterRequestKind::Verification) =>
            {
                Some("desk.reply_with_certificate")
            }
            DeskAction::Done | DeskAction::Reject => None,
            _ => return Ok(Answer::Done),
        };
        if let Some(key) = next {
            deps.store.set_pending(on.op, item, action, on.now).await?;
            let today = deps.config.today(on.now);
            return Ok(Answer::Next(crate::wording::dated(&i18n::t(loc, key), today)));
        }
        let (status, key) = if action == DeskAction::Done {
            (MeterRequestStatus::Done, "desk.push.done")
        } else {
            (MeterRequestStatus::Rejected, "desk.push.rejected")
        };
        let meter = meter_of(deps, item.id).await?;
        let n = notices(
            &deps.store,
            &deps.config,
            on.c.consumer_id,
            key,
            &on.c.number,
            None,
            MetersCb::Meter(meter),
        )
        .await?;
        deps.store
            .set_meter_request_status(item.id, status, None, None, &n, on.now)
            .await?;
        Ok(Answer::Done)
    }

    async fn refusal(&self, on: &On<'_>) -> Result<Option<String>> {
        let loc = on.loc();
        let request = on.deps.store.meter_request_by_id(on.item.id).await?;
        Ok(request.filter(|r| !r.status.is_open()).map(|r| {
            i18n::tf(
                loc,
                "desk.final_request",
                &[("number", &on.c.number), ("status", &i18n::t(loc, r.status.key()))],
            )
        }))
    }

    /// The visit date after «Назначить дату», the certificate after «Выполнено» on a
    /// verification, else a comment.
    async fn reply(&self, r: &Reply<'_>, pending: Option<DeskAction>) -> Result<&'static str> {
        let on = &r.on;
        let deps = on.deps;
        let id = on.item.id;
        let meter = meter_of(deps, id).await?;
        match pending {
            Some(DeskAction::Schedule) => return scheduled(r, meter).await,
            Some(DeskAction::Done) => return verified(r, meter).await,
            _ => {}
        }
        let Some(status) = deps.store.meter_request_by_id(id).await?.map(|r| r.status) else {
            return Ok("desk.no_item");
        };
        let n = notices(
            &deps.store,
            &deps.config,
            on.c.consumer_id,
            "desk.push.comment",
            &on.c.number,
            r.text,
            MetersCb::Meter(meter),
        )
        .await?;
        deps.store
            .set_meter_request_status(id, status, None, r.text, &n, on.now)
            .await?;
        Ok("desk.sent")
    }
}

/// The reply after «Назначить дату»: a date from today on, else asked again.
async fn scheduled(r: &Reply<'_>, meter: i64) -> Result<&'static str> {
    let on = &r.on;
    let (deps, loc) = (on.deps, on.loc());
    let today = deps.config.today(on.now);
    let Some(date) = r
        .text
        .and_then(|t| crate::domain::meters::parse_date(t, today))
        .filter(|d| *d >= today)
    else {
        deps.store
            .set_pending(on.op, on.item, DeskAction::Schedule, on.now)
            .await?;
        return Ok("desk.date_bad");
    };
    let detail = i18n::tf(loc, "desk.scheduled", &[("date", &date.format("%d.%m.%Y").to_string())]);
    let n = notices(
        &deps.store,
        &deps.config,
        on.c.consumer_id,
        "desk.push.scheduled",
        &on.c.number,
        Some(&detail),
        MetersCb::Meter(meter),
    )
    .await?;
    deps.store
        .set_meter_request_status(on.item.id, MeterRequestStatus::Scheduled, Some(date), None, &n, on.now)
        .await?;
    Ok("desk.sent")
}

/// The reply after «Выполнено» on a verification request: the certificate (a file) with the
/// next verification date in its caption closes it; anything less is asked again.
async fn verified(r: &Reply<'_>, meter: i64) -> Result<&'static str> {
    let on = &r.on;
    let (deps, loc) = (on.deps, on.loc());
    let today = deps.config.today(on.now);
    let date = r
        .text
        .and_then(|t| {
            t.split_whitespace()
                .find_map(|w| crate::domain::meters::parse_date(w, today))
        })
        .filter(|d| *d > today);
    let (Some(date), false) = (date, r.files.is_empty()) else {
        deps.store.set_pending(on.op, on.item, DeskAction::Done, on.now).await?;
        return Ok("desk.certificate_needed");
    };
    let shown = date.format("%d.%m.%Y").to_string();
    let detail = i18n::tf(loc, "desk.verified_detail", &[("date", &shown)]);
    let n = notices(
        &deps.store,
        &deps.config,
        on.c.consumer_id,
        "desk.push.verified",
        &on.c.number,
        Some(&detail),
        MetersCb::Meter(meter),
    )
    .await?;
    deps.store
        .complete_verification(on.item.id, date, r.files, &n, on.now)
        .await?;
    Ok("desk.sent")
}

/// The meter a request is about.
async fn meter_of(deps: &Deps, request_id: i64) -> Result<i64> {
    Ok(deps
        .store
        .meter_request_by_id(request_id)
        .await?
        .map(|r| r.meter_id)
        .unwrap_or_default())
}
