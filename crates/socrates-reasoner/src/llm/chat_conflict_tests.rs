//! The LLM reasoner's conflict judgement and direct chat against the local mock of OpenAI's
//! API, and one extraction through the real `ClaudeClient` (tool use).

use serde_json::json;
use socrates_domain::{Category, Code, ConflictType, ConversationRole, ErrorCode, LlmProviderKind};
use socrates_llm::{ProviderConfig, RetryPolicy, build_client};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::tests::{
    Recorder, answer_in_order, draft, extraction_input, fact, reasoner, request_bodies,
    system_prompt,
};
use super::*;
use crate::{ChatContext, ChatTurn, QuestionDraft};

#[tokio::test]
async fn extraction_works_through_claude_tool_use() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "sk-ant-test-0123456789"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [{
                "type": "tool_use",
                "id": "toolu_01A09q90qw90lq917835lq9",
                "name": "extracted_facts",
                "input": {"facts": [{"category": "security", "key": "authenticationMethod",
                    "value": "SSO via Okta", "confidence": 0.9, "reasoning": "stated"}]},
            }],
            "stop_reason": "tool_use",
            "stop_sequence": null,
            "usage": {"input_tokens": 655, "output_tokens": 71},
        })))
        .expect(1)
        .mount(&server)
        .await;
    let config = ProviderConfig::new(LlmProviderKind::Claude, "claude-sonnet-4-5")
        .with_base_url(server.uri())
        .with_api_key("sk-ant-test-0123456789")
        .with_retry(RetryPolicy::no_retries());
    let reasoner = LlmReasoner::new(
        build_client(LlmProviderKind::Claude, config).unwrap(),
        OfflineReasoner::builtin().unwrap(),
    );

    let extraction = reasoner
        .extract_facts(&extraction_input("Staff sign in with SSO via Okta."))
        .await
        .unwrap();

    assert_eq!(extraction.facts.len(), 1);
    assert_eq!(extraction.facts[0].key, "authentication_method");
    let bodies = request_bodies(&server).await;
    assert_eq!(bodies[0]["tool_choice"]["name"], "extracted_facts");
    assert!(bodies[0]["system"].as_str().unwrap().contains("tech_stack"));
}

#[tokio::test]
async fn conflicts_merge_the_rules_finding_with_the_models_and_drop_clarifications() {
    let server = MockServer::start().await;
    let answer = json!({"conflicts": [
        {"new_index": 1, "existing_key": "authorization_model", "is_conflict": true,
         "conflict_type": "requirement", "severity": "high",
         "explanation": "Anonymous access contradicts role-based authorisation."},
        {"new_index": 1, "existing_key": "compliance_standard", "is_conflict": true,
         "conflict_type": "clarification", "severity": "low", "explanation": "Refines GDPR."},
        {"new_index": 1, "existing_key": "authorization_model", "is_conflict": true,
         "conflict_type": "requirement", "severity": "high", "explanation": "Said twice."},
    ]});
    answer_in_order(&server, &[answer.to_string()]).await;
    let (reasoner, _) = reasoner(&server);
    let new = [
        draft(Category::TechStack, "primary_database", "MySQL"),
        draft(
            Category::Security,
            "authentication_method",
            "anonymous access",
        ),
    ];
    let existing = [
        fact(Category::TechStack, "primary_database", "PostgreSQL"),
        fact(
            Category::Security,
            "authorization_model",
            "role-based, admins and staff",
        ),
        fact(Category::Security, "compliance_standard", "GDPR"),
    ];

    let findings = reasoner.judge_conflicts(&new, &existing).await.unwrap();

    assert_eq!(findings.len(), 2, "{findings:?}");
    assert_eq!(findings[0].rule_id, "same_key_different_value");
    assert_eq!(findings[0].existing.key, "primary_database");
    assert_eq!(findings[1].rule_id, validate::RULE_LLM_JUDGEMENT);
    assert_eq!(findings[1].existing.key, "authorization_model");
    assert_eq!(findings[1].new.key, "authentication_method");
    assert_eq!(findings[1].conflict_type, ConflictType::Requirement);
    let bodies = request_bodies(&server).await;
    assert_eq!(bodies.len(), 1);
    let system = system_prompt(&bodies[0]);
    assert!(system.contains("- 1 -> authorization_model"), "{system}");
    assert!(system.contains("- 1 -> compliance_standard"), "{system}");
    assert!(!system.contains("-> primary_database"), "{system}");
}

#[tokio::test]
async fn conflicts_without_related_unflagged_pairs_ask_no_model() {
    let server = MockServer::start().await;
    let (reasoner, _) = reasoner(&server);
    let new = [draft(Category::TechStack, "primary_database", "MySQL")];
    let existing = [
        fact(Category::TechStack, "primary_database", "PostgreSQL"),
        fact(Category::Goals, "project_goal", "book appointments"),
    ];

    let findings = reasoner.judge_conflicts(&new, &existing).await.unwrap();

    assert_eq!(findings.len(), 1);
    assert!(request_bodies(&server).await.is_empty());
}

#[tokio::test]
async fn chat_reply_sends_history_and_facts_as_plain_text() {
    let server = MockServer::start().await;
    answer_in_order(
        &server,
        &["Noted: PostgreSQL. What availability do you need?".to_owned()],
    )
    .await;
    let (reasoner, _) = reasoner(&server);
    let history = [
        ChatTurn {
            role: ConversationRole::Assistant,
            text: "Welcome!".to_owned(),
        },
        ChatTurn {
            role: ConversationRole::User,
            text: "We picked PostgreSQL.".to_owned(),
        },
    ];
    let facts = vec![
        fact(Category::Goals, "project_goal", "book appointments"),
        fact(Category::TechStack, "primary_database", "MySQL"),
    ];
    let new = FactDraft {
        category: Category::TechStack,
        key: "primary_database".to_owned(),
        value: "PostgreSQL".to_owned(),
        confidence: 0.9,
        reasoning: None,
    };
    let conflicts = reasoner
        .judge_conflicts(std::slice::from_ref(&new), &facts)
        .await
        .unwrap();
    assert_eq!(conflicts.len(), 1, "the rules find it; no model call");
    let chat = ChatContext {
        history: history.to_vec(),
        facts,
        understood: vec![new],
        conflicts,
        suggestion: Some(QuestionDraft {
            text: "How many people will use it at once?".to_owned(),
            category: Category::Scalability,
            context: String::new(),
            template_id: None,
            persona: None,
        }),
        documents: Vec::new(),
    };

    let reply = reasoner.chat_reply(&chat).await.unwrap();

    assert!(reply.starts_with("Noted: PostgreSQL."));
    let bodies = request_bodies(&server).await;
    assert!(bodies[0].get("response_format").is_none());
    let system = system_prompt(&bodies[0]);
    assert!(
        system.contains("- goals.project_goal = book appointments"),
        "{system}"
    );
    assert!(
        system.contains(
            "as recorded (category.key = value):\n- tech_stack.primary_database = PostgreSQL"
        ),
        "{system}"
    );
    assert!(
        system.contains("- tech_stack.primary_database: the specification holds \"MySQL\", the message says \"PostgreSQL\""),
        "{system}"
    );
    assert!(
        system.contains("[scalability] How many people will use it at once?"),
        "{system}"
    );
    let messages = bodies[0]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "the leading assistant turn is dropped");
    assert_eq!(messages[1]["content"], "We picked PostgreSQL.");
}

#[tokio::test]
async fn an_empty_chat_reply_is_an_invalid_response() {
    let server = MockServer::start().await;
    answer_in_order(&server, &["   ".to_owned()]).await;
    let (reasoner, _) = reasoner(&server);
    let history = [ChatTurn {
        role: ConversationRole::User,
        text: "Hello".to_owned(),
    }];

    let error = reasoner
        .chat_reply(&ChatContext::new(history.to_vec(), Vec::new()))
        .await
        .unwrap_err();

    assert_eq!(error.code(), Code::LlmInvalidResponse);
    assert!(matches!(
        reasoner.chat_reply(&ChatContext::default()).await,
        Err(ReasonerError::EmptyInput { .. })
    ));
}

fn sse(events: &[(&str, serde_json::Value)]) -> String {
    events
        .iter()
        .map(|(event, data)| format!("event: {event}\ndata: {data}\n\n"))
        .collect()
}

#[tokio::test]
async fn chat_replies_stream_from_claude_and_record_usage_at_the_end() {
    let server = MockServer::start().await;
    let body = sse(&[
        (
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
                "role": "assistant", "content": [], "model": "claude-sonnet-4-5",
                "stop_reason": null, "usage": {"input_tokens": 310, "output_tokens": 1}}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "Noted: PostgreSQL."}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": " Who will use it?"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                "usage": {"output_tokens": 12}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ]);
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/event-stream"))
        .expect(1)
        .mount(&server)
        .await;
    let config = ProviderConfig::new(LlmProviderKind::Claude, "claude-sonnet-4-5")
        .with_base_url(server.uri())
        .with_api_key("sk-ant-test-0123456789")
        .with_retry(RetryPolicy::no_retries());
    let recorder = Arc::new(Recorder::default());
    let reasoner = LlmReasoner::new(
        build_client(LlmProviderKind::Claude, config).unwrap(),
        OfflineReasoner::builtin().unwrap(),
    )
    .with_usage_sink(recorder.clone());
    let history = [ChatTurn {
        role: ConversationRole::User,
        text: "We use Postgres.".to_owned(),
    }];

    let stream = reasoner
        .chat_reply_stream(&ChatContext::new(history.to_vec(), Vec::new()))
        .await
        .unwrap();
    let deltas: Vec<String> = stream.map(Result::unwrap).collect().await;

    assert_eq!(deltas, ["Noted: PostgreSQL.", " Who will use it?"]);
    let bodies = request_bodies(&server).await;
    assert_eq!(bodies[0]["stream"], true);
    assert_eq!(bodies[0]["messages"][0]["content"], "We use Postgres.");
    let recorded = recorder.0.lock().unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].0, Operation::Chat);
    assert_eq!(
        (recorded[0].1.input_tokens, recorded[0].1.output_tokens),
        (310, 12)
    );
}

#[tokio::test]
async fn a_stream_that_breaks_off_ends_with_a_provider_error() {
    let server = MockServer::start().await;
    let body = sse(&[
        (
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
                "role": "assistant", "content": [], "model": "claude-sonnet-4-5",
                "stop_reason": null, "usage": {"input_tokens": 10, "output_tokens": 1}}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "Half a rep"}}),
        ),
    ]);
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/event-stream"))
        .mount(&server)
        .await;
    let config = ProviderConfig::new(LlmProviderKind::Claude, "claude-sonnet-4-5")
        .with_base_url(server.uri())
        .with_api_key("sk-ant-test-0123456789")
        .with_retry(RetryPolicy::no_retries());
    let recorder = Arc::new(Recorder::default());
    let reasoner = LlmReasoner::new(
        build_client(LlmProviderKind::Claude, config).unwrap(),
        OfflineReasoner::builtin().unwrap(),
    )
    .with_usage_sink(recorder.clone());
    let history = [ChatTurn {
        role: ConversationRole::User,
        text: "Hello".to_owned(),
    }];
    let items: Vec<Result<String, ReasonerError>> = reasoner
        .chat_reply_stream(&ChatContext::new(history.to_vec(), Vec::new()))
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items[0].as_deref(), Ok("Half a rep"));
    let last = items.last().unwrap().as_ref().unwrap_err();
    assert!(last.code().as_str().starts_with("LLM_"), "{last:?}");
    let failures = recorder.1.lock().unwrap();
    assert_eq!(
        failures.len(),
        1,
        "the broken stream is recorded as a failed call"
    );
    assert_eq!(failures[0].1.error_code, last.code().as_str());
    drop(failures);
}

#[tokio::test]
async fn a_large_project_shows_the_most_relevant_facts_and_asks_only_about_those() {
    let server = MockServer::start().await;
    answer_in_order(&server, &[json!({"conflicts": []}).to_string()]).await;
    let (reasoner, _) = reasoner(&server);
    let new = [draft(
        Category::Requirements,
        "requirement_export_invoices_to_xero",
        "Invoices are exported to Xero when a session ends",
    )];
    // 24 requirements: the two about invoices come last, so a first-20 cut would drop them.
    let mut existing: Vec<ExistingFact> = (0..22)
        .map(|n| {
            fact(
                Category::Requirements,
                &format!("requirement_feature_{n}"),
                &format!("Feature number {n}"),
            )
        })
        .collect();
    existing.push(fact(
        Category::Requirements,
        "requirement_invoices_paid_by_card",
        "Invoices are paid by card",
    ));
    existing.push(fact(
        Category::Requirements,
        "requirement_export_bookings_csv",
        "Bookings export as CSV",
    ));

    reasoner.judge_conflicts(&new, &existing).await.unwrap();

    let bodies = request_bodies(&server).await;
    let system = system_prompt(&bodies[0]);
    let shown: Vec<&str> = system
        .lines()
        .filter_map(|line| line.strip_prefix("- requirements."))
        .filter_map(|line| line.split(" = ").next())
        .collect();
    assert!(shown.len() <= prompts::MAX_PROMPT_FACTS, "{system}");
    assert!(
        shown.contains(&"requirement_invoices_paid_by_card"),
        "{system}"
    );
    assert!(
        shown.contains(&"requirement_export_bookings_csv"),
        "{system}"
    );
    let asked: Vec<&str> = system
        .lines()
        .filter_map(|line| line.strip_prefix("- 0 -> "))
        .collect();
    assert_eq!(asked.len(), shown.len(), "{system}");
    for key in &asked {
        assert!(
            shown.contains(key),
            "asked about {key}, which is not shown\n{system}"
        );
    }
}
