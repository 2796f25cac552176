//! `socratic_counselor`: sessions (start, get, end, history), the next question, and the
//! answer path.
//!
//! The answer path asks the reasoner first — extraction, then the conflict judgement over the
//! current facts — with no transaction open, then writes everything in **one** transaction:
//! the question and answer in the conversation, the saved facts, the conflicts holding back
//! the contradicting ones, the recomputed maturity on the project and its `maturity_tracking`
//! row. A reasoner failure writes nothing; the same answer can be sent again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socrates_domain::{
    Category, Code, Confidence, ConflictFinding, ConflictSeverity, ConflictType, ConversationRole,
    FactKey, FactSource, FactValue, MessageKind, ProjectId, QuestionId, SessionId, SessionMode,
    SessionStatus, compute_maturity,
};
use socrates_persistence::SpecsDb;
use socrates_persistence::repositories::Page;
use socrates_persistence::repositories::conversation::{self, NewConversationEntry};
use socrates_persistence::repositories::projects::{self, Project};
use socrates_persistence::repositories::questions::{self, NewQuestion, Question};
use socrates_persistence::repositories::sessions::{self, Session};
use socrates_persistence::repositories::specifications::{
    self, FactChange, NewSpecification, Specification,
};

use super::common::{
    Origin, Placement, ensure_writable, existing_facts, hold_in_conflict, place, project_not_found,
    record_maturity_with,
};
use super::conflicts::ContradictedFact;
use super::facts::RejectedView;
use crate::agent::{Agent, AgentContext, AgentError, input, output};
use crate::cache::ProjectViews;
use crate::clock::Clock;
use crate::reasoner::offline::OfflineData;
use crate::reasoner::{ExtractionInput, QuestionContext, Reasoner, ReasonerError, RejectedItem};
use crate::usage::{self, UsageContext};

/// The agent id.
pub const ID: &str = "socratic_counselor";

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
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartSession {
    /// The project to work on.
    pub project_id: ProjectId,
    /// `socratic` (default) or `direct_chat` (`direct`, `chat` accepted).
    #[serde(default)]
    pub mode: Option<String>,
}

/// `get_session`, `next_question`, `end_session`, `history`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRef {
    /// The session.
    pub session_id: SessionId,
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

/// `answer`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerQuestion {
    /// The session.
    pub session_id: SessionId,
    /// The question being answered; it must belong to the session.
    pub question_id: QuestionId,
    /// The answer.
    pub answer: String,
}

/// A saved fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactView {
    /// The fact's id (this version).
    pub spec_id: socrates_domain::SpecificationId,
    /// Its category.
    pub category: Category,
    /// Its key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// 0..=1.
    pub confidence: f64,
    /// Where it came from.
    pub source: FactSource,
    /// Its version.
    pub version: u32,
}

impl From<&Specification> for FactView {
    fn from(fact: &Specification) -> Self {
        Self {
            spec_id: fact.id,
            category: fact.category,
            key: fact.key.clone(),
            value: fact.value.clone(),
            confidence: fact.confidence,
            source: fact.source,
            version: fact.version,
        }
    }
}

/// A conflict the answer raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictView {
    /// The conflict.
    pub conflict_id: socrates_domain::ConflictId,
    /// Its type.
    #[serde(rename = "type")]
    pub conflict_type: ConflictType,
    /// How serious it is.
    pub severity: ConflictSeverity,
    /// The current fact it contradicts.
    pub old_spec: ContradictedFact,
    /// The value held back until the conflict is resolved.
    pub new_spec_value: String,
    /// In words.
    pub description: String,
    /// `keep_old`, `replace`, `merge`.
    pub resolution_options: Vec<String>,
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
    /// How many entries the session has (the first 100 are listed).
    pub total: u64,
    /// Oldest first.
    pub entries: Vec<HistoryEntry>,
}

/// The counselor; see the module documentation.
#[derive(Debug, Clone)]
pub struct SocraticCounselor {
    db: SpecsDb,
    reasoner: Arc<dyn Reasoner>,
    offline: Arc<OfflineData>,
    clock: Arc<dyn Clock>,
    views: ProjectViews,
}

fn session_not_found(id: SessionId) -> AgentError {
    AgentError::not_found(Code::SessionNotFound, format!("Session not found: {id}"))
}

impl SocraticCounselor {
    /// The counselor over the specs database and the reasoner; `offline` gives the
    /// vocabulary and value comparison that decide whether a fact is new or known.
    #[must_use]
    pub fn new(
        db: SpecsDb,
        reasoner: Arc<dyn Reasoner>,
        offline: Arc<OfflineData>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            db,
            reasoner,
            offline,
            clock,
            views: ProjectViews::uncached(),
        }
    }

    /// Drops the project's cached views in `views` after every change this agent commits.
    #[must_use]
    pub fn with_views(mut self, views: ProjectViews) -> Self {
        self.views = views;
        self
    }

    /// The caller's session and its project; 404 for anyone else's.
    async fn owned_session(
        &self,
        context: &AgentContext,
        id: SessionId,
    ) -> Result<(Session, Project), AgentError> {
        sessions::find_with_owned_project(&self.db, id, context.user_id)
            .await?
            .ok_or_else(|| session_not_found(id))
    }

    async fn active_session(
        &self,
        context: &AgentContext,
        id: SessionId,
    ) -> Result<(Session, Project), AgentError> {
        let (session, project) = self.owned_session(context, id).await?;
        ensure_active(&session, &project)?;
        Ok((session, project))
    }

    /// The caller's active session, its project and the question being answered: one
    /// statement when all is well; the reason when not.
    async fn answered_question(
        &self,
        context: &AgentContext,
        session_id: SessionId,
        question_id: QuestionId,
    ) -> Result<(Session, Project, Question), AgentError> {
        let found = sessions::find_with_owned_project_and_question(
            &self.db,
            session_id,
            context.user_id,
            question_id,
        )
        .await?;
        match found {
            Some((session, project, question)) => {
                ensure_active(&session, &project)?;
                Ok((session, project, question))
            }
            None => {
                // Which of the three is missing decides the answer.
                let (session, project) = self.active_session(context, session_id).await?;
                let question = questions::find_by_id(&self.db, question_id)
                    .await?
                    .filter(|q| q.session_id == session.id)
                    .ok_or_else(|| {
                        AgentError::not_found(
                            Code::QuestionNotFound,
                            format!("Question not found in this session: {question_id}"),
                        )
                    })?;
                Ok((session, project, question))
            }
        }
    }

    async fn start_session(
        &self,
        context: &AgentContext,
        request: StartSession,
    ) -> Result<SessionView, AgentError> {
        let mode = match request.mode.as_deref() {
            None => SessionMode::Socratic,
            Some(raw) => raw.parse().map_err(|_| AgentError::Invalid {
                code: Code::ValidationError,
                message: format!("unknown session mode `{raw}`"),
                details: Some(json!({"field": "mode", "allowed": ["socratic", "direct_chat"]})),
            })?,
        };
        let project = projects::find_owned(&self.db, request.project_id, context.user_id)
            .await?
            .ok_or_else(|| project_not_found(request.project_id))?;
        ensure_writable(&project)?;
        let session = sessions::create(
            &self.db,
            project.id,
            context.user_id,
            mode,
            self.clock.now(),
        )
        .await?;
        Ok(session.into())
    }

    async fn next_question(
        &self,
        context: &AgentContext,
        request: SessionRef,
    ) -> Result<QuestionView, AgentError> {
        let (session, project) = self.active_session(context, request.session_id).await?;
        let facts = specifications::all_current(&self.db, project.id).await?;
        let asked: HashSet<String> = questions::template_ids_for_project(&self.db, project.id)
            .await?
            .into_iter()
            .collect();
        let report = compute_maturity(facts.iter().map(|f| (f.category, f.confidence)));
        let existing = existing_facts(&facts);
        let attribution = UsageContext {
            user_id: context.user_id,
            project_id: Some(project.id),
            session_id: Some(session.id),
        };
        let mut draft = None;
        // The least covered category first; when its bank is exhausted, the next least.
        for category in report.categories_by_need() {
            let question_context = QuestionContext {
                project_name: project.name.clone(),
                project_description: project.description.clone().unwrap_or_default(),
                focus_category: category,
                persona: None,
                asked_template_ids: asked.clone(),
                existing_facts: existing.clone(),
            };
            match usage::attributed(
                attribution,
                self.reasoner.generate_question(&question_context),
            )
            .await
            {
                Ok(found) => {
                    draft = Some(found);
                    break;
                }
                Err(ReasonerError::QuestionBankExhausted { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        let draft = draft.ok_or_else(|| AgentError::Refused {
            code: Code::QuestionsExhausted,
            message: "every question of every category has been asked in this project".to_owned(),
            details: None,
        })?;
        let now = self.clock.now();
        // The question and the session's activity go to the database in one round trip.
        let question = questions::insert_with(
            &self.db,
            NewQuestion {
                project_id: project.id,
                session_id: session.id,
                text: draft.text,
                category: draft.category,
                context: Some(draft.context),
                template_id: draft.template_id,
                persona: draft.persona,
                quality_score: 1.0,
                bias_score: None,
            },
            now,
            sessions::touch_later(session.id, now),
        )
        .await?;
        Ok(QuestionView {
            question_id: question.id,
            text: question.text,
            category: question.category,
            context: question.context,
            persona: question.persona,
            quality_score: question.quality_score,
            maturity_score: report.overall,
        })
    }

    async fn answer(
        &self,
        context: &AgentContext,
        request: AnswerQuestion,
    ) -> Result<AnswerResult, AgentError> {
        if request.answer.trim().is_empty() {
            return Err(AgentError::Invalid {
                code: Code::ValidationError,
                message: "the answer is empty".to_owned(),
                details: Some(json!({"field": "answer"})),
            });
        }
        let (session, project, question) = self
            .answered_question(context, request.session_id, request.question_id)
            .await?;
        if question.answered_at.is_some() && question.facts_extracted > 0 {
            return Err(already_answered());
        }
        let current = specifications::all_current(&self.db, project.id).await?;
        let existing = existing_facts(&current);

        // The reasoner runs before any transaction opens: no connection waits on a model.
        let attribution = UsageContext {
            user_id: context.user_id,
            project_id: Some(project.id),
            session_id: Some(session.id),
        };
        let extraction_input = ExtractionInput {
            question_text: Some(question.text.clone()),
            question_category: Some(question.category),
            text: request.answer.clone(),
            existing: existing.clone(),
            source: FactSource::SocraticQuestion,
        };
        let extraction =
            usage::attributed(attribution, self.reasoner.extract_facts(&extraction_input)).await?;
        let findings = usage::attributed(
            attribution,
            self.reasoner.judge_conflicts(&extraction.facts, &existing),
        )
        .await?;
        self.write_answer(
            context,
            &session,
            &question,
            &request.answer,
            extraction.facts,
            extraction.rejected,
            &findings,
            &current,
        )
        .await
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the answer's parts, written together"
    )]
    async fn write_answer(
        &self,
        context: &AgentContext,
        session: &Session,
        question: &Question,
        answer: &str,
        drafts: Vec<socrates_domain::FactDraft>,
        rejected: Vec<RejectedItem>,
        findings: &[ConflictFinding],
        current: &[Specification],
    ) -> Result<AnswerResult, AgentError> {
        let mut rejected: Vec<RejectedView> = rejected.into_iter().map(Into::into).collect();
        // Each draft is held in a conflict, skipped as already known, saved as a new fact, or
        // written as the next version of the fact it refines.
        let mut to_save: Vec<(usize, NewSpecification, Placement)> = Vec::new();
        for (index, draft) in drafts.iter().enumerate() {
            if findings.iter().any(|finding| finding.new == *draft) {
                continue;
            }
            let placement = place(self.offline.knowledge(), current, draft);
            if matches!(placement, Placement::Known(_)) {
                continue;
            }
            match new_specification(session, question, context, draft) {
                Ok(new) => to_save.push((index, new, placement)),
                Err(reason) => rejected.push(RejectedView {
                    category: draft.category.as_str().to_owned(),
                    key: draft.key.clone(),
                    value: draft.value.clone(),
                    reason,
                }),
            }
        }
        let now = self.clock.now();
        let tx = self.db.begin().await?;
        let entry = |role, kind, content: String| NewConversationEntry {
            session_id: session.id,
            project_id: session.project_id,
            role,
            kind,
            content,
            question_id: Some(question.id),
            metadata: None,
        };
        // The conversation's two entries go with the question's update, in one round trip.
        let conversation = conversation::append_all_later(
            vec![
                entry(
                    ConversationRole::Assistant,
                    MessageKind::Question,
                    question.text.clone(),
                ),
                entry(
                    ConversationRole::User,
                    MessageKind::Answer,
                    answer.to_owned(),
                ),
            ],
            now,
        );
        let saved_count = u32::try_from(to_save.len()).unwrap_or(u32::MAX);
        if !questions::mark_answered_with(&tx, question.id, saved_count, now, conversation).await? {
            tx.rollback().await?;
            return Err(already_answered());
        }
        // Revisions write two rows each; every new fact goes in one multi-row insert.
        let mut saved: Vec<(usize, Specification)> = Vec::with_capacity(to_save.len());
        let mut fresh: Vec<(usize, NewSpecification)> = Vec::new();
        for (index, new, placement) in to_save {
            match placement {
                Placement::Revise(previous) => {
                    let change = FactChange {
                        value: new.value,
                        confidence: Some(new.confidence),
                        source: new.source,
                        source_id: new.source_id,
                        reasoning: new.reasoning,
                        created_by: new.created_by,
                    };
                    let fact = specifications::new_version(&tx, previous, change, now).await?;
                    saved.push((index, fact));
                }
                Placement::New | Placement::Known(_) => fresh.push((index, new)),
            }
        }
        let (indexes, news): (Vec<usize>, Vec<NewSpecification>) = fresh.into_iter().unzip();
        saved.extend(
            indexes
                .into_iter()
                .zip(specifications::insert_all(&tx, news, now).await?),
        );
        saved.sort_by_key(|(index, _)| *index);
        let saved_by_draft: HashMap<usize, socrates_domain::SpecificationId> = saved
            .iter()
            .map(|(index, fact)| (*index, fact.id))
            .collect();
        let saved: Vec<Specification> = saved.into_iter().map(|(_, fact)| fact).collect();
        let origin = Origin {
            project_id: session.project_id,
            session_id: Some(session.id),
            source: FactSource::SocraticQuestion,
            source_id: Some(question.id.into_uuid()),
            created_by: context.user_id,
        };
        let mut raised = Vec::new();
        for finding in findings {
            // An intra-answer conflict points at the draft saved in this transaction.
            let old_spec_id = match finding.existing.id {
                Some(id) => Some(socrates_domain::SpecificationId::from_uuid(id)),
                None => drafts
                    .iter()
                    .position(|d| d.as_existing() == finding.existing)
                    .and_then(|index| saved_by_draft.get(&index).copied()),
            };
            raised.push(
                hold_in_conflict(
                    &tx,
                    self.offline.knowledge(),
                    &origin,
                    finding,
                    old_spec_id,
                    now,
                )
                .await?,
            );
        }
        let report = record_maturity_with(
            &tx,
            session.project_id,
            "answer",
            Some(question.id.into_uuid()),
            now,
            sessions::touch_later(session.id, now),
        )
        .await?;
        tx.commit().await?;
        self.views.invalidate(session.project_id).await;
        Ok(AnswerResult {
            success: true,
            specs_extracted: saved_count,
            specifications: saved.iter().map(FactView::from).collect(),
            rejected,
            conflicts_detected: !raised.is_empty(),
            conflicts: raised,
            maturity_score: report.overall,
            coverage_breakdown: report
                .categories
                .iter()
                .map(|c| (c.category, c.coverage_percent))
                .collect(),
        })
    }

    async fn end_session(
        &self,
        context: &AgentContext,
        request: SessionRef,
    ) -> Result<SessionView, AgentError> {
        let (session, _) = self.owned_session(context, request.session_id).await?;
        if session.status == SessionStatus::Ended {
            return Ok(session.into());
        }
        Ok(sessions::end(&self.db, session.id, self.clock.now())
            .await?
            .into())
    }

    async fn history(
        &self,
        context: &AgentContext,
        request: SessionRef,
    ) -> Result<History, AgentError> {
        let (session, _) = self.owned_session(context, request.session_id).await?;
        let (entries, total) =
            conversation::list_for_session(&self.db, session.id, Page::new(Some(100), None))
                .await?;
        Ok(History {
            session_id: session.id,
            total,
            entries: entries
                .into_iter()
                .map(|entry| HistoryEntry {
                    role: entry.role,
                    kind: entry.kind,
                    content: entry.content,
                    question_id: entry.question_id,
                    created_at: entry.created_at,
                })
                .collect(),
        })
    }
}

/// Refuses work in an ended session or an archived project.
fn ensure_active(session: &Session, project: &Project) -> Result<(), AgentError> {
    ensure_writable(project)?;
    if session.status == SessionStatus::Ended {
        return Err(AgentError::Refused {
            code: Code::SessionEnded,
            message: "the session has ended; start a new one".to_owned(),
            details: None,
        });
    }
    Ok(())
}

fn already_answered() -> AgentError {
    AgentError::Refused {
        code: Code::QuestionAlreadyAnswered,
        message: "this question was already answered; ask for the next one".to_owned(),
        details: None,
    }
}

/// A draft as a fact to store, or why it cannot be one.
fn new_specification(
    session: &Session,
    question: &Question,
    context: &AgentContext,
    draft: &socrates_domain::FactDraft,
) -> Result<NewSpecification, String> {
    Ok(NewSpecification {
        project_id: session.project_id,
        session_id: Some(session.id),
        category: draft.category,
        key: FactKey::parse(&draft.key).map_err(|e| e.to_string())?,
        value: FactValue::parse(&draft.value).map_err(|e| e.to_string())?,
        source: FactSource::SocraticQuestion,
        source_id: Some(question.id.into_uuid()),
        confidence: Confidence::new(draft.confidence).map_err(|e| e.to_string())?,
        reasoning: draft.reasoning.clone(),
        created_by: Some(context.user_id),
        metadata: None,
    })
}

const CAPABILITIES: &[&str] = &[
    "start_session",
    "get_session",
    "next_question",
    "answer",
    "end_session",
    "history",
];

#[async_trait]
impl Agent for SocraticCounselor {
    fn id(&self) -> &'static str {
        ID
    }

    fn capabilities(&self) -> &'static [&'static str] {
        CAPABILITIES
    }

    async fn handle(
        &self,
        context: &AgentContext,
        action: &str,
        request: Value,
    ) -> Result<Value, AgentError> {
        match action {
            "start_session" => output(&self.start_session(context, input(request)?).await?),
            "get_session" => {
                let request: SessionRef = input(request)?;
                let (session, _) = self.owned_session(context, request.session_id).await?;
                output(&SessionView::from(session))
            }
            "next_question" => output(&self.next_question(context, input(request)?).await?),
            "answer" => output(&self.answer(context, input(request)?).await?),
            "end_session" => output(&self.end_session(context, input(request)?).await?),
            "history" => output(&self.history(context, input(request)?).await?),
            other => Err(AgentError::UnsupportedAction {
                agent: ID.to_owned(),
                action: other.to_owned(),
            }),
        }
    }
}
