//! Making one model call with validation and the single repair attempt.

use serde_json::Value;
use socrates_llm::{ChatMessage, Completion, CompletionRequest, LlmError, StructuredOutput};

use super::validate::Problems;
use socrates_domain::ErrorCode;

use super::{CallFailure, LlmReasoner, Operation};
use crate::ReasonerError;

/// One request to make: the rendered prompt, the schema asked for and the budget.
pub(super) struct Call {
    pub(super) operation: Operation,
    pub(super) system: String,
    pub(super) user: String,
    pub(super) structured: Option<StructuredOutput>,
    pub(super) budget: (u32, f32),
}

impl LlmReasoner {
    pub(super) fn request(call: &Call, messages: Vec<ChatMessage>) -> CompletionRequest {
        CompletionRequest {
            system: Some(call.system.clone()),
            messages,
            max_tokens: call.budget.0,
            temperature: Some(call.budget.1),
            structured_output: call.structured.clone(),
        }
    }

    /// One model call; the answer's usage goes to the sink. An unusable answer
    /// ([`LlmError::InvalidResponse`]) is returned as problems so it can be repaired; every
    /// other client error is final.
    pub(super) async fn ask(
        &self,
        operation: Operation,
        request: &CompletionRequest,
    ) -> Result<Result<Completion, Problems>, LlmError> {
        let started = std::time::Instant::now();
        let result = self.client.complete(request).await;
        if let Some(sink) = &self.usage_sink {
            match &result {
                Ok(completion) => sink.record(operation, &completion.usage),
                Err(error) => sink.record_failure(
                    operation,
                    &CallFailure {
                        provider: self.client.provider(),
                        model: self.client.model().to_owned(),
                        error_code: error.code().as_str(),
                        latency_ms: u64::try_from(started.elapsed().as_millis())
                            .unwrap_or(u64::MAX),
                    },
                ),
            }
        }
        match result {
            Ok(completion) => Ok(Ok(completion)),
            Err(LlmError::InvalidResponse(reason)) => Ok(Err(vec![reason])),
            Err(error) => Err(error),
        }
    }

    /// Makes `call`, validates the answer with `check`, and on failure makes one repair
    /// request quoting the problems; a second failure is [`ReasonerError::InvalidResponse`].
    pub(super) async fn call_validated<T>(
        &self,
        call: &Call,
        check: impl Fn(&Completion) -> Result<T, Problems>,
    ) -> Result<T, ReasonerError> {
        let first = Self::request(call, vec![ChatMessage::user(call.user.clone())]);
        let (problems, answer_text) = match self.ask(call.operation, &first).await? {
            Ok(completion) => match check(&completion) {
                Ok(value) => return Ok(value),
                Err(problems) => (problems, Some(completion.text)),
            },
            Err(problems) => (problems, None),
        };
        tracing::warn!(
            llm.problems = problems.len(),
            "the model's answer failed validation; asking once for a repair"
        );
        let repair_note = format!(
            "Your previous answer was invalid:\n- {}\nAnswer again with corrected JSON only, \
             following the schema and the rules above. Do not add facts that were not stated.",
            problems.join("\n- ")
        );
        // Without the invalid text to quote, the note goes into the one user turn, since
        // some providers refuse two user turns in a row.
        let messages = match answer_text {
            Some(text) if !text.trim().is_empty() => vec![
                ChatMessage::user(call.user.clone()),
                ChatMessage::assistant(text),
                ChatMessage::user(repair_note),
            ],
            _ => vec![ChatMessage::user(format!("{}\n\n{repair_note}", call.user))],
        };
        let repair = Self::request(call, messages);
        let problems = match self.ask(call.operation, &repair).await? {
            Ok(completion) => match check(&completion) {
                Ok(value) => return Ok(value),
                Err(problems) => problems,
            },
            Err(problems) => problems,
        };
        Err(ReasonerError::InvalidResponse {
            reason: format!(
                "still invalid after one repair attempt: {}",
                problems.join("; ")
            ),
        })
    }
}

/// The structured value of an answer, parsed from the text when the client left it empty.
pub(super) fn structured_value(completion: &Completion) -> Result<Value, Problems> {
    match &completion.structured {
        Some(value) => Ok(value.clone()),
        None => serde_json::from_str(completion.text.trim())
            .map_err(|_| vec!["the answer is not valid JSON".to_owned()]),
    }
}

pub(super) fn structured(name: &str, description: &str, schema: Value) -> Option<StructuredOutput> {
    Some(StructuredOutput {
        name: name.to_owned(),
        description: description.to_owned(),
        schema,
    })
}
