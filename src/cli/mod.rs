//! The back-office commands of the binary: operators, the readings export, the backup, an
//! consumer's check and the release of a disputed login.

pub mod outages;

use crate::domain::meters::Period;
use crate::domain::quantity::Quantity;
use crate::store::Store;
use anyhow::Context;
use futures::TryStreamExt;
use std::io::Write;

/// The accepted readings of a billing period as UTF-8 CSV with a header, one row per meter
/// and zone, values with a decimal point (for billing systems).
pub async fn export_readings(store: &Store, period: &str, out: impl Write) -> anyhow::Result<usize> {
    let period = Period::parse_key(period).context("--period must be a month as YYYY-MM, e.g. 2026-11")?;
    let mut rows = store.export_readings(period.key());
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(out));
    w.write_record([
        "login",
        "name",
        "meter_serial",
        "resource",
        "zone",
        "value",
        "submitted_at",
        "meter_status",
        "outlier",
        "account",
    ])?;
    let mut n = 0;
    while let Some(r) = rows.try_next().await? {
        n += 1;
        // Confirmed by the consumer though implausible: for the billing's second look.
        let outlier = if r.outlier { "outlier" } else { "" };
        w.write_record([
            &cell(r.login.as_deref().unwrap_or_default()),
            &cell(r.name.as_deref().unwrap_or_default()),
            &cell(&r.serial),
            r.resource.as_str(),
            &r.zone.to_string(),
            &Quantity(r.value_milli).display().replace(',', "."),
            &r.submitted_at.to_rfc3339(),
            // «на проверке»: the operators have not accepted the meter yet.
            r.review.as_str(),
            outlier,
            // The personal account the meter is of (billing's registry), when it is.
            &cell(r.account.as_deref().unwrap_or_default()),
        ])?;
    }
    w.flush()?;
    Ok(n)
}

/// `kabinet account show <login>`: what the back office needs to check a dispute.
pub async fn consumer_show(store: &Store, login: &str, mut out: impl Write) -> anyhow::Result<()> {
    let login =
        crate::domain::Login::parse_any(login).map_err(|_| anyhow::anyhow!("not a СНИЛС, ОГРНИП or ОГРН: {login}"))?;
    let consumers = store.consumers_by_login(login.as_str()).await?;
    if consumers.is_empty() {
        writeln!(out, "no consumer has the login {}", login.as_str())?;
    }
    for a in &consumers {
        let chats = store.chats_of(a.id).await?.len();
        use crate::store::{connection::CONNECTION, meters::METERS, tickets};
        let counts = store
            .menu_counts(
                a.id,
                &[
                    METERS,
                    tickets::APPEALS,
                    tickets::REQUESTS,
                    tickets::DOCUMENTS,
                    CONNECTION,
                ],
            )
            .await?;
        let [meters, appeals, requests, documents, connection] = counts[..] else {
            unreachable!("one count each")
        };
        writeln!(out, "consumer {} · {} · {}", a.id, a.kind, a.status)?;
        writeln!(out, "  login: {}", a.login())?;
        writeln!(out, "  name: {}", a.name.as_deref().unwrap_or("—"))?;
        writeln!(out, "  e-mail: {}", a.email())?;
        writeln!(out, "  phone: {}", a.phone.as_deref().unwrap_or("—"))?;
        writeln!(out, "  registered: {}", a.created_at.format("%Y-%m-%d %H:%M UTC"))?;
        if let Some(at) = a.confirmed_at {
            writeln!(out, "  confirmed: {}", at.format("%Y-%m-%d %H:%M UTC"))?;
        }
        writeln!(out, "  signed in from chats: {chats}")?;
        writeln!(
            out,
            "  meters: {}, appeals and complaints: {}, requests: {}, documents: {}, connection applications: {}",
            meters, appeals, requests, documents, connection
        )?;
    }
    for d in store.disputes_about(login.as_str()).await? {
        writeln!(
            out,
            "dispute {} · {} · {} <{}> {} · {}",
            d.id,
            d.created_at.format("%Y-%m-%d"),
            d.name,
            d.email,
            d.phone.as_deref().unwrap_or(""),
            d.comment.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}

/// `kabinet account release <login> --reason "…"`: the consumer that holds the login loses it
/// (and its identity, as on deletion); its chats are signed out and told; the release is
/// audited.
pub async fn consumer_release(
    store: &Store,
    config: &crate::config::Config,
    login: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let login =
        crate::domain::Login::parse_any(login).map_err(|_| anyhow::anyhow!("not a СНИЛС, ОГРНИП or ОГРН: {login}"))?;
    anyhow::ensure!(!reason.trim().is_empty(), "--reason must say why the login is released");
    let notices = |chats: &[(i64, Option<String>)]| {
        chats
            .iter()
            .map(|(chat, locale)| {
                let loc = crate::i18n::pick_locale(locale.as_deref(), None, &config.default_locale);
                crate::store::outbox::OutboxMessage::Telegram {
                    chat_id: *chat,
                    text: crate::i18n::t(loc, "auth.released"),
                    button: None,
                    keyboard: Vec::new(),
                    reply_to: None,
                    markup: None,
                    paid: false,
                }
            })
            .collect()
    };
    let released = store
        .release_login(login.as_str(), reason.trim(), notices, chrono::Utc::now())
        .await?;
    anyhow::ensure!(released, "no confirmed consumer holds the login {}", login.as_str());
    Ok(())
}

/// «1 message», «4 messages»: a count in the commands' English output.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A text cell a spreadsheet will not run as a formula: one that starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading apostrophe (as OWASP advises for CSV). An
/// organisation may legally be named «+HYPERLINK(…)».
pub fn cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// `kabinet migrate-db --to postgres://…`: the SQLite database (DATABASE_URL, the bot stopped)
/// copied into an empty PostgreSQL database; each table checked by its count and checksum.
pub async fn migrate_db(config: &crate::config::Config, to: &str) -> anyhow::Result<Vec<crate::store::moving::Moved>> {
    use crate::store::is_postgres;
    let from = &config.database_url;
    anyhow::ensure!(
        !is_postgres(from),
        "DATABASE_URL is PostgreSQL already: migrate-db moves an SQLite database into PostgreSQL"
    );
    anyhow::ensure!(is_postgres(to), "--to must be a postgres:// URL");
    let _lock = crate::store::health::lock_database(from)
        .map_err(|e| anyhow::anyhow!("{e}: stop the bot first (e.g. systemctl stop kabinet), then move"))?;
    let source = Store::connect_existing(from)
        .await
        .with_context(|| format!("the SQLite database {from}"))?;
    let target = Store::connect_existing(to).await.with_context(|| {
        format!(
            "the PostgreSQL database {} (create it first, e.g. createdb -O kabinet kabinet)",
            crate::store::shown_url(to)
        )
    })?;
    let moved = crate::store::moving::sqlite_into_postgres(&source, &target).await?;
    source.pool.close().await;
    target.pool.close().await;
    Ok(moved)
}

/// What `kabinet backup` and `restore` say on PostgreSQL.
pub const POSTGRES_BACKUPS: &str = "on PostgreSQL, backups are the database's own job: pg_dump/pg_restore for \
     a copy, WAL archiving for point-in-time recovery (README, «Production»); kabinet backup and restore \
     are for an SQLite file";

/// `kabinet restore <file>`: the database replaced by a backup (`kabinet backup`'s copy or a
/// scheduled `.db.gz`), only while no bot runs on it; the database it replaces is kept beside it.
pub async fn restore(
    config: &crate::config::Config,
    file: &std::path::Path,
) -> anyhow::Result<Option<std::path::PathBuf>> {
    use crate::store::health::{lock_database, lock_path};
    let url = &config.database_url;
    anyhow::ensure!(!crate::store::is_postgres(url), "{POSTGRES_BACKUPS}");
    anyhow::ensure!(file.exists(), "{} does not exist", file.display());
    let _lock = lock_database(url)
        .map_err(|e| anyhow::anyhow!("{e}: stop the bot first (e.g. systemctl stop kabinet), then restore"))?;
    let db = lock_path(url)
        .and_then(|l| {
            l.to_str()
                .map(|s| std::path::PathBuf::from(s.trim_end_matches(".lock")))
        })
        .context("DATABASE_URL is not a database file")?;
    let mut staged = db.clone().into_os_string();
    staged.push(".restoring");
    let staged = std::path::PathBuf::from(staged);
    let (from, to) = (file.to_owned(), staged.clone());
    tokio::task::spawn_blocking(move || crate::worker::backup::unpack(&from, &to)).await??;
    // The copy must be a whole, readable database of a version this binary knows.
    {
        let copy = Store::connect_existing(&format!("sqlite://{}", staged.display())).await?;
        anyhow::ensure!(
            copy.intact().await.unwrap_or(false),
            "{} is not an intact SQLite database",
            file.display()
        );
        let m = copy.migration_state().await?;
        anyhow::ensure!(
            m.unknown == 0,
            "the backup was made by a newer version of kabinet: restore it with that version"
        );
        copy.pool.close().await;
    }
    // The restored file keeps the owner and mode of the one it replaces (run as root, it must
    // stay the bot's); with none before, it is the owner's alone.
    let previous = std::fs::metadata(&db).ok();
    let mut kept = None;
    if db.exists() {
        let current = Store::connect_existing(url).await?;
        current.checkpoint().await?;
        current.pool.close().await;
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        let mut name = db.clone().into_os_string();
        name.push(format!(".before-restore-{stamp}"));
        let before = std::path::PathBuf::from(name);
        std::fs::rename(&db, &before)?;
        kept = Some(before);
    }
    for ext in ["-wal", "-shm"] {
        let mut side = db.clone().into_os_string();
        side.push(ext);
        let _ = std::fs::remove_file(std::path::PathBuf::from(side));
    }
    std::fs::rename(&staged, &db)?;
    #[cfg(unix)]
    if let Some(m) = previous {
        use std::os::unix::fs::MetadataExt;
        std::os::unix::fs::chown(&db, Some(m.uid()), Some(m.gid()))?;
        std::fs::set_permissions(&db, m.permissions())?;
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formula_cells_are_neutralised() {
        for f in ["=1+1", "+HYPERLINK(\"http://x\")", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(cell(f), format!("'{f}"));
        }
        assert_eq!(cell("ООО «Ромашка»"), "ООО «Ромашка»");
        assert_eq!(cell("11223344595"), "11223344595");
    }
}
