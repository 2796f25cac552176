//! The service container: every dependency of the agents, built once and shared by reference.

use crate::agent::AgentError;
use crate::agents::conflicts::ConflictDetector;
use crate::agents::export::Exporter;
use crate::agents::facts::ContextAnalyzer;
use crate::agents::knowledge::KnowledgeBase;
use crate::agents::learning::UserLearning;
use crate::agents::project_manager::ProjectManager;
use crate::agents::quality_report::QualityReporter;
use crate::agents::socratic::SocraticCounselor;
use crate::health::{HealthChecks, HealthTargets};
use crate::learning::Learner;
use crate::orchestrator::{AccountCheck, Orchestrator};
use crate::quality::QualityController;
use crate::view_cache::ProjectViews;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use socrates_infra::redis::RedisPool;
use socrates_persistence::{AuthDb, SpecsDb};

use socrates_llm::LlmClient;

use socrates_auth::{AuthError, AuthService};
use socrates_infra::clock::Clock;
use socrates_infra::rate_limit::{Quota, RateLimiter};
use socrates_reasoner::Reasoner;

/// The request quotas the api crate applies.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// Requests per authenticated user (100 per minute).
    pub per_user: Quota,
    /// Whether limits are enforced.
    pub enabled: bool,
}

/// What the container is built from.
pub struct ContainerParts {
    /// The `socrates_auth` handle.
    pub auth_db: AuthDb,
    /// The `socrates_specs` handle.
    pub specs_db: SpecsDb,
    /// The shared Redis pool, when configured.
    pub redis: Option<RedisPool>,
    /// The view cache (Redis when configured, in this process otherwise).
    pub cache: Arc<dyn socrates_infra::cache::Cache>,
    /// The reasoner the agents think with (the offline engine until a provider is configured).
    pub reasoner: Arc<dyn Reasoner>,
    /// The offline data (technologies, vocabulary, rules): the agents compare values with it,
    /// whichever reasoner runs.
    pub offline: Arc<socrates_reasoner::offline::OfflineData>,
    /// The language-model client, when a provider is configured (health probes it).
    pub llm_client: Option<Arc<dyn LlmClient>>,
    /// How long a provider probe result is reused by `/health`.
    pub llm_health_ttl: std::time::Duration,
    /// How long a process keeps the learned cohort figures (see [`crate::learning`]).
    pub learning_cohort_ttl: std::time::Duration,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Counts requests against quotas.
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// The request quotas.
    pub request_limits: RequestLimits,
    /// Accounts and tokens.
    pub auth: AuthService,
    /// Queues every model call's usage for `llm_usage_tracking`.
    pub usage: Arc<crate::usage::UsageRecorder>,
    /// The release version reported by health.
    pub version: &'static str,
    /// Limits of code generation.
    pub codegen: crate::agents::code_generator::CodegenLimits,
}

impl std::fmt::Debug for ContainerParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerParts")
            .field("auth_db", &self.auth_db)
            .field("specs_db", &self.specs_db)
            .field("redis", &self.redis)
            .field("reasoner", &self.reasoner)
            .field("rate_limiter", &self.rate_limiter)
            .field("request_limits", &self.request_limits)
            .finish_non_exhaustive()
    }
}

/// Everything the agents need, cheap to clone (it is an `Arc` inside).
#[derive(Debug, Clone)]
pub struct ServiceContainer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    parts: ContainerParts,
    orchestrator: Orchestrator,
    views: ProjectViews,
    health: HealthChecks,
}

impl ServiceContainer {
    /// Assembles the container.
    pub fn new(parts: ContainerParts) -> Self {
        let health = HealthChecks::new(HealthTargets {
            auth_db: parts.auth_db.clone(),
            specs_db: parts.specs_db.clone(),
            redis: parts.redis.clone(),
            llm_client: parts.llm_client.clone(),
            llm_ttl: parts.llm_health_ttl,
            clock: Arc::clone(&parts.clock),
            version: parts.version,
        });
        let views = ProjectViews::new(Arc::clone(&parts.cache), Arc::clone(parts.usage.metrics()));
        let orchestrator = Orchestrator::builder(
            Arc::new(QualityController::new(
                parts.specs_db.clone(),
                Arc::clone(&parts.clock),
            )),
            Arc::new(ActiveAccounts(parts.auth.clone())),
            Arc::clone(parts.usage.metrics()),
        )
        .agent(
            ProjectManager::new(
                parts.specs_db.clone(),
                Arc::clone(&parts.offline),
                Arc::clone(&parts.clock),
            )
            .with_views(views.clone()),
        )
        .agent(QualityReporter::new(parts.specs_db.clone()))
        .agent(
            KnowledgeBase::new(
                parts.specs_db.clone(),
                Arc::clone(&parts.reasoner),
                Arc::clone(&parts.offline),
                Arc::clone(&parts.clock),
            )
            .with_views(views.clone()),
        )
        .agent(UserLearning::new(
            parts.specs_db.clone(),
            parts.auth_db.clone(),
            Arc::clone(&parts.clock),
        ))
        .agent(
            SocraticCounselor::new(
                parts.specs_db.clone(),
                Arc::clone(&parts.reasoner),
                Arc::clone(&parts.offline),
                Arc::clone(&parts.clock),
            )
            .with_views(views.clone())
            .with_learner(Learner::new(
                parts.specs_db.clone(),
                parts.learning_cohort_ttl,
            )),
        )
        .agent(
            ContextAnalyzer::new(
                parts.specs_db.clone(),
                Arc::clone(&parts.reasoner),
                Arc::clone(&parts.offline),
                Arc::clone(&parts.clock),
            )
            .with_views(views.clone()),
        )
        .agent(
            ConflictDetector::new(
                parts.specs_db.clone(),
                Arc::clone(&parts.offline),
                Arc::clone(&parts.clock),
            )
            .with_views(views.clone()),
        )
        .agent(
            Exporter::new(parts.specs_db.clone(), Arc::clone(&parts.clock))
                .with_offline(Arc::clone(&parts.offline)),
        )
        .agent(crate::agents::code_generator::CodeGenerator::new(
            parts.specs_db.clone(),
            Arc::clone(&parts.clock),
            parts.codegen,
        ))
        .build();
        Self {
            inner: Arc::new(Inner {
                parts,
                orchestrator,
                views,
                health,
            }),
        }
    }

    /// The `socrates_auth` handle.
    pub fn auth_db(&self) -> &AuthDb {
        &self.inner.parts.auth_db
    }

    /// The offline data (technologies, vocabulary, rules).
    pub fn offline(&self) -> &Arc<socrates_reasoner::offline::OfflineData> {
        &self.inner.parts.offline
    }

    /// The `socrates_specs` handle.
    pub fn specs_db(&self) -> &SpecsDb {
        &self.inner.parts.specs_db
    }

    /// The shared Redis pool, when configured.
    pub fn redis(&self) -> Option<&RedisPool> {
        self.inner.parts.redis.as_ref()
    }

    /// The project views cache (the account deletion drops the user's projects from it).
    pub fn views(&self) -> &ProjectViews {
        &self.inner.views
    }

    /// The view cache.
    pub fn cache(&self) -> &Arc<dyn socrates_infra::cache::Cache> {
        &self.inner.parts.cache
    }

    /// The reasoner.
    pub fn reasoner(&self) -> &Arc<dyn Reasoner> {
        &self.inner.parts.reasoner
    }

    /// The language-model client, when a provider is configured.
    pub fn llm_client(&self) -> Option<&Arc<dyn LlmClient>> {
        self.inner.parts.llm_client.as_ref()
    }

    /// The health checks of every dependency.
    pub fn health(&self) -> &HealthChecks {
        &self.inner.health
    }

    /// The orchestrator every agent action goes through.
    pub fn orchestrator(&self) -> &Orchestrator {
        &self.inner.orchestrator
    }

    /// The LLM usage recorder.
    pub fn usage(&self) -> &Arc<crate::usage::UsageRecorder> {
        &self.inner.parts.usage
    }

    /// The service's metrics (shared with the usage recorder).
    pub fn metrics(&self) -> &Arc<socrates_infra::metrics::Metrics> {
        self.inner.parts.usage.metrics()
    }

    /// Brings the gauges up to date (database pools, active sessions) and returns every metric
    /// in the Prometheus text format. The active-session count is one indexed query.
    pub async fn render_metrics(&self) -> Result<String, AgentError> {
        let metrics = self.metrics();
        let parts = &self.inner.parts;
        for (name, status) in [
            ("auth", parts.auth_db.pool_status()),
            ("specs", parts.specs_db.pool_status()),
        ] {
            metrics.set_pool(name, status.in_use, status.idle);
        }
        let active = socrates_persistence::repositories::sessions::count_active(&parts.specs_db)
            .await
            .map_err(AgentError::from)?;
        metrics.set_active_sessions(active);
        metrics
            .encode()
            .map_err(|error| AgentError::Internal(format!("encode the metrics: {error}")))
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
        self.inner.health.started_at()
    }
}

/// The orchestrator's account check, answered by the auth service: one primary-key read of
/// the account before every action that writes.
#[derive(Debug)]
struct ActiveAccounts(AuthService);

#[async_trait::async_trait]
impl AccountCheck for ActiveAccounts {
    async fn ensure_may_write(
        &self,
        user: socrates_domain::UserId,
        fresh: bool,
    ) -> Result<(), AgentError> {
        self.0
            .ensure_may_write(user, fresh)
            .await
            .map_err(|error| match error {
                AuthError::Database(error) => AgentError::Database(error),
                other => AgentError::Refused {
                    code: socrates_domain::ErrorCode::code(&other),
                    message: other.to_string(),
                    details: None,
                },
            })
    }
}
