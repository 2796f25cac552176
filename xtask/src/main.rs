//! `cargo xtask`: the one entry point for automating the Socrates workspace. `cargo xtask --help`
//! lists the commands, `cargo xtask <command> --help` explains one; see also
//! docs/developer-guide/testing.md.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "xtask is a command-line tool that reports to the terminal"
)]

mod backup;
mod bench;
mod bench_auth;
mod bench_codegen;
mod bench_overhead;
mod bench_reasoner;
mod check_generated;
mod drill;
mod fuzz;
mod imports;
mod invariants;
mod lint;
mod loadtest;
mod loadtest_http;
mod metadata;
mod migrate;
mod process;
mod release;
mod server;
mod test_suite;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Automation of the Socrates workspace.
#[derive(Debug, Parser)]
#[command(
    name = "xtask",
    bin_name = "cargo xtask",
    arg_required_else_help = true,
    after_help = format!("Environment of `test`:\n{}", test_suite::environment_help())
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The commands. Every option keeps the last of several occurrences, as the hand-written
/// parsers before clap did (`args_override_self`).
#[derive(Debug, Subcommand)]
enum Command {
    /// Run `socrates-server migrate` with the same arguments.
    ///
    /// The action is checked here; everything after it goes to the server unchecked, which owns
    /// the migrations, so development and production run the one implementation.
    #[command(args_override_self = true)]
    Migrate(migrate::MigrateArgs),
    /// cargo fmt --check, cargo clippy -D warnings, then the architecture invariants.
    ///
    /// Formatting covers the workspace and the load test (xtask/loadtest, a workspace of its
    /// own); clippy covers the workspace with every target. With --fix, format the code instead
    /// of checking its formatting.
    #[command(args_override_self = true)]
    Lint(lint::LintArgs),
    /// Check the architecture invariants of docs/developer-guide/architecture.md.
    Invariants,
    /// Run the whole test suite on SQLite, then on PostgreSQL + Redis.
    ///
    /// Runs `cargo test --workspace --locked` once without database URLs (SQLite), then once
    /// against PostgreSQL and Redis, and drops the test databases the second pass left behind.
    /// Stops at the first pass that fails and prints how long each took.
    #[command(
        args_override_self = true,
        after_help = format!("Environment:\n{}", test_suite::environment_help())
    )]
    Test(test_suite::TestArgs),
    /// lint, test, check-generated, then fuzz: what CI runs.
    Ci,
    /// Run the own tests of the projects the code generator writes.
    ///
    /// Renders the sample specification's project for every stack into a temporary
    /// directory, then runs pytest (pinned FastAPI, httpx and pytest in
    /// target/xtask/generated-python-venv, installed from PyPI on first use), cargo test
    /// --offline for the Rust project, and npm install, tsc --noEmit and npm test for the
    /// TypeScript project when Node.js is installed.
    CheckGenerated,
    /// Time cold starts of the release server, up to the first 200 from /health.
    ///
    /// Builds the release server and times N starts of the embedded default, from process
    /// start to the first 200 from /health (fresh SQLite files, migrations included).
    #[command(args_override_self = true)]
    BenchStartup(bench::StartupOptions),
    /// Load the authentication paths of the release server with wrk.
    ///
    /// Builds the release server and loads it with wrk: GET /api/v1/auth/me at 256 and 1000
    /// connections, then a bcrypt-12 login flood with /health measured alongside.
    #[command(args_override_self = true)]
    BenchAuth(bench_auth::BenchAuthArgs),
    /// Submit code generation jobs at once and measure /health meanwhile.
    ///
    /// Builds the release server (embedded default), fills N projects to 100 % maturity (fifteen
    /// entities each), requests their generations at the same moment and probes GET /health
    /// every 5 ms until the last completes. Fails when a job fails or the probe's p95 reaches
    /// --p95-target-ms.
    #[command(args_override_self = true)]
    BenchCodegen(bench_codegen::BenchCodegenArgs),
    /// Measure our per-request cost against a bare actix-web floor on this machine.
    ///
    /// Builds the release server and the floor app (a bare actix-web app that verifies the same
    /// JWT and answers a static JSON body), loads both with wrk at the same connections, and
    /// reports our GET /api/v1/auth/me on the embedded default as a share of the floor; then
    /// POST /api/v1/projects at 64 connections on SQLite. Fails below the share target, at a
    /// write p99 of 100 ms, or at a peak RSS of 100 MiB.
    BenchOverhead(bench_overhead::Options),
    /// Bench the offline reasoner and fail when a mean exceeds 1 ms.
    ///
    /// Runs the criterion bench of the offline reasoner (fact extraction from a 2 000-character
    /// answer, next-question choice) and fails when a mean exceeds 1 ms.
    BenchReasoner,
    /// Drive the user journey with goose against fresh release servers and report.
    ///
    /// Builds the release server and the goose journey (xtask/loadtest), then for each plan
    /// starts a fresh server on fresh PostgreSQL databases (offline reasoner) and drives the
    /// journey: sign up once, then project, session, 5 × question and answer, a switch to direct chat and a message, status, Markdown
    /// export. Prints per-step p50/p95/p99, throughput, errors, peak RSS into
    /// target/loadtest-results/report.md; fails on an error, a paced non-login p95 over the
    /// target (--p95-target-ms) or a server peak RSS of 100 MiB or more.
    #[command(args_override_self = true)]
    Loadtest(loadtest::LoadtestArgs),
    /// Saturate the release server's hot read paths with wrk and report.
    ///
    /// Builds the release server and saturates it with wrk (xtask/loadtest/socrates.lua):
    /// reads of one project (project, status, a page of facts) and project creation, 3:3:3:1,
    /// at each number of open connections, each on a fresh server and fresh PostgreSQL
    /// databases with Redis. Reports req/s, p50/p95/p99/max, errors and peak RSS into
    /// target/loadtest-results/http-report.md; fails on any error, a p99 of 1 s or more, or a
    /// peak RSS of 100 MiB or more.
    #[command(args_override_self = true)]
    LoadtestHttp(loadtest_http::Options),
    /// Fuzz the release server's API with schemathesis on SQLite, then on PostgreSQL + Redis.
    ///
    /// Installs schemathesis (pinned) into target/xtask/schemathesis-venv on first use, builds
    /// the release server, and for each backend starts it on fresh databases, signs a user up
    /// and in, and runs every check of schemathesis and every phase, the stateful one included,
    /// with that user's token and the quotas lifted. Fails on any failure schemathesis reports
    /// and on any panic in the server's log (target/xtask/fuzz/<backend>-server.log); prints
    /// how long each pass took.
    #[command(args_override_self = true)]
    Fuzz(fuzz::FuzzArgs),
    /// Fault drills against the release server; prints one table, fails if a check fails.
    ///
    /// crash: kill -9 under mixed writes, restart, every acknowledged write present (SQLite
    /// and PostgreSQL + Redis). redis: a private Redis stopped, then hung, under load.
    /// postgres: a private PostgreSQL cluster stopped, then hung. llm: a mock provider slow,
    /// failing and sending garbage under load. soak: paced users for minutes, no errors, RSS
    /// growth under 10 %. See docs/deployment/fault-drills.md.
    #[command(args_override_self = true)]
    Drill(drill::DrillArgs),
    /// Back up both databases into a new directory.
    ///
    /// Backs up both databases (DATABASE_AUTH_URL/DATABASE_SPECS_URL, else the SQLite files of
    /// data/ or SOCRATES_SERVER__DATA_DIR): pg_dump --format=custom, or sqlite3 .backup.
    #[command(args_override_self = true)]
    Backup(backup::BackupArgs),
    /// Restore both databases from a backup directory. Stop the server first.
    ///
    /// Restores both databases (DATABASE_AUTH_URL/DATABASE_SPECS_URL, else the SQLite files of
    /// data/) from a directory written by `cargo xtask backup`: pg_restore --clean
    /// --single-transaction, or sqlite3 .restore. Stop the server first.
    #[command(args_override_self = true)]
    Restore(backup::RestoreArgs),
    /// Bump the version, write the changelog, commit and tag vVERSION.
    ///
    /// Bumps the workspace version, writes CHANGELOG.md from the commit subjects since the
    /// previous v* tag, updates Cargo.lock, commits and tags vVERSION (annotated with the
    /// changelog section). Needs a clean working tree, with --dry-run too; push with
    /// `git push origin HEAD vVERSION`.
    #[command(args_override_self = true)]
    Release(release::ReleaseArgs),
    /// Rewrite docs/api/openapi.yaml from the code (a test fails while it is stale).
    Openapi,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help goes to stdout with success; a usage error to stderr with exit code 1, the
            // code of every other failure of xtask (clap's own would be 2).
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nerror: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    let root = process::project_root();
    match command {
        Command::Migrate(args) => migrate::migrate(&root, &args),
        Command::Lint(args) => lint::lint(&root, args.fix),
        Command::Invariants => lint::check_invariants(&root),
        Command::Test(args) => test_suite::run(&root, &args.into()),
        Command::Ci => ci(&root),
        Command::CheckGenerated => check_generated::run(&root),
        Command::BenchStartup(options) => bench::startup(&root, &options),
        Command::BenchAuth(args) => bench_auth::run(&root, &args),
        Command::BenchCodegen(args) => bench_codegen::run(&root, &args),
        Command::BenchOverhead(options) => bench_overhead::run(&root, &options),
        Command::BenchReasoner => bench_reasoner::run(&root),
        Command::Loadtest(args) => loadtest::run(&root, &args.into()),
        Command::LoadtestHttp(options) => loadtest_http::run(&root, &options),
        Command::Fuzz(args) => fuzz::run(&root, &args),
        Command::Drill(args) => drill::run(&root, &args),
        Command::Backup(args) => backup::run_backup(&root, &args),
        Command::Restore(args) => backup::run_restore(&root, &args),
        Command::Release(args) => release::run(&root, &args),
        Command::Openapi => openapi(&root),
    }
}

/// What CI runs: lint, both test passes, then both fuzz passes against the release server.
fn ci(root: &Path) -> Result<()> {
    let started = Instant::now();
    println!("==> lint");
    lint::lint(root, false)?;
    let linted = started.elapsed();
    println!("\n==> test");
    test_suite::run(root, &test_suite::TestOptions::default())?;
    let tested = started.elapsed() - linted;
    println!("\n==> check-generated");
    let generated_started = Instant::now();
    check_generated::run(root)?;
    let generated = generated_started.elapsed();
    println!("\n==> fuzz");
    let fuzz_started = Instant::now();
    fuzz::run(root, &fuzz::FuzzArgs::default())?;
    let fuzzed = fuzz_started.elapsed();
    println!(
        "\nci passed: lint {:.1} s, test {:.1} s, generated projects {:.1} s, fuzz {:.1} s, total {:.1} s",
        linted.as_secs_f64(),
        tested.as_secs_f64(),
        generated.as_secs_f64(),
        fuzzed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Rewrites docs/api/openapi.yaml from the code, through the staleness test of the API crate.
fn openapi(root: &Path) -> Result<()> {
    process::run(
        process::cargo(root)
            .args([
                "test",
                "--locked",
                "--package",
                "socrates-api",
                "--lib",
                "--",
                "--exact",
                "openapi::tests::the_checked_in_openapi_document_is_current",
            ])
            .env("SOCRATES_UPDATE_OPENAPI", "1"),
    )?;
    println!("docs/api/openapi.yaml rewritten from the code");
    Ok(())
}

#[cfg(test)]
/// The command `cargo xtask <args>` parses to.
fn parse(args: &[&str]) -> Result<Command, clap::Error> {
    Cli::try_parse_from(std::iter::once("xtask").chain(args.iter().copied())).map(|cli| cli.command)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;
    use clap::error::ErrorKind;

    use super::*;

    /// Every command's name, its subcommands' after it.
    fn command_paths(command: &clap::Command, prefix: &[String], paths: &mut Vec<Vec<String>>) {
        for subcommand in command.get_subcommands() {
            let mut path = prefix.to_vec();
            path.push(subcommand.get_name().to_owned());
            command_paths(subcommand, &path, paths);
            paths.push(path);
        }
    }

    #[test]
    fn every_command_answers_help_and_documents_its_options() {
        let command = Cli::command();
        command.clone().debug_assert();
        let mut paths = Vec::new();
        command_paths(&command, &[], &mut paths);
        assert_eq!(paths.len(), 19, "{paths:?}");
        paths.push(Vec::new());
        for path in &paths {
            for flag in ["--help", "-h"] {
                let mut args = vec!["xtask".to_owned()];
                args.extend(path.iter().cloned());
                args.push(flag.to_owned());
                let error = Cli::try_parse_from(&args).expect_err("help is not a command");
                assert_eq!(error.kind(), ErrorKind::DisplayHelp, "{args:?}");
            }
        }
        for subcommand in command.get_subcommands() {
            let name = subcommand.get_name();
            let about = subcommand.get_about().map(ToString::to_string);
            assert!(
                about.is_some_and(|about| !about.contains('\n')),
                "{name} has no one-line description"
            );
            for argument in subcommand.get_arguments() {
                assert!(
                    argument.get_help().is_some(),
                    "{name} {} is undocumented",
                    argument.get_id()
                );
            }
        }
    }

    #[test]
    fn help_is_a_command_and_no_command_is_an_error() {
        for args in [&["help"][..], &["help", "loadtest"]] {
            let error = parse(args).expect_err("help");
            assert_eq!(error.kind(), ErrorKind::DisplayHelp, "{args:?}");
        }
        let error = parse(&[]).expect_err("no command");
        assert!(error.use_stderr());
        assert!(parse(&["frobnicate"]).is_err());
    }

    /// The command lines of docs/, README.md, .ci/ and .github/ (`grep -rn "cargo xtask"`).
    #[test]
    fn the_documented_command_lines_parse() {
        for line in [
            "backup",
            "backup --to /tmp/bk1",
            "bench-auth",
            "bench-codegen",
            "bench-codegen --jobs 3 --p95-target-ms 50",
            "bench-reasoner",
            "bench-startup",
            "check-generated",
            "ci",
            "fuzz",
            "fuzz --sqlite-only --max-examples 5",
            "invariants",
            "lint",
            "loadtest",
            "loadtest --users 700 --no-saturation",
            "loadtest-http",
            "migrate status --db auth",
            "migrate up",
            "migrate up --db auth",
            "openapi",
            "release 0.2.0",
            "restore --from /tmp/bk1",
            "test",
            "test --postgres-only",
            "test --sqlite-only",
            "test --sqlite-only -- -- --nocapture",
        ] {
            let args: Vec<&str> = line.split(' ').collect();
            if let Err(error) = parse(&args) {
                panic!("cargo xtask {line}: {error}");
            }
        }
    }

    #[test]
    fn commands_without_options_take_no_arguments() {
        for command in [
            "invariants",
            "ci",
            "openapi",
            "bench-reasoner",
            "check-generated",
        ] {
            assert!(parse(&[command]).is_ok(), "{command}");
            assert!(parse(&[command, "extra"]).is_err(), "{command}");
            assert!(parse(&[command, "--extra"]).is_err(), "{command}");
        }
    }

    #[test]
    fn lint_fixes_only_when_asked() {
        assert!(matches!(
            parse(&["lint"]),
            Ok(Command::Lint(lint::LintArgs { fix: false }))
        ));
        assert!(matches!(
            parse(&["lint", "--fix"]),
            Ok(Command::Lint(lint::LintArgs { fix: true }))
        ));
        assert!(parse(&["lint", "--check"]).is_err());
    }
}
