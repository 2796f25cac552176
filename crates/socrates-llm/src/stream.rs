//! Turning a streamed HTTP body into [`StreamChunk`]s: framing (Server-Sent Events or
//! newline-delimited JSON) is handled here, the meaning of each payload by a provider's
//! [`EventDecoder`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Body;
use socrates_domain::LlmProviderKind;
use tokio::time::{Instant, timeout};

use crate::error::LlmError;
use crate::pricing::PriceTable;
use crate::transport::chain;
use crate::types::{StreamChunk, TextStream, Usage};

/// A line longer than this without a newline is not a stream we understand.
const MAX_LINE_BYTES: usize = 1024 * 1024;

/// How payloads are cut out of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `data:` lines, an empty line ending each event (Anthropic, OpenAI).
    ServerSentEvents,
    /// One JSON document per line (Ollama).
    NewlineDelimitedJson,
}

/// What one payload means.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StreamEvent {
    /// The next piece of text.
    Text(String),
    /// Input tokens so far (the last value wins).
    InputTokens(u32),
    /// Output tokens so far (the last value wins).
    OutputTokens(u32),
    /// Why the model stopped.
    StopReason(String),
    /// The provider's end marker: the answer is complete.
    End,
}

/// A provider's reading of its stream payloads.
pub(crate) trait EventDecoder: Send + 'static {
    /// Decodes one SSE `data` payload or one NDJSON line into `events`.
    fn decode(&mut self, payload: &str, events: &mut Vec<StreamEvent>) -> Result<(), LlmError>;
}

/// What the stream needs to report usage at its end and to keep errors clean.
#[derive(Clone)]
pub(crate) struct StreamContext {
    pub(crate) provider: LlmProviderKind,
    pub(crate) model: String,
    pub(crate) prices: Arc<PriceTable>,
    pub(crate) started: Instant,
    pub(crate) idle_timeout: Duration,
    pub(crate) secrets: Arc<[String]>,
}

/// The decoding state of one streamed answer read from the HTTP body `B`.
pub(crate) struct ChunkStream<B, D> {
    body: B,
    framing: Framing,
    decoder: D,
    context: StreamContext,
    buffer: Vec<u8>,
    event_data: Option<String>,
    pending: VecDeque<Result<StreamChunk, LlmError>>,
    input_tokens: u32,
    output_tokens: u32,
    stop_reason: Option<String>,
    /// Set once the end marker, an error or the end of the body has been seen: nothing more
    /// is read, and the stream ends when `pending` is empty.
    closed: bool,
}

impl<B, D> ChunkStream<B, D>
where
    B: Body<Data = Bytes> + Unpin + Send + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
    D: EventDecoder,
{
    pub(crate) fn new(body: B, framing: Framing, decoder: D, context: StreamContext) -> Self {
        Self {
            body,
            framing,
            decoder,
            context,
            buffer: Vec::new(),
            event_data: None,
            pending: VecDeque::new(),
            input_tokens: 0,
            output_tokens: 0,
            stop_reason: None,
            closed: false,
        }
    }

    /// The next chunk, or `None` after [`StreamChunk::Finished`] or an error.
    pub(crate) async fn next_chunk(&mut self) -> Option<Result<StreamChunk, LlmError>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item.map_err(|error| self.clean(error)));
            }
            if self.closed {
                return None;
            }
            match timeout(self.context.idle_timeout, self.body.frame()).await {
                Err(_) => self.fail(LlmError::Timeout),
                Ok(Some(Err(error))) => self.fail(LlmError::Connection(format!(
                    "the stream broke off: {}",
                    chain(&error)
                ))),
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                        self.consume_lines();
                    }
                }
                Ok(None) => {
                    // The body ended; a last line without its newline still counts.
                    if !self.buffer.is_empty() {
                        let rest = std::mem::take(&mut self.buffer);
                        self.line(&rest);
                    }
                    if self.framing == Framing::ServerSentEvents {
                        self.line(b"");
                    }
                    if !self.closed {
                        self.fail(LlmError::InvalidResponse(
                            "the stream ended before the provider's end marker".to_owned(),
                        ));
                    }
                }
            }
        }
    }

    /// Turns the decoder into a [`TextStream`] that starts with `first`.
    pub(crate) fn into_text_stream(self, first: StreamChunk) -> TextStream {
        let rest = futures_util::stream::unfold(self, |mut stream| async move {
            stream.next_chunk().await.map(|item| (item, stream))
        });
        Box::pin(futures_util::StreamExt::chain(
            futures_util::stream::iter([Ok(first)]),
            rest,
        ))
    }

    fn clean(&self, error: LlmError) -> LlmError {
        error.redacted(&self.context.secrets)
    }

    fn fail(&mut self, error: LlmError) {
        self.pending.push_back(Err(error));
        self.closed = true;
    }

    fn consume_lines(&mut self) {
        while !self.closed {
            let Some(newline) = self.buffer.iter().position(|&byte| byte == b'\n') else {
                if self.buffer.len() > MAX_LINE_BYTES {
                    self.fail(LlmError::InvalidResponse(
                        "a stream line exceeds 1 MiB".to_owned(),
                    ));
                }
                return;
            };
            let line: Vec<u8> = self.buffer.drain(..=newline).collect();
            self.line(&line[..newline]);
        }
    }

    fn line(&mut self, raw: &[u8]) {
        if self.closed {
            return;
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else {
            self.fail(LlmError::InvalidResponse(
                "the stream is not valid UTF-8".to_owned(),
            ));
            return;
        };
        match self.framing {
            Framing::NewlineDelimitedJson => {
                if !line.trim().is_empty() {
                    self.payload(line);
                }
            }
            Framing::ServerSentEvents => {
                if line.is_empty() {
                    if let Some(data) = self.event_data.take() {
                        self.payload(&data);
                    }
                } else if let Some(value) = line.strip_prefix("data:") {
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match &mut self.event_data {
                        Some(data) => {
                            data.push('\n');
                            data.push_str(value);
                        }
                        None => self.event_data = Some(value.to_owned()),
                    }
                }
                // Comments (`:`), `event:`, `id:` and `retry:` lines carry nothing we need:
                // every payload names its own type.
            }
        }
    }

    fn payload(&mut self, payload: &str) {
        let mut events = Vec::new();
        if let Err(error) = self.decoder.decode(payload, &mut events) {
            self.fail(error);
            return;
        }
        for event in events {
            match event {
                StreamEvent::Text(text) if !text.is_empty() => {
                    self.pending.push_back(Ok(StreamChunk::Delta(text)));
                }
                StreamEvent::Text(_) => {}
                StreamEvent::InputTokens(tokens) => self.input_tokens = tokens,
                StreamEvent::OutputTokens(tokens) => self.output_tokens = tokens,
                StreamEvent::StopReason(reason) => self.stop_reason = Some(reason),
                StreamEvent::End => {
                    let usage = self.usage();
                    self.pending.push_back(Ok(StreamChunk::Finished {
                        usage,
                        stop_reason: self.stop_reason.take(),
                    }));
                    self.closed = true;
                    return;
                }
            }
        }
    }

    fn usage(&self) -> Usage {
        let context = &self.context;
        Usage {
            provider: context.provider,
            model: context.model.clone(),
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            latency_ms: u64::try_from(context.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            cost_usd: context.prices.cost(
                context.provider,
                &context.model,
                self.input_tokens,
                self.output_tokens,
            ),
        }
    }
}

/// Parses one JSON payload of a stream into `T`, as an [`LlmError::InvalidResponse`] when it
/// does not fit.
pub(crate) fn parse_payload<T: serde::de::DeserializeOwned>(
    provider: &str,
    payload: &str,
) -> Result<T, LlmError> {
    serde_json::from_str(payload).map_err(|error| {
        LlmError::InvalidResponse(format!(
            "a {provider} stream event is not the expected JSON (line {}, column {})",
            error.line(),
            error.column()
        ))
    })
}

#[cfg(test)]
mod tests;
