//! The back-office commands of the binary: operators, the readings export, the backup.

use crate::domain::meters::Period;
use crate::domain::quantity::Quantity;
use crate::store::Store;
use anyhow::Context;
use std::io::Write;

/// The accepted readings of a billing period as UTF-8 CSV with a header, one row per meter
/// and zone, values with a decimal point (for billing systems).
pub async fn export_readings(store: &Store, period: &str, out: impl Write) -> anyhow::Result<usize> {
    let period = Period::parse_key(period).context("--period must be a month as YYYY-MM, e.g. 2026-11")?;
    let rows = store.export_readings(&period.key()).await?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "login",
        "name",
        "meter_serial",
        "resource",
        "zone",
        "value",
        "submitted_at",
    ])?;
    for r in &rows {
        w.write_record([
            r.login.as_deref().unwrap_or_default(),
            r.name.as_deref().unwrap_or_default(),
            &r.serial,
            &r.resource,
            &r.zone.to_string(),
            &Quantity(r.value_milli).display().replace(',', "."),
            &r.submitted_at.to_rfc3339(),
        ])?;
    }
    w.flush()?;
    Ok(rows.len())
}
