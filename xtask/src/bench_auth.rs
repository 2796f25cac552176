//! `cargo xtask bench-auth`: the authentication hot paths under load, with `wrk` on loopback.
//!
//! 1. `GET /api/v1/auth/me` with a valid token at 256 and 1 000 open connections: requests/s
//!    and p50/p95/p99 (the path verifies the JWT without bcrypt and reads the user once).
//! 2. A login flood at the production bcrypt cost (12) while `/health` is measured alongside:
//!    logins/s, and the `/health` p95 that shows the async workers stay responsive because
//!    bcrypt runs on the blocking pool.
//!
//! The server is the release build on the embedded default (fresh SQLite files), or on
//! whatever `DATABASE_AUTH_URL`/`DATABASE_SPECS_URL`/`REDIS_URL` say in the environment.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::bench::build_release;
use crate::server::Server;

const PASSWORD: &str = "Bench123!";
const EMAIL: &str = "bench@example.com";

/// Options of `cargo xtask bench-auth`.
#[derive(Debug, clap::Args)]
pub struct BenchAuthArgs {
    /// Seconds each wrk run lasts.
    #[arg(long, value_name = "N", default_value_t = 10)]
    seconds: u64,
}

/// Runs both measurements and prints one summary line per scenario.
pub fn run(root: &Path, args: &BenchAuthArgs) -> Result<()> {
    let seconds = args.seconds;
    if !crate::process::is_on_path("wrk") {
        bail!("wrk is not installed (Debian: apt-get install wrk)");
    }
    let binary = build_release(root)?;
    let server = Server::start(
        &binary,
        "bench-auth",
        &[
            // Measure the handlers, not the quotas: the limiter still runs on every request.
            (
                "SOCRATES_RATE_LIMIT__REQUESTS_PER_MINUTE",
                "1000000000".to_owned(),
            ),
            (
                "SOCRATES_RATE_LIMIT__AUTH_ATTEMPTS_PER_MINUTE",
                "1000000000".to_owned(),
            ),
        ],
    )?;
    let address = server.address;
    post_json(&address, "/api/v1/auth/register", None, &credentials())
        .context("register the bench user")?;
    let (status, body) = post_json(&address, "/api/v1/auth/login", None, &credentials())?;
    if status != 200 {
        bail!("login answered {status}: {body}");
    }
    let token =
        json_string_field(&body, "access_token").context("access_token in the login answer")?;

    let scripts = Scripts::write(&server.directory, &token)?;
    let mut results = Vec::new();
    for connections in [256, 1000] {
        let summary = wrk(
            &address,
            "/api/v1/auth/me",
            connections,
            seconds,
            &scripts.me,
        )?;
        results.push(format!("GET /api/v1/auth/me  c={connections:<5} {summary}"));
    }
    // The login flood and the health probe run at the same time.
    let flood = spawn_wrk(&address, "/api/v1/auth/login", 4, seconds, &scripts.login)?;
    let health = wrk(&address, "/health", 16, seconds, &scripts.plain)?;
    let flood = finish_wrk(flood)?;
    results.push(format!(
        "POST /api/v1/auth/login (bcrypt 12) c=4     {flood}"
    ));
    results.push(format!("GET /health during the login flood c=16 {health}"));
    let rss = server.rss_kib();
    drop(server);
    println!();
    for line in results {
        println!("{line}");
    }
    if let Some(rss) = rss {
        println!("server RSS after the runs: {:.1} MiB", rss as f64 / 1024.0);
    }
    Ok(())
}

fn credentials() -> String {
    format!(r#"{{"email":"{EMAIL}","password":"{PASSWORD}"}}"#)
}

/// The wrk Lua scripts: each prints one parsable summary line.
struct Scripts {
    me: PathBuf,
    login: PathBuf,
    plain: PathBuf,
}

const REPORT: &str = r#"
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("SOCRATES %.1f req/s  p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  requests %d  errors %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.requests, errors))
end
"#;

impl Scripts {
    fn write(directory: &Path, token: &str) -> Result<Self> {
        let me = directory.join("me.lua");
        std::fs::write(
            &me,
            format!("wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n{REPORT}"),
        )?;
        let login = directory.join("login.lua");
        std::fs::write(
            &login,
            format!(
                "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = '{}'\n{REPORT}",
                credentials()
            ),
        )?;
        let plain = directory.join("plain.lua");
        std::fs::write(&plain, REPORT)?;
        Ok(Self { me, login, plain })
    }
}

fn wrk_command(
    address: &SocketAddr,
    path: &str,
    connections: u32,
    seconds: u64,
    script: &Path,
) -> Command {
    let mut command = Command::new("wrk");
    command.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--timeout",
        "5s",
        "-s",
        &script.display().to_string(),
        &format!("http://{address}{path}"),
    ]);
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    command
}

fn wrk(
    address: &SocketAddr,
    path: &str,
    connections: u32,
    seconds: u64,
    script: &Path,
) -> Result<String> {
    finish_wrk(spawn_wrk(address, path, connections, seconds, script)?)
}

fn spawn_wrk(
    address: &SocketAddr,
    path: &str,
    connections: u32,
    seconds: u64,
    script: &Path,
) -> Result<Child> {
    println!(
        "$ wrk -t2 -c{connections} -d{seconds}s -s {} http://{address}{path}",
        script.display()
    );
    wrk_command(address, path, connections, seconds, script)
        .spawn()
        .context("start wrk")
}

fn finish_wrk(child: Child) -> Result<String> {
    let output = child.wait_with_output().context("wait for wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("SOCRATES "))
        .map(str::to_owned)
        .with_context(|| format!("wrk printed no summary:\n{text}"))
}

/// One HTTP/1.1 POST with a JSON body; returns the status and the body.
pub(crate) fn post_json(
    address: &SocketAddr,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Result<(u16, String)> {
    request(address, "POST", path, token, Some(body))
}

/// One HTTP/1.1 GET; returns the status and the body.
pub(crate) fn get(address: &SocketAddr, path: &str, token: Option<&str>) -> Result<(u16, String)> {
    request(address, "GET", path, token, None)
}

fn request(
    address: &SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let authorization = token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    let content = body.map_or_else(String::new, |body| {
        format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        )
    });
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{content}{authorization}Connection: close\r\n\r\n{}",
        body.unwrap_or("")
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .context("no HTTP status")?;
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    Ok((status, body))
}

/// The string value of `"field":"…"` in a flat JSON object (enough for a token).
pub(crate) fn json_string_field(body: &str, field: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value.get(field)?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use crate::{Command, parse};

    fn seconds(args: &[&str]) -> Result<u64, clap::Error> {
        let mut command = vec!["bench-auth"];
        command.extend_from_slice(args);
        match parse(&command)? {
            Command::BenchAuth(args) => Ok(args.seconds),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_run_lasts_ten_seconds_unless_told() {
        assert_eq!(seconds(&[]).unwrap(), 10);
        assert_eq!(seconds(&["--seconds", "3"]).unwrap(), 3);
        for bad in [&["--seconds", "x"][..], &["--seconds"], &["--runs", "3"]] {
            assert!(seconds(bad).is_err(), "{bad:?}");
        }
    }
}
