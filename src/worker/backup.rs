//! Scheduled backups: a consistent online copy of the database (`VACUUM INTO`), gzip-compressed
//! into `BACKUP_DIR` as `kabinet-YYYYMMDD-HHMMSS.db.gz`, the newest `BACKUP_KEEP` kept.

use crate::clock::Clock;
use crate::store::Store;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::watch;

const PREFIX: &str = "kabinet-";
const SUFFIX: &str = ".db.gz";

/// The scheduled backups in `dir`, oldest first (their names sort by time).
pub fn backups_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Keeps the newest `keep`, removes the rest; returns how many went.
pub fn prune(dir: &Path, keep: usize) -> std::io::Result<usize> {
    let all = backups_in(dir);
    let extra = all.len().saturating_sub(keep.max(1));
    for p in &all[..extra] {
        std::fs::remove_file(p)?;
    }
    Ok(extra)
}

/// Takes one backup now: the copy, compressed, then written under its final name (a reader of
/// the folder never sees half a file).
pub async fn take(store: &Store, dir: &Path, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stamp = now.format("%Y%m%d-%H%M%S");
    let raw = dir.join(format!(".{PREFIX}{stamp}.db.tmp"));
    let _ = std::fs::remove_file(&raw);
    store.backup(&raw.display().to_string()).await?;
    crate::private_file::restrict(&raw)?;
    let target = dir.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    let part = dir.join(format!(".{PREFIX}{stamp}{SUFFIX}.part"));
    let (from, to) = (raw.clone(), part.clone());
    tokio::task::spawn_blocking(move || compress(&from, &to)).await??;
    std::fs::rename(&part, &target)?;
    std::fs::remove_file(&raw)?;
    Ok(target)
}

fn compress(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut input = std::fs::File::open(from)?;
    let out = crate::private_file::create(to)?;
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
    std::io::copy(&mut input, &mut gz)?;
    gz.finish()?.sync_all()
}

/// A backup's database bytes: gunzipped when it is a `.gz`, as it is otherwise.
pub fn unpack(file: &Path, to: &Path) -> std::io::Result<()> {
    let mut input = std::fs::File::open(file)?;
    let mut head = [0u8; 2];
    let n = input.read(&mut head)?;
    let input = std::fs::File::open(file)?;
    let mut out = crate::private_file::create(to)?;
    if n == 2 && head == [0x1f, 0x8b] {
        std::io::copy(&mut flate2::read::GzDecoder::new(input), &mut out)?;
    } else {
        std::io::copy(&mut { input }, &mut out)?;
    }
    out.flush()?;
    out.sync_all()
}

/// Every `every`, a backup and the pruning; the first at start when the newest backup is older
/// than `every` (or there is none). Failures are logged and tried again at the next turn.
pub async fn run(
    store: Store,
    clock: Clock,
    dir: PathBuf,
    every: Duration,
    keep: usize,
    mut stop: watch::Receiver<bool>,
) {
    let due_in = |dir: &Path| {
        let newest = backups_in(dir).last().and_then(|p| p.metadata().ok()?.modified().ok());
        match newest.and_then(|t| t.elapsed().ok()) {
            Some(age) if age < every => every - age,
            _ => Duration::ZERO,
        }
    };
    let mut wait = due_in(&dir);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        match take(&store, &dir, clock.now()).await {
            Ok(file) => {
                let removed = prune(&dir, keep).unwrap_or(0);
                tracing::info!(file = %file.display(), removed, "backup taken");
            }
            Err(e) => tracing::error!(error = %e, dir = %dir.display(), "backup failed"),
        }
        wait = every;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_are_kept_and_other_files_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["20261101", "20261102", "20261103", "20261104"] {
            std::fs::write(dir.path().join(format!("kabinet-{d}-000000.db.gz")), b"x").unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        assert_eq!(prune(dir.path(), 2).unwrap(), 2);
        let left: Vec<String> = backups_in(dir.path())
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["kabinet-20261103-000000.db.gz", "kabinet-20261104-000000.db.gz"]);
        assert!(dir.path().join("notes.txt").exists());
    }
}
