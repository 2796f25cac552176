//! Agents and their typed actions.
//!
//! An **agent** is a struct holding what its actions need (database handles, the reasoner,
//! the clock); it implements [`Agent`]: a stable id and the list of its actions. An
//! **action** is a request type implementing [`Action`]: the agent it belongs to, a stable
//! name, its result type and the code that runs it. A caller hands an action value to
//! [`Orchestrator::run`] and gets `Result<A::Output, AgentError>` back, so the compiler checks
//! that a route and its action agree, and a reader can follow a request from the route to the
//! repository without meeting a string lookup or a JSON value.
//!
//! Only the orchestrator can run an action: [`Action::execute`] takes an [`AgentContext`],
//! which nothing outside this crate can build, so the quality gate, the account check, the
//! tracing span and the timing around every action cannot be skipped.
//!
//! [`Orchestrator::run`]: crate::orchestrator::Orchestrator::run

use std::future::Future;

use socrates_domain::UserId;

pub use crate::error::AgentError;

/// Who is asking: what a caller (a route, a job) knows before an action runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The authenticated user.
    pub user_id: UserId,
}

impl Caller {
    /// A call on behalf of `user_id`.
    #[must_use]
    pub fn user(user_id: UserId) -> Self {
        Self { user_id }
    }
}

/// The identity of one action: its agent's id and its own name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActionRef {
    /// The agent (`project_manager`).
    pub agent: &'static str,
    /// The action (`create`).
    pub action: &'static str,
}

/// What an action runs with. Built only by the orchestrator (`non_exhaustive` forbids a struct
/// literal outside this crate), so holding one proves the action is running inside
/// [`Orchestrator::run`].
///
/// [`Orchestrator::run`]: crate::orchestrator::Orchestrator::run
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgentContext {
    /// The authenticated user the action runs for.
    pub user_id: UserId,
    /// The action running.
    pub action: ActionRef,
}

impl AgentContext {
    pub(crate) fn new(caller: Caller, action: ActionRef) -> Self {
        Self {
            user_id: caller.user_id,
            action,
        }
    }
}

/// One agent: a stable id and the actions it offers. Register it with
/// [`OrchestratorBuilder::agent`]; see `docs/developer-guide/adding-agents.md`.
///
/// [`OrchestratorBuilder::agent`]: crate::orchestrator::OrchestratorBuilder::agent
pub trait Agent: Send + Sync + Sized + 'static {
    /// The stable id (`project_manager`): the `agent` label of metrics and spans.
    const ID: &'static str;

    /// Lists the agent's actions, once: `actions.add::<CreateProject>()…`. The orchestrator
    /// derives the agent's capabilities from this list and refuses an action not on it.
    fn actions(actions: &mut ActionSet<Self>);
}

/// One action of agent [`Action::Agent`]: the request value itself implements the trait.
pub trait Action: Send + Sync + Sized + 'static {
    /// The agent that runs it.
    type Agent: Agent;
    /// What it gives back.
    type Output: Send + Sync + 'static;
    /// The stable name, unique within the agent (`create`): the `action` label of metrics
    /// and spans.
    const NAME: &'static str;
    /// Whether it changes stored state. The orchestrator lets a write run only for an account
    /// that may write (active, not deleted since its token was issued).
    const WRITES: bool;
    /// Whether the account check must read the account's state now instead of taking a
    /// recent answer: for actions that create what an account owns (a project), so that an
    /// account deleted on another replica a moment ago creates nothing.
    const FRESH_ACCOUNT_CHECK: bool = false;

    /// Runs the action. Called by the orchestrator only (see [`AgentContext`]).
    ///
    /// # Errors
    /// Whatever the action fails with, as an [`AgentError`].
    fn execute(
        self,
        agent: &Self::Agent,
        context: &AgentContext,
    ) -> impl Future<Output = Result<Self::Output, AgentError>> + Send;
}

/// The action list an [`Agent`] fills in [`Agent::actions`]. `add` only takes actions of
/// agent `G`, so an action cannot be listed under the wrong agent.
#[derive(Debug)]
pub struct ActionSet<G: Agent> {
    pub(crate) entries: Vec<ActionEntry>,
    agent: std::marker::PhantomData<fn() -> G>,
}

/// One listed action, as the orchestrator registers it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ActionEntry {
    pub(crate) type_id: std::any::TypeId,
    pub(crate) reference: ActionRef,
    pub(crate) writes: bool,
    pub(crate) fresh_account_check: bool,
}

impl<G: Agent> ActionSet<G> {
    pub(crate) fn new() -> Self {
        Self {
            entries: Vec::new(),
            agent: std::marker::PhantomData,
        }
    }

    /// Lists action `A`.
    pub fn add<A: Action<Agent = G>>(&mut self) -> &mut Self {
        self.entries.push(ActionEntry {
            type_id: std::any::TypeId::of::<A>(),
            reference: ActionRef {
                agent: G::ID,
                action: A::NAME,
            },
            writes: A::WRITES,
            fresh_account_check: A::FRESH_ACCOUNT_CHECK,
        });
        self
    }
}
