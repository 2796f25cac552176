//! The `Agent` trait: one async entry point per agent, `handle(action, request)`, so the
//! orchestrator can route any `(agent, action)` pair, time it and put it through the quality
//! gate. Requests and results cross the trait as JSON values; each agent deserialises its
//! typed input and serialises its typed output, and [`Orchestrator::call`] does the same on
//! the caller's side, so both ends stay typed.
//!
//! [`Orchestrator::call`]: crate::orchestrator::Orchestrator::call

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde_json::Value;
use socrates_domain::{Code, ErrorCode, UserId};
use socrates_persistence::DbError;

use crate::reasoner::ReasonerError;

/// Who is asking, passed to every action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentContext {
    /// The authenticated user.
    pub user_id: UserId,
}

/// Why an action failed. Every variant carries a stable [`Code`]; `details` reach the client.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// No agent is registered under this id.
    #[error("no agent is registered as `{0}`")]
    UnknownAgent(String),
    /// The agent does not offer this action.
    #[error("agent `{agent}` has no action `{action}`")]
    UnsupportedAction {
        /// The agent.
        agent: String,
        /// The action asked for.
        action: String,
    },
    /// The request is invalid; the message names the field.
    #[error("{message}")]
    Invalid {
        /// The stable code (`VALIDATION_ERROR`, `INVALID_CATEGORY`, …).
        code: Code,
        /// What is wrong.
        message: String,
        /// Machine-readable detail (the field, the accepted values…).
        details: Option<Value>,
    },
    /// The thing asked for does not exist or is not the caller's.
    #[error("{message}")]
    NotFound {
        /// `PROJECT_NOT_FOUND`, `SESSION_NOT_FOUND`, …
        code: Code,
        /// What was not found.
        message: String,
    },
    /// The request contradicts the current state (already resolved, refused advance…).
    #[error("{message}")]
    Refused {
        /// `PHASE_ADVANCE_REFUSED`, `CONFLICT_ALREADY_RESOLVED`, …
        code: Code,
        /// Why.
        message: String,
        /// The reasons, machine-readable.
        details: Option<Value>,
    },
    /// The reasoner failed (provider error, invalid model output).
    #[error(transparent)]
    Reasoner(#[from] ReasonerError),
    /// A database failed.
    #[error(transparent)]
    Database(#[from] DbError),
    /// The output of an action could not be (de)serialised: a bug.
    #[error("an agent result could not be read: {0}")]
    Internal(String),
}

impl AgentError {
    /// An invalid request with the generic `VALIDATION_ERROR` code.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid {
            code: Code::ValidationError,
            message: message.into(),
            details: None,
        }
    }

    /// A missing resource.
    pub fn not_found(code: Code, message: impl Into<String>) -> Self {
        Self::NotFound {
            code,
            message: message.into(),
        }
    }

    /// The details to show the client, if any.
    #[must_use]
    pub fn details(&self) -> Option<&Value> {
        match self {
            Self::Invalid { details, .. } | Self::Refused { details, .. } => details.as_ref(),
            _ => None,
        }
    }
}

impl ErrorCode for AgentError {
    fn code(&self) -> Code {
        match self {
            Self::UnknownAgent(_) => Code::UnknownAgent,
            Self::UnsupportedAction { .. } => Code::UnsupportedAction,
            Self::Invalid { code, .. }
            | Self::NotFound { code, .. }
            | Self::Refused { code, .. } => *code,
            Self::Reasoner(error) => error.code(),
            Self::Database(error) => error.code(),
            Self::Internal(_) => Code::InternalError,
        }
    }
}

impl From<socrates_domain::ValidationError> for AgentError {
    fn from(error: socrates_domain::ValidationError) -> Self {
        Self::Invalid {
            code: error.code(),
            message: error.to_string(),
            details: Some(serde_json::json!({ "field": error.field })),
        }
    }
}

/// Reads an action's typed input from the request value; a mismatch is a validation error
/// naming what serde found wrong.
///
/// # Errors
/// [`AgentError::Invalid`] when the value does not fit `T`.
pub fn input<T: DeserializeOwned>(request: Value) -> Result<T, AgentError> {
    serde_json::from_value(request).map_err(|error| AgentError::invalid(error.to_string()))
}

/// Turns an action's typed output into the result value.
///
/// # Errors
/// [`AgentError::Internal`] when `T` cannot be serialised (a bug).
pub fn output<T: serde::Serialize>(value: &T) -> Result<Value, AgentError> {
    serde_json::to_value(value).map_err(|error| AgentError::Internal(error.to_string()))
}

/// One agent. Implement it, register it with the orchestrator, and its actions are routable;
/// see `docs/developer-guide/adding-agents.md`.
#[async_trait]
pub trait Agent: Send + Sync {
    /// The stable id requests are routed by (`project_manager`).
    fn id(&self) -> &'static str;

    /// The actions it offers; the orchestrator refuses any other.
    fn capabilities(&self) -> &'static [&'static str];

    /// Runs one action.
    ///
    /// # Errors
    /// Whatever the action fails with, as an [`AgentError`].
    async fn handle(
        &self,
        context: &AgentContext,
        action: &str,
        request: Value,
    ) -> Result<Value, AgentError>;
}
