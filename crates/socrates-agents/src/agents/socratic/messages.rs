//! What the Socratic counselor takes and gives: its requests and their results.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use socrates_domain::{
    Category, ConversationRole, MessageKind, ProjectId, QuestionId, SessionId, SessionMode,
    SessionStatus,
};
use socrates_persistence::repositories::sessions::Session;

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
    /// Quality-control score, 0..=1.
    pub quality_score: f64,
    /// The project's maturity when it was asked.
    pub maturity_score: f64,
}

impl QuestionView {
    /// The stored `question`, with the project's maturity now.
    #[must_use]
    pub fn asked(
        question: socrates_persistence::repositories::questions::Question,
        maturity_score: f64,
    ) -> Self {
        Self {
            question_id: question.id,
            text: question.text,
            category: question.category,
            context: question.context,
            persona: question.persona,
            quality_score: question.quality_score,
            maturity_score,
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
