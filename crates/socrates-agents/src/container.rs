//! The service container: every dependency of the agents, built once and shared by reference.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use socrates_persistence::{AuthDb, SpecsDb};

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

/// Everything the agents need, cheap to clone (it is an `Arc` inside).
#[derive(Debug, Clone)]
pub struct ServiceContainer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    auth_db: AuthDb,
    specs_db: SpecsDb,
    llm_mode: LlmMode,
    version: &'static str,
    started_at: DateTime<Utc>,
}

impl ServiceContainer {
    /// Assembles the container from connected databases.
    pub fn new(
        auth_db: AuthDb,
        specs_db: SpecsDb,
        llm_mode: LlmMode,
        version: &'static str,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                auth_db,
                specs_db,
                llm_mode,
                version,
                started_at: Utc::now(),
            }),
        }
    }

    /// The `socrates_auth` handle.
    pub fn auth_db(&self) -> &AuthDb {
        &self.inner.auth_db
    }

    /// The `socrates_specs` handle.
    pub fn specs_db(&self) -> &SpecsDb {
        &self.inner.specs_db
    }

    /// The reasoner mode.
    pub fn llm_mode(&self) -> &LlmMode {
        &self.inner.llm_mode
    }

    /// The release version reported by health.
    pub fn version(&self) -> &'static str {
        self.inner.version
    }

    /// When the container was built (the process start, for uptime).
    pub fn started_at(&self) -> DateTime<Utc> {
        self.inner.started_at
    }
}
