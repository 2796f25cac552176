//! Integration tests of the server: the real application on port 0 with throw-away databases
//! (SQLite files, or PostgreSQL when `SOCRATES_TEST_POSTGRES_URL` is set), and the real binary
//! for start-up, configuration errors, migrations and graceful shutdown.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions fail the test loudly"
)]

mod server {
    pub mod accounts;
    pub mod auth;
    pub mod binary;
    pub mod cache;
    pub mod chat;
    pub mod codegen;
    pub mod codegen_kill;
    pub mod codegen_model;
    pub mod conflicts;
    pub mod deadlines;
    pub mod docs;
    pub mod exports;
    pub mod facts;
    pub mod health;
    pub mod interview;
    pub mod interviews;
    pub mod journey;
    pub mod knowledge;
    pub mod learning;
    pub mod llm;
    pub mod llm_journey;
    pub mod metrics;
    pub mod otlp;
    pub mod panics;
    pub mod perimeter;
    pub mod personal_data;
    pub mod projects;
    pub mod quality;
    pub mod races;
    pub mod redis_outage;
    pub mod sentry;
    pub mod support;
    pub mod templates;
    pub mod validation;
}
