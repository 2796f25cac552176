//! The Redis connection pool (deadpool-redis) and the atomic operations Socrates runs on it.

use std::time::Duration;

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
    script: Script,
    cache_get: Script,
    cache_put: Script,
    cache_invalidate: Script,
}

impl std::fmt::Debug for RedisPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPool")
            .field("status", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl RedisPool {
    /// Builds the pool and checks that Redis answers.
    pub async fn connect(
        url: &str,
        max_connections: usize,
        timeout: Duration,
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
            script: Script::new(GCRA_SCRIPT),
            cache_get: Script::new(CACHE_GET_SCRIPT),
            cache_put: Script::new(CACHE_PUT_SCRIPT),
            cache_invalidate: Script::new(CACHE_INVALIDATE_SCRIPT),
        };
        redis.ping().await?;
        Ok(redis)
    }

    /// Checks that Redis answers `PONG`.
    pub async fn ping(&self) -> Result<(), InfraError> {
        let mut connection = self.connection().await?;
        let answer = deadpool_redis::redis::cmd("PING")
            .query_async::<String>(&mut *connection)
            .await;
        let answer = Self::settle(connection, answer)?;
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
        let mut connection = self.connection().await?;
        let waited = self
            .script
            .key(key)
            .arg(now_us)
            .arg(interval_us)
            .arg(tolerance_us)
            .arg(ttl_ms)
            .invoke_async(&mut *connection)
            .await;
        Self::settle(connection, waited)
    }

    /// The generation of cache scope `key` and the value of `view` stored at it.
    pub async fn cache_get(
        &self,
        key: &str,
        view: &str,
    ) -> Result<(u64, Option<Vec<u8>>), InfraError> {
        let mut connection = self.connection().await?;
        let found = self
            .cache_get
            .key(key)
            .arg(view)
            .invoke_async::<(String, Option<Vec<u8>>)>(&mut *connection)
            .await;
        let (generation, value) = Self::settle(connection, found)?;
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
        let mut connection = self.connection().await?;
        let stored = self
            .cache_put
            .key(key)
            .arg(generation.to_string())
            .arg(view)
            .arg(value)
            .arg(ttl_ms)
            .invoke_async::<i64>(&mut *connection)
            .await;
        Ok(Self::settle(connection, stored)? == 1)
    }

    /// Moves scope `key` to its next generation, dropping its views.
    pub async fn cache_invalidate(&self, key: &str, ttl_ms: u64) -> Result<(), InfraError> {
        let mut connection = self.connection().await?;
        let generation = self
            .cache_invalidate
            .key(key)
            .arg(ttl_ms)
            .invoke_async::<i64>(&mut *connection)
            .await;
        Self::settle(connection, generation).map(|_| ())
    }

    async fn connection(&self) -> Result<Object<Manager>, InfraError> {
        self.pool
            .get()
            .await
            .map_err(|error| InfraError::RedisUnavailable(error.to_string()))
    }

    /// A command's result; a connection that failed at the transport (dropped, timed out,
    /// refused) leaves the pool here, and the next checkout makes a new one.
    fn settle<T>(connection: Object<Manager>, result: RedisResult<T>) -> Result<T, InfraError> {
        result.map_err(|error| {
            if error.is_io_error() || error.is_unrecoverable_error() || error.is_timeout() {
                drop(Object::take(connection));
            }
            unavailable(&error)
        })
    }
}

fn unavailable(error: &RedisError) -> InfraError {
    InfraError::RedisUnavailable(error.to_string())
}
