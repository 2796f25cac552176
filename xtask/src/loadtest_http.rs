//! `cargo xtask loadtest-http`: saturation of the authenticated hot paths with `wrk` — reads
//! of one project (the project, its status, a page of its facts) and project creation, 3:3:3:1
//! (`xtask/loadtest/socrates.lua`) — at several numbers of open connections, against the
//! release server on fresh PostgreSQL databases with Redis (rate limits and the view cache).
//!
//! Per run: throughput, p50/p95/p99/max, every kind of error, and the server's peak RSS; the
//! report goes to `target/loadtest-results/http-report.md`. The command fails on any error,
//! on a p99 of 1 s or more, or on a peak RSS of 100 MiB or more.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::bench::build_release;
use crate::bench_auth::{json_string_field, post_json};
use crate::loadtest::{Cache, Databases, RSS_LIMIT_MIB, count};
use crate::server::Server;
use crate::test_suite::{
    DEFAULT_POSTGRES_URL, DEFAULT_REDIS_URL, POSTGRES_URL_VAR, REDIS_URL_VAR, check_services,
    new_run_id, setting,
};

const SCRIPT: &str = "xtask/loadtest/socrates.lua";
const P99_LIMIT_MS: f64 = 1000.0;

/// The options of one `cargo xtask loadtest-http`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Options {
    /// Numbers of open connections (comma-separated), each run on a fresh server.
    #[arg(
        long,
        value_name = "N,N...",
        value_delimiter = ',',
        default_value = "256,1000",
        value_parser = count::<u32>,
        action = clap::ArgAction::Set
    )]
    connections: Vec<u32>,
    /// Seconds wrk runs at each number of connections (at least 1).
    #[arg(
        long,
        value_name = "S",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    seconds: u64,
    /// Where the server keeps its rate limits and cache.
    #[arg(long, value_enum, default_value_t = Cache::Redis)]
    cache: Cache,
    /// Load this server binary instead of building the release server of the working tree
    /// (to compare a build of another commit on the same machine).
    #[arg(long, value_name = "PATH")]
    server_binary: Option<PathBuf>,
}

impl Options {
    fn redis(&self) -> bool {
        self.cache == Cache::Redis
    }
}

/// What the Lua script prints after `RESULT `.
#[derive(Debug, Deserialize)]
pub(crate) struct WrkResult {
    pub(crate) requests: u64,
    pub(crate) duration_us: u64,
    pub(crate) connect: u64,
    pub(crate) read: u64,
    pub(crate) write: u64,
    pub(crate) timeout: u64,
    pub(crate) status: u64,
    pub(crate) p50_us: u64,
    pub(crate) p95_us: u64,
    pub(crate) p99_us: u64,
    pub(crate) max_us: u64,
}

impl WrkResult {
    pub(crate) fn errors(&self) -> u64 {
        self.connect + self.read + self.write + self.timeout + self.status
    }
}

struct Outcome {
    connections: u32,
    result: WrkResult,
    peak_rss_kib: Option<u64>,
}

/// Runs every connection count against a fresh server and reports.
pub fn run(root: &Path, options: &Options) -> Result<()> {
    if !crate::process::is_on_path("wrk") {
        bail!("wrk is not installed (Debian: apt-get install wrk)");
    }
    let postgres_url = setting(POSTGRES_URL_VAR, DEFAULT_POSTGRES_URL);
    let redis_url = setting(REDIS_URL_VAR, DEFAULT_REDIS_URL);
    check_services(&postgres_url, &redis_url)?;
    let binary = match &options.server_binary {
        Some(binary) => binary.clone(),
        None => build_release(root)?,
    };
    let mut outcomes = Vec::new();
    for &connections in &options.connections {
        let run_id = new_run_id();
        let databases = Databases::create(&postgres_url, &format!("socrates_lt_{run_id}"))?;
        let mut environment = vec![
            ("DATABASE_AUTH_URL", databases.url(&databases.auth)),
            ("DATABASE_SPECS_URL", databases.url(&databases.specs)),
            ("SOCRATES_AUTH__BCRYPT_COST", "4".to_owned()),
            // One user sends everything: measure the handlers, not the quota (the limiter
            // still runs on every request).
            (
                "SOCRATES_RATE_LIMIT__REQUESTS_PER_MINUTE",
                "1000000000".to_owned(),
            ),
            (
                "SOCRATES_REDIS__KEY_PREFIX",
                format!("socrates-lt-{run_id}"),
            ),
        ];
        if options.redis() {
            environment.push(("REDIS_URL", redis_url.clone()));
        }
        let server = Server::start(
            &binary,
            &format!("loadtest-http-{connections}"),
            &environment,
        )?;
        let (token, project) = prepare(&server.address)?;
        let result = wrk(
            root,
            SCRIPT,
            &server.address,
            connections,
            options.seconds,
            &[("SOCRATES_TOKEN", &token), ("SOCRATES_PROJECT", &project)],
        )?;
        let peak_rss_kib = server.peak_rss_kib();
        drop(server);
        drop(databases);
        outcomes.push(Outcome {
            connections,
            result,
            peak_rss_kib,
        });
    }
    let report = report(options, &outcomes);
    print!("\n{report}");
    let results = root.join("target/loadtest-results");
    std::fs::create_dir_all(&results)?;
    let path = results.join("http-report.md");
    std::fs::write(&path, &report)?;
    println!("\nwritten to {}", path.display());
    let failures: Vec<String> = outcomes.iter().flat_map(failures).collect();
    if failures.is_empty() {
        Ok(())
    } else {
        bail!(
            "the HTTP load test missed its targets:\n  {}",
            failures.join("\n  ")
        )
    }
}

/// Runs wrk with `script` (which prints a `RESULT {json}` line) against `address` for
/// `seconds` at `connections` open connections, with `environment` for the script.
pub(crate) fn wrk(
    root: &Path,
    script: &str,
    address: &SocketAddr,
    connections: u32,
    seconds: u64,
    environment: &[(&str, &str)],
) -> Result<WrkResult> {
    println!("\n$ wrk -t2 -c{connections} -d{seconds}s --timeout 10s -s {script} http://{address}");
    let output = Command::new("wrk")
        .current_dir(root)
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--timeout",
            "10s",
            "-s",
            script,
            &format!("http://{address}"),
        ])
        .envs(environment.iter().copied())
        .stderr(Stdio::inherit())
        .output()
        .context("run wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    print!("{text}");
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .with_context(|| format!("wrk printed no RESULT line:\n{text}"))?;
    serde_json::from_str(line).context("parse wrk's RESULT line")
}

/// Signs a user up and in, creates the project the reads go to and gives it a dozen facts;
/// returns the token and the project id.
fn prepare(address: &SocketAddr) -> Result<(String, String)> {
    let credentials = r#"{"email":"wrk@example.com","password":"Load123!wrk"}"#;
    let (status, body) = post_json(address, "/api/v1/auth/register", None, credentials)?;
    if status != 201 {
        bail!("register answered {status}: {body}");
    }
    let (status, body) = post_json(address, "/api/v1/auth/login", None, credentials)?;
    if status != 200 {
        bail!("login answered {status}: {body}");
    }
    let token = json_string_field(&body, "access_token").context("access_token")?;
    let (status, body) = post_json(
        address,
        "/api/v1/projects",
        Some(&token),
        r#"{"name":"Read under load"}"#,
    )?;
    if status != 201 {
        bail!("project creation answered {status}: {body}");
    }
    let project = json_string_field(&body, "project_id").context("project_id")?;
    for (category, key, value) in [
        ("goals", "project_type", "web app"),
        ("goals", "target_audience", "dog walkers"),
        ("tech_stack", "primary_language", "Rust"),
        ("tech_stack", "primary_database", "PostgreSQL"),
        ("tech_stack", "frontend_framework", "React"),
        ("deployment", "cloud_provider", "AWS"),
        ("deployment", "container_platform", "Kubernetes"),
        ("security", "authentication_method", "OAuth2"),
        ("scalability", "expected_users", "10000"),
        ("performance", "response_time_p95", "200 ms"),
        ("testing", "unit_test_coverage", "80%"),
        ("monitoring", "metrics_system", "Prometheus"),
    ] {
        let fact = format!(
            r#"{{"project_id":"{project}","category":"{category}","key":"{key}","value":"{value}"}}"#
        );
        let (status, body) = post_json(address, "/api/v1/specifications", Some(&token), &fact)?;
        if status != 201 {
            bail!("adding {key} answered {status}: {body}");
        }
    }
    Ok((token, project))
}

fn report(options: &Options, outcomes: &[Outcome]) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# HTTP saturation (wrk, {} s per run, cache in {})\n",
        options.seconds,
        if options.redis() { "Redis" } else { "memory" }
    );
    let _ = writeln!(
        text,
        "Reads of one project (project, status, 20 facts) and project creation, 3:3:3:1, one user.\n"
    );
    let _ = writeln!(
        text,
        "| connections | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors (connect/read/write/timeout/status) | server peak RSS |"
    );
    let _ = writeln!(text, "|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    for outcome in outcomes {
        let r = &outcome.result;
        let seconds = r.duration_us as f64 / 1e6;
        let _ = writeln!(
            text,
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {} ({}/{}/{}/{}/{}) | {} |",
            outcome.connections,
            r.requests,
            r.requests as f64 / seconds,
            r.p50_us as f64 / 1000.0,
            r.p95_us as f64 / 1000.0,
            r.p99_us as f64 / 1000.0,
            r.max_us as f64 / 1000.0,
            r.errors(),
            r.connect,
            r.read,
            r.write,
            r.timeout,
            r.status,
            outcome
                .peak_rss_kib
                .map_or("unknown".to_owned(), |kib| format!(
                    "{:.1} MiB",
                    kib as f64 / 1024.0
                )),
        );
    }
    text
}

fn failures(outcome: &Outcome) -> Vec<String> {
    let mut failures = Vec::new();
    let r = &outcome.result;
    let c = outcome.connections;
    if r.errors() > 0 {
        failures.push(format!("c={c}: {} errors", r.errors()));
    }
    if r.requests == 0 {
        failures.push(format!("c={c}: no request completed"));
    }
    let p99 = r.p99_us as f64 / 1000.0;
    if p99 >= P99_LIMIT_MS {
        failures.push(format!("c={c}: p99 {p99:.0} ms ≥ {P99_LIMIT_MS:.0} ms"));
    }
    if let Some(kib) = outcome.peak_rss_kib {
        let mib = kib as f64 / 1024.0;
        if mib >= RSS_LIMIT_MIB {
            failures.push(format!(
                "c={c}: peak RSS {mib:.1} MiB ≥ {RSS_LIMIT_MIB:.0} MiB"
            ));
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn parse_options(args: &[&str]) -> Result<Options, clap::Error> {
        let mut command = vec!["loadtest-http"];
        command.extend_from_slice(args);
        match crate::parse(&command)? {
            crate::Command::LoadtestHttp(options) => Ok(options),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn options_default_to_256_and_1000_connections_and_reject_nonsense() {
        let defaults = parse_options(&[]).unwrap();
        assert_eq!(defaults.connections, vec![256, 1000]);
        assert_eq!(defaults.seconds, 30);
        assert!(defaults.redis());
        let custom =
            parse_options(&["--connections", "64", "--cache", "memory", "--seconds", "5"]).unwrap();
        assert_eq!(custom.connections, vec![64]);
        assert_eq!(custom.seconds, 5);
        assert!(!custom.redis());
        let spaced = parse_options(&["--connections", "8, 16", "--connections", "32"]).unwrap();
        assert_eq!(spaced.connections, vec![32]);
        for bad in [
            &["--connections", "0"][..],
            &["--connections", "8,x"],
            &["--connections", ""],
            &["--seconds", "0"],
            &["--cache", "disk"],
            &["--bogus"],
        ] {
            assert!(parse_options(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_script_result_line_parses_and_errors_fail_the_run() {
        let result: WrkResult = serde_json::from_str(
            r#"{"requests":100,"duration_us":1000000,"connect":0,"read":0,"write":0,"timeout":1,"status":2,"p50_us":900,"p95_us":2000,"p99_us":1200000,"max_us":1500000}"#,
        )
        .unwrap();
        assert_eq!(result.errors(), 3);
        let failures = failures(&Outcome {
            connections: 1000,
            result,
            peak_rss_kib: Some(200 * 1024),
        });
        assert_eq!(failures.len(), 3, "{failures:?}");
    }
}
