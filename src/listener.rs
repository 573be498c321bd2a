//! Updates from Telegram by long polling or by webhook, each kept in the inbox before Telegram
//! is told it arrived. teloxide's polling confirms a batch (the next `getUpdates` offset) while
//! its updates are still being handled; a webhook request is answered 200 only after its update
//! is kept. Kept first, an update the process took but never finished (a crash) is handled
//! after the restart instead of being lost.

pub use crate::gate::Gate;
pub use crate::webhook::Webhook;
use crate::webhook::{Kept, keep};
use futures::StreamExt;
use std::time::Duration;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::stop::StopToken;
use teloxide::update_listeners::{AsUpdateStream, Polling, StatefulListener, UpdateListener};
use tokio::sync::watch;

/// Where updates come from.
enum Source {
    Polling(Box<Polling<Bot>>),
    /// Updates the webhook server kept, and a stop token for teloxide (the stream ends with
    /// `stopping` anyway).
    Webhook(tokio::sync::mpsc::UnboundedReceiver<Update>, StopToken),
}

struct State {
    source: Source,
    /// Kept but never handled before this start: handled first.
    replay: Vec<Update>,
    gate: std::sync::Arc<Gate>,
    /// Turns true when the process stops: the stream ends (what was taken is still handled).
    stopping: watch::Receiver<bool>,
}

/// The updates left unhandled by the last run, then long polling, until `stopping` turns true.
/// (Ending the stream is how the dispatcher is stopped: teloxide's shutdown token can miss a
/// shutdown asked for while the dispatcher is still starting.)
pub async fn listener(
    bot: Bot,
    gate: Gate,
    stopping: watch::Receiver<bool>,
    webhook: Option<Webhook>,
) -> anyhow::Result<impl UpdateListener<Err = RequestError>> {
    let gate = std::sync::Arc::new(gate);
    let mut replay = Vec::new();
    for (id, json) in gate.store.inbox_unhandled().await? {
        match serde_json::from_str::<Update>(&json) {
            Ok(u) => replay.push(u),
            Err(e) => tracing::warn!(update = id, error = %e, "a kept update no longer reads; skipped"),
        }
    }
    if !replay.is_empty() {
        tracing::info!(
            count = replay.len(),
            "handling updates the last run took but did not finish"
        );
    }
    let source = match webhook {
        None => Source::Polling(Box::new(
            // Polling removes a webhook a webhook-mode run left set.
            Polling::builder(bot)
                .timeout(Duration::from_secs(10))
                .allowed_updates(crate::webhook::ALLOWED_UPDATES.to_vec())
                .delete_webhook()
                .await
                .build(),
        )),
        Some(hook) => {
            let rx = crate::webhook::start(&bot, &hook, gate.clone(), stopping.clone()).await?;
            Source::Webhook(rx, teloxide::stop::mk_stop_token().0)
        }
    };
    let state = State {
        source,
        replay,
        gate,
        stopping,
    };
    Ok(StatefulListener::new(state, updates, |st: &mut State| -> StopToken {
        match &mut st.source {
            Source::Polling(p) => p.stop_token(),
            Source::Webhook(_, token) => token.clone(),
        }
    }))
}

/// The kept updates first, then what polling brings, each kept as it comes. Stopping ends
/// polling, never a keeping in progress: a database call dropped half-way can lose the pool's
/// one connection.
fn updates(st: &mut State) -> futures::stream::BoxStream<'_, Result<Update, RequestError>> {
    let gate = st.gate.clone();
    let replay_gate = gate.clone();
    let replay = futures::stream::iter(std::mem::take(&mut st.replay))
        .filter(move |u| std::future::ready(replay_gate.pass(u, true)))
        .map(Ok);
    let (store, clock, door) = (gate.store.clone(), gate.clock.clone(), gate.door.clone());
    let mut stopping = st.stopping.clone();
    let stopped = async move {
        let _ = stopping.wait_for(|s| *s).await;
    };
    match &mut st.source {
        Source::Polling(polling) => {
            let live = polling
                .as_stream()
                .take_until(stopped)
                // The door first: a flood's excess costs the database nothing.
                .filter(move |r| std::future::ready(r.as_ref().map_or(true, |u| gate.pass(u, false))))
                .filter_map(move |r: Result<Update, RequestError>| {
                    let (store, clock, door) = (store.clone(), clock.clone(), door.clone());
                    async move {
                        // Polling cannot leave one for later: handled even if not kept. One
                        // the inbox has seen (replayed above, handled or in the works) is not
                        // taken again.
                        if let Ok(u) = &r
                            && keep(&store, &clock, u).await == Kept::Seen
                        {
                            door.done(u.id.0);
                            return None;
                        }
                        Some(r)
                    }
                });
            replay.chain(live).boxed()
        }
        // Let in and kept by the webhook server before it answered Telegram.
        Source::Webhook(rx, _) => {
            let live = futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
                .map(Ok)
                .take_until(stopped);
            replay.chain(live).boxed()
        }
    }
}
