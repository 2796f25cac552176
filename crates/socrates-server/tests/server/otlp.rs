//! Trace export through the real binary: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, the request
//! spans reach a local OTLP/HTTP endpoint as protobuf, with the service's name and the routes,
//! a caller's `traceparent` is joined, and the spans still queued are flushed when the server
//! stops.

use std::process::Stdio;

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::binary::{server_command, sign_up, terminate, wait_until_listening};

#[test]
fn request_spans_are_exported_over_otlp_and_flushed_at_shutdown() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let collector = runtime.block_on(async {
        let collector = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/traces"))
            .and(header("content-type", "application/x-protobuf"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&collector)
            .await;
        collector
    });
    let directory = tempfile::tempdir().unwrap();
    let mut child = server_command(directory.path())
        .env("SOCRATES_SERVER__PORT", "0")
        .env("SOCRATES_AUTH__BCRYPT_COST", "4")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.uri())
        .env("SOCRATES_TELEMETRY__SERVICE_NAME", "socrates-under-test")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (address, lines, output) = wait_until_listening(&mut child);
    let reader = std::thread::spawn(move || output.map_while(Result::ok).collect::<Vec<_>>());
    assert!(
        lines
            .iter()
            .any(|line| line.contains("traces are exported over OTLP")),
        "{lines:#?}"
    );
    let user_id = runtime.block_on(async {
        let client = reqwest::Client::new();
        let credentials = json!({"email": "traced@example.com", "password": "Traced123!"});
        let token = sign_up(&client, &address, &credentials).await;
        let me: serde_json::Value = client
            .get(format!("{address}/api/v1/auth/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let health = client
            .get(format!("{address}/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
        // A request that a gateway or another service traced.
        let joined = client
            .get(format!("{address}/health/live"))
            .header(
                "traceparent",
                format!("00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-01"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(joined.status(), 200);
        me["user_id"].as_str().unwrap().to_owned()
    });

    // The batch waits up to 5 s; stopping the server flushes it at once.
    terminate(&mut child);
    drop(reader.join());

    let received = runtime.block_on(collector.received_requests()).unwrap();
    assert!(!received.is_empty(), "no trace export arrived");
    let bodies: Vec<u8> = received.iter().flat_map(|r| r.body.clone()).collect();
    let text = String::from_utf8_lossy(&bodies);
    for expected in [
        "socrates-under-test",
        "HTTP request",
        "/api/v1/auth/register",
        "/health",
        env!("CARGO_PKG_VERSION"),
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from the export"
        );
    }
    // The authenticated request's span names its caller.
    assert!(
        text.contains(&user_id),
        "the user id is not in the exported spans"
    );
    assert!(
        !text.contains("Traced123!"),
        "a password reached the traces"
    );
    // OTLP carries ids as raw bytes: the caller's trace id, and its span id as a parent.
    for (what, hex) in [("trace", CALLER_TRACE_ID), ("parent span", CALLER_SPAN_ID)] {
        let id = bytes_of(hex);
        assert!(
            bodies
                .windows(id.len())
                .any(|window| window == id.as_slice()),
            "the caller's {what} id is not in the export"
        );
    }
}

/// The caller's ids in the `traceparent` sent with one request.
const CALLER_TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";

fn bytes_of(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).unwrap())
        .collect()
}

#[test]
fn a_malformed_otlp_endpoint_stops_the_server_with_one_clear_line() {
    let directory = tempfile::tempdir().unwrap();
    let output = server_command(directory.path())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "telemetry.otlp_endpoint `collector:4318` must be an http:// or https:// URL"
        ),
        "{stderr}"
    );
}
