use clap::{Parser, Subcommand};
use kabinet::config::Config;
use std::process::ExitCode;

/// Kabinet: the personal account of a utility's consumers, as a Telegram bot.
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

#[derive(Subcommand)]
enum Command {
    /// Start the bot with long polling (the default). Applies migrations first.
    Run,
    /// Apply database migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Run) {
            Command::Run => {
                let app = kabinet::Application::build(cli.config, Default::default()).await?;
                app.run(kabinet::shutdown_signal()).await
            }
            Command::Migrate => {
                let store = kabinet::store::Store::connect(&cli.config.database_url).await?;
                store.migrate().await?;
                tracing::info!(database = %cli.config.database_url, "migrations applied");
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kabinet: {e:#}");
            ExitCode::FAILURE
        }
    }
}
