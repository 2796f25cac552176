//! The LLM reasoner against a local `wiremock` server speaking OpenAI's Chat Completions API,
//! through the real `OpenAiClient`: what the reasoner returns and what it sent.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use socrates_domain::{
    Category, Code, ErrorCode, ExistingFact, FactDraft, FactSource, LlmProviderKind,
};
use socrates_llm::{LlmError, ProviderConfig, RetryPolicy, Usage, build_client};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

#[derive(Default)]
pub(super) struct Recorder(
    pub(super) Mutex<Vec<(Operation, Usage)>>,
    pub(super) Mutex<Vec<(Operation, CallFailure)>>,
);

impl UsageSink for Recorder {
    fn record(&self, operation: Operation, usage: &Usage) {
        self.0.lock().unwrap().push((operation, usage.clone()));
    }

    fn record_failure(&self, operation: Operation, failure: &CallFailure) {
        self.1.lock().unwrap().push((operation, failure.clone()));
    }
}

pub(super) fn reasoner(server: &MockServer) -> (LlmReasoner, Arc<Recorder>) {
    let config = ProviderConfig::new(LlmProviderKind::Openai, "gpt-4o-mini")
        .with_base_url(server.uri())
        .with_api_key("sk-test-0123456789")
        .with_retry(RetryPolicy::no_retries());
    let client = build_client(LlmProviderKind::Openai, config).unwrap();
    let recorder = Arc::new(Recorder::default());
    let reasoner = LlmReasoner::new(client, OfflineReasoner::builtin().unwrap())
        .with_usage_sink(recorder.clone());
    (reasoner, recorder)
}

/// A chat.completion body as OpenAI sends it, with `content` as the assistant's text.
pub(super) fn completion_body(content: &str) -> Value {
    json!({
        "id": "chatcmpl-AbC123",
        "object": "chat.completion",
        "created": 1_764_088_000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": {"prompt_tokens": 412, "completion_tokens": 58, "total_tokens": 470},
        "system_fingerprint": "fp_0ba0d124f1",
    })
}

/// Mounts one answer per call, served in order.
pub(super) async fn answer_in_order(server: &MockServer, contents: &[String]) {
    for content in contents {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(completion_body(content)))
            .up_to_n_times(1)
            .mount(server)
            .await;
    }
}

pub(super) async fn request_bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect()
}

pub(super) fn system_prompt(body: &Value) -> &str {
    body["messages"][0]["content"].as_str().unwrap()
}

pub(super) fn fact(category: Category, key: &str, value: &str) -> ExistingFact {
    ExistingFact {
        id: None,
        category,
        key: key.to_owned(),
        value: value.to_owned(),
        confidence: 0.9,
    }
}

pub(super) fn draft(category: Category, key: &str, value: &str) -> FactDraft {
    FactDraft {
        category,
        key: key.to_owned(),
        value: value.to_owned(),
        confidence: 0.9,
        reasoning: None,
    }
}

pub(super) fn extraction_input(text: &str) -> ExtractionInput {
    ExtractionInput {
        question_text: Some("What are your performance targets?".to_owned()),
        question_category: Some(Category::Performance),
        text: text.to_owned(),
        existing: Vec::new(),
        source: FactSource::SocraticQuestion,
    }
}

#[tokio::test]
async fn a_question_is_generated_validated_and_the_prompt_carries_the_rules() {
    let server = MockServer::start().await;
    let answer = json!({
        "text": "Who must be able to sign in, and how do they prove who they are today?",
        "category": "Security",
        "context": "Authentication shapes every screen and the compliance scope.",
    });
    answer_in_order(&server, &[answer.to_string()]).await;
    let (reasoner, usage) = reasoner(&server);
    let context = QuestionContext {
        asked_questions: Vec::new(),
        project_name: "Clinic Booking".to_owned(),
        project_description: "Appointments for small clinics".to_owned(),
        focus_category: Category::Security,
        persona: Some("backend".to_owned()),
        asked_template_ids: HashSet::new(),
        existing_facts: vec![fact(Category::TechStack, "primary_database", "PostgreSQL")],
        preferences: std::collections::HashMap::new(),
        documents: Vec::new(),
    };

    let question = reasoner.generate_question(&context).await.unwrap();

    assert_eq!(question.category, Category::Security);
    assert!(question.text.ends_with('?'));
    assert_eq!(question.persona.as_deref(), Some("backend"));
    let id = question.template_id.unwrap();
    assert!(id.starts_with("llm.security."), "{id}");
    let bodies = request_bodies(&server).await;
    assert_eq!(bodies.len(), 1);
    let system = system_prompt(&bodies[0]);
    assert!(system.contains("goals, requirements, tech_stack, scalability, security"));
    assert!(system.contains("It is about one aspect only."));
    assert!(system.contains("never asks \"should we use X\""));
    assert!(system.contains("- tech_stack.primary_database = PostgreSQL"));
    assert!(system.contains("Clinic Booking"));
    assert_eq!(
        bodies[0]["response_format"]["json_schema"]["name"],
        "socratic_question"
    );
    let recorded = usage.0.lock().unwrap();
    assert_eq!(recorded[0].1.input_tokens, 412);
    assert_eq!(recorded[0].0, Operation::Question);
    drop(recorded);
}

#[tokio::test]
async fn a_question_without_a_question_mark_is_repaired_with_the_problem_quoted() {
    let server = MockServer::start().await;
    let bad = json!({"text": "Tell me about your users", "category": "goals", "context": "c"});
    let good = json!({"text": "Who are your users?", "category": "goals", "context": "c"});
    answer_in_order(&server, &[bad.to_string(), good.to_string()]).await;
    let (reasoner, usage) = reasoner(&server);
    let context = QuestionContext {
        asked_questions: Vec::new(),
        project_name: "Demo".to_owned(),
        project_description: String::new(),
        focus_category: Category::Goals,
        persona: None,
        asked_template_ids: HashSet::new(),
        existing_facts: Vec::new(),
        preferences: std::collections::HashMap::new(),
        documents: Vec::new(),
    };

    let question = reasoner.generate_question(&context).await.unwrap();

    assert_eq!(question.text, "Who are your users?");
    let bodies = request_bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    let repair = bodies[1]["messages"].to_string();
    assert!(repair.contains("must end with a question mark"), "{repair}");
    assert!(repair.contains("Tell me about your users"), "{repair}");
    assert_eq!(usage.0.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn extraction_keeps_valid_facts_rejects_unknown_categories_and_fixes_keys() {
    let server = MockServer::start().await;
    let answer = json!({"facts": [
        {"category": "tech_stack", "key": "primary_database", "value": "PostgreSQL 16",
         "confidence": 0.95, "reasoning": "stated explicitly"},
        {"category": "marketing", "key": "launch_channel", "value": "Product Hunt",
         "confidence": 0.8, "reasoning": "mentioned"},
        {"category": "Performance", "key": "Latency P95 (ms)", "value": "200 ms",
         "confidence": 0.9, "reasoning": ""},
    ]});
    answer_in_order(&server, &[answer.to_string()]).await;
    let (reasoner, _) = reasoner(&server);

    let extraction = reasoner
        .extract_facts(&extraction_input(
            "We run on PostgreSQL 16, launch on Product Hunt, and p95 must stay under 200 ms.",
        ))
        .await
        .unwrap();

    assert_eq!(extraction.facts.len(), 2);
    assert_eq!(extraction.facts[0].key, "primary_database");
    assert_eq!(
        extraction.facts[0].reasoning.as_deref(),
        Some("stated explicitly")
    );
    assert_eq!(extraction.facts[1].category, Category::Performance);
    assert_eq!(extraction.facts[1].key, "latency_p95_ms");
    assert_eq!(extraction.facts[1].reasoning, None);
    assert_eq!(extraction.rejected.len(), 1);
    assert_eq!(extraction.rejected[0].raw_category, "marketing");
    assert!(extraction.rejected[0].reason.contains("unknown category"));
    let bodies = request_bodies(&server).await;
    assert_eq!(bodies.len(), 1);
    let system = system_prompt(&bodies[0]);
    assert!(system.contains("Never invent"));
    assert!(system.contains("performance: latency_p95_ms"));
}

#[tokio::test]
async fn invalid_json_is_repaired_by_exactly_one_second_request() {
    let server = MockServer::start().await;
    let repaired = json!({"facts": [{"category": "tech_stack", "key": "backend_framework",
        "value": "FastAPI", "confidence": 0.9, "reasoning": "stated"}]});
    answer_in_order(
        &server,
        &[
            "Sure! Here are the facts: {\"facts\": [".to_owned(),
            repaired.to_string(),
        ],
    )
    .await;
    let (reasoner, usage) = reasoner(&server);

    let extraction = reasoner
        .extract_facts(&extraction_input("I want to build a web app with FastAPI"))
        .await
        .unwrap();

    assert_eq!(extraction.facts.len(), 1);
    assert_eq!(extraction.facts[0].value, "FastAPI");
    let bodies = request_bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    let repair = bodies[1]["messages"].to_string();
    assert!(
        repair.contains("structured output is not valid JSON"),
        "{repair}"
    );
    assert!(
        repair.contains("Your previous answer was invalid"),
        "{repair}"
    );
    // The unusable first answer brought no usage back from the client.
    assert_eq!(usage.0.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_answer_invalid_twice_is_llm_invalid_response_and_invents_nothing() {
    let server = MockServer::start().await;
    let bad = json!({"facts": [{"category": "goals", "key": "project_goal",
        "value": "book appointments", "confidence": 7, "reasoning": ""}]});
    answer_in_order(&server, &[bad.to_string(), bad.to_string()]).await;
    let (reasoner, _) = reasoner(&server);

    let error = reasoner
        .extract_facts(&extraction_input(
            "It lets patients book appointments online.",
        ))
        .await
        .unwrap_err();

    assert_eq!(error.code(), Code::LlmInvalidResponse);
    assert_eq!(error.code().as_str(), "LLM_INVALID_RESPONSE");
    assert!(error.to_string().contains("confidence"), "{error}");
    let bodies = request_bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    assert!(
        bodies[1]["messages"]
            .to_string()
            .contains("between 0 and 1")
    );
}

#[tokio::test]
async fn a_rejected_key_is_an_error_code_of_the_provider_and_no_offline_fallback() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "message": "Incorrect API key provided: sk-test-****6789.",
            "type": "invalid_request_error", "param": null, "code": "invalid_api_key",
        }})))
        .mount(&server)
        .await;
    let (reasoner, usage) = reasoner(&server);

    // The offline engine would find a fact here; the LLM reasoner must not use it.
    let error = reasoner
        .extract_facts(&extraction_input("I want to build a web app with FastAPI"))
        .await
        .unwrap_err();

    assert_eq!(
        error,
        ReasonerError::Llm(LlmError::Authentication { status: 401 })
    );
    assert_eq!(error.code(), Code::LlmUnavailable);
    assert_eq!(request_bodies(&server).await.len(), 1);
    assert!(usage.0.lock().unwrap().is_empty());
    // The failed call is recorded too, with its code.
    let failures = usage.1.lock().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, Operation::Extraction);
    assert_eq!(failures[0].1.error_code, "LLM_UNAVAILABLE");
    assert_eq!(failures[0].1.model, "gpt-4o-mini");
    drop(failures);
}

#[test]
fn a_question_reworded_only_in_small_words_is_the_same_question() {
    use super::validate::same_question;
    assert!(same_question(
        "What problem does the product solve for its users?",
        "what problem does this product solve for the users"
    ));
    assert!(same_question(
        "Who are the primary users of the booking app?",
        "And who would you say are the primary users of your booking app?"
    ));
    // A narrower question about one aspect of an earlier, broad one is a new question.
    assert!(!same_question(
        "What is the budget?",
        "What is the budget for hosting the pilot?"
    ));
    assert!(!same_question(
        "What matters most to you about goals (aspect 0)?",
        "What matters most to you about requirements (aspect 2)?"
    ));
    assert!(!same_question("?", "What is it?"));
}
