//! Updates from Telegram by long polling, each kept in the inbox before Telegram is told it
//! arrived. teloxide's polling confirms a batch (the next `getUpdates` offset) while its
//! updates are still being handled; kept first, an update the process took but never finished
//! (a crash) is handled after the restart instead of being lost.

use crate::clock::Clock;
use crate::store::Store;
use futures::StreamExt;
use std::time::Duration;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::stop::StopToken;
use teloxide::update_listeners::{AsUpdateStream, Polling, StatefulListener, UpdateListener};
use tokio::sync::watch;

struct State {
    polling: Polling<Bot>,
    /// Kept but never handled before this start: handled first.
    replay: Vec<Update>,
    store: Store,
    clock: Clock,
    /// Turns true when the process stops: the stream ends (what was taken is still handled).
    stopping: watch::Receiver<bool>,
}

/// Keeps an update in the inbox; a failure is logged (the update is still handled).
async fn keep(store: &Store, clock: &Clock, update: &Update) {
    let kept = match serde_json::to_string(update) {
        Ok(json) => store
            .inbox_received(i64::from(update.id.0), &json, clock.now())
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = kept {
        tracing::error!(error = %e, update = update.id.0, "an update could not be kept in the inbox");
    }
}

/// The updates left unhandled by the last run, then long polling, until `stopping` turns true.
/// (Ending the stream is how the dispatcher is stopped: teloxide's shutdown token can miss a
/// shutdown asked for while the dispatcher is still starting.)
pub async fn listener(
    bot: Bot,
    store: Store,
    clock: Clock,
    stopping: watch::Receiver<bool>,
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
    let polling = Polling::builder(bot)
        .timeout(Duration::from_secs(10))
        .delete_webhook()
        .await
        .build();
    let state = State {
        polling,
        replay,
        store,
        clock,
        stopping,
    };
    Ok(StatefulListener::new(state, updates, |st: &mut State| -> StopToken {
        st.polling.stop_token()
    }))
}

/// The kept updates first, then what polling brings, each kept as it comes. Stopping ends
/// polling, never a keeping in progress: a database call dropped half-way can lose the pool's
/// one connection.
fn updates(st: &mut State) -> impl futures::Stream<Item = Result<Update, RequestError>> + Send + '_ {
    let replay = std::mem::take(&mut st.replay);
    let store = st.store.clone();
    let clock = st.clock.clone();
    let mut stopping = st.stopping.clone();
    let polled = st.polling.as_stream().take_until(async move {
        let _ = stopping.wait_for(|s| *s).await;
    });
    let live = polled.then(move |r: Result<Update, RequestError>| {
        let store = store.clone();
        let clock = clock.clone();
        async move {
            if let Ok(u) = &r {
                keep(&store, &clock, u).await;
            }
            r
        }
    });
    futures::stream::iter(replay.into_iter().map(Ok)).chain(live)
}
