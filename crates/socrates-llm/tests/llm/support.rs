//! Shared fixtures: configurations pointing at a mock server, requests, and readers of what
//! the client streamed or sent.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use socrates_domain::LlmProviderKind;
use socrates_llm::{
    ChatMessage, CompletionRequest, LlmError, ProviderConfig, RetryPolicy, StreamChunk,
    StructuredOutput, TextStream, Usage,
};
use wiremock::{MockServer, ResponseTemplate};

/// A key that must reach the provider in a header and nowhere else.
pub const API_KEY: &str = "sk-test-0123456789abcdef";
/// The system prompt of [`request`].
pub const SYSTEM: &str = "You are Socrates, a patient requirements analyst.";
/// The user's turn of [`request`].
pub const QUESTION: &str = "I want to build a web app with FastAPI for a small clinic.";

/// Three attempts with millisecond backoff, so retry tests stay fast.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(5),
        total_budget: Duration::from_secs(20),
    }
}

/// The model name each provider's tests use.
pub fn model_of(provider: LlmProviderKind) -> &'static str {
    match provider {
        LlmProviderKind::Claude => "claude-sonnet-4-5",
        LlmProviderKind::Openai => "gpt-4o",
        _ => "llama3.2",
    }
}

/// A configuration for `provider` pointing at `server`, with [`API_KEY`] and fast retries.
pub fn config(provider: LlmProviderKind, server: &MockServer) -> ProviderConfig {
    ProviderConfig::new(provider, model_of(provider))
        .with_base_url(server.uri())
        .with_api_key(API_KEY)
        .with_timeout(Duration::from_secs(5))
        .with_retry(fast_retry())
}

/// A system prompt, one user turn, 256 tokens at temperature 0.25.
pub fn request() -> CompletionRequest {
    CompletionRequest {
        system: Some(SYSTEM.to_owned()),
        messages: vec![ChatMessage::user(QUESTION)],
        max_tokens: 256,
        temperature: Some(0.25),
        structured_output: None,
    }
}

/// The JSON Schema of a Socratic question.
pub fn question_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "category": {"type": "string"}
        },
        "required": ["text", "category"],
        "additionalProperties": false
    })
}

/// [`request`] asking for a question as structured output.
pub fn structured_request() -> CompletionRequest {
    CompletionRequest {
        structured_output: Some(StructuredOutput {
            name: "socratic_question".to_owned(),
            description: "The next question to ask the user.".to_owned(),
            schema: question_schema(),
        }),
        ..request()
    }
}

/// The value the structured-output mocks answer with.
pub fn question_value() -> Value {
    json!({"text": "Who will use the app every day?", "category": "users"})
}

/// Everything a stream yielded.
#[derive(Debug, Default)]
pub struct Collected {
    /// The text deltas, in order.
    pub deltas: Vec<String>,
    /// The usage and stop reason of the `Finished` chunk.
    pub finished: Option<(Usage, Option<String>)>,
    /// The error that ended the stream.
    pub error: Option<LlmError>,
    /// Items after `Finished` or an error (there must be none).
    pub after_end: usize,
}

/// Reads a stream to its end.
pub async fn collect(mut stream: TextStream) -> Collected {
    let mut collected = Collected::default();
    while let Some(item) = stream.next().await {
        if collected.finished.is_some() || collected.error.is_some() {
            collected.after_end += 1;
            continue;
        }
        match item {
            Ok(StreamChunk::Delta(text)) => collected.deltas.push(text),
            Ok(StreamChunk::Finished { usage, stop_reason }) => {
                collected.finished = Some((usage, stop_reason));
            }
            Err(error) => collected.error = Some(error),
        }
    }
    collected
}

/// A Server-Sent Events body: `event:` and `data:` lines, each event ended by a blank line.
pub fn sse(events: &[(&str, Value)]) -> String {
    events
        .iter()
        .map(|(event, data)| format!("event: {event}\ndata: {data}\n\n"))
        .collect()
}

/// A 200 response carrying an event stream.
pub fn sse_response(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("cache-control", "no-cache")
        .set_body_raw(body, "text/event-stream")
}

/// The JSON bodies of every request the server received, in order.
pub async fn sent_bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|request| request.body_json::<Value>().expect("a JSON request body"))
        .collect()
}

/// How many requests the server received.
pub async fn request_count(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map_or(0, |requests| requests.len())
}

/// An http URL where nothing listens.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Floating-point equality for costs.
pub fn assert_close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

/// Asserts an error's message carries neither the key nor the prompt.
pub fn assert_clean(error: &LlmError) {
    let text = format!("{error} {error:?}");
    assert!(!text.contains(API_KEY), "key leaked: {text}");
    assert!(!text.contains(QUESTION), "prompt leaked: {text}");
    assert!(!text.contains(SYSTEM), "system prompt leaked: {text}");
}
