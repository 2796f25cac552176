//! Drill (c): a private PostgreSQL cluster, made for the drill, stopped and then hung (every
//! process of it under SIGSTOP) while users read and write. Every request must end within the
//! request deadline as a 503 in the one error shape with `Retry-After`, `/health` must say
//! `unhealthy`, and once the cluster answers again the same server process serves again.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde_json::json;

use super::http::{Tally, run_load};
use super::{Check, Client, Context, User, base_environment, health, millis, run_id, sign_up_many};
use crate::bench::free_port;
use crate::process;
use crate::server::Server;

/// Simulated users.
const USERS: usize = 8;
/// The request deadline the drill's server runs with (the shipped default with the offline
/// reasoner).
const DEADLINE: Duration = Duration::from_secs(10);
/// How soon after the cluster answers again requests must succeed again.
const RECOVERY: Duration = Duration::from_secs(15);

/// A PostgreSQL cluster of the drill's own, in a temporary directory, run as `postgres`.
struct PrivateCluster {
    directory: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl PrivateCluster {
    /// `initdb` and start a cluster on a free port.
    fn create(name: &str) -> Result<Self> {
        let versions = std::fs::read_dir("/usr/lib/postgresql")
            .context("PostgreSQL's server programs are not under /usr/lib/postgresql")?;
        let mut versions: Vec<PathBuf> = versions
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .collect();
        versions.sort();
        let bin = versions
            .last()
            .context("no PostgreSQL version under /usr/lib/postgresql")?
            .join("bin");
        let directory = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(&directory)?;
        process::run(
            Command::new("chown")
                .arg("postgres:postgres")
                .arg(&directory),
        )?;
        let cluster = Self {
            directory,
            bin,
            port: free_port()?,
        };
        process::run(
            cluster
                .as_postgres("initdb")
                .args(["--auth=trust", "--username=postgres", "--no-sync", "-D"])
                .arg(&cluster.directory),
        )?;
        cluster.start()?;
        Ok(cluster)
    }

    fn as_postgres(&self, program: &str) -> Command {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program));
        command
    }

    fn start(&self) -> Result<()> {
        process::run(
            self.as_postgres("pg_ctl")
                .arg("-D")
                .arg(&self.directory)
                .arg("-l")
                .arg(self.directory.join("server.log"))
                .args([
                    "-w",
                    "-o",
                    &format!(
                        "-p {} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
                        self.port
                    ),
                    "start",
                ]),
        )
    }

    /// `pg_ctl stop -m immediate`: gone at once, as after a crash.
    fn stop(&self) -> Result<()> {
        process::run(
            self.as_postgres("pg_ctl")
                .arg("-D")
                .arg(&self.directory)
                .args(["-m", "immediate", "-w", "stop"]),
        )
    }

    /// Sends `signal` to the postmaster and every process it started.
    fn signal_all(&self, signal: &str) -> Result<()> {
        let pid_file = std::fs::read_to_string(self.directory.join("postmaster.pid"))
            .context("the cluster is not running")?;
        let postmaster: u32 = pid_file
            .lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .context("postmaster.pid without a pid")?;
        let mut pids = children_of(postmaster);
        pids.push(postmaster);
        for pid in pids {
            let _ = super::signal(pid, signal);
        }
        Ok(())
    }

    fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }

    fn psql(&self, sql: &str) -> Result<()> {
        process::run(Command::new("psql").arg(self.url("postgres")).args([
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            sql,
        ]))
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.signal_all("CONT");
        let _ = self.stop();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

/// The processes whose parent is `parent`, from `/proc`.
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let rest = stat.rsplit_once(')')?.1.to_owned();
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

/// Runs the drill.
pub fn run(context: &Context) -> Result<Vec<Check>> {
    let label = "postgres · private cluster";
    let run = run_id();
    let cluster = PrivateCluster::create(&format!("socrates-drill-pg-{run}"))?;
    cluster.psql("CREATE DATABASE socrates_auth")?;
    cluster.psql("CREATE DATABASE socrates_specs")?;
    let mut environment = base_environment();
    environment.push(("DATABASE_AUTH_URL", cluster.url("socrates_auth")));
    environment.push(("DATABASE_SPECS_URL", cluster.url("socrates_specs")));
    environment.push((
        "SOCRATES_HTTP__REQUEST_DEADLINE_SECONDS",
        DEADLINE.as_secs().to_string(),
    ));
    let server = Server::start_logged(
        &context.binary,
        &format!("drill-postgres-{run}"),
        &environment,
        &context.log("postgres"),
    )?;
    let address = server.address;
    let users = sign_up_many(address, &run, USERS, Duration::from_secs(15))?;

    let healthy = load(&users, address, context.phase())?;
    println!("    healthy: {}", summary(&healthy));

    cluster.stop()?;
    let stopped = load(&users, address, context.phase())?;
    println!("    stopped: {}", summary(&stopped));
    let stopped_health = health(address)?;
    cluster.start()?;
    let stopped_recovery = time_to_recover(&users[0], address)?;
    println!(
        "    recovered {} after the cluster started",
        millis(stopped_recovery)
    );

    cluster.signal_all("STOP")?;
    let hung = load(&users, address, context.phase())?;
    println!("    hung: {}", summary(&hung));
    let hung_health = health(address)?;
    cluster.signal_all("CONT")?;
    let hung_recovery = time_to_recover(&users[0], address)?;
    println!(
        "    recovered {} after the cluster thawed",
        millis(hung_recovery)
    );
    let after = load(&users, address, Duration::from_secs(3))?;
    println!("    after: {}", summary(&after));

    drop(server);
    drop(cluster);

    let mut checks = vec![Check::new(
        label,
        "healthy load answered 2xx",
        format!("{} of {}", healthy.count(200..=299), healthy.total()),
        "all",
        healthy.failures() == 0 && healthy.total() > 0,
    )];
    for (phase, tally, health, recovery) in [
        ("stopped", &stopped, &stopped_health, stopped_recovery),
        ("hung", &hung, &hung_health, hung_recovery),
    ] {
        // Views still in the in-process cache are served (200); everything else is a 503.
        let clean = tally.count(503..=503) + tally.count(200..=299) == tally.total()
            && tally.unshaped_errors == 0
            && tally.count(503..=503) > 0
            && !tally
                .samples
                .iter()
                .any(|sample| sample.contains("Retry-After"));
        checks.push(Check::new(
            label,
            &format!("cluster {phase}: 503 in the error shape with Retry-After (or a cached view)"),
            tally.statuses_text(),
            "only 503 and cached 200s",
            clean,
        ));
        let slowest = tally.quantile(1.0);
        checks.push(Check::new(
            label,
            &format!("cluster {phase}: slowest answer"),
            millis(slowest),
            &format!("≤ deadline {} + 1 s", millis(DEADLINE)),
            slowest <= DEADLINE + Duration::from_secs(1),
        ));
        checks.push(Check::new(
            label,
            &format!("cluster {phase}: /health"),
            format!(
                "{} {}",
                health.status,
                health.json()["status"].as_str().unwrap_or_default()
            ),
            "503 unhealthy",
            health.status == 503 && health.json()["status"] == "unhealthy",
        ));
        checks.push(Check::new(
            label,
            &format!("cluster {phase}: first 200 after it answers again"),
            millis(recovery),
            &format!("< {} (same process)", millis(RECOVERY)),
            recovery < RECOVERY,
        ));
    }
    checks.push(Check::new(
        label,
        "load after recovery answered 2xx",
        format!("{} of {}", after.count(200..=299), after.total()),
        "all",
        after.failures() == 0 && after.total() > 0,
    ));
    for (phase, tally) in [("stopped", &stopped), ("hung", &hung)] {
        for sample in &tally.samples {
            println!("    {phase}: {sample}");
        }
    }
    Ok(checks)
}

fn summary(tally: &Tally) -> String {
    format!(
        "{:.0} req/s, p50 {}, max {}, {}",
        tally.throughput(),
        millis(tally.quantile(0.5)),
        millis(tally.quantile(1.0)),
        tally.statuses_text()
    )
}

/// Reads and writes of every user for `duration`.
fn load(users: &[User], address: SocketAddr, duration: Duration) -> Result<Tally> {
    let clients: Vec<Client> = users
        .iter()
        .map(|user| user.connect(address, DEADLINE * 2))
        .collect();
    let projects: Vec<String> = users.iter().map(|user| user.project_id.clone()).collect();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    run_load(clients, duration, move |index, client, tally| {
        let project = &projects[index];
        let step = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let outcome = match step % 3 {
            0 => client.get(&format!("/api/v1/projects/{project}/status")),
            1 => client.get(&format!("/api/v1/specifications/project/{project}?limit=20")),
            _ => client.post(
                "/api/v1/specifications",
                &json!({"project_id": project, "category": "requirements", "key": format!("drill_{step}"), "value": "Members book a slot from their phone"}),
            ),
        };
        if let Ok(response) = &outcome
            && response.status == 503
            && response.header("retry-after").is_none()
        {
            tally.sample("503 without Retry-After".to_owned());
        }
        tally.record(&outcome);
    })
}

/// Polls the user's project until it answers 200; returns how long that took.
fn time_to_recover(user: &User, address: SocketAddr) -> Result<Duration> {
    let started = Instant::now();
    let mut client = user.connect(address, DEADLINE * 2);
    loop {
        if let Ok(response) = client.get(&format!("/api/v1/projects/{}", user.project_id))
            && response.status == 200
        {
            return Ok(started.elapsed());
        }
        if started.elapsed() > RECOVERY * 4 {
            bail!(
                "no 200 within {:?} after PostgreSQL answered again",
                RECOVERY * 4
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
