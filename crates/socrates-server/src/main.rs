//! `socrates-server`: serve the API, run migrations, or probe a running server.

use std::process::ExitCode;

use clap::Parser;
use socrates_server::cli::{Cli, Command};
use socrates_server::{Application, Settings, healthcheck, migrate, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&error);
            ExitCode::FAILURE
        }
    }
}

/// One line naming the problem and its causes; never a panic backtrace.
#[expect(
    clippy::print_stderr,
    reason = "start-up failures go to the operator's terminal"
)]
fn report(error: &anyhow::Error) {
    tracing::error!(error = format!("{error:#}"), "socrates-server failed");
    eprintln!("socrates-server: error: {error:#}");
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        // A container probe: no log set-up, no runtime, no database.
        Command::Healthcheck => healthcheck::run(&settings),
        Command::Serve => runtime(&settings)?.block_on(async {
            Application::build(&settings)
                .await?
                .run_until_stopped()
                .await
        }),
        Command::Migrate(args) => runtime(&settings)?.block_on(migrate::run(&settings, &args)),
    }
}

/// Logging, then the multi-threaded runtime the server and migrations run on.
fn runtime(settings: &Settings) -> anyhow::Result<tokio::runtime::Runtime> {
    telemetry::init(settings);
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("socrates")
        .build()?)
}
