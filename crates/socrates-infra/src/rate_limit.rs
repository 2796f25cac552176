//! Rate limiting behind one trait: in-process (governor, per instance) or shared through Redis
//! (every instance enforces one limit). Both use GCRA with the same parameters, read time from
//! the injected [`Clock`], and answer how long the caller must wait.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::Clock as GovernorClock;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota as GovernorQuota, RateLimiter as GovernorLimiter};

use crate::clock::Clock;
use crate::error::InfraError;
use crate::redis::RedisPool;

/// A limit: at most `limit` events per `period`, with bursts up to `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    /// Events allowed per period.
    pub limit: u32,
    /// The period.
    pub period: Duration,
}

impl Quota {
    /// `limit` events per minute.
    pub const fn per_minute(limit: u32) -> Self {
        Self {
            limit,
            period: Duration::from_secs(60),
        }
    }

    /// The time between two events at the sustained rate.
    fn emission_interval(self) -> Duration {
        self.period / self.limit.max(1)
    }
}

/// The verdict on one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Go ahead.
    Allowed,
    /// Refused; retry after this long.
    Limited {
        /// How long until the next event would be allowed.
        retry_after: Duration,
    },
}

/// Counts events per key against a quota.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync + std::fmt::Debug {
    /// Records one event for `key` and says whether it is allowed.
    async fn check(&self, key: &str, quota: Quota) -> Result<RateDecision, InfraError>;
    /// `in_process` or `redis`, for health and logs.
    fn kind(&self) -> &'static str;
}

/// Adapts the application clock to governor's clock, so tests can move time.
#[derive(Debug, Clone)]
struct AppClock(Arc<dyn Clock>);

impl GovernorClock for AppClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        let micros = self.0.now().timestamp_micros().max(0);
        Duration::from_micros(u64::try_from(micros).unwrap_or(0))
    }
}

type KeyedLimiter = GovernorLimiter<
    String,
    HashMapStateStore<String>,
    AppClock,
    governor::middleware::NoOpMiddleware<Duration>,
>;

/// One process's limits, kept in memory (governor, one keyed limiter per quota).
#[derive(Debug)]
pub struct InProcessRateLimiter {
    clock: AppClock,
    limiters: Mutex<HashMap<Quota, Arc<KeyedLimiter>>>,
    checks: AtomicU64,
}

impl InProcessRateLimiter {
    /// Forget keys idle for a full period every this many checks, so memory stays bounded.
    const CLEANUP_EVERY: u64 = 4096;

    /// A limiter reading time from `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock: AppClock(clock),
            limiters: Mutex::new(HashMap::new()),
            checks: AtomicU64::new(0),
        }
    }

    fn limiter_for(&self, quota: Quota) -> Result<Arc<KeyedLimiter>, InfraError> {
        let mut limiters = self
            .limiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(limiter) = limiters.get(&quota) {
            return Ok(Arc::clone(limiter));
        }
        let burst = std::num::NonZeroU32::new(quota.limit.max(1))
            .ok_or(InfraError::InvalidQuota("zero events per period"))?;
        let governor_quota = GovernorQuota::with_period(quota.emission_interval())
            .ok_or(InfraError::InvalidQuota("zero period"))?
            .allow_burst(burst);
        let limiter = Arc::new(GovernorLimiter::hashmap_with_clock(
            governor_quota,
            self.clock.clone(),
        ));
        limiters.insert(quota, Arc::clone(&limiter));
        Ok(limiter)
    }
}

#[async_trait::async_trait]
impl RateLimiter for InProcessRateLimiter {
    async fn check(&self, key: &str, quota: Quota) -> Result<RateDecision, InfraError> {
        let limiter = self.limiter_for(quota)?;
        if self.checks.fetch_add(1, Ordering::Relaxed) % Self::CLEANUP_EVERY
            == Self::CLEANUP_EVERY - 1
        {
            limiter.retain_recent();
        }
        Ok(match limiter.check_key(&key.to_owned()) {
            Ok(()) => RateDecision::Allowed,
            Err(not_until) => RateDecision::Limited {
                retry_after: not_until.wait_time_from(self.clock.now()),
            },
        })
    }

    fn kind(&self) -> &'static str {
        "in_process"
    }
}

/// Limits shared by every instance through Redis (GCRA in one atomic script).
#[derive(Debug, Clone)]
pub struct RedisRateLimiter {
    pool: RedisPool,
    clock: Arc<dyn Clock>,
    key_prefix: String,
}

impl RedisRateLimiter {
    /// A limiter storing its state in `pool` under `key_prefix`, reading time from `clock`.
    pub fn new(pool: RedisPool, clock: Arc<dyn Clock>, key_prefix: String) -> Self {
        Self {
            pool,
            clock,
            key_prefix,
        }
    }
}

#[async_trait::async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, key: &str, quota: Quota) -> Result<RateDecision, InfraError> {
        let micros = |duration: Duration| u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        let millis = |duration: Duration| u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        let now_us = u64::try_from(self.clock.now().timestamp_micros()).unwrap_or(0);
        let interval = micros(quota.emission_interval()).max(1);
        let tolerance = micros(quota.period).saturating_sub(interval);
        let wait_us = self
            .pool
            .gcra(
                &format!("{}:rl:{key}", self.key_prefix),
                now_us,
                interval,
                tolerance,
                millis(quota.period) + 1000,
            )
            .await?;
        Ok(if wait_us == 0 {
            RateDecision::Allowed
        } else {
            RateDecision::Limited {
                retry_after: Duration::from_micros(wait_us),
            }
        })
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

/// The shared limiter with its in-process twin: while Redis fails or its circuit is open,
/// every check is made by the twin, in this process, with the same quotas. Limits stay
/// enforced (per instance instead of across instances) and nothing fails open; the switch is
/// logged once each way and visible in `/health` (the Redis circuit).
#[derive(Debug)]
pub struct FallbackRateLimiter {
    shared: RedisRateLimiter,
    local: InProcessRateLimiter,
    falling_back: std::sync::atomic::AtomicBool,
}

impl FallbackRateLimiter {
    /// `shared` backed by `local` when it cannot answer.
    pub fn new(shared: RedisRateLimiter, local: InProcessRateLimiter) -> Self {
        Self {
            shared,
            local,
            falling_back: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

#[async_trait::async_trait]
impl RateLimiter for FallbackRateLimiter {
    async fn check(&self, key: &str, quota: Quota) -> Result<RateDecision, InfraError> {
        match self.shared.check(key, quota).await {
            Ok(decision) => {
                if self.falling_back.swap(false, Ordering::AcqRel) {
                    tracing::info!("rate limits are shared through Redis again");
                }
                Ok(decision)
            }
            Err(error) => {
                if !self.falling_back.swap(true, Ordering::AcqRel) {
                    tracing::warn!(
                        %error,
                        "Redis cannot count: rate limits are enforced in this process until it can"
                    );
                }
                self.local.check(key, quota).await
            }
        }
    }

    fn kind(&self) -> &'static str {
        "redis_with_in_process_fallback"
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn in_process_limits_per_key_and_resets_with_time() {
        let clock = ManualClock::new(Utc::now());
        let limiter = InProcessRateLimiter::new(Arc::new(clock.clone()));
        let quota = Quota::per_minute(5);
        for _ in 0..5 {
            assert_eq!(
                limiter.check("ip:1", quota).await.unwrap(),
                RateDecision::Allowed
            );
        }
        let RateDecision::Limited { retry_after } = limiter.check("ip:1", quota).await.unwrap()
        else {
            panic!("the sixth event must be limited");
        };
        assert!(
            retry_after > Duration::from_secs(0) && retry_after <= Duration::from_secs(12),
            "{retry_after:?}"
        );
        // Another key has its own budget.
        assert_eq!(
            limiter.check("ip:2", quota).await.unwrap(),
            RateDecision::Allowed
        );
        // After a full period the budget is back.
        clock.advance(chrono::Duration::seconds(60));
        for _ in 0..5 {
            assert_eq!(
                limiter.check("ip:1", quota).await.unwrap(),
                RateDecision::Allowed
            );
        }
    }
}
