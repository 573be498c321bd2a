//! Connection applications at the desk: a status chosen by its button, set with the
//! operator's reply (documents issued when a file comes without one); «Открыть снова» on a
//! final one.

use super::{Answer, Kind, On, Reply, Result};
use crate::callback::ConnCb;
use crate::desk::notices;
use crate::domain::items::{ConnStatus, DeskAction};
use crate::i18n;

pub(super) struct Connection;

#[async_trait::async_trait]
impl Kind for Connection {
    async fn act(&self, on: &On<'_>, action: DeskAction) -> Result<Answer> {
        let (deps, loc) = (on.deps, on.loc());
        match action {
            DeskAction::Status(status) => {
                deps.store.set_pending(on.op, on.item, action, on.now).await?;
                let status = i18n::t(loc, status.key());
                Ok(Answer::Next(i18n::tf(
                    loc,
                    "desk.reply_with_comment",
                    &[("status", &status)],
                )))
            }
            DeskAction::Reopen => {
                reopen(on).await?;
                Ok(Answer::Done)
            }
            _ => Ok(Answer::Done),
        }
    }

    async fn refusal(&self, on: &On<'_>) -> Result<Option<String>> {
        let app = on.deps.store.application_by_id(on.item.id).await?;
        Ok(app
            .map(|(_, a)| a.status)
            .filter(|s| s.is_final())
            .map(|s| on.closed(&i18n::t(on.loc(), s.key()))))
    }

    /// The chosen status with the comment and the files.
    async fn reply(&self, r: &Reply<'_>, pending: Option<DeskAction>) -> Result<&'static str> {
        let on = &r.on;
        let Some(current) = on
            .deps
            .store
            .application_by_id(on.item.id)
            .await?
            .map(|(_, a)| a.status)
        else {
            return Ok("desk.no_item");
        };
        let status = match pending {
            Some(DeskAction::Status(s)) => s,
            _ if r.files.is_empty() => current,
            _ => ConnStatus::DocumentsIssued,
        };
        set_status(on, status, r.text, r.files).await?;
        Ok("desk.sent")
    }
}

/// «Открыть снова» on a final application: under review again, the consumer told. A second
/// press, or one on an old card, finds it open already: nothing to do.
async fn reopen(on: &On<'_>) -> Result<()> {
    let app = on.deps.store.application_by_id(on.item.id).await?;
    if app.is_some_and(|(_, a)| a.status.is_final()) {
        set_status(on, ConnStatus::UnderReview, None, &[]).await?;
    }
    Ok(())
}

/// The application's status set, with the comment and files, the consumer told.
async fn set_status(
    on: &On<'_>,
    status: ConnStatus,
    text: Option<&str>,
    files: &[crate::store::tickets::DeliveredFile<'_>],
) -> Result<()> {
    let loc = on.loc();
    let mut detail = i18n::tf(loc, "desk.push.status", &[("status", &i18n::t(loc, status.key()))]);
    if let Some(t) = text {
        detail.push_str(&format!("\n{t}"));
    }
    let n = notices(
        &on.deps.store,
        &on.deps.config,
        on.c.consumer_id,
        "desk.push.connection",
        &on.c.number,
        Some(&detail),
        ConnCb::ConnApp(on.item.id),
    )
    .await?;
    on.deps
        .store
        .set_application_status(on.item.id, status, text, files, &n, on.now)
        .await?;
    Ok(())
}
