//! `kabinet outage add|list|extend|close`: the back office's side of outages. Each change is
//! told at once to the consumers inside the area (queued in the outbox: the running bot sends
//! them within seconds); what it printed names the outage's number and how many were told.

use crate::config::Config;
use crate::domain::accounts::read_resource;
use crate::domain::meters::Resource;
use crate::domain::numbers;
use crate::domain::outages::{NewOutage, parse_local};
use crate::store::Store;
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// What `kabinet outage add` was given.
pub struct Published<'a> {
    pub resource: &'a str,
    pub emergency: bool,
    pub area: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub reason: &'a str,
}

fn when(config: &Config, input: &str, flag: &str) -> anyhow::Result<DateTime<Utc>> {
    parse_local(input, config.utc_offset_hours)
        .with_context(|| format!("{flag} {input:?}: write it as «07.12.2026 10:00» (the utility's time)"))
}

async fn tell(store: &Store, config: &Config, now: DateTime<Utc>) -> anyhow::Result<String> {
    let n = crate::worker::outages::run_once(store, config, now).await?;
    Ok(format!(
        "consumers told: {} queued\n",
        super::counted(n, "message", "messages")
    ))
}

pub async fn add(store: &Store, config: &Config, p: &Published<'_>, now: DateTime<Utc>) -> anyhow::Result<String> {
    let resource = Resource::from_str_opt(p.resource)
        .or_else(|| read_resource(p.resource))
        .with_context(|| {
            format!(
                "--resource {:?}: electricity, cold_water, hot_water or heat",
                p.resource
            )
        })?;
    let outage = NewOutage::new(
        resource,
        !p.emergency,
        p.area,
        when(config, p.from, "--from")?,
        when(config, p.to, "--to")?,
        p.reason,
    )
    .map_err(anyhow::Error::msg)?;
    let number = store.add_outage(&outage, now).await?;
    Ok(format!(
        "outage {number} published\n{}",
        tell(store, config, now).await?
    ))
}

/// `kabinet outage import`: the table applied (its summary), then the changes told. Fails,
/// after the summary, when a row was refused.
pub async fn import(
    store: &Store,
    config: &Config,
    bytes: &[u8],
    opts: &crate::import::Options,
    resource: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let resource = Resource::from_str_opt(resource)
        .or_else(|| read_resource(resource))
        .with_context(|| format!("--resource {resource:?}: electricity, cold_water, hot_water or heat"))?;
    let summary = crate::import::outages(store, bytes, opts, resource, config.utc_offset_hours, now).await?;
    let mut out = summary.report();
    if summary.applied.is_some() {
        out.push_str(&tell(store, config, now).await?);
    }
    if !summary.clean() {
        print!("{out}");
        anyhow::bail!("{} refused", super::counted(summary.refused.len(), "row", "rows"));
    }
    Ok(out)
}

pub async fn list(store: &Store, config: &Config, now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    for o in store.open_outages(now).await? {
        let local = |t| config.local(t).format("%d.%m.%Y %H:%M");
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{} – {}\t{}",
            o.number,
            o.resource.as_str(),
            if o.planned { "planned" } else { "emergency" },
            local(o.starts_at),
            local(o.ends_at),
            o.area
        );
    }
    if out.is_empty() {
        out.push_str("no outages open\n");
    }
    Ok(out)
}

pub async fn extend(
    store: &Store,
    config: &Config,
    number: &str,
    to: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let number = numbers::stored(number);
    let to = when(config, to, "--to")?;
    let o = store
        .outage(&number)
        .await?
        .with_context(|| format!("no outage {number}"))?;
    anyhow::ensure!(to > o.starts_at, "--to must be after the outage's start");
    anyhow::ensure!(
        store.extend_outage(&number, to).await?,
        "outage {number} is closed already"
    );
    Ok(format!("outage {number} extended\n{}", tell(store, config, now).await?))
}

pub async fn close(store: &Store, config: &Config, number: &str, now: DateTime<Utc>) -> anyhow::Result<String> {
    let number = numbers::stored(number);
    anyhow::ensure!(store.close_outage(&number, now).await?, "no open outage {number}");
    Ok(format!("outage {number} closed\n{}", tell(store, config, now).await?))
}
