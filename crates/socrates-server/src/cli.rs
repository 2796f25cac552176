//! The command line of `socrates-server`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The Socrates server: Socratic specification interviews over a JSON API.
#[derive(Debug, Parser)]
#[command(name = "socrates-server", version, about)]
pub struct Cli {
    /// A TOML config file (otherwise `$SOCRATES_CONFIG`, else `./socrates.toml` if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Inspect or change the schema of the databases.
    Migrate(MigrateArgs),
    /// Exit 0 when the server on the configured port answers `/health/live` (for container
    /// health checks: the image has no shell or HTTP client).
    Healthcheck,
}

/// Arguments of `migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// What to do.
    #[arg(value_enum)]
    pub action: MigrateAction,
    /// Which database.
    #[arg(long, value_enum, default_value_t = TargetDatabase::All)]
    pub db: TargetDatabase,
    /// How many migrations `down` rolls back.
    #[arg(long, default_value_t = 1)]
    pub steps: u32,
    /// Make `down` roll back every migration.
    #[arg(long)]
    pub all: bool,
    /// Confirm `fresh` in production.
    #[arg(long)]
    pub destroy_all_data: bool,
}

/// Migration verbs.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migration (or `--steps N`, or `--all`).
    Down,
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations.
    Fresh,
}

/// Database selector.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TargetDatabase {
    /// `socrates_auth` only.
    Auth,
    /// `socrates_specs` only.
    Specs,
    /// Both, auth first.
    All,
}
