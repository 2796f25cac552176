//! The quality gate the orchestrator runs around every action. Today it lets everything
//! through; the quality-control issue fills it with real checks (question bias scoring, the
//! coverage-gap block on phase advances and code generation). It cannot be switched off: the
//! orchestrator always calls it.

use async_trait::async_trait;
use serde_json::Value;

use crate::agent::{AgentContext, AgentError};

/// The identity of one action as the gate sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionRef<'a> {
    /// The agent.
    pub agent: &'a str,
    /// The action.
    pub action: &'a str,
}

/// Checks run before and after every action.
#[async_trait]
pub trait QualityGate: Send + Sync {
    /// Runs before the action; an error blocks it.
    ///
    /// # Errors
    /// An [`AgentError::Refused`] naming why the action is blocked.
    async fn before(
        &self,
        context: &AgentContext,
        action: ActionRef<'_>,
        request: &Value,
    ) -> Result<(), AgentError>;

    /// Runs after a successful action; an error replaces its result.
    ///
    /// # Errors
    /// An [`AgentError::Refused`] naming what is wrong with the result.
    async fn after(
        &self,
        context: &AgentContext,
        action: ActionRef<'_>,
        result: &Value,
    ) -> Result<(), AgentError>;
}

/// The gate until quality control exists: every action passes.
#[derive(Debug, Clone, Copy, Default)]
pub struct PassThroughGate;

#[async_trait]
impl QualityGate for PassThroughGate {
    async fn before(
        &self,
        _context: &AgentContext,
        _action: ActionRef<'_>,
        _request: &Value,
    ) -> Result<(), AgentError> {
        Ok(())
    }

    async fn after(
        &self,
        _context: &AgentContext,
        _action: ActionRef<'_>,
        _result: &Value,
    ) -> Result<(), AgentError> {
        Ok(())
    }
}
