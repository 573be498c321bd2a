//! A new meter at the desk, for review: «Принять» and the operators' questions.

use super::{Answer, Kind, On, Reply, Result};
use crate::callback::MetersCb;
use crate::desk::notices;
use crate::domain::items::DeskAction;
use crate::i18n;

pub(super) struct Meter;

#[async_trait::async_trait]
impl Kind for Meter {
    async fn act(&self, on: &On<'_>, action: DeskAction) -> Result<Answer> {
        if action != DeskAction::Done {
            return Ok(Answer::Done);
        }
        let deps = on.deps;
        let n = notices(
            &deps.store,
            &deps.config,
            on.c.consumer_id,
            "desk.push.meter_accepted",
            &on.c.number,
            None,
            MetersCb::Meter(on.item.id),
        )
        .await?;
        if !deps.store.accept_meter(on.item.id, &n, on.now).await? {
            return Ok(Answer::Only(i18n::t(on.loc(), "desk.meter_accepted_already")));
        }
        Ok(Answer::Done)
    }

    /// The operators' question or remark, to the consumer.
    async fn reply(&self, r: &Reply<'_>, _pending: Option<DeskAction>) -> Result<&'static str> {
        let on = &r.on;
        let n = notices(
            &on.deps.store,
            &on.deps.config,
            on.c.consumer_id,
            "desk.push.meter_comment",
            &on.c.number,
            r.text,
            MetersCb::Meter(on.item.id),
        )
        .await?;
        on.deps.store.tell_about_meter(&n, on.now).await?;
        Ok("desk.sent")
    }
}
