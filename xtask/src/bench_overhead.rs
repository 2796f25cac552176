//! `cargo xtask bench-overhead`: what one request costs us, measured against the machine.
//!
//! The yardstick is a bare actix-web app on the same machine that verifies the same HS256
//! access token and answers a small static JSON body (`crates/socrates-api/examples/floor.rs`):
//! no route of ours can be cheaper. In one run, wrk loads that floor and then our
//! `GET /api/v1/auth/me` on the embedded default (SQLite files, in-process cache, offline
//! reasoner) with the request quota lifted, at the same number of connections; the report is
//! our throughput as a share of the floor's. The same server then takes `POST /api/v1/projects`
//! at 64 connections — every write serialised by SQLite — and its p99 is reported. The run
//! fails when the share is below the target, the write p99 reaches 100 ms, or the server's
//! peak RSS reaches 100 MiB. The report goes to `target/loadtest-results/overhead-report.md`.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::bench::build_release;
use crate::bench_auth::{json_string_field, post_json};
use crate::loadtest::RSS_LIMIT_MIB;
use crate::loadtest_http::{WrkResult, wrk};
use crate::process;
use crate::server::Server;

const SCRIPT: &str = "xtask/loadtest/one-request.lua";
const SECRET: &str = "bench-overhead-secret-bench-overhead-secret";
const WRITE_CONNECTIONS: u32 = 64;
const WRITE_P99_LIMIT_MS: f64 = 100.0;

/// The options of one `cargo xtask bench-overhead`.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct Options {
    /// Open connections of the read runs (floor and ours).
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    connections: u32,
    /// Seconds wrk runs each load.
    #[arg(long, value_name = "S", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    seconds: u64,
    /// The least share of the floor's throughput, in percent, that passes.
    #[arg(long, value_name = "PERCENT", default_value_t = 30.0)]
    min_share_percent: f64,
}

/// One wrk load's outcome.
struct Load {
    label: String,
    result: WrkResult,
}

impl Load {
    fn per_second(&self) -> f64 {
        self.result.requests as f64 / (self.result.duration_us as f64 / 1e6)
    }
}

/// Builds, runs and reports; see the module documentation.
pub fn run(root: &Path, options: &Options) -> Result<()> {
    if !process::is_on_path("wrk") {
        bail!("wrk is not installed (Debian: apt-get install wrk)");
    }
    let server_binary = build_release(root)?;
    let floor_binary = build_floor(root)?;
    let environment = [
        ("JWT_SECRET", SECRET.to_owned()),
        ("SOCRATES_AUTH__BCRYPT_COST", "4".to_owned()),
        ("SOCRATES_RATE_LIMIT__ENABLED", "false".to_owned()),
    ];
    let server = Server::start(&server_binary, "overhead", &environment)?;
    let token = sign_in(&server.address)?;
    let floor = Server::start(&floor_binary, "floor", &environment)?;
    let floor_load = load(
        root,
        &floor.address,
        &token,
        options,
        "floor: bare actix-web + JWT",
        None,
    )?;
    drop(floor);
    let ours = load(
        root,
        &server.address,
        &token,
        options,
        "ours: GET /api/v1/auth/me",
        None,
    )?;
    let writes = load(
        root,
        &server.address,
        &token,
        &Options {
            connections: WRITE_CONNECTIONS,
            ..options.clone()
        },
        "ours: POST /api/v1/projects (SQLite)",
        Some(r#"{"name":"Overhead {n}"}"#),
    )?;
    let peak_rss_mib = server.peak_rss_kib().map(|kib| kib as f64 / 1024.0);
    drop(server);

    let share = ours.per_second() / floor_load.per_second() * 100.0;
    let report = report(options, &[&floor_load, &ours, &writes], share, peak_rss_mib);
    print!("\n{report}");
    let results = root.join("target/loadtest-results");
    std::fs::create_dir_all(&results)?;
    let path = results.join("overhead-report.md");
    std::fs::write(&path, &report)?;
    println!("\nwritten to {}", path.display());

    let mut failures = Vec::new();
    for run in [&floor_load, &ours, &writes] {
        if run.result.errors() > 0 {
            failures.push(format!("{}: {} errors", run.label, run.result.errors()));
        }
    }
    if share < options.min_share_percent {
        failures.push(format!(
            "our /auth/me reaches {share:.1} % of the floor (target ≥ {:.0} %)",
            options.min_share_percent
        ));
    }
    let write_p99 = writes.result.p99_us as f64 / 1000.0;
    if write_p99 >= WRITE_P99_LIMIT_MS {
        failures.push(format!(
            "POST /projects p99 {write_p99:.1} ms ≥ {WRITE_P99_LIMIT_MS:.0} ms"
        ));
    }
    if let Some(mib) = peak_rss_mib.filter(|mib| *mib >= RSS_LIMIT_MIB) {
        failures.push(format!("peak RSS {mib:.1} MiB ≥ {RSS_LIMIT_MIB:.0} MiB"));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        bail!(
            "the overhead benchmark missed its targets:\n  {}",
            failures.join("\n  ")
        )
    }
}

/// Builds the floor app (an example of the api crate, so it shares the server's compiled
/// actix-web and jsonwebtoken) and returns its path.
fn build_floor(root: &Path) -> Result<PathBuf> {
    process::run(process::cargo(root).args([
        "build",
        "--release",
        "--locked",
        "--package",
        "socrates-api",
        "--example",
        "floor",
    ]))?;
    Ok(root.join("target/release/examples/floor"))
}

/// Registers and logs in one user; returns the access token.
fn sign_in(address: &SocketAddr) -> Result<String> {
    let credentials = r#"{"email":"overhead@example.com","password":"Load123!wrk"}"#;
    let (status, body) = post_json(address, "/api/v1/auth/register", None, credentials)?;
    if status != 201 {
        bail!("register answered {status}: {body}");
    }
    let (status, body) = post_json(address, "/api/v1/auth/login", None, credentials)?;
    if status != 200 {
        bail!("login answered {status}: {body}");
    }
    json_string_field(&body, "access_token").context("access_token")
}

/// One wrk load: GET `/api/v1/auth/me`, or POST `/api/v1/projects` with `body`.
fn load(
    root: &Path,
    address: &SocketAddr,
    token: &str,
    options: &Options,
    label: &str,
    body: Option<&str>,
) -> Result<Load> {
    let (method, path) = match body {
        Some(_) => ("POST", "/api/v1/projects"),
        None => ("GET", "/api/v1/auth/me"),
    };
    println!("\n# {label}");
    let mut environment = vec![
        ("SOCRATES_TOKEN", token),
        ("SOCRATES_METHOD", method),
        ("SOCRATES_PATH", path),
    ];
    if let Some(body) = body {
        environment.push(("SOCRATES_BODY", body));
    }
    Ok(Load {
        label: label.to_owned(),
        result: wrk(
            root,
            SCRIPT,
            address,
            options.connections,
            options.seconds,
            &environment,
        )?,
    })
}

fn report(options: &Options, loads: &[&Load], share: f64, peak_rss_mib: Option<f64>) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Per-request overhead (wrk, {} s per load, one user, quota lifted)\n",
        options.seconds
    );
    let _ = writeln!(
        text,
        "| load | connections | req/s | p50 ms | p99 ms | max ms | errors |"
    );
    let _ = writeln!(text, "|---|---:|---:|---:|---:|---:|---:|");
    for load in loads {
        let r = &load.result;
        let connections = if load.label.contains("POST") {
            WRITE_CONNECTIONS
        } else {
            options.connections
        };
        let _ = writeln!(
            text,
            "| {} | {connections} | {:.0} | {:.2} | {:.2} | {:.1} | {} |",
            load.label,
            load.per_second(),
            r.p50_us as f64 / 1000.0,
            r.p99_us as f64 / 1000.0,
            r.max_us as f64 / 1000.0,
            r.errors(),
        );
    }
    let _ = writeln!(
        text,
        "\nOur `GET /api/v1/auth/me` reaches **{share:.1} %** of the floor (target ≥ {:.0} %). \
         Server peak RSS: {}.",
        options.min_share_percent,
        peak_rss_mib.map_or("unknown".to_owned(), |mib| format!("{mib:.1} MiB"))
    );
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail loudly")]

    use super::*;

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        let mut command = vec!["bench-overhead"];
        command.extend_from_slice(args);
        match crate::parse(&command)? {
            crate::Command::BenchOverhead(options) => Ok(options),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_are_the_issue_s_yardstick() {
        let options = parse(&[]).unwrap();
        assert_eq!(options.connections, 256);
        assert_eq!(options.seconds, 20);
        assert!((options.min_share_percent - 30.0).abs() < f64::EPSILON);
        assert!(parse(&["--connections", "0"]).is_err());
        assert!(parse(&["--seconds", "0"]).is_err());
    }
}
