//! Drill (e): a soak. Paced users — each acting every few seconds, as people at a keyboard do —
//! interview, add facts and read their views for minutes on PostgreSQL + Redis with the shipped
//! per-user quota. No request may fail, and the server's resident memory may not grow by 10 %
//! or more between the end of the warm-up and the end of the soak.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;

use super::http::run_load;
use super::{
    Check, Client, Context, Interview, Interviews, base_environment, interview_step, run_id,
    sign_up_many,
};
use crate::loadtest::Databases;
use crate::server::{Server, rss_kib_of};

/// What the users answer every question with, as people write.
const ANSWER: &str = "Mostly members booking from their phones, maybe 2,000 a day at peak; staff \
                      need a desk view. We'd rather not build a native app for now — a responsive \
                      web app is enough. Budget is around €40k.";
/// Mean seconds between two actions of one user.
const PACE_SECONDS: f64 = 5.0;
/// The part of the soak that warms caches and pools before the memory baseline is read.
const WARM_UP_SHARE: f64 = 0.2;
/// Allowed growth of resident memory after the warm-up.
const MAX_GROWTH: f64 = 0.10;

/// Runs the soak.
pub fn run(context: &Context) -> Result<Vec<Check>> {
    let users_count = usize::try_from(context.args.soak_users)?;
    let duration = Duration::from_secs(context.args.soak_minutes * 60);
    let label = format!(
        "soak · {users_count} users, {} min, PostgreSQL + Redis",
        context.args.soak_minutes
    );
    let run = run_id();
    let databases = Databases::create(&context.postgres_url, &format!("socrates_drill_{run}"))?;
    // The shipped per-user quota: paced users stay well under it.
    let environment: Vec<(&str, String)> = base_environment()
        .into_iter()
        .filter(|(name, _)| *name != "SOCRATES_RATE_LIMIT__REQUESTS_PER_MINUTE")
        .collect();
    let mut environment =
        super::on_postgres(environment, &databases, Some(context.redis_url.clone()));
    environment.push(("SOCRATES_REDIS__KEY_PREFIX", format!("drill-{run}")));
    let server = Server::start_logged(
        &context.binary,
        &format!("drill-soak-{run}"),
        &environment,
        &context.log("soak"),
    )?;
    let address = server.address;
    let signing_up = Instant::now();
    let users = sign_up_many(address, &run, users_count, Duration::from_secs(30))?;
    println!(
        "    {} users signed up in {:.0} s",
        users.len(),
        signing_up.elapsed().as_secs_f64()
    );

    // Memory, sampled every 5 s while the soak runs.
    let pid = server.pid();
    let samples = Arc::new(Mutex::new(Vec::<(Duration, u64)>::new()));
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let monitor = {
        let samples = Arc::clone(&samples);
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Some(rss) = rss_kib_of(pid)
                    && let Ok(mut samples) = samples.lock()
                {
                    samples.push((started.elapsed(), rss));
                }
                std::thread::sleep(Duration::from_secs(5));
            }
        })
    };

    let clients: Vec<Client> = users
        .iter()
        .map(|user| user.connect(address, Duration::from_secs(30)))
        .collect();
    let projects: Vec<String> = users.iter().map(|user| user.project_id.clone()).collect();
    let sessions: Arc<Interviews> = Arc::new(Mutex::new(vec![Interview::default(); users.len()]));
    let steps: Vec<AtomicU64> = (0..users.len()).map(|_| AtomicU64::new(0)).collect();
    let tally = run_load(clients, duration, move |index, client, tally| {
        let step = steps[index].fetch_add(1, Ordering::Relaxed);
        // Each user's own pace, between half and one and a half times the mean.
        let spread = ((index * 7919 + step as usize * 104_729) % 1000) as f64 / 1000.0;
        std::thread::sleep(Duration::from_secs_f64(PACE_SECONDS * (0.5 + spread)));
        if started.elapsed() >= duration {
            return;
        }
        let project = &projects[index];
        let outcome = match step % 7 {
            0 => client.get(&format!("/api/v1/projects/{project}/status")),
            1 | 3 => interview_step(index, project, client, &sessions, ANSWER).map(|(response, _)| response),
            2 => client.get(&format!("/api/v1/specifications/project/{project}?limit=20")),
            4 => client.post(
                "/api/v1/specifications",
                &json!({"project_id": project, "category": "requirements", "key": format!("soak_{step}"), "value": format!("Members get a reminder {step} hours before their slot")}),
            ),
            5 => client.get(&format!("/api/v1/projects/{project}")),
            _ => client.get("/api/v1/auth/me"),
        };
        if let Ok(response) = &outcome
            && response.status >= 300
        {
            tally.sample(format!("{} {:.200}", response.status, response.body));
        }
        tally.record(&outcome);
    })?;
    done.store(true, Ordering::Relaxed);
    let _ = monitor.join();
    let samples = samples
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    drop(server);
    drop(databases);

    let warm_up = duration.mul_f64(WARM_UP_SHARE);
    let baseline = samples
        .iter()
        .find(|(at, _)| *at >= warm_up)
        .map_or(0, |(_, rss)| *rss);
    let first = samples.first().map_or(0, |(_, rss)| *rss);
    let last = samples.last().map_or(0, |(_, rss)| *rss);
    let peak = samples.iter().map(|(_, rss)| *rss).max().unwrap_or(0);
    let growth = if baseline == 0 {
        f64::INFINITY
    } else {
        (last as f64 - baseline as f64) / baseline as f64
    };
    println!(
        "    {} requests ({:.0} req/s), p50 {}, p99 {}; RSS start {} MiB, after warm-up {} MiB, end {} MiB, peak {} MiB",
        tally.total(),
        tally.throughput(),
        super::millis(tally.quantile(0.5)),
        super::millis(tally.quantile(0.99)),
        first / 1024,
        baseline / 1024,
        last / 1024,
        peak / 1024
    );
    for sample in &tally.samples {
        println!("    sample: {sample}");
    }
    Ok(vec![
        Check::new(
            &label,
            "requests not answered 2xx",
            format!(
                "{} of {} ({})",
                tally.failures(),
                tally.total(),
                tally.statuses_text()
            ),
            "0",
            tally.failures() == 0 && tally.total() > 0,
        ),
        Check::new(
            &label,
            "RSS growth after the warm-up",
            format!(
                "{:+.1} % ({} → {} MiB; peak {} MiB)",
                growth * 100.0,
                baseline / 1024,
                last / 1024,
                peak / 1024
            ),
            "< 10 %",
            growth < MAX_GROWTH,
        ),
    ])
}
