//! `socrates-server`: serve the API, run migrations, or probe a running server.

use std::process::ExitCode;

use clap::Parser;
use socrates_server::cli::{Cli, Command};
use socrates_server::{Application, Settings, healthcheck, migrate, telemetry};

/// mimalloc instead of glibc's malloc: the request path allocates many small short-lived
/// buffers, and glibc's allocator took about 12 % of the server's CPU under the journey load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Command::Serve => {
            let (_telemetry, runtime) = runtime(&settings)?;
            runtime.block_on(async {
                Application::build(&settings)
                    .await?
                    .run_until_stopped()
                    .await
            })
        }
        Command::Migrate(args) => {
            let (_telemetry, runtime) = runtime(&settings)?;
            runtime.block_on(migrate::run(&settings, &args))
        }
    }
}

/// Logging and error reporting (before any thread starts, so panics anywhere are reported),
/// then the multi-threaded runtime the server and migrations run on. The guard outlives the
/// runtime so that events queued at shutdown are still sent.
fn runtime(settings: &Settings) -> anyhow::Result<(telemetry::Telemetry, tokio::runtime::Runtime)> {
    let telemetry = telemetry::init(settings)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("socrates")
        .build()?;
    Ok((telemetry, runtime))
}
