//! Health of every dependency, checked concurrently and timed.
//!
//! A database that does not answer makes the service `unhealthy`; a cache or language model
//! that does not answer makes it `degraded` (SPEC "Health").

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use socrates_persistence::{Database, DatabaseKind};

use crate::container::ServiceContainer;

/// How long one check may take before it counts as failed.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// The dependency answered.
    Ok,
    /// The dependency did not answer or answered with an error.
    Error,
}

/// The service as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OverallStatus {
    /// Everything answers.
    Healthy,
    /// A non-essential dependency (cache, language model) is down; requests are still served.
    Degraded,
    /// A database is down; the service cannot do its job.
    Unhealthy,
}

/// The result of checking one dependency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentHealth {
    /// Ok or error.
    pub status: CheckStatus,
    /// What backs the component (`sqlite`, `postgres`, `in_process`, `offline`, …).
    pub kind: String,
    /// How long the check took, in milliseconds.
    pub latency_ms: f64,
    /// Why it failed, in one line (never a secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether this component's failure makes the service unhealthy (true) or degraded.
    pub critical: bool,
}

/// Every check and the overall verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

impl ServiceContainer {
    /// Checks every dependency concurrently, each with [`CHECK_TIMEOUT`].
    pub async fn check_health(&self) -> HealthReport {
        let (auth_db, specs_db) = tokio::join!(
            check_database(self.auth_db()),
            check_database(self.specs_db())
        );
        let cache = match self.redis() {
            Some(redis) => check_redis(redis).await,
            // Without Redis, caches and rate limits live in this process: they cannot fail.
            None => ComponentHealth {
                status: CheckStatus::Ok,
                kind: "in_process".to_owned(),
                latency_ms: 0.0,
                error: None,
                critical: false,
            },
        };
        let llm = match self.llm_client() {
            Some(client) => {
                let client = std::sync::Arc::clone(client);
                self.cached_llm_probe(|| check_llm(client)).await
            }
            // The offline reasoner is part of the binary: it is always available.
            None => ComponentHealth {
                status: CheckStatus::Ok,
                kind: "offline".to_owned(),
                latency_ms: 0.0,
                error: None,
                critical: false,
            },
        };
        let now = self.clock().now();
        HealthReport {
            status: overall_status(&[&auth_db, &specs_db, &cache, &llm]),
            version: self.version(),
            timestamp: now,
            uptime_seconds: (now - self.started_at()).num_seconds(),
            auth_db,
            specs_db,
            cache,
            llm,
        }
    }
}

async fn check_database<K: DatabaseKind>(database: &Database<K>) -> ComponentHealth {
    let started = Instant::now();
    let outcome = tokio::time::timeout(CHECK_TIMEOUT, database.ping()).await;
    let latency_ms = round_ms(started.elapsed());
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(_) => Some(format!("no answer within {} ms", CHECK_TIMEOUT.as_millis())),
    };
    if let Some(error) = &error {
        tracing::warn!(database = K::NAME, error = %error, "database health check failed");
    }
    ComponentHealth {
        status: if error.is_none() {
            CheckStatus::Ok
        } else {
            CheckStatus::Error
        },
        kind: database.backend().as_str().to_owned(),
        latency_ms,
        error,
        critical: true,
    }
}

/// One cheap provider request (listing models), bounded by [`CHECK_TIMEOUT`].
async fn check_llm(client: std::sync::Arc<dyn socrates_llm::LlmClient>) -> ComponentHealth {
    let started = Instant::now();
    let outcome = tokio::time::timeout(CHECK_TIMEOUT, client.probe()).await;
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(_) => Some(format!("no answer within {} ms", CHECK_TIMEOUT.as_millis())),
    };
    if let Some(error) = &error {
        tracing::warn!(error = %error, llm.provider = client.provider().as_str(), "language model health check failed");
    }
    ComponentHealth {
        status: if error.is_none() {
            CheckStatus::Ok
        } else {
            CheckStatus::Error
        },
        kind: client.provider().as_str().to_owned(),
        latency_ms: round_ms(started.elapsed()),
        error,
        critical: false,
    }
}

async fn check_redis(redis: &socrates_persistence::redis::RedisPool) -> ComponentHealth {
    let started = Instant::now();
    let outcome = tokio::time::timeout(CHECK_TIMEOUT, redis.ping()).await;
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(_) => Some(format!("no answer within {} ms", CHECK_TIMEOUT.as_millis())),
    };
    if let Some(error) = &error {
        tracing::warn!(error = %error, "redis health check failed");
    }
    ComponentHealth {
        status: if error.is_none() {
            CheckStatus::Ok
        } else {
            CheckStatus::Error
        },
        kind: "redis".to_owned(),
        latency_ms: round_ms(started.elapsed()),
        error,
        critical: false,
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
