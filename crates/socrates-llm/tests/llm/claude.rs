//! The Anthropic Messages API client.

use serde_json::{Value, json};
use socrates_domain::LlmProviderKind;
use socrates_llm::{ClaudeClient, LlmClient, LlmError};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::behaviour::{Wire, shared_behaviour};
use super::support::{
    API_KEY, QUESTION, SYSTEM, assert_close, collect, config, question_schema, question_value,
    request, sent_bodies, sse, sse_response, structured_request,
};

const WIRE: Wire = Wire {
    provider: LlmProviderKind::Claude,
    chat_path: "/v1/messages",
    models_path: "/v1/models",
    success: success_body,
    success_text: "Who are the people who will use the app every day?",
    error: error_body,
    stream: stream_response,
    stream_deltas: &["Who will", " use it", "?"],
};

shared_behaviour!(WIRE);

fn client(server: &MockServer) -> ClaudeClient {
    ClaudeClient::new(config(LlmProviderKind::Claude, server)).unwrap()
}

/// A Messages API answer: 1 000 input and 500 output tokens, the digest's A10 example.
fn success_body() -> Value {
    json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [
            {"type": "text", "text": "Who are the people who will use the app every day?"}
        ],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {
            "input_tokens": 1000,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 500,
            "service_tier": "standard"
        }
    })
}

fn error_body(message: &str) -> Value {
    json!({
        "type": "error",
        "error": {"type": "invalid_request_error", "message": message},
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
    })
}

fn stream_events(with_end: bool) -> String {
    let mut events = vec![
        (
            "message_start",
            json!({"type": "message_start", "message": {
            "id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message", "role": "assistant",
            "content": [], "model": "claude-sonnet-4-5-20250929", "stop_reason": null,
            "stop_sequence": null, "usage": {"input_tokens": 25, "output_tokens": 1}}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        ),
        ("ping", json!({"type": "ping"})),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "Who will"}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": " use it"}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "?"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": null},
            "usage": {"output_tokens": 15}}),
        ),
    ];
    if with_end {
        events.push(("message_stop", json!({"type": "message_stop"})));
    }
    sse(&events)
}

fn stream_response() -> ResponseTemplate {
    sse_response(stream_events(true))
}

#[tokio::test]
async fn completion_sends_the_messages_api_request_and_costs_the_a10_oracle() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", API_KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 256,
            "system": SYSTEM,
            "messages": [{"role": "user", "content": QUESTION}],
            "temperature": 0.25
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(success_body()))
        .expect(1)
        .mount(&server)
        .await;

    let completion = client(&server).complete(&request()).await.unwrap();

    assert_eq!(completion.text, WIRE.success_text);
    assert_eq!(completion.structured, None);
    assert_eq!(completion.stop_reason.as_deref(), Some("end_turn"));
    let usage = &completion.usage;
    assert_eq!(usage.provider, LlmProviderKind::Claude);
    assert_eq!(usage.model, "claude-sonnet-4-5");
    assert_eq!((usage.input_tokens, usage.output_tokens), (1000, 500));
    assert_close(usage.cost_usd, 0.0105);
    assert!(usage.latency_ms < 5000);

    let sent = &sent_bodies(&server).await[0];
    assert!(sent.get("stream").is_none(), "{sent}");
    assert!(sent.get("tools").is_none(), "{sent}");
    assert_eq!(
        sent["messages"].as_array().unwrap().len(),
        1,
        "system is not a message"
    );
    let request_headers = &server.received_requests().await.unwrap()[0].headers;
    assert!(request_headers.get("authorization").is_none());
}

#[tokio::test]
async fn structured_output_forces_the_tool_and_reads_its_input() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(json!({
            "tools": [{
                "name": "socratic_question",
                "description": "The next question to ask the user.",
                "input_schema": question_schema()
            }],
            "tool_choice": {"type": "tool", "name": "socratic_question"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_01Aq9w938a90dw8q",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [{
                "type": "tool_use",
                "id": "toolu_01A09q90qw90lq917835lq9",
                "name": "socratic_question",
                "input": question_value()
            }],
            "stop_reason": "tool_use",
            "stop_sequence": null,
            "usage": {"input_tokens": 472, "output_tokens": 54}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let completion = client(&server)
        .complete(&structured_request())
        .await
        .unwrap();

    assert_eq!(completion.structured, Some(question_value()));
    assert_eq!(
        serde_json::from_str::<Value>(&completion.text).unwrap(),
        question_value()
    );
    assert_eq!(completion.stop_reason.as_deref(), Some("tool_use"));
    assert_eq!(
        (
            completion.usage.input_tokens,
            completion.usage.output_tokens
        ),
        (472, 54)
    );
}

#[tokio::test]
async fn structured_output_without_the_tool_call_is_invalid() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(success_body()))
        .mount(&server)
        .await;

    let error = client(&server)
        .complete(&structured_request())
        .await
        .unwrap_err();

    assert!(matches!(error, LlmError::InvalidResponse(_)), "{error:?}");
}

#[tokio::test]
async fn streaming_yields_the_deltas_in_order_then_the_usage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", API_KEY))
        .and(body_partial_json(json!({"stream": true, "system": SYSTEM})))
        .respond_with(stream_response())
        .expect(1)
        .mount(&server)
        .await;

    let collected = collect(client(&server).stream(&request()).await.unwrap()).await;

    assert_eq!(collected.deltas, ["Who will", " use it", "?"]);
    assert_eq!(collected.error, None);
    assert_eq!(collected.after_end, 0);
    let (usage, stop_reason) = collected.finished.unwrap();
    assert_eq!((usage.input_tokens, usage.output_tokens), (25, 15));
    assert_close(usage.cost_usd, (25.0 * 0.003 + 15.0 * 0.015) / 1000.0);
    assert_eq!(stop_reason.as_deref(), Some("end_turn"));
}

#[tokio::test]
async fn a_stream_without_message_stop_is_invalid_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(sse_response(stream_events(false)))
        .expect(1)
        .mount(&server)
        .await;

    let collected = collect(client(&server).stream(&request()).await.unwrap()).await;

    assert_eq!(collected.deltas, ["Who will", " use it", "?"]);
    assert!(collected.finished.is_none());
    assert!(
        matches!(collected.error, Some(LlmError::InvalidResponse(_))),
        "{collected:?}"
    );
}

#[tokio::test]
async fn an_error_event_mid_stream_ends_it_with_a_typed_error() {
    let server = MockServer::start().await;
    let mut body = stream_events(false);
    body.push_str(&sse(&[(
        "error",
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    )]));
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(sse_response(body))
        .expect(1)
        .mount(&server)
        .await;

    let collected = collect(client(&server).stream(&request()).await.unwrap()).await;

    assert_eq!(collected.deltas.len(), 3);
    assert!(
        matches!(
            collected.error,
            Some(LlmError::Upstream { status: 529, .. })
        ),
        "{collected:?}"
    );
}

#[tokio::test]
async fn models_are_listed_with_the_same_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(query_param("limit", "1000"))
        .and(header("x-api-key", API_KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                {"type": "model", "id": "claude-sonnet-4-5-20250929", "display_name": "Claude Sonnet 4.5", "created_at": "2025-09-29T00:00:00Z"},
                {"type": "model", "id": "claude-3-5-haiku-20241022", "display_name": "Claude Haiku 3.5", "created_at": "2024-10-22T00:00:00Z"}
            ],
            "has_more": false,
            "first_id": "claude-sonnet-4-5-20250929",
            "last_id": "claude-3-5-haiku-20241022"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let models = client(&server).list_models().await.unwrap();

    assert_eq!(
        models,
        ["claude-sonnet-4-5-20250929", "claude-3-5-haiku-20241022"]
    );
}

#[tokio::test]
async fn probe_succeeds_when_the_models_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(header("x-api-key", API_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"type": "model", "id": "claude-sonnet-4-5-20250929"}],
            "has_more": true
        })))
        .expect(1)
        .mount(&server)
        .await;

    client(&server).probe().await.unwrap();
}
