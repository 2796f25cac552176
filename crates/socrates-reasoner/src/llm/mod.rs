//! The LLM-backed reasoner: renders the versioned prompt templates under `prompts/`, asks the
//! model for structured JSON, validates every field against the domain (categories through
//! the alias table, snake_case keys, values, confidences in 0..=1) and makes one repair
//! request when the answer is unusable. Conflicts are judged by the deterministic rules first;
//! the model only sees the related pairs the rules did not flag.
//!
//! Transport failures surface as [`ReasonerError::Llm`] with the client's code; this reasoner
//! never falls back to the offline engine on its own. It records nothing: every call's
//! [`Usage`] goes to the optional [`UsageSink`] given at construction, and recording it in
//! `llm_usage_tracking` is the sink's (the agents') job.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;
use socrates_domain::{ConflictFinding, ConversationRole, ExistingFact, FactDraft};
use socrates_llm::{ChatMessage, ChatRole, CompletionRequest, LlmClient, StreamChunk, Usage};

use super::{
    ChatContext, Extraction, ExtractionInput, OfflineReasoner, QuestionContext, QuestionDraft,
    Reasoner, ReasonerError, ReplyStream,
};

mod call;
pub mod prompts;
pub mod validate;

use call::{Call, structured, structured_value};

/// What a model call was for; recorded with its usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Generating a question.
    Question,
    /// Extracting facts.
    Extraction,
    /// Judging conflicts.
    Conflicts,
    /// Replying in direct chat.
    Chat,
    /// Writing the files of a generated project (its plan, then one file per call).
    Code,
}

impl Operation {
    /// The stored name (`llm_usage_tracking.operation`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Question => "generate_question",
            Self::Extraction => "extract_facts",
            Self::Conflicts => "judge_conflicts",
            Self::Chat => "chat_reply",
            Self::Code => "generate_code",
        }
    }
}

/// Receives the [`Usage`] of every completed model call, repair requests included, so the
/// caller can record cost and tokens without this crate touching a database. It is called
/// synchronously on the request's task and must not block: queue, don't write.
pub trait UsageSink: Send + Sync {
    /// Called once per completed call, right after the answer arrives.
    fn record(&self, operation: Operation, usage: &Usage);

    /// Called once per call that failed (after the client's retries), with the error's code.
    fn record_failure(&self, operation: Operation, failure: &CallFailure);
}

/// A model call that produced no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    /// The provider asked.
    pub provider: socrates_domain::LlmProviderKind,
    /// The model asked.
    pub model: String,
    /// The stable error code (`LLM_TIMEOUT`, `LLM_INVALID_RESPONSE`, …).
    pub error_code: &'static str,
    /// Wall time until the failure, retries included.
    pub latency_ms: u64,
}

/// Token budgets and temperatures of the four operations.
const QUESTION_BUDGET: (u32, f32) = (600, 0.7);
const EXTRACTION_BUDGET: (u32, f32) = (2_000, 0.0);
const CONFLICTS_BUDGET: (u32, f32) = (1_500, 0.0);
const CHAT_BUDGET: (u32, f32) = (800, 0.5);

/// The reasoner that prompts a language model; see the module documentation.
pub struct LlmReasoner {
    client: Arc<dyn LlmClient>,
    offline: OfflineReasoner,
    usage_sink: Option<Arc<dyn UsageSink>>,
}

impl fmt::Debug for LlmReasoner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmReasoner")
            .field("provider", &self.client.provider())
            .field("model", &self.client.model())
            .field("usage_sink", &self.usage_sink.is_some())
            .finish()
    }
}

impl LlmReasoner {
    /// A reasoner asking `client`, with the offline engine's rules as the conflict pre-check
    /// (and its vocabulary in the prompts) and no usage sink.
    #[must_use]
    pub fn new(client: Arc<dyn LlmClient>, offline: OfflineReasoner) -> Self {
        Self {
            client,
            offline,
            usage_sink: None,
        }
    }

    /// The same reasoner, handing every call's usage to `sink`.
    #[must_use]
    pub fn with_usage_sink(mut self, sink: Arc<dyn UsageSink>) -> Self {
        self.usage_sink = Some(sink);
        self
    }
}

/// Pairs of new and existing facts that are related (same category or same key) and were not
/// already flagged by the rules.
fn candidate_pairs<'a>(
    new: &[FactDraft],
    existing: &'a [ExistingFact],
    flagged: &[ConflictFinding],
) -> Vec<validate::Candidate<'a>> {
    let mut pairs = Vec::new();
    for (index, draft) in new.iter().enumerate() {
        for fact in existing {
            let related = draft.category == fact.category || draft.key == fact.key;
            let already = flagged
                .iter()
                .any(|finding| finding.new == *draft && finding.existing == *fact);
            if related && !already {
                pairs.push((index, fact));
            }
        }
    }
    pairs
}

/// How closely an existing fact bears on a new one: the same key most, then a key sharing a
/// word ("latency_p95_ms" and "latency_p99_ms"), then the same category.
fn relevance(draft: &FactDraft, fact: &ExistingFact) -> u32 {
    if draft.key == fact.key {
        return 4;
    }
    let words = |key: &str| -> HashSet<String> {
        key.split('_')
            .filter(|word| word.len() > 2 && *word != "requirement")
            .map(str::to_owned)
            .collect()
    };
    let shared = !words(&draft.key).is_disjoint(&words(&fact.key));
    let same_category = draft.category == fact.category;
    u32::from(shared) * 2 + u32::from(same_category)
}

/// The distinct facts of `candidates`, the most relevant to any new fact first (ties keep
/// their order), at most `limit`.
fn most_relevant(
    new: &[FactDraft],
    candidates: &[validate::Candidate<'_>],
    limit: usize,
) -> Vec<ExistingFact> {
    let mut seen = HashSet::new();
    let mut facts: Vec<(u32, &ExistingFact)> = candidates
        .iter()
        .filter(|(_, fact)| seen.insert((fact.category, fact.key.clone(), fact.value.clone())))
        .map(|(_, fact)| {
            let score = new
                .iter()
                .map(|draft| relevance(draft, fact))
                .max()
                .unwrap_or(0);
            (score, *fact)
        })
        .collect();
    facts.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    facts
        .into_iter()
        .take(limit)
        .map(|(_, fact)| fact.clone())
        .collect()
}

#[async_trait]
impl Reasoner for LlmReasoner {
    fn name(&self) -> &'static str {
        "llm"
    }

    fn reads_asked_questions(&self) -> bool {
        true
    }

    fn reads_documents(&self) -> bool {
        true
    }

    async fn generate_question(
        &self,
        context: &QuestionContext,
    ) -> Result<QuestionDraft, ReasonerError> {
        let category = context.focus_category.as_str();
        let description = if context.project_description.trim().is_empty() {
            "(none)"
        } else {
            context.project_description.as_str()
        };
        let system = prompts::render(
            prompts::QUESTION_TEMPLATE,
            &[
                ("project_name", &context.project_name),
                ("project_description", description),
                ("focus_category", category),
                ("categories", &prompts::category_list()),
                ("persona", context.persona.as_deref().unwrap_or("any")),
                ("facts", &prompts::fact_lines(&context.existing_facts)),
                ("asked", &prompts::asked_lines(&context.asked_questions)),
                ("documents", &prompts::document_lines(&context.documents)),
            ],
        );
        let call = Call {
            operation: Operation::Question,
            system,
            user: format!("Ask the next question about {category}."),
            structured: structured(
                "socratic_question",
                "One open Socratic question with its category and why it matters.",
                prompts::question_schema(),
            ),
            budget: QUESTION_BUDGET,
        };
        self.call_validated(&call, |completion| {
            validate::question(&structured_value(completion)?, context)
        })
        .await
    }

    async fn extract_facts(&self, input: &ExtractionInput) -> Result<Extraction, ReasonerError> {
        if input.text.trim().is_empty() {
            return Err(ReasonerError::EmptyInput { field: "text" });
        }
        let question_category = input
            .question_category
            .map_or("none", socrates_domain::Category::as_str);
        let system = prompts::render(
            prompts::EXTRACTION_TEMPLATE,
            &[
                ("categories", &prompts::category_list()),
                (
                    "vocabulary",
                    &prompts::vocabulary_list(self.offline.data().knowledge().vocabulary()),
                ),
                ("facts", &prompts::fact_lines(&input.existing)),
                ("question_category", question_category),
                (
                    "question",
                    input.question_text.as_deref().unwrap_or("(none)"),
                ),
            ],
        );
        let call = Call {
            operation: Operation::Extraction,
            system,
            user: format!("Text to extract facts from:\n\n{}", input.text),
            structured: structured(
                "extracted_facts",
                "The specification facts the text states, and nothing else.",
                prompts::extraction_schema(),
            ),
            budget: EXTRACTION_BUDGET,
        };
        let extraction = self
            .call_validated(&call, |completion| {
                validate::extraction(&structured_value(completion)?)
            })
            .await?;
        Ok(Extraction {
            facts: validate::canonical_facts(self.offline.data().knowledge(), extraction.facts),
            rejected: extraction.rejected,
        })
    }

    async fn judge_conflicts(
        &self,
        new: &[FactDraft],
        existing: &[ExistingFact],
    ) -> Result<Vec<ConflictFinding>, ReasonerError> {
        let mut findings = self.offline.judge_conflicts(new, existing).await?;
        let candidates = candidate_pairs(new, existing, &findings);
        if candidates.is_empty() {
            return Ok(findings);
        }
        // The prompt shows at most `MAX_PROMPT_FACTS` facts, the most relevant to the new
        // ones; the model is asked only about pairs whose fact it is shown.
        let related = most_relevant(new, &candidates, prompts::MAX_PROMPT_FACTS);
        let candidates: Vec<validate::Candidate<'_>> = candidates
            .into_iter()
            .filter(|(_, fact)| related.iter().any(|shown| shown == *fact))
            .collect();
        let pairs = candidates
            .iter()
            .map(|(index, fact)| format!("- {index} -> {}", fact.key))
            .collect::<Vec<_>>()
            .join("\n");
        let system = prompts::render(
            prompts::CONFLICTS_TEMPLATE,
            &[
                ("categories", &prompts::category_list()),
                ("conflict_types", &prompts::conflict_type_list()),
                ("severities", &prompts::severity_list()),
                ("new_facts", &prompts::indexed_draft_lines(new)),
                ("existing_facts", &prompts::fact_lines(&related)),
                ("pairs", &pairs),
            ],
        );
        let call = Call {
            operation: Operation::Conflicts,
            system,
            user: "Judge every candidate pair.".to_owned(),
            structured: structured(
                "conflict_judgement",
                "Whether each candidate pair of facts contradicts each other.",
                prompts::conflicts_schema(),
            ),
            budget: CONFLICTS_BUDGET,
        };
        let judged = self
            .call_validated(&call, |completion| {
                validate::conflicts(&structured_value(completion)?, new, &candidates)
            })
            .await?;
        for finding in judged {
            let duplicate = findings
                .iter()
                .any(|known| known.new == finding.new && known.existing == finding.existing);
            if !duplicate {
                findings.push(finding);
            }
        }
        Ok(findings)
    }

    async fn chat_reply(&self, chat: &ChatContext) -> Result<String, ReasonerError> {
        let request = Self::chat_request(chat)?;
        let completion = match self.ask(Operation::Chat, &request).await? {
            Ok(completion) => completion,
            Err(problems) => {
                return Err(ReasonerError::InvalidResponse {
                    reason: problems.join("; "),
                });
            }
        };
        let reply = completion.text.trim();
        if reply.is_empty() {
            return Err(ReasonerError::InvalidResponse {
                reason: "the chat reply is empty".to_owned(),
            });
        }
        Ok(reply.to_owned())
    }

    async fn chat_reply_stream(&self, chat: &ChatContext) -> Result<ReplyStream, ReasonerError> {
        let request = Self::chat_request(chat)?;
        let started = std::time::Instant::now();
        let sink = self.usage_sink.clone();
        let (provider, model) = (self.client.provider(), self.client.model().to_owned());
        let failed = move |sink: Option<&Arc<dyn UsageSink>>, error: &socrates_llm::LlmError| {
            if let Some(sink) = sink {
                sink.record_failure(
                    Operation::Chat,
                    &CallFailure {
                        provider,
                        model: model.clone(),
                        error_code: socrates_domain::ErrorCode::code(error).as_str(),
                        latency_ms: u64::try_from(started.elapsed().as_millis())
                            .unwrap_or(u64::MAX),
                    },
                );
            }
        };
        let chunks = match self.client.stream(&request).await {
            Ok(chunks) => chunks,
            Err(error) => {
                failed(sink.as_ref(), &error);
                return Err(error.into());
            }
        };
        let deltas = chunks.filter_map(move |chunk| {
            let item = match chunk {
                Ok(StreamChunk::Delta(text)) => Some(Ok(text)),
                Ok(StreamChunk::Finished { usage, .. }) => {
                    if let Some(sink) = &sink {
                        sink.record(Operation::Chat, &usage);
                    }
                    None
                }
                Err(error) => {
                    failed(sink.as_ref(), &error);
                    Some(Err(ReasonerError::from(error)))
                }
            };
            std::future::ready(item)
        });
        Ok(Box::pin(deltas))
    }
}

impl LlmReasoner {
    /// The chat request: the rules and facts as the system prompt, the conversation up to the
    /// last user turn (system notes left out, leading assistant turns dropped).
    fn chat_request(chat: &ChatContext) -> Result<CompletionRequest, ReasonerError> {
        let last_user = chat.last_user_turn()?;
        let history = &chat.history;
        let understood: Vec<ExistingFact> =
            chat.understood.iter().map(FactDraft::as_existing).collect();
        let conflicts = if chat.conflicts.is_empty() {
            "(none)".to_owned()
        } else {
            chat.conflicts
                .iter()
                .map(|finding| {
                    format!(
                        "- {}.{}: the specification holds \"{}\", the message says \"{}\" ({})",
                        finding.existing.category.as_str(),
                        finding.existing.key,
                        finding.existing.value,
                        finding.new.value,
                        finding.description
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let suggestion = chat.suggestion.as_ref().map_or_else(
            || "(none: every category is covered or asked out)".to_owned(),
            |question| format!("[{}] {}", question.category.as_str(), question.text),
        );
        let system = prompts::render(
            prompts::CHAT_TEMPLATE,
            &[
                ("categories", &prompts::category_list()),
                ("facts", &prompts::fact_lines(&chat.facts)),
                ("understood", &prompts::fact_lines(&understood)),
                ("conflicts", &conflicts),
                ("suggestion", &suggestion),
                ("documents", &prompts::document_lines(&chat.documents)),
            ],
        );
        // System turns of the stored conversation are the agents' notes, not dialogue; a
        // conversation sent to a provider must start with a user turn.
        let messages: Vec<ChatMessage> = history[..=last_user]
            .iter()
            .filter(|turn| !turn.text.trim().is_empty())
            .filter_map(|turn| match turn.role {
                ConversationRole::User => Some(ChatMessage::user(turn.text.clone())),
                ConversationRole::Assistant => Some(ChatMessage::assistant(turn.text.clone())),
                ConversationRole::System => None,
            })
            .skip_while(|message| message.role == ChatRole::Assistant)
            .collect();
        Ok(CompletionRequest {
            system: Some(system),
            messages,
            max_tokens: CHAT_BUDGET.0,
            temperature: Some(CHAT_BUDGET.1),
            structured_output: None,
        })
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

#[cfg(test)]
#[path = "chat_conflict_tests.rs"]
mod chat_conflict_tests;
