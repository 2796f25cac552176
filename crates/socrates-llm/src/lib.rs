//! Transport to language-model providers for Socrates: one async client trait with
//! implementations for Anthropic's Messages API, OpenAI-compatible chat completions and
//! Ollama, with timeouts, retries, typed errors and usage accounting.
//!
//! It owns the wire formats of the providers and nothing else. It must never know about
//! prompts, agents, databases or HTTP servers: callers hand it messages and get text, usage and
//! typed errors back. (The client lands with the LLM issue; until then the server runs the
//! offline reasoner and says so at start-up and in `/health`.)
