//! Direct chat through HTTP: a message gets a reply and goes through the answer's extraction,
//! conflict and transaction path; the mode can be read and switched; with
//! `Accept: text/event-stream` the reply streams as Server-Sent Events, read here by a real SSE
//! client, on the offline reasoner and on the LLM reasoner against a local provider that
//! streams its reply and can stall mid-stream.

use std::sync::Arc;
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::{Value, json};
use socrates_infra::SystemClock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};

use super::support::{
    TestApp, expect_error, json_of, new_project, spawn_app_with, spawn_app_without_rate_limits,
};

/// Opens a session on `project` in `mode` (201); its id.
async fn session_in_mode(app: &TestApp, token: &str, project: &str, mode: &str) -> String {
    let session = json_of(
        app.post_authed(
            &format!("/api/v1/projects/{project}/sessions"),
            token,
            &json!({ "mode": mode }),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(session["mode"], "direct_chat", "{session}");
    session["session_id"].as_str().unwrap().to_owned()
}

async fn send(app: &TestApp, token: &str, session: &str, message: &str) -> reqwest::Response {
    app.post_authed(
        &format!("/api/v1/sessions/{session}/message"),
        token,
        &json!({ "message": message }),
    )
    .await
}

async fn history(app: &TestApp, token: &str, session: &str) -> Value {
    json_of(
        app.get_authed(&format!("/api/v1/sessions/{session}/history"), token)
            .await,
        200,
    )
    .await
}

async fn facts(app: &TestApp, token: &str, project: &str) -> Vec<Value> {
    let listed = json_of(
        app.get_authed(
            &format!("/api/v1/specifications/project/{project}?limit=100"),
            token,
        )
        .await,
        200,
    )
    .await;
    listed["specifications"].as_array().unwrap().clone()
}

/// Sends `message` asking for an event stream.
async fn send_streamed(
    app: &TestApp,
    token: &str,
    session: &str,
    message: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/sessions/{session}/message")))
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .json(&json!({ "message": message }))
        .send()
        .await
        .unwrap()
}

/// Every event of a stream, as (event name, JSON data), read by an SSE client.
async fn events_of(response: reqwest::Response) -> Vec<(String, Value)> {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut events = response.bytes_stream().eventsource();
    let mut all = Vec::new();
    while let Some(event) = events.next().await {
        let event = event.unwrap();
        all.push((event.event, serde_json::from_str(&event.data).unwrap()));
    }
    all
}

#[tokio::test]
async fn a_message_is_understood_answered_and_written_with_its_reply() {
    let app = spawn_app_without_rate_limits().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Physio booking").await;
    let session = session_in_mode(&app, &token, &project, "chat").await;
    let mode = json_of(
        app.get_authed(&format!("/api/v1/sessions/{session}/mode"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        mode,
        json!({"session_id": session, "project_id": project, "mode": "direct_chat"})
    );

    let said = json_of(
        send(
            &app,
            &token,
            &session,
            "So, we're a group of 12 physio clinics and we want patients to book, move or \
             cancel appointments online. The backend will be Rust with PostgreSQL, hosted on \
             AWS. No mobile app for now - maybe next year.",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(said["success"], true);
    let message_id = said["message_id"].as_str().unwrap().to_owned();
    let saved = said["specifications"].as_array().unwrap();
    assert!(said["specs_extracted"].as_u64().unwrap() >= 3, "{said}");
    assert_eq!(
        saved.len() as u64,
        said["specs_extracted"].as_u64().unwrap()
    );
    for fact in saved {
        assert_eq!(fact["source"], "direct_chat", "{fact}");
        assert_eq!(fact["source_id"], message_id.as_str(), "{fact}");
    }
    let values: Vec<&str> = saved.iter().map(|f| f["value"].as_str().unwrap()).collect();
    assert!(values.contains(&"PostgreSQL"), "{values:?}");
    assert!(values.contains(&"AWS"), "{values:?}");
    assert!(
        !values.iter().any(|v| v.contains("mobile app")),
        "negation: {values:?}"
    );
    let reply = said["response"].as_str().unwrap();
    assert!(reply.starts_with("Recorded: "), "{reply}");
    assert!(reply.contains("PostgreSQL"), "{reply}");
    assert_eq!(said["conflicts_detected"], false);
    // The suggestion is what the interview would ask next: `/status` names its category.
    let suggested = &said["suggested_next_question"];
    let status = json_of(
        app.get_authed(&format!("/api/v1/projects/{project}/status"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(suggested["category"], status["next_category"], "{status}");
    assert!(
        reply.ends_with(suggested["text"].as_str().unwrap()),
        "{reply}"
    );
    assert_eq!(said["maturity_score"], status["maturity_score"]);
    assert!(said["coverage_breakdown"]["tech_stack"].as_f64().unwrap() > 0.0);

    // A contradiction: 200 with the conflict held, and the reply says so.
    let contradicted = json_of(
        send(
            &app,
            &token,
            &session,
            "Actually, make that MySQL for the database.",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(contradicted["conflicts_detected"], true, "{contradicted}");
    let conflict = &contradicted["conflicts"][0];
    assert_eq!(conflict["old_spec"]["value"], "PostgreSQL");
    assert_eq!(conflict["new_spec_value"], "MySQL");
    let reply = contradicted["response"].as_str().unwrap();
    assert!(
        reply.contains(
            "That contradicts the specification: primary database is \"PostgreSQL\", and you now \
             say primary database is \"MySQL\"."
        ),
        "{reply}"
    );
    let current = facts(&app, &token, &project).await;
    assert!(
        current.iter().all(|f| f["value"] != "MySQL"),
        "held, not saved: {current:?}"
    );

    // Both exchanges are in the history, message then reply, tied by the message id.
    let log = history(&app, &token, &session).await;
    assert_eq!(log["total"], 4, "{log}");
    let entries = log["entries"].as_array().unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["message", "reply", "message", "reply"]);
    assert_eq!(entries[0]["message_id"], message_id.as_str());
    assert_eq!(entries[1]["message_id"], message_id.as_str());
    assert_eq!(entries[1]["content"], said["response"]);
    assert_eq!(entries[0]["role"], "user");
    assert_eq!(entries[1]["role"], "assistant");
    app.stop().await;
}

#[tokio::test]
async fn a_short_message_answers_the_question_the_last_reply_suggested() {
    let app = spawn_app_without_rate_limits().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Bare answers").await;
    let session = session_in_mode(&app, &token, &project, "direct").await;
    let first = json_of(
        send(
            &app,
            &token,
            &session,
            "It's a web app for booking physio appointments.",
        )
        .await,
        200,
    )
    .await;
    let category = first["suggested_next_question"]["category"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = json_of(
        send(
            &app,
            &token,
            &session,
            "Patients must be able to see their past appointments.",
        )
        .await,
        200,
    )
    .await;
    // A statement with no category of its own is filed under the suggested question's.
    let saved = second["specifications"].as_array().unwrap();
    assert!(!saved.is_empty(), "{second}");
    assert!(
        saved
            .iter()
            .any(|fact| fact["category"] == category.as_str()),
        "filed under {category}: {second}"
    );
    app.stop().await;
}

#[tokio::test]
async fn modes_switch_and_a_message_needs_direct_chat() {
    let app = spawn_app_without_rate_limits().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Modes").await;
    let session = session_in_mode(&app, &token, &project, "direct_chat").await;
    let toggle = |body: Option<Value>| {
        let app = &app;
        let token = &token;
        let session = &session;
        async move {
            let request = app
                .client
                .post(app.url(&format!("/api/v1/sessions/{session}/toggle-mode")))
                .bearer_auth(token);
            match body {
                Some(body) => request.json(&body),
                None => request,
            }
            .send()
            .await
            .unwrap()
        }
    };
    let switched = json_of(toggle(Some(json!({"mode": "socratic"}))).await, 200).await;
    assert_eq!(switched["old_mode"], "direct_chat");
    assert_eq!(switched["new_mode"], "socratic");
    assert_eq!(switched["mode"], "socratic");
    assert_eq!(switched["message"], "Switched to socratic mode.");
    let refused = send(&app, &token, &session, "We use Rust.").await;
    expect_error(refused, 409, "SESSION_NOT_IN_CHAT_MODE").await;
    // No body: the other mode.
    let back = json_of(toggle(None).await, 200).await;
    assert_eq!(back["new_mode"], "direct_chat");
    // An alias, and the mode the session is already in: nothing changes.
    let same = json_of(toggle(Some(json!({"mode": "chat"}))).await, 200).await;
    assert_eq!(
        (same["old_mode"].clone(), same["new_mode"].clone()),
        (json!("direct_chat"), json!("direct_chat"))
    );
    let unknown = toggle(Some(json!({"mode": "telepathy"}))).await;
    assert_eq!(unknown.status(), 400);
    // Two real switches, noted in the history.
    let log = history(&app, &token, &session).await;
    let kinds: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["mode_toggle", "mode_toggle"], "{log}");

    // Someone else's session does not exist for this caller.
    let stranger = app.signed_in_user().await;
    let hidden = app
        .get_authed(&format!("/api/v1/sessions/{session}/mode"), &stranger)
        .await;
    expect_error(hidden, 404, "SESSION_NOT_FOUND").await;
    expect_error(
        send(&app, &stranger, &session, "Hello").await,
        404,
        "SESSION_NOT_FOUND",
    )
    .await;

    // An ended session takes no message and no switch.
    json_of(
        app.post_authed(
            &format!("/api/v1/sessions/{session}/end"),
            &token,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    expect_error(
        send(&app, &token, &session, "We use Rust.").await,
        409,
        "SESSION_ENDED",
    )
    .await;
    expect_error(toggle(None).await, 409, "SESSION_ENDED").await;
    app.stop().await;
}

#[tokio::test]
async fn bad_messages_are_refused_and_write_nothing() {
    let app = spawn_app_without_rate_limits().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Bad input").await;
    let session = session_in_mode(&app, &token, &project, "chat").await;
    for blank in ["", "   \n\t "] {
        let body = expect_error(
            send(&app, &token, &session, blank).await,
            400,
            "VALIDATION_ERROR",
        )
        .await;
        assert_eq!(body["details"]["field"], "message", "{body}");
    }
    let body = expect_error(
        send(&app, &token, &session, "We use Rust\u{0}and Go").await,
        400,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(body["details"]["field"], "message");
    let long = "Rust and PostgreSQL. ".repeat(1_000); // 21 000 characters
    expect_error(
        send(&app, &token, &session, &long).await,
        400,
        "VALIDATION_ERROR",
    )
    .await;
    // 100 KB: refused by the body limit before anything is read into the agent.
    let huge = "a".repeat(100 * 1024);
    let response = send(&app, &token, &session, &huge).await;
    assert!(
        response.status() == 413 || response.status() == 400,
        "{}",
        response.status()
    );
    let missing = app
        .post_authed(
            &format!("/api/v1/sessions/{session}/message"),
            &token,
            &json!({ "text": "We use Rust." }),
        )
        .await;
    assert_eq!(missing.status(), 400);
    assert_eq!(history(&app, &token, &session).await["total"], 0);
    assert!(facts(&app, &token, &project).await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn an_offline_reply_streams_as_server_sent_events() {
    let app = spawn_app_without_rate_limits().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Streaming").await;
    let session = session_in_mode(&app, &token, &project, "chat").await;
    let events = events_of(
        send_streamed(
            &app,
            &token,
            &session,
            "We'll use Django with PostgreSQL and deploy on Kubernetes.",
        )
        .await,
    )
    .await;
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    let deltas = names.iter().filter(|name| **name == "delta").count();
    assert!(deltas >= 2, "{names:?}");
    assert_eq!(names[deltas..], ["result", "done"], "{names:?}");
    let text: String = events[..deltas]
        .iter()
        .map(|(_, data)| data["text"].as_str().unwrap())
        .collect();
    let result = &events[deltas].1;
    assert_eq!(result["response"], text.as_str());
    assert!(result["specs_extracted"].as_u64().unwrap() >= 2, "{result}");
    let log = history(&app, &token, &session).await;
    assert_eq!(log["total"], 2);
    assert_eq!(log["entries"][1]["content"], text.as_str());

    // A refusal comes before the stream starts: a plain error answer.
    let refused = send_streamed(&app, &token, &session, " ").await;
    expect_error(refused, 400, "VALIDATION_ERROR").await;
    app.stop().await;
}

/// How the local provider answers a streamed request.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StreamPlan {
    /// Every delta, then the usage and `[DONE]`.
    Complete,
    /// The first delta, then nothing until the connection closes.
    StallAfterFirst,
}

/// A minimal OpenAI-compatible provider on a socket, for what a mock that sends whole bodies
/// cannot do: a streamed reply that stalls mid-stream. Structured calls (extraction and
/// conflict judgement) get realistic `chat.completion` bodies.
struct LocalProvider {
    uri: String,
    /// Every request body received.
    requests: mpsc::UnboundedReceiver<Value>,
    /// Notified when a stalled stream's connection was closed by its client.
    stream_closed: Arc<Notify>,
}

const DELTAS: [&str; 3] = [
    "Noted: PostgreSQL as the database.",
    " Who will use the booking site",
    " day to day?",
];

impl LocalProvider {
    async fn start(plan: StreamPlan) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let (sender, requests) = mpsc::unbounded_channel();
        let stream_closed = Arc::new(Notify::new());
        let closed = Arc::clone(&stream_closed);
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let sender = sender.clone();
                let closed = Arc::clone(&closed);
                tokio::spawn(async move {
                    serve(socket, plan, sender, closed).await;
                });
            }
        });
        Self {
            uri,
            requests,
            stream_closed,
        }
    }

    fn received(&mut self) -> Vec<Value> {
        let mut all = Vec::new();
        while let Ok(body) = self.requests.try_recv() {
            all.push(body);
        }
        all
    }
}

/// Reads one request (headers, then `Content-Length` bytes) and answers it.
async fn serve(
    mut socket: TcpStream,
    plan: StreamPlan,
    sender: mpsc::UnboundedSender<Value>,
    closed: Arc<Notify>,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 8192];
    let header_end = loop {
        let read = socket.read(&mut chunk).await.unwrap_or(0);
        if read == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let read = socket.read(&mut chunk).await.unwrap_or(0);
        if read == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body: Value =
        serde_json::from_slice(&buffer[header_end..header_end + length]).unwrap_or(Value::Null);
    let _ = sender.send(body.clone());
    if body["stream"] == true {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";
        let _ = socket.write_all(head.as_bytes()).await;
        let deltas = match plan {
            StreamPlan::Complete => &DELTAS[..],
            StreamPlan::StallAfterFirst => &DELTAS[..1],
        };
        for delta in deltas {
            let chunk = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
                "choices": [{"index": 0, "delta": {"content": delta}, "finish_reason": null}]});
            let _ = socket
                .write_all(format!("data: {chunk}\n\n").as_bytes())
                .await;
            let _ = socket.flush().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if plan == StreamPlan::StallAfterFirst {
            // Wait for the client (the server under test) to let go of the stream.
            let mut rest = [0_u8; 64];
            while socket.read(&mut rest).await.is_ok_and(|read| read > 0) {}
            closed.notify_one();
            return;
        }
        let usage = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
            "choices": [], "usage": {"prompt_tokens": 420, "completion_tokens": 17, "total_tokens": 437}});
        let _ = socket
            .write_all(format!("data: {usage}\n\ndata: [DONE]\n\n").as_bytes())
            .await;
        let _ = socket.shutdown().await;
        return;
    }
    let name = body["response_format"]["json_schema"]["name"]
        .as_str()
        .unwrap_or_default();
    let content = match name {
        "extracted_facts" => json!({"facts": [{"category": "tech_stack", "key": "primary_database",
            "value": "PostgreSQL", "confidence": 0.9, "reasoning": "stated in the message"}]}),
        _ => json!({"conflicts": []}),
    };
    let completion = json!({
        "id": "chatcmpl-2", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content.to_string()}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 300, "completion_tokens": 40, "total_tokens": 340},
    })
    .to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{completion}",
        completion.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

async fn llm_app(provider: &LocalProvider) -> TestApp {
    let uri = provider.uri.clone();
    spawn_app_with(
        move |settings| {
            settings.rate_limit.enabled = false;
            settings.llm.provider = Some("openai".to_owned());
            settings.llm.base_url = Some(uri);
            settings.llm.openai_api_key = Some(secrecy::SecretString::from("sk-test-key"));
            settings.llm.max_attempts = 1;
        },
        Arc::new(SystemClock),
    )
    .await
}

#[tokio::test]
async fn a_model_reply_streams_through_from_the_providers_stream() {
    let mut provider = LocalProvider::start(StreamPlan::Complete).await;
    let app = llm_app(&provider).await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Streamed model").await;
    let session = session_in_mode(&app, &token, &project, "chat").await;
    let events = events_of(
        send_streamed(&app, &token, &session, "We picked PostgreSQL for the data.").await,
    )
    .await;
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["delta", "delta", "delta", "result", "done"]);
    let text: String = events[..3]
        .iter()
        .map(|(_, data)| data["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, DELTAS.concat());
    let result = &events[3].1;
    assert_eq!(result["response"], text.as_str());
    assert_eq!(result["specifications"][0]["value"], "PostgreSQL");
    assert_eq!(result["specifications"][0]["source"], "direct_chat");
    // The model was asked through its streaming API, knowing what the message stated.
    let streamed: Vec<Value> = provider
        .received()
        .into_iter()
        .filter(|body| body["stream"] == true)
        .collect();
    assert_eq!(streamed.len(), 1);
    let system = streamed[0]["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains(
            "as recorded (category.key = value):\n- tech_stack.primary_database = PostgreSQL"
        ),
        "{system}"
    );
    let log = history(&app, &token, &session).await;
    assert_eq!(log["entries"][1]["content"], text.as_str());

    // The same route without the header answers with JSON, through the non-streaming call.
    let whole = send(&app, &token, &session, "Also Redis for caching.").await;
    assert_eq!(whole.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_leaves_mid_stream_leaves_nothing_written() {
    let provider = LocalProvider::start(StreamPlan::StallAfterFirst).await;
    let app = llm_app(&provider).await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Walked away").await;
    let session = session_in_mode(&app, &token, &project, "chat").await;
    let response = send_streamed(&app, &token, &session, "We picked PostgreSQL.").await;
    assert_eq!(response.status(), 200);
    let mut events = response.bytes_stream().eventsource();
    let first = events.next().await.unwrap().unwrap();
    assert_eq!(first.event, "delta");
    assert_eq!(
        serde_json::from_str::<Value>(&first.data).unwrap()["text"],
        DELTAS[0]
    );
    // The client goes away with the reply half written.
    drop(events);
    // The server lets go of the provider's stream in turn…
    tokio::time::timeout(Duration::from_secs(15), provider.stream_closed.notified())
        .await
        .expect("the server closed the provider's stream after its client left");
    // …and nothing of the exchange was written: no message, no reply, no fact, no maturity.
    assert_eq!(history(&app, &token, &session).await["total"], 0);
    assert!(facts(&app, &token, &project).await.is_empty());
    let status = json_of(
        app.get_authed(&format!("/api/v1/projects/{project}/status"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(status["maturity_score"], 0.0);
    app.stop().await;
}
