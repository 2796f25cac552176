//! `cargo xtask test`: the whole test suite once against SQLite and once against PostgreSQL and
//! Redis, then a sweep of the throw-away databases the second pass may have left behind.

use std::env;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};

use crate::process;

/// Admin URL of the PostgreSQL server the tests create their databases on.
pub const POSTGRES_URL_VAR: &str = "SOCRATES_TEST_POSTGRES_URL";
/// URL of the Redis server of the tests.
pub const REDIS_URL_VAR: &str = "SOCRATES_TEST_REDIS_URL";
/// A short id unique to one run; test databases are named `socrates_t_<run id>_<something>`.
pub const RUN_ID_VAR: &str = "SOCRATES_TEST_RUN_ID";

/// Used when [`POSTGRES_URL_VAR`] is not set for xtask itself.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Used when [`REDIS_URL_VAR`] is not set for xtask itself.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// Which passes to run and what to hand to `cargo test`.
#[derive(Debug, PartialEq, Eq)]
pub struct TestOptions {
    /// Run the pass without database URLs, on SQLite.
    pub sqlite: bool,
    /// Run the pass against PostgreSQL and Redis.
    pub postgres: bool,
    /// Arguments after `--`, appended to `cargo test --workspace --locked`.
    pub cargo_test_args: Vec<String>,
}

impl Default for TestOptions {
    fn default() -> Self {
        TestOptions {
            sqlite: true,
            postgres: true,
            cargo_test_args: Vec::new(),
        }
    }
}

/// Options of `cargo xtask test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Run only the SQLite pass (no services needed).
    #[arg(long, conflicts_with = "postgres_only")]
    sqlite_only: bool,
    /// Run only the PostgreSQL + Redis pass.
    #[arg(long)]
    postgres_only: bool,
    /// Arguments after `--`, appended to `cargo test --workspace --locked` in each pass (e.g.
    /// `-- -p socrates-api -- --nocapture`).
    #[arg(last = true, value_name = "CARGO TEST ARGUMENTS")]
    cargo_test_args: Vec<String>,
}

impl From<TestArgs> for TestOptions {
    fn from(args: TestArgs) -> Self {
        TestOptions {
            sqlite: !args.postgres_only,
            postgres: !args.sqlite_only,
            cargo_test_args: args.cargo_test_args,
        }
    }
}

/// Runs the passes `options` asks for, stopping at the first that fails, and prints how long
/// each took either way.
pub fn run(root: &Path, options: &TestOptions) -> Result<()> {
    check_tools()?;
    let mut timings = Vec::new();
    let result = run_passes(root, options, &mut timings);
    println!("\ntest passes:");
    for (pass, duration, passed) in &timings {
        let outcome = if *passed { "passed" } else { "FAILED" };
        println!(
            "  {pass:<22} {outcome:<7} {:>8.1} s",
            duration.as_secs_f64()
        );
    }
    result
}

type Timings = Vec<(&'static str, Duration, bool)>;

fn run_passes(root: &Path, options: &TestOptions, timings: &mut Timings) -> Result<()> {
    if options.sqlite {
        println!("\n==> test pass 1: SQLite");
        let started = Instant::now();
        let result = sqlite_pass(root, &options.cargo_test_args);
        timings.push(("SQLite", started.elapsed(), result.is_ok()));
        result?;
    }
    if options.postgres {
        println!("\n==> test pass 2: PostgreSQL + Redis");
        let started = Instant::now();
        let result = postgres_pass(root, &options.cargo_test_args);
        timings.push(("PostgreSQL + Redis", started.elapsed(), result.is_ok()));
        result?;
    }
    Ok(())
}

fn cargo_test(root: &Path, cargo_test_args: &[String]) -> Command {
    let mut command = process::cargo(root);
    command
        .args(["test", "--workspace", "--locked"])
        .args(cargo_test_args);
    command
}

fn sqlite_pass(root: &Path, cargo_test_args: &[String]) -> Result<()> {
    let mut command = cargo_test(root, cargo_test_args);
    // Without the URLs every test falls back to SQLite, whatever the caller's shell exports.
    command
        .env_remove(POSTGRES_URL_VAR)
        .env_remove(REDIS_URL_VAR);
    process::run(&mut command)
}

fn postgres_pass(root: &Path, cargo_test_args: &[String]) -> Result<()> {
    let postgres_url = setting(POSTGRES_URL_VAR, DEFAULT_POSTGRES_URL);
    let redis_url = setting(REDIS_URL_VAR, DEFAULT_REDIS_URL);
    check_services(&postgres_url, &redis_url)?;

    let run_id = new_run_id();
    println!("run id {run_id}: test databases are named socrates_t_{run_id}_…");
    let mut command = cargo_test(root, cargo_test_args);
    command
        .env(POSTGRES_URL_VAR, &postgres_url)
        .env(REDIS_URL_VAR, &redis_url)
        .env(RUN_ID_VAR, &run_id);
    let tests = process::run(&mut command);

    // Tests drop their own databases, but a failing or killed test may not get to; sweep
    // whatever carries this run's id, whether the tests passed or not.
    let sweep = sweep_databases(&postgres_url, &run_id);
    match (tests, sweep) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(tests), Ok(())) => Err(tests),
        (Ok(()), Err(sweep)) => {
            Err(sweep.context("the tests passed but their databases could not be swept"))
        }
        (Err(tests), Err(sweep)) => {
            eprintln!("error: the test databases could not be swept either: {sweep:#}");
            Err(tests)
        }
    }
}

/// The value of `name` in xtask's own environment, or `default` when unset or empty.
pub fn setting(name: &str, default: &str) -> String {
    env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// The programs the tests run besides cargo: the PDF exports are read back with poppler's
/// `pdftotext` and `pdfinfo`.
const TOOLS: [(&str, &str); 2] = [("pdftotext", "poppler-utils"), ("pdfinfo", "poppler-utils")];

/// Fails, naming every missing program and its Debian package, before a long test run would.
fn check_tools() -> Result<()> {
    let missing: Vec<String> = TOOLS
        .iter()
        .filter(|(tool, _)| !process::is_on_path(tool))
        .map(|(tool, package)| format!("{tool} (Debian package {package})"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    bail!(
        "the tests need {} on PATH; install it (`apt-get install -y poppler-utils`), or run \
         .ci/run, which does",
        missing.join(", ")
    )
}

/// Fails, naming every service that does not answer, before a long test run would.
pub fn check_services(postgres_url: &str, redis_url: &str) -> Result<()> {
    let mut down = Vec::new();
    if process::is_on_path("pg_isready") {
        let mut command = Command::new("pg_isready");
        command.args(["-d", postgres_url]);
        if process::probe(&mut command)?.is_none() {
            down.push(format!(
                "PostgreSQL is not answering at {} (set {POSTGRES_URL_VAR})",
                process::redact_password(postgres_url)
            ));
        }
    } else {
        println!("note: pg_isready is not on PATH; not checking PostgreSQL first");
    }
    if process::is_on_path("redis-cli") {
        let mut command = Command::new("redis-cli");
        command.args(["-u", redis_url, "ping"]);
        let answer = process::probe(&mut command)?;
        if answer.as_deref().map(str::trim) != Some("PONG") {
            down.push(format!(
                "Redis is not answering at {} (set {REDIS_URL_VAR})",
                process::redact_password(redis_url)
            ));
        }
    } else {
        println!("note: redis-cli is not on PATH; not checking Redis first");
    }
    if down.is_empty() {
        return Ok(());
    }
    bail!(
        "{}; start what is down, or run `cargo xtask test --sqlite-only`",
        down.join("; ")
    )
}

/// Drops every database whose name starts with `socrates_t_<run_id>_`.
fn sweep_databases(postgres_url: &str, run_id: &str) -> Result<()> {
    if !process::is_on_path("psql") {
        eprintln!(
            "warning: psql is not on PATH; not sweeping leftover test databases of run {run_id}"
        );
        return Ok(());
    }
    let prefix = format!("socrates_t_{run_id}_");
    let mut list = psql(postgres_url, &list_databases_query(&prefix));
    let listed = process::output(&mut list)?;
    let leftovers: Vec<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|name| name.starts_with(&prefix))
        .collect();
    if leftovers.is_empty() {
        println!("no test databases of run {run_id} left over");
        return Ok(());
    }
    println!(
        "dropping {} test database(s) left over by run {run_id}",
        leftovers.len()
    );
    for name in leftovers {
        let mut drop = psql(postgres_url, &drop_database_statement(name));
        process::run(&mut drop)?;
    }
    Ok(())
}

/// `psql` that reads no `~/.psqlrc` and never waits for a password prompt.
pub fn psql(postgres_url: &str, sql: &str) -> Command {
    let mut command = Command::new("psql");
    command.args([postgres_url, "-X", "-w", "-Atc", sql]);
    command
}

/// Lists databases whose name starts with `prefix`. `_` is a wildcard in LIKE, so it is escaped.
fn list_databases_query(prefix: &str) -> String {
    let mut pattern = String::new();
    for character in prefix.chars() {
        if matches!(character, '_' | '%' | '!') {
            pattern.push('!');
        }
        pattern.push(character);
    }
    format!(
        "select datname from pg_database where datname like '{}%' escape '!'",
        pattern.replace('\'', "''")
    )
}

pub fn drop_database_statement(name: &str) -> String {
    format!(
        "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
        name.replace('"', "\"\"")
    )
}

/// A fresh run id from the clock and the process id: 12 lowercase alphanumeric characters.
pub fn new_run_id() -> String {
    let unix_millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    run_id_from(std::process::id(), unix_millis)
}

fn run_id_from(process_id: u32, unix_millis: u128) -> String {
    let mut run_id = base36(unix_millis, 8);
    run_id.push_str(&base36(u128::from(process_id), 4));
    run_id
}

/// The last `digits` base-36 digits of `value`, zero-padded.
fn base36(mut value: u128, digits: usize) -> String {
    const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut reversed = String::with_capacity(digits);
    for _ in 0..digits {
        let digit = usize::try_from(value % 36).unwrap_or(0);
        reversed.push(char::from(ALPHABET[digit]));
        value /= 36;
    }
    reversed.chars().rev().collect()
}

/// One line per service, for the help of `cargo xtask` and `cargo xtask test`.
pub fn environment_help() -> String {
    format!(
        "    {POSTGRES_URL_VAR}  admin URL of PostgreSQL (default {DEFAULT_POSTGRES_URL})\n    \
         {REDIS_URL_VAR}     URL of Redis (default {DEFAULT_REDIS_URL})\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|arg| (*arg).to_owned()).collect()
    }

    fn parse_options(args: &[&str]) -> Result<TestOptions, clap::Error> {
        let mut command = vec!["test"];
        command.extend_from_slice(args);
        match crate::parse(&command)? {
            crate::Command::Test(args) => Ok(args.into()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn both_passes_run_by_default() {
        assert_eq!(parse_options(&[]).unwrap(), TestOptions::default());
    }

    #[test]
    fn flags_select_one_pass_and_arguments_after_the_separator_are_forwarded() {
        let options =
            parse_options(&["--postgres-only", "--", "-p", "x", "--", "--nocapture"]).unwrap();
        assert_eq!(
            options,
            TestOptions {
                sqlite: false,
                postgres: true,
                cargo_test_args: strings(&["-p", "x", "--", "--nocapture"]),
            }
        );
        let options = parse_options(&["--sqlite-only", "--sqlite-only"]).unwrap();
        assert!(options.sqlite && !options.postgres);
        let options = parse_options(&["--sqlite-only", "--", "--", "--nocapture"]).unwrap();
        assert_eq!(options.cargo_test_args, strings(&["--", "--nocapture"]));
        // After `--`, even help is cargo test's.
        let options = parse_options(&["--", "--help"]).unwrap();
        assert_eq!(options.cargo_test_args, strings(&["--help"]));
    }

    #[test]
    fn contradictory_or_unknown_flags_are_rejected() {
        assert!(parse_options(&["--sqlite-only", "--postgres-only"]).is_err());
        assert!(parse_options(&["--nocapture"]).is_err());
        assert!(parse_options(&["-p", "x"]).is_err());
        assert!(parse_options(&["x"]).is_err());
    }

    #[test]
    fn run_ids_are_short_lowercase_alphanumeric_and_differ_by_process() {
        let run_id = new_run_id();
        assert_eq!(run_id.len(), 12);
        assert!(
            run_id
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        );
        assert_ne!(run_id_from(1, 5), run_id_from(2, 5));
        assert_eq!(run_id_from(35, 36), "00000010000z");
    }

    #[test]
    fn the_sweep_matches_underscores_literally() {
        assert_eq!(
            list_databases_query("socrates_t_ab1_"),
            "select datname from pg_database where datname like \
             'socrates!_t!_ab1!_%' escape '!'"
        );
        assert_eq!(
            drop_database_statement("socrates_t_ab1_x\"y"),
            "DROP DATABASE IF EXISTS \"socrates_t_ab1_x\"\"y\" WITH (FORCE)"
        );
    }
}
