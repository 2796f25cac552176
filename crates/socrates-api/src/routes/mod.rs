//! One module per resource; each exposes a `configure` function that registers its routes.

pub mod auth;
pub mod conflicts;
pub mod exports;
pub mod health;
pub mod metrics;
pub mod projects;
pub mod sessions;
pub mod specifications;

use serde::Serialize;
use serde::de::DeserializeOwned;
use socrates_agents::ServiceContainer;
use socrates_agents::agent::AgentContext;

use crate::error::ApiError;
use crate::extractors::AuthUser;

/// Runs one agent action for the authenticated caller with a typed request and result.
pub(crate) async fn call_agent<I: Serialize + Sync, O: DeserializeOwned>(
    services: &ServiceContainer,
    user: &AuthUser,
    agent: &str,
    action: &str,
    request: &I,
) -> Result<O, ApiError> {
    let context = AgentContext {
        user_id: user.user_id,
    };
    Ok(services
        .orchestrator()
        .call(agent, action, &context, request)
        .await?)
}
