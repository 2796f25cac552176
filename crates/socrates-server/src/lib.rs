//! The Socrates server: settings, telemetry and the wiring of every crate into one process,
//! with the `serve` and `migrate` commands.
//!
//! It owns composition only — which database, which reasoner, which listener — and the
//! start-up and shutdown sequence. It must never hold business rules or queries: those live in
//! the agents and persistence crates, and HTTP handling lives in the api crate.

#![warn(missing_docs)]

pub mod cli;
pub mod healthcheck;
pub mod migrate;
pub mod otlp;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod version;
pub mod wiring;

pub use settings::Settings;
pub use startup::Application;
