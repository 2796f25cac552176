//! The journey once more with the LLM reasoner against a local mock of Anthropic's Messages
//! API that answers with realistic tool-use JSON, and the rule that a reasoner failure leaves
//! nothing behind: the same answer can be sent again.

use std::sync::Arc;

use serde_json::{Value, json};
use socrates_domain::UserId;
use socrates_infra::SystemClock;
use socrates_persistence::repositories::llm_usage;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::support::{
    PASSWORD, TestApp, answer, expect_error, json_of, next_question, spawn_app_with, unique_email,
};

/// Answers like Claude with a forced tool call, choosing the content from the request; each
/// question is worded differently, as a model's would be.
#[derive(Default)]
struct Claude {
    questions: std::sync::atomic::AtomicUsize,
}

fn tool_use(name: &str, input: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": name, "input": input}],
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "usage": {"input_tokens": 812, "output_tokens": 96},
    }))
}

fn fact(category: &str, key: &str, value: &str) -> Value {
    json!({"category": category, "key": key, "value": value, "confidence": 0.9, "reasoning": "stated in the answer"})
}

impl Respond for Claude {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().unwrap();
        let tool = body["tool_choice"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let user = body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match tool.as_str() {
            "socratic_question" => {
                let category = user
                    .trim_start_matches("Ask the next question about ")
                    .trim_end_matches('.')
                    .to_owned();
                let asked = self
                    .questions
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tool_use(
                    "socratic_question",
                    &json!({
                        "text": format!(
                            "What matters most to you about {} (aspect {asked})?",
                            category.replace('_', " ")
                        ),
                        "category": category,
                        "context": "It shapes the first release.",
                    }),
                )
            }
            "extracted_facts" => {
                let facts = if user.contains("FastAPI") {
                    vec![
                        fact("goals", "project_type", "web app"),
                        fact("tech_stack", "backend_framework", "FastAPI"),
                    ]
                } else if user.contains("PostgreSQL") {
                    vec![
                        fact("tech_stack", "primary_database", "PostgreSQL 16"),
                        fact("deployment", "cloud_provider", "AWS"),
                        fact("astrology", "star_sign", "Leo"),
                    ]
                } else if user.contains("MySQL") {
                    vec![fact("tech_stack", "primary_database", "MySQL")]
                } else {
                    Vec::new()
                };
                tool_use("extracted_facts", &json!({ "facts": facts }))
            }
            "conflict_judgement" => tool_use("conflict_judgement", &json!({"conflicts": []})),
            other => ResponseTemplate::new(400).set_body_json(json!({
                "type": "error",
                "error": {"type": "invalid_request_error", "message": format!("unexpected tool {other}")},
            })),
        }
    }
}

/// Claude's answer, after a long pause (a hung provider).
struct Delayed(Claude, std::time::Duration);

impl Respond for Delayed {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request).set_delay(self.1)
    }
}

async fn claude_app(provider: &MockServer) -> TestApp {
    let uri = provider.uri();
    spawn_app_with(
        move |settings| {
            settings.llm.provider = Some("claude".to_owned());
            settings.llm.base_url = Some(uri);
            settings.llm.anthropic_api_key =
                Some(secrecy::SecretString::from("sk-ant-test-0123456789"));
            settings.llm.max_attempts = 1;
        },
        Arc::new(SystemClock),
    )
    .await
}

/// Registers, logs in, creates a project and opens a session: (token, user, project, session).
async fn open_session(app: &TestApp) -> (String, UserId, String, String) {
    let email = unique_email();
    let registered = app.register(&email).await;
    let user: UserId = registered["user_id"].as_str().unwrap().parse().unwrap();
    let token = app.login(&email, PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let project = json_of(
        app.post_authed("/api/v1/projects", &token, &json!({"name": "Test Project"}))
            .await,
        201,
    )
    .await;
    let project_id = project["project_id"].as_str().unwrap().to_owned();
    let session = json_of(
        app.post_authed(
            &format!("/api/v1/projects/{project_id}/sessions"),
            &token,
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    (
        token,
        user,
        project_id,
        session["session_id"].as_str().unwrap().to_owned(),
    )
}

async fn ask_and_answer(app: &TestApp, token: &str, session: &str, answer: &str) -> Value {
    let question = next_question(app, token, session).await;
    json_of(
        app.post_authed(
            &format!("/api/v1/sessions/{session}/answer"),
            token,
            &json!({"question_id": question["question_id"], "answer": answer}),
        )
        .await,
        200,
    )
    .await
}

#[tokio::test]
async fn the_journey_runs_on_the_llm_reasoner_and_records_its_usage() {
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(Claude::default())
        .mount(&provider)
        .await;
    let app = claude_app(&provider).await;
    let (token, user, project_id, session) = open_session(&app).await;

    let first = ask_and_answer(
        &app,
        &token,
        &session,
        "I want to build a web app with FastAPI",
    )
    .await;
    assert_eq!(first["specs_extracted"], 2, "{first}");
    let second = ask_and_answer(
        &app,
        &token,
        &session,
        "The data lives in PostgreSQL 16 and we deploy on AWS.",
    )
    .await;
    assert_eq!(
        second["specs_extracted"], 2,
        "the category alias maps, the unknown one does not"
    );
    assert_eq!(second["rejected"][0]["category"], "astrology", "{second}");
    let third = ask_and_answer(&app, &token, &session, "Actually, MySQL.").await;
    assert_eq!(third["conflicts_detected"], true, "{third}");
    assert_eq!(third["conflicts"][0]["old_spec"]["value"], "PostgreSQL 16");

    let status = json_of(
        app.get_authed(&format!("/api/v1/projects/{project_id}/status"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(status["maturity_score"], third["maturity_score"]);
    assert_eq!(status["unresolved_conflicts"], 1);
    let markdown = app
        .get_authed(
            &format!("/api/v1/projects/{project_id}/export/markdown"),
            &token,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(markdown.contains("FastAPI"), "{markdown}");

    // Every model call was recorded for the user: 3 questions, 3 extractions and the
    // conflict judgements asked for. The recorder writes in the background, so wait for it.
    let specs = app.specs_db().await;
    let mut totals = llm_usage::UsageTotals::default();
    for _ in 0..250 {
        totals = llm_usage::totals_for_user(&specs, user, chrono::DateTime::UNIX_EPOCH)
            .await
            .unwrap();
        if totals.calls >= 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(totals.calls >= 6, "{totals:?}");
    assert_eq!(totals.tokens_input, 812 * totals.calls);
}

#[tokio::test]
async fn a_reasoner_failure_leaves_nothing_and_the_answer_can_be_sent_again() {
    let provider = MockServer::start().await;
    // The first extraction (and its one repair) answers without the tool call.
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(
            json!({"tool_choice": {"name": "extracted_facts"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "I think they use FastAPI."}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 10, "output_tokens": 5},
        })))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&provider)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(Claude::default())
        .with_priority(2)
        .mount(&provider)
        .await;
    let app = claude_app(&provider).await;
    let (token, user, project_id, session) = open_session(&app).await;
    let question = next_question(&app, &token, &session).await;
    let answer =
        json!({"question_id": question["question_id"], "answer": "A web app with FastAPI"});
    let answer_path = format!("/api/v1/sessions/{session}/answer");

    let failed = app.post_authed(&answer_path, &token, &answer).await;
    expect_error(failed, 502, "LLM_INVALID_RESPONSE").await;
    let history = json_of(
        app.get_authed(&format!("/api/v1/sessions/{session}/history"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        history["total"], 0,
        "nothing of the failed answer was written"
    );
    let status = json_of(
        app.get_authed(&format!("/api/v1/projects/{project_id}/status"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(status["specifications_count"], 0);

    let retried = json_of(app.post_authed(&answer_path, &token, &answer).await, 200).await;
    assert_eq!(retried["specs_extracted"], 2, "{retried}");

    // The failed calls are in the usage table too: the answer without the tool call and its
    // repair, each an `LLM_INVALID_RESPONSE` of the client.
    let specs = app.specs_db().await;
    let mut failed = 0;
    for _ in 0..250 {
        failed = llm_usage::failures_for_user(&specs, user, chrono::DateTime::UNIX_EPOCH)
            .await
            .unwrap();
        if failed >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(failed, 2);

    // The model calls are in the metrics too, successes and failures alike.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for expected in [
        r#"socrates_llm_failures_total{error_code="LLM_INVALID_RESPONSE",model="#,
        r#"socrates_llm_tokens_total{direction="input",model="#,
        r#"socrates_llm_call_duration_seconds_count{model="#,
    ] {
        assert!(
            metrics.contains(expected),
            "missing `{expected}` in\n{metrics}"
        );
    }
}

#[tokio::test]
async fn a_rate_limited_or_hung_provider_answers_in_time_and_says_when_to_retry() {
    let provider = MockServer::start().await;
    // The first extraction is refused with a long Retry-After, the second hangs for 30 s.
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(
            json!({"tool_choice": {"name": "extracted_facts"}}),
        ))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "60")
                .set_body_json(json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&provider)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(
            json!({"tool_choice": {"name": "extracted_facts"}}),
        ))
        .respond_with(Delayed(
            Claude::default(),
            std::time::Duration::from_secs(30),
        ))
        .up_to_n_times(3)
        .with_priority(2)
        .mount(&provider)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(Claude::default())
        .with_priority(3)
        .mount(&provider)
        .await;
    let uri = provider.uri();
    let app = spawn_app_with(
        move |settings| {
            settings.llm.provider = Some("claude".to_owned());
            settings.llm.base_url = Some(uri);
            settings.llm.anthropic_api_key =
                Some(secrecy::SecretString::from("sk-ant-test-0123456789"));
            settings.llm.max_attempts = 3;
            settings.llm.timeout_seconds = 30;
            settings.llm.call_budget_seconds = 1;
        },
        Arc::new(SystemClock),
    )
    .await;
    let (token, _, _, session) = open_session(&app).await;
    let question = next_question(&app, &token, &session).await;
    let answer =
        json!({"question_id": question["question_id"], "answer": "A web app with FastAPI"});
    let answer_path = format!("/api/v1/sessions/{session}/answer");

    // The provider's Retry-After reaches the client.
    let limited = app.post_authed(&answer_path, &token, &answer).await;
    assert_eq!(
        limited.headers()["retry-after"].to_str().unwrap(),
        "60",
        "{:?}",
        limited.headers()
    );
    expect_error(limited, 503, "LLM_RATE_LIMITED").await;

    // A hung provider costs the call's budget, not three 30 s attempts.
    let started = std::time::Instant::now();
    let hung = app.post_authed(&answer_path, &token, &answer).await;
    let waited = started.elapsed();
    expect_error(hung, 504, "LLM_TIMEOUT").await;
    assert!(
        waited < std::time::Duration::from_secs(5),
        "answered after {waited:?}"
    );
    let history = json_of(
        app.get_authed(&format!("/api/v1/sessions/{session}/history"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        history["total"], 0,
        "nothing of the failed answers was written"
    );
}

/// Answers like Claude, except that every question it proposes is the same one.
struct Parrot;

impl Respond for Parrot {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().unwrap();
        match body["tool_choice"]["name"].as_str().unwrap_or_default() {
            "socratic_question" => {
                let user = body["messages"][0]["content"].as_str().unwrap_or_default();
                let category = user
                    .trim_start_matches("Ask the next question about ")
                    .trim_end_matches('.')
                    .to_owned();
                tool_use(
                    "socratic_question",
                    &json!({
                        "text": "What problem does the product solve for the people who use it?",
                        "category": category,
                        "context": "It shapes everything else.",
                    }),
                )
            }
            "extracted_facts" => tool_use("extracted_facts", &json!({"facts": []})),
            _ => tool_use("conflict_judgement", &json!({"conflicts": []})),
        }
    }
}

#[tokio::test]
async fn a_model_that_repeats_its_question_does_not_stall_the_interview() {
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(Parrot)
        .mount(&provider)
        .await;
    let app = claude_app(&provider).await;
    let (token, _, _, session) = open_session(&app).await;
    let next = format!("/api/v1/sessions/{session}/next-question");
    let first = json_of(app.post_authed(&next, &token, &json!({})).await, 200).await;
    assert_eq!(
        first["text"],
        "What problem does the product solve for the people who use it?"
    );
    let answered = json_of(
        app.post_authed(
            &format!("/api/v1/sessions/{session}/answer"),
            &token,
            &json!({"question_id": first["question_id"], "answer": "Hard to say yet"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(answered["specs_extracted"], 0);
    // The model proposes the same question again: the interview goes on with another one.
    let mut texts = vec![first["text"].as_str().unwrap().to_owned()];
    for _ in 0..3 {
        let question = json_of(app.post_authed(&next, &token, &json!({})).await, 200).await;
        let text = question["text"].as_str().unwrap().to_owned();
        assert!(!texts.contains(&text), "asked again: {text}");
        texts.push(text);
        json_of(
            answer(&app, &token, &session, &question, "Hard to say yet").await,
            200,
        )
        .await;
    }
    // The model was shown what had been asked.
    let requests = provider.received_requests().await.unwrap();
    let shown = requests.iter().any(|request| {
        let body: Value = request.body_json().unwrap();
        body["tool_choice"]["name"] == "socratic_question"
            && body["system"]
                .to_string()
                .contains("What problem does the product solve for the people who use it?")
    });
    assert!(
        shown,
        "no question prompt listed the question already asked"
    );
}

/// Extracts two different values of one single-valued key from every answer.
struct TwoProjectTypes;

impl Respond for TwoProjectTypes {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().unwrap();
        if body["tool_choice"]["name"] == "extracted_facts" {
            return tool_use(
                "extracted_facts",
                &json!({"facts": [
                    fact("goals", "project_type", "web app"),
                    fact("goals", "project_type", "mobile app"),
                    fact("tech_stack", "primary_database", "PostgreSQL"),
                ]}),
            );
        }
        Claude::default().respond(request)
    }
}

#[tokio::test]
async fn two_values_of_one_key_in_one_answer_leave_one_current_value() {
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(TwoProjectTypes)
        .mount(&provider)
        .await;
    let app = claude_app(&provider).await;
    let (token, _, project_id, session) = open_session(&app).await;
    let answered = ask_and_answer(
        &app,
        &token,
        &session,
        "A web app for small clinics on PostgreSQL. No mobile app for now.",
    )
    .await;
    assert_eq!(answered["specs_extracted"], 2, "{answered}");
    // The second value is held in a conflict (the model's judgement compares the answer's
    // statements with each other) or reported as rejected; never a second current value.
    let held = answered["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|conflict| conflict["new_spec_value"] == "mobile app");
    let rejected = answered["rejected"].as_array().unwrap().iter().any(|item| {
        item["value"] == "mobile app" && item["reason"].as_str().unwrap().contains("same answer")
    });
    assert!(held || rejected, "{answered}");
    let facts = json_of(
        app.get_authed(
            &format!("/api/v1/specifications/project/{project_id}"),
            &token,
        )
        .await,
        200,
    )
    .await;
    let project_types: Vec<&Value> = facts["specifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|fact| fact["key"] == "project_type")
        .map(|fact| &fact["value"])
        .collect();
    assert_eq!(project_types, [&json!("web app")]);
}
