//! Drill (b): a private Redis under load stopped, then hung with SIGSTOP. Redis carries the rate
//! limits and the view cache, neither critical: throughput must stay within half of the healthy
//! run, every request must still succeed, the login limit must still bite (in the process), and
//! `/health` must say `degraded`. When Redis answers again the server uses it again by itself.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde_json::json;

use super::http::{Tally, run_load};
use super::{
    Check, Client, Context, User, attempts_until_limited, base_environment, health, millis, run_id,
    sign_up_many, signal,
};
use crate::bench::free_port;
use crate::loadtest::Databases;
use crate::server::Server;

/// Simulated users, one connection each.
const USERS: usize = 16;
/// Connections of the load, spread over the users (as `wrk -c64` would).
const CONNECTIONS: usize = 64;
/// Login attempts allowed per minute and address (the shipped default): the 6th is refused.
const AUTH_ATTEMPTS: usize = 5;

/// A Redis server of the drill's own, on a free port, that the drill may stop and freeze.
pub(crate) struct PrivateRedis {
    child: Option<Child>,
    /// Its port.
    pub port: u16,
}

impl PrivateRedis {
    /// Starts `redis-server` on a free port (nothing kept on disk) and waits for its PONG.
    pub fn start() -> Result<Self> {
        let port = free_port()?;
        let mut redis = Self { child: None, port };
        redis.start_again()?;
        Ok(redis)
    }

    /// Starts it again on the same port after [`PrivateRedis::stop`].
    pub fn start_again(&mut self) -> Result<()> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start redis-server (is Redis installed?)")?;
        self.child = Some(child);
        let started = Instant::now();
        while !self.answers() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("the private Redis did not answer within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn answers(&self) -> bool {
        Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "ping"])
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "PONG")
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it (SIGKILL): a crashed or stopped Redis.
    pub fn stop(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Freezes (`STOP`) or thaws (`CONT`) it: connections stay open, nothing is answered.
    pub fn signal(&self, name: &str) -> Result<()> {
        match &self.child {
            Some(child) => signal(child.id(), name),
            None => bail!("the private Redis is not running"),
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.signal("CONT");
        let _ = self.stop();
    }
}

/// Runs the drill on PostgreSQL with a private Redis.
pub fn run(context: &Context) -> Result<Vec<Check>> {
    let label = "redis · PostgreSQL + private Redis";
    let run = run_id();
    let mut redis = PrivateRedis::start()?;
    let databases = Databases::create(&context.postgres_url, &format!("socrates_drill_{run}"))?;
    let environment = super::on_postgres(base_environment(), &databases, Some(redis.url()));
    let server = Server::start_logged(
        &context.binary,
        &format!("drill-redis-{run}"),
        &environment,
        &context.log("redis"),
    )?;
    let address = server.address;
    let mut users = sign_up_many(address, &run, USERS, Duration::from_secs(15))?;
    for user in &mut users {
        seed_facts(user)?;
    }
    let emails: Vec<String> = users.iter().map(|user| user.email.clone()).collect();

    let healthy = load(&users, address, context.phase())?;
    println!(
        "    healthy: {:.0} req/s, p99 {}, {}",
        healthy.throughput(),
        millis(healthy.quantile(0.99)),
        healthy.statuses_text()
    );

    redis.stop()?;
    let stopped = load(&users, address, context.phase())?;
    println!(
        "    stopped: {:.0} req/s, p99 {}, {}",
        stopped.throughput(),
        millis(stopped.quantile(0.99)),
        stopped.statuses_text()
    );
    let stopped_health = health(address)?;
    let stopped_limit = attempts_until_limited(address, &emails[0], "192.0.2.10", 20)?;

    redis.start_again()?;
    let back_after = wait_until_healthy(address, Duration::from_secs(30))?;
    println!(
        "    Redis back: /health healthy after {}",
        millis(back_after)
    );

    redis.signal("STOP")?;
    let hung = load(&users, address, context.phase())?;
    println!(
        "    hung: {:.0} req/s, p99 {}, {}",
        hung.throughput(),
        millis(hung.quantile(0.99)),
        hung.statuses_text()
    );
    let hung_health = health(address)?;
    let hung_limit = attempts_until_limited(address, &emails[1], "192.0.2.11", 20)?;
    redis.signal("CONT")?;
    let thawed_after = wait_until_healthy(address, Duration::from_secs(30))?;

    drop(server);
    drop(redis);
    drop(databases);

    let mut checks = Vec::new();
    for (phase, tally, health, limited) in [
        ("stopped", &stopped, &stopped_health, stopped_limit),
        ("hung", &hung, &hung_health, hung_limit),
    ] {
        let ratio = tally.throughput() / healthy.throughput().max(0.001);
        checks.push(Check::new(
            label,
            &format!("throughput, Redis {phase} / healthy"),
            format!(
                "{:.0} / {:.0} req/s = {:.0} %",
                tally.throughput(),
                healthy.throughput(),
                ratio * 100.0
            ),
            "≥ 50 %",
            ratio >= 0.5,
        ));
        checks.push(Check::new(
            label,
            &format!("requests not answered 2xx, Redis {phase}"),
            format!("{} of {}", tally.failures(), tally.total()),
            "0",
            tally.failures() == 0 && tally.total() > 0,
        ));
        checks.push(Check::new(
            label,
            &format!("wrong-password logins until 429, Redis {phase}"),
            limited.map_or("never (20 tried)".to_owned(), |n| n.to_string()),
            &format!("{}", AUTH_ATTEMPTS + 1),
            limited == Some(AUTH_ATTEMPTS + 1),
        ));
        let status = health.json()["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let says_cache = health.body.contains("cache") || health.body.contains("redis");
        checks.push(Check::new(
            label,
            &format!("/health, Redis {phase}"),
            format!("{} {status}", health.status),
            "200 degraded (cache)",
            health.status == 200 && status == "degraded" && says_cache,
        ));
    }
    checks.push(Check::new(
        label,
        "back to healthy after Redis returns (started / thawed)",
        format!("{} / {}", millis(back_after), millis(thawed_after)),
        "< 30 s, no restart",
        back_after < Duration::from_secs(30) && thawed_after < Duration::from_secs(30),
    ));
    for (phase, tally) in [
        ("healthy", &healthy),
        ("stopped", &stopped),
        ("hung", &hung),
    ] {
        for sample in &tally.samples {
            println!("    {phase}: {sample}");
        }
    }
    Ok(checks)
}

/// Gives the user's project some facts, so that its views cost something to build.
fn seed_facts(user: &mut User) -> Result<()> {
    for (category, key, value) in [
        ("tech_stack", "primary_database", "PostgreSQL 16"),
        ("tech_stack", "backend_framework", "Django"),
        ("deployment", "cloud_provider", "AWS"),
        (
            "requirements",
            "booking_export",
            "Staff export bookings as CSV",
        ),
        ("goals", "project_type", "web app"),
    ] {
        let response = user.client.post(
            "/api/v1/specifications",
            &json!({"project_id": user.project_id, "category": category, "key": key, "value": value}),
        )?;
        if response.status != 201 {
            bail!(
                "adding a fact answered {}: {:.300}",
                response.status,
                response.body
            );
        }
    }
    Ok(())
}

/// The users read their projects' cached views (status and a page of facts) in turn for
/// `duration`, on [`CONNECTIONS`] connections.
fn load(users: &[User], address: SocketAddr, duration: Duration) -> Result<Tally> {
    let clients: Vec<Client> = users
        .iter()
        .cycle()
        .take(CONNECTIONS)
        .map(|user| user.connect(address, Duration::from_secs(15)))
        .collect();
    let projects: Vec<String> = users.iter().map(|user| user.project_id.clone()).collect();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    run_load(clients, duration, move |index, client, tally| {
        let project = &projects[index % projects.len()];
        let path = match counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2 {
            0 => format!("/api/v1/projects/{project}/status"),
            _ => format!("/api/v1/specifications/project/{project}?limit=20"),
        };
        tally.record(&client.get(&path));
    })
}

/// Waits until `/health` says `healthy`; returns how long that took.
fn wait_until_healthy(address: SocketAddr, limit: Duration) -> Result<Duration> {
    let started = Instant::now();
    loop {
        if let Ok(response) = health(address)
            && response.json()["status"] == "healthy"
        {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            bail!("/health did not say healthy within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
