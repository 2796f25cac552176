//! Drill (d): the language-model provider — a mock of Anthropic's Messages API on loopback that
//! answers with tool calls as Claude does — turns slow, then failing, then sends garbage, while
//! interview users ask and answer and other users use routes without the model. Every model
//! failure must be a 502/503/504 in the one error shape, no answer may be stored without its
//! acknowledgement (nothing half-written), and the other routes must not notice.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result};
use serde_json::{Value, json};

use super::http::{Tally, run_load};
use super::{
    Check, Client, Context, answered_questions, base_environment, millis, run_id, sign_up_many,
};
use crate::server::Server;

/// Users interviewing (every request of theirs reaches the model).
const INTERVIEWERS: usize = 8;
/// Users on routes that never call the model.
const BYSTANDERS: usize = 4;
/// The server's model settings for the drill: short timeouts so a phase shows many of them.
const ATTEMPT_TIMEOUT_SECONDS: u64 = 2;
const CALL_BUDGET_SECONDS: u64 = 5;
const DEADLINE_SECONDS: u64 = 15;
/// Bystanders' slowest acceptable p99.
const BYSTANDER_P99: Duration = Duration::from_millis(500);

/// How the mock provider behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Mode {
    Healthy = 0,
    /// Answers correctly, after 30 s.
    Slow = 1,
    /// 500 `api_error`, and now and then 529 `overloaded_error`.
    Failing = 2,
    /// 200 with bodies that are not the Messages API's.
    Garbage = 3,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Healthy => "healthy",
            Mode::Slow => "slow",
            Mode::Failing => "failing",
            Mode::Garbage => "garbage",
        }
    }

    fn from_u8(value: u8) -> Self {
        match value {
            1 => Mode::Slow,
            2 => Mode::Failing,
            3 => Mode::Garbage,
            _ => Mode::Healthy,
        }
    }
}

/// The mock provider: a thread per connection, keep-alive.
struct MockProvider {
    address: SocketAddr,
    mode: Arc<AtomicU8>,
    shutdown: Arc<AtomicBool>,
}

impl MockProvider {
    fn start() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").context("bind the mock provider")?;
        let address = listener.local_addr()?;
        let mode = Arc::new(AtomicU8::new(Mode::Healthy as u8));
        let shutdown = Arc::new(AtomicBool::new(false));
        let questions = Arc::new(AtomicUsize::new(0));
        {
            let mode = Arc::clone(&mode);
            let shutdown = Arc::clone(&shutdown);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if shutdown.load(Ordering::Relaxed) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let mode = Arc::clone(&mode);
                    let shutdown = Arc::clone(&shutdown);
                    let questions = Arc::clone(&questions);
                    std::thread::spawn(move || {
                        let _ = serve(stream, &mode, &shutdown, &questions);
                    });
                }
            });
        }
        Ok(Self {
            address,
            mode,
            shutdown,
        })
    }

    fn set(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }
}

impl Drop for MockProvider {
    fn drop(&mut self) {
        self.shutdown.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.address);
    }
}

fn serve(
    stream: TcpStream,
    mode: &AtomicU8,
    shutdown: &AtomicBool,
    questions: &AtomicUsize,
) -> Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut length = 0_usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0_u8; length];
        reader.read_exact(&mut body)?;
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let current = Mode::from_u8(mode.load(Ordering::SeqCst));
        let served = questions.fetch_add(1, Ordering::Relaxed);
        let (status, content_type, response) = match current {
            Mode::Healthy => (200, "application/json", healthy(&request, served).to_string()),
            Mode::Slow => {
                for _ in 0..300 {
                    if shutdown.load(Ordering::Relaxed) {
                        return Ok(());
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                (200, "application/json", healthy(&request, served).to_string())
            }
            Mode::Failing if served.is_multiple_of(4) => (
                529,
                "application/json",
                json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}).to_string(),
            ),
            Mode::Failing => (
                500,
                "application/json",
                json!({"type": "error", "error": {"type": "api_error", "message": "Internal server error"}}).to_string(),
            ),
            Mode::Garbage => match served % 3 {
                0 => (200, "text/html", "<html><body>502 Bad Gateway</body></html>".to_owned()),
                1 => (200, "application/json", "{\"id\": \"msg_01\", \"content\": [{\"type\": \"tool_u".to_owned()),
                _ => (
                    200,
                    "application/json",
                    json!({"id": "msg_01", "type": "message", "role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01", "name": "socratic_question", "input": {"text": 42, "category": ["nope"]}}], "stop_reason": "tool_use", "usage": {"input_tokens": 10, "output_tokens": 3}}).to_string(),
                ),
            },
        };
        let reason = match status {
            200 => "OK",
            500 => "Internal Server Error",
            _ => "Overloaded",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            response.len()
        );
        let stream = reader.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(response.as_bytes())?;
    }
}

/// Claude's answer to a forced tool call of the reasoner.
fn healthy(request: &Value, served: usize) -> Value {
    let tool = request["tool_choice"]["name"].as_str().unwrap_or_default();
    let user = request["messages"][0]["content"]
        .as_str()
        .unwrap_or_default();
    let input = match tool {
        "socratic_question" => {
            let category = user
                .split("Ask the next question about ")
                .nth(1)
                .unwrap_or("goals")
                .trim_end_matches('.')
                .to_owned();
            json!({
                "text": format!("Which outcome of the {} would you give up last, and why (angle {served})?", category.replace('_', " ")),
                "category": category,
                "context": "It decides what the first release must get right.",
            })
        }
        "extracted_facts" => json!({"facts": [
            {"category": "tech_stack", "key": "primary_database", "value": "PostgreSQL", "confidence": 0.9, "reasoning": "stated"},
            {"category": "deployment", "key": "cloud_provider", "value": "AWS", "confidence": 0.9, "reasoning": "stated"},
        ]}),
        "conflict_judgement" => json!({"conflicts": []}),
        _ => json!({}),
    };
    json!({
        "id": format!("msg_drill_{served}"),
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "tool_use", "id": format!("toolu_drill_{served}"), "name": tool, "input": input}],
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "usage": {"input_tokens": 812, "output_tokens": 96},
    })
}

/// What one interviewer has open.
#[derive(Debug, Clone, Default)]
struct Interview {
    session: String,
    question: Option<String>,
    /// Questions whose answer the server acknowledged.
    acknowledged: HashSet<String>,
    /// Questions whose answer the server refused (a model failure).
    refused: HashSet<String>,
}

/// Runs the drill on the embedded default.
pub fn run(context: &Context) -> Result<Vec<Check>> {
    let label = "llm · mock provider (SQLite)";
    let run = run_id();
    let provider = MockProvider::start()?;
    let mut environment = base_environment();
    environment.extend([
        ("SOCRATES_LLM__PROVIDER", "claude".to_owned()),
        (
            "SOCRATES_LLM__BASE_URL",
            format!("http://{}", provider.address),
        ),
        ("ANTHROPIC_API_KEY", "sk-ant-drill-0123456789".to_owned()),
        (
            "SOCRATES_LLM__TIMEOUT_SECONDS",
            ATTEMPT_TIMEOUT_SECONDS.to_string(),
        ),
        (
            "SOCRATES_LLM__CALL_BUDGET_SECONDS",
            CALL_BUDGET_SECONDS.to_string(),
        ),
        ("SOCRATES_LLM__MAX_ATTEMPTS", "2".to_owned()),
        (
            "SOCRATES_HTTP__REQUEST_DEADLINE_SECONDS",
            DEADLINE_SECONDS.to_string(),
        ),
    ]);
    let server = Server::start_logged(
        &context.binary,
        &format!("drill-llm-{run}"),
        &environment,
        &context.log("llm"),
    )?;
    let address = server.address;
    let users = sign_up_many(
        address,
        &run,
        INTERVIEWERS + BYSTANDERS,
        Duration::from_secs(30),
    )?;
    let mut interviews = Vec::new();
    for user in users.iter().take(INTERVIEWERS) {
        let mut client = user.connect(address, Duration::from_secs(30));
        let opened = client.post(
            &format!("/api/v1/projects/{}/sessions", user.project_id),
            &json!({"mode": "socratic"}),
        )?;
        let session = opened.json()["session_id"]
            .as_str()
            .context("no session_id")?
            .to_owned();
        interviews.push(Interview {
            session,
            ..Interview::default()
        });
    }
    let interviews = Arc::new(Mutex::new(interviews));

    let mut checks = Vec::new();
    let mut samples = Vec::new();
    for mode in [Mode::Healthy, Mode::Slow, Mode::Failing, Mode::Garbage] {
        provider.set(mode);
        let (interviewed, bystanders) =
            phase(&users, address, Arc::clone(&interviews), context.phase())?;
        println!(
            "    {}: interview {} (p50 {}, max {}); other routes {} (p99 {})",
            mode.name(),
            interviewed.statuses_text(),
            millis(interviewed.quantile(0.5)),
            millis(interviewed.quantile(1.0)),
            bystanders.statuses_text(),
            millis(bystanders.quantile(0.99)),
        );
        let (what, passed, target) = if mode == Mode::Healthy {
            (
                "interview requests answered 2xx",
                interviewed.failures() == 0 && interviewed.total() > 0,
                "all",
            )
        } else {
            let failures_are_clean = interviewed.count(500..=501) == 0
                && interviewed.count(505..=599) == 0
                && interviewed.count(0..=0) == 0
                && interviewed.unshaped_errors == 0
                && interviewed.count(502..=504) > 0;
            (
                "interview failures are 502/503/504 in the error shape",
                failures_are_clean,
                "only 2xx, 502, 503, 504; some failures",
            )
        };
        checks.push(Check::new(
            &format!("{label} · {}", mode.name()),
            what,
            interviewed.statuses_text(),
            target,
            passed,
        ));
        checks.push(Check::new(
            &format!("{label} · {}", mode.name()),
            "routes without the model: 2xx, p99",
            format!(
                "{} of {}, p99 {}",
                bystanders.count(200..=299),
                bystanders.total(),
                millis(bystanders.quantile(0.99))
            ),
            &format!("all, < {}", millis(BYSTANDER_P99)),
            bystanders.failures() == 0
                && bystanders.total() > 0
                && bystanders.quantile(0.99) < BYSTANDER_P99,
        ));
        samples.extend(interviewed.samples.clone());
    }
    provider.set(Mode::Healthy);

    // Nothing half-written: every session's history holds exactly the acknowledged answers.
    let interviews = interviews
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    let mut stray = 0;
    let mut lost = 0;
    let mut acknowledged = 0;
    let mut refused = 0;
    for (index, interview) in interviews.iter().enumerate() {
        let mut client = Client::new(address, Duration::from_secs(30));
        client.token = users[index].client.token.clone();
        let answered = answered_questions(&mut client, &interview.session)?;
        acknowledged += interview.acknowledged.len();
        refused += interview.refused.len();
        lost += interview
            .acknowledged
            .iter()
            .filter(|question| !answered.contains(*question))
            .count();
        stray += answered
            .iter()
            .filter(|question| !interview.acknowledged.contains(*question))
            .count();
    }
    checks.push(Check::new(
        label,
        "answers stored without a 2xx / acknowledged but missing",
        format!("{stray} / {lost} (acknowledged {acknowledged}, refused {refused})"),
        "0 / 0, some refused",
        stray == 0 && lost == 0 && refused > 0 && acknowledged > 0,
    ));
    for sample in samples.iter().take(5) {
        println!("    sample: {sample}");
    }
    drop(server);
    drop(provider);
    Ok(checks)
}

/// One phase: interviewers ask and answer, bystanders use routes without the model.
fn phase(
    users: &[super::User],
    address: SocketAddr,
    interviews: Arc<Mutex<Vec<Interview>>>,
    duration: Duration,
) -> Result<(Tally, Tally)> {
    let bystander_clients: Vec<Client> = users
        .iter()
        .skip(INTERVIEWERS)
        .map(|user| user.connect(address, Duration::from_secs(30)))
        .collect();
    let bystander_projects: Vec<String> = users
        .iter()
        .skip(INTERVIEWERS)
        .map(|user| user.project_id.clone())
        .collect();
    let bystanders = std::thread::spawn(move || {
        let counter = AtomicUsize::new(0);
        run_load(bystander_clients, duration, move |index, client, tally| {
            let project = &bystander_projects[index];
            let step = counter.fetch_add(1, Ordering::Relaxed);
            let outcome = match step % 3 {
                0 => client.get(&format!("/api/v1/projects/{project}")),
                1 => client.get(&format!("/api/v1/projects/{project}/status")),
                _ => client.get("/api/v1/projects?limit=20"),
            };
            tally.record(&outcome);
        })
    });
    let interviewer_clients: Vec<Client> = users
        .iter()
        .take(INTERVIEWERS)
        .map(|user| user.connect(address, Duration::from_secs(30)))
        .collect();
    let interviewed = run_load(
        interviewer_clients,
        duration,
        move |index, client, tally| {
            let Ok(current) = interviews.lock().map(|all| all[index].clone()) else {
                return;
            };
            match &current.question {
                None => {
                    let outcome = client.post(
                        &format!("/api/v1/sessions/{}/next-question", current.session),
                        &Value::Null,
                    );
                    if let Ok(response) = &outcome
                        && let Some(question) = response.json()["question_id"].as_str()
                        && let Ok(mut all) = interviews.lock()
                    {
                        all[index].question = Some(question.to_owned());
                    }
                    note_surprise(&outcome, tally);
                    tally.record(&outcome);
                }
                Some(question) => {
                    let outcome = client.post(
                    &format!("/api/v1/sessions/{}/answer", current.session),
                    &json!({"question_id": question, "answer": "We'd host it on AWS and keep everything in PostgreSQL; no mobile app for now, maybe next year."}),
                );
                    if let Ok(response) = &outcome
                        && let Ok(mut all) = interviews.lock()
                    {
                        if response.status == 200 {
                            all[index].acknowledged.insert(question.clone());
                            all[index].question = None;
                        } else if response.status >= 500 {
                            // Refused: the same answer may be sent again later, so the question
                            // stays open; it counts as refused unless a later try is acknowledged.
                            all[index].refused.insert(question.clone());
                        } else {
                            all[index].question = None;
                        }
                    }
                    note_surprise(&outcome, tally);
                    tally.record(&outcome);
                }
            }
        },
    )?;
    let bystanders = bystanders
        .join()
        .map_err(|_| anyhow::anyhow!("the bystanders panicked"))??;
    Ok((interviewed, bystanders))
}

fn note_surprise(outcome: &Result<super::Response>, tally: &mut Tally) {
    if let Ok(response) = outcome
        && response.status >= 400
        && !(502..=504).contains(&response.status)
    {
        tally.sample(format!("{} {:.200}", response.status, response.body));
    }
}
