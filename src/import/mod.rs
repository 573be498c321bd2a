//! Files the utility's billing exports, imported by back-office commands: the registry of
//! personal accounts (`kabinet import accounts`). An import reads the whole file first; it is
//! applied in one transaction, fully or not at all (with `--allow-partial`, the good rows
//! only); the same file twice changes nothing; the summary says what was added, updated,
//! unchanged and withdrawn, and every refused row with its line and the reason.

pub mod accounts;
pub mod charges;
pub mod outages;
pub mod payments;
pub mod table;

use crate::domain::accounts::AccountNumber;
use crate::domain::meters::Period;
use crate::store::Store;
use crate::store::accounts::Counts;
use std::fmt::Write as _;

/// How to read and apply a file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The file's encoding, when not detected.
    pub encoding: Option<table::Encoding>,
    /// A mapping file's text: more names for the columns.
    pub mapping: Option<String>,
    /// Apply the good rows even if some were refused.
    pub allow_partial: bool,
}

/// What an import did.
#[derive(Debug)]
pub struct Summary {
    pub encoding: table::Encoding,
    pub rows: usize,
    pub refused: Vec<accounts::Refused>,
    /// What changed in each table («accounts», «meters», «bills»); none: nothing was applied
    /// (rows were refused and partial imports were not allowed).
    pub applied: Option<Vec<(&'static str, Counts)>>,
}

impl Summary {
    /// Whether the command should exit with success: nothing refused.
    pub fn clean(&self) -> bool {
        self.refused.is_empty() && self.applied.is_some()
    }

    /// The summary as the command prints it.
    pub fn report(&self) -> String {
        let mut out = format!("read {} rows ({})\n", self.rows, self.encoding.name());
        match &self.applied {
            Some(tables) => {
                for (name, counts) in tables {
                    let _ = writeln!(out, "{name}: {counts}");
                }
            }
            None => out.push_str("nothing applied: fix the refused rows or run with --allow-partial\n"),
        }
        if !self.refused.is_empty() {
            let _ = writeln!(out, "refused {} rows:", self.refused.len());
            for r in &self.refused {
                let _ = writeln!(out, "  line {}: {}", r.line, r.reason);
            }
        }
        out
    }
}

/// The file's rows and its encoding: decoded, its headers mapped through `mapping` and the
/// options' mapping file, the `required` columns there.
fn read_rows(
    bytes: &[u8],
    opts: &Options,
    mut mapping: table::Mapping,
    columns: &[&str],
    required: &[&str],
) -> anyhow::Result<(Vec<table::Row>, table::Encoding)> {
    let (text, encoding) = table::decode(bytes, opts.encoding).map_err(anyhow::Error::msg)?;
    if let Some(m) = &opts.mapping {
        mapping.extend(m, columns).map_err(anyhow::Error::msg)?;
    }
    let rows = table::rows(&text, &mapping, required).map_err(anyhow::Error::msg)?;
    Ok((rows, encoding))
}

/// The items whose account the registry has, each with the account's id; the others refused
/// with their line (`of` gives an item's account and line). Refusals end in the file's order.
async fn in_registry<'a, T>(
    store: &Store,
    items: &'a [T],
    of: impl Fn(&T) -> (&AccountNumber, u64),
    refused: &mut Vec<accounts::Refused>,
) -> anyhow::Result<Vec<(i64, &'a T)>> {
    let ids = store.account_ids().await?;
    let mut known = Vec::new();
    for item in items {
        let (number, line) = of(item);
        match ids.get(number.as_str()) {
            Some(id) => known.push((*id, item)),
            None => refused.push(accounts::Refused {
                line,
                reason: format!(
                    "account {} is not in the registry: import accounts first",
                    number.as_str()
                ),
            }),
        }
    }
    refused.sort_by_key(|r| r.line);
    Ok(known)
}

/// Every import's end: `apply` run when nothing was refused or partial imports are allowed
/// (never started otherwise), and the summary.
async fn finish(
    encoding: table::Encoding,
    rows: usize,
    refused: Vec<accounts::Refused>,
    opts: &Options,
    apply: impl std::future::Future<Output = anyhow::Result<Vec<(&'static str, Counts)>>>,
) -> anyhow::Result<Summary> {
    let applied = if refused.is_empty() || opts.allow_partial {
        Some(apply.await?)
    } else {
        None
    };
    Ok(Summary {
        encoding,
        rows,
        refused,
        applied,
    })
}

/// `kabinet import accounts`: the registry in `bytes`, applied to the store.
pub async fn accounts(
    store: &Store,
    bytes: &[u8],
    opts: &Options,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Summary> {
    let (rows, encoding) = read_rows(
        bytes,
        opts,
        accounts::mapping(),
        &accounts::COLUMNS,
        &accounts::REQUIRED,
    )?;
    let mut reg = accounts::read(&rows);
    let refused = std::mem::take(&mut reg.refused);
    let apply = async {
        let a = store.apply_registry(&reg.accounts, &reg.spared, now).await?;
        Ok(vec![("accounts", a.accounts), ("meters", a.meters)])
    };
    finish(encoding, rows.len(), refused, opts, apply).await
}

/// `kabinet import charges --period`: the period's bills in `bytes`; an account the registry
/// does not have is refused.
pub async fn charges(
    store: &Store,
    period: Period,
    bytes: &[u8],
    opts: &Options,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Summary> {
    let (rows, encoding) = read_rows(bytes, opts, charges::mapping(), &charges::COLUMNS, &charges::REQUIRED)?;
    let mut read = charges::read(&rows);
    let known = in_registry(store, &read.bills, |b| (&b.number, b.line), &mut read.refused).await?;
    let apply = async { Ok(vec![("bills", store.apply_bills(period, &known, now).await?)]) };
    finish(encoding, rows.len(), read.refused, opts, apply).await
}

/// `kabinet import payments`: payments between bills; an account the registry does not have is
/// refused.
pub async fn payments(
    store: &Store,
    bytes: &[u8],
    opts: &Options,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Summary> {
    let (rows, encoding) = read_rows(
        bytes,
        opts,
        payments::mapping(),
        &payments::COLUMNS,
        &payments::REQUIRED,
    )?;
    let (read, mut refused) = payments::read(&rows);
    let known = in_registry(store, &read, |p| (&p.number, p.line), &mut refused).await?;
    let apply = async { Ok(vec![("payments", store.apply_payments(&known, now).await?)]) };
    finish(encoding, rows.len(), refused, opts, apply).await
}

/// `kabinet outage import`: the outages of `bytes` published; one already there (the same
/// resource, area and start) extended when its end changed, else left; all or nothing.
pub async fn outages(
    store: &Store,
    bytes: &[u8],
    opts: &Options,
    resource: crate::domain::meters::Resource,
    utc_offset_hours: i32,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Summary> {
    let (rows, encoding) = read_rows(bytes, opts, outages::mapping(), &outages::COLUMNS, &outages::REQUIRED)?;
    let (read, refused) = outages::read(&rows, resource, utc_offset_hours);
    let list: Vec<_> = read.into_iter().map(|(_, o)| o).collect();
    let apply = async { Ok(vec![("outages", store.apply_outages(&list, now).await?)]) };
    finish(encoding, rows.len(), refused, opts, apply).await
}
