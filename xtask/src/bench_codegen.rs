//! `cargo xtask bench-codegen`: ten code generation jobs submitted at once do not starve the
//! API. The release server (embedded default) gets ten projects at 100 % maturity, each with
//! fifteen requirements naming fifteen entities (about sixty files per project); the ten
//! generations are requested at the same moment, and `GET /health` is probed every 5 ms from
//! then until the last one completes. Fails when a job fails or the probe's p95 reaches the
//! target (20 ms by default).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench::build_release;
use crate::bench_auth::{get, json_string_field, post_json};
use crate::server::Server;

/// Every category with its maturity weight (xtask depends on no crate of ours, so the table of
/// `socrates_domain::Category::weight` is repeated here): a fact entered by hand counts 1.0.
const WEIGHTS: [(&str, usize); 10] = [
    ("goals", 10),
    ("requirements", 15),
    ("tech_stack", 12),
    ("scalability", 8),
    ("security", 10),
    ("performance", 8),
    ("testing", 8),
    ("monitoring", 6),
    ("data_retention", 5),
    ("disaster_recovery", 8),
];

const THINGS: [&str; 15] = [
    "appointments",
    "invoices",
    "reminders",
    "rooms",
    "payments",
    "orders",
    "products",
    "tickets",
    "messages",
    "documents",
    "reports",
    "schedules",
    "shifts",
    "vouchers",
    "refunds",
];

/// Options of `cargo xtask bench-codegen`.
#[derive(Debug, clap::Args)]
pub struct BenchCodegenArgs {
    /// Generation jobs submitted at once.
    #[arg(long, value_name = "N", default_value_t = 10)]
    jobs: usize,
    /// The `/health` p95 (ms) that fails the run.
    #[arg(long, value_name = "MS", default_value_t = 20.0)]
    p95_target_ms: f64,
}

fn mature_project(address: &SocketAddr, token: &str, index: usize) -> Result<String> {
    let (status, body) = post_json(
        address,
        "/api/v1/projects",
        Some(token),
        &format!(r#"{{"name":"Bench project {index}"}}"#),
    )?;
    if status != 201 {
        bail!("create a project: {status} {body}");
    }
    let project = json_string_field(&body, "project_id").context("project_id")?;
    let add = |category: &str, key: &str, value: &str| -> Result<()> {
        let body = serde_json::json!({"project_id": project, "category": category, "key": key, "value": value});
        let (status, answer) = post_json(
            address,
            "/api/v1/specifications",
            Some(token),
            &body.to_string(),
        )?;
        if status != 201 {
            bail!("add {category}/{key}: {status} {answer}");
        }
        Ok(())
    };
    add("tech_stack", "programming_language", "Python")?;
    for (n, thing) in THINGS.iter().enumerate() {
        add(
            "requirements",
            &format!("requirement_{n}"),
            &format!("Staff must be able to create, change and archive {thing}"),
        )?;
    }
    for (category, weight) in WEIGHTS {
        let have = match category {
            "tech_stack" => 1,
            "requirements" => THINGS.len(),
            _ => 0,
        };
        for n in have..weight {
            add(
                category,
                &format!("detail_{n}"),
                &format!("Detail {n} of {category}"),
            )?;
        }
    }
    Ok(project)
}

fn percentile(sorted: &[f64], share: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short list"
    )]
    let index = ((sorted.len() as f64 * share).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

/// Runs the measurement and prints one table.
pub fn run(root: &Path, args: &BenchCodegenArgs) -> Result<()> {
    let binary = build_release(root)?;
    let server = Server::start(
        &binary,
        "bench-codegen",
        &[
            ("SOCRATES_RATE_LIMIT__ENABLED", "false".to_owned()),
            ("SOCRATES_AUTH__BCRYPT_COST", "4".to_owned()),
            ("SOCRATES_CODEGEN__POLL_INTERVAL_MS", "200".to_owned()),
        ],
    )?;
    let address = server.address;
    let credentials = r#"{"email":"codegen@example.com","password":"Bench123!"}"#;
    post_json(&address, "/api/v1/auth/register", None, credentials)?;
    let (_, login) = post_json(&address, "/api/v1/auth/login", None, credentials)?;
    let token = json_string_field(&login, "access_token").context("access_token")?;
    println!("filling {} projects to 100 % maturity", args.jobs);
    let projects: Vec<String> = (0..args.jobs)
        .map(|index| mature_project(&address, &token, index))
        .collect::<Result<_>>()?;

    // The probe runs from just before the requests until the last job is done.
    let done = Arc::new(AtomicBool::new(false));
    let probe = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || -> Result<Vec<f64>> {
            let mut samples = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                let (status, _) = get(&address, "/health", None)?;
                samples.push(started.elapsed().as_secs_f64() * 1_000.0);
                if status != 200 {
                    bail!("/health answered {status}");
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(samples)
        })
    };
    let submitted = Instant::now();
    let requests: Vec<_> = projects
        .iter()
        .map(|project| {
            let token = token.clone();
            let body = format!(r#"{{"project_id":"{project}"}}"#);
            std::thread::spawn(move || {
                post_json(&address, "/api/v1/code/generate", Some(&token), &body)
            })
        })
        .collect();
    let mut generations = Vec::new();
    for request in requests {
        let (status, body) = request
            .join()
            .map_err(|_| anyhow::anyhow!("a request thread panicked"))??;
        if status != 202 {
            bail!("generate: {status} {body}");
        }
        generations.push(json_string_field(&body, "generation_id").context("generation_id")?);
    }
    let mut files = 0_u64;
    let mut pending = generations.clone();
    while !pending.is_empty() {
        if submitted.elapsed() > Duration::from_secs(300) {
            bail!(
                "{} generations did not finish within 5 minutes",
                pending.len()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
        let mut still = Vec::new();
        for generation in pending {
            let (_, body) = get(
                &address,
                &format!("/api/v1/code/{generation}/status"),
                Some(&token),
            )?;
            let status: serde_json::Value = serde_json::from_str(&body)?;
            match status["status"].as_str() {
                Some("completed") => files += status["files_generated"].as_u64().unwrap_or(0),
                Some("failed") => bail!("generation {generation} failed: {body}"),
                _ => still.push(generation),
            }
        }
        pending = still;
    }
    let elapsed = submitted.elapsed();
    done.store(true, Ordering::Relaxed);
    let mut samples = probe
        .join()
        .map_err(|_| anyhow::anyhow!("the probe panicked"))??;
    samples.sort_by(f64::total_cmp);
    let p95 = percentile(&samples, 0.95);
    println!(
        "\n{} generations ({files} files) completed in {:.2} s\n\
         GET /health meanwhile: {} probes, p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n\
         server peak RSS {:.1} MiB",
        generations.len(),
        elapsed.as_secs_f64(),
        samples.len(),
        percentile(&samples, 0.50),
        p95,
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or(f64::NAN),
        server
            .peak_rss_kib()
            .map_or(f64::NAN, |kib| kib as f64 / 1024.0),
    );
    if p95 >= args.p95_target_ms {
        bail!(
            "/health p95 {p95:.2} ms is not under {} ms",
            args.p95_target_ms
        );
    }
    Ok(())
}
