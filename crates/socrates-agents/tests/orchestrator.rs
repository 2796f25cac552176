//! The orchestrator with the example agent of `docs/developer-guide/adding-agents.md`: typed
//! actions, capabilities derived from the registration, the account check before writes, the
//! quality gate around every action, a tracing span and a timing per action, and the guide
//! showing exactly the code compiled here.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::any::Any;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::json;
use socrates_agents::Caller;
use socrates_agents::orchestrator::{AccountCheck, EveryAccountMayWrite, Orchestrator};
use socrates_agents::quality::{PassThroughGate, QualityGate};
use socrates_domain::{Code, ErrorCode, UserId};
use socrates_infra::metrics::Metrics;

// example: begin
use socrates_agents::agent::{Action, ActionSet, Agent, AgentContext, AgentError};

/// Counts the words of texts and remembers the last one it was given.
#[derive(Debug, Default)]
pub struct WordCounter {
    last_text: Mutex<Option<String>>,
}

impl Agent for WordCounter {
    const ID: &'static str = "word_counter";

    fn actions(actions: &mut ActionSet<Self>) {
        actions.add::<CountWords>().add::<RememberText>();
    }
}

/// `count`: how many words a text has.
#[derive(Debug)]
pub struct CountWords {
    /// Any text, up to 10 000 characters.
    pub text: String,
}

/// The result of `count`.
#[derive(Debug, PartialEq)]
pub struct WordCount {
    /// Words separated by white space.
    pub words: usize,
}

impl Action for CountWords {
    type Agent = WordCounter;
    type Output = WordCount;
    const NAME: &'static str = "count";
    const WRITES: bool = false;

    async fn execute(
        self,
        _agent: &WordCounter,
        _context: &AgentContext,
    ) -> Result<WordCount, AgentError> {
        if self.text.chars().count() > 10_000 {
            return Err(AgentError::invalid(
                "the text is longer than 10 000 characters",
            ));
        }
        Ok(WordCount {
            words: self.text.split_whitespace().count(),
        })
    }
}

/// `remember`: keeps the text (a write: only an account that may write gets here).
#[derive(Debug)]
pub struct RememberText {
    /// The text to keep.
    pub text: String,
}

impl Action for RememberText {
    type Agent = WordCounter;
    type Output = ();
    const NAME: &'static str = "remember";
    const WRITES: bool = true;

    async fn execute(self, agent: &WordCounter, _context: &AgentContext) -> Result<(), AgentError> {
        *agent.last_text.lock().unwrap() = Some(self.text);
        Ok(())
    }
}
// example: end

/// An action of an agent nobody registers.
struct Unregistered;

impl Agent for Unregistered {
    const ID: &'static str = "unregistered";

    fn actions(actions: &mut ActionSet<Self>) {
        actions.add::<Ping>();
    }
}

struct Ping;

impl Action for Ping {
    type Agent = Unregistered;
    type Output = ();
    const NAME: &'static str = "ping";
    const WRITES: bool = false;

    async fn execute(
        self,
        _agent: &Unregistered,
        _context: &AgentContext,
    ) -> Result<(), AgentError> {
        Ok(())
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
        context: &AgentContext,
        request: &(dyn Any + Send + Sync),
    ) -> Result<(), AgentError> {
        let action = context.action;
        self.seen
            .lock()
            .unwrap()
            .push(format!("before {}.{}", action.agent, action.action));
        if let Some(count) = request.downcast_ref::<CountWords>()
            && count.text.contains("forbidden")
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
        context: &AgentContext,
        result: &(dyn Any + Send + Sync),
    ) -> Result<(), AgentError> {
        let words = result
            .downcast_ref::<WordCount>()
            .map_or_else(|| "-".to_owned(), |count| count.words.to_string());
        self.seen.lock().unwrap().push(format!(
            "after {}.{} = {words}",
            context.action.agent, context.action.action
        ));
        Ok(())
    }
}

/// Refuses every write, as for a suspended account.
struct SuspendedEveryone;

#[async_trait]
impl AccountCheck for SuspendedEveryone {
    async fn ensure_may_write(&self, _user: UserId, _fresh: bool) -> Result<(), AgentError> {
        Err(AgentError::Refused {
            code: Code::AccountInactive,
            message: "this account is not active".to_owned(),
            details: None,
        })
    }
}

fn caller() -> Caller {
    Caller::user(UserId::new())
}

fn orchestrator(
    gate: Arc<dyn QualityGate>,
    accounts: Arc<dyn AccountCheck>,
) -> (Orchestrator, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::new());
    let orchestrator = Orchestrator::builder(gate, accounts, Arc::clone(&metrics))
        .agent(WordCounter::default())
        .build();
    (orchestrator, metrics)
}

/// The count of one timer of `socrates_agent_action_duration_seconds`.
fn timed(metrics: &Metrics, action: &str, outcome: &str) -> u64 {
    let needle = format!(
        "socrates_agent_action_duration_seconds_count{{action=\"{action}\",agent=\"word_counter\",outcome=\"{outcome}\"}} "
    );
    let text = metrics.encode().unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(&needle))
        .map_or(0, |count| count.parse().unwrap())
}

#[tokio::test]
async fn an_example_agent_runs_with_typed_request_and_result_and_is_timed() {
    let (orchestrator, metrics) =
        orchestrator(Arc::new(PassThroughGate), Arc::new(EveryAccountMayWrite));
    let count = orchestrator
        .run(
            caller(),
            CountWords {
                text: "one two three".to_owned(),
            },
        )
        .await
        .unwrap();
    assert_eq!(count, WordCount { words: 3 });
    assert_eq!(orchestrator.agent_ids(), ["word_counter"]);
    assert_eq!(
        orchestrator.capabilities("word_counter"),
        ["count", "remember"]
    );
    assert!(orchestrator.capabilities("nobody").is_empty());
    assert_eq!(timed(&metrics, "count", "ok"), 1);

    let too_long = orchestrator
        .run(
            caller(),
            CountWords {
                text: "x".repeat(10_001),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(too_long.code(), Code::ValidationError);
    assert_eq!(timed(&metrics, "count", "rejected"), 1);
    assert_eq!(timed(&metrics, "count", "ok"), 1);
}

#[tokio::test]
async fn an_action_of_an_unregistered_agent_is_a_typed_error() {
    let (orchestrator, _) = orchestrator(Arc::new(PassThroughGate), Arc::new(EveryAccountMayWrite));
    let error = orchestrator.run(caller(), Ping).await.unwrap_err();
    assert_eq!(error.code(), Code::UnsupportedAction);
    assert_eq!(
        error.to_string(),
        "the action `unregistered.ping` is not registered with the orchestrator"
    );
}

#[tokio::test]
async fn the_quality_gate_sees_every_action_typed_and_can_block_it() {
    let gate = Arc::new(RecordingGate::default());
    let (orchestrator, metrics) = orchestrator(gate.clone(), Arc::new(EveryAccountMayWrite));
    orchestrator
        .run(
            caller(),
            CountWords {
                text: "a b".to_owned(),
            },
        )
        .await
        .unwrap();
    let blocked = orchestrator
        .run(
            caller(),
            CountWords {
                text: "a forbidden b".to_owned(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        blocked.details(),
        Some(&json!({"reason": "forbidden word"}))
    );
    orchestrator
        .run(
            caller(),
            RememberText {
                text: "kept".to_owned(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        *gate.seen.lock().unwrap(),
        [
            "before word_counter.count",
            "after word_counter.count = 2",
            "before word_counter.count",
            "before word_counter.remember",
            "after word_counter.remember = -",
        ]
    );
    assert_eq!(timed(&metrics, "count", "rejected"), 1);
}

#[tokio::test]
async fn writes_need_an_account_that_may_write_and_reads_do_not() {
    let (orchestrator, metrics) =
        orchestrator(Arc::new(PassThroughGate), Arc::new(SuspendedEveryone));
    let refused = orchestrator
        .run(
            caller(),
            RememberText {
                text: "not kept".to_owned(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::AccountInactive);
    assert_eq!(timed(&metrics, "remember", "rejected"), 1);
    let count = orchestrator
        .run(
            caller(),
            CountWords {
                text: "still readable".to_owned(),
            },
        )
        .await
        .unwrap();
    assert_eq!(count.words, 2);
}

#[test]
fn the_guide_shows_the_example_compiled_here() {
    let source = include_str!("orchestrator.rs");
    let begin = source.find("// example: begin\n").unwrap() + "// example: begin\n".len();
    let end = source.find("// example: end\n").unwrap();
    let example = &source[begin..end];
    let guide = include_str!("../../../docs/developer-guide/adding-agents.md");
    assert!(
        guide.contains(&format!("```rust\n{example}```\n")),
        "docs/developer-guide/adding-agents.md must show the example of this file verbatim \
         (between the `example: begin` and `example: end` markers) in a ```rust block"
    );
}
