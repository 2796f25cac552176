//! The orchestrator with a small example agent (the one of
//! docs/developer-guide/adding-agents.md): routing, typed calls, unknown agents and actions,
//! the quality gate on every call, and timing per action.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socrates_agents::agent::{Agent, AgentContext, AgentError, input, output};
use socrates_agents::orchestrator::Orchestrator;
use socrates_agents::quality::{ActionRef, PassThroughGate, QualityGate};
use socrates_domain::{Code, ErrorCode, UserId};

#[derive(Deserialize, Serialize)]
struct CountWords {
    text: String,
}

#[derive(Deserialize, Serialize)]
struct WordCount {
    words: usize,
}

struct WordCounter;

#[async_trait]
impl Agent for WordCounter {
    fn id(&self) -> &'static str {
        "word_counter"
    }

    fn capabilities(&self) -> &'static [&'static str] {
        &["count"]
    }

    async fn handle(
        &self,
        _context: &AgentContext,
        action: &str,
        request: Value,
    ) -> Result<Value, AgentError> {
        match action {
            "count" => {
                let request: CountWords = input(request)?;
                output(&WordCount {
                    words: request.text.split_whitespace().count(),
                })
            }
            other => Err(AgentError::UnsupportedAction {
                agent: "word_counter".to_owned(),
                action: other.to_owned(),
            }),
        }
    }
}

/// A gate that records what it saw and blocks texts containing "forbidden".
#[derive(Default)]
struct RecordingGate {
    seen: Mutex<Vec<String>>,
}

#[async_trait]
impl QualityGate for RecordingGate {
    async fn before(
        &self,
        _context: &AgentContext,
        action: ActionRef<'_>,
        request: &Value,
    ) -> Result<(), AgentError> {
        self.seen
            .lock()
            .unwrap()
            .push(format!("before {}.{}", action.agent, action.action));
        if request["text"]
            .as_str()
            .is_some_and(|t| t.contains("forbidden"))
        {
            return Err(AgentError::Refused {
                code: Code::ValidationError,
                message: "blocked by the gate".to_owned(),
                details: Some(json!({"reason": "forbidden word"})),
            });
        }
        Ok(())
    }

    async fn after(
        &self,
        _context: &AgentContext,
        action: ActionRef<'_>,
        result: &Value,
    ) -> Result<(), AgentError> {
        self.seen.lock().unwrap().push(format!(
            "after {}.{} = {}",
            action.agent, action.action, result["words"]
        ));
        Ok(())
    }
}

fn context() -> AgentContext {
    AgentContext {
        user_id: UserId::new(),
    }
}

#[tokio::test]
async fn an_example_agent_is_routed_with_typed_input_and_output() {
    let orchestrator =
        Orchestrator::new(Arc::new(PassThroughGate)).with_agent(Arc::new(WordCounter));
    let count: WordCount = orchestrator
        .call(
            "word_counter",
            "count",
            &context(),
            &CountWords {
                text: "one two three".to_owned(),
            },
        )
        .await
        .unwrap();
    assert_eq!(count.words, 3);
    assert_eq!(orchestrator.agent_ids(), ["word_counter"]);
    let stats = orchestrator.stats("word_counter", "count");
    assert_eq!((stats.calls, stats.errors), (1, 0));
}

#[tokio::test]
async fn unknown_agents_actions_and_bad_input_are_typed_errors() {
    let orchestrator =
        Orchestrator::new(Arc::new(PassThroughGate)).with_agent(Arc::new(WordCounter));
    let unknown = orchestrator
        .dispatch("nobody", "count", &context(), json!({}))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::UnknownAgent);
    let unsupported = orchestrator
        .dispatch("word_counter", "translate", &context(), json!({}))
        .await
        .unwrap_err();
    assert_eq!(unsupported.code(), Code::UnsupportedAction);
    let invalid = orchestrator
        .dispatch("word_counter", "count", &context(), json!({"txt": 1}))
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), Code::ValidationError);
    assert_eq!(orchestrator.stats("word_counter", "count").errors, 1);
    assert_eq!(orchestrator.stats("word_counter", "translate").calls, 0);
}

#[tokio::test]
async fn the_quality_gate_sees_every_call_and_can_block_it() {
    let gate = Arc::new(RecordingGate::default());
    let orchestrator = Orchestrator::new(gate.clone()).with_agent(Arc::new(WordCounter));
    orchestrator
        .dispatch("word_counter", "count", &context(), json!({"text": "a b"}))
        .await
        .unwrap();
    let blocked = orchestrator
        .dispatch(
            "word_counter",
            "count",
            &context(),
            json!({"text": "a forbidden b"}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        blocked.details(),
        Some(&json!({"reason": "forbidden word"}))
    );
    assert_eq!(
        *gate.seen.lock().unwrap(),
        [
            "before word_counter.count",
            "after word_counter.count = 2",
            "before word_counter.count",
        ]
    );
}
