//! The OpenAI-compatible Chat Completions client.

use serde_json::{Value, json};
use socrates_domain::LlmProviderKind;
use socrates_llm::{LlmClient, LlmError, OpenAiClient, ProviderConfig};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::behaviour::{Wire, shared_behaviour};
use super::support::{
    API_KEY, QUESTION, SYSTEM, assert_close, collect, config, fast_retry, question_schema,
    question_value, request, sent_bodies, sse_response, structured_request,
};

const WIRE: Wire = Wire {
    provider: LlmProviderKind::Openai,
    chat_path: "/v1/chat/completions",
    models_path: "/v1/models",
    success: success_body,
    success_text: "Who will use the app every day?",
    error: error_body,
    stream: stream_response,
    stream_deltas: &["Who", " will use", " it?"],
};

shared_behaviour!(WIRE);

fn client(server: &MockServer) -> OpenAiClient {
    OpenAiClient::new(config(LlmProviderKind::Openai, server)).unwrap()
}

fn completion_body(content: &str) -> Value {
    json!({
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1_741_569_952,
        "model": "gpt-4o-2024-08-06",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null, "annotations": []},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {
            "prompt_tokens": 1000,
            "completion_tokens": 1000,
            "total_tokens": 2000,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
        },
        "service_tier": "default",
        "system_fingerprint": "fp_fc9f1d7035"
    })
}

fn success_body() -> Value {
    completion_body("Who will use the app every day?")
}

fn error_body(message: &str) -> Value {
    json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}})
}

fn chunk(delta: &Value, finish_reason: &Value) -> String {
    let chunk = json!({
        "id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1_694_268_190,
        "model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_44709d6fcb",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}]
    });
    format!("data: {chunk}\n\n")
}

fn stream_body(with_done: bool) -> String {
    let mut body = [
        chunk(
            &json!({"role": "assistant", "content": "", "refusal": null}),
            &Value::Null,
        ),
        chunk(&json!({"content": "Who"}), &Value::Null),
        chunk(&json!({"content": " will use"}), &Value::Null),
        chunk(&json!({"content": " it?"}), &Value::Null),
        chunk(&json!({}), &json!("stop")),
    ]
    .concat();
    let usage = json!({
        "id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1_694_268_190,
        "model": "gpt-4o-2024-08-06", "choices": [],
        "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42}
    });
    body.push_str(&format!("data: {usage}\n\n"));
    if with_done {
        body.push_str("data: [DONE]\n\n");
    }
    body
}

fn stream_response() -> ResponseTemplate {
    sse_response(stream_body(true))
}

#[tokio::test]
async fn completion_sends_a_chat_completions_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({
            "model": "gpt-4o",
            "max_tokens": 256,
            "temperature": 0.25,
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
    assert_eq!(completion.structured, None);
    assert_eq!(completion.stop_reason.as_deref(), Some("stop"));
    let usage = &completion.usage;
    assert_eq!((usage.input_tokens, usage.output_tokens), (1000, 1000));
    assert_eq!(usage.provider, LlmProviderKind::Openai);
    assert_close(usage.cost_usd, 0.01 + 0.03);
    let sent = &sent_bodies(&server).await[0];
    assert_eq!(sent["messages"].as_array().unwrap().len(), 2);
    assert!(sent.get("response_format").is_none(), "{sent}");
    assert!(sent.get("stream").is_none(), "{sent}");
}

#[tokio::test]
async fn a_local_server_without_a_key_gets_no_authorization_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-local",
            "object": "chat.completion",
            "created": 1_741_569_952,
            "model": "qwen2.5-7b-instruct",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let config = ProviderConfig::new(LlmProviderKind::Openai, "qwen2.5-7b-instruct")
        .with_base_url(format!("{}/v1/", server.uri()))
        .with_retry(fast_retry());

    let completion = OpenAiClient::new(config)
        .unwrap()
        .complete(&request())
        .await
        .unwrap();

    assert_eq!(completion.text, "Hello");
    assert_eq!(
        (
            completion.usage.input_tokens,
            completion.usage.output_tokens
        ),
        (0, 0)
    );
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn structured_output_uses_a_strict_json_schema_and_parses_the_content() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(json!({
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "socratic_question",
                    "description": "The next question to ask the user.",
                    "schema": question_schema(),
                    "strict": true
                }
            }
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(completion_body(&question_value().to_string())),
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
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion_body("Sure! {text:")))
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
async fn streaming_yields_the_deltas_in_order_then_the_usage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {API_KEY}").as_str()))
        .and(body_partial_json(json!({
            "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
        })))
        .respond_with(stream_response())
        .expect(1)
        .mount(&server)
        .await;

    let collected = collect(client(&server).stream(&request()).await.unwrap()).await;

    assert_eq!(collected.deltas, ["Who", " will use", " it?"]);
    assert_eq!(collected.error, None);
    assert_eq!(collected.after_end, 0);
    let (usage, stop_reason) = collected.finished.unwrap();
    assert_eq!((usage.input_tokens, usage.output_tokens), (30, 12));
    assert_close(usage.cost_usd, (30.0 * 0.01 + 12.0 * 0.03) / 1000.0);
    assert_eq!(stop_reason.as_deref(), Some("stop"));
}

#[tokio::test]
async fn a_stream_without_done_is_invalid_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(sse_response(stream_body(false)))
        .expect(1)
        .mount(&server)
        .await;

    let collected = collect(client(&server).stream(&request()).await.unwrap()).await;

    assert_eq!(collected.deltas, ["Who", " will use", " it?"]);
    assert!(collected.finished.is_none());
    assert!(
        matches!(collected.error, Some(LlmError::InvalidResponse(_))),
        "{collected:?}"
    );
}

#[tokio::test]
async fn models_are_listed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(header("authorization", format!("Bearer {API_KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "list",
            "data": [
                {"id": "gpt-4o", "object": "model", "created": 1_715_367_049, "owned_by": "system"},
                {"id": "gpt-4o-mini", "object": "model", "created": 1_721_172_741, "owned_by": "system"}
            ]
        })))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);

    assert_eq!(
        client.list_models().await.unwrap(),
        ["gpt-4o", "gpt-4o-mini"]
    );
    client.probe().await.unwrap();
}
