//! Updates from Telegram by long polling or by webhook, each kept in the inbox before Telegram
//! is told it arrived. teloxide's polling confirms a batch (the next `getUpdates` offset) while
//! its updates are still being handled; a webhook request is answered 200 only after its update
//! is kept. Kept first, an update the process took but never finished (a crash) is handled
//! after the restart instead of being lost. One whose handling failed while the process went on
//! (the database went away for a moment: a failover, a restart of the server) is taken again
//! from the inbox by the sweep a little later.

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

/// How often the inbox is looked at for updates whose handling failed.
const SWEEP_EVERY: Duration = Duration::from_secs(10);
/// An update kept this long ago and neither handled nor in the works has failed.
const STALE_AFTER: Duration = Duration::from_secs(30);
/// Times the sweep offers one update again before leaving it to the next start (a handler
/// that fails on it every time must not be run every ten seconds forever).
const SWEEP_TRIES: u8 = 3;

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
    let mut stopping = st.stopping.clone();
    let sweep_stopped = async move {
        let _ = stopping.wait_for(|s| *s).await;
    };
    let swept = sweep(gate.clone()).take_until(sweep_stopped);
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
            replay.chain(futures::stream::select(live, swept)).boxed()
        }
        // Let in and kept by the webhook server before it answered Telegram.
        Source::Webhook(rx, _) => {
            let live = futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
                .map(Ok)
                .take_until(stopped);
            replay.chain(futures::stream::select(live, swept)).boxed()
        }
    }
}

/// Every `SWEEP_EVERY`, the kept updates older than `STALE_AFTER` that are neither handled nor
/// let in by the door (queued or in the works): their handling failed. Each is offered again,
/// `SWEEP_TRIES` times at most.
fn sweep(gate: std::sync::Arc<Gate>) -> futures::stream::BoxStream<'static, Result<Update, RequestError>> {
    let tries: std::collections::HashMap<i64, u8> = Default::default();
    futures::stream::unfold((gate, tries), |(gate, mut tries)| async move {
        tokio::time::sleep(SWEEP_EVERY).await;
        let before = gate.clock.now() - chrono::Duration::from_std(STALE_AFTER).unwrap_or_default();
        let stale = match gate.store.inbox_stale(before).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "inbox sweep: the database did not answer; tried again shortly");
                Vec::new()
            }
        };
        tries.retain(|id, _| stale.iter().any(|(s, _)| s == id));
        let mut again = Vec::new();
        for (id, json) in stale {
            let Ok(n) = u32::try_from(id) else { continue };
            // Neither in the works here nor finished since it was read: the door lets an
            // update go only after its handling ended, so this second look sees its commit.
            if gate.door.holds(n) || gate.store.update_processed(id).await.unwrap_or(true) {
                continue;
            }
            let tried = tries.entry(id).or_insert(0);
            if *tried >= SWEEP_TRIES {
                continue;
            }
            *tried += 1;
            match serde_json::from_str::<Update>(&json) {
                Ok(u) if gate.pass(&u, true) => {
                    tracing::warn!(update = id, "an update whose handling failed is handled again");
                    again.push(Ok(u));
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(update = id, error = %e, "a kept update no longer reads; skipped"),
            }
        }
        Some((futures::stream::iter(again), (gate, tries)))
    })
    .flatten()
    .boxed()
}
