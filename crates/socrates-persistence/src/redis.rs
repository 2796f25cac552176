//! The Redis connection pool (deadpool-redis) and the atomic operations Socrates runs on it.

use std::time::Duration;

use deadpool_redis::redis::Script;
use deadpool_redis::{Config, Pool, Runtime};

use crate::error::DbError;

/// GCRA in one atomic step. KEYS[1]: the key. ARGV: now (ms), emission interval (ms), burst
/// tolerance (ms), key lifetime (ms). Returns 0 when allowed (and records the event), else the
/// milliseconds to wait.
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

/// A pool of Redis connections.
#[derive(Clone)]
pub struct RedisPool {
    pool: Pool,
    script: Script,
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
    ) -> Result<Self, DbError> {
        let mut config = Config::from_url(url);
        let mut pool_config = deadpool_redis::PoolConfig::new(max_connections.max(1));
        pool_config.timeouts.wait = Some(timeout);
        pool_config.timeouts.create = Some(timeout);
        pool_config.timeouts.recycle = Some(timeout);
        config.pool = Some(pool_config);
        let pool = config.create_pool(Some(Runtime::Tokio1)).map_err(|error| {
            DbError::InvalidConfiguration {
                database: "redis",
                reason: format!("cannot use the Redis URL: {error}"),
            }
        })?;
        let redis = Self {
            pool,
            script: Script::new(GCRA_SCRIPT),
        };
        redis.ping().await?;
        Ok(redis)
    }

    /// Checks that Redis answers `PONG`.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut connection = self.connection().await?;
        let answer: String = deadpool_redis::redis::cmd("PING")
            .query_async(&mut connection)
            .await
            .map_err(|error| unavailable(&error))?;
        if answer == "PONG" {
            Ok(())
        } else {
            Err(DbError::Query(sea_orm::DbErr::Custom(format!(
                "unexpected PING answer {answer}"
            ))))
        }
    }

    /// Runs the GCRA rate-limit step for `key`; returns 0 when allowed, else ms to wait.
    pub async fn gcra(
        &self,
        key: &str,
        now_ms: u64,
        interval_ms: u64,
        tolerance_ms: u64,
        ttl_ms: u64,
    ) -> Result<u64, DbError> {
        let mut connection = self.connection().await?;
        self.script
            .key(key)
            .arg(now_ms)
            .arg(interval_ms)
            .arg(tolerance_ms)
            .arg(ttl_ms)
            .invoke_async(&mut connection)
            .await
            .map_err(|error| unavailable(&error))
    }

    async fn connection(&self) -> Result<deadpool_redis::Connection, DbError> {
        self.pool.get().await.map_err(|error| DbError::Unavailable {
            database: "redis",
            source: sea_orm::DbErr::Custom(error.to_string()),
        })
    }
}

fn unavailable(error: &deadpool_redis::redis::RedisError) -> DbError {
    DbError::Unavailable {
        database: "redis",
        source: sea_orm::DbErr::Custom(error.to_string()),
    }
}
