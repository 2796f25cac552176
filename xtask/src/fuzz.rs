//! `cargo xtask fuzz`: schemathesis against the release server, once on the embedded default
//! (SQLite files in a temporary directory, in-process cache and limits) and once on throw-away
//! PostgreSQL databases with Redis.
//!
//! Each pass signs a user up and in through the API and hands schemathesis its access token, so
//! the operations behind the token are tested past the 401. The per-user quota and the login
//! attempt limits are lifted through the server's settings (the limiter still runs on every
//! request), so the run is not one long series of 429s. schemathesis runs every check it has
//! and every phase, the stateful one included; the pass fails on any failure it reports and on
//! any panic in the server's log, which is kept in `target/xtask/fuzz/`.
//!
//! schemathesis comes from PyPI, pinned to [`SCHEMATHESIS_VERSION`], in a virtual environment
//! under `target/xtask/` that is made on first use and reused while it holds that version.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench::build_release;
use crate::bench_auth::{json_string_field, post_json};
use crate::loadtest::Databases;
use crate::process;
use crate::server::Server;
use crate::test_suite::{
    DEFAULT_POSTGRES_URL, DEFAULT_REDIS_URL, POSTGRES_URL_VAR, REDIS_URL_VAR, check_services,
    new_run_id, setting,
};

/// The schemathesis release the command installs and runs.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// The virtual environment schemathesis is installed into, under the workspace root.
const VENV: &str = "target/xtask/schemathesis-venv";
/// Where the server logs and schemathesis reports of each pass go, under the workspace root.
const OUTPUT: &str = "target/xtask/fuzz";
/// The schemathesis configuration: the few documented exceptions to "every check everywhere".
const CONFIG: &str = "xtask/schemathesis.toml";
/// Test cases per operation and phase when `--max-examples` is not given.
const DEFAULT_MAX_EXAMPLES: u32 = 20;
/// Slower answers than this fail the run: with the offline reasoner and bcrypt cost 4 every
/// operation answers in milliseconds, so seconds mean a hang, not a busy machine.
const MAX_RESPONSE_SECONDS: u32 = 5;
/// The password of the user each pass signs up (it passes the password policy).
const PASSWORD: &str = "Fuzz123!fuzz";

/// Options of `cargo xtask fuzz`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct FuzzArgs {
    /// Run only the pass on the embedded default (SQLite, in-process cache; no services needed).
    #[arg(long, conflicts_with = "postgres_only")]
    sqlite_only: bool,
    /// Run only the pass on PostgreSQL + Redis.
    #[arg(long)]
    postgres_only: bool,
    /// Test cases per operation in each phase (schemathesis --max-examples, at least 1).
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_MAX_EXAMPLES,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    max_examples: u32,
    /// Seed of the generated cases, to repeat a run (schemathesis prints the seed it used).
    #[arg(long, value_name = "SEED")]
    seed: Option<u64>,
    /// Test this server binary instead of building the release server of the working tree.
    #[arg(long, value_name = "PATH")]
    server_binary: Option<PathBuf>,
}

impl Default for FuzzArgs {
    /// What `cargo xtask ci` runs: both passes, the default number of cases, a random seed.
    fn default() -> Self {
        Self {
            sqlite_only: false,
            postgres_only: false,
            max_examples: DEFAULT_MAX_EXAMPLES,
            seed: None,
            server_binary: None,
        }
    }
}

impl FuzzArgs {
    fn backends(&self) -> Vec<Backend> {
        let mut backends = Vec::new();
        if !self.postgres_only {
            backends.push(Backend::Embedded);
        }
        if !self.sqlite_only {
            backends.push(Backend::Postgres);
        }
        backends
    }
}

/// Where a pass keeps its data, rate limits and cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    /// SQLite files in the server's temporary directory, in-process limits and cache.
    Embedded,
    /// Throw-away PostgreSQL databases, Redis under a key prefix of the run's own.
    Postgres,
}

impl Backend {
    fn title(self) -> &'static str {
        match self {
            Backend::Embedded => "embedded default (SQLite)",
            Backend::Postgres => "PostgreSQL + Redis",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Backend::Embedded => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// What one schemathesis run needs to be told.
#[derive(Debug)]
struct SchemathesisRun<'a> {
    config: &'a Path,
    address: SocketAddr,
    token: &'a str,
    max_examples: u32,
    seed: Option<u64>,
    report_dir: &'a Path,
}

/// How one pass ended.
struct PassOutcome {
    backend: Backend,
    duration: Duration,
    log: PathBuf,
    result: Result<()>,
}

/// Installs schemathesis if needed, builds the release server, runs the passes `args` asks for
/// and prints how long each took; fails when any pass failed.
pub fn run(root: &Path, args: &FuzzArgs) -> Result<()> {
    let schemathesis = install_schemathesis(root)?;
    let backends = args.backends();
    let services = if backends.contains(&Backend::Postgres) {
        let postgres_url = setting(POSTGRES_URL_VAR, DEFAULT_POSTGRES_URL);
        let redis_url = setting(REDIS_URL_VAR, DEFAULT_REDIS_URL);
        check_services(&postgres_url, &redis_url)?;
        Some((postgres_url, redis_url))
    } else {
        None
    };
    let binary = match &args.server_binary {
        Some(binary) => binary.clone(),
        None => build_release(root)?,
    };
    let output = root.join(OUTPUT);
    std::fs::create_dir_all(&output).with_context(|| format!("create {}", output.display()))?;
    let mut outcomes = Vec::new();
    for backend in backends {
        println!("\n==> fuzz pass: {}", backend.title());
        let started = Instant::now();
        let log = output.join(format!("{}-server.log", backend.slug()));
        let result = run_pass(
            &schemathesis,
            &binary,
            backend,
            services.as_ref(),
            args,
            root,
            &log,
        );
        outcomes.push(PassOutcome {
            backend,
            duration: started.elapsed(),
            log,
            result,
        });
    }
    println!("\nfuzz passes (schemathesis {SCHEMATHESIS_VERSION}):");
    for outcome in &outcomes {
        let verdict = if outcome.result.is_ok() {
            "passed"
        } else {
            "FAILED"
        };
        println!(
            "  {:<26} {verdict:<7} {:>7.1} s   server log {}",
            outcome.backend.title(),
            outcome.duration.as_secs_f64(),
            outcome.log.display()
        );
    }
    let failures: Vec<String> = outcomes
        .iter()
        .filter_map(|outcome| {
            outcome
                .result
                .as_ref()
                .err()
                .map(|error| format!("{}: {error:#}", outcome.backend.title()))
        })
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        bail!("the fuzz run failed:\n  {}", failures.join("\n  "))
    }
}

/// One pass: a fresh server on `backend`, a signed-in user, schemathesis, then the log's check.
fn run_pass(
    schemathesis: &Path,
    binary: &Path,
    backend: Backend,
    services: Option<&(String, String)>,
    args: &FuzzArgs,
    root: &Path,
    log: &Path,
) -> Result<()> {
    let output = root.join(OUTPUT);
    let run_id = new_run_id();
    let mut environment = server_environment();
    let mut databases = None;
    let mut redis = None;
    if backend == Backend::Postgres {
        let (postgres_url, redis_url) = services.context("no PostgreSQL and Redis URLs")?;
        let created = Databases::create(postgres_url, &format!("socrates_fz_{run_id}"))?;
        let key_prefix = format!("socrates-fz-{run_id}");
        environment.extend([
            ("DATABASE_AUTH_URL", created.url(&created.auth)),
            ("DATABASE_SPECS_URL", created.url(&created.specs)),
            ("REDIS_URL", redis_url.clone()),
            ("SOCRATES_REDIS__KEY_PREFIX", key_prefix.clone()),
        ]);
        databases = Some(created);
        redis = Some((redis_url.as_str(), key_prefix));
    }
    let report_dir = output.join(backend.slug());
    let _ = std::fs::remove_dir_all(&report_dir);
    std::fs::create_dir_all(&report_dir)
        .with_context(|| format!("create {}", report_dir.display()))?;
    let server = Server::start_logged(
        binary,
        &format!("fuzz-{}", backend.slug()),
        &environment,
        log,
    )?;
    println!("server log: {}", log.display());
    let fuzzed = sign_in(&server.address, &run_id).and_then(|token| {
        run_schemathesis(
            schemathesis,
            &SchemathesisRun {
                config: &root.join(CONFIG),
                address: server.address,
                token: &token,
                max_examples: args.max_examples,
                seed: args.seed,
                report_dir: &report_dir,
            },
        )
    });
    // Stopping the server flushes its log; the databases go after it.
    drop(server);
    drop(databases);
    if let Some((redis_url, key_prefix)) = redis
        && let Err(error) = sweep_redis(redis_url, &key_prefix)
    {
        eprintln!("warning: could not remove the Redis keys of {key_prefix}: {error:#}");
    }
    let text = std::fs::read_to_string(log)
        .with_context(|| format!("read the server log {}", log.display()))?;
    let panics = panic_lines(&text);
    let panicked = if panics.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "the server panicked ({} line(s) in {}):\n    {}",
            panics.len(),
            log.display(),
            panics.join("\n    ")
        ))
    };
    match (fuzzed, panicked) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(fuzzed), Ok(())) => Err(fuzzed),
        (Ok(()), Err(panicked)) => Err(panicked),
        (Err(fuzzed), Err(panicked)) => Err(fuzzed.context(format!("{panicked:#}"))),
    }
}

/// The settings every pass gives the server on top of its defaults.
fn server_environment() -> Vec<(&'static str, String)> {
    vec![
        // Registration and login hash passwords; cost 4 keeps them from dominating the run.
        ("SOCRATES_AUTH__BCRYPT_COST", "4".to_owned()),
        // One user sends every request and one address every login: lift the quotas so that
        // the operations are tested rather than the limiter. The limiter still runs on every
        // request and 429 stays in the document; it is tested by the server's own tests.
        (
            "SOCRATES_RATE_LIMIT__REQUESTS_PER_MINUTE",
            "1000000000".to_owned(),
        ),
        (
            "SOCRATES_RATE_LIMIT__AUTH_ATTEMPTS_PER_MINUTE",
            "1000000000".to_owned(),
        ),
    ]
}

/// Signs a user of this run up and in; returns its access token.
fn sign_in(address: &SocketAddr, run_id: &str) -> Result<String> {
    let credentials = format!(r#"{{"email":"fuzz-{run_id}@example.com","password":"{PASSWORD}"}}"#);
    let (status, body) = post_json(address, "/api/v1/auth/register", None, &credentials)?;
    if status != 201 {
        bail!("register answered {status}: {body}");
    }
    let (status, body) = post_json(address, "/api/v1/auth/login", None, &credentials)?;
    if status != 200 {
        bail!("login answered {status}: {body}");
    }
    json_string_field(&body, "access_token").context("login answered no access_token")
}

/// The arguments of `schemathesis` for `run`.
fn schemathesis_args(run: &SchemathesisRun<'_>) -> Vec<String> {
    let mut args = vec![
        "--config-file".to_owned(),
        run.config.display().to_string(),
        "run".to_owned(),
        format!("http://{}/openapi.json", run.address),
        // Every check runs, as the configuration file says (it also holds the one documented
        // exception); `--checks all` here would override that exception.
        "--phases".to_owned(),
        "examples,coverage,fuzzing,stateful".to_owned(),
        "--max-examples".to_owned(),
        run.max_examples.to_string(),
        "--max-response-time".to_owned(),
        MAX_RESPONSE_SECONDS.to_string(),
        "--header".to_owned(),
        format!("Authorization: Bearer {}", run.token),
        // Cases found by earlier runs are not replayed: each run stands on its own.
        "--generation-database".to_owned(),
        "none".to_owned(),
        "--report".to_owned(),
        "junit,ndjson".to_owned(),
        "--report-dir".to_owned(),
        run.report_dir.display().to_string(),
    ];
    if let Some(seed) = run.seed {
        args.extend(["--seed".to_owned(), seed.to_string()]);
    }
    args
}

/// Runs schemathesis with the terminal as its output; the token is left out of the printed
/// command line.
fn run_schemathesis(program: &Path, run: &SchemathesisRun<'_>) -> Result<()> {
    let mut command = Command::new(program);
    // schemathesis keeps state in `.schemathesis/` of its working directory: not the checkout.
    command
        .current_dir(run.report_dir)
        .args(schemathesis_args(run));
    let shown = process::display(&command).replace(run.token, "$TOKEN");
    println!("$ {shown}");
    let started = Instant::now();
    let status = command
        .status()
        .with_context(|| format!("could not start `{shown}`"))?;
    println!(
        "schemathesis took {:.1} s; reports in {}",
        started.elapsed().as_secs_f64(),
        run.report_dir.display()
    );
    if status.success() {
        Ok(())
    } else {
        bail!("schemathesis reported failures ({status}); see its output above")
    }
}

/// The lines of a server log that tell of a panic: the default hook's `panicked at` for one
/// outside a request, and the cause `panic at …` / `panic: …` logged for one a request caught.
fn panic_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|line| {
            line.contains("panicked") || line.contains("panic at ") || line.contains("panic: ")
        })
        .collect()
}

/// The virtual environment's schemathesis, made and installed from PyPI unless it already
/// holds [`SCHEMATHESIS_VERSION`].
fn install_schemathesis(root: &Path) -> Result<PathBuf> {
    let venv = root.join(VENV);
    let program = venv.join("bin/schemathesis");
    if installed_version(&program).as_deref() == Some(SCHEMATHESIS_VERSION) {
        return Ok(program);
    }
    if !process::is_on_path("python3") {
        bail!("python3 is not installed; it is needed to install schemathesis from PyPI");
    }
    println!(
        "installing schemathesis {SCHEMATHESIS_VERSION} into {}",
        venv.display()
    );
    if venv.exists() {
        std::fs::remove_dir_all(&venv).with_context(|| format!("remove {}", venv.display()))?;
    }
    process::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    process::run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--disable-pip-version-check",
        "--quiet",
        &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
    ]))?;
    match installed_version(&program) {
        Some(version) if version == SCHEMATHESIS_VERSION => Ok(program),
        other => bail!(
            "{} reports version {other:?} after installing {SCHEMATHESIS_VERSION}",
            program.display()
        ),
    }
}

/// The version `program --version` reports, if it runs.
fn installed_version(program: &Path) -> Option<String> {
    let output = Command::new(program).arg("--version").output().ok()?;
    if !output.status.success() {
        return None;
    }
    parse_version(&String::from_utf8_lossy(&output.stdout)).map(str::to_owned)
}

/// `4.32.5` from `schemathesis, version 4.32.5`.
fn parse_version(text: &str) -> Option<&str> {
    text.trim()
        .strip_prefix("schemathesis, version ")
        .map(str::trim)
}

/// Deletes the keys under `key_prefix` (rate limits and cached views of the pass).
fn sweep_redis(redis_url: &str, key_prefix: &str) -> Result<()> {
    if !process::is_on_path("redis-cli") {
        println!(
            "note: redis-cli is not on PATH; the keys under {key_prefix}: stay until they expire"
        );
        return Ok(());
    }
    let listed = process::output(Command::new("redis-cli").args([
        "-u",
        redis_url,
        "--scan",
        "--pattern",
        &format!("{key_prefix}:*"),
    ]))?;
    let keys: Vec<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .collect();
    for chunk in keys.chunks(500) {
        let mut command = Command::new("redis-cli");
        command.args(["-u", redis_url, "DEL"]).args(chunk);
        process::output(&mut command)?;
    }
    println!("removed {} Redis key(s) under {key_prefix}:", keys.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn parse_args(args: &[&str]) -> Result<FuzzArgs, clap::Error> {
        let mut command = vec!["fuzz"];
        command.extend_from_slice(args);
        match crate::parse(&command)? {
            crate::Command::Fuzz(args) => Ok(args),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn both_backends_by_default_and_flags_select_one() {
        let defaults = parse_args(&[]).unwrap();
        assert_eq!(defaults, FuzzArgs::default());
        assert_eq!(
            defaults.backends(),
            vec![Backend::Embedded, Backend::Postgres]
        );
        assert_eq!(
            parse_args(&["--sqlite-only"]).unwrap().backends(),
            vec![Backend::Embedded]
        );
        assert_eq!(
            parse_args(&["--postgres-only"]).unwrap().backends(),
            vec![Backend::Postgres]
        );
        let custom =
            parse_args(&["--max-examples", "5", "--seed", "42", "--max-examples", "7"]).unwrap();
        assert_eq!(custom.max_examples, 7);
        assert_eq!(custom.seed, Some(42));
    }

    #[test]
    fn contradictory_or_meaningless_options_are_rejected() {
        for bad in [
            &["--sqlite-only", "--postgres-only"][..],
            &["--max-examples", "0"],
            &["--max-examples", "x"],
            &["--seed", "-1"],
            &["--checks", "all"],
            &["extra"],
        ] {
            assert!(parse_args(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn schemathesis_runs_every_check_and_phase_with_the_token() {
        let report_dir = Path::new("/tmp/fuzz/sqlite");
        let run = SchemathesisRun {
            config: Path::new("/repo/xtask/schemathesis.toml"),
            address: SocketAddr::from(([127, 0, 0, 1], 8123)),
            token: "header.claims.signature",
            max_examples: 20,
            seed: None,
            report_dir,
        };
        let args = schemathesis_args(&run);
        assert_eq!(
            args[..4],
            [
                "--config-file",
                "/repo/xtask/schemathesis.toml",
                "run",
                "http://127.0.0.1:8123/openapi.json"
            ]
        );
        let value_of = |flag: &str| {
            let at = args.iter().position(|arg| arg == flag).unwrap();
            args[at + 1].as_str()
        };
        assert!(!args.contains(&"--checks".to_owned()));
        assert!(!args.contains(&"--exclude-checks".to_owned()));
        assert_eq!(value_of("--phases"), "examples,coverage,fuzzing,stateful");
        assert_eq!(value_of("--max-examples"), "20");
        assert_eq!(value_of("--max-response-time"), "5");
        assert_eq!(
            value_of("--header"),
            "Authorization: Bearer header.claims.signature"
        );
        assert_eq!(value_of("--report-dir"), "/tmp/fuzz/sqlite");
        assert!(!args.contains(&"--seed".to_owned()));
        let seeded = schemathesis_args(&SchemathesisRun {
            seed: Some(7),
            ..run
        });
        assert_eq!(seeded[seeded.len() - 2..], ["--seed", "7"]);
    }

    #[test]
    fn the_configuration_enables_every_check_and_switches_off_three_on_named_operations() {
        let config = include_str!("../schemathesis.toml");
        let settings: Vec<&str> = config
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect();
        assert_eq!(
            settings,
            [
                "[checks]",
                "enabled = true",
                "[[operations]]",
                "include-method = \"GET\"",
                r"include-path-regex = '^/api/v1/projects/\{project_id\}(/status|/export/(markdown|json|pdf|spec-kit|kiro|openspec|code))?$'",
                "checks.use_after_free.enabled = false",
                "[[operations]]",
                "include-method = \"POST\"",
                r"include-path-regex = '^/api/v1/auth/(register|change-password|password-reset/confirm)$'",
                "checks.negative_data_rejection.enabled = false",
                "[[operations]]",
                "include-method = \"POST\"",
                r"include-path-regex = '^/api/v1/learning/project/\{project_id\}/upload-document$'",
                "checks.positive_data_acceptance.enabled = false",
            ]
        );
    }

    #[test]
    fn the_quotas_are_lifted_but_the_limiter_stays_on() {
        let environment = server_environment();
        let value_of = |name: &str| {
            environment
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(
            value_of("SOCRATES_RATE_LIMIT__REQUESTS_PER_MINUTE"),
            Some("1000000000")
        );
        assert_eq!(
            value_of("SOCRATES_RATE_LIMIT__AUTH_ATTEMPTS_PER_MINUTE"),
            Some("1000000000")
        );
        assert_eq!(value_of("SOCRATES_RATE_LIMIT__ENABLED"), None);
    }

    #[test]
    fn the_installed_version_is_read_from_its_banner() {
        assert_eq!(
            parse_version("schemathesis, version 4.32.5\n"),
            Some("4.32.5")
        );
        assert_eq!(parse_version("pytest 8.0.0"), None);
        assert_eq!(parse_version(""), None);
    }

    #[test]
    fn panics_are_found_in_the_server_log_and_nothing_else_is() {
        let log = "\
{\"level\":\"WARN\",\"fields\":{\"message\":\"slow request\"}}
thread 'actix-rt|system:0|arbiter:1' panicked at crates/x/src/lib.rs:3:5:
{\"level\":\"ERROR\",\"fields\":{\"cause\":\"panic at crates/y.rs:1:1: boom\"}}
{\"level\":\"ERROR\",\"fields\":{\"cause\":\"panic: a panic without a message\"}}
{\"level\":\"ERROR\",\"fields\":{\"cause\":\"database is locked\"}}
";
        let lines = panic_lines(log);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].contains("panicked at"));
        assert!(panic_lines("all quiet\n").is_empty());
    }
}
