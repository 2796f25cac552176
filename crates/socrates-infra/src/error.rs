//! The one error of this crate: Redis could not be used, or a limiter could not be built.
//! Callers decide what it means — the view cache falls back to the database (logged and
//! counted), `/health` reports Redis as down, the server refuses to start with a bad URL.

use socrates_domain::{Code, ErrorCode};

/// Why the cache, the rate limiter or the Redis pool failed.
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    /// The Redis URL or the pool settings cannot be used.
    #[error("cannot use the Redis URL: {0}")]
    RedisConfiguration(String),
    /// Redis did not answer, timed out or failed a command.
    #[error("Redis is unavailable: {0}")]
    RedisUnavailable(String),
    /// Redis failed repeatedly and is not called until a probe succeeds (the circuit is
    /// open); the opening was logged once, so callers need not log each refusal.
    #[error(
        "Redis is unavailable: the circuit is open after repeated failures; Redis is not called \
         until a probe succeeds"
    )]
    RedisCircuitOpen,
    /// Redis answered something this code does not expect (a bug or a foreign key).
    #[error("unexpected answer from Redis: {0}")]
    RedisProtocol(String),
    /// A quota the limiter cannot enforce (zero events or a zero period).
    #[error("invalid rate-limit quota: {0}")]
    InvalidQuota(&'static str),
}

impl ErrorCode for InfraError {
    fn code(&self) -> Code {
        match self {
            Self::RedisConfiguration(_) | Self::InvalidQuota(_) => Code::ConfigurationError,
            Self::RedisUnavailable(_) | Self::RedisCircuitOpen | Self::RedisProtocol(_) => {
                Code::ServiceUnavailable
            }
        }
    }
}
