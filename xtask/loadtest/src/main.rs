//! The Socrates journey under load, with goose.
//!
//! Every virtual user signs up once (register, then log in), then walks the journey over and
//! over: create a project, open a Socratic session, five times ask for the next question and
//! answer it, switch the session to direct chat and send a message (the offline reply), upload
//! a two-kilobyte Markdown brief to the project's knowledge base and search it, read the
//! project's status and export the specification as Markdown. Between two
//! steps a user pauses about `--pause-ms` (±20 %), as a person would; `--pause-ms 0` measures
//! saturation instead.
//!
//! Each user sends its own `X-Forwarded-For` address (10.x.y.z), so a server that trusts the
//! load generator as a proxy applies its per-address limits per user, as in production.
//!
//! Goose's own options (`--host`, `--users`, `--increase-rate`, `--run-time`, …) are all
//! accepted; after the run a table of every step (requests, errors, p50/p95/p99, max) is
//! printed and, with `--summary FILE`, written as JSON for `cargo xtask loadtest`.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Parser;
use goose::config::GooseConfiguration;
use goose::metrics::GooseMetrics;
use goose::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

/// The journey's steps in order, as they are named in the metrics (method and name).
const STEPS: [&str; 12] = [
    "POST register",
    "POST login",
    "POST create project",
    "POST open session",
    "POST next question",
    "POST answer",
    "POST toggle mode",
    "POST chat message",
    "POST upload document",
    "GET search documents",
    "GET status",
    "GET export markdown",
];

/// `--email-prefix`, for the sign-up step.
static EMAIL_PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The password every virtual user signs up with.
const PASSWORD: &str = "LoadTest-2026!";

/// One answer per category, so the offline reasoner has facts to extract; a project's answers
/// do not contradict each other (conflicts are the functional tests' business).
const ANSWERS: [(&str, &str); 10] = [
    (
        "goals",
        "We want a booking platform for small physiotherapy clinics; success means 200 paying \
         clinics by the end of next year.",
    ),
    (
        "requirements",
        "Patients must book, move and cancel appointments online, and clinics must send SMS \
         reminders the day before.",
    ),
    (
        "tech_stack",
        "The backend is Python with Django, the frontend React, the data lives in PostgreSQL \
         and everything runs on AWS.",
    ),
    (
        "scalability",
        "About 25k users in two years, with around 400 online at the same time.",
    ),
    (
        "security",
        "Logins go through OpenID Connect with MFA for admins, and GDPR applies because our \
         clinics are in Germany.",
    ),
    (
        "performance",
        "Pages should load with a p95 under 300 ms, and the API must handle 200 requests per \
         second at peak.",
    ),
    (
        "testing",
        "Every pull request runs the unit tests with pytest and the end-to-end tests with \
         Playwright; we aim for 80% coverage.",
    ),
    (
        "monitoring",
        "Metrics go to Prometheus and Grafana, and PagerDuty wakes someone up for critical \
         alerts.",
    ),
    (
        "data_retention",
        "Patient records are kept for 10 years after the last treatment, logs for 90 days.",
    ),
    (
        "disaster_recovery",
        "We can lose at most an hour of data and must be back within 4 hours; nightly backups \
         are copied to a second region.",
    ),
];

/// The command line: the journey's own options, then every option of goose.
#[derive(Parser)]
#[command(about = "The Socrates journey under load (goose)")]
struct Cli {
    /// The mean pause of a user between two steps, in milliseconds (0: no pause, saturation).
    #[arg(long, default_value_t = 1000)]
    pause_ms: u64,
    /// Where to write the per-step summary as JSON.
    #[arg(long)]
    summary: Option<std::path::PathBuf>,
    /// The email prefix of the virtual users, unique per run so runs never collide.
    #[arg(long, default_value = "loadtest")]
    email_prefix: String,
    #[command(flatten)]
    goose: GooseConfiguration,
}

/// What a virtual user keeps between steps.
#[derive(Clone)]
struct Journey {
    token: String,
    forwarded_for: String,
    project_id: Option<String>,
    session_id: Option<String>,
    question: Option<(String, String)>,
}

/// Per-step figures of one run, in milliseconds.
#[derive(Serialize)]
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

/// The whole run.
#[derive(Serialize)]
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let pause = Duration::from_millis(cli.pause_ms);
    EMAIL_PREFIX
        .set(cli.email_prefix.clone())
        .map_err(|_| "the email prefix is set once")?;
    let mut scenario = scenario!("Journey")
        .register_transaction(transaction!(sign_up).set_on_start())
        .register_transaction(transaction!(create_project).set_sequence(1))
        .register_transaction(transaction!(open_session).set_sequence(2));
    for round in 0..5 {
        scenario = scenario
            .register_transaction(transaction!(next_question).set_sequence(3 + 2 * round))
            .register_transaction(transaction!(answer).set_sequence(4 + 2 * round));
    }
    scenario = scenario
        .register_transaction(transaction!(toggle_mode).set_sequence(13))
        .register_transaction(transaction!(chat_message).set_sequence(14))
        .register_transaction(transaction!(upload_document).set_sequence(15))
        .register_transaction(transaction!(search_documents).set_sequence(16))
        .register_transaction(transaction!(status).set_sequence(17))
        .register_transaction(transaction!(export).set_sequence(18));
    if !pause.is_zero() {
        scenario = scenario.set_wait_time(pause * 4 / 5, pause * 6 / 5)?;
    }
    let metrics = GooseAttack::initialize_with_config(cli.goose)?
        .register_scenario(scenario)
        .execute()
        .await?;
    let summary = summarise(&metrics, cli.pause_ms);
    print_summary(&summary);
    if let Some(path) = cli.summary {
        std::fs::write(&path, serde_json::to_vec_pretty(&summary)?)?;
    }
    Ok(())
}

/// Registers this user and logs in; keeps the token.
async fn sign_up(user: &mut GooseUser) -> TransactionResult {
    let prefix = EMAIL_PREFIX.get().map_or("loadtest", String::as_str);
    let index = user.weighted_users_index;
    let forwarded_for = format!(
        "10.{}.{}.{}",
        (index >> 16) & 255,
        (index >> 8) & 255,
        index & 255
    );
    let credentials = json!({
        "email": format!("{prefix}-{index}@example.com"),
        "password": PASSWORD,
    });
    call(
        user,
        &forwarded_for,
        None,
        GooseMethod::Post,
        "/api/v1/auth/register",
        "register",
        Some(Body::Json(&credentials)),
    )
    .await?;
    let login = call(
        user,
        &forwarded_for,
        None,
        GooseMethod::Post,
        "/api/v1/auth/login",
        "login",
        Some(Body::Json(&credentials)),
    )
    .await?;
    let token = field(&login, "access_token")?;
    user.set_session_data(Journey {
        token,
        forwarded_for,
        project_id: None,
        session_id: None,
        question: None,
    });
    Ok(())
}

async fn create_project(user: &mut GooseUser) -> TransactionResult {
    let body = json!({
        "name": format!("Clinic booking {}", user.weighted_users_index),
        "description": "Appointment booking for physiotherapy clinics",
    });
    let created = authed(
        user,
        GooseMethod::Post,
        "/api/v1/projects".to_owned(),
        "create project",
        Some(Body::Json(&body)),
    )
    .await?;
    let project_id = field(&created, "project_id")?;
    let journey = journey_mut(user)?;
    journey.project_id = Some(project_id);
    journey.session_id = None;
    journey.question = None;
    Ok(())
}

async fn open_session(user: &mut GooseUser) -> TransactionResult {
    let project_id = required(journey(user)?.project_id.as_ref(), "a project")?;
    let path = format!("/api/v1/projects/{project_id}/sessions");
    let body = json!({"mode": "socratic"});
    let opened = authed(
        user,
        GooseMethod::Post,
        path,
        "open session",
        Some(Body::Json(&body)),
    )
    .await?;
    journey_mut(user)?.session_id = Some(field(&opened, "session_id")?);
    Ok(())
}

async fn next_question(user: &mut GooseUser) -> TransactionResult {
    let session_id = required(journey(user)?.session_id.as_ref(), "a session")?;
    let path = format!("/api/v1/sessions/{session_id}/next-question");
    let question = authed(
        user,
        GooseMethod::Post,
        path,
        "next question",
        Some(Body::Json(&json!({}))),
    )
    .await?;
    let id = field(&question, "question_id")?;
    let category = field(&question, "category")?;
    journey_mut(user)?.question = Some((id, category));
    Ok(())
}

async fn answer(user: &mut GooseUser) -> TransactionResult {
    let session_id = required(journey(user)?.session_id.as_ref(), "a session")?;
    let (question_id, category) =
        required(journey_mut(user)?.question.take().as_ref(), "a question")?;
    let text = ANSWERS
        .iter()
        .find(|(name, _)| *name == category)
        .map_or(ANSWERS[0].1, |(_, text)| text);
    let path = format!("/api/v1/sessions/{session_id}/answer");
    let body = json!({"question_id": question_id, "answer": text});
    authed(
        user,
        GooseMethod::Post,
        path,
        "answer",
        Some(Body::Json(&body)),
    )
    .await?;
    Ok(())
}

async fn toggle_mode(user: &mut GooseUser) -> TransactionResult {
    let session_id = required(journey(user)?.session_id.as_ref(), "a session")?;
    let path = format!("/api/v1/sessions/{session_id}/toggle-mode");
    let body = json!({"mode": "direct_chat"});
    authed(
        user,
        GooseMethod::Post,
        path,
        "toggle mode",
        Some(Body::Json(&body)),
    )
    .await?;
    Ok(())
}

/// A message that adds to the specification without contradicting the answers.
const CHAT_MESSAGE: &str = "Clinic managers also need a dashboard of no-shows per week, and     we'd like Redis for caching the appointment calendar. Reports are kept for two years.";

async fn chat_message(user: &mut GooseUser) -> TransactionResult {
    let session_id = required(journey(user)?.session_id.as_ref(), "a session")?;
    let path = format!("/api/v1/sessions/{session_id}/message");
    let body = json!({"message": CHAT_MESSAGE});
    authed(
        user,
        GooseMethod::Post,
        path,
        "chat message",
        Some(Body::Json(&body)),
    )
    .await?;
    Ok(())
}

/// The brief each journey uploads (about two kilobytes of Markdown, three chunks).
const BRIEF: &str = "# Clinic booking: product brief\n\n\
Patients of small physiotherapy clinics book, move and cancel appointments online. \
Receptionists see the day at a glance, confirm new patients and fill cancelled slots from a \
waiting list. Therapists manage their own calendars and block time for home visits.\n\n\
## Payments\n\n\
Payments go through Stripe. Refunds are issued by the clinic manager within 14 days. \
Invoices are exported to Xero every night, and each clinic sees its revenue per therapist \
per month. Deposits are taken for first appointments only.\n\n\
## Reminders\n\n\
Reminders are sent by SMS through Twilio 24 hours before each appointment, and by e-mail \
two days before. Patients can confirm or cancel from the reminder itself; a cancellation \
frees the slot for the waiting list at once.\n\n\
## Platform\n\n\
The backend is written in Rust with PostgreSQL as the database, deployed on Kubernetes in \
two regions. Personal data stays in the EU. Reports are kept for two years, then deleted.\n";

/// A multipart form with one part `file` named `brief.md`, and its content type.
fn brief_form() -> (String, Vec<u8>) {
    let boundary = "socrates-loadtest-boundary";
    let mut body = Vec::with_capacity(BRIEF.len() + 200);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"brief.md\"\r\nContent-Type: text/markdown\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(BRIEF.as_bytes());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload_document(user: &mut GooseUser) -> TransactionResult {
    let project_id = required(journey(user)?.project_id.as_ref(), "a project")?;
    let path = format!("/api/v1/learning/project/{project_id}/upload-document");
    let (content_type, bytes) = brief_form();
    let body = Body::Raw(content_type, bytes);
    authed(user, GooseMethod::Post, path, "upload document", Some(body)).await?;
    Ok(())
}

async fn search_documents(user: &mut GooseUser) -> TransactionResult {
    let project_id = required(journey(user)?.project_id.as_ref(), "a project")?;
    let path = format!("/api/v1/learning/project/{project_id}/documents/search?q=stripe+refunds");
    authed(user, GooseMethod::Get, path, "search documents", None).await?;
    Ok(())
}

async fn status(user: &mut GooseUser) -> TransactionResult {
    let project_id = required(journey(user)?.project_id.as_ref(), "a project")?;
    let path = format!("/api/v1/projects/{project_id}/status");
    authed(user, GooseMethod::Get, path, "status", None).await?;
    Ok(())
}

async fn export(user: &mut GooseUser) -> TransactionResult {
    let project_id = required(journey(user)?.project_id.as_ref(), "a project")?;
    let path = format!("/api/v1/projects/{project_id}/export/markdown");
    authed(user, GooseMethod::Get, path, "export markdown", None).await?;
    Ok(())
}

fn journey(user: &GooseUser) -> Result<&Journey, Box<TransactionError>> {
    user.get_session_data::<Journey>()
        .ok_or_else(|| custom("the user has not signed up"))
}

fn journey_mut(user: &mut GooseUser) -> Result<&mut Journey, Box<TransactionError>> {
    user.get_session_data_mut::<Journey>()
        .ok_or_else(|| custom("the user has not signed up"))
}

/// The value a step needs from an earlier one, which failed when it is missing.
fn required<T: Clone>(value: Option<&T>, what: &str) -> Result<T, Box<TransactionError>> {
    value
        .cloned()
        .ok_or_else(|| custom(&format!("no {what}: an earlier step failed")))
}

fn custom(message: &str) -> Box<TransactionError> {
    Box::new(TransactionError::Custom(message.to_owned()))
}

/// A string field of a JSON answer.
fn field(body: &Value, name: &str) -> Result<String, Box<TransactionError>> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| custom(&format!("no `{name}` in {body}")))
}

/// What a request sends.
enum Body<'a> {
    /// A JSON document.
    Json(&'a Value),
    /// Bytes of the given content type.
    Raw(String, Vec<u8>),
}

/// A request with this user's token.
async fn authed(
    user: &mut GooseUser,
    method: GooseMethod,
    path: String,
    name: &str,
    body: Option<Body<'_>>,
) -> Result<Value, Box<TransactionError>> {
    let journey = journey(user)?;
    let token = journey.token.clone();
    let forwarded_for = journey.forwarded_for.clone();
    call(
        user,
        &forwarded_for,
        Some(&token),
        method,
        &path,
        name,
        body,
    )
    .await
}

/// One request, named for the metrics; a non-2xx status or a body that is not JSON fails it.
async fn call(
    user: &mut GooseUser,
    forwarded_for: &str,
    token: Option<&str>,
    method: GooseMethod,
    path: &str,
    name: &str,
    body: Option<Body<'_>>,
) -> Result<Value, Box<TransactionError>> {
    let mut builder = user
        .get_request_builder(&method, path)?
        .header("X-Forwarded-For", forwarded_for);
    if let Some(token) = token {
        builder = builder.bearer_auth(token);
    }
    match body {
        Some(Body::Json(value)) => builder = builder.json(value),
        Some(Body::Raw(content_type, bytes)) => {
            builder = builder.header("Content-Type", content_type).body(bytes);
        }
        None => {}
    }
    let request = GooseRequest::builder()
        .method(method)
        .path(path)
        .name(name)
        .set_request_builder(builder)
        .build();
    let mut outcome = user.request(request).await?;
    let response = match outcome.response {
        Ok(response) => response,
        Err(error) => return Err(Box::new(error.into())),
    };
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(custom(&format!("{name}: {status}: {text}")));
    }
    if text.is_empty() {
        return Ok(Value::Null);
    }
    match serde_json::from_str(&text) {
        Ok(value) => Ok(value),
        Err(_) if name == "export markdown" => Ok(Value::String(text)),
        Err(error) => {
            user.set_failure(
                &format!("{name}: not JSON: {error}"),
                &mut outcome.request,
                None,
                Some(&text),
            )?;
            Err(custom(&format!("{name}: not JSON")))
        }
    }
}

/// The per-step table from goose's metrics.
fn summarise(metrics: &GooseMetrics, pause_ms: u64) -> RunSummary {
    let mut by_step = BTreeMap::new();
    for (key, aggregate) in &metrics.requests {
        by_step.insert(key.clone(), aggregate);
    }
    let millis = |us: u64| us as f64 / 1000.0;
    let mut steps = Vec::new();
    let ordered = STEPS
        .iter()
        .map(|step| (*step).to_owned())
        .chain(
            by_step
                .keys()
                .filter(|key| !STEPS.contains(&key.as_str()))
                .cloned(),
        )
        .collect::<Vec<_>>();
    for step in ordered {
        let Some(aggregate) = by_step.get(&step) else {
            continue;
        };
        let data = &aggregate.raw_data;
        steps.push(StepSummary {
            step,
            requests: data.counter,
            errors: aggregate.fail_count,
            mean_ms: if data.counter == 0 {
                0.0
            } else {
                millis(data.total_time_us) / data.counter as f64
            },
            p50_ms: millis(data.percentile_us(0.50)),
            p95_ms: millis(data.percentile_us(0.95)),
            p99_ms: millis(data.percentile_us(0.99)),
            max_ms: millis(data.maximum_time_us),
        });
    }
    let requests: usize = steps.iter().map(|step| step.requests).sum();
    let errors: usize = steps.iter().map(|step| step.errors).sum();
    let transaction_errors = metrics
        .transactions
        .iter()
        .flatten()
        .map(|transaction| transaction.fail_count)
        .sum();
    RunSummary {
        users: metrics.maximum_users,
        pause_ms,
        duration_seconds: metrics.duration,
        requests,
        errors,
        requests_per_second: if metrics.duration == 0 {
            0.0
        } else {
            requests as f64 / metrics.duration as f64
        },
        transaction_errors,
        steps,
    }
}

#[allow(clippy::print_stdout, reason = "the report is the program's output")]
fn print_summary(summary: &RunSummary) {
    println!(
        "\n{} users, pause {} ms, {} s: {} requests, {:.1} req/s, {} failed requests, {} failed steps",
        summary.users,
        summary.pause_ms,
        summary.duration_seconds,
        summary.requests,
        summary.requests_per_second,
        summary.errors,
        summary.transaction_errors,
    );
    println!(
        "{:<22} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "step", "requests", "errors", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    for step in &summary.steps {
        println!(
            "{:<22} {:>9} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
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
}
