//! The orchestrator: runs every agent action, and wraps each in the same steps, in this order:
//! a tracing span named after the agent and the action; the account check for actions that
//! write; the [`QualityGate`] before; the action; the gate after; and the time it took into
//! `socrates_agent_action_duration_seconds{agent, action, outcome}`.
//!
//! Agents are registered once, when the service container is built
//! ([`OrchestratorBuilder::agent`]); each brings the list of its actions, from which the
//! capabilities are derived. [`Orchestrator::run`] finds the action's registration by its type
//! — one hash lookup, no lock, no serialisation.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use prometheus::Histogram;
use socrates_domain::UserId;
use tracing::Instrument;

use crate::agent::{Action, ActionRef, ActionSet, Agent, AgentContext, AgentError, Caller};
use crate::quality::QualityGate;
use socrates_infra::metrics::Metrics;

/// Decides whether an account may change stored state. An access token outlives a deleted or
/// suspended account (it is a stateless JWT); the orchestrator asks this before every action
/// that writes, so no route can forget to.
#[async_trait]
pub trait AccountCheck: Send + Sync {
    /// `Ok` when `user` may write. `fresh` asks for the account's state now rather than a
    /// recent answer (see [`Action::FRESH_ACCOUNT_CHECK`]).
    ///
    /// # Errors
    /// [`AgentError::Refused`] with `TOKEN_INVALID` for an account deleted since the token was
    /// issued, `ACCOUNT_INACTIVE` for a suspended or deactivated one; a database error.
    async fn ensure_may_write(&self, user: UserId, fresh: bool) -> Result<(), AgentError>;
}

/// Lets every account write: for tests and tools that have no accounts.
#[derive(Debug, Clone, Copy, Default)]
pub struct EveryAccountMayWrite;

#[async_trait]
impl AccountCheck for EveryAccountMayWrite {
    async fn ensure_may_write(&self, _user: UserId, _fresh: bool) -> Result<(), AgentError> {
        Ok(())
    }
}

/// One registered action: its agent, and its timers resolved once.
struct Registration {
    agent: Arc<dyn Any + Send + Sync>,
    reference: ActionRef,
    writes: bool,
    fresh_account_check: bool,
    ok: Histogram,
    rejected: Histogram,
    error: Histogram,
}

/// Runs agent actions; see the module documentation.
pub struct Orchestrator {
    actions: HashMap<TypeId, Registration>,
    capabilities: BTreeMap<&'static str, Vec<&'static str>>,
    gate: Arc<dyn QualityGate>,
    accounts: Arc<dyn AccountCheck>,
}

impl std::fmt::Debug for Orchestrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Orchestrator")
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Orchestrator`]: the gate, the account check, the metrics, then every agent.
pub struct OrchestratorBuilder {
    orchestrator: Orchestrator,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for OrchestratorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrchestratorBuilder")
            .field("orchestrator", &self.orchestrator)
            .finish_non_exhaustive()
    }
}

impl OrchestratorBuilder {
    /// Registers `agent` with every action its [`Agent::actions`] lists. An agent registered
    /// twice replaces the first registration.
    #[must_use]
    pub fn agent<G: Agent>(mut self, agent: G) -> Self {
        let agent: Arc<dyn Any + Send + Sync> = Arc::new(agent);
        let mut set = ActionSet::<G>::new();
        G::actions(&mut set);
        let names = self.orchestrator.capabilities.entry(G::ID).or_default();
        names.clear();
        for entry in set.entries {
            let timer = |outcome| {
                self.metrics.agent_action_timer(
                    entry.reference.agent,
                    entry.reference.action,
                    outcome,
                )
            };
            names.push(entry.reference.action);
            self.orchestrator.actions.insert(
                entry.type_id,
                Registration {
                    agent: Arc::clone(&agent),
                    reference: entry.reference,
                    writes: entry.writes,
                    fresh_account_check: entry.fresh_account_check,
                    ok: timer("ok"),
                    rejected: timer("rejected"),
                    error: timer("error"),
                },
            );
        }
        names.sort_unstable();
        names.dedup();
        self
    }

    /// The orchestrator.
    #[must_use]
    pub fn build(self) -> Orchestrator {
        self.orchestrator
    }
}

impl Orchestrator {
    /// Starts an orchestrator guarded by `gate`, asking `accounts` before every write and
    /// timing actions into `metrics`.
    #[must_use]
    pub fn builder(
        gate: Arc<dyn QualityGate>,
        accounts: Arc<dyn AccountCheck>,
        metrics: Arc<Metrics>,
    ) -> OrchestratorBuilder {
        OrchestratorBuilder {
            orchestrator: Self {
                actions: HashMap::new(),
                capabilities: BTreeMap::new(),
                gate,
                accounts,
            },
            metrics,
        }
    }

    /// The ids of the registered agents, sorted.
    #[must_use]
    pub fn agent_ids(&self) -> Vec<&'static str> {
        self.capabilities.keys().copied().collect()
    }

    /// The actions agent `agent` offers, sorted; empty for an unknown agent.
    #[must_use]
    pub fn capabilities(&self, agent: &str) -> &[&'static str] {
        self.capabilities.get(agent).map_or(&[], Vec::as_slice)
    }

    /// Runs `action` for `caller` inside the steps of the module documentation.
    ///
    /// # Errors
    /// [`AgentError::UnsupportedAction`] when the action's agent was not registered with it,
    /// an account refusal, a gate refusal, or the action's own error.
    pub async fn run<A: Action>(&self, caller: Caller, action: A) -> Result<A::Output, AgentError> {
        let Some(registration) = self.actions.get(&TypeId::of::<A>()) else {
            return Err(AgentError::UnsupportedAction {
                agent: <A::Agent as Agent>::ID,
                action: A::NAME,
            });
        };
        let Some(agent) = registration.agent.downcast_ref::<A::Agent>() else {
            return Err(AgentError::Internal(format!(
                "the agent registered for {}.{} has another type",
                registration.reference.agent, registration.reference.action
            )));
        };
        let context = AgentContext::new(caller, registration.reference);
        let span = tracing::info_span!(
            "agent.action",
            agent = registration.reference.agent,
            action = registration.reference.action,
        );
        let started = Instant::now();
        let result = self
            .steps(registration, agent, &context, action)
            .instrument(span)
            .await;
        let seconds = started.elapsed().as_secs_f64();
        match &result {
            Ok(_) => registration.ok.observe(seconds),
            Err(error) if error.outcome() == "rejected" => registration.rejected.observe(seconds),
            Err(_) => registration.error.observe(seconds),
        }
        result
    }

    async fn steps<A: Action>(
        &self,
        registration: &Registration,
        agent: &A::Agent,
        context: &AgentContext,
        action: A,
    ) -> Result<A::Output, AgentError> {
        if registration.writes {
            self.accounts
                .ensure_may_write(context.user_id, registration.fresh_account_check)
                .await?;
        }
        self.gate.before(context, &action).await?;
        let output = action.execute(agent, context).await?;
        self.gate.after(context, &output).await?;
        Ok(output)
    }
}
