//! Anthropic's Messages API: `POST /v1/messages` with `x-api-key` and `anthropic-version`,
//! structured output through a forced tool call, streaming over Server-Sent Events.

use http::{HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};
use socrates_domain::LlmProviderKind;
use tokio::time::Instant;

use crate::client::LlmClient;
use crate::config::ProviderConfig;
use crate::core::ProviderCore;
use crate::error::LlmError;
use crate::stream::{EventDecoder, Framing, StreamEvent, parse_payload};
use crate::transport::secret_header;
use crate::types::{Completion, CompletionRequest, TextStream};

/// The Messages API version this client speaks.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// A client of Anthropic's Messages API. It needs an API key.
pub struct ClaudeClient {
    core: ProviderCore,
}

impl ClaudeClient {
    /// A client for `config`; fails without an API key or with an unusable base URL.
    pub fn new(config: ProviderConfig) -> Result<Self, LlmError> {
        let api_key = config
            .api_key
            .as_deref()
            .filter(|key| !key.trim().is_empty())
            .ok_or_else(|| LlmError::Configuration("Claude needs an API key".to_owned()))?;
        let mut headers = HeaderMap::new();
        let (name, value) = secret_header("x-api-key", api_key.trim())?;
        headers.insert(name, value);
        headers.insert(
            "anthropic-version",
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        Ok(Self {
            core: ProviderCore::new(LlmProviderKind::Claude, config, headers)?,
        })
    }

    fn body(&self, request: &CompletionRequest, stream: bool) -> Value {
        let messages: Vec<Value> = request
            .messages
            .iter()
            .map(|message| json!({"role": message.role.as_str(), "content": message.content}))
            .collect();
        let mut body = json!({
            "model": self.core.model(),
            "max_tokens": request.max_tokens,
            "messages": messages,
        });
        if let Some(system) = &request.system {
            body["system"] = json!(system);
        }
        if let Some(temperature) = request.temperature {
            body["temperature"] = json!(temperature);
        }
        if let Some(structured) = &request.structured_output {
            body["tools"] = json!([{
                "name": structured.name,
                "description": structured.description,
                "input_schema": structured.schema,
            }]);
            body["tool_choice"] = json!({"type": "tool", "name": structured.name});
        }
        if stream {
            body["stream"] = json!(true);
        }
        body
    }
}

#[async_trait::async_trait]
impl LlmClient for ClaudeClient {
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion, LlmError> {
        request.validate()?;
        let started = Instant::now();
        let response: MessagesResponse = self
            .core
            .post_json("/v1/messages", &self.body(request, false), request)
            .await?;
        let mut text = String::new();
        let mut structured = None;
        for block in response.content {
            match block {
                ContentBlock::Text { text: piece } => text.push_str(&piece),
                ContentBlock::ToolUse { name, input } => {
                    let wanted = request.structured_output.as_ref();
                    if wanted.is_some_and(|wanted| wanted.name == name) {
                        structured = Some(input);
                    }
                }
                ContentBlock::Other => {}
            }
        }
        if request.structured_output.is_some() {
            let Some(value) = &structured else {
                return Err(LlmError::InvalidResponse(
                    "the claude answer has no call of the requested tool".to_owned(),
                ));
            };
            if text.trim().is_empty() {
                text = value.to_string();
            }
        }
        Ok(Completion {
            text,
            structured,
            usage: self.core.usage(
                response.usage.input_total(),
                response.usage.output_tokens,
                started,
            ),
            stop_reason: response.stop_reason,
        })
    }

    async fn stream(&self, request: &CompletionRequest) -> Result<TextStream, LlmError> {
        request.validate()?;
        self.core
            .post_stream(
                "/v1/messages",
                &self.body(request, true),
                request,
                Framing::ServerSentEvents,
                || ClaudeDecoder,
            )
            .await
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let page: ModelPage = self.core.get_json("/v1/models?limit=1000", true).await?;
        Ok(page.data.into_iter().map(|model| model.id).collect())
    }

    async fn probe(&self) -> Result<(), LlmError> {
        let _page: ModelPage = self.core.get_json("/v1/models?limit=1", false).await?;
        Ok(())
    }

    fn provider(&self) -> LlmProviderKind {
        self.core.provider()
    }

    fn model(&self) -> &str {
        self.core.model()
    }
}

#[derive(Deserialize)]
struct MessagesResponse {
    content: Vec<ContentBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    usage: ClaudeUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ContentBlock {
    Text {
        text: String,
    },
    ToolUse {
        name: String,
        input: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default)]
struct ClaudeUsage {
    #[serde(default)]
    input_tokens: u32,
    #[serde(default)]
    output_tokens: u32,
    #[serde(default)]
    cache_creation_input_tokens: Option<u32>,
    #[serde(default)]
    cache_read_input_tokens: Option<u32>,
}

impl ClaudeUsage {
    /// Every input token the model read: fresh, written to the cache and read from it.
    fn input_total(&self) -> u32 {
        self.input_tokens
            .saturating_add(self.cache_creation_input_tokens.unwrap_or(0))
            .saturating_add(self.cache_read_input_tokens.unwrap_or(0))
    }
}

#[derive(Deserialize)]
struct ModelPage {
    data: Vec<ModelEntry>,
}

#[derive(Deserialize)]
struct ModelEntry {
    id: String,
}

/// Reads the Messages streaming events: `message_start` (input tokens),
/// `content_block_delta` (text, or the tool input's JSON for structured output),
/// `message_delta` (stop reason, output tokens), `message_stop` (the end) and `error`.
struct ClaudeDecoder;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClaudeEvent {
    MessageStart {
        message: StartedMessage,
    },
    ContentBlockDelta {
        delta: BlockDelta,
    },
    MessageDelta {
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: Option<StreamUsage>,
    },
    MessageStop,
    Error {
        error: ErrorBody,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct StartedMessage {
    #[serde(default)]
    usage: Option<StreamUsage>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct StreamUsage {
    #[serde(default)]
    input_tokens: Option<u32>,
    #[serde(default)]
    output_tokens: Option<u32>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u32>,
    #[serde(default)]
    cache_read_input_tokens: Option<u32>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    message: String,
}

impl StreamUsage {
    fn push_events(&self, events: &mut Vec<StreamEvent>) {
        if let Some(input) = self.input_tokens {
            let total = input
                .saturating_add(self.cache_creation_input_tokens.unwrap_or(0))
                .saturating_add(self.cache_read_input_tokens.unwrap_or(0));
            events.push(StreamEvent::InputTokens(total));
        }
        if let Some(output) = self.output_tokens {
            events.push(StreamEvent::OutputTokens(output));
        }
    }
}

impl EventDecoder for ClaudeDecoder {
    fn decode(&mut self, payload: &str, events: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        match parse_payload::<ClaudeEvent>("claude", payload)? {
            ClaudeEvent::MessageStart { message } => {
                if let Some(usage) = message.usage {
                    usage.push_events(events);
                }
            }
            ClaudeEvent::ContentBlockDelta { delta } => match delta {
                BlockDelta::TextDelta { text } => events.push(StreamEvent::Text(text)),
                BlockDelta::InputJsonDelta { partial_json } => {
                    events.push(StreamEvent::Text(partial_json));
                }
                BlockDelta::Other => {}
            },
            ClaudeEvent::MessageDelta { delta, usage } => {
                if let Some(reason) = delta.stop_reason {
                    events.push(StreamEvent::StopReason(reason));
                }
                if let Some(usage) = usage {
                    usage.push_events(events);
                }
            }
            ClaudeEvent::MessageStop => events.push(StreamEvent::End),
            ClaudeEvent::Error { error } => {
                return Err(LlmError::from_status(
                    status_of_error_type(&error.kind),
                    None,
                    crate::error::shorten(&error.message, 300),
                ));
            }
            ClaudeEvent::Other => {}
        }
        Ok(())
    }
}

/// The HTTP status Anthropic documents for each error type, so an error event in a stream is
/// classified like the same error before it.
fn status_of_error_type(kind: &str) -> u16 {
    match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_events_decode() {
        let mut decoder = ClaudeDecoder;
        let mut events = Vec::new();
        let payloads = [
            r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"usage":{"input_tokens":25,"cache_read_input_tokens":5,"output_tokens":1}}}"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#,
            r#"{"type":"message_stop"}"#,
        ];
        for payload in payloads {
            decoder.decode(payload, &mut events).unwrap();
        }
        assert_eq!(
            events,
            [
                StreamEvent::InputTokens(30),
                StreamEvent::OutputTokens(1),
                StreamEvent::Text("Hi".into()),
                StreamEvent::Text("{\"a\":".into()),
                StreamEvent::StopReason("end_turn".into()),
                StreamEvent::OutputTokens(15),
                StreamEvent::End,
            ]
        );
    }

    #[test]
    fn error_events_classify_like_statuses() {
        let mut events = Vec::new();
        let overloaded = ClaudeDecoder
            .decode(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                &mut events,
            )
            .unwrap_err();
        assert!(matches!(overloaded, LlmError::Upstream { status: 529, .. }));
        assert!(overloaded.is_retryable());
        let limited = ClaudeDecoder
            .decode(
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#,
                &mut events,
            )
            .unwrap_err();
        assert!(matches!(limited, LlmError::RateLimited { .. }));
    }
}
