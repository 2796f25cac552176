//! One module per resource; each exposes a `configure` function that registers its routes.

pub mod auth;
pub mod chat;
pub mod code;
pub mod conflicts;
pub mod exports;
pub mod health;
pub mod knowledge;
pub mod learning;
pub mod metrics;
pub mod projects;
pub mod quality;
pub mod sessions;
pub mod specifications;
pub mod templates;

use socrates_agents::{Action, Caller, ServiceContainer};

use crate::error::ApiError;
use crate::extractors::AuthUser;

/// Runs one agent action for the authenticated caller and returns its typed result.
pub(crate) async fn run<A: Action>(
    services: &ServiceContainer,
    user: &AuthUser,
    action: A,
) -> Result<A::Output, ApiError> {
    Ok(services
        .orchestrator()
        .run(Caller::user(user.user_id), action)
        .await?)
}
