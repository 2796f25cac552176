//! `cargo xtask`: the one entry point for automating the Socrates workspace. See `usage()` and
//! docs/developer-guide/testing.md.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "xtask is a command-line tool that reports to the terminal"
)]

mod backup;
mod bench;
mod bench_auth;
mod bench_reasoner;
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

use anyhow::{Result, bail};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nerror: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let root = process::project_root();
    let Some((command, rest)) = args.split_first() else {
        eprint!("{}", usage());
        bail!("no command given");
    };
    match command.as_str() {
        "migrate" => migrate::migrate(&root, rest),
        "lint" => lint::lint(&root, rest),
        "invariants" => {
            no_arguments(command, rest)?;
            lint::check_invariants(&root)
        }
        "test" => test_suite::run(&root, &test_suite::parse_options(rest)?),
        "bench-startup" => bench::startup(&root, &bench::parse_options(rest)?),
        "bench-auth" => bench_auth::run(&root, rest),
        "bench-reasoner" => bench_reasoner::run(&root, rest),
        "loadtest" => loadtest::run(&root, rest),
        "loadtest-http" => loadtest_http::run(&root, rest),
        "release" => release::run(&root, rest),
        "backup" => backup::run_backup(&root, rest),
        "restore" => backup::run_restore(&root, rest),
        "openapi" => {
            no_arguments(command, rest)?;
            openapi(&root)
        }
        "ci" => {
            no_arguments(command, rest)?;
            ci(&root)
        }
        "help" | "--help" | "-h" => {
            print!("{}", usage());
            Ok(())
        }
        unknown => {
            eprint!("{}", usage());
            bail!("unknown command `{unknown}`")
        }
    }
}

/// What CI runs: lint, then both test passes.
fn ci(root: &Path) -> Result<()> {
    let started = Instant::now();
    println!("==> lint");
    lint::lint(root, &[])?;
    let linted = started.elapsed();
    println!("\n==> test");
    test_suite::run(root, &test_suite::TestOptions::default())?;
    println!(
        "\nci passed: lint {:.1} s, total {:.1} s",
        linted.as_secs_f64(),
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

fn no_arguments(command: &str, rest: &[String]) -> Result<()> {
    if rest.is_empty() {
        Ok(())
    } else {
        bail!("`cargo xtask {command}` takes no arguments")
    }
}

fn usage() -> String {
    format!(
        "\
Automation of the Socrates workspace.

Usage: cargo xtask <command> [arguments]

Commands:
  migrate <up|down|status|fresh> [--db auth|specs|all] [arguments...]
        Run `socrates-server migrate` with the same arguments.
  lint [--fix]
        cargo fmt --check, cargo clippy -D warnings, then the architecture invariants.
        With --fix, format the code instead of checking its formatting.
  invariants
        Check the architecture invariants of docs/developer-guide/architecture.md.
  test [--sqlite-only | --postgres-only] [-- <cargo test arguments>...]
        Run the whole test suite on SQLite, then on PostgreSQL + Redis, and drop the
        test databases the second pass left behind.
  ci
        lint, then test: what CI runs.
  bench-startup [--runs N]
        Build the release server and time N starts of the embedded default, from process
        start to the first 200 from /health (fresh SQLite files, migrations included).
  bench-auth [--seconds N]
        Build the release server and load it with wrk: GET /api/v1/auth/me at 256 and
        1000 connections, then a bcrypt-12 login flood with /health measured alongside.
  bench-reasoner
        Run the criterion bench of the offline reasoner (fact extraction from a 2 000-
        character answer, next-question choice) and fail when a mean exceeds 1 ms.
  loadtest [--users 200,1000] [--run-time S] [--pause-ms MS] [--increase-rate R]
           [--saturation-users N | --no-saturation] [--saturation-seconds S]
           [--bcrypt-cost C] [--cache redis|memory] [--p95-target-ms MS]
        Build the release server and the goose journey (xtask/loadtest), then for each
        plan start a fresh server on fresh PostgreSQL databases (offline reasoner) and
        drive the journey: sign up once, then project, session, 5 × question and answer,
        status, Markdown export. Prints per-step p50/p95/p99, throughput, errors, peak RSS
        into target/loadtest-results/report.md; fails on an error, a paced non-login p95
        over the target (20 ms) or a server peak RSS of 100 MiB or more.
  loadtest-http [--connections 256,1000] [--seconds S] [--cache redis|memory]
        Build the release server and saturate it with wrk (xtask/loadtest/socrates.lua):
        reads of one project (project, status, a page of facts) and project creation,
        3:3:3:1, at each number of open connections, each on a fresh server and fresh
        PostgreSQL databases with Redis. Reports req/s, p50/p95/p99/max, errors and peak
        RSS into target/loadtest-results/http-report.md; fails on any error, a p99 of 1 s or
        more, or a peak RSS of 100 MiB or more.
  backup [--to DIR]
        Back up both databases (DATABASE_AUTH_URL/DATABASE_SPECS_URL, else the SQLite files
        of data/): pg_dump --format=custom, or sqlite3 .backup; into backups/<UTC time>/.
  restore --from DIR
        Restore both databases from such a directory (pg_restore --clean --single-transaction,
        or sqlite3 .restore). Stop the server first.
  release VERSION [--dry-run]
        Bump the workspace version, write CHANGELOG.md from the commit subjects since the
        previous v* tag, update Cargo.lock, commit and tag vVERSION (annotated with the
        changelog section). Needs a clean working tree; push with git push origin HEAD vVERSION.
  openapi
        Rewrite docs/api/openapi.yaml from the code (a test fails while it is stale).
  help
        Print this text.

Environment of `test`:
{}",
        test_suite::environment_help()
    )
}
