//! `cargo xtask drill`: fault drills against the release server, each a pass/fail line of one
//! table. See docs/deployment/fault-drills.md for what each drill does and why its bar is
//! where it is.
//!
//! - `crash`: kill -9 under a mixed write load, restart on the same data, then check that every
//!   acknowledged write is there and that no single-valued key has two current values;
//! - `redis`: a private Redis stopped, then hung with SIGSTOP, under load: throughput against
//!   the healthy run, login limits still enforced in the process, `/health` degraded;
//! - `postgres`: a private PostgreSQL cluster stopped, then hung: clean 503s within the request
//!   deadline, and recovery without restarting the server;
//! - `llm`: a mock language-model provider slow, failing and sending garbage under load:
//!   errors in the one shape, nothing half-written, routes without the model unaffected;
//! - `soak`: paced users for minutes: no errors, resident memory growth under 10 %.

mod crash;
mod http;
mod llm;
mod postgres;
mod redis;
mod soak;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde_json::json;

use crate::bench::build_release;
use crate::test_suite::{
    DEFAULT_POSTGRES_URL, DEFAULT_REDIS_URL, POSTGRES_URL_VAR, REDIS_URL_VAR, setting,
};
pub(crate) use http::{Client, Response};

/// Where the server logs of the drills go, under the workspace root.
const OUTPUT: &str = "target/xtask/drill";
/// The password of every simulated user.
const PASSWORD: &str = "Drill123!drill";

/// The drills, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Drill {
    /// kill -9 under mixed writes, then restart.
    Crash,
    /// Redis stopped, then hung.
    Redis,
    /// A private PostgreSQL cluster stopped, then hung.
    Postgres,
    /// The language-model provider slow, failing and sending garbage.
    Llm,
    /// Paced users for minutes.
    Soak,
}

/// Options of `cargo xtask drill`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct DrillArgs {
    /// Run only these drills (comma-separated); all of them when not given.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "DRILL")]
    only: Vec<Drill>,
    /// Seconds of load in each phase of the redis, postgres and llm drills.
    #[arg(long, value_name = "S", default_value_t = 15, value_parser = clap::value_parser!(u64).range(3..))]
    phase_seconds: u64,
    /// Minutes of the soak.
    #[arg(long, value_name = "M", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    soak_minutes: u64,
    /// Paced users of the soak.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=5000))]
    soak_users: u64,
    /// Drill this server binary instead of building the release server of the working tree.
    #[arg(long, value_name = "PATH")]
    server_binary: Option<PathBuf>,
}

impl DrillArgs {
    fn drills(&self) -> Vec<Drill> {
        let mut drills = if self.only.is_empty() {
            vec![
                Drill::Crash,
                Drill::Redis,
                Drill::Postgres,
                Drill::Llm,
                Drill::Soak,
            ]
        } else {
            self.only.clone()
        };
        drills.sort_unstable();
        drills.dedup();
        drills
    }
}

/// One line of the final table.
#[derive(Debug, Clone)]
pub struct Check {
    /// The drill and the backend or phase it ran on.
    pub drill: String,
    /// What was measured.
    pub what: String,
    /// The measured value, as printed.
    pub measured: String,
    /// The bar it had to meet, as printed.
    pub target: String,
    /// Whether it met it.
    pub passed: bool,
}

impl Check {
    /// A check of `drill` that `passed`.
    pub fn new(
        drill: &str,
        what: &str,
        measured: impl Into<String>,
        target: &str,
        passed: bool,
    ) -> Self {
        Self {
            drill: drill.to_owned(),
            what: what.to_owned(),
            measured: measured.into(),
            target: target.to_owned(),
            passed,
        }
    }
}

/// What every drill is given.
pub struct Context {
    /// The server binary.
    pub binary: PathBuf,
    /// Where logs go.
    pub output: PathBuf,
    /// The shared PostgreSQL (admin URL) for the drills that use it.
    pub postgres_url: String,
    /// The shared Redis, for the drills that do not need a private one.
    pub redis_url: String,
    /// The options.
    pub args: DrillArgs,
}

impl Context {
    /// Seconds of load per phase.
    pub fn phase(&self) -> Duration {
        Duration::from_secs(self.args.phase_seconds)
    }

    /// The server log of `name`.
    pub fn log(&self, name: &str) -> PathBuf {
        self.output.join(format!("{name}.log"))
    }
}

/// Builds the release server unless a binary is given, runs the drills, prints the table, and
/// fails when any check failed (or a drill could not run).
pub fn run(root: &Path, args: &DrillArgs) -> Result<()> {
    let binary = match &args.server_binary {
        Some(binary) => std::path::absolute(binary)?,
        None => build_release(root)?,
    };
    let output = root.join(OUTPUT);
    std::fs::create_dir_all(&output)?;
    let context = Context {
        binary,
        output,
        postgres_url: setting(POSTGRES_URL_VAR, DEFAULT_POSTGRES_URL),
        redis_url: setting(REDIS_URL_VAR, DEFAULT_REDIS_URL),
        args: args.clone(),
    };
    let mut checks = Vec::new();
    let mut broken = Vec::new();
    for drill in args.drills() {
        let started = Instant::now();
        let since = std::time::SystemTime::now();
        println!("\n==> drill {drill:?}");
        let outcome = match drill {
            Drill::Crash => crash::run(&context),
            Drill::Redis => redis::run(&context),
            Drill::Postgres => postgres::run(&context),
            Drill::Llm => llm::run(&context),
            Drill::Soak => soak::run(&context),
        };
        match outcome {
            Ok(mut found) => {
                let panics = panics_in_logs(&context.output, since);
                found.push(Check::new(
                    &format!("{drill:?}").to_lowercase(),
                    "panics in the server logs",
                    panics.to_string(),
                    "0",
                    panics == 0,
                ));
                for check in &found {
                    println!(
                        "    {} {}: {} (target {})",
                        if check.passed { "ok  " } else { "FAIL" },
                        check.what,
                        check.measured,
                        check.target
                    );
                }
                checks.extend(found);
            }
            Err(error) => {
                println!("    drill {drill:?} could not run: {error:#}");
                broken.push(format!("{drill:?}: {error:#}"));
            }
        }
        println!(
            "    ({:.0} s; server logs in {})",
            started.elapsed().as_secs_f64(),
            context.output.display()
        );
    }
    print_table(&checks);
    let failed = checks.iter().filter(|check| !check.passed).count();
    if !broken.is_empty() {
        bail!(
            "{} drill(s) could not run: {}",
            broken.len(),
            broken.join("; ")
        );
    }
    if failed > 0 {
        bail!("{failed} of {} drill checks failed", checks.len());
    }
    println!("all {} drill checks passed", checks.len());
    Ok(())
}

/// Lines with `panicked` in the server logs of `output` written since `since`.
fn panics_in_logs(output: &Path, since: std::time::SystemTime) -> usize {
    let Ok(entries) = std::fs::read_dir(output) else {
        return 0;
    };
    entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            entry
                .metadata()
                .and_then(|metadata| metadata.modified())
                .is_ok_and(|modified| modified >= since)
        })
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .map(|log| log.lines().filter(|line| line.contains("panicked")).count())
        .sum()
}

fn print_table(checks: &[Check]) {
    let width = |pick: fn(&Check) -> &str, title: &str| {
        checks
            .iter()
            .map(|check| pick(check).chars().count())
            .chain([title.len()])
            .max()
            .unwrap_or(0)
    };
    let drill = width(|check| &check.drill, "drill");
    let what = width(|check| &check.what, "check");
    let measured = width(|check| &check.measured, "measured");
    let target = width(|check| &check.target, "target");
    println!();
    println!(
        "| {:drill$} | {:what$} | {:measured$} | {:target$} | result |",
        "drill", "check", "measured", "target"
    );
    println!(
        "|{}|{}|{}|{}|--------|",
        "-".repeat(drill + 2),
        "-".repeat(what + 2),
        "-".repeat(measured + 2),
        "-".repeat(target + 2)
    );
    for check in checks {
        println!(
            "| {:drill$} | {:what$} | {:measured$} | {:target$} | {} |",
            check.drill,
            check.what,
            check.measured,
            check.target,
            if check.passed { "pass  " } else { "FAIL  " }
        );
    }
}

/// The server settings every drill starts from: cheap bcrypt (sign-ups are set-up, not what
/// is drilled), 127.0.0.1 trusted as a proxy so each simulated user has an address of its own,
/// and a per-user request quota the load cannot reach (the login limits stay as shipped).
pub fn base_environment() -> Vec<(&'static str, String)> {
    vec![
        ("SOCRATES_AUTH__BCRYPT_COST", "4".to_owned()),
        ("SOCRATES_HTTP__TRUSTED_PROXIES", "[127.0.0.1]".to_owned()),
        (
            "SOCRATES_RATE_LIMIT__REQUESTS_PER_MINUTE",
            "100000000".to_owned(),
        ),
        ("SOCRATES_TELEMETRY__LOG_FORMAT", "json".to_owned()),
    ]
}

/// `environment` with the server's two databases on `databases` (and `redis`, when given).
pub fn on_postgres(
    mut environment: Vec<(&'static str, String)>,
    databases: &crate::loadtest::Databases,
    redis: Option<String>,
) -> Vec<(&'static str, String)> {
    environment.push(("DATABASE_AUTH_URL", databases.url(&databases.auth)));
    environment.push(("DATABASE_SPECS_URL", databases.url(&databases.specs)));
    if let Some(redis) = redis {
        environment.push(("REDIS_URL", redis));
    }
    environment
}

/// The `X-Forwarded-For` address of simulated user `index` (10.x.y.z).
pub fn user_address(index: usize) -> String {
    format!(
        "10.{}.{}.{}",
        (index >> 16) & 0xff,
        (index >> 8) & 0xff,
        index & 0xff
    )
}

/// A signed-in user with one project.
pub struct User {
    /// The user's client, token set.
    pub client: Client,
    /// The user's email.
    pub email: String,
    /// The user's project.
    pub project_id: String,
}

impl User {
    /// A new connection of this user (its token set) to `address`.
    pub fn connect(&self, address: SocketAddr, timeout: Duration) -> Client {
        let mut client = Client::new(address, timeout);
        client.token = self.client.token.clone();
        client
    }
}

/// Registers user `index` (an email unique to `run`), signs in and creates a project.
pub fn sign_up(address: SocketAddr, run: &str, index: usize, timeout: Duration) -> Result<User> {
    let mut client = Client::new(address, timeout);
    client.forwarded_for = Some(user_address(index));
    let email = format!("drill-{run}-{index}@example.com");
    let credentials = json!({"email": email, "password": PASSWORD});
    let registered = client.post("/api/v1/auth/register", &credentials)?;
    if registered.status != 201 {
        bail!(
            "register answered {}: {:.300}",
            registered.status,
            registered.body
        );
    }
    let logged_in = client.post("/api/v1/auth/login", &credentials)?;
    if logged_in.status != 200 {
        bail!(
            "login answered {}: {:.300}",
            logged_in.status,
            logged_in.body
        );
    }
    client.token = Some(
        logged_in.json()["access_token"]
            .as_str()
            .context("no access_token")?
            .to_owned(),
    );
    let project = client.post(
        "/api/v1/projects",
        &json!({"name": format!("Drill project {index}"), "description": "A booking service for a chain of climbing gyms"}),
    )?;
    if project.status != 201 {
        bail!(
            "creating a project answered {}: {:.300}",
            project.status,
            project.body
        );
    }
    let project_id = project.json()["project_id"]
        .as_str()
        .context("no project_id")?
        .to_owned();
    Ok(User {
        client,
        email,
        project_id,
    })
}

/// Signs up `count` users, several at a time.
pub fn sign_up_many(
    address: SocketAddr,
    run: &str,
    count: usize,
    timeout: Duration,
) -> Result<Vec<User>> {
    let threads = 8.min(count.max(1));
    let handles: Vec<_> = (0..threads)
        .map(|thread| {
            let run = run.to_owned();
            std::thread::spawn(move || {
                (thread..count)
                    .step_by(threads)
                    .map(|index| sign_up(address, &run, index, timeout).map(|user| (index, user)))
                    .collect::<Result<Vec<_>>>()
            })
        })
        .collect();
    let mut users = Vec::with_capacity(count);
    for handle in handles {
        let signed_up = handle
            .join()
            .map_err(|_| anyhow::anyhow!("a sign-up thread panicked"))??;
        users.extend(signed_up);
    }
    users.sort_by_key(|(index, _)| *index);
    Ok(users.into_iter().map(|(_, user)| user).collect())
}

/// Tries `login` with a wrong password up to `attempts` times from one address and account;
/// returns after how many attempts the first 429 came (`None`: never).
pub fn attempts_until_limited(
    address: SocketAddr,
    email: &str,
    from: &str,
    attempts: usize,
) -> Result<Option<usize>> {
    let mut client = Client::new(address, Duration::from_secs(15));
    client.forwarded_for = Some(from.to_owned());
    for attempt in 1..=attempts {
        let response = client.post(
            "/api/v1/auth/login",
            &json!({"email": email, "password": "not-the-password-1A!"}),
        )?;
        if response.status == 429 {
            return Ok(Some(attempt));
        }
    }
    Ok(None)
}

/// A short id for this run's emails and databases.
pub fn run_id() -> String {
    crate::test_suite::new_run_id()
}

/// `/health`'s JSON.
pub fn health(address: SocketAddr) -> Result<Response> {
    Client::new(address, Duration::from_secs(15)).get("/health")
}

/// Sends `signal` (`STOP`, `CONT`, `KILL`, `TERM`) to `pid`.
pub fn signal(pid: u32, signal: &str) -> Result<()> {
    let status = std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .context("run kill")?;
    if !status.success() {
        bail!("kill -{signal} {pid} failed");
    }
    Ok(())
}

/// Formats a duration in milliseconds.
pub fn millis(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1000.0)
}

/// Where one simulated user's interview stands: its session, and the question it waits to
/// answer.
#[derive(Debug, Clone, Default)]
pub struct Interview {
    /// The open session.
    pub session: Option<String>,
    /// The question asked and not answered yet.
    pub question: Option<String>,
}

/// The interviews of several users, each read and written by its own load thread.
pub type Interviews = std::sync::Mutex<Vec<Interview>>;

/// The next step of user `index`'s interview on `project`: open a session, ask for a
/// question, or answer the one asked with `text`. Returns the server's answer and, when an
/// answer was acknowledged (200), the session and question it answered.
pub fn interview_step(
    index: usize,
    project: &str,
    client: &mut Client,
    interviews: &Interviews,
    text: &str,
) -> Result<(Response, Option<(String, String)>)> {
    let poisoned = || anyhow::anyhow!("an interview thread panicked");
    let current = interviews.lock().map_err(|_| poisoned())?[index].clone();
    let mut next = current.clone();
    let mut answered = None;
    let response = match (&current.session, &current.question) {
        (None, _) => {
            let response = client.post(
                &format!("/api/v1/projects/{project}/sessions"),
                &json!({"mode": "socratic"}),
            )?;
            next.session = response.json()["session_id"].as_str().map(str::to_owned);
            response
        }
        (Some(session), None) => {
            let response = client.post(
                &format!("/api/v1/sessions/{session}/next-question"),
                &serde_json::Value::Null,
            )?;
            next.question = response.json()["question_id"].as_str().map(str::to_owned);
            response
        }
        (Some(session), Some(question)) => {
            let response = client.post(
                &format!("/api/v1/sessions/{session}/answer"),
                &json!({"question_id": question, "answer": text}),
            )?;
            if response.status == 200 {
                answered = Some((session.clone(), question.clone()));
            }
            next.question = None;
            response
        }
    };
    interviews.lock().map_err(|_| poisoned())?[index] = next;
    Ok((response, answered))
}

/// The questions a session's history holds an answer to, every page read.
pub fn answered_questions(
    client: &mut Client,
    session: &str,
) -> Result<std::collections::HashSet<String>> {
    let mut answered = std::collections::HashSet::new();
    let mut offset = 0_u64;
    loop {
        let response = client.get(&format!(
            "/api/v1/sessions/{session}/history?limit=100&offset={offset}"
        ))?;
        if response.status != 200 {
            bail!(
                "the history of {session} answered {}: {:.200}",
                response.status,
                response.body
            );
        }
        let page = response.json();
        let entries = page["entries"].as_array().cloned().unwrap_or_default();
        for entry in &entries {
            if entry["kind"] == "answer"
                && let Some(question) = entry["question_id"].as_str()
            {
                answered.insert(question.to_owned());
            }
        }
        offset += entries.len() as u64;
        if entries.is_empty() || offset >= page["total"].as_u64().unwrap_or(0) {
            return Ok(answered);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Drill, DrillArgs};

    fn parse_args(args: &[&str]) -> Result<DrillArgs, clap::Error> {
        let mut command = vec!["drill"];
        command.extend_from_slice(args);
        match crate::parse(&command)? {
            crate::Command::Drill(args) => Ok(args),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_drill_runs_unless_some_are_chosen_and_then_in_order() {
        assert_eq!(
            parse_args(&[]).unwrap().drills(),
            [
                Drill::Crash,
                Drill::Redis,
                Drill::Postgres,
                Drill::Llm,
                Drill::Soak
            ]
        );
        assert_eq!(
            parse_args(&["--only", "soak,crash,soak"]).unwrap().drills(),
            [Drill::Crash, Drill::Soak]
        );
        let args = parse_args(&["--soak-minutes", "2", "--soak-users", "50"]).unwrap();
        assert_eq!((args.soak_minutes, args.soak_users), (2, 50));
        assert!(parse_args(&["--only", "flood"]).is_err());
        assert!(parse_args(&["--phase-seconds", "1"]).is_err());
        assert!(parse_args(&["--soak-users", "0"]).is_err());
    }
}
