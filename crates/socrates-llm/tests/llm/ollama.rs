//! The Ollama native-API client.

use serde_json::{Value, json};
use socrates_domain::LlmProviderKind;
use socrates_llm::{LlmClient, LlmError, OllamaClient, ProviderConfig};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::behaviour::{Wire, shared_behaviour};
use super::support::{
    QUESTION, SYSTEM, collect, config, fast_retry, question_schema, question_value, request,
    sent_bodies, structured_request,
};

const WIRE: Wire = Wire {
    provider: LlmProviderKind::Ollama,
    chat_path: "/api/chat",
    models_path: "/api/tags",
    success: success_body,
    success_text: "Who will use the app every day?",
    error: error_body,
    stream: stream_response,
    stream_deltas: &["Who", " will", " use it?"],
};

shared_behaviour!(WIRE);

/// An Ollama client without a key, as most local servers run.
fn client(server: &MockServer) -> OllamaClient {
    let config = ProviderConfig::new(LlmProviderKind::Ollama, "llama3.2")
        .with_base_url(server.uri())
        .with_retry(fast_retry());
    OllamaClient::new(config).unwrap()
}

fn answer(content: &str) -> Value {
    json!({
        "model": "llama3.2",
        "created_at": "2023-12-12T14:13:43.416799Z",
        "message": {"role": "assistant", "content": content},
        "done": true,
        "done_reason": "stop",
        "total_duration": 5_191_566_416_u64,
        "load_duration": 2_154_458,
        "prompt_eval_count": 26,
        "prompt_eval_duration": 383_809_000,
        "eval_count": 298,
        "eval_duration": 4_799_921_000_u64
    })
}

fn success_body() -> Value {
    answer("Who will use the app every day?")
}

fn error_body(message: &str) -> Value {
    json!({"error": message})
}

fn line(content: &str) -> String {
    let line = json!({
        "model": "llama3.2",
        "created_at": "2023-08-04T08:52:19.385406455-07:00",
        "message": {"role": "assistant", "content": content},
        "done": false
    });
    format!("{line}\n")
}

fn stream_body(with_done: bool) -> String {
    let mut body = [line("Who"), line(" will"), line(" use it?")].concat();
    if with_done {
        let last = json!({
            "model": "llama3.2",
            "created_at": "2023-08-04T19:22:45.499127Z",
            "message": {"role": "assistant", "content": ""},
            "done": true,
            "done_reason": "stop",
            "total_duration": 4_883_583_458_u64,
            "load_duration": 1_334_875,
            "prompt_eval_count": 26,
            "prompt_eval_duration": 342_546_000,
            "eval_count": 282,
            "eval_duration": 4_535_599_000_u64
        });
        body.push_str(&format!("{last}\n"));
    }
    body
}

fn stream_response() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(stream_body(true), "application/x-ndjson")
}

#[tokio::test]
async fn completion_sends_a_native_chat_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .and(body_partial_json(json!({
            "model": "llama3.2",
            "stream": false,
            "options": {"num_predict": 256, "temperature": 0.25},
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": QUESTION}
            ]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(success_body()))
        .expect(1)
        .mount(&server)
        .await;

    let completion = client(&server).complete(&request()).await.unwrap();

    assert_eq!(completion.text, WIRE.success_text);
    assert_eq!(completion.stop_reason.as_deref(), Some("stop"));
    let usage = &completion.usage;
    assert_eq!(usage.provider, LlmProviderKind::Ollama);
    assert_eq!((usage.input_tokens, usage.output_tokens), (26, 298));
    assert!(usage.cost_usd.abs() < f64::EPSILON, "local models are free");
    let sent = &sent_bodies(&server).await[0];
    assert!(sent.get("format").is_none(), "{sent}");
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn a_configured_key_is_sent_as_a_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {}", super::support::API_KEY).as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(success_body()))
        .expect(1)
        .mount(&server)
        .await;

    let client = OllamaClient::new(config(LlmProviderKind::Ollama, &server)).unwrap();
    client.complete(&request()).await.unwrap();
}

#[tokio::test]
async fn structured_output_sends_the_schema_as_format() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .and(body_partial_json(
            json!({"format": question_schema(), "stream": false}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(answer(&question_value().to_string())),
        )
        .expect(1)
        .mount(&server)
        .await;

    let completion = client(&server)
        .complete(&structured_request())
        .await
        .unwrap();

    assert_eq!(completion.structured, Some(question_value()));
}

#[tokio::test]
async fn structured_output_that_is_not_json_is_invalid() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer("I think the user")))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server)
        .complete(&structured_request())
        .await
        .unwrap_err();

    assert!(matches!(error, LlmError::InvalidResponse(_)), "{error:?}");
}

#[tokio::test]
async fn streaming_reads_ndjson_lines_then_the_counts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .and(body_partial_json(
            json!({"stream": true, "model": "llama3.2"}),
        ))
        .respond_with(stream_response())
        .expect(1)
        .mount(&server)
        .await;

    let collected = collect(client(&server).stream(&request()).await.unwrap()).await;

    assert_eq!(collected.deltas, ["Who", " will", " use it?"]);
    assert_eq!(collected.error, None);
    assert_eq!(collected.after_end, 0);
    let (usage, stop_reason) = collected.finished.unwrap();
    assert_eq!((usage.input_tokens, usage.output_tokens), (26, 282));
    assert_eq!(stop_reason.as_deref(), Some("stop"));
}

#[tokio::test]
async fn a_stream_without_done_is_invalid_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(stream_body(false), "application/x-ndjson"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let collected = collect(client(&server).stream(&request()).await.unwrap()).await;

    assert_eq!(collected.deltas, ["Who", " will", " use it?"]);
    assert!(collected.finished.is_none());
    assert!(
        matches!(collected.error, Some(LlmError::InvalidResponse(_))),
        "{collected:?}"
    );
}

#[tokio::test]
async fn models_are_listed_from_the_tags() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/tags"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "models": [
                {"name": "llama3.2:latest", "model": "llama3.2:latest", "modified_at": "2025-01-01T00:00:00Z",
                 "size": 2_019_393_189_u64, "digest": "a80c4f17acd5",
                 "details": {"format": "gguf", "family": "llama", "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}},
                {"name": "qwen2.5:7b", "model": "qwen2.5:7b", "modified_at": "2025-01-02T00:00:00Z",
                 "size": 4_683_087_332_u64, "digest": "845dbda0ea48", "details": {"format": "gguf"}}
            ]
        })))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);

    assert_eq!(
        client.list_models().await.unwrap(),
        ["llama3.2:latest", "qwen2.5:7b"]
    );
    client.probe().await.unwrap();
}
