//! The one error of this crate: why an agent action failed, with a stable [`Code`] for every
//! variant. The api crate maps it to a status and the error envelope.

use serde_json::Value;
use socrates_domain::{Code, ErrorCode};
use socrates_persistence::DbError;

use socrates_reasoner::ReasonerError;

/// Why an action failed. Every variant carries a stable [`Code`]; `details` reach the client.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The action was run through an orchestrator its agent was not registered with: a
    /// wiring bug of the service container, never the caller's fault.
    #[error("the action `{agent}.{action}` is not registered with the orchestrator")]
    UnsupportedAction {
        /// The agent the action belongs to.
        agent: &'static str,
        /// The action.
        action: &'static str,
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
    /// A bug or a broken invariant (a fact placed on a row that is not current, metrics that
    /// cannot be encoded): logged, answered as 500 without the cause.
    #[error("internal error: {0}")]
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
            Self::UnsupportedAction { .. } => Code::UnsupportedAction,
            Self::Invalid { code, .. }
            | Self::NotFound { code, .. }
            | Self::Refused { code, .. } => *code,
            Self::Reasoner(error) => error.code(),
            Self::Database(error) => error.code(),
            Self::Internal(_) => Code::InternalError,
        }
    }

    fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Reasoner(error) => error.retry_after(),
            _ => None,
        }
    }
}

impl From<socrates_domain::DomainError> for AgentError {
    fn from(error: socrates_domain::DomainError) -> Self {
        Self::Invalid {
            code: error.code(),
            message: error.to_string(),
            details: error
                .field()
                .map(|field| serde_json::json!({ "field": field })),
        }
    }
}

impl AgentError {
    /// The `outcome` label of `socrates_agent_action_duration_seconds`: `rejected` for what
    /// the caller can fix or must accept (invalid, not found, refused), `error` for what the
    /// service failed at (a database, the reasoner, a bug).
    #[must_use]
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Invalid { .. } | Self::NotFound { .. } | Self::Refused { .. } => "rejected",
            Self::UnsupportedAction { .. }
            | Self::Reasoner(_)
            | Self::Database(_)
            | Self::Internal(_) => "error",
        }
    }
}
