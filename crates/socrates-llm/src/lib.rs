//! Transport to language-model providers for Socrates: one async client trait with
//! implementations for Anthropic's Messages API, OpenAI-compatible chat completions and
//! Ollama, with timeouts, retries, typed errors and usage accounting.
//!
//! It owns the wire formats of the providers and nothing else. It must never know about
//! prompts, agents, databases or HTTP servers: callers hand it messages and get text, usage and
//! typed errors back. Build a client with [`build_client`] from a [`ProviderConfig`]; recording
//! each call's [`Usage`] in `llm_usage_tracking` is the caller's job.

#![warn(missing_docs)]

mod claude;
mod client;
mod config;
mod core;
mod error;
mod factory;
mod ollama;
mod openai;
mod pricing;
mod retry;
mod stream;
mod transport;
mod types;

pub use claude::{ANTHROPIC_VERSION, ClaudeClient};
pub use client::LlmClient;
pub use config::{DEFAULT_TIMEOUT, ProviderConfig, RetryPolicy};
pub use error::LlmError;
pub use factory::build_client;
pub use ollama::OllamaClient;
pub use openai::OpenAiClient;
pub use pricing::{ModelPrice, PriceTable};
pub use types::{
    ChatMessage, ChatRole, Completion, CompletionRequest, StreamChunk, StructuredOutput,
    TextStream, Usage,
};
