//! Health of every dependency, checked concurrently and timed.
//!
//! A database that does not answer makes the service `unhealthy`; a cache or language model
//! that does not answer makes it `degraded` (SPEC "Health").

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use socrates_infra::Clock;
use socrates_infra::redis::RedisPool;
use socrates_llm::LlmClient;
use socrates_persistence::{AuthDb, SpecsDb};

/// How long one check may take before it counts as failed.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// The dependency answered.
    Ok,
    /// The dependency did not answer or answered with an error.
    Error,
}

/// The service as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverallStatus {
    /// Everything answers.
    Healthy,
    /// A non-essential dependency (cache, language model) is down; requests are still served.
    Degraded,
    /// A database is down; the service cannot do its job.
    Unhealthy,
}

/// The result of checking one dependency.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentHealth {
    /// Ok or error.
    pub status: CheckStatus,
    /// What backs the component (`sqlite`, `postgres`, `in_process`, `offline`, …).
    pub kind: String,
    /// How long the check took, in milliseconds.
    pub latency_ms: f64,
    /// Why it failed, in one line (never a secret).
    pub error: Option<String>,
    /// Whether this component's failure makes the service unhealthy (true) or degraded.
    pub critical: bool,
}

/// Every check and the overall verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthReport {
    /// The verdict.
    pub status: OverallStatus,
    /// The release version.
    pub version: &'static str,
    /// When the report was made.
    pub timestamp: DateTime<Utc>,
    /// Seconds since the process started.
    pub uptime_seconds: i64,
    /// The `socrates_auth` database.
    pub auth_db: ComponentHealth,
    /// The `socrates_specs` database.
    pub specs_db: ComponentHealth,
    /// The cache.
    pub cache: ComponentHealth,
    /// The language-model provider.
    pub llm: ComponentHealth,
}

impl HealthReport {
    /// True when both databases answer (what readiness probes need).
    pub fn databases_ready(&self) -> bool {
        self.auth_db.status == CheckStatus::Ok && self.specs_db.status == CheckStatus::Ok
    }
}

/// The health checks of every dependency. The service container builds it once; it holds
/// the last provider probe, reused for `llm_health_ttl` so `/health` does not call a paid
/// provider on every scrape.
pub struct HealthChecks {
    auth_db: AuthDb,
    specs_db: SpecsDb,
    redis: Option<RedisPool>,
    llm_client: Option<Arc<dyn LlmClient>>,
    llm_ttl: Duration,
    llm_probe: Mutex<Option<(Instant, ComponentHealth)>>,
    clock: Arc<dyn Clock>,
    version: &'static str,
    started_at: DateTime<Utc>,
}

impl std::fmt::Debug for HealthChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthChecks")
            .field("redis", &self.redis.is_some())
            .field("llm", &self.llm_client.is_some())
            .finish_non_exhaustive()
    }
}

/// What [`HealthChecks`] checks.
pub struct HealthTargets {
    /// The `socrates_auth` handle.
    pub auth_db: AuthDb,
    /// The `socrates_specs` handle.
    pub specs_db: SpecsDb,
    /// The Redis pool, when configured.
    pub redis: Option<RedisPool>,
    /// The language-model client, when a provider is configured.
    pub llm_client: Option<Arc<dyn LlmClient>>,
    /// How long a provider probe result is reused.
    pub llm_ttl: Duration,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// The release version reported.
    pub version: &'static str,
}

impl HealthChecks {
    /// The checks of `targets`; uptime counts from now.
    #[must_use]
    pub fn new(targets: HealthTargets) -> Self {
        Self {
            started_at: targets.clock.now(),
            auth_db: targets.auth_db,
            specs_db: targets.specs_db,
            redis: targets.redis,
            llm_client: targets.llm_client,
            llm_ttl: targets.llm_ttl,
            llm_probe: Mutex::new(None),
            clock: targets.clock,
            version: targets.version,
        }
    }

    /// When the checks were built (the process start, for uptime).
    #[must_use]
    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    /// Checks every dependency concurrently, each with [`CHECK_TIMEOUT`].
    pub async fn check(&self) -> HealthReport {
        // Boxed: a database ping's future is large, and four of them side by side would make
        // every health request's future tens of kilobytes.
        let (auth_db, specs_db, cache, llm) = tokio::join!(
            Box::pin(timed(
                self.auth_db.backend().as_str(),
                true,
                self.auth_db.ping()
            )),
            Box::pin(timed(
                self.specs_db.backend().as_str(),
                true,
                self.specs_db.ping()
            )),
            Box::pin(self.check_cache()),
            Box::pin(self.check_llm()),
        );
        let now = self.clock.now();
        HealthReport {
            status: overall_status(&[&auth_db, &specs_db, &cache, &llm]),
            version: self.version,
            timestamp: now,
            uptime_seconds: (now - self.started_at).num_seconds(),
            auth_db,
            specs_db,
            cache,
            llm,
        }
    }

    async fn check_cache(&self) -> ComponentHealth {
        match &self.redis {
            Some(redis) => {
                let mut health = timed("redis", false, redis.ping()).await;
                if let Some(error) = &mut health.error {
                    // What the service does meanwhile, so an operator reading /health knows.
                    error.push_str(
                        "; meanwhile rate limits are enforced in this process and views are \
                         cached in this process for at most 5 s",
                    );
                }
                health
            }
            // Without Redis, caches and rate limits live in this process: they cannot fail.
            None => always_ok("in_process"),
        }
    }

    /// One cheap provider request (listing models), reused for the TTL. The lock is never
    /// held while the probe waits on the network: concurrent checks that find it stale may
    /// each probe once, and the last result is kept.
    async fn check_llm(&self) -> ComponentHealth {
        let Some(client) = &self.llm_client else {
            // The offline reasoner is part of the binary: it is always available.
            return always_ok("offline");
        };
        {
            let cached = self
                .llm_probe
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some((taken, health)) = cached.as_ref()
                && taken.elapsed() < self.llm_ttl
            {
                return health.clone();
            }
        }
        let health = timed(client.provider().as_str(), false, client.probe()).await;
        *self
            .llm_probe
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), health.clone()));
        health
    }
}

fn always_ok(kind: &str) -> ComponentHealth {
    ComponentHealth {
        status: CheckStatus::Ok,
        kind: kind.to_owned(),
        latency_ms: 0.0,
        error: None,
        critical: false,
    }
}

/// Runs one check with [`CHECK_TIMEOUT`]; a failure is logged once with the component's kind.
async fn timed<E: std::fmt::Display>(
    kind: &str,
    critical: bool,
    check: impl Future<Output = Result<(), E>>,
) -> ComponentHealth {
    let started = Instant::now();
    let outcome = tokio::time::timeout(CHECK_TIMEOUT, check).await;
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(_) => Some(format!("no answer within {} ms", CHECK_TIMEOUT.as_millis())),
    };
    if let Some(error) = &error {
        tracing::warn!(health.component = kind, error = %error, "health check failed");
    }
    ComponentHealth {
        status: if error.is_none() {
            CheckStatus::Ok
        } else {
            CheckStatus::Error
        },
        kind: kind.to_owned(),
        latency_ms: round_ms(started.elapsed()),
        error,
        critical,
    }
}

/// Unhealthy when a critical component failed, degraded when another one did.
pub fn overall_status(components: &[&ComponentHealth]) -> OverallStatus {
    let failed = |critical: bool| {
        components.iter().any(|component| {
            component.critical == critical && component.status == CheckStatus::Error
        })
    };
    if failed(true) {
        OverallStatus::Unhealthy
    } else if failed(false) {
        OverallStatus::Degraded
    } else {
        OverallStatus::Healthy
    }
}

fn round_ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(critical: bool, status: CheckStatus) -> ComponentHealth {
        ComponentHealth {
            status,
            kind: "test".to_owned(),
            latency_ms: 0.0,
            error: None,
            critical,
        }
    }

    // Digest appendix A11: DB ok + cache down → degraded; DB down → unhealthy; all ok → healthy.
    #[test]
    fn overall_status_follows_appendix_a11() {
        let db_ok = component(true, CheckStatus::Ok);
        let db_down = component(true, CheckStatus::Error);
        let cache_ok = component(false, CheckStatus::Ok);
        let cache_down = component(false, CheckStatus::Error);
        assert_eq!(
            overall_status(&[&db_ok, &cache_down]),
            OverallStatus::Degraded
        );
        assert_eq!(
            overall_status(&[&db_down, &cache_ok]),
            OverallStatus::Unhealthy
        );
        assert_eq!(
            overall_status(&[&db_down, &cache_down]),
            OverallStatus::Unhealthy
        );
        assert_eq!(overall_status(&[&db_ok, &cache_ok]), OverallStatus::Healthy);
    }
}
