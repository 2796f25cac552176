//! What the three providers share: the transport, the retry loop around it, decoding of
//! success bodies, usage accounting and the scrubbing of secrets from errors.

use std::sync::Arc;

use http::{HeaderMap, Method};
use serde::de::DeserializeOwned;
use socrates_domain::LlmProviderKind;
use tokio::time::Instant;

use crate::config::{ProviderConfig, RetryPolicy};
use crate::error::{LlmError, shorten};
use crate::pricing::PriceTable;
use crate::retry::{Failure, with_retries};
use crate::stream::{ChunkStream, EventDecoder, Framing, StreamContext};
use crate::transport::Transport;
use crate::types::{CompletionRequest, TextStream, Usage};

/// One configured connection to a provider.
pub(crate) struct ProviderCore {
    provider: LlmProviderKind,
    model: String,
    api_key: Option<String>,
    transport: Transport,
    retry: RetryPolicy,
    prices: Arc<PriceTable>,
}

impl ProviderCore {
    /// Builds the transport for `config`, sending `headers` (authentication, API version)
    /// with every request.
    pub(crate) fn new(
        provider: LlmProviderKind,
        config: ProviderConfig,
        headers: HeaderMap,
    ) -> Result<Self, LlmError> {
        if config.model.trim().is_empty() {
            return Err(LlmError::Configuration(format!(
                "no model is configured for {provider}"
            )));
        }
        if config.timeout.is_zero() {
            return Err(LlmError::Configuration(
                "the timeout must not be zero".to_owned(),
            ));
        }
        let transport = Transport::new(&config.base_url, headers, config.timeout)?;
        Ok(Self {
            provider,
            model: config.model,
            api_key: config.api_key,
            transport,
            retry: config.retry,
            prices: Arc::new(config.prices),
        })
    }

    pub(crate) const fn provider(&self) -> LlmProviderKind {
        self.provider
    }

    pub(crate) fn model(&self) -> &str {
        &self.model
    }

    /// POSTs `body` and decodes the success body as `T`, retrying transient failures.
    pub(crate) async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
        request: &CompletionRequest,
    ) -> Result<T, LlmError> {
        let result = with_retries(&self.retry, "complete", || async move {
            let bytes = self.transport.fetch(Method::POST, path, Some(body)).await?;
            self.decode::<T>(&bytes).map_err(Failure::from)
        })
        .await;
        result.map_err(|error| error.redacted(&self.secrets(Some(request))))
    }

    /// GETs `path` and decodes the success body as `T`; with `retry` false, one attempt only
    /// (health probes must answer quickly).
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        retry: bool,
    ) -> Result<T, LlmError> {
        let policy = if retry {
            self.retry
        } else {
            RetryPolicy::no_retries()
        };
        let result = with_retries(&policy, "list_models", || async move {
            let bytes = self.transport.fetch(Method::GET, path, None).await?;
            self.decode::<T>(&bytes).map_err(Failure::from)
        })
        .await;
        result.map_err(|error| error.redacted(&self.secrets(None)))
    }

    /// POSTs `body` and streams the answer. Failures are retried until the first chunk has
    /// been decoded; after that an error ends the stream.
    pub(crate) async fn post_stream<D, F>(
        &self,
        path: &str,
        body: &serde_json::Value,
        request: &CompletionRequest,
        framing: Framing,
        new_decoder: F,
    ) -> Result<TextStream, LlmError>
    where
        D: EventDecoder,
        F: Fn() -> D,
    {
        let secrets: Arc<[String]> = self.secrets(Some(request)).into();
        let context = StreamContext {
            provider: self.provider,
            model: self.model.clone(),
            prices: Arc::clone(&self.prices),
            started: Instant::now(),
            idle_timeout: self.transport.timeout(),
            secrets: Arc::clone(&secrets),
        };
        let (context, new_decoder) = (&context, &new_decoder);
        let result = with_retries(&self.retry, "stream", || async move {
            let response = self.transport.open(Method::POST, path, Some(body)).await?;
            let mut chunks = ChunkStream::new(
                response.into_body(),
                framing,
                new_decoder(),
                context.clone(),
            );
            match chunks.next_chunk().await {
                Some(Ok(first)) => Ok(chunks.into_text_stream(first)),
                Some(Err(error)) => Err(Failure::from(error)),
                None => Err(Failure::from(LlmError::InvalidResponse(
                    "the stream was empty".to_owned(),
                ))),
            }
        })
        .await;
        result.map_err(|error| error.redacted(&secrets))
    }

    /// The usage of a complete answer that took from `started` until now.
    pub(crate) fn usage(&self, input_tokens: u32, output_tokens: u32, started: Instant) -> Usage {
        Usage {
            provider: self.provider,
            model: self.model.clone(),
            input_tokens,
            output_tokens,
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            cost_usd: self
                .prices
                .cost(self.provider, &self.model, input_tokens, output_tokens),
        }
    }

    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, LlmError> {
        serde_json::from_slice(bytes).map_err(|error| {
            let detail = if error.is_data() {
                format!("unexpected shape: {}", shorten(&error.to_string(), 200))
            } else {
                format!(
                    "not JSON (line {}, column {})",
                    error.line(),
                    error.column()
                )
            };
            LlmError::InvalidResponse(format!("the {} answer is {detail}", self.provider))
        })
    }

    /// The strings that must never appear in an error: the key and the prompt.
    fn secrets(&self, request: Option<&CompletionRequest>) -> Vec<String> {
        let mut secrets: Vec<String> = self.api_key.iter().cloned().collect();
        if let Some(request) = request {
            secrets.extend(request.system.iter().cloned());
            secrets.extend(
                request
                    .messages
                    .iter()
                    .map(|message| message.content.clone()),
            );
        }
        secrets
    }
}

/// Parses model output that should be the requested JSON value.
pub(crate) fn parse_structured(
    provider: LlmProviderKind,
    text: &str,
) -> Result<serde_json::Value, LlmError> {
    serde_json::from_str(text.trim()).map_err(|_| {
        LlmError::InvalidResponse(format!(
            "the {provider} structured output is not valid JSON"
        ))
    })
}
