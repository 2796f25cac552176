//! Integration tests of `socrates-persistence`: migrations of both databases, the CHECK
//! constraints against the domain enums, and every repository.
//!
//! Every test builds its own [`TestDatabases`](socrates_persistence::testing::TestDatabases):
//! fresh SQLite files by default, fresh PostgreSQL databases when `SOCRATES_TEST_POSTGRES_URL`
//! is set. Nothing is shared between tests.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions fail the test loudly"
)]

// The test modules live in `tests/persistence/`, one file per repository or concern.
mod persistence {
    mod auth;
    mod check_constraints;
    mod check_constraints_specs;
    mod conflicts;
    mod conversation;
    mod durability;
    mod enum_values;
    mod generations;
    mod llm_usage;
    mod maturity;
    mod migrations;
    mod projects;
    mod questions;
    mod sessions;
    mod specifications;
    mod support;
    mod writes;
}
