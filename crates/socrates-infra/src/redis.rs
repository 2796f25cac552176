//! The Redis connection pool (deadpool-redis) and the atomic operations Socrates runs on it.
//!
//! Redis is never critical: every command has a short deadline (checkout included), and a
//! circuit breaker stops calling a Redis that keeps failing or hanging. After
//! [`BREAKER_FAILURES`] failures in a row the circuit opens: for the configured pause every
//! call fails at once (no network, no wait), then one call probes Redis; its success closes
//! the circuit, its failure opens it again. So a hung Redis costs each request at most one
//! command deadline until the circuit opens, and nothing after; the callers fall back (the
//! rate limiter to its in-process twin, the view cache to the database) and `/health` shows
//! the circuit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, Object, RecycleResult};
use deadpool_redis::redis::aio::MultiplexedConnection;
use deadpool_redis::redis::{RedisError, RedisResult, Script};
use deadpool_redis::{PoolConfig, Runtime};

use crate::error::InfraError;

/// GCRA in one atomic step. KEYS[1]: the key. ARGV: now (µs), emission interval (µs), burst
/// tolerance (µs), key lifetime (ms). Returns 0 when allowed (and records the event), else the
/// microseconds to wait. Microseconds, so that quotas above 1 000 events a second (benchmarks)
/// keep their rate instead of being capped at one event per millisecond.
const GCRA_SCRIPT: &str = r"
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then return allow_at - now end
redis.call('SET', KEYS[1], tat + interval, 'PX', ARGV[4])
return 0
";

/// A generational view cache in one hash per scope: field `g` holds the generation, the views
/// are stored as `<generation>:<view>`. KEYS[1]: the scope. ARGV[1]: the view. Returns the
/// generation and the view's value at that generation (nil when absent).
const CACHE_GET_SCRIPT: &str = r"
local g = redis.call('HGET', KEYS[1], 'g') or '0'
return {g, redis.call('HGET', KEYS[1], g .. ':' .. ARGV[1])}
";

/// Stores a view only when the scope is still at the generation it was read at, so a value
/// computed before an invalidation is never stored after it. KEYS[1]: the scope. ARGV: the
/// generation, the view, the value, the scope's lifetime (ms). Returns 1 when stored.
const CACHE_PUT_SCRIPT: &str = r"
local g = redis.call('HGET', KEYS[1], 'g') or '0'
if g ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], g .. ':' .. ARGV[2], ARGV[3])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1
";

/// Moves the scope to its next generation and drops every stored view. KEYS[1]: the scope.
/// ARGV[1]: the scope's lifetime (ms). Returns the new generation.
const CACHE_INVALIDATE_SCRIPT: &str = r"
local g = tonumber(redis.call('HGET', KEYS[1], 'g') or '0') + 1
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'g', g)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return g
";

/// Failures in a row (errors at the transport or no answer within the command deadline) that
/// open the circuit.
pub const BREAKER_FAILURES: u32 = 3;

/// The command deadline when none is configured.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_millis(250);

/// How long an open circuit refuses calls when no pause is configured.
pub const DEFAULT_CIRCUIT_PAUSE: Duration = Duration::from_secs(5);

/// Whether calls reach Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Circuit {
    /// Calls reach Redis.
    Closed,
    /// Calls fail at once; one probe goes through when the pause is over.
    Open,
}

/// The circuit breaker's state, shared by every clone of the pool. Lock-free: a closed
/// circuit costs one atomic load per call.
#[derive(Debug)]
struct Breaker {
    /// Failures in a row.
    failures: AtomicU32,
    /// While open: when the pause ends, in milliseconds since `epoch` (0 = closed).
    open_until_ms: AtomicU64,
    /// A probe of an open circuit is in flight.
    probing: AtomicBool,
    epoch: Instant,
    pause: Duration,
}

/// How a call was let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admission {
    /// The circuit is closed.
    Normal,
    /// The one probe of an open circuit whose pause is over.
    Probe,
}

impl Breaker {
    fn new(pause: Duration) -> Self {
        Self {
            failures: AtomicU32::new(0),
            open_until_ms: AtomicU64::new(0),
            probing: AtomicBool::new(false),
            epoch: Instant::now(),
            pause,
        }
    }

    fn now_ms(&self) -> u64 {
        // At least 1: 0 means closed.
        u64::try_from(self.epoch.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn circuit(&self) -> Circuit {
        if self.open_until_ms.load(Ordering::Acquire) == 0 {
            Circuit::Closed
        } else {
            Circuit::Open
        }
    }

    fn admit(&self) -> Result<Admission, InfraError> {
        let open_until = self.open_until_ms.load(Ordering::Acquire);
        if open_until == 0 {
            return Ok(Admission::Normal);
        }
        if self.now_ms() >= open_until
            && self
                .probing
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            return Ok(Admission::Probe);
        }
        Err(InfraError::RedisCircuitOpen)
    }

    fn succeeded(&self, admission: Admission) {
        self.failures.store(0, Ordering::Release);
        if self.open_until_ms.swap(0, Ordering::AcqRel) != 0 {
            tracing::info!("Redis answers again: circuit closed");
        }
        if admission == Admission::Probe {
            self.probing.store(false, Ordering::Release);
        }
    }

    fn failed(&self, admission: Admission) {
        let open_until = self
            .now_ms()
            .saturating_add(u64::try_from(self.pause.as_millis()).unwrap_or(u64::MAX));
        if admission == Admission::Probe {
            self.open_until_ms.store(open_until, Ordering::Release);
            self.probing.store(false, Ordering::Release);
            return;
        }
        let failures = self
            .failures
            .fetch_add(1, Ordering::AcqRel)
            .saturating_add(1);
        if failures >= BREAKER_FAILURES
            && self
                .open_until_ms
                .compare_exchange(0, open_until, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            tracing::warn!(
                failures,
                pause_ms = u64::try_from(self.pause.as_millis()).unwrap_or(u64::MAX),
                "Redis keeps failing: circuit open, callers fall back until a probe succeeds"
            );
        }
    }
}

/// A connection used this recently is handed out as it is; an older one is checked first.
const PING_IF_IDLE: Duration = Duration::from_secs(5);

/// deadpool-redis's manager, except on checkout: deadpool-redis sends `UNWATCH` + `PING` every
/// time a connection leaves the pool, which doubled the round trips of every rate-limit and
/// cache step. Here only a connection idle for [`PING_IF_IDLE`] is checked (as the database
/// pools do); a connection whose command failed at the transport is dropped, not pooled again
/// (see [`RedisPool::settle`]), so a dead connection is never handed out twice.
struct Manager {
    inner: deadpool_redis::Manager,
}

impl managed::Manager for Manager {
    type Type = MultiplexedConnection;
    type Error = RedisError;

    async fn create(&self) -> Result<MultiplexedConnection, RedisError> {
        managed::Manager::create(&self.inner).await
    }

    async fn recycle(
        &self,
        connection: &mut MultiplexedConnection,
        metrics: &Metrics,
    ) -> RecycleResult<RedisError> {
        if metrics.last_used() < PING_IF_IDLE {
            return Ok(());
        }
        managed::Manager::recycle(&self.inner, connection, metrics).await
    }
}

type Pool = managed::Pool<Manager>;

/// A pool of Redis connections.
#[derive(Clone)]
pub struct RedisPool {
    pool: Pool,
    breaker: Arc<Breaker>,
    command_timeout: Duration,
    script: Script,
    cache_get: Script,
    cache_put: Script,
    cache_invalidate: Script,
}

impl std::fmt::Debug for RedisPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPool")
            .field("status", &self.pool.status())
            .field("circuit", &self.breaker.circuit())
            .finish_non_exhaustive()
    }
}

impl RedisPool {
    /// Builds the pool and checks that Redis answers, with the default command deadline and
    /// circuit pause.
    pub async fn connect(
        url: &str,
        max_connections: usize,
        timeout: Duration,
    ) -> Result<Self, InfraError> {
        Self::connect_with(
            url,
            max_connections,
            timeout,
            DEFAULT_COMMAND_TIMEOUT,
            DEFAULT_CIRCUIT_PAUSE,
        )
        .await
    }

    /// Builds the pool and checks that Redis answers. `timeout` bounds connecting (at start);
    /// `command_timeout` every later command, checkout included; `circuit_pause` is how long
    /// an open circuit refuses calls before probing.
    pub async fn connect_with(
        url: &str,
        max_connections: usize,
        timeout: Duration,
        command_timeout: Duration,
        circuit_pause: Duration,
    ) -> Result<Self, InfraError> {
        let invalid = InfraError::RedisConfiguration;
        let inner =
            deadpool_redis::Manager::new(url).map_err(|error| invalid(error.to_string()))?;
        let mut pool_config = PoolConfig::new(max_connections.max(1));
        pool_config.timeouts.wait = Some(timeout);
        pool_config.timeouts.create = Some(timeout);
        pool_config.timeouts.recycle = Some(timeout);
        let pool = Pool::builder(Manager { inner })
            .config(pool_config)
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|error| invalid(error.to_string()))?;
        let redis = Self {
            pool,
            breaker: Arc::new(Breaker::new(circuit_pause)),
            command_timeout: command_timeout.max(Duration::from_millis(1)),
            script: Script::new(GCRA_SCRIPT),
            cache_get: Script::new(CACHE_GET_SCRIPT),
            cache_put: Script::new(CACHE_PUT_SCRIPT),
            cache_invalidate: Script::new(CACHE_INVALIDATE_SCRIPT),
        };
        redis.ping_within(timeout).await?;
        Ok(redis)
    }

    /// Whether calls reach Redis (see the module docs).
    pub fn circuit(&self) -> Circuit {
        self.breaker.circuit()
    }

    /// Checks that Redis answers `PONG`.
    pub async fn ping(&self) -> Result<(), InfraError> {
        self.ping_within(self.command_timeout).await
    }

    async fn ping_within(&self, limit: Duration) -> Result<(), InfraError> {
        let (mut connection, admission, deadline) = self.checkout(limit).await?;
        let answer = tokio::time::timeout_at(
            deadline,
            deadpool_redis::redis::cmd("PING").query_async::<String>(&mut *connection),
        )
        .await;
        let answer = self.settle(connection, admission, limit, answer)?;
        if answer == "PONG" {
            Ok(())
        } else {
            Err(InfraError::RedisProtocol(format!(
                "PING answered {answer:?}"
            )))
        }
    }

    /// Runs the GCRA rate-limit step for `key`; returns 0 when allowed, else µs to wait.
    pub async fn gcra(
        &self,
        key: &str,
        now_us: u64,
        interval_us: u64,
        tolerance_us: u64,
        ttl_ms: u64,
    ) -> Result<u64, InfraError> {
        let (mut connection, admission, deadline) = self.checkout(self.command_timeout).await?;
        let waited = tokio::time::timeout_at(
            deadline,
            self.script
                .key(key)
                .arg(now_us)
                .arg(interval_us)
                .arg(tolerance_us)
                .arg(ttl_ms)
                .invoke_async(&mut *connection),
        )
        .await;
        self.settle(connection, admission, self.command_timeout, waited)
    }

    /// The generation of cache scope `key` and the value of `view` stored at it.
    pub async fn cache_get(
        &self,
        key: &str,
        view: &str,
    ) -> Result<(u64, Option<Vec<u8>>), InfraError> {
        let (mut connection, admission, deadline) = self.checkout(self.command_timeout).await?;
        let found = tokio::time::timeout_at(
            deadline,
            self.cache_get
                .key(key)
                .arg(view)
                .invoke_async::<(String, Option<Vec<u8>>)>(&mut *connection),
        )
        .await;
        let (generation, value) =
            self.settle(connection, admission, self.command_timeout, found)?;
        let generation = generation.parse().map_err(|_| {
            InfraError::RedisProtocol(format!(
                "cache scope {key} has a malformed generation {generation:?}"
            ))
        })?;
        Ok((generation, value))
    }

    /// Stores `value` as `view` of scope `key` if the scope is still at `generation`; returns
    /// whether it was stored.
    pub async fn cache_put(
        &self,
        key: &str,
        generation: u64,
        view: &str,
        value: &[u8],
        ttl_ms: u64,
    ) -> Result<bool, InfraError> {
        let (mut connection, admission, deadline) = self.checkout(self.command_timeout).await?;
        let stored = tokio::time::timeout_at(
            deadline,
            self.cache_put
                .key(key)
                .arg(generation.to_string())
                .arg(view)
                .arg(value)
                .arg(ttl_ms)
                .invoke_async::<i64>(&mut *connection),
        )
        .await;
        Ok(self.settle(connection, admission, self.command_timeout, stored)? == 1)
    }

    /// Moves scope `key` to its next generation, dropping its views.
    pub async fn cache_invalidate(&self, key: &str, ttl_ms: u64) -> Result<(), InfraError> {
        let (mut connection, admission, deadline) = self.checkout(self.command_timeout).await?;
        let generation = tokio::time::timeout_at(
            deadline,
            self.cache_invalidate
                .key(key)
                .arg(ttl_ms)
                .invoke_async::<i64>(&mut *connection),
        )
        .await;
        self.settle(connection, admission, self.command_timeout, generation)
            .map(|_| ())
    }

    /// A connection for one command, if the circuit lets the call through, and the deadline of
    /// the whole call (`limit` from now, checkout included).
    async fn checkout(
        &self,
        limit: Duration,
    ) -> Result<(Object<Manager>, Admission, tokio::time::Instant), InfraError> {
        let admission = self.breaker.admit()?;
        let deadline = tokio::time::Instant::now() + limit;
        match tokio::time::timeout_at(deadline, self.pool.get()).await {
            Ok(Ok(connection)) => Ok((connection, admission, deadline)),
            Ok(Err(error)) => {
                self.breaker.failed(admission);
                Err(InfraError::RedisUnavailable(error.to_string()))
            }
            Err(_) => {
                self.breaker.failed(admission);
                Err(no_answer(limit))
            }
        }
    }

    /// A command's result. A connection that failed at the transport (dropped, refused) or did
    /// not answer in time leaves the pool here, and the next checkout makes a new one; both
    /// count as failures for the circuit, an answer of any kind as a success.
    fn settle<T>(
        &self,
        connection: Object<Manager>,
        admission: Admission,
        limit: Duration,
        result: Result<RedisResult<T>, tokio::time::error::Elapsed>,
    ) -> Result<T, InfraError> {
        match result {
            Ok(Ok(value)) => {
                self.breaker.succeeded(admission);
                Ok(value)
            }
            Ok(Err(error)) => {
                if error.is_io_error() || error.is_unrecoverable_error() || error.is_timeout() {
                    drop(Object::take(connection));
                    self.breaker.failed(admission);
                } else {
                    self.breaker.succeeded(admission);
                }
                Err(unavailable(&error))
            }
            Err(_) => {
                drop(Object::take(connection));
                self.breaker.failed(admission);
                Err(no_answer(limit))
            }
        }
    }
}

fn no_answer(limit: Duration) -> InfraError {
    InfraError::RedisUnavailable(format!("no answer within {} ms", limit.as_millis()))
}

fn unavailable(error: &RedisError) -> InfraError {
    InfraError::RedisUnavailable(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_circuit_opens_after_failures_in_a_row_and_one_probe_closes_it() {
        let breaker = Breaker::new(Duration::from_millis(30));
        // Two failures, a success: the count starts again.
        for _ in 0..2 {
            breaker.failed(breaker.admit().unwrap());
        }
        breaker.succeeded(breaker.admit().unwrap());
        for _ in 0..BREAKER_FAILURES {
            assert_eq!(breaker.admit().unwrap(), Admission::Normal);
            breaker.failed(Admission::Normal);
        }
        assert_eq!(breaker.circuit(), Circuit::Open);
        assert!(matches!(breaker.admit(), Err(InfraError::RedisCircuitOpen)));
        std::thread::sleep(Duration::from_millis(40));
        // The pause is over: one probe, the others still refused while it runs.
        assert_eq!(breaker.admit().unwrap(), Admission::Probe);
        assert!(breaker.admit().is_err());
        // A failed probe opens the circuit again for a full pause.
        breaker.failed(Admission::Probe);
        assert!(breaker.admit().is_err());
        std::thread::sleep(Duration::from_millis(40));
        let probe = breaker.admit().unwrap();
        assert_eq!(probe, Admission::Probe);
        breaker.succeeded(probe);
        assert_eq!(breaker.circuit(), Circuit::Closed);
        assert_eq!(breaker.admit().unwrap(), Admission::Normal);
    }
}
