//! Behaviour every provider shares (retries, timeouts, error classification), written once and
//! run against each provider's wire format by the provider modules.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use socrates_domain::{Code, ErrorCode, LlmProviderKind};
use socrates_llm::{LlmClient, LlmError, ProviderConfig, build_client};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{
    API_KEY, QUESTION, assert_clean, closed_port_url, collect, config, request, request_count,
    sent_bodies,
};

/// What the shared scenarios need to know about one provider's API.
pub struct Wire {
    /// The provider under test.
    pub provider: LlmProviderKind,
    /// The completion endpoint.
    pub chat_path: &'static str,
    /// The model-listing endpoint.
    pub models_path: &'static str,
    /// A success body answering [`request`](super::support::request).
    pub success: fn() -> Value,
    /// The text of `success`.
    pub success_text: &'static str,
    /// The provider's error body carrying `message`.
    pub error: fn(&str) -> Value,
    /// A complete streamed answer.
    pub stream: fn() -> ResponseTemplate,
    /// The deltas of `stream`, in order.
    pub stream_deltas: &'static [&'static str],
}

impl Wire {
    fn client(&self, server: &MockServer) -> Arc<dyn LlmClient> {
        self.client_with(config(self.provider, server))
    }

    fn client_with(&self, config: ProviderConfig) -> Arc<dyn LlmClient> {
        build_client(self.provider, config).unwrap()
    }

    fn error_response(&self, status: u16, message: &str) -> ResponseTemplate {
        ResponseTemplate::new(status).set_body_json((self.error)(message))
    }

    async fn mount_once(&self, server: &MockServer, response: ResponseTemplate) {
        Mock::given(method("POST"))
            .and(path(self.chat_path))
            .respond_with(response)
            .up_to_n_times(1)
            .expect(1)
            .mount(server)
            .await;
    }

    async fn mount_success(&self, server: &MockServer) {
        Mock::given(method("POST"))
            .and(path(self.chat_path))
            .respond_with(ResponseTemplate::new(200).set_body_json((self.success)()))
            .expect(1)
            .mount(server)
            .await;
    }

    async fn mount_always(&self, server: &MockServer, response: ResponseTemplate) {
        Mock::given(method("POST"))
            .and(path(self.chat_path))
            .respond_with(response)
            .mount(server)
            .await;
    }
}

/// A 429 with `Retry-After: 0` is retried at once and the second answer is returned.
pub async fn rate_limit_then_success(wire: &Wire) {
    let server = MockServer::start().await;
    let limited = wire
        .error_response(429, "rate limited")
        .insert_header("retry-after", "0");
    wire.mount_once(&server, limited).await;
    wire.mount_success(&server).await;

    let completion = wire.client(&server).complete(&request()).await.unwrap();

    assert_eq!(completion.text, wire.success_text);
    assert_eq!(request_count(&server).await, 2);
}

/// The client waits the `Retry-After` the provider asked for before the next attempt.
pub async fn retry_after_is_waited(wire: &Wire) {
    let server = MockServer::start().await;
    let limited = wire
        .error_response(429, "rate limited")
        .insert_header("retry-after", "1");
    wire.mount_once(&server, limited).await;
    wire.mount_success(&server).await;

    let started = Instant::now();
    wire.client(&server).complete(&request()).await.unwrap();

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(request_count(&server).await, 2);
}

/// A provider asking for a longer wait than the policy allows gets its 429 passed on.
pub async fn long_retry_after_is_returned(wire: &Wire) {
    let server = MockServer::start().await;
    let limited = wire
        .error_response(429, "slow down")
        .insert_header("retry-after", "120");
    wire.mount_always(&server, limited).await;

    let error = wire.client(&server).complete(&request()).await.unwrap_err();

    assert_eq!(
        error,
        LlmError::RateLimited {
            retry_after: Some(Duration::from_secs(120))
        }
    );
    assert_eq!(error.code(), Code::LlmRateLimited);
    assert_eq!(request_count(&server).await, 1);
}

/// A 500 is retried with the same request, and the second answer is returned.
pub async fn server_error_then_success(wire: &Wire) {
    let server = MockServer::start().await;
    wire.mount_once(&server, wire.error_response(500, "internal error"))
        .await;
    wire.mount_success(&server).await;

    let completion = wire.client(&server).complete(&request()).await.unwrap();

    assert_eq!(completion.text, wire.success_text);
    let bodies = sent_bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1]);
}

/// A provider failing every attempt costs exactly the configured attempts.
pub async fn server_errors_exhaust_the_attempts(wire: &Wire) {
    let server = MockServer::start().await;
    wire.mount_always(&server, wire.error_response(503, "overloaded, try later"))
        .await;

    let error = wire.client(&server).complete(&request()).await.unwrap_err();

    match &error {
        LlmError::Upstream { status, message } => {
            assert_eq!(*status, 503);
            assert!(message.contains("overloaded, try later"), "{message}");
        }
        other => panic!("expected Upstream, got {other:?}"),
    }
    assert_eq!(error.code(), Code::LlmError);
    assert_eq!(request_count(&server).await, 3);
}

/// An answer slower than the per-attempt timeout is abandoned, each attempt, and the call
/// fails with `Timeout` long before the provider would have answered.
pub async fn slow_answers_time_out(wire: &Wire) {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(200)
        .set_body_json((wire.success)())
        .set_delay(Duration::from_secs(3));
    wire.mount_always(&server, slow).await;
    let client =
        wire.client_with(config(wire.provider, &server).with_timeout(Duration::from_millis(200)));

    let started = Instant::now();
    let error = client.complete(&request()).await.unwrap_err();

    assert_eq!(error, LlmError::Timeout);
    assert_eq!(error.code(), Code::LlmTimeout);
    assert_eq!(request_count(&server).await, 3);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
}

/// A success status with a body that is not JSON is an invalid response, not retried.
pub async fn non_json_body_is_invalid(wire: &Wire) {
    let server = MockServer::start().await;
    let html = ResponseTemplate::new(200)
        .set_body_raw("<html><body>Gateway says hi</body></html>", "text/html");
    wire.mount_always(&server, html).await;

    let error = wire.client(&server).complete(&request()).await.unwrap_err();

    assert!(matches!(error, LlmError::InvalidResponse(_)), "{error:?}");
    assert_eq!(error.code(), Code::LlmInvalidResponse);
    assert_eq!(request_count(&server).await, 1);
}

/// A 400 is the caller's mistake: one request, and the provider's message without any echo
/// of the key or the prompt.
pub async fn bad_request_is_not_retried(wire: &Wire) {
    let server = MockServer::start().await;
    let echo = format!("bad input {QUESTION} with key {API_KEY}");
    wire.mount_always(&server, wire.error_response(400, &echo))
        .await;

    let error = wire.client(&server).complete(&request()).await.unwrap_err();

    match &error {
        LlmError::InvalidRequest(message) => {
            assert!(message.starts_with("HTTP 400: bad input"), "{message}");
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    assert_clean(&error);
    assert_eq!(request_count(&server).await, 1);
}

/// A 401 means the credentials are wrong: `Authentication`, one request.
pub async fn unauthorized_is_authentication(wire: &Wire) {
    let server = MockServer::start().await;
    wire.mount_always(&server, wire.error_response(401, "invalid x-api-key"))
        .await;

    let error = wire.client(&server).complete(&request()).await.unwrap_err();

    assert_eq!(error, LlmError::Authentication { status: 401 });
    assert_eq!(error.code(), Code::LlmUnavailable);
    assert_eq!(request_count(&server).await, 1);
}

/// Nothing listening is a connection error.
pub async fn unreachable_server_is_a_connection_error(wire: &Wire) {
    let config = ProviderConfig::new(wire.provider, "any-model")
        .with_base_url(closed_port_url())
        .with_api_key(API_KEY)
        .with_retry(super::support::fast_retry());

    let error = wire
        .client_with(config)
        .complete(&request())
        .await
        .unwrap_err();

    assert!(matches!(error, LlmError::Connection(_)), "{error:?}");
    assert_eq!(error.code(), Code::LlmUnavailable);
    assert_clean(&error);
}

/// A stream failing before its first chunk is retried like a complete call.
pub async fn stream_is_retried_before_its_first_chunk(wire: &Wire) {
    let server = MockServer::start().await;
    wire.mount_once(&server, wire.error_response(500, "internal error"))
        .await;
    Mock::given(method("POST"))
        .and(path(wire.chat_path))
        .respond_with((wire.stream)())
        .expect(1)
        .mount(&server)
        .await;

    let stream = wire.client(&server).stream(&request()).await.unwrap();
    let collected = collect(stream).await;

    assert_eq!(collected.deltas, wire.stream_deltas);
    assert!(collected.finished.is_some(), "{collected:?}");
    assert_eq!(request_count(&server).await, 2);
}

/// The health probe makes one attempt, however the provider fails.
pub async fn probe_makes_one_attempt(wire: &Wire) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(wire.models_path))
        .respond_with(wire.error_response(503, "down for maintenance"))
        .mount(&server)
        .await;

    let error = wire.client(&server).probe().await.unwrap_err();

    assert!(
        matches!(error, LlmError::Upstream { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(request_count(&server).await, 1);
}

/// Declares one `#[tokio::test]` per shared scenario for the provider described by `$wire`.
macro_rules! shared_behaviour {
    ($wire:expr) => {
        shared_behaviour!(@tests $wire;
            rate_limit_then_success,
            retry_after_is_waited,
            long_retry_after_is_returned,
            server_error_then_success,
            server_errors_exhaust_the_attempts,
            slow_answers_time_out,
            non_json_body_is_invalid,
            bad_request_is_not_retried,
            unauthorized_is_authentication,
            unreachable_server_is_a_connection_error,
            stream_is_retried_before_its_first_chunk,
            probe_makes_one_attempt,
        );
    };
    (@tests $wire:expr; $($scenario:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $scenario() {
                $crate::llm::behaviour::$scenario(&$wire).await;
            }
        )+
    };
}

pub(crate) use shared_behaviour;
