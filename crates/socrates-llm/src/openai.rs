//! OpenAI's Chat Completions API, which vLLM, LM Studio and the llama.cpp server also speak:
//! `POST /v1/chat/completions`, structured output through `response_format: json_schema`,
//! streaming over Server-Sent Events ending with `data: [DONE]`.

use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};
use socrates_domain::LlmProviderKind;
use tokio::time::Instant;

use crate::client::LlmClient;
use crate::config::ProviderConfig;
use crate::core::{ProviderCore, parse_structured};
use crate::error::{LlmError, shorten};
use crate::stream::{EventDecoder, Framing, StreamEvent, parse_payload};
use crate::transport::secret_header;
use crate::types::{Completion, CompletionRequest, TextStream};

/// A client of OpenAI or any OpenAI-compatible server. The key is optional: local servers
/// usually need none, and without one no `Authorization` header is sent.
pub struct OpenAiClient {
    core: ProviderCore,
}

impl OpenAiClient {
    /// A client for `config`; fails with an unusable base URL or key.
    pub fn new(config: ProviderConfig) -> Result<Self, LlmError> {
        let mut headers = HeaderMap::new();
        if let Some(key) = config
            .api_key
            .as_deref()
            .filter(|key| !key.trim().is_empty())
        {
            let (name, value) = secret_header("authorization", &format!("Bearer {}", key.trim()))?;
            headers.insert(name, value);
        }
        Ok(Self {
            core: ProviderCore::new(LlmProviderKind::Openai, config, headers)?,
        })
    }

    fn body(&self, request: &CompletionRequest, stream: bool) -> Value {
        let mut messages = Vec::with_capacity(request.messages.len() + 1);
        if let Some(system) = &request.system {
            messages.push(json!({"role": "system", "content": system}));
        }
        messages.extend(
            request
                .messages
                .iter()
                .map(|message| json!({"role": message.role.as_str(), "content": message.content})),
        );
        let mut body = json!({
            "model": self.core.model(),
            "messages": messages,
            "max_tokens": request.max_tokens,
        });
        if let Some(temperature) = request.temperature {
            body["temperature"] = json!(temperature);
        }
        if let Some(structured) = &request.structured_output {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {
                    "name": structured.name,
                    "description": structured.description,
                    "schema": structured.schema,
                    "strict": true,
                },
            });
        }
        if stream {
            body["stream"] = json!(true);
            body["stream_options"] = json!({"include_usage": true});
        }
        body
    }
}

#[async_trait::async_trait]
impl LlmClient for OpenAiClient {
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion, LlmError> {
        request.validate()?;
        let started = Instant::now();
        let response: ChatResponse = self
            .core
            .post_json("/v1/chat/completions", &self.body(request, false), request)
            .await?;
        let choice = response.choices.into_iter().next().ok_or_else(|| {
            LlmError::InvalidResponse("the openai answer has no choices".to_owned())
        })?;
        if choice.message.refusal.is_some() {
            return Err(LlmError::InvalidResponse(
                "the openai model refused to answer".to_owned(),
            ));
        }
        let text = choice.message.content.unwrap_or_default();
        let structured = match request.structured_output {
            Some(_) => Some(parse_structured(LlmProviderKind::Openai, &text)?),
            None => None,
        };
        let usage = response.usage.unwrap_or_default();
        Ok(Completion {
            text,
            structured,
            usage: self
                .core
                .usage(usage.prompt_tokens, usage.completion_tokens, started),
            stop_reason: choice.finish_reason,
        })
    }

    async fn stream(&self, request: &CompletionRequest) -> Result<TextStream, LlmError> {
        request.validate()?;
        self.core
            .post_stream(
                "/v1/chat/completions",
                &self.body(request, true),
                request,
                Framing::ServerSentEvents,
                || OpenAiDecoder,
            )
            .await
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let list: ModelList = self.core.get_json("/v1/models", true).await?;
        Ok(list.data.into_iter().map(|model| model.id).collect())
    }

    async fn probe(&self) -> Result<(), LlmError> {
        let _list: ModelList = self.core.get_json("/v1/models", false).await?;
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
struct ChatResponse {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<TokenUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct AnswerMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

/// Some compatible servers report no usage; then the call counts zero tokens.
#[derive(Deserialize, Default)]
struct TokenUsage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

#[derive(Deserialize)]
struct ModelList {
    data: Vec<ModelEntry>,
}

#[derive(Deserialize)]
struct ModelEntry {
    id: String,
}

/// Reads `chat.completion.chunk` payloads (text in `choices[0].delta.content`, the usage in
/// a last chunk without choices) and the `[DONE]` marker.
struct OpenAiDecoder;

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<TokenUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<ChunkDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChunkDelta {
    #[serde(default)]
    content: Option<String>,
}

impl EventDecoder for OpenAiDecoder {
    fn decode(&mut self, payload: &str, events: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        if payload.trim() == "[DONE]" {
            events.push(StreamEvent::End);
            return Ok(());
        }
        let chunk: Chunk = parse_payload("openai", payload)?;
        if let Some(error) = chunk.error {
            let message = error.get("message").and_then(Value::as_str).map_or_else(
                || "error in the stream".to_owned(),
                |text| shorten(text, 300),
            );
            return Err(LlmError::Upstream {
                status: 500,
                message,
            });
        }
        if let Some(choice) = chunk.choices.into_iter().next() {
            if let Some(text) = choice.delta.and_then(|delta| delta.content) {
                events.push(StreamEvent::Text(text));
            }
            if let Some(reason) = choice.finish_reason {
                events.push(StreamEvent::StopReason(reason));
            }
        }
        if let Some(usage) = chunk.usage {
            events.push(StreamEvent::InputTokens(usage.prompt_tokens));
            events.push(StreamEvent::OutputTokens(usage.completion_tokens));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_decode() {
        let mut events = Vec::new();
        let payloads = [
            r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#,
            r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#,
            "[DONE]",
        ];
        for payload in payloads {
            OpenAiDecoder.decode(payload, &mut events).unwrap();
        }
        assert_eq!(
            events,
            [
                StreamEvent::Text(String::new()),
                StreamEvent::Text("Hel".into()),
                StreamEvent::StopReason("stop".into()),
                StreamEvent::InputTokens(9),
                StreamEvent::OutputTokens(2),
                StreamEvent::End,
            ]
        );
        let error = OpenAiDecoder
            .decode(r#"{"error":{"message":"server overloaded"}}"#, &mut events)
            .unwrap_err();
        assert!(error.is_retryable());
    }
}
