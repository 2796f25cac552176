//! The quality gate the orchestrator runs around every action. Today it lets everything
//! through; the quality-control issue fills it with real checks (question bias scoring, the
//! coverage-gap block on phase advances and code generation). It cannot be switched off: the
//! orchestrator always calls it.
//!
//! The gate sees the typed request and result as [`Any`]: a check downcasts to the types it
//! knows (`QuestionView` for bias scoring, `AdvancePhase` for the coverage gap) and lets every
//! other action pass, with no serialisation in between.

use std::any::Any;

use async_trait::async_trait;

use crate::agent::{AgentContext, AgentError};

/// Checks run before and after every action.
#[async_trait]
pub trait QualityGate: Send + Sync {
    /// Runs before the action; an error blocks it. `context.action` names the action and
    /// `request` is its request value.
    ///
    /// # Errors
    /// An [`AgentError::Refused`] naming why the action is blocked.
    async fn before(
        &self,
        context: &AgentContext,
        request: &(dyn Any + Send + Sync),
    ) -> Result<(), AgentError>;

    /// Runs after a successful action; an error replaces its result.
    ///
    /// # Errors
    /// An [`AgentError::Refused`] naming what is wrong with the result.
    async fn after(
        &self,
        context: &AgentContext,
        result: &(dyn Any + Send + Sync),
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
        _request: &(dyn Any + Send + Sync),
    ) -> Result<(), AgentError> {
        Ok(())
    }

    async fn after(
        &self,
        _context: &AgentContext,
        _result: &(dyn Any + Send + Sync),
    ) -> Result<(), AgentError> {
        Ok(())
    }
}
