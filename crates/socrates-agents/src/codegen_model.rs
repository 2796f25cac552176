//! Files of a generated project written by a language model: one call for the file plan
//! (structured output: paths and purposes, the offline scaffold's paths as a suggestion), then
//! one call per file. Every call's usage is recorded under the operation `generate_code`,
//! attributed to the user who asked for the generation. The README, the traceability table and
//! the spec-version file stay the offline generator's, so every project states its
//! specification version the same way.

use std::sync::Arc;

use serde_json::json;
use socrates_domain::ErrorCode as _;
use socrates_llm::{
    ChatMessage, Completion, CompletionRequest, LlmClient, LlmError, StructuredOutput,
};
use socrates_reasoner::{CallFailure, Operation, UsageSink};

/// The most files a model may plan.
pub const MAX_MODEL_FILES: usize = 40;
/// The most tokens of one file.
const FILE_BUDGET: u32 = 4_000;
/// The most tokens of the plan.
const PLAN_BUDGET: u32 = 2_000;

/// A file the model plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFile {
    /// Its path in the project.
    pub path: String,
    /// What it holds, in the model's words.
    pub purpose: String,
}

/// Why the model's part failed.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The provider failed (after its retries).
    #[error("the model provider failed: {0}")]
    Provider(#[from] LlmError),
    /// The plan had no usable file.
    #[error("the model planned no usable file: {0}")]
    Plan(String),
}

/// Writes files with a model.
#[derive(Clone)]
pub struct ModelWriter {
    client: Arc<dyn LlmClient>,
    usage: Arc<dyn UsageSink>,
}

impl std::fmt::Debug for ModelWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelWriter")
            .field("provider", &self.client.provider())
            .field("model", &self.client.model())
            .finish()
    }
}

const SYSTEM: &str = "You are a senior software engineer. You write the project a software \
specification describes: idiomatic, tested, production-minded code for the stated stack, every \
requirement traceable to code. You never invent requirements the specification does not state.";

/// Whether `path` is a safe relative path inside the project.
fn usable_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 200
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
}

/// The text of an answer without a Markdown fence around it.
fn unfenced(text: &str) -> String {
    let trimmed = text.trim();
    if let Some(rest) = trimmed.strip_prefix("```") {
        let body = rest.split_once('\n').map_or("", |(_, body)| body);
        let body = body.trim_end().strip_suffix("```").unwrap_or(body);
        let mut body = body.trim_end().to_owned();
        body.push('\n');
        return body;
    }
    let mut text = trimmed.to_owned();
    text.push('\n');
    text
}

impl ModelWriter {
    /// A writer over `client`, recording usage in `usage`.
    #[must_use]
    pub fn new(client: Arc<dyn LlmClient>, usage: Arc<dyn UsageSink>) -> Self {
        Self { client, usage }
    }

    async fn ask(&self, request: &CompletionRequest) -> Result<Completion, LlmError> {
        let started = std::time::Instant::now();
        let result = self.client.complete(request).await;
        match &result {
            Ok(completion) => self.usage.record(Operation::Code, &completion.usage),
            Err(error) => self.usage.record_failure(
                Operation::Code,
                &CallFailure {
                    provider: self.client.provider(),
                    model: self.client.model().to_owned(),
                    error_code: error.code().as_str(),
                    latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                },
            ),
        }
        result
    }

    /// The files the model plans for the project `context` describes, `fixed` (the files the
    /// offline generator keeps) left out, at most [`MAX_MODEL_FILES`].
    ///
    /// # Errors
    /// [`ModelError`].
    pub async fn plan(
        &self,
        context: &str,
        suggested: &[String],
        fixed: &[String],
    ) -> Result<Vec<ModelFile>, ModelError> {
        let request = CompletionRequest {
            system: Some(SYSTEM.to_owned()),
            messages: vec![ChatMessage::user(format!(
                "{context}\nPlan the files of this project (at most {MAX_MODEL_FILES}): source, \
                 tests, a Dockerfile and a CI workflow. These files exist already and must not \
                 be planned: {}. A scaffold would have these files, which you may follow or \
                 improve: {}.",
                fixed.join(", "),
                suggested.join(", ")
            ))],
            max_tokens: PLAN_BUDGET,
            temperature: Some(0.0),
            structured_output: Some(StructuredOutput {
                name: "file_plan".to_owned(),
                description: "The files of the project, each with its relative path and what \
                              it holds."
                    .to_owned(),
                schema: json!({
                    "type": "object",
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "path": {"type": "string"},
                                    "purpose": {"type": "string"}
                                },
                                "required": ["path", "purpose"]
                            }
                        }
                    },
                    "required": ["files"]
                }),
            }),
        };
        let completion = self.ask(&request).await?;
        let planned = completion
            .structured
            .as_ref()
            .and_then(|value| value["files"].as_array().cloned())
            .unwrap_or_default();
        let mut files: Vec<ModelFile> = Vec::new();
        for item in planned {
            let path = item["path"].as_str().unwrap_or_default().trim().to_owned();
            if !usable_path(&path)
                || fixed.contains(&path)
                || files.iter().any(|file| file.path == path)
            {
                continue;
            }
            files.push(ModelFile {
                path,
                purpose: item["purpose"]
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .take(500)
                    .collect(),
            });
            if files.len() == MAX_MODEL_FILES {
                break;
            }
        }
        if files.is_empty() {
            return Err(ModelError::Plan(
                completion.text.chars().take(200).collect(),
            ));
        }
        Ok(files)
    }

    /// The content of one planned file.
    ///
    /// # Errors
    /// [`ModelError`].
    pub async fn write(
        &self,
        context: &str,
        plan: &[ModelFile],
        file: &ModelFile,
    ) -> Result<String, ModelError> {
        let others: Vec<&str> = plan.iter().map(|f| f.path.as_str()).collect();
        let request = CompletionRequest {
            system: Some(SYSTEM.to_owned()),
            messages: vec![ChatMessage::user(format!(
                "{context}\nThe project's files: {}.\nWrite the complete content of `{}` ({}). \
                 Answer with the file's content only: no explanation, no Markdown fence.",
                others.join(", "),
                file.path,
                file.purpose
            ))],
            max_tokens: FILE_BUDGET,
            temperature: Some(0.0),
            structured_output: None,
        };
        let completion = self.ask(&request).await?;
        Ok(unfenced(&completion.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_paths_inside_the_project_are_used() {
        assert!(usable_path("app/main.py"));
        assert!(usable_path(".github/workflows/ci.yml"));
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "a b", "x\\y"] {
            assert!(!usable_path(bad), "{bad}");
        }
    }

    #[test]
    fn a_fence_around_the_answer_is_removed() {
        assert_eq!(unfenced("```python\nprint(1)\n```"), "print(1)\n");
        assert_eq!(unfenced("print(1)"), "print(1)\n");
    }
}
