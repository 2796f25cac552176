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
    if matches!(cli.command, Some(Command::Healthcheck)) {
        return healthcheck::run(&settings);
    }
    telemetry::init(&settings);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("socrates")
        .build()?;
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                Application::build(&settings)
                    .await?
                    .run_until_stopped()
                    .await
            }
            Command::Migrate(args) => migrate::run(&settings, &args).await,
            Command::Healthcheck => healthcheck::run(&settings),
        }
    })
}
