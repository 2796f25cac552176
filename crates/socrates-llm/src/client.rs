//! The one trait every provider implements; `factory.rs` picks the implementation.

use socrates_domain::LlmProviderKind;

use crate::error::LlmError;
use crate::types::{Completion, CompletionRequest, TextStream};

/// A chat model behind some provider's API. Every call is timed out, retried on transient
/// failures and reports its [`Usage`](crate::Usage); implementations hold no lock and no
/// database connection while waiting on the network.
#[async_trait::async_trait]
pub trait LlmClient: Send + Sync {
    /// Asks for a complete answer. With
    /// [`structured_output`](CompletionRequest::structured_output) the answer's
    /// [`structured`](Completion::structured) field holds the parsed JSON value, or the call
    /// fails with [`LlmError::InvalidResponse`].
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion, LlmError>;

    /// Asks for an answer delivered piece by piece: text deltas in order, then
    /// [`StreamChunk::Finished`](crate::StreamChunk::Finished) with the usage. Failures before
    /// the first piece are retried like [`complete`](Self::complete); a stream that breaks
    /// off later yields one error and ends.
    async fn stream(&self, request: &CompletionRequest) -> Result<TextStream, LlmError>;

    /// The models the provider offers, by the names it expects in requests.
    async fn list_models(&self) -> Result<Vec<String>, LlmError>;

    /// A cheap check that the provider answers and accepts our credentials (one attempt at
    /// listing the models, no retries), for `/health`.
    async fn probe(&self) -> Result<(), LlmError>;

    /// Which provider this client talks to.
    fn provider(&self) -> LlmProviderKind;

    /// The configured model.
    fn model(&self) -> &str;
}
