//! Quality control through HTTP: every question carries its real score and is recorded; a
//! model's biased question is asked for again, at most twice, and the best one asked; a phase
//! advance is judged in the orchestrator with the coverage-gap block and the costed ways
//! forward; the project's metrics, analysis and recommendations.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use socrates_infra::SystemClock;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::support::{
    TestApp, expect_error, json_of, new_project, new_session, next_question, spawn_app_with,
    spawn_app_without_rate_limits,
};

async fn quality(app: &TestApp, token: &str, project: &str, what: &str) -> Value {
    json_of(
        app.get_authed(&format!("/api/v1/quality/project/{project}/{what}"), token)
            .await,
        200,
    )
    .await
}

async fn add_fact(app: &TestApp, token: &str, project: &str, category: &str, key: &str) {
    json_of(
        app.post_authed(
            "/api/v1/specifications",
            token,
            &json!({"project_id": project, "category": category, "key": key,
                    "value": format!("{key} as the team stated it")}),
        )
        .await,
        201,
    )
    .await;
}

#[tokio::test]
async fn a_question_carries_its_score_and_is_recorded() {
    let app = spawn_app_without_rate_limits().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Scored").await;
    let before = quality(&app, &token, &project, "metrics").await;
    assert_eq!(before["questions_scored"], 0);
    assert_eq!(before["overall_quality"], Value::Null);
    assert_eq!(before["last_analysis"], Value::Null);
    assert_eq!(before["coverage_gaps"].as_array().unwrap().len(), 10);

    let session = new_session(&app, &token, &project).await;
    let question = next_question(&app, &token, &session).await;
    assert_eq!(question["quality_score"], 1.0, "{question}");
    let after = quality(&app, &token, &project, "metrics").await;
    assert_eq!(after["questions_scored"], 1);
    assert_eq!(after["overall_quality"], 100.0);
    assert_eq!(after["bias_score"], 0.0);
    assert!(after["last_analysis"].is_string(), "{after}");

    let stranger = app.signed_in_user().await;
    for what in ["metrics", "analysis", "recommendations"] {
        let hidden = app
            .get_authed(
                &format!("/api/v1/quality/project/{project}/{what}"),
                &stranger,
            )
            .await;
        expect_error(hidden, 404, "PROJECT_NOT_FOUND").await;
    }
    app.stop().await;
}

/// A model that proposes the questions of `texts` in turn, as OpenAI's structured output.
struct Proposer {
    texts: Vec<&'static str>,
    asked: AtomicUsize,
}

impl Respond for Proposer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().unwrap();
        let name = body["response_format"]["json_schema"]["name"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(name, "socratic_question", "only questions are asked here");
        // The category asked for, from "Ask the next question about tech_stack."
        let category = body["messages"][1]["content"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches("Ask the next question about ")
            .trim_end_matches('.')
            .to_owned();
        let index = self.asked.fetch_add(1, Ordering::SeqCst);
        let text = self.texts[index.min(self.texts.len() - 1)];
        let content = json!({"text": text, "category": category,
            "context": "It shapes the first release."});
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-q", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content.to_string()},
                "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 500, "completion_tokens": 40, "total_tokens": 540},
        }))
    }
}

async fn model_app(texts: Vec<&'static str>) -> (TestApp, MockServer) {
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(Proposer {
            texts,
            asked: AtomicUsize::new(0),
        })
        .mount(&provider)
        .await;
    let uri = provider.uri();
    let app = spawn_app_with(
        move |settings| {
            settings.rate_limit.enabled = false;
            settings.llm.provider = Some("openai".to_owned());
            settings.llm.base_url = Some(uri);
            settings.llm.openai_api_key = Some(secrecy::SecretString::from("sk-test-key"));
            settings.llm.max_attempts = 1;
        },
        Arc::new(SystemClock),
    )
    .await;
    (app, provider)
}

async fn question_prompts(provider: &MockServer) -> Vec<String> {
    provider
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            body["messages"][0]["content"].as_str().unwrap().to_owned()
        })
        .collect()
}

const BIASED: &str = "Should we use React for the frontend, since it is the best framework?";
const LEADING: &str = "Don't you think you obviously need Kubernetes?";
const SURELY: &str = "Surely you need a mobile app, don't you think?";
const OPEN: &str = "Which parts of the product must stay usable when a server fails?";

#[tokio::test]
async fn a_biased_question_from_the_model_is_asked_for_again() {
    let (app, provider) = model_app(vec![BIASED, OPEN]).await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Regenerated").await;
    let session = new_session(&app, &token, &project).await;
    let question = next_question(&app, &token, &session).await;
    assert_eq!(question["text"], OPEN, "{question}");
    assert_eq!(question["quality_score"], 1.0);
    let prompts = question_prompts(&provider).await;
    assert_eq!(prompts.len(), 2, "one regeneration");
    assert!(
        prompts[1].contains(BIASED),
        "the model is told not to ask the refused question again: {}",
        prompts[1]
    );
    let metrics = quality(&app, &token, &project, "metrics").await;
    assert_eq!(metrics["questions_below_threshold"], 0);
    app.stop().await;
}

#[tokio::test]
async fn after_two_regenerations_the_best_candidate_is_asked_with_its_score() {
    let (app, provider) = model_app(vec![BIASED, SURELY, LEADING]).await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Best of three").await;
    let session = new_session(&app, &token, &project).await;
    let question = next_question(&app, &token, &session).await;
    assert_eq!(
        question_prompts(&provider).await.len(),
        3,
        "at most two regenerations"
    );
    // "Should we use React … best framework" has three issues (0.4), "Surely you need …,
    // don't you think" two (0.6), the leading question about Kubernetes three ("don't you
    // think", "obviously", a technology the project never mentioned): the best is asked.
    assert_eq!(question["text"], SURELY, "{question}");
    assert_eq!(question["quality_score"], 0.6);
    let metrics = quality(&app, &token, &project, "metrics").await;
    assert_eq!(metrics["questions_below_threshold"], 1);
    assert!(metrics["bias_score"].as_f64().unwrap() > 0.5, "{metrics}");
    let analysis = quality(&app, &token, &project, "analysis").await;
    assert_eq!(analysis["bias_detected"], true);
    let recommendations = quality(&app, &token, &project, "recommendations").await;
    assert!(
        recommendations["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["type"] == "bias_warning"),
        "{recommendations}"
    );
    app.stop().await;
}

/// Every fact of `category` under keys `note_1`…`note_n`.
async fn fill(app: &TestApp, token: &str, project: &str, category: &str, facts: usize) {
    for index in 1..=facts {
        add_fact(app, token, project, category, &format!("note_{index}")).await;
    }
}

#[tokio::test]
async fn too_many_thin_categories_block_a_phase_advance_whatever_the_maturity() {
    let app = spawn_app_without_rate_limits().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Thin in places").await;
    // Four categories saturated (15 + 12 + 10 + 10) and two facts in each of the other six:
    // about 65 % maturity, with six categories under three facts.
    for (category, weight) in [
        ("requirements", 15),
        ("tech_stack", 12),
        ("goals", 10),
        ("security", 10),
    ] {
        fill(&app, &token, &project, category, weight).await;
    }
    for category in [
        "scalability",
        "performance",
        "testing",
        "monitoring",
        "data_retention",
        "disaster_recovery",
    ] {
        fill(&app, &token, &project, category, 2).await;
    }
    let status = json_of(
        app.get_authed(&format!("/api/v1/projects/{project}/status"), &token)
            .await,
        200,
    )
    .await;
    assert!(
        status["maturity_score"].as_f64().unwrap() >= 60.0,
        "{status}"
    );
    assert_eq!(status["can_advance"], false);
    assert_eq!(
        status["advance_blockers"][0]["reason"], "coverage_gaps",
        "{status}"
    );

    let refused = app
        .post_authed(
            &format!("/api/v1/projects/{project}/phase/advance"),
            &token,
            &json!({}),
        )
        .await;
    let body = expect_error(refused, 409, "PHASE_ADVANCE_REFUSED").await;
    let details = &body["details"];
    assert_eq!(details["blocked_by"], "quality_control");
    assert_eq!(details["reasons"].as_array().unwrap().len(), 1, "{details}");
    assert_eq!(details["reasons"][0]["reason"], "coverage_gaps");
    assert_eq!(
        details["reasons"][0]["categories"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(
        details["reasons"][0]["suggested_actions"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        details["path_analysis"]["recommended_path"], "address_gaps_first",
        "{details}"
    );
    let analysis = quality(&app, &token, &project, "analysis").await;
    assert_eq!(analysis["gaps_block"], true);
    assert_eq!(analysis["coverage_complete"], false);
    assert_eq!(analysis["target_phase"], "analysis");
    assert_eq!(
        analysis["path_analysis"]["recommended_path"],
        "address_gaps_first"
    );
    let paths = analysis["path_analysis"]["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 2);
    assert!(paths[0]["expected_cost"].as_f64() < paths[1]["expected_cost"].as_f64());
    let recommendations = quality(&app, &token, &project, "recommendations").await;
    let first = &recommendations["recommendations"][0];
    assert_eq!(first["type"], "coverage_gap");
    assert_eq!(first["priority"], "medium", "{recommendations}");

    // One more fact leaves five gaps: the advance goes through.
    add_fact(&app, &token, &project, "scalability", "note_3").await;
    let advanced = json_of(
        app.post_authed(
            &format!("/api/v1/projects/{project}/phase/advance"),
            &token,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(advanced["phase"], "analysis", "{advanced}");
    app.stop().await;
}
