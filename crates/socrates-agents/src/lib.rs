//! The Socratic agents of Socrates and the service container they live in.
//!
//! This crate owns the application's behaviour above storage: the [`ServiceContainer`] built
//! once by the server (databases, reasoner mode, and later the agent registry and
//! orchestrator), the health checks of every dependency, and — as later issues land — the
//! `Agent` trait, the orchestrator, the quality gate and the reasoners.
//!
//! It must never know about HTTP or actix-web: it takes domain values, returns domain values
//! and typed errors, and leaves status codes and JSON shapes to the api crate.

#![warn(missing_docs)]

pub mod agent;
pub mod agents;
pub mod container;
mod error;
pub mod health;
pub mod orchestrator;
pub mod privacy;
pub mod quality;
pub mod retention;
pub mod usage;
pub mod view_cache;

pub use agent::{Action, Agent, AgentContext, AgentError, Caller};
pub use container::{ContainerParts, RequestLimits, ServiceContainer};
pub use health::{CheckStatus, ComponentHealth, HealthChecks, HealthReport, OverallStatus};
