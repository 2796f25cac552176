//! The Socratic agents of Socrates and the service container they live in.
//!
//! Each agent (`agents/`) offers typed actions — a request type with its result type — that
//! run through the [`Orchestrator`](orchestrator::Orchestrator): it checks the account before
//! writes, runs the quality gate before and after, opens a tracing span and times every action.
//! The [`ServiceContainer`] is built once by the server and holds every dependency: both
//! databases, the reasoner, the auth service, the cache, the rate limiter, the health checks.
//!
//! It must never know about HTTP or actix-web: it takes domain values, returns typed results
//! and [`AgentError`]s, and leaves status codes and JSON shapes to the api crate.

#![warn(missing_docs)]

pub mod agent;
pub mod agents;
pub mod codegen_model;
pub mod codegen_worker;
pub mod container;
mod error;
pub mod health;
pub mod learning;
pub mod orchestrator;
pub mod privacy;
pub mod quality;
pub mod retention;
pub mod usage;
pub mod view_cache;

pub use agent::{Action, Agent, AgentContext, AgentError, Caller};
pub use container::{ContainerParts, RequestLimits, ServiceContainer};
pub use health::{CheckStatus, ComponentHealth, HealthChecks, HealthReport, OverallStatus};
