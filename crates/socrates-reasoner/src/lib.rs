//! The `Reasoner`: the thinking the Socratic agents delegate — asking a question, extracting
//! facts from an answer, judging conflicts and replying in direct chat.
//!
//! Two implementations sit behind the trait: the LLM-backed reasoner (prompts a model through
//! `socrates-llm`) and the [`OfflineReasoner`], a deterministic engine built on the domain's
//! vocabulary, quantity parser and conflict rules that needs no network. The offline conflict
//! rules also run before any LLM judgement as a free pre-check.

#![warn(missing_docs)]

use std::collections::HashSet;
use std::pin::Pin;

use async_trait::async_trait;
use socrates_domain::{
    Category, Code, ConflictFinding, ConversationRole, ErrorCode, ExistingFact, FactDraft,
    FactSource,
};

pub mod llm;
pub mod offline;

pub use llm::{CallFailure, LlmReasoner, Operation, UsageSink};
pub use offline::OfflineReasoner;

/// What the reasoner needs to ask the next question.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionContext {
    /// The project's name.
    pub project_name: String,
    /// The project's description, possibly empty.
    pub project_description: String,
    /// The category the question must be about (chosen by the counselor).
    pub focus_category: Category,
    /// The team role that should ask, if the caller has a preference (pm, ba, ux, frontend,
    /// backend, dba, devops).
    pub persona: Option<String>,
    /// Template ids already asked in this project; none of them may be asked again.
    pub asked_template_ids: HashSet<String>,
    /// The texts of the questions asked last in this project, newest first: a model must not
    /// ask any of them again, even reworded.
    pub asked_questions: Vec<String>,
    /// The project's current facts.
    pub existing_facts: Vec<ExistingFact>,
    /// What was learned about the templates' worth for this user, 0–1 per template id (see
    /// `socrates_domain::learning::preference`); a template not named scores 0.5. Among the
    /// templates equally fit to ask, the preferred one is asked first.
    pub preferences: std::collections::HashMap<String, f64>,
    /// Excerpts of the project's documents bearing on the category, most relevant first; read
    /// only by reasoners whose [`Reasoner::reads_documents`] is true.
    pub documents: Vec<DocumentExcerpt>,
}

/// A passage of a project's knowledge-base document, quoted to a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentExcerpt {
    /// The document's file name.
    pub filename: String,
    /// The passage.
    pub text: String,
}

/// A question proposed by the reasoner, before quality control scores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionDraft {
    /// The question as put to the user.
    pub text: String,
    /// The category it is about.
    pub category: Category,
    /// Why the question matters, shown next to it.
    pub context: String,
    /// The stable id of the bank template it came from, if any (`goals.001`).
    pub template_id: Option<String>,
    /// The team role that asks it, if any.
    pub persona: Option<String>,
}

/// An answer or message to extract facts from.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractionInput {
    /// The question the text answers, if it answers one.
    pub question_text: Option<String>,
    /// The category of that question: a hint, not a constraint.
    pub question_category: Option<Category>,
    /// The user's text.
    pub text: String,
    /// The project's current facts.
    pub existing: Vec<ExistingFact>,
    /// Where the text came from.
    pub source: FactSource,
}

/// An extracted item that could not become a fact, reported back to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedItem {
    /// The category as the extractor named it.
    pub raw_category: String,
    /// The key it proposed.
    pub key: String,
    /// The value it proposed.
    pub value: String,
    /// Why it was rejected.
    pub reason: String,
}

/// The result of an extraction.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extraction {
    /// The facts stated by the text.
    pub facts: Vec<FactDraft>,
    /// Items that could not be mapped to a category or key.
    pub rejected: Vec<RejectedItem>,
}

/// One turn of a direct-chat conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTurn {
    /// Who spoke.
    pub role: ConversationRole,
    /// What was said.
    pub text: String,
}

/// What a direct-chat reply is written from. The agent extracts the message's facts and judges
/// their conflicts before the reply is written, so the reply can acknowledge what was
/// understood, raise what contradicts the specification and suggest what to discuss next.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatContext {
    /// The conversation so far, oldest first, ending with the user's message.
    pub history: Vec<ChatTurn>,
    /// The project's current facts before the message.
    pub facts: Vec<ExistingFact>,
    /// The facts the message states.
    pub understood: Vec<FactDraft>,
    /// The contradictions between those facts and the current ones (or among themselves);
    /// their new values wait in a conflict for the user's resolution.
    pub conflicts: Vec<ConflictFinding>,
    /// The question the interview would ask next, if anything is left to ask.
    pub suggestion: Option<QuestionDraft>,
    /// Excerpts of the project's documents bearing on the message, most relevant first; read
    /// only by reasoners whose [`Reasoner::reads_documents`] is true.
    pub documents: Vec<DocumentExcerpt>,
}

impl ChatContext {
    /// A reply to `history` over `facts`, with nothing understood or suggested yet.
    #[must_use]
    pub fn new(history: Vec<ChatTurn>, facts: Vec<ExistingFact>) -> Self {
        Self {
            history,
            facts,
            ..Self::default()
        }
    }

    /// The user's message the reply answers: the last user turn that is not blank.
    ///
    /// # Errors
    /// [`ReasonerError::EmptyInput`] when there is none.
    pub fn last_user_turn(&self) -> Result<usize, ReasonerError> {
        self.history
            .iter()
            .rposition(|turn| turn.role == ConversationRole::User && !turn.text.trim().is_empty())
            .ok_or(ReasonerError::EmptyInput { field: "message" })
    }
}

/// Why a reasoner could not do what was asked.
// Not `Eq`: the wrapped `LlmError` is only `PartialEq`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReasonerError {
    /// Every question of the category's bank has been asked in this project. The caller
    /// should move on to another category (or tell the user the category is exhausted); it
    /// is a bug if this reaches a client, hence an internal code.
    #[error("every question about {category} has already been asked")]
    QuestionBankExhausted {
        /// The exhausted category.
        category: Category,
    },
    /// The input to extract from or reply to is empty.
    #[error("the {field} is empty")]
    EmptyInput {
        /// The empty field.
        field: &'static str,
    },
    /// A model's output could not be parsed or validated, even after the repair attempt.
    #[error("the language model returned an invalid response: {reason}")]
    InvalidResponse {
        /// What was wrong with it (never the raw output, which may contain user text).
        reason: String,
    },
    /// The language model's provider failed (credentials, rate limit, timeout, outage, …);
    /// the code is the client error's own.
    #[error(transparent)]
    Llm(#[from] socrates_llm::LlmError),
}

impl ErrorCode for ReasonerError {
    fn code(&self) -> Code {
        match self {
            Self::QuestionBankExhausted { .. } => Code::InternalError,
            Self::EmptyInput { .. } => Code::ValidationError,
            Self::InvalidResponse { .. } => Code::LlmInvalidResponse,
            Self::Llm(error) => error.code(),
        }
    }

    fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Llm(error) => error.retry_after(),
            _ => None,
        }
    }
}

/// A reply streamed as text deltas; concatenated, they are the reply. A stream that breaks
/// off yields one error and ends.
pub type ReplyStream =
    Pin<Box<dyn futures_util::Stream<Item = Result<String, ReasonerError>> + Send>>;

/// The operations the Socratic agents delegate. Implementations must be cheap to share
/// (`Send + Sync`) and must never invent a fact the text does not state.
#[async_trait]
pub trait Reasoner: Send + Sync + std::fmt::Debug {
    /// A short stable name for logs and `/health` ("offline", "llm").
    fn name(&self) -> &'static str;

    /// Whether [`QuestionContext::asked_questions`] is read: the offline bank knows its own
    /// questions by template id and needs no texts, so the caller can skip loading them.
    fn reads_asked_questions(&self) -> bool {
        false
    }

    /// Whether [`QuestionContext::documents`] and [`ChatContext::documents`] are read: the
    /// offline reasoner works from its banks and rules only, so the caller can skip the
    /// search.
    fn reads_documents(&self) -> bool {
        false
    }

    /// Proposes one open, non-leading question about `context.focus_category`.
    ///
    /// # Errors
    /// [`ReasonerError::QuestionBankExhausted`] when nothing new can be asked about the
    /// category; an LLM reasoner may also fail with its provider errors.
    async fn generate_question(
        &self,
        context: &QuestionContext,
    ) -> Result<QuestionDraft, ReasonerError>;

    /// Extracts the facts a text states.
    ///
    /// # Errors
    /// [`ReasonerError::EmptyInput`] for blank text; [`ReasonerError::InvalidResponse`] when
    /// a model's output stays invalid.
    async fn extract_facts(&self, input: &ExtractionInput) -> Result<Extraction, ReasonerError>;

    /// Finds the contradictions between new facts and related existing ones.
    ///
    /// # Errors
    /// Only model-backed reasoners fail here.
    async fn judge_conflicts(
        &self,
        new: &[FactDraft],
        existing: &[ExistingFact],
    ) -> Result<Vec<ConflictFinding>, ReasonerError>;

    /// Replies to the last user turn of a direct-chat conversation.
    ///
    /// # Errors
    /// [`ReasonerError::EmptyInput`] when there is no user turn to reply to.
    async fn chat_reply(&self, chat: &ChatContext) -> Result<String, ReasonerError>;

    /// Like [`chat_reply`](Self::chat_reply), streamed as it is produced, for a chat client
    /// that shows the reply while it is written.
    ///
    /// # Errors
    /// Those of `chat_reply` that occur before the first delta; later failures arrive as the
    /// stream's last item.
    async fn chat_reply_stream(&self, chat: &ChatContext) -> Result<ReplyStream, ReasonerError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_stable_codes() {
        let exhausted = ReasonerError::QuestionBankExhausted {
            category: Category::Goals,
        };
        assert_eq!(exhausted.code(), Code::InternalError);
        assert_eq!(
            exhausted.to_string(),
            "every question about goals has already been asked"
        );
        assert_eq!(
            ReasonerError::EmptyInput { field: "text" }.code(),
            Code::ValidationError
        );
        let invalid = ReasonerError::InvalidResponse {
            reason: "no JSON".to_owned(),
        };
        assert_eq!(invalid.code(), Code::LlmInvalidResponse);
    }
}
