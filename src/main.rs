use clap::{Parser, Subcommand};
use kabinet::config::Config;
use std::process::ExitCode;

/// Kabinet: the personal area of a utility's consumers, as a Telegram bot.
///
/// Every setting is an environment variable (also read from a .env file in the working
/// folder) or the matching flag.
#[derive(Parser)]
#[command(name = "kabinet", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

/// `kabinet sandbox`, in a build with the `sandbox` feature.
#[cfg(feature = "sandbox")]
async fn sandbox(config: Config, port: u16, database_url: String, fresh: bool) -> anyhow::Result<()> {
    let options = kabinet::sandbox::Options {
        port,
        database_url,
        fresh,
    };
    let sandbox = kabinet::sandbox::Sandbox::start(config, options).await?;
    println!(
        "Kabinet sandbox is running: open {} in a browser (Ctrl-C stops it)",
        sandbox.url()
    );
    kabinet::shutdown_signal().await;
    sandbox.stop().await
}

/// A production build carries no test double: it says how to get one that does.
#[cfg(not(feature = "sandbox"))]
async fn sandbox(_: Config, _: u16, _: String, _: bool) -> anyhow::Result<()> {
    anyhow::bail!(
        "this build has no sandbox; build it with the feature: cargo run --release --features sandbox -- sandbox"
    )
}

#[derive(Subcommand)]
enum Command {
    /// Start the bot with long polling (the default). Applies migrations first.
    Run,
    /// Try the bot without Telegram: a local page with a consumer's chat, the operators' group
    /// and the mailbox, served by one process (no token, no network). Its data goes to its own
    /// database, never to DATABASE_URL.
    Sandbox {
        /// The page's port on 127.0.0.1.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The sandbox's database.
        #[arg(long, env = "SANDBOX_DATABASE_URL", default_value = "sqlite://data/sandbox.db")]
        sandbox_database_url: String,
        /// Start from an empty sandbox database.
        #[arg(long)]
        fresh: bool,
    },
    /// Verify the configuration without starting: the token (getMe), the database (opens,
    /// migrations, writable), e-mail (SMTP connects and greets; no letter unless asked), the
    /// operators' group (the bot is in it and may post). Exit code 1 on any ✗.
    Check {
        /// Also send a test letter to this address.
        #[arg(long, value_name = "ADDRESS")]
        send_test_mail: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Move house: copy this SQLite database (DATABASE_URL; stop the bot first) into an empty
    /// PostgreSQL database, checking every table's row count and checksum.
    MigrateDb {
        /// The PostgreSQL database, e.g. postgres://kabinet:password@db.example.ru/kabinet.
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// The utility's operators: who may answer in the operators' group.
    Operator {
        #[command(subcommand)]
        action: OperatorCmd,
    },
    /// Files from the billing system: the registry of personal accounts.
    Import {
        #[command(subcommand)]
        what: ImportCmd,
    },
    /// Receipts: the payment QR code of an imported bill, to check it scans (a PNG).
    Receipt {
        #[command(subcommand)]
        what: ReceiptCmd,
    },
    /// Outages: published, listed, extended, closed; consumers inside the area are told of
    /// each change (the running bot sends the messages).
    Outage {
        #[command(subcommand)]
        action: OutageCmd,
    },
    /// Data for the billing system.
    Export {
        #[command(subcommand)]
        what: ExportCmd,
    },
    /// Consumers, for the back office: check who holds a login, release a disputed one.
    #[command(name = "account")]
    Consumer {
        #[command(subcommand)]
        action: ConsumerCmd,
    },
    /// The queue of what the bot still has to send (pushes, letters, the desk's cards).
    Outbox {
        #[command(subcommand)]
        action: OutboxCmd,
    },
    /// A consistent copy of the database (VACUUM INTO), safe while the bot runs.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: std::path::PathBuf,
    },
    /// Replace the database by a backup (a `kabinet backup` copy or a scheduled .db.gz).
    /// Refuses while the bot runs on it; the replaced database is kept beside it.
    Restore { file: std::path::PathBuf },
}

#[derive(Subcommand)]
enum OperatorCmd {
    /// Make a Telegram user an operator (their numeric id, e.g. from @userinfobot).
    Add {
        telegram_user_id: i64,
        #[arg(long)]
        name: Option<String>,
    },
    /// List the operators.
    List,
    /// Take the operator role away.
    Remove { telegram_user_id: i64 },
}

#[derive(Subcommand)]
enum ConsumerCmd {
    /// Who holds a login (СНИЛС, ОГРНИП or ОГРН), with the disputes about it.
    Show { login: String },
    /// Free a login that someone else's consumer holds (after a dispute was checked): that
    /// consumer loses its identity as on deletion, its chats are signed out and told.
    Release {
        login: String,
        /// Why (kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum OutboxCmd {
    /// Put the rows that were given up on (failed) back in the queue, from their first
    /// attempt: after the cause is mended (the bot let back into the group, a chat unblocked).
    /// A running bot sends them within seconds.
    Requeue {
        /// Only this channel: telegram (pushes), operator (the desk's cards and events), email.
        #[arg(long, value_parser = ["telegram", "operator", "email"])]
        channel: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportCmd {
    /// The registry of personal accounts and their meters (CSV, one row per meter): added,
    /// updated, and those gone from it withdrawn; all or nothing. Exit code 1 when a row was
    /// refused (then nothing is applied unless --allow-partial).
    Accounts {
        #[command(flatten)]
        file: ImportFile,
    },
    /// A billing period's bills (CSV, one row per account and service), each checked to the
    /// kopeck; a bill already there for the period is replaced if it changed. Exit code 1
    /// when a row was refused (then nothing is applied unless --allow-partial).
    Charges {
        /// The month, as YYYY-MM.
        #[arg(long)]
        period: String,
        #[command(flatten)]
        file: ImportFile,
    },
    /// Payments that reached the utility between bills (CSV, one row each); the same payment
    /// twice is one. Exit code 1 when a row was refused.
    Payments {
        #[command(flatten)]
        file: ImportFile,
    },
}

/// The file every `kabinet import` reads, and how.
#[derive(clap::Args)]
struct ImportFile {
    file: std::path::PathBuf,
    /// utf-8 or windows-1251 (detected when not given).
    #[arg(long, value_parser = kabinet::import::table::Encoding::parse)]
    encoding: Option<kabinet::import::table::Encoding>,
    /// A file of «name in the file = column» lines for headers the importer does not know.
    #[arg(long, value_name = "FILE")]
    mapping: Option<std::path::PathBuf>,
    /// Apply the good rows even when some are refused.
    #[arg(long)]
    allow_partial: bool,
}

#[derive(Subcommand)]
enum ReceiptCmd {
    /// The ГОСТ Р 56042-2014 payment QR code of an account's bill: written as a PNG, its text
    /// printed.
    Qr {
        /// The personal account's number.
        #[arg(long)]
        account: String,
        /// The month, as YYYY-MM.
        #[arg(long)]
        period: String,
        /// The PNG to write.
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum OutageCmd {
    /// Publishes an outage and tells the consumers inside its area.
    Add {
        /// electricity, cold_water, hot_water, heat (or «ХВС», «Электроэнергия»…).
        #[arg(long)]
        resource: String,
        /// An emergency outage (default: planned).
        #[arg(long)]
        emergency: bool,
        /// «г. Город», «г. Город, ул. Ленина» or «г. Город, ул. Ленина: 1-15 нечёт, 20, 22а».
        #[arg(long)]
        area: String,
        /// The start, «07.12.2026 10:00» in the utility's time (UTC_OFFSET_HOURS).
        #[arg(long)]
        from: String,
        /// The (expected) end, the same way.
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// A table of outages (CSV, one street a row: settlement, street, houses, start, end,
    /// reason, optionally resource and kind), published or extended; all or nothing.
    Import {
        #[command(flatten)]
        file: ImportFile,
        /// The resource of rows that name none.
        #[arg(long, default_value = "electricity")]
        resource: String,
    },
    /// The outages not closed and not over.
    List,
    /// A new expected end; the consumers are told.
    Extend {
        number: String,
        #[arg(long)]
        to: String,
    },
    /// The supply is back; the consumers are told.
    Close { number: String },
}

#[derive(Subcommand)]
enum ExportCmd {
    /// The readings of a billing period, one row per meter and zone.
    Readings {
        /// The month, as YYYY-MM.
        #[arg(long)]
        period: String,
        /// The file to write (default: standard output).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Only csv is supported.
        #[arg(long, default_value = "csv")]
        format: String,
    },
}

fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    init_logs(&cli.config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kabinet: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error: standard output carries exports.
fn init_logs(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    if config.log_format == "json" {
        // The update's span (its id, the chat) on every line, flattened for collectors.
        logs.json().with_current_span(true).with_span_list(false).init();
    } else {
        logs.init();
    }
}

/// Each subcommand to its function.
async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => {
            // Payment details that do not agree are refused at start, each naming its setting.
            let problems = config.payment_problems();
            anyhow::ensure!(problems.is_empty(), "{}", problems.join("\n"));
            let app = kabinet::Application::build(config, Default::default()).await?;
            app.run(kabinet::shutdown_signal()).await
        }
        Command::Sandbox {
            port,
            sandbox_database_url,
            fresh,
        } => {
            anyhow::ensure!(
                sandbox_database_url != config.database_url,
                "SANDBOX_DATABASE_URL must not be the bot's DATABASE_URL: the sandbox keeps its own data"
            );
            sandbox(config, port, sandbox_database_url, fresh).await
        }
        Command::Operator { action } => operator(&config, action).await,
        Command::Export {
            what: ExportCmd::Readings { period, out, format },
        } => export_readings(&config, &period, out, &format).await,
        Command::Import { what } => import(&config, what).await,
        Command::Outage { action } => outage(&config, action).await,
        Command::Receipt {
            what: ReceiptCmd::Qr { account, period, out },
        } => receipt_qr(&config, &account, &period, &out).await,
        Command::Consumer { action } => consumer(&config, action).await,
        Command::Outbox {
            action: OutboxCmd::Requeue { channel },
        } => {
            let store = kabinet::store::Store::open(&config.database_url).await?;
            let n = store.outbox_requeue(channel.as_deref(), chrono::Utc::now()).await?;
            println!("{n} rows back in the queue");
            Ok(())
        }
        Command::Backup { file } => backup(&config, &file).await,
        Command::Check { send_test_mail } => {
            let ok = kabinet::check::run(&config, send_test_mail.as_deref(), std::io::stdout().lock()).await?;
            anyhow::ensure!(ok, "some checks failed (✗ above)");
            Ok(())
        }
        Command::Restore { file } => restore(&config, &file).await,
        Command::MigrateDb { to } => migrate_db(&config, &to).await,
        Command::Migrate => {
            let store = kabinet::store::Store::connect(&config.database_url).await?;
            store.migrate().await?;
            tracing::info!(database = %kabinet::store::shown_url(&config.database_url), "migrations applied");
            Ok(())
        }
    }
}

async fn operator(config: &Config, action: OperatorCmd) -> anyhow::Result<()> {
    let store = kabinet::store::Store::open(&config.database_url).await?;
    match action {
        OperatorCmd::Add { telegram_user_id, name } => {
            store
                .add_operator(telegram_user_id, name.as_deref(), chrono::Utc::now())
                .await?;
            println!("operator {telegram_user_id} added");
        }
        OperatorCmd::List => {
            for o in store.operators().await? {
                println!(
                    "{}\t{}\t{}",
                    o.telegram_id,
                    o.name.unwrap_or_default(),
                    o.added_at.format("%Y-%m-%d")
                );
            }
        }
        OperatorCmd::Remove { telegram_user_id } => {
            anyhow::ensure!(
                store.remove_operator(telegram_user_id).await?,
                "{telegram_user_id} is not an operator"
            );
            println!("operator {telegram_user_id} removed");
        }
    }
    Ok(())
}

async fn receipt_qr(config: &Config, account: &str, period: &str, out: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let period = kabinet::domain::meters::Period::parse_key(period)
        .context("--period must be a month as YYYY-MM, e.g. 2026-11")?;
    let number = kabinet::domain::accounts::AccountNumber::parse(account).context("not an account number")?;
    let store = kabinet::store::Store::open(&config.database_url).await?;
    let due = store.bill_due(number.as_str(), period).await?.with_context(|| {
        format!(
            "no bill of account {} for {}: import charges first",
            number.as_str(),
            period.key()
        )
    })?;
    let text = kabinet::receipt::payment_text(config, number.as_str(), period, due).map_err(anyhow::Error::msg)?;
    let png = kabinet::receipt::qr_png(&text, 6).map_err(anyhow::Error::msg)?;
    std::fs::write(out, png).with_context(|| format!("writing {}", out.display()))?;
    println!("{text}");
    Ok(())
}

/// `kabinet outage …`: the change made, then the consumers it concerns told.
async fn outage(config: &Config, action: OutageCmd) -> anyhow::Result<()> {
    use kabinet::cli::outages as o;
    let store = kabinet::store::Store::open(&config.database_url).await?;
    let now = chrono::Utc::now();
    let said = match action {
        OutageCmd::Add {
            resource,
            emergency,
            area,
            from,
            to,
            reason,
        } => {
            o::add(
                &store,
                config,
                &o::Published {
                    resource: &resource,
                    emergency,
                    area: &area,
                    from: &from,
                    to: &to,
                    reason: &reason,
                },
                now,
            )
            .await?
        }
        OutageCmd::Import { file, resource } => {
            let (bytes, opts) = import_input(&file)?;
            o::import(&store, config, &bytes, &opts, &resource, now).await?
        }
        OutageCmd::List => o::list(&store, config, now).await?,
        OutageCmd::Extend { number, to } => o::extend(&store, config, &number, &to, now).await?,
        OutageCmd::Close { number } => o::close(&store, config, &number, now).await?,
    };
    print!("{said}");
    Ok(())
}

/// An import's file and its options.
fn import_input(f: &ImportFile) -> anyhow::Result<(Vec<u8>, kabinet::import::Options)> {
    use anyhow::Context;
    let bytes = std::fs::read(&f.file).with_context(|| format!("reading {}", f.file.display()))?;
    let mapping = match &f.mapping {
        Some(m) => Some(std::fs::read_to_string(m).with_context(|| format!("reading {}", m.display()))?),
        None => None,
    };
    let opts = kabinet::import::Options {
        encoding: f.encoding,
        mapping,
        allow_partial: f.allow_partial,
    };
    Ok((bytes, opts))
}

/// `kabinet import …`: the file read, imported, the summary printed.
async fn import(config: &Config, what: ImportCmd) -> anyhow::Result<()> {
    use anyhow::Context;
    let (ImportCmd::Accounts { file: f } | ImportCmd::Charges { file: f, .. } | ImportCmd::Payments { file: f }) =
        &what;
    let (bytes, opts) = import_input(f)?;
    let store = kabinet::store::Store::open(&config.database_url).await?;
    let now = chrono::Utc::now();
    let summary = match &what {
        ImportCmd::Accounts { .. } => kabinet::import::accounts(&store, &bytes, &opts, now).await?,
        ImportCmd::Payments { .. } => kabinet::import::payments(&store, &bytes, &opts, now).await?,
        ImportCmd::Charges { period, .. } => {
            let period = kabinet::domain::meters::Period::parse_key(period)
                .context("--period must be a month as YYYY-MM, e.g. 2026-11")?;
            kabinet::import::charges(&store, period, &bytes, &opts, now).await?
        }
    };
    print!("{}", summary.report());
    if matches!(what, ImportCmd::Charges { .. }) && summary.applied.is_some() {
        // Consumers who linked an account are told of its new bill (the bot sends it).
        let told = kabinet::worker::bills::new_bills(&store, config, now).await?;
        println!(
            "new bills: {} queued",
            kabinet::cli::counted(told, "message", "messages")
        );
    }
    anyhow::ensure!(
        summary.clean(),
        "{} refused",
        kabinet::cli::counted(summary.refused.len(), "row", "rows")
    );
    Ok(())
}

async fn export_readings(
    config: &Config,
    period: &str,
    out: Option<std::path::PathBuf>,
    format: &str,
) -> anyhow::Result<()> {
    anyhow::ensure!(format == "csv", "--format {format} is not supported; use csv");
    let store = kabinet::store::Store::open(&config.database_url).await?;
    let n = match out {
        Some(path) => {
            let file = kabinet::private_file::create(&path)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            kabinet::cli::export_readings(&store, period, file).await?
        }
        None => kabinet::cli::export_readings(&store, period, std::io::stdout().lock()).await?,
    };
    eprintln!("{n} rows exported");
    Ok(())
}

async fn consumer(config: &Config, action: ConsumerCmd) -> anyhow::Result<()> {
    let store = kabinet::store::Store::open(&config.database_url).await?;
    match action {
        ConsumerCmd::Show { login } => kabinet::cli::consumer_show(&store, &login, std::io::stdout().lock()).await?,
        ConsumerCmd::Release { login, reason } => {
            kabinet::cli::consumer_release(&store, config, &login, &reason).await?;
            println!("login released; its chats are signed out and will be told");
        }
    }
    Ok(())
}

async fn backup(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        !kabinet::store::is_postgres(&config.database_url),
        "{}",
        kabinet::cli::POSTGRES_BACKUPS
    );
    anyhow::ensure!(!file.exists(), "{} already exists", file.display());
    let store = kabinet::store::Store::connect(&config.database_url).await?;
    store.backup(&file.display().to_string()).await?;
    kabinet::private_file::restrict(file)?;
    eprintln!("backup written to {}", file.display());
    Ok(())
}

async fn restore(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    match kabinet::cli::restore(config, file).await? {
        Some(kept) => eprintln!(
            "restored from {}; the database it replaced is kept as {}",
            file.display(),
            kept.display()
        ),
        None => eprintln!("restored from {}", file.display()),
    }
    Ok(())
}

async fn migrate_db(config: &Config, to: &str) -> anyhow::Result<()> {
    let moved = kabinet::cli::migrate_db(config, to).await?;
    for m in &moved {
        println!("✓ {:<28} {:>10} rows  checksum {}", m.table, m.rows, m.checksum);
    }
    println!(
        "Moved: {} tables, {} rows, each checked in PostgreSQL. Now set DATABASE_URL={} \
         (keep the SQLite file as the copy from before the move), remove BACKUP_DIR, and start the bot.",
        moved.len(),
        moved.iter().map(|m| m.rows).sum::<u64>(),
        kabinet::store::shown_url(to)
    );
    Ok(())
}
