//! Ollama's native API: `POST /api/chat` with `format` for structured output and streaming as
//! newline-delimited JSON, the last object carrying `done: true` and the token counts.

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

/// A client of an Ollama server. A key, when set, is sent as a bearer token (for an Ollama
/// behind an authenticating proxy).
pub struct OllamaClient {
    core: ProviderCore,
}

impl OllamaClient {
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
            core: ProviderCore::new(LlmProviderKind::Ollama, config, headers)?,
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
        let mut options = json!({"num_predict": request.max_tokens});
        if let Some(temperature) = request.temperature {
            options["temperature"] = json!(temperature);
        }
        let mut body = json!({
            "model": self.core.model(),
            "messages": messages,
            "stream": stream,
            "options": options,
        });
        if let Some(structured) = &request.structured_output {
            body["format"] = structured.schema.clone();
        }
        body
    }
}

#[async_trait::async_trait]
impl LlmClient for OllamaClient {
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion, LlmError> {
        request.validate()?;
        let started = Instant::now();
        let response: ChatLine = self
            .core
            .post_json("/api/chat", &self.body(request, false), request)
            .await?;
        if let Some(error) = response.error {
            return Err(LlmError::Upstream {
                status: 500,
                message: shorten(&error, 300),
            });
        }
        let text = response
            .message
            .ok_or_else(|| {
                LlmError::InvalidResponse("the ollama answer has no message".to_owned())
            })?
            .content;
        let structured = match request.structured_output {
            Some(_) => Some(parse_structured(LlmProviderKind::Ollama, &text)?),
            None => None,
        };
        Ok(Completion {
            text,
            structured,
            usage: self.core.usage(
                response.prompt_eval_count.unwrap_or(0),
                response.eval_count.unwrap_or(0),
                started,
            ),
            stop_reason: response.done_reason,
        })
    }

    async fn stream(&self, request: &CompletionRequest) -> Result<TextStream, LlmError> {
        request.validate()?;
        self.core
            .post_stream(
                "/api/chat",
                &self.body(request, true),
                request,
                Framing::NewlineDelimitedJson,
                || OllamaDecoder,
            )
            .await
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let tags: Tags = self.core.get_json("/api/tags", true).await?;
        Ok(tags.models.into_iter().map(|model| model.name).collect())
    }

    async fn probe(&self) -> Result<(), LlmError> {
        let _tags: Tags = self.core.get_json("/api/tags", false).await?;
        Ok(())
    }

    fn provider(&self) -> LlmProviderKind {
        self.core.provider()
    }

    fn model(&self) -> &str {
        self.core.model()
    }
}

/// One `/api/chat` object: the whole answer, or one line of a stream.
#[derive(Deserialize)]
struct ChatLine {
    #[serde(default)]
    message: Option<LineMessage>,
    #[serde(default)]
    done: bool,
    #[serde(default)]
    done_reason: Option<String>,
    #[serde(default)]
    prompt_eval_count: Option<u32>,
    #[serde(default)]
    eval_count: Option<u32>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct LineMessage {
    #[serde(default)]
    content: String,
}

#[derive(Deserialize)]
struct Tags {
    models: Vec<TagEntry>,
}

#[derive(Deserialize)]
struct TagEntry {
    name: String,
}

/// Reads the NDJSON lines of a streamed `/api/chat`.
struct OllamaDecoder;

impl EventDecoder for OllamaDecoder {
    fn decode(&mut self, payload: &str, events: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        let line: ChatLine = parse_payload("ollama", payload)?;
        if let Some(error) = line.error {
            return Err(LlmError::Upstream {
                status: 500,
                message: shorten(&error, 300),
            });
        }
        if let Some(message) = line.message {
            events.push(StreamEvent::Text(message.content));
        }
        if line.done {
            if let Some(reason) = line.done_reason {
                events.push(StreamEvent::StopReason(reason));
            }
            events.push(StreamEvent::InputTokens(
                line.prompt_eval_count.unwrap_or(0),
            ));
            events.push(StreamEvent::OutputTokens(line.eval_count.unwrap_or(0)));
            events.push(StreamEvent::End);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_decode() {
        let mut events = Vec::new();
        let lines = [
            r#"{"model":"llama3.2","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"Hi"},"done":false}"#,
            r#"{"model":"llama3.2","created_at":"2025-01-01T00:00:01Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":1,"prompt_eval_count":26,"eval_count":3}"#,
        ];
        for line in lines {
            OllamaDecoder.decode(line, &mut events).unwrap();
        }
        assert_eq!(
            events,
            [
                StreamEvent::Text("Hi".into()),
                StreamEvent::Text(String::new()),
                StreamEvent::StopReason("stop".into()),
                StreamEvent::InputTokens(26),
                StreamEvent::OutputTokens(3),
                StreamEvent::End,
            ]
        );
        let error = OllamaDecoder
            .decode(r#"{"error":"model runner crashed"}"#, &mut events)
            .unwrap_err();
        assert!(matches!(error, LlmError::Upstream { .. }));
    }
}
