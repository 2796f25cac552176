//! The service container: every dependency of the agents, built once and shared by reference.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use socrates_persistence::redis::RedisPool;
use socrates_persistence::{AuthDb, SpecsDb};

use crate::auth::AuthService;
use crate::clock::Clock;
use crate::rate_limit::{Quota, RateLimiter};
use crate::reasoner::Reasoner;

/// Which reasoner answers for the agents. With no provider configured the server runs the
/// built-in offline reasoner and says so at start-up and in `/health`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LlmMode {
    /// The built-in deterministic reasoner: no network, no cost.
    Offline,
}

impl LlmMode {
    /// The provider name reported by health and logs.
    pub const fn provider(&self) -> &'static str {
        match self {
            Self::Offline => "offline",
        }
    }
}

/// The request quotas the api crate applies.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// Requests per authenticated user (100 per minute).
    pub per_user: Quota,
    /// Whether limits are enforced.
    pub enabled: bool,
}

/// What the container is built from.
#[derive(Debug)]
pub struct ContainerParts {
    /// The `socrates_auth` handle.
    pub auth_db: AuthDb,
    /// The `socrates_specs` handle.
    pub specs_db: SpecsDb,
    /// The shared Redis pool, when configured.
    pub redis: Option<RedisPool>,
    /// The reasoner mode.
    pub llm_mode: LlmMode,
    /// The reasoner the agents think with (the offline engine until a provider is configured).
    pub reasoner: Arc<dyn Reasoner>,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Counts requests against quotas.
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// The request quotas.
    pub request_limits: RequestLimits,
    /// Accounts and tokens.
    pub auth: AuthService,
    /// The release version reported by health.
    pub version: &'static str,
}

/// Everything the agents need, cheap to clone (it is an `Arc` inside).
#[derive(Debug, Clone)]
pub struct ServiceContainer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    parts: ContainerParts,
    started_at: DateTime<Utc>,
}

impl ServiceContainer {
    /// Assembles the container.
    pub fn new(parts: ContainerParts) -> Self {
        let started_at = parts.clock.now();
        Self {
            inner: Arc::new(Inner { parts, started_at }),
        }
    }

    /// The `socrates_auth` handle.
    pub fn auth_db(&self) -> &AuthDb {
        &self.inner.parts.auth_db
    }

    /// The `socrates_specs` handle.
    pub fn specs_db(&self) -> &SpecsDb {
        &self.inner.parts.specs_db
    }

    /// The shared Redis pool, when configured.
    pub fn redis(&self) -> Option<&RedisPool> {
        self.inner.parts.redis.as_ref()
    }

    /// The reasoner mode.
    pub fn llm_mode(&self) -> &LlmMode {
        &self.inner.parts.llm_mode
    }

    /// The reasoner.
    pub fn reasoner(&self) -> &Arc<dyn Reasoner> {
        &self.inner.parts.reasoner
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.parts.clock
    }

    /// The rate limiter.
    pub fn rate_limiter(&self) -> &Arc<dyn RateLimiter> {
        &self.inner.parts.rate_limiter
    }

    /// The request quotas.
    pub fn request_limits(&self) -> RequestLimits {
        self.inner.parts.request_limits
    }

    /// Accounts and tokens.
    pub fn auth(&self) -> &AuthService {
        &self.inner.parts.auth
    }

    /// The release version reported by health.
    pub fn version(&self) -> &'static str {
        self.inner.parts.version
    }

    /// When the container was built (the process start, for uptime).
    pub fn started_at(&self) -> DateTime<Utc> {
        self.inner.started_at
    }
}
