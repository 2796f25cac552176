//! `socratic_counselor`: sessions (start, get, end, history, mode), the next question, the
//! answer path and direct chat.
//!
//! The answer path asks the reasoner first — extraction, then the conflict judgement over the
//! current facts — with no transaction open, then writes everything in **one** transaction:
//! the question and answer in the conversation, the saved facts, the conflicts holding back
//! the contradicting ones, the recomputed maturity on the project and its `maturity_tracking`
//! row. A reasoner failure writes nothing; the same answer can be sent again.

use std::collections::HashSet;
use std::sync::Arc;

use socrates_domain::quality::{APPROVAL_THRESHOLD, QuestionQuality, score_question};
use socrates_domain::{Code, SessionId, SessionMode, SessionStatus};
use socrates_persistence::repositories::Page;
use socrates_persistence::repositories::conversation;
use socrates_persistence::repositories::learning;
use socrates_persistence::repositories::projects::{self, Project};
use socrates_persistence::repositories::quality;
use socrates_persistence::repositories::questions::{self, NewQuestion};
use socrates_persistence::repositories::sessions::{self, Session};
use socrates_persistence::repositories::specifications::{self, Specification};
use socrates_persistence::{DbError, SpecsDb};

use crate::agent::{Action, ActionSet, Agent, AgentContext, AgentError};
use crate::agents::common::{ensure_writable, existing_facts, project_not_found};
use crate::agents::interview::InterviewStanding;
use crate::learning::{DEFAULT_COHORT_TTL, Learner, model_template_id};
use crate::usage::{self, UsageContext};
use crate::view_cache::ProjectViews;
use socrates_infra::clock::Clock;
use socrates_reasoner::OfflineReasoner;
use socrates_reasoner::offline::OfflineData;
use socrates_reasoner::{QuestionContext, Reasoner, ReasonerError};

mod answer;
mod chat;
mod exchange;
mod messages;
pub use messages::*;

/// The agent id.
pub const ID: &str = "socratic_counselor";

/// The counselor; see the module documentation.
#[derive(Debug, Clone)]
pub struct SocraticCounselor {
    db: SpecsDb,
    reasoner: Arc<dyn Reasoner>,
    offline: Arc<OfflineData>,
    /// The offline question bank, asked when the model proposes no usable question.
    bank: OfflineReasoner,
    clock: Arc<dyn Clock>,
    views: ProjectViews,
    learner: Learner,
}

/// How many earlier questions of the project a model is shown.
const ASKED_QUESTIONS_SHOWN: u64 = 30;

/// Categories the model may propose an unusable question for before the offline bank asks.
const MODEL_QUESTION_TRIES: u32 = 2;

/// How many times a question refused by quality control is asked for again before the best
/// candidate is asked anyway, with its score.
const MAX_REGENERATIONS: usize = 2;

/// The `quality_metrics` row of a question's score.
pub(crate) fn quality_metric(
    project_id: socrates_domain::ProjectId,
    quality: &QuestionQuality,
    text: &str,
) -> quality::NewMetric {
    quality::NewMetric {
        project_id,
        metric_type: "question_quality",
        metric_value: quality.score,
        threshold: Some(APPROVAL_THRESHOLD),
        passed: quality.approved,
        details: Some(serde_json::json!({
            "question": text,
            "bias_score": quality.bias_score,
            "issues": quality.issues,
            "warnings": quality.warnings,
        })),
    }
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
            learner: Learner::new(db.clone(), DEFAULT_COHORT_TTL),
            db,
            reasoner,
            bank: OfflineReasoner::new(Arc::clone(&offline)),
            offline,
            clock,
            views: ProjectViews::uncached(),
        }
    }

    /// Learns with `learner` (by default one that keeps cohort figures for a minute).
    #[must_use]
    pub fn with_learner(mut self, learner: Learner) -> Self {
        self.learner = learner;
        self
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

    async fn start_session(
        &self,
        context: &AgentContext,
        request: StartSession,
    ) -> Result<SessionView, AgentError> {
        let mode = request.mode.unwrap_or(SessionMode::Socratic);
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
        session_id: SessionId,
    ) -> Result<QuestionView, AgentError> {
        let (session, project) = self.active_session(context, session_id).await?;
        let facts = specifications::all_current(&self.db, project.id).await?;
        let asked = questions::asked_in_project(&self.db, project.id).await?;
        let standing = InterviewStanding::new(
            &self.offline,
            facts
                .iter()
                .map(|fact| (fact.category, fact.key.as_str(), fact.confidence)),
            &asked,
        );
        let overall = standing.report.overall;
        // A question still waiting for its answer is asked again, not replaced.
        if let Some(waiting) = asked
            .iter()
            .find(|question| question.session_id == session.id && question.waiting)
        {
            let question = questions::find_by_id(&self.db, waiting.id)
                .await?
                .ok_or_else(|| {
                    AgentError::from(DbError::corrupt(
                        questions::ENTITY,
                        "the session waits on a question that cannot be read",
                    ))
                })?;
            return Ok(QuestionView::asked(question, overall, &self.offline));
        }
        let asked_ids: HashSet<String> = asked
            .iter()
            .filter_map(|question| question.template_id.clone())
            .collect();
        let asked_questions = if self.reasoner.reads_asked_questions() {
            questions::recent_texts_for_project(&self.db, project.id, ASKED_QUESTIONS_SHOWN).await?
        } else {
            Vec::new()
        };
        let existing = existing_facts(&facts);
        let attribution = UsageContext {
            user_id: context.user_id,
            project_id: Some(project.id),
            session_id: Some(session.id),
        };
        let learned = self.learner.standing(context.user_id).await?;
        let mut chosen = None;
        let mut unusable = 0;
        // The open category most in need first (the one `/status` names); when the reasoner
        // has nothing for it, the next open one.
        for &category in standing.plan.open_by_need() {
            let templates: Vec<&str> = self
                .offline
                .questions()
                .of(category)
                .map(|template| template.template_id.as_str())
                .filter(|id| !asked_ids.contains(*id))
                .collect();
            let preferences = self
                .learner
                .preferences(context.user_id, &learned, category, &templates)
                .await?;
            let documents = if self.reasoner.reads_documents() {
                let query = format!(
                    "{} {} {}",
                    category.title(),
                    project.name,
                    project.description.as_deref().unwrap_or_default()
                );
                crate::agents::knowledge::excerpts(&self.db, project.id, &query).await?
            } else {
                Vec::new()
            };
            let question_context = QuestionContext {
                project_name: project.name.clone(),
                project_description: project.description.clone().unwrap_or_default(),
                focus_category: category,
                persona: None,
                asked_template_ids: asked_ids.clone(),
                asked_questions: asked_questions.clone(),
                existing_facts: existing.clone(),
                preferences,
                documents,
            };
            match self
                .best_question(question_context, &mut unusable, &facts, attribution)
                .await?
            {
                Some(found) => {
                    chosen = Some(found);
                    break;
                }
                None => continue,
            }
        }
        let (draft, quality) = chosen.ok_or_else(|| AgentError::Refused {
            code: Code::QuestionsExhausted,
            message: if standing.report.is_complete() {
                "the specification is complete: every category is covered".to_owned()
            } else {
                "nothing is left to ask in any category: every question has been asked or is \
                 answered by the facts already held; add facts directly or in a direct chat"
                    .to_owned()
            },
            details: Some(serde_json::json!({ "maturity_score": overall })),
        })?;
        let now = self.clock.now();
        let metric = quality_metric(project.id, &quality, &draft.text);
        let template_id = draft
            .template_id
            .clone()
            .unwrap_or_else(|| model_template_id(draft.category));
        let asked_once = learning::asked_later(
            learning::TemplateKey {
                user_id: context.user_id,
                template_id: &template_id,
                category: draft.category,
                role: draft.persona.as_deref().unwrap_or_default(),
            },
            now,
        );
        // The question and the session's activity go to the database in one round trip. A
        // concurrent call may have stored the session's question meanwhile: the database
        // refuses a second one, and that one is the question.
        let inserted = questions::insert_with(
            &self.db,
            NewQuestion {
                project_id: project.id,
                session_id: session.id,
                text: draft.text,
                category: draft.category,
                context: Some(draft.context),
                template_id: draft.template_id,
                persona: draft.persona,
                quality_score: quality.score,
                bias_score: Some(quality.bias_score),
            },
            now,
            sessions::touch_later(session.id, now)
                .and(quality::record_later(metric, now))
                .and(asked_once),
        )
        .await;
        let question = match inserted {
            Err(DbError::AlreadyExists { .. }) => {
                questions::waiting_for_session(&self.db, session.id)
                    .await?
                    .ok_or_else(|| {
                        AgentError::from(DbError::corrupt(
                            questions::ENTITY,
                            "a question was refused as the session's second, but none waits",
                        ))
                    })?
            }
            other => other?,
        };
        self.views.invalidate(project.id).await;
        let mut view = QuestionView::asked(question, overall, &self.offline);
        // The first question after the session's previous one about a category the plan has
        // closed since announces it.
        view.category_completed = asked
            .iter()
            .find(|earlier| earlier.session_id == session.id)
            .filter(|previous| previous.category != view.category)
            .and_then(|previous| {
                standing.plan.closure(previous.category).map(|reason| {
                    CategoryCompleted::new(
                        previous.category,
                        reason,
                        standing.report.coverage(previous.category).coverage_percent,
                        view.category,
                    )
                })
            });
        Ok(view)
    }

    /// A question about `context.focus_category` that passes quality control, or the best of
    /// the candidates: the reasoner is asked again at most [`MAX_REGENERATIONS`] times for a
    /// question that scores under the approval threshold, each time told not to repeat the
    /// ones refused. `None` when the reasoner has nothing (new) to ask about the category.
    async fn best_question(
        &self,
        mut context: QuestionContext,
        unusable: &mut u32,
        facts: &[Specification],
        attribution: UsageContext,
    ) -> Result<Option<(socrates_reasoner::QuestionDraft, QuestionQuality)>, AgentError> {
        let category = context.focus_category;
        let mut best: Option<(socrates_reasoner::QuestionDraft, QuestionQuality)> = None;
        for _ in 0..=MAX_REGENERATIONS {
            let reasoner: &dyn Reasoner = if *unusable < MODEL_QUESTION_TRIES {
                self.reasoner.as_ref()
            } else {
                &self.bank
            };
            let draft =
                match usage::attributed(attribution, reasoner.generate_question(&context)).await {
                    Ok(found) => found,
                    Err(ReasonerError::QuestionBankExhausted { .. }) => break,
                    // A model that keeps proposing unusable questions (repeats above all) must
                    // not stall the interview: the next category, then the offline bank.
                    Err(ReasonerError::InvalidResponse { reason }) => {
                        *unusable += 1;
                        tracing::warn!(
                            %category,
                            reason,
                            fallback = if *unusable < MODEL_QUESTION_TRIES {
                                "the next category"
                            } else {
                                "the offline question bank"
                            },
                            "the model proposed no usable question"
                        );
                        break;
                    }
                    Err(other) => return Err(other.into()),
                };
            let quality = score_question(&draft.text, &self.unmentioned(&draft.text, facts));
            let approved = quality.approved;
            if !approved {
                tracing::info!(
                    %category,
                    score = quality.score,
                    issues = quality.issues.len(),
                    "quality control refused a question; asking for another"
                );
                // Not this one again.
                if let Some(id) = &draft.template_id {
                    context.asked_template_ids.insert(id.clone());
                }
                context.asked_questions.insert(0, draft.text.clone());
            }
            if best
                .as_ref()
                .is_none_or(|(_, kept)| quality.score > kept.score)
            {
                best = Some((draft, quality));
            }
            if approved {
                break;
            }
        }
        Ok(best)
    }

    /// The technologies `text` names that no current fact names. The facts are read only when
    /// the text names a technology, which bank questions never do.
    fn unmentioned(&self, text: &str, facts: &[Specification]) -> Vec<String> {
        let technologies = self.offline.knowledge().technologies();
        let mut named: Vec<String> = technologies
            .find(text)
            .into_iter()
            .map(|mention| mention.technology.name.clone())
            .collect();
        named.dedup();
        if named.is_empty() {
            return named;
        }
        let held: HashSet<String> = facts
            .iter()
            .flat_map(|fact| technologies.find(&fact.value))
            .map(|mention| mention.technology.name.clone())
            .collect();
        named.retain(|name| !held.contains(name));
        named
    }

    async fn end_session(
        &self,
        context: &AgentContext,
        session_id: SessionId,
    ) -> Result<SessionView, AgentError> {
        let (session, _) = self.owned_session(context, session_id).await?;
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
        request: GetSessionHistory,
    ) -> Result<History, AgentError> {
        let (session, _) = self.owned_session(context, request.session_id).await?;
        let page = Page::new(
            request.limit,
            request.offset.map(socrates_domain::PageOffset::get),
        );
        let (entries, total) = conversation::list_for_session(&self.db, session.id, page).await?;
        Ok(History {
            session_id: session.id,
            total,
            limit: page.limit,
            offset: page.offset,
            entries: entries
                .into_iter()
                .map(|entry| HistoryEntry {
                    role: entry.role,
                    kind: entry.kind,
                    content: entry.content,
                    question_id: entry.question_id,
                    message_id: entry.metadata.as_ref().and_then(|metadata| {
                        metadata.get(chat::MESSAGE_ID)?.as_str()?.parse().ok()
                    }),
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

impl Agent for SocraticCounselor {
    const ID: &'static str = ID;

    fn actions(actions: &mut ActionSet<Self>) {
        actions
            .add::<StartSession>()
            .add::<GetSession>()
            .add::<NextQuestion>()
            .add::<AnswerQuestion>()
            .add::<EndSession>()
            .add::<GetSessionHistory>()
            .add::<SendMessage>()
            .add::<StreamMessage>()
            .add::<ToggleMode>();
    }
}

impl Action for StartSession {
    type Agent = SocraticCounselor;
    type Output = SessionView;
    const NAME: &'static str = "start_session";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &SocraticCounselor,
        context: &AgentContext,
    ) -> Result<SessionView, AgentError> {
        agent.start_session(context, self).await
    }
}

impl Action for GetSession {
    type Agent = SocraticCounselor;
    type Output = SessionView;
    const NAME: &'static str = "get_session";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &SocraticCounselor,
        context: &AgentContext,
    ) -> Result<SessionView, AgentError> {
        let (session, _) = agent.owned_session(context, self.session_id).await?;
        Ok(session.into())
    }
}

impl Action for NextQuestion {
    type Agent = SocraticCounselor;
    type Output = QuestionView;
    const NAME: &'static str = "next_question";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &SocraticCounselor,
        context: &AgentContext,
    ) -> Result<QuestionView, AgentError> {
        agent.next_question(context, self.session_id).await
    }
}

impl Action for AnswerQuestion {
    type Agent = SocraticCounselor;
    type Output = AnswerResult;
    const NAME: &'static str = "answer";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &SocraticCounselor,
        context: &AgentContext,
    ) -> Result<AnswerResult, AgentError> {
        agent.answer(context, self).await
    }
}

impl Action for EndSession {
    type Agent = SocraticCounselor;
    type Output = SessionView;
    const NAME: &'static str = "end_session";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &SocraticCounselor,
        context: &AgentContext,
    ) -> Result<SessionView, AgentError> {
        agent.end_session(context, self.session_id).await
    }
}

impl Action for GetSessionHistory {
    type Agent = SocraticCounselor;
    type Output = History;
    const NAME: &'static str = "history";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &SocraticCounselor,
        context: &AgentContext,
    ) -> Result<History, AgentError> {
        agent.history(context, self).await
    }
}

impl Action for SendMessage {
    type Agent = SocraticCounselor;
    type Output = ChatResult;
    const NAME: &'static str = "message";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &SocraticCounselor,
        context: &AgentContext,
    ) -> Result<ChatResult, AgentError> {
        agent
            .send_message(context, self.session_id, &self.message)
            .await
    }
}

impl Action for StreamMessage {
    type Agent = SocraticCounselor;
    type Output = ChatStream;
    const NAME: &'static str = "message_stream";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &SocraticCounselor,
        context: &AgentContext,
    ) -> Result<ChatStream, AgentError> {
        agent
            .stream_message(context, self.session_id, &self.message)
            .await
    }
}

impl Action for ToggleMode {
    type Agent = SocraticCounselor;
    type Output = ModeChange;
    const NAME: &'static str = "toggle_mode";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &SocraticCounselor,
        context: &AgentContext,
    ) -> Result<ModeChange, AgentError> {
        agent.toggle_mode(context, self).await
    }
}
