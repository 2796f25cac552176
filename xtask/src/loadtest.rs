//! `cargo xtask loadtest`: the Socrates journey under load, with goose (`xtask/loadtest/`).
//!
//! For each plan — paced virtual users (one step about every `--pause-ms`), then a saturation
//! run without pauses — a fresh release server is started on fresh PostgreSQL databases (and
//! Redis for the rate limits unless `--cache memory`), with the offline reasoner. The load
//! generator is the goose program, whose per-step figures (p50/p95/p99 from goose's
//! microsecond histograms) are collected into one report, with the server's peak RSS and CPU
//! time. The run fails when a paced plan has a non-login step over `--p95-target-ms` at p95
//! (20 ms, the production-readiness target), when any plan has an error, or when the server's
//! peak RSS reaches 100 MiB.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::bench::build_release;
use crate::lint::LOADTEST_MANIFEST;
use crate::process;
use crate::server::Server;
use crate::test_suite::{
    DEFAULT_POSTGRES_URL, DEFAULT_REDIS_URL, POSTGRES_URL_VAR, REDIS_URL_VAR, check_services,
    drop_database_statement, new_run_id, psql, setting,
};

/// The server's resident memory budget under any load plan.
pub(crate) const RSS_LIMIT_MIB: f64 = 100.0;

/// Steps that hash a password: reported, but outside the latency target.
const LOGIN_STEPS: [&str; 2] = ["POST register", "POST login"];

/// The command line of `cargo xtask loadtest`.
#[derive(Debug, clap::Args)]
pub struct LoadtestArgs {
    /// The paced plans, one per number of virtual users (comma-separated), each a user's step
    /// about every --pause-ms.
    #[arg(
        long,
        value_name = "N,N...",
        value_delimiter = ',',
        default_value = "200,1000",
        value_parser = count::<usize>,
        action = clap::ArgAction::Set
    )]
    users: Vec<usize>,
    /// Seconds each paced plan runs, the start of the users included (at least 1).
    #[arg(
        long,
        value_name = "S",
        default_value_t = 90,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    run_time: u64,
    /// A user's mean pause between two steps of a paced plan, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pause_ms: u64,
    /// Users started per second (at least 1).
    #[arg(
        long,
        value_name = "R",
        default_value_t = 50,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    increase_rate: u32,
    /// Users of the saturation plan, run without pauses after the paced plans.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 50,
        value_parser = count::<usize>,
        overrides_with = "no_saturation"
    )]
    saturation_users: usize,
    /// Skip the saturation plan (the later of this and --saturation-users wins).
    #[arg(long, overrides_with = "saturation_users")]
    no_saturation: bool,
    /// Seconds the saturation plan runs (at least 1).
    #[arg(
        long,
        value_name = "S",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    saturation_seconds: u64,
    /// The server's bcrypt cost for the users' sign-up (4 to 31).
    #[arg(
        long,
        value_name = "C",
        default_value_t = 4,
        value_parser = clap::value_parser!(u32).range(4..=31)
    )]
    bcrypt_cost: u32,
    /// Where the server keeps its rate limits and cache.
    #[arg(long, value_enum, default_value_t = Cache::Redis)]
    cache: Cache,
    /// The p95 every non-login step of a paced plan must stay under, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 20.0)]
    p95_target_ms: f64,
    /// Load this server binary instead of building the release server of the working tree
    /// (to compare a build of another commit on the same machine).
    #[arg(long, value_name = "PATH")]
    server_binary: Option<PathBuf>,
}

/// `--cache`: where the server under load keeps its rate limits and cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Cache {
    /// Redis, at SOCRATES_TEST_REDIS_URL.
    Redis,
    /// The server's memory (no REDIS_URL).
    Memory,
}

/// A count of at least one, surrounding spaces allowed (`--users "10, 20"`).
pub(crate) fn count<T>(value: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialEq + From<u8>,
{
    match value.trim().parse::<T>() {
        Ok(number) if number == T::from(0) => Err("at least 1 is needed".to_owned()),
        Ok(number) => Ok(number),
        Err(_) => Err(format!("`{value}` is not a number")),
    }
}

/// The options of one `cargo xtask loadtest`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// The paced plans, by number of users.
    pub users: Vec<usize>,
    /// Seconds each plan runs, the start of the users included.
    pub run_time: u64,
    /// Users started per second.
    pub increase_rate: u32,
    /// A user's mean pause between two steps.
    pub pause_ms: u64,
    /// Users of the saturation plan (no pauses); `None` skips it.
    pub saturation_users: Option<usize>,
    /// Seconds the saturation plan runs.
    pub saturation_seconds: u64,
    /// The server's bcrypt cost for the users' sign-up.
    pub bcrypt_cost: u32,
    /// Rate limits and cache in Redis (`true`) or in the server's memory.
    pub redis: bool,
    /// The p95 every non-login step of a paced plan must stay under.
    pub p95_target_ms: f64,
    /// A server binary to load instead of the working tree's release build.
    pub server_binary: Option<PathBuf>,
}

impl From<LoadtestArgs> for LoadOptions {
    fn from(args: LoadtestArgs) -> Self {
        Self {
            users: args.users,
            run_time: args.run_time,
            increase_rate: args.increase_rate,
            pause_ms: args.pause_ms,
            saturation_users: (!args.no_saturation).then_some(args.saturation_users),
            saturation_seconds: args.saturation_seconds,
            bcrypt_cost: args.bcrypt_cost,
            redis: args.cache == Cache::Redis,
            p95_target_ms: args.p95_target_ms,
            server_binary: args.server_binary,
        }
    }
}

/// One run of the goose program against one fresh server.
#[derive(Debug, Clone, PartialEq)]
struct Plan {
    name: String,
    users: usize,
    pause_ms: u64,
    run_time: u64,
}

impl LoadOptions {
    fn plans(&self) -> Vec<Plan> {
        let mut plans: Vec<Plan> = self
            .users
            .iter()
            .map(|&users| Plan {
                name: format!("paced-{users}"),
                users,
                pause_ms: self.pause_ms,
                run_time: self.run_time,
            })
            .collect();
        if let Some(users) = self.saturation_users {
            plans.push(Plan {
                name: format!("saturation-{users}"),
                users,
                pause_ms: 0,
                run_time: self.saturation_seconds,
            });
        }
        plans
    }
}

/// What the goose program writes with `--summary`.
#[derive(Debug, Deserialize)]
struct RunSummary {
    users: usize,
    pause_ms: u64,
    duration_seconds: usize,
    requests: usize,
    errors: usize,
    requests_per_second: f64,
    transaction_errors: usize,
    steps: Vec<StepSummary>,
}

#[derive(Debug, Deserialize)]
struct StepSummary {
    step: String,
    requests: usize,
    errors: usize,
    mean_ms: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// A plan's figures with what the server used.
struct Outcome {
    plan: Plan,
    summary: RunSummary,
    peak_rss_kib: Option<u64>,
    cpu_seconds: Option<f64>,
}

/// Builds both programs, runs every plan and reports.
pub fn run(root: &Path, options: &LoadOptions) -> Result<()> {
    if options.users.is_empty() && options.saturation_users.is_none() {
        bail!("nothing to run: no paced plan and --no-saturation");
    }
    let postgres_url = setting(POSTGRES_URL_VAR, DEFAULT_POSTGRES_URL);
    let redis_url = setting(REDIS_URL_VAR, DEFAULT_REDIS_URL);
    check_services(&postgres_url, &redis_url)?;
    let server = match &options.server_binary {
        Some(binary) => binary.clone(),
        None => build_release(root)?,
    };
    let goose = build_goose(root)?;
    let results = root.join("target/loadtest-results");
    std::fs::create_dir_all(&results)?;

    let mut outcomes = Vec::new();
    for plan in options.plans() {
        println!(
            "\n==> {}: {} users, pause {} ms, {} s",
            plan.name, plan.users, plan.pause_ms, plan.run_time
        );
        outcomes.push(run_plan(
            &server,
            &goose,
            &results,
            &plan,
            options,
            &postgres_url,
            &redis_url,
        )?);
    }
    let report = report(options, &outcomes);
    print!("\n{report}");
    let report_path = results.join("report.md");
    std::fs::write(&report_path, &report)?;
    println!("\nwritten to {}", report_path.display());
    let failures = failures(options, &outcomes);
    if failures.is_empty() {
        Ok(())
    } else {
        bail!(
            "the load test missed its targets:\n  {}",
            failures.join("\n  ")
        )
    }
}

/// Lints (warnings denied) and builds the goose program in its own workspace; returns its path.
fn build_goose(root: &Path) -> Result<PathBuf> {
    let target = root.join("target/loadtest");
    let target_dir = target.display().to_string();
    let common = [
        "--release",
        "--locked",
        "--manifest-path",
        LOADTEST_MANIFEST,
        "--target-dir",
        &target_dir,
    ];
    process::run(
        process::cargo(root)
            .arg("clippy")
            .args(common)
            .args(["--", "-D", "warnings"]),
    )?;
    process::run(process::cargo(root).arg("build").args(common))?;
    Ok(target.join("release/socrates-loadtest"))
}

#[allow(
    clippy::too_many_arguments,
    reason = "one plan's run needs both programs, both services and where to write"
)]
fn run_plan(
    server_binary: &Path,
    goose: &Path,
    results: &Path,
    plan: &Plan,
    options: &LoadOptions,
    postgres_url: &str,
    redis_url: &str,
) -> Result<Outcome> {
    let run_id = new_run_id();
    let databases = Databases::create(postgres_url, &format!("socrates_lt_{run_id}"))?;
    let mut environment = vec![
        ("DATABASE_AUTH_URL", databases.url(&databases.auth)),
        ("DATABASE_SPECS_URL", databases.url(&databases.specs)),
        (
            "SOCRATES_AUTH__BCRYPT_COST",
            options.bcrypt_cost.to_string(),
        ),
        // The load generator is a trusted proxy: each virtual user's X-Forwarded-For address
        // is its own, so the per-address sign-up limits apply per user as in production.
        (
            "SOCRATES_HTTP__TRUSTED_PROXIES",
            "[\"127.0.0.1\"]".to_owned(),
        ),
    ];
    if options.redis {
        environment.push(("REDIS_URL", redis_url.to_owned()));
    }
    if plan.pause_ms == 0 {
        // Without pauses one user sends far more than a person's quota: measure the server,
        // not the limiter (which still runs on every request).
        environment.push((
            "SOCRATES_RATE_LIMIT__REQUESTS_PER_MINUTE",
            "1000000000".to_owned(),
        ));
    }
    let server = Server::start(
        server_binary,
        &format!("loadtest-{}", plan.name),
        &environment,
    )?;
    let summary_path = results.join(format!("{}.json", plan.name));
    let report_path = results.join(format!("{}.html", plan.name));
    let _ = std::fs::remove_file(&summary_path);
    let cpu_before = server.cpu_seconds();
    let started = Instant::now();
    let mut command = Command::new(goose);
    command.args([
        "--host",
        &format!("http://{}", server.address),
        "--users",
        &plan.users.to_string(),
        "--increase-rate",
        &options.increase_rate.to_string(),
        "--run-time",
        &format!("{}s", plan.run_time),
        "--pause-ms",
        &plan.pause_ms.to_string(),
        "--email-prefix",
        &format!("lt{run_id}"),
        "--summary",
        &summary_path.display().to_string(),
        "--report-file",
        &report_path.display().to_string(),
        "--no-reset-metrics",
        "--no-print-metrics",
        "--timeout",
        "10",
        "--quiet",
    ]);
    process::run(&mut command)?;
    let elapsed = started.elapsed();
    let peak_rss_kib = server.peak_rss_kib();
    let cpu_seconds = match (cpu_before, server.cpu_seconds()) {
        (Some(before), Some(after)) => Some(after - before),
        _ => None,
    };
    drop(server);
    drop(databases);
    let text = std::fs::read_to_string(&summary_path)
        .with_context(|| format!("read {}", summary_path.display()))?;
    let summary: RunSummary =
        serde_json::from_str(&text).with_context(|| format!("parse {}", summary_path.display()))?;
    println!(
        "{}: {:.0} s wall, server CPU {}",
        plan.name,
        elapsed.as_secs_f64(),
        cpu_seconds.map_or("unknown".to_owned(), |cpu| format!("{cpu:.1} s"))
    );
    Ok(Outcome {
        plan: plan.clone(),
        summary,
        peak_rss_kib,
        cpu_seconds,
    })
}

/// The run's two databases on the local PostgreSQL, dropped on drop.
pub(crate) struct Databases {
    admin_url: String,
    pub(crate) auth: String,
    pub(crate) specs: String,
}

impl Databases {
    /// Creates `<prefix>_auth` and `<prefix>_specs` on the server of `admin_url`.
    pub(crate) fn create(admin_url: &str, prefix: &str) -> Result<Self> {
        let databases = Self {
            admin_url: admin_url.to_owned(),
            auth: format!("{prefix}_auth"),
            specs: format!("{prefix}_specs"),
        };
        for name in [&databases.auth, &databases.specs] {
            process::run(&mut psql(admin_url, &format!("CREATE DATABASE \"{name}\"")))?;
        }
        Ok(databases)
    }

    /// The server's URL of database `name`. On loopback TLS only costs CPU (a third of the
    /// saturation throughput, measured), so it is off unless the admin URL sets `sslmode`.
    pub(crate) fn url(&self, name: &str) -> String {
        let url = with_database(&self.admin_url, name);
        if url.contains("sslmode=") {
            url
        } else if url.contains('?') {
            format!("{url}&sslmode=disable")
        } else {
            format!("{url}?sslmode=disable")
        }
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        for name in [&self.auth, &self.specs] {
            let mut command = psql(&self.admin_url, &drop_database_statement(name));
            if let Err(error) = process::run(&mut command) {
                eprintln!("warning: could not drop {name}: {error:#}");
            }
        }
    }
}

/// `url` with its database replaced by `name` (the query string kept).
fn with_database(url: &str, name: &str) -> String {
    let (without_query, query) = url
        .split_once('?')
        .map_or((url, None), |(a, b)| (a, Some(b)));
    let authority_start = without_query.find("://").map_or(0, |index| index + 3);
    let base = match without_query[authority_start..].find('/') {
        Some(slash) => &without_query[..authority_start + slash],
        None => without_query,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// The Markdown report of every plan.
fn report(options: &LoadOptions, outcomes: &[Outcome]) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Load test: the journey (release build, PostgreSQL{}, offline reasoner)\n",
        if options.redis { " + Redis" } else { "" }
    );
    let _ = writeln!(
        text,
        "Sign-up at bcrypt cost {}; users started at {} per second; target: every non-login step p95 < {} ms on the paced plans, no errors, server peak RSS < {RSS_LIMIT_MIB:.0} MiB.\n",
        options.bcrypt_cost, options.increase_rate, options.p95_target_ms
    );
    for outcome in outcomes {
        let summary = &outcome.summary;
        let _ = writeln!(
            text,
            "## {} — {} users, pause {} ms, {} s\n\n{} requests, {:.1} req/s, {} failed requests, {} failed steps; server peak RSS {}, server CPU {}\n",
            outcome.plan.name,
            summary.users,
            summary.pause_ms,
            summary.duration_seconds,
            summary.requests,
            summary.requests_per_second,
            summary.errors,
            summary.transaction_errors,
            outcome
                .peak_rss_kib
                .map_or("unknown".to_owned(), |kib| format!(
                    "{:.1} MiB",
                    kib as f64 / 1024.0
                )),
            outcome
                .cpu_seconds
                .map_or("unknown".to_owned(), |cpu| format!("{cpu:.1} s")),
        );
        let _ = writeln!(
            text,
            "| step | requests | errors | mean ms | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|---:|---:|"
        );
        for step in &summary.steps {
            let _ = writeln!(
                text,
                "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
                step.step,
                step.requests,
                step.errors,
                step.mean_ms,
                step.p50_ms,
                step.p95_ms,
                step.p99_ms,
                step.max_ms
            );
        }
        text.push('\n');
    }
    text
}

/// Every target a plan missed.
fn failures(options: &LoadOptions, outcomes: &[Outcome]) -> Vec<String> {
    let mut failures = Vec::new();
    for outcome in outcomes {
        let summary = &outcome.summary;
        if summary.errors > 0 || summary.transaction_errors > 0 {
            failures.push(format!(
                "{}: {} failed requests, {} failed steps (see target/loadtest-results/{}.html)",
                outcome.plan.name, summary.errors, summary.transaction_errors, outcome.plan.name
            ));
        }
        if summary.requests == 0 {
            failures.push(format!("{}: no request was made", outcome.plan.name));
        }
        if let Some(mib) = outcome.peak_rss_kib.map(|kib| kib as f64 / 1024.0)
            && mib >= RSS_LIMIT_MIB
        {
            failures.push(format!(
                "{}: server peak RSS {mib:.1} MiB ≥ {RSS_LIMIT_MIB:.0} MiB",
                outcome.plan.name
            ));
        }
        if outcome.plan.pause_ms == 0 {
            continue;
        }
        for step in &summary.steps {
            if !LOGIN_STEPS.contains(&step.step.as_str()) && step.p95_ms >= options.p95_target_ms {
                failures.push(format!(
                    "{}: {} p95 {:.2} ms ≥ {} ms",
                    outcome.plan.name, step.step, step.p95_ms, options.p95_target_ms
                ));
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_options(args: &[&str]) -> Result<LoadOptions, clap::Error> {
        let mut command = vec!["loadtest"];
        command.extend_from_slice(args);
        match crate::parse(&command)? {
            crate::Command::Loadtest(args) => Ok(args.into()),
            other => panic!("{other:?}"),
        }
    }

    fn defaults() -> LoadOptions {
        parse_options(&[]).unwrap()
    }

    #[test]
    fn the_default_runs_200_and_1000_paced_users_then_saturation() {
        let options = defaults();
        assert_eq!(
            options,
            LoadOptions {
                users: vec![200, 1000],
                run_time: 90,
                increase_rate: 50,
                pause_ms: 1000,
                saturation_users: Some(50),
                saturation_seconds: 30,
                bcrypt_cost: 4,
                redis: true,
                p95_target_ms: 20.0,
                server_binary: None,
            }
        );
        let plans = options.plans();
        let names: Vec<&str> = plans.iter().map(|plan| plan.name.as_str()).collect();
        assert_eq!(names, ["paced-200", "paced-1000", "saturation-50"]);
        assert_eq!(plans[2].pause_ms, 0);
    }

    #[test]
    fn options_are_parsed_and_bad_ones_rejected() {
        let options = parse_options(&[
            "--users",
            "10, 20",
            "--run-time",
            "5",
            "--no-saturation",
            "--cache",
            "memory",
            "--pause-ms",
            "0",
            "--saturation-seconds",
            "7",
            "--increase-rate",
            "3",
            "--bcrypt-cost",
            "31",
            "--p95-target-ms",
            "2.5",
        ])
        .unwrap();
        assert_eq!(
            options,
            LoadOptions {
                users: vec![10, 20],
                run_time: 5,
                increase_rate: 3,
                pause_ms: 0,
                saturation_users: None,
                saturation_seconds: 7,
                bcrypt_cost: 31,
                redis: false,
                p95_target_ms: 2.5,
                server_binary: None,
            }
        );
        for bad in [
            &["--users", "0"][..],
            &["--users", "10,0"],
            &["--users", "ten"],
            &["--users", "10,,20"],
            &["--users", ""],
            &["--saturation-users", "0"],
            &["--cache", "disk"],
            &["--bcrypt-cost", "3"],
            &["--bcrypt-cost", "32"],
            &["--run-time", "0"],
            &["--saturation-seconds", "0"],
            &["--increase-rate", "0"],
            &["--p95-target-ms", "fast"],
            &["--users"],
            &["--frobnicate"],
        ] {
            assert!(parse_options(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_last_of_repeated_or_opposite_options_wins() {
        let options = parse_options(&["--users", "1,2", "--users", "3"]).unwrap();
        assert_eq!(options.users, [3]);
        let options = parse_options(&["--saturation-users", "9", "--no-saturation"]).unwrap();
        assert_eq!(options.saturation_users, None);
        let options = parse_options(&["--no-saturation", "--saturation-users", "9"]).unwrap();
        assert_eq!(options.saturation_users, Some(9));
        let options = parse_options(&["--cache", "memory", "--cache", "redis"]).unwrap();
        assert!(options.redis);
    }

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@host/db?sslmode=disable", "y"),
            "postgres://u:p@host/y?sslmode=disable"
        );
        assert_eq!(with_database("postgres://host", "z"), "postgres://host/z");
    }

    fn outcome(pause_ms: u64, step: &str, p95_ms: f64, errors: usize) -> Outcome {
        Outcome {
            plan: Plan {
                name: "plan".to_owned(),
                users: 1,
                pause_ms,
                run_time: 1,
            },
            summary: RunSummary {
                users: 1,
                pause_ms,
                duration_seconds: 1,
                requests: 1,
                errors,
                requests_per_second: 1.0,
                transaction_errors: 0,
                steps: vec![StepSummary {
                    step: step.to_owned(),
                    requests: 1,
                    errors,
                    mean_ms: p95_ms,
                    p50_ms: p95_ms,
                    p95_ms,
                    p99_ms: p95_ms,
                    max_ms: p95_ms,
                }],
            },
            peak_rss_kib: None,
            cpu_seconds: None,
        }
    }

    #[test]
    fn slow_non_login_steps_of_paced_plans_and_any_error_fail_the_run() {
        let options = defaults();
        assert!(failures(&options, &[outcome(1000, "POST answer", 19.9, 0)]).is_empty());
        assert_eq!(
            failures(&options, &[outcome(1000, "POST answer", 20.0, 0)]).len(),
            1
        );
        // Logins hash a password and saturation has no latency target.
        assert!(failures(&options, &[outcome(1000, "POST login", 400.0, 0)]).is_empty());
        assert!(failures(&options, &[outcome(0, "POST answer", 400.0, 0)]).is_empty());
        assert_eq!(
            failures(&options, &[outcome(0, "POST answer", 1.0, 2)]).len(),
            1
        );
    }

    #[test]
    fn a_server_peak_rss_of_100_mib_fails_any_plan() {
        let options = defaults();
        let with_rss = |pause_ms, kib| Outcome {
            peak_rss_kib: Some(kib),
            ..outcome(pause_ms, "POST answer", 1.0, 0)
        };
        assert!(failures(&options, &[with_rss(1000, 99 * 1024)]).is_empty());
        let failed = failures(&options, &[with_rss(0, 100 * 1024)]);
        assert_eq!(failed.len(), 1);
        assert!(failed[0].contains("peak RSS 100.0 MiB"), "{failed:?}");
    }
}
