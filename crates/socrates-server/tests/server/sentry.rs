//! Error reporting through the real binary: with `SENTRY_DSN` set, a failed request reaches a
//! local Sentry endpoint as an envelope with its request id, environment and release, and
//! without passwords, tokens or the text people wrote.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::binary::{server_command, sign_up, terminate, wait_until_listening};

const PASSWORD: &str = "Sentry123!pass";
const PRIVATE_TEXT: &str = "Our secret launch plan is a dog-walking marketplace";

/// A server reporting to a local Sentry endpoint that answers `sentry_status`, whose model
/// provider is down so that extraction answers 5xx.
struct Reporting {
    runtime: tokio::runtime::Runtime,
    sentry: MockServer,
    _model: MockServer,
    _directory: tempfile::TempDir,
    child: std::process::Child,
    address: String,
    reader: std::thread::JoinHandle<Vec<String>>,
}

fn start_reporting(sentry_status: u16) -> Reporting {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (sentry, model) = runtime.block_on(async {
        let sentry = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/42/envelope/"))
            .respond_with(ResponseTemplate::new(sentry_status).set_body_json(json!({"id": "x"})))
            .mount(&sentry)
            .await;
        // The model provider is down: every call fails, so the request answers 5xx.
        let model = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/messages"))
            .respond_with(ResponseTemplate::new(500).set_body_json(json!({
                "type": "error", "error": {"type": "api_error", "message": "Internal server error"}
            })))
            .mount(&model)
            .await;
        (sentry, model)
    });
    let dsn = format!("http://0123456789abcdef@{}/42", sentry.address());
    let directory = tempfile::tempdir().unwrap();
    let mut child = server_command(directory.path())
        .env("SOCRATES_SERVER__PORT", "0")
        .env("SOCRATES_AUTH__BCRYPT_COST", "4")
        .env("SENTRY_DSN", &dsn)
        .env("ANTHROPIC_API_KEY", "sk-ant-test-0123456789")
        .env("SOCRATES_LLM__BASE_URL", model.uri())
        .env("SOCRATES_LLM__MAX_ATTEMPTS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (address, lines, output) = wait_until_listening(&mut child);
    let reader = std::thread::spawn(move || output.map_while(Result::ok).collect::<Vec<_>>());
    assert!(
        lines
            .iter()
            .any(|line| line.contains("errors and panics are reported to Sentry")),
        "{lines:#?}"
    );
    Reporting {
        runtime,
        sentry,
        _model: model,
        _directory: directory,
        child,
        address,
        reader,
    }
}

/// Signs `email` up and sends a request that fails with 5xx: (its request id, the token).
fn fail_a_request(reporting: &Reporting, email: &str) -> (String, String) {
    let address = &reporting.address;
    reporting.runtime.block_on(async {
        let client = reqwest::Client::new();
        let url = |path: &str| format!("{address}/api/v1{path}");
        let credentials = json!({"email": email, "password": PASSWORD});
        let token = sign_up(&client, address, &credentials).await;
        let project: serde_json::Value = client
            .post(url("/projects"))
            .bearer_auth(&token)
            .json(&json!({"name": "Reported"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let failed = client
            .post(url("/specifications/extract"))
            .bearer_auth(&token)
            .json(&json!({"project_id": project["project_id"], "text": PRIVATE_TEXT}))
            .send()
            .await
            .unwrap();
        assert!(failed.status().is_server_error(), "{}", failed.status());
        let request_id = failed.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        (request_id, token)
    })
}

#[test]
fn a_failed_request_is_reported_to_sentry_without_personal_data() {
    let mut reporting = start_reporting(200);
    let (request_id, token) = fail_a_request(&reporting, "reported@example.com");
    let (runtime, sentry) = (&reporting.runtime, &reporting.sentry);

    // The transport sends in the background: wait for the envelope.
    let deadline = Instant::now() + Duration::from_secs(15);
    let envelopes = loop {
        let received = runtime
            .block_on(sentry.received_requests())
            .unwrap_or_default();
        let bodies: Vec<String> = received
            .iter()
            .map(|request| String::from_utf8_lossy(&request.body).into_owned())
            .collect();
        if bodies.iter().any(|body| body.contains(&request_id)) || Instant::now() > deadline {
            break (received, bodies);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (received, _) = envelopes;
    // Give a duplicate the time to arrive: a failed request is reported exactly once.
    std::thread::sleep(Duration::from_millis(500));
    let received = runtime
        .block_on(sentry.received_requests())
        .unwrap_or(received);
    let bodies: Vec<String> = received
        .iter()
        .map(|request| String::from_utf8_lossy(&request.body).into_owned())
        .collect();
    assert_eq!(
        bodies
            .iter()
            .filter(|body| body.contains(&request_id))
            .count(),
        1,
        "{bodies:#?}"
    );
    let report = bodies
        .iter()
        .find(|body| body.contains(&request_id))
        .unwrap_or_else(|| panic!("no envelope names request {request_id}: {bodies:#?}"));
    assert!(
        received[0].headers["x-sentry-auth"]
            .to_str()
            .unwrap()
            .contains("sentry_key=0123456789abcdef")
    );
    assert!(
        report.contains(r#""environment":"development""#),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            r#""release":"socrates@{}""#,
            env!("CARGO_PKG_VERSION")
        )),
        "{report}"
    );
    assert!(report.contains("request failed"), "{report}");
    assert!(
        report.contains("/api/v1/specifications/extract"),
        "{report}"
    );
    for private in [
        PASSWORD,
        PRIVATE_TEXT,
        &token,
        "reported@example.com",
        "sk-ant-test",
    ] {
        assert!(
            !report.contains(private),
            "`{private}` was sent to Sentry: {report}"
        );
    }

    terminate(&mut reporting.child);
    drop(reporting.reader.join());
}

/// The Sentry envelopes received so far, as text.
fn envelopes(reporting: &Reporting) -> Vec<String> {
    reporting
        .runtime
        .block_on(reporting.sentry.received_requests())
        .unwrap_or_default()
        .iter()
        .map(|request| String::from_utf8_lossy(&request.body).into_owned())
        .collect()
}

#[test]
fn a_panicking_request_is_answered_logged_and_reported_once() {
    use socrates_api::testing::{PANIC_MESSAGE, PANIC_PATH};
    use std::io::Read as _;

    let mut reporting = start_reporting(200);
    let mut stderr = reporting.child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        drop(stderr.read_to_string(&mut text));
        text
    });
    let address = reporting.address.clone();
    let (status, request_id, body) = reporting.runtime.block_on(async {
        let client = reqwest::Client::new();
        let answer = client
            .get(format!("{address}{PANIC_PATH}"))
            .send()
            .await
            .expect("an answer, not a dropped connection");
        let status = answer.status().as_u16();
        let request_id = answer.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: serde_json::Value = answer.json().await.unwrap();
        let live = client
            .get(format!("{address}/health/live"))
            .send()
            .await
            .unwrap();
        assert_eq!(live.status(), 200, "the server goes on serving");
        (status, request_id, body)
    });
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error_code"], "INTERNAL_ERROR");
    assert_eq!(body["request_id"], request_id.as_str());

    // The transport sends in the background: wait for the report of this request.
    let deadline = Instant::now() + Duration::from_secs(15);
    while !envelopes(&reporting)
        .iter()
        .any(|body| body.contains(&request_id))
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Give a second report (the panic hook's) the time to arrive: there must be none.
    std::thread::sleep(Duration::from_millis(500));
    let reports: Vec<String> = envelopes(&reporting)
        .into_iter()
        .filter(|body| body.contains(PANIC_MESSAGE))
        .collect();
    assert_eq!(reports.len(), 1, "{reports:#?}");
    assert!(reports[0].contains(&request_id), "{}", reports[0]);
    assert!(reports[0].contains("request failed"), "{}", reports[0]);

    terminate(&mut reporting.child);
    let mut lines = reporting.reader.join().unwrap();
    lines.extend(stderr.join().unwrap().lines().map(str::to_owned));
    let logged: Vec<&String> = lines
        .iter()
        .filter(|line| line.contains(PANIC_MESSAGE))
        .collect();
    assert_eq!(logged.len(), 1, "{lines:#?}");
    assert!(logged[0].contains(&request_id), "{}", logged[0]);
    assert!(logged[0].contains("request failed"), "{}", logged[0]);
}

#[test]
fn a_report_that_sentry_refuses_is_logged_as_lost() {
    let mut reporting = start_reporting(500);
    fail_a_request(&reporting, "refused@example.com");
    // The transport sends in the background: wait for Sentry to have answered.
    let deadline = Instant::now() + Duration::from_secs(15);
    while reporting
        .runtime
        .block_on(reporting.sentry.received_requests())
        .unwrap_or_default()
        .is_empty()
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    terminate(&mut reporting.child);
    let lines = reporting.reader.join().unwrap();
    assert!(
        lines
            .iter()
            .any(|line| line.contains("Sentry refused an error report") && line.contains("500")),
        "{lines:#?}"
    );
}

#[test]
fn a_malformed_dsn_stops_the_server_with_one_clear_line() {
    let directory = tempfile::tempdir().unwrap();
    let output = server_command(directory.path())
        .env("SENTRY_DSN", "not a dsn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("SENTRY_DSN (telemetry.sentry_dsn) is not a valid Sentry DSN"),
        "{stderr}"
    );
}
