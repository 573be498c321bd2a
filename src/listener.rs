//! Updates from Telegram by long polling or by webhook, each kept in the inbox before Telegram
//! is told it arrived, and updates claimed from the inbox. Kept first, an update a process took
//! but never finished (a crash, a replica killed) is handled after its lease runs out instead
//! of being lost; one whose handling failed while the process went on (the database went away
//! for a moment) is claimed again the same way.
//!
//! By webhook every replica takes what the balancer posts it and handles it. By polling only
//! the leader polls (Telegram refuses a second poller with 409); on PostgreSQL it keeps what it
//! polls for any replica, and every replica (the leader too) claims updates from the inbox as
//! they are signalled; another replica takes over polling within seconds when the leader dies.
//! Every replica also handles what a replica that died left (its leases run out).

pub use crate::gate::Gate;
use crate::store::sql::Backend;
pub use crate::webhook::Webhook;
use crate::webhook::{Kept, keep};
use futures::StreamExt;
use std::collections::VecDeque;
use std::time::Duration;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::stop::StopToken;
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use tokio::sync::watch;

/// How often the inbox is looked at for updates nobody handles (their leases ran out; a
/// signal says when one stepped back behind an earlier one of its chat).
fn claim_every(backend: Backend) -> Duration {
    match backend {
        Backend::Sqlite => Duration::from_secs(10),
        Backend::Postgres => Duration::from_secs(2),
    }
}
/// Updates claimed at a time (small: where the leader polls, the replicas share a batch).
const CLAIM_BATCH: i64 = 8;

struct State {
    stream: Option<futures::stream::BoxStream<'static, Result<Update, RequestError>>>,
}

/// The updates left unhandled by the last run, then what Telegram brings and what the inbox
/// offers, until `stopping` turns true. (Ending the stream is how the dispatcher is stopped:
/// teloxide's shutdown token can miss a shutdown asked for while it is still starting.)
pub async fn listener(
    bot: Bot,
    gate: Gate,
    stopping: watch::Receiver<bool>,
    webhook: Option<Webhook>,
    leader: watch::Receiver<bool>,
) -> anyhow::Result<impl UpdateListener<Err = RequestError>> {
    let gate = std::sync::Arc::new(gate);
    tokio::spawn(renew(gate.clone(), stopping.clone()));
    let live = match webhook {
        None => {
            let others = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            tokio::spawn(watch_replicas(gate.store.clone(), others.clone(), stopping.clone()));
            polled(bot, gate.clone(), leader, others, stopping.clone())
        }
        Some(hook) => {
            let mut rx = crate::webhook::start(&hook, gate.clone(), stopping.clone()).await?;
            // Leading already, it is set before taking updates (a wrong URL stops the start);
            // a replica that leads later sets it as it starts leading.
            let leading_now = *leader.borrow();
            if leading_now {
                crate::webhook::set(&bot, &hook).await?;
            }
            let mut set_already = leading_now;
            tokio::spawn(crate::leader::lead(leader, stopping.clone(), move |_term| {
                let (bot, hook) = (bot.clone(), hook.clone());
                let skip = std::mem::take(&mut set_already);
                async move {
                    if !skip && let Err(e) = crate::webhook::set(&bot, &hook).await {
                        tracing::error!(error = %e, "the new leader could not set the webhook");
                    }
                }
            }));
            let mut stop = stopping.clone();
            let stopped = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
                .map(Ok)
                .take_until(stopped)
                .boxed()
        }
    };
    // Each source ends by itself when stopping, never in the middle of a database call (one
    // dropped half-way can lose SQLite's one connection).
    let stream = futures::stream::select(live, claimed(gate, stopping)).boxed();
    Ok(StatefulListener::new(
        State { stream: Some(stream) },
        |st: &mut State| st.stream.take().unwrap_or_else(|| futures::stream::empty().boxed()),
        |_: &mut State| -> StopToken { teloxide::stop::mk_stop_token().0 },
    ))
}

/// The leader's long polling, each update through the door and kept before the next
/// `getUpdates` confirms it to Telegram.
fn polled(
    bot: Bot,
    gate: std::sync::Arc<Gate>,
    leader: watch::Receiver<bool>,
    others: std::sync::Arc<std::sync::atomic::AtomicBool>,
    stopping: watch::Receiver<bool>,
) -> futures::stream::BoxStream<'static, Result<Update, RequestError>> {
    get_updates(bot, leader, stopping)
        .filter_map(move |u| {
            let (gate, others) = (gate.clone(), others.clone());
            async move {
                // The door first: a flood's excess costs the database nothing.
                if !gate.pass(&u, false) {
                    return None;
                }
                // With other replicas on the database every one handles what the leader
                // polls: each claims updates from the inbox (see `claimed`).
                let offer = others.load(std::sync::atomic::Ordering::Relaxed);
                match keep(&gate.store, &gate.clock, &u, offer).await {
                    // Offered again (the last leader kept it): not taken twice.
                    Kept::Seen => {
                        gate.door.done(u.id.0);
                        None
                    }
                    Kept::Offered => {
                        gate.door.done(u.id.0);
                        gate.store.signal_soon(crate::store::signals::Signal::Inbox);
                        None
                    }
                    // Polling cannot leave one for later: handled here even if not kept.
                    _ => Some(Ok(u)),
                }
            }
        })
        .boxed()
}

/// Every few seconds, whether other replicas share the database (see `polled`), until stopping.
async fn watch_replicas(
    store: crate::store::Store,
    others: std::sync::Arc<std::sync::atomic::AtomicBool>,
    mut stopping: watch::Receiver<bool>,
) {
    if store.backend() != Backend::Postgres {
        return;
    }
    loop {
        match store.other_replicas().await {
            Ok(o) => others.store(o, std::sync::atomic::Ordering::Relaxed),
            Err(e) => tracing::warn!(error = %e, "could not see the other replicas; tried again shortly"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
    }
}

/// Where `get_updates` is.
struct Poll {
    bot: Bot,
    leader: watch::Receiver<bool>,
    stopping: watch::Receiver<bool>,
    offset: i32,
    batch: VecDeque<Update>,
    /// This term's first `getUpdates` is done (the webhook deleted before it).
    polling: bool,
}

/// `getUpdates` while this process leads (another replica takes over within seconds when it
/// dies), until stopping.
fn get_updates(
    bot: Bot,
    leader: watch::Receiver<bool>,
    stopping: watch::Receiver<bool>,
) -> impl futures::Stream<Item = Update> + Send + 'static {
    let start = Poll {
        bot,
        leader,
        stopping,
        offset: 0,
        batch: VecDeque::new(),
        polling: false,
    };
    futures::stream::unfold(start, |mut p| async move {
        loop {
            // Stopping: what is left of the batch is not confirmed, so Telegram offers it again.
            let (stopping, leading) = (*p.stopping.borrow(), *p.leader.borrow());
            if stopping {
                return None;
            }
            if let Some(u) = p.batch.pop_front() {
                return Some((u, p));
            }
            if !leading {
                p.polling = false;
                tokio::select! {
                    _ = p.leader.wait_for(|l| *l) => {}
                    _ = p.stopping.wait_for(|s| *s) => return None,
                }
                continue;
            }
            if !p.polling {
                // A webhook a webhook-mode run left set would make `getUpdates` fail.
                if let Err(e) = p.bot.delete_webhook().await {
                    tracing::warn!(error = %e, "deleteWebhook failed; tried again shortly");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                p.polling = true;
            }
            let asked = p
                .bot
                .get_updates()
                .offset(p.offset)
                .timeout(10)
                .allowed_updates(crate::webhook::ALLOWED_UPDATES.to_vec())
                .send();
            let got = tokio::select! {
                got = asked => Some(got),
                _ = p.leader.wait_for(|l| !*l) => None,
                _ = p.stopping.wait_for(|s| *s) => return None,
            };
            match got {
                Some(Ok(updates)) => {
                    if let Some(last) = updates.last() {
                        p.offset = i32::try_from(last.id.0).map_or(i32::MAX, |id| id.saturating_add(1));
                    }
                    p.batch.extend(updates);
                }
                Some(Err(e)) => {
                    // 409: the last leader's poll is still open; it ends within its timeout.
                    tracing::warn!(error = %e, "getUpdates failed; tried again shortly");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                None => p.polling = false,
            }
        }
    })
}

/// Updates claimed from the inbox: at start on SQLite every one the last run left unhandled
/// (freed first: no other process can hold one); then, whenever signalled and every
/// `claim_every`, those nobody handles (kept by the polling leader for any replica, or whose
/// lease ran out: their process died or their handling failed).
fn claimed(
    gate: std::sync::Arc<Gate>,
    stopping: watch::Receiver<bool>,
) -> futures::stream::BoxStream<'static, Result<Update, RequestError>> {
    let start = (gate, stopping, true);
    futures::stream::unfold(start, |(gate, mut stopping, first)| async move {
        let store = gate.store.clone();
        let backend = store.backend();
        if first && backend == Backend::Sqlite {
            match store.inbox_free_all().await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "handling updates the last run took but did not finish"),
                Err(e) => tracing::warn!(error = %e, "inbox: the database did not answer; tried again shortly"),
            }
        } else if !first {
            tokio::select! {
                _ = store.signals().inbox.notified() => {}
                _ = tokio::time::sleep(claim_every(backend)) => {}
                _ = stopping.wait_for(|s| *s) => return None,
            }
        }
        let rows = match store
            .inbox_claim(gate.clock.now(), CLAIM_BATCH, &gate.door.held())
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "inbox: the database did not answer; tried again shortly");
                Vec::new()
            }
        };
        // A full batch: more may wait; looked at again at once.
        if rows.len() as i64 == CLAIM_BATCH {
            store.signals().inbox.notify_one();
        }
        let mut taken = Vec::new();
        for (id, json) in rows {
            match serde_json::from_str::<Update>(&json) {
                Ok(u) if gate.pass(&u, true) => taken.push(Ok(u)),
                Ok(_) => {}
                // Never handled anywhere (no process reads it): marked, not claimed again.
                Err(e) => {
                    tracing::warn!(update = id, error = %e, "a kept update no longer reads; dropped");
                    if let Err(e) = store.mark_update_settled(id, gate.clock.now()).await {
                        tracing::warn!(update = id, error = %e, "inbox: not marked");
                    }
                }
            }
        }
        Some((futures::stream::iter(taken), (gate, stopping, false)))
    })
    .flatten()
    .boxed()
}

/// Renews the leases of the updates in the works here, until `stopping`.
async fn renew(gate: std::sync::Arc<Gate>, mut stopping: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(crate::store::inbox::LEASE / 3) => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        if let Err(e) = gate.store.inbox_renew(&gate.door.held(), gate.clock.now()).await {
            tracing::warn!(error = %e, "inbox: leases not renewed; tried again shortly");
        }
    }
}
