//! Every action runs in a span named after its agent and action. Its own test binary: tracing
//! caches per call site whether anyone listens, so a span test that installs a thread-local
//! subscriber must not share the process with tests that open the same span unobserved.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::sync::{Arc, Mutex};

use socrates_agents::Caller;
use socrates_agents::agent::{Action, ActionSet, Agent, AgentContext, AgentError};
use socrates_agents::orchestrator::{EveryAccountMayWrite, Orchestrator};
use socrates_agents::quality::PassThroughGate;
use socrates_domain::UserId;
use socrates_infra::metrics::Metrics;

struct Echo;

impl Agent for Echo {
    const ID: &'static str = "echo";

    fn actions(actions: &mut ActionSet<Self>) {
        actions.add::<Say>();
    }
}

struct Say(String);

impl Action for Say {
    type Agent = Echo;
    type Output = String;
    const NAME: &'static str = "say";
    const WRITES: bool = false;

    async fn execute(self, _agent: &Echo, _context: &AgentContext) -> Result<String, AgentError> {
        Ok(self.0)
    }
}

/// Records the name and the `agent` and `action` fields of every span opened.
#[derive(Clone, Default)]
struct SpanRecorder(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SpanRecorder {
    fn on_new_span(
        &self,
        attributes: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0.push_str(&format!(" {}={value}", field.name()));
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!(" {}={value:?}", field.name()));
            }
        }
        let mut fields = Fields(attributes.metadata().name().to_owned());
        attributes.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
}

#[tokio::test]
async fn every_action_runs_in_a_span_named_after_its_agent_and_action() {
    use tracing_subscriber::layer::SubscriberExt;
    let recorder = SpanRecorder::default();
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let orchestrator = Orchestrator::builder(
        Arc::new(PassThroughGate),
        Arc::new(EveryAccountMayWrite),
        Arc::new(Metrics::new()),
    )
    .agent(Echo)
    .build();
    let said = orchestrator
        .run(Caller::user(UserId::new()), Say("hello".to_owned()))
        .await
        .unwrap();
    assert_eq!(said, "hello");
    assert_eq!(
        *recorder.0.lock().unwrap(),
        ["agent.action agent=echo action=say"]
    );
}
