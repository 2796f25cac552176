//! The process-wide infrastructure every layer above storage shares, each piece behind a trait
//! with an in-process implementation (the embedded default) and a Redis one (production):
//!
//! - [`clock`]: where "now" comes from, so expiry rules are tested by moving a clock;
//! - [`metrics`]: the Prometheus registry of the service and every metric in it;
//! - [`redis`]: the Redis pool and the atomic scripts run on it;
//! - [`cache`]: the generational view cache's storage;
//! - [`rate_limit`]: GCRA rate limiting, per process or shared by every instance.
//!
//! It knows nothing of HTTP, SQL, agents or accounts: what is cached, what is limited and what
//! is measured is decided by the crates above.

#![warn(missing_docs)]

pub mod cache;
pub mod clock;
mod error;
pub mod metrics;
pub mod rate_limit;
pub mod redis;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::InfraError;
