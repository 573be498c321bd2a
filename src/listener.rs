//! Updates from Telegram by long polling or by webhook, each kept in the inbox before Telegram
//! is told it arrived. teloxide's polling confirms a batch (the next `getUpdates` offset) while
//! its updates are still being handled; a webhook request is answered 200 only after its update
//! is kept. Kept first, an update the process took but never finished (a crash) is handled
//! after the restart instead of being lost.

use crate::clock::Clock;
use crate::store::Store;
pub use crate::webhook::Webhook;
use crate::webhook::keep;
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
    store: Store,
    clock: Clock,
    /// Turns true when the process stops: the stream ends (what was taken is still handled).
    stopping: watch::Receiver<bool>,
}

/// The updates left unhandled by the last run, then long polling, until `stopping` turns true.
/// (Ending the stream is how the dispatcher is stopped: teloxide's shutdown token can miss a
/// shutdown asked for while the dispatcher is still starting.)
pub async fn listener(
    bot: Bot,
    store: Store,
    clock: Clock,
    stopping: watch::Receiver<bool>,
    webhook: Option<Webhook>,
) -> anyhow::Result<impl UpdateListener<Err = RequestError>> {
    let mut replay = Vec::new();
    for (id, json) in store.inbox_unhandled().await? {
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
                .delete_webhook()
                .await
                .build(),
        )),
        Some(hook) => {
            let rx = crate::webhook::start(&bot, &hook, store.clone(), clock.clone(), stopping.clone()).await?;
            Source::Webhook(rx, teloxide::stop::mk_stop_token().0)
        }
    };
    let state = State {
        source,
        replay,
        store,
        clock,
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
    let replay = futures::stream::iter(std::mem::take(&mut st.replay).into_iter().map(Ok));
    let store = st.store.clone();
    let clock = st.clock.clone();
    let mut stopping = st.stopping.clone();
    let stopped = async move {
        let _ = stopping.wait_for(|s| *s).await;
    };
    match &mut st.source {
        Source::Polling(polling) => {
            let live = polling
                .as_stream()
                .take_until(stopped)
                .then(move |r: Result<Update, RequestError>| {
                    let store = store.clone();
                    let clock = clock.clone();
                    async move {
                        // Polling cannot leave one for later: handled even if not kept.
                        if let Ok(u) = &r {
                            keep(&store, &clock, u).await;
                        }
                        r
                    }
                });
            replay.chain(live).boxed()
        }
        // Kept by the webhook server before it answered Telegram.
        Source::Webhook(rx, _) => {
            let live = futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
                .map(Ok)
                .take_until(stopped);
            replay.chain(live).boxed()
        }
    }
}
