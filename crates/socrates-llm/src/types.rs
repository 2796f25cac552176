//! What callers hand to a client and what they get back, independent of any provider's wire
//! format.

use std::fmt;
use std::pin::Pin;

use futures_util::Stream;
use socrates_domain::LlmProviderKind;

use crate::error::LlmError;

/// Who wrote a message of the conversation. The system prompt is not a message: it goes in
/// [`CompletionRequest::system`], and each provider places it where its API wants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatRole {
    /// The person (or the agent speaking for them).
    User,
    /// The model.
    Assistant,
}

impl ChatRole {
    /// The role's name on every provider's wire: `user` or `assistant`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

/// One turn of the conversation.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: ChatRole,
    /// The text of the turn.
    pub content: String,
}

impl ChatMessage {
    /// A turn written by the user.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::User,
            content: content.into(),
        }
    }

    /// A turn written by the model.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::Assistant,
            content: content.into(),
        }
    }
}

impl fmt::Debug for ChatMessage {
    /// Prints the role and the length only: message text may hold what a user typed, and
    /// `Debug` output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatMessage")
            .field("role", &self.role)
            .field("content_chars", &self.content.chars().count())
            .finish()
    }
}

/// Asks the model to answer with one JSON value matching `schema`: through tool use on Claude,
/// `response_format: json_schema` on OpenAI-compatible servers and `format` on Ollama.
#[derive(Debug, Clone, PartialEq)]
pub struct StructuredOutput {
    /// A short identifier (letters, digits, `_` and `-`, at most 64), used as the tool or
    /// schema name.
    pub name: String,
    /// What the value is, in a sentence; the model reads it.
    pub description: String,
    /// The JSON Schema of the value (an object schema).
    pub schema: serde_json::Value,
}

/// One chat completion to ask for.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionRequest {
    /// The system prompt, if any.
    pub system: Option<String>,
    /// The conversation so far; it must not be empty and normally ends with a user turn.
    pub messages: Vec<ChatMessage>,
    /// The most tokens the model may produce.
    pub max_tokens: u32,
    /// Sampling temperature; the provider's default when `None`.
    pub temperature: Option<f32>,
    /// Ask for a JSON value instead of free text.
    pub structured_output: Option<StructuredOutput>,
}

impl CompletionRequest {
    /// A request with one user turn, no system prompt, the provider's temperature and free
    /// text output.
    pub fn new(prompt: impl Into<String>, max_tokens: u32) -> Self {
        Self {
            system: None,
            messages: vec![ChatMessage::user(prompt)],
            max_tokens,
            temperature: None,
            structured_output: None,
        }
    }

    /// Checks what every provider would reject anyway, so a bad request costs no round trip.
    /// The messages say which rule failed and never quote the prompt.
    pub fn validate(&self) -> Result<(), LlmError> {
        if self.messages.is_empty() {
            return Err(LlmError::InvalidRequest(
                "a completion needs at least one message".to_owned(),
            ));
        }
        if self.max_tokens == 0 {
            return Err(LlmError::InvalidRequest(
                "max_tokens must be at least 1".to_owned(),
            ));
        }
        if let Some(temperature) = self.temperature
            && !(0.0..=2.0).contains(&temperature)
        {
            return Err(LlmError::InvalidRequest(
                "temperature must be between 0 and 2".to_owned(),
            ));
        }
        if let Some(structured) = &self.structured_output {
            let name_is_valid = !structured.name.is_empty()
                && structured.name.len() <= 64
                && structured
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !name_is_valid {
                return Err(LlmError::InvalidRequest(
                    "the structured output name must be 1 to 64 letters, digits, '_' or '-'"
                        .to_owned(),
                ));
            }
            if !structured.schema.is_object() {
                return Err(LlmError::InvalidRequest(
                    "the structured output schema must be a JSON object".to_owned(),
                ));
            }
        }
        Ok(())
    }
}

/// What one call cost, for `llm_usage_tracking`.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// The provider that answered.
    pub provider: LlmProviderKind,
    /// The model that was asked (the configured model name).
    pub model: String,
    /// Tokens read by the model, as the provider counted them.
    pub input_tokens: u32,
    /// Tokens produced by the model, as the provider counted them.
    pub output_tokens: u32,
    /// Wall time from the first attempt to the complete answer, retries and backoff included.
    pub latency_ms: u64,
    /// The price of the tokens, from the client's [`PriceTable`](crate::PriceTable).
    pub cost_usd: f64,
}

/// A complete answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The text of the answer. With structured output, the JSON text of the value.
    pub text: String,
    /// The parsed value when structured output was requested; always a JSON value then.
    pub structured: Option<serde_json::Value>,
    /// Tokens, latency and cost.
    pub usage: Usage,
    /// Why the model stopped, in the provider's words (`end_turn`, `stop`, `length`, …).
    pub stop_reason: Option<String>,
}

/// One item of a streamed answer.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamChunk {
    /// The next piece of text, in order.
    Delta(String),
    /// The last item: the stream ended normally.
    Finished {
        /// Tokens, latency (to the end of the stream) and cost.
        usage: Usage,
        /// Why the model stopped, in the provider's words.
        stop_reason: Option<String>,
    },
}

/// A streamed answer: text deltas, then one [`StreamChunk::Finished`]. A stream that breaks off
/// yields one error and ends.
pub type TextStream = Pin<Box<dyn Stream<Item = Result<StreamChunk, LlmError>> + Send>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_message_hides_its_text() {
        let message = ChatMessage::user("my secret plan");
        let printed = format!("{message:?}");
        assert!(!printed.contains("secret"), "{printed}");
        assert!(printed.contains("User"));
    }

    #[test]
    fn validation_rejects_what_providers_reject() {
        assert!(CompletionRequest::new("hi", 10).validate().is_ok());

        let mut empty = CompletionRequest::new("hi", 10);
        empty.messages.clear();
        assert!(matches!(empty.validate(), Err(LlmError::InvalidRequest(_))));

        assert!(CompletionRequest::new("hi", 0).validate().is_err());

        let mut hot = CompletionRequest::new("hi", 10);
        hot.temperature = Some(3.0);
        assert!(hot.validate().is_err());

        let mut badly_named = CompletionRequest::new("hi", 10);
        badly_named.structured_output = Some(StructuredOutput {
            name: "has space".to_owned(),
            description: String::new(),
            schema: serde_json::json!({"type": "object"}),
        });
        assert!(badly_named.validate().is_err());

        let mut not_an_object = CompletionRequest::new("zebra crossing", 10);
        not_an_object.structured_output = Some(StructuredOutput {
            name: "question".to_owned(),
            description: String::new(),
            schema: serde_json::json!("object"),
        });
        let error = not_an_object.validate().unwrap_err();
        assert!(!error.to_string().contains("zebra"));
    }
}
