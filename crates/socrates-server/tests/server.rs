//! Integration tests of the server: the real application on port 0 with throw-away databases
//! (SQLite files, or PostgreSQL when `SOCRATES_TEST_POSTGRES_URL` is set), and the real binary
//! for start-up, configuration errors, migrations and graceful shutdown.

mod server {
    pub mod binary;
    pub mod health;
    pub mod support;
}
