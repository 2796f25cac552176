//! LLM usage recording end to end: the LLM reasoner calls a mock OpenAI-compatible server, the
//! recorder queues the usage, the writer stores it in `llm_usage_tracking` (SQLite or
//! PostgreSQL, per `SOCRATES_TEST_POSTGRES_URL`), attributed to the caller's user and project.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use socrates_agents::usage::{self, UsageContext, UsageRecorder};
use socrates_domain::{ConversationRole, LlmProviderKind, ProjectName, UserId};
use socrates_infra::clock::ManualClock;
use socrates_llm::{ProviderConfig, RetryPolicy, build_client};
use socrates_persistence::repositories::llm_usage;
use socrates_persistence::repositories::projects::{self, NewProject};
use socrates_persistence::testing::TestDatabases;
use socrates_reasoner::{ChatContext, ChatTurn, LlmReasoner, OfflineReasoner, Reasoner};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

async fn openai_answering(reply: &str, delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(delay)
                .set_body_json(json!({
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 1_767_225_600,
                    "model": "gpt-4o-mini",
                    "choices": [{"index": 0, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": reply}}],
                    "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500},
                })),
        )
        .mount(&server)
        .await;
    server
}

fn history() -> Vec<ChatTurn> {
    vec![ChatTurn {
        role: ConversationRole::User,
        text: "We use Postgres.".to_owned(),
    }]
}

#[tokio::test]
async fn usage_is_stored_for_the_attributed_user_and_unattributed_calls_are_counted() {
    let databases = TestDatabases::new().await;
    let clock = Arc::new(ManualClock::new(start()));
    let (recorder, writer) = UsageRecorder::start(databases.specs.clone(), clock);
    let server = openai_answering("Noted. Who will use it?", Duration::ZERO).await;
    let config = ProviderConfig::new(LlmProviderKind::Openai, "gpt-4o-mini")
        .with_base_url(server.uri())
        .with_api_key("sk-test-0123456789")
        .with_retry(RetryPolicy::no_retries());
    let reasoner = LlmReasoner::new(
        build_client(LlmProviderKind::Openai, config).unwrap(),
        OfflineReasoner::builtin().unwrap(),
    )
    .with_usage_sink(recorder.clone());
    let user = UserId::new();
    let project = projects::create(
        &databases.specs,
        NewProject {
            owner_id: user,
            name: ProjectName::parse("Clinic booking").unwrap(),
            description: None,
        },
        start(),
    )
    .await
    .unwrap();
    let context = UsageContext {
        user_id: user,
        project_id: Some(project.id),
        session_id: None,
    };

    let reply = usage::attributed(
        context,
        reasoner.chat_reply(&ChatContext::new(history(), Vec::new())),
    )
    .await
    .unwrap();
    assert_eq!(reply, "Noted. Who will use it?");
    reasoner
        .chat_reply(&ChatContext::new(history(), Vec::new()))
        .await
        .unwrap();
    recorder.flush().await;

    let totals = llm_usage::totals_for_user(&databases.specs, user, start())
        .await
        .unwrap();
    assert_eq!(
        (totals.calls, totals.tokens_input, totals.tokens_output),
        (1, 1_200, 300)
    );
    // The reference OpenAI prices (digest A10): 1.2 × 0.01 + 0.3 × 0.03 = 0.021 USD.
    assert!((totals.cost_usd - 0.021).abs() < 1e-9, "{totals:?}");
    let stats = recorder.stats();
    assert_eq!((stats.unattributed, stats.dropped, stats.failed), (1, 0, 0));

    drop(reasoner);
    drop(recorder);
    tokio::time::timeout(Duration::from_secs(5), writer)
        .await
        .expect("the writer ends once every recorder is dropped")
        .unwrap();
}

#[tokio::test]
async fn a_slow_model_call_leaves_the_database_free() {
    let databases = TestDatabases::new().await;
    let clock = Arc::new(ManualClock::new(start()));
    let (recorder, _writer) = UsageRecorder::start(databases.specs.clone(), clock);
    let server = openai_answering("Slow but fine.", Duration::from_millis(800)).await;
    let config = ProviderConfig::new(LlmProviderKind::Openai, "gpt-4o-mini")
        .with_base_url(server.uri())
        .with_api_key("sk-test-0123456789")
        .with_retry(RetryPolicy::no_retries());
    let reasoner = LlmReasoner::new(
        build_client(LlmProviderKind::Openai, config).unwrap(),
        OfflineReasoner::builtin().unwrap(),
    )
    .with_usage_sink(recorder.clone());
    let user = UserId::new();
    let context = UsageContext {
        user_id: user,
        project_id: None,
        session_id: None,
    };
    let history = history();
    let chat = ChatContext::new(history.clone(), Vec::new());
    let call = usage::attributed(context, reasoner.chat_reply(&chat));
    let database_work = async {
        // While the model thinks, a write transaction on the specs database commits at once.
        let started = std::time::Instant::now();
        let tx = databases.specs.begin().await.unwrap();
        llm_usage::totals_for_user(&tx, user, start())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        started.elapsed()
    };
    let (reply, waited) = tokio::join!(call, database_work);
    reply.unwrap();
    assert!(
        waited < Duration::from_millis(500),
        "the database waited {waited:?}"
    );
    recorder.flush().await;
    let totals = llm_usage::totals_for_user(&databases.specs, user, start())
        .await
        .unwrap();
    assert_eq!(totals.calls, 1);
}
