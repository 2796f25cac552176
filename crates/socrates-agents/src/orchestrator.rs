//! The orchestrator: routes `(agent, action)` to the registered agent, refuses unknown agents
//! and actions with typed errors, puts every action through the [`QualityGate`], and keeps
//! timing statistics per agent and action.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::agent::{Agent, AgentContext, AgentError};
use crate::quality::{ActionRef, QualityGate};

/// Timing of one action since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActionStats {
    /// Completed calls, failed ones included.
    pub calls: u64,
    /// Calls that ended in an error.
    pub errors: u64,
    /// Total time spent.
    pub total: Duration,
    /// The slowest call.
    pub max: Duration,
}

/// Routes requests to agents; see the module documentation.
pub struct Orchestrator {
    agents: HashMap<&'static str, Arc<dyn Agent>>,
    gate: Arc<dyn QualityGate>,
    stats: Mutex<HashMap<(&'static str, &'static str), ActionStats>>,
}

impl std::fmt::Debug for Orchestrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut agents: Vec<&str> = self.agents.keys().copied().collect();
        agents.sort_unstable();
        f.debug_struct("Orchestrator")
            .field("agents", &agents)
            .finish_non_exhaustive()
    }
}

impl Orchestrator {
    /// An orchestrator with no agents, guarded by `gate`.
    #[must_use]
    pub fn new(gate: Arc<dyn QualityGate>) -> Self {
        Self {
            agents: HashMap::new(),
            gate,
            stats: Mutex::new(HashMap::new()),
        }
    }

    /// Registers an agent under its id, replacing one registered before under the same id.
    #[must_use]
    pub fn with_agent(mut self, agent: Arc<dyn Agent>) -> Self {
        self.agents.insert(agent.id(), agent);
        self
    }

    /// The ids of the registered agents, sorted.
    #[must_use]
    pub fn agent_ids(&self) -> Vec<&'static str> {
        let mut ids: Vec<&'static str> = self.agents.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Routes one request: agent lookup, capability check, gate before, the action, gate
    /// after; the time it took is recorded whatever the outcome.
    ///
    /// # Errors
    /// [`AgentError::UnknownAgent`], [`AgentError::UnsupportedAction`], a gate refusal, or the
    /// action's own error.
    pub async fn dispatch(
        &self,
        agent_id: &str,
        action: &str,
        context: &AgentContext,
        request: Value,
    ) -> Result<Value, AgentError> {
        let agent = self
            .agents
            .get(agent_id)
            .ok_or_else(|| AgentError::UnknownAgent(agent_id.to_owned()))?;
        let Some(&action) = agent.capabilities().iter().find(|known| **known == action) else {
            return Err(AgentError::UnsupportedAction {
                agent: agent_id.to_owned(),
                action: action.to_owned(),
            });
        };
        let started = Instant::now();
        let reference = ActionRef {
            agent: agent.id(),
            action,
        };
        let result = self.run(agent.as_ref(), reference, context, request).await;
        let elapsed = started.elapsed();
        self.record(agent.id(), action, elapsed, result.is_err());
        tracing::debug!(
            agent = agent.id(),
            action,
            duration_ms = elapsed.as_secs_f64() * 1_000.0,
            ok = result.is_ok(),
            "agent action"
        );
        result
    }

    async fn run(
        &self,
        agent: &dyn Agent,
        reference: ActionRef<'_>,
        context: &AgentContext,
        request: Value,
    ) -> Result<Value, AgentError> {
        self.gate.before(context, reference, &request).await?;
        let result = agent.handle(context, reference.action, request).await?;
        self.gate.after(context, reference, &result).await?;
        Ok(result)
    }

    /// [`dispatch`](Self::dispatch) with a typed request and result.
    ///
    /// # Errors
    /// Those of `dispatch`; [`AgentError::Internal`] when the result does not fit `O`.
    pub async fn call<I: Serialize + Sync, O: DeserializeOwned>(
        &self,
        agent_id: &str,
        action: &str,
        context: &AgentContext,
        request: &I,
    ) -> Result<O, AgentError> {
        let request = serde_json::to_value(request)
            .map_err(|error| AgentError::Internal(error.to_string()))?;
        let result = self.dispatch(agent_id, action, context, request).await?;
        serde_json::from_value(result).map_err(|error| AgentError::Internal(error.to_string()))
    }

    fn record(&self, agent: &'static str, action: &'static str, elapsed: Duration, failed: bool) {
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = stats.entry((agent, action)).or_default();
        entry.calls += 1;
        entry.errors += u64::from(failed);
        entry.total += elapsed;
        entry.max = entry.max.max(elapsed);
    }

    /// The timing of one action so far.
    #[must_use]
    pub fn stats(&self, agent: &str, action: &str) -> ActionStats {
        let stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        stats
            .iter()
            .find(|((a, b), _)| *a == agent && *b == action)
            .map(|(_, stats)| *stats)
            .unwrap_or_default()
    }
}
