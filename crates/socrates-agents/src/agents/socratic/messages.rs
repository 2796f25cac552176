//! What the Socratic counselor takes and gives: its requests and their results.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use socrates_domain::{
    Category, ConversationRole, MessageKind, ProjectId, QuestionId, SessionId, SessionMode,
    SessionStatus,
};
use socrates_persistence::repositories::sessions::Session;
pub use socrates_reasoner::offline::CategoryClosure;
use socrates_reasoner::offline::{FOLLOW_UP_PREFIX, OfflineData};

use crate::agents::views::{ConflictView, FactView, RejectedView};

/// A session as its owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    /// The session.
    pub session_id: SessionId,
    /// Its project.
    pub project_id: ProjectId,
    /// `socratic` or `direct_chat`.
    pub mode: SessionMode,
    /// `active` or `ended`.
    pub status: SessionStatus,
    /// When it was opened.
    pub started_at: DateTime<Utc>,
    /// When it was ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// The last question, answer or message.
    pub last_activity: DateTime<Utc>,
}

impl From<Session> for SessionView {
    fn from(session: Session) -> Self {
        Self {
            session_id: session.id,
            project_id: session.project_id,
            mode: session.mode,
            status: session.status,
            started_at: session.started_at,
            ended_at: session.ended_at,
            last_activity: session.last_activity_at,
        }
    }
}

/// `start_session`.
#[derive(Debug, Clone)]
pub struct StartSession {
    /// The project to work on.
    pub project_id: ProjectId,
    /// `socratic` when absent.
    pub mode: Option<SessionMode>,
}

/// `get_session`: one of the caller's sessions.
#[derive(Debug, Clone, Copy)]
pub struct GetSession {
    /// The session.
    pub session_id: SessionId,
}

/// `next_question`: asks about the least-covered category and stores the question.
#[derive(Debug, Clone, Copy)]
pub struct NextQuestion {
    /// The session.
    pub session_id: SessionId,
}

/// `end_session`: ends the session (ending an ended one changes nothing).
#[derive(Debug, Clone, Copy)]
pub struct EndSession {
    /// The session.
    pub session_id: SessionId,
}

/// `history`: a page of the session's conversation, oldest first.
#[derive(Debug, Clone, Copy)]
pub struct GetSessionHistory {
    /// The session.
    pub session_id: SessionId,
    /// Page size, 1–100 (default 50).
    pub limit: Option<u64>,
    /// Entries to skip (validated: at most `PageOffset::MAX`).
    pub offset: Option<socrates_domain::PageOffset>,
}

/// The category the interview has finished with, announced by the first question about
/// another one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryCompleted {
    /// The category the previous question of the session was about.
    pub category: Category,
    /// Why the interview no longer asks about it.
    pub reason: CategoryClosure,
    /// Its coverage now, in percent.
    pub coverage_percent: f64,
    /// The category the interview moves on to (the new question's).
    pub next_category: Category,
    /// The same for people: "Goals is complete (coverage 100 %); moving on to security."
    pub message: String,
}

impl CategoryCompleted {
    /// The announcement that the interview leaves `category` for `next_category`.
    #[must_use]
    pub fn new(
        category: Category,
        reason: CategoryClosure,
        coverage_percent: f64,
        next_category: Category,
    ) -> Self {
        let next = next_category.title().to_lowercase();
        let message = match reason {
            CategoryClosure::Covered => format!(
                "{} is complete (coverage 100 %); moving on to {next}.",
                category.title()
            ),
            CategoryClosure::NothingLeftToAsk => format!(
                "{} is complete: every question about it has been asked or is answered by the                  facts already held (coverage {coverage_percent} %); moving on to {next}.",
                category.title()
            ),
        };
        Self {
            category,
            reason,
            coverage_percent,
            next_category,
            message,
        }
    }
}

/// A question to put to the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionView {
    /// The stored question.
    pub question_id: QuestionId,
    /// The question.
    pub text: String,
    /// Its category.
    pub category: Category,
    /// Why it matters.
    pub context: Option<String>,
    /// The team role that asks it.
    pub persona: Option<String>,
    /// The question template it came from, the key of what learning counts of it; `None`
    /// for a question a language model wrote.
    pub template_id: Option<String>,
    /// Quality-control score, 0..=1.
    pub quality_score: f64,
    /// The project's maturity when it was asked.
    pub maturity_score: f64,
    /// The vocabulary keys an answer is expected to fill; never keys the project holds when
    /// the question is first asked. Empty for free-form questions.
    pub target_keys: Vec<String>,
    /// Whether it follows up a vague answer to the previous question.
    pub follow_up: bool,
    /// Set on the first question after the interview finished with a category.
    pub category_completed: Option<CategoryCompleted>,
}

impl QuestionView {
    /// The stored `question`, with the project's maturity now; `offline` knows the keys of
    /// the template it came from.
    #[must_use]
    pub fn asked(
        question: socrates_persistence::repositories::questions::Question,
        maturity_score: f64,
        offline: &OfflineData,
    ) -> Self {
        let template = question
            .template_id
            .as_deref()
            .and_then(|id| offline.template(id));
        Self {
            question_id: question.id,
            text: question.text,
            category: question.category,
            context: question.context,
            persona: question.persona,
            template_id: question.template_id.clone(),
            quality_score: question.quality_score,
            maturity_score,
            target_keys: template
                .map(|template| template.target_keys.clone())
                .unwrap_or_default(),
            follow_up: question
                .template_id
                .as_deref()
                .is_some_and(|id| id.starts_with(FOLLOW_UP_PREFIX)),
            category_completed: None,
        }
    }
}

/// `answer`.
#[derive(Debug, Clone)]
pub struct AnswerQuestion {
    /// The session.
    pub session_id: SessionId,
    /// The question being answered; it must belong to the session.
    pub question_id: QuestionId,
    /// The answer.
    pub answer: String,
}

/// The result of `answer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerResult {
    /// Always true: nothing the user said is lost.
    pub success: bool,
    /// How many facts were saved.
    pub specs_extracted: u32,
    /// The saved facts.
    pub specifications: Vec<FactView>,
    /// Items the extractor could not map, with the reason.
    pub rejected: Vec<RejectedView>,
    /// Whether the answer contradicted something.
    pub conflicts_detected: bool,
    /// The open conflicts holding its contradicting statements until they are resolved; a
    /// statement an open conflict already holds is reported with that conflict, not a new one.
    pub conflicts: Vec<ConflictView>,
    /// The project's maturity after the answer.
    pub maturity_score: f64,
    /// Coverage per category in percent after the answer.
    pub coverage_breakdown: std::collections::BTreeMap<Category, f64>,
}

/// One entry of a session's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Who spoke.
    pub role: ConversationRole,
    /// What kind of entry.
    pub kind: MessageKind,
    /// The text.
    pub content: String,
    /// The question it asks or answers.
    pub question_id: Option<QuestionId>,
    /// The direct-chat message it is or replies to: the `source_id` of the facts the message
    /// stated.
    pub message_id: Option<uuid::Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A session's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The session.
    pub session_id: SessionId,
    /// How many entries the session has.
    pub total: u64,
    /// The page's entries, oldest first.
    pub entries: Vec<HistoryEntry>,
    /// The page size used.
    pub limit: u64,
    /// The offset used.
    pub offset: u64,
}

/// `message`: a direct-chat message to a session in `direct_chat` mode; the reply comes whole.
#[derive(Debug, Clone)]
pub struct SendMessage {
    /// The session.
    pub session_id: SessionId,
    /// The message.
    pub message: String,
}

/// `message_stream`: like [`SendMessage`], with the reply streamed as it is written.
#[derive(Debug, Clone)]
pub struct StreamMessage {
    /// The session.
    pub session_id: SessionId,
    /// The message.
    pub message: String,
}

/// `toggle_mode`: switches a session between Socratic questioning and direct chat.
#[derive(Debug, Clone, Copy)]
pub struct ToggleMode {
    /// The session.
    pub session_id: SessionId,
    /// The mode to switch to; the other mode when absent.
    pub mode: Option<SessionMode>,
}

/// A session's mode after a switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeChange {
    /// The session.
    pub session_id: SessionId,
    /// Its project.
    pub project_id: ProjectId,
    /// The mode before.
    pub old_mode: SessionMode,
    /// The mode now.
    pub new_mode: SessionMode,
    /// For people: "Switched to direct chat mode."
    pub message: String,
}

/// What the interview would ask next: the question a direct chat suggests discussing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestedQuestion {
    /// The category it is about (the project's `next_category`).
    pub category: Category,
    /// The question.
    pub text: String,
    /// Why it matters.
    pub context: String,
}

/// The result of a direct-chat message: the reply and what the message changed, all written
/// in one transaction with the message and the reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResult {
    /// Always true: nothing the user said is lost.
    pub success: bool,
    /// The message's id: the `source_id` of the facts it stated.
    pub message_id: uuid::Uuid,
    /// The reply.
    pub reply: String,
    /// How many facts were saved.
    pub specs_extracted: u32,
    /// The saved facts (source `direct_chat`).
    pub specifications: Vec<FactView>,
    /// Items the extractor could not map, with the reason.
    pub rejected: Vec<RejectedView>,
    /// Whether the message contradicted something.
    pub conflicts_detected: bool,
    /// The open conflicts holding its contradicting statements until they are resolved.
    pub conflicts: Vec<ConflictView>,
    /// What the interview would ask next; `None` when nothing is left to ask.
    pub suggested_next_question: Option<SuggestedQuestion>,
    /// The project's maturity after the message.
    pub maturity_score: f64,
    /// Coverage per category in percent after the message.
    pub coverage_breakdown: std::collections::BTreeMap<Category, f64>,
}

/// One event of a streamed reply.
#[derive(Debug)]
pub enum ChatEvent {
    /// The next piece of the reply's text.
    Delta(String),
    /// The exchange is written: the whole result. The last event of a stream that succeeds.
    Finished(Box<ChatResult>),
    /// The reply broke off or the exchange could not be written: nothing was written. The
    /// last event of a stream that fails.
    Failed(crate::agent::AgentError),
}

/// The boxed stream inside a [`ChatStream`].
pub type ChatEvents = std::pin::Pin<Box<dyn futures_util::Stream<Item = ChatEvent> + Send>>;

/// A reply streaming as it is written. Nothing is written to the database until the reply is
/// complete; dropping the stream before (a client that goes away) writes nothing.
pub struct ChatStream(std::sync::Mutex<Option<ChatEvents>>);

impl ChatStream {
    pub(crate) fn new(events: ChatEvents) -> Self {
        Self(std::sync::Mutex::new(Some(events)))
    }

    /// The events, once.
    #[must_use]
    pub fn into_events(self) -> ChatEvents {
        self.0
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unwrap_or_else(|| Box::pin(futures_util::stream::empty()))
    }
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream").finish_non_exhaustive()
    }
}
