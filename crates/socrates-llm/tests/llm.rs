//! Integration tests of the provider clients: each talks to a local `wiremock` server that
//! replays its provider's real wire format, and the tests check both what the client returned
//! and the requests it sent.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions fail the test loudly"
)]

mod llm {
    pub mod behaviour;
    pub mod claude;
    pub mod ollama;
    pub mod openai;
    pub mod support;
}
