//! One exchange of a session written in **one** transaction: an answer to a question or a
//! direct-chat message with its reply. The conversation entries, the saved facts, the
//! conflicts holding back the contradicting ones, the recomputed maturity on the project and
//! its `maturity_tracking` row all commit together, or nothing does.

use socrates_domain::learning;
use socrates_domain::quality::QuestionQuality;
use socrates_domain::{
    Category, Code, ConflictFinding, ConversationRole, FactDraft, FactSource, MaturityReport,
    MessageKind, QuestionId,
};
use socrates_persistence::repositories::conversation::{self, NewConversationEntry};
use socrates_persistence::repositories::learning as learning_repo;
use socrates_persistence::repositories::questions::{self, NewQuestion, Question};
use socrates_persistence::repositories::sessions::{self, Session};
use socrates_persistence::repositories::specifications::Specification;
use socrates_persistence::repositories::{Writes, quality};
use socrates_reasoner::RejectedItem;
use uuid::Uuid;

use super::{AnswerResult, SocraticCounselor};
use crate::agent::{AgentContext, AgentError};
use crate::agents::common::{Origin, record_maturity_with};
use crate::agents::drafts;
use crate::agents::views::{ConflictView, FactView, RejectedView};

/// What one exchange writes besides its facts.
pub(super) struct Exchange<'a> {
    /// The session it happens in.
    pub session: &'a Session,
    /// Where its facts come from.
    pub source: FactSource,
    /// The question or message its facts come from.
    pub source_id: Uuid,
    /// The conversation entries it appends, in order.
    pub entries: Vec<NewConversationEntry>,
    /// The question it answers, marked answered in the same transaction; when another
    /// request answered it first, nothing is written and the answer is refused.
    pub answers: Option<&'a Question>,
    /// A follow-up question to store with it, and its score.
    pub follow_up: Option<(NewQuestion, QuestionQuality)>,
    /// The `maturity_tracking` reason (`answer`, `message`).
    pub reason: &'static str,
    /// What learning counts of it, when it answers a question.
    pub learns: Option<Learns>,
}

/// What learning counts of an answer; see [`crate::learning`].
pub(super) struct Learns {
    /// The answered question's template (or its category's model pseudo-template).
    pub template_id: String,
    /// The question's category.
    pub category: Category,
    /// The team role that asked it.
    pub role: String,
    /// How many keys the question aims at (0 for a free-form one).
    pub expected_keys: usize,
    /// Whether it is the question's first answer.
    pub first_answer: bool,
    /// The answer's length in characters.
    pub chars: u32,
    /// Seconds since the question was asked, capped.
    pub seconds: i64,
}

/// A conversation entry of `session`.
pub(super) fn entry(
    session: &Session,
    role: ConversationRole,
    kind: MessageKind,
    content: String,
    question_id: Option<QuestionId>,
    metadata: Option<serde_json::Value>,
) -> NewConversationEntry {
    NewConversationEntry {
        session_id: session.id,
        project_id: session.project_id,
        role,
        kind,
        content,
        question_id,
        metadata,
    }
}

/// What an exchange wrote.
pub(super) struct Written {
    /// How many facts were saved.
    pub saved_count: u32,
    /// The saved facts.
    pub specifications: Vec<FactView>,
    /// The items that could not become facts, with the reason.
    pub rejected: Vec<RejectedView>,
    /// The open conflicts holding its contradicting statements.
    pub conflicts: Vec<ConflictView>,
    /// The project's maturity after it.
    pub report: MaturityReport,
}

impl Written {
    /// Coverage per category, in percent.
    pub fn coverage_breakdown(&self) -> std::collections::BTreeMap<Category, f64> {
        self.report
            .categories
            .iter()
            .map(|c| (c.category, c.coverage_percent))
            .collect()
    }
}

impl From<Written> for AnswerResult {
    fn from(written: Written) -> Self {
        Self {
            success: true,
            specs_extracted: written.saved_count,
            coverage_breakdown: written.coverage_breakdown(),
            maturity_score: written.report.overall,
            conflicts_detected: !written.conflicts.is_empty(),
            specifications: written.specifications,
            rejected: written.rejected,
            conflicts: written.conflicts,
        }
    }
}

/// The refusal of an answer to a question answered meanwhile.
pub(super) fn already_answered() -> AgentError {
    AgentError::Refused {
        code: Code::QuestionAlreadyAnswered,
        message: "this question was already answered; ask for the next one".to_owned(),
        details: None,
    }
}

impl SocraticCounselor {
    /// Writes `exchange` with the facts `drafts` state: each is held in a conflict (when a
    /// finding names it), skipped as already known, saved as a new fact, or written as the
    /// next version of the fact it refines; a second value of a single-valued key from the
    /// same text is rejected with the reason.
    pub(super) async fn write_exchange(
        &self,
        context: &AgentContext,
        exchange: Exchange<'_>,
        drafts: Vec<FactDraft>,
        rejected: Vec<RejectedItem>,
        findings: &[ConflictFinding],
        current: &[Specification],
    ) -> Result<Written, AgentError> {
        let session = exchange.session;
        let origin = Origin {
            project_id: session.project_id,
            session_id: Some(session.id),
            source: exchange.source,
            source_id: Some(exchange.source_id),
            created_by: context.user_id,
        };
        let knowledge = self.offline.knowledge();
        let planned = drafts::plan(knowledge, &origin, &drafts, findings, current);
        let mut rejected: Vec<RejectedView> = rejected.into_iter().map(Into::into).collect();
        rejected.extend(planned.rejected.iter().cloned());
        let now = self.clock.now();
        let tx = self.db.begin().await?;
        let saved_count = planned.saved_count();
        // The conversation's entries go with the question's update when the exchange answers
        // one (one round trip), else with the maturity's.
        let conversation = conversation::append_all_later(exchange.entries, now);
        let conversation = match exchange.answers {
            Some(question) => {
                if !questions::mark_answered_with(&tx, question.id, saved_count, now, conversation)
                    .await?
                {
                    tx.rollback().await?;
                    return Err(already_answered());
                }
                Writes::new()
            }
            None => conversation,
        };
        let drafts::Written {
            saved,
            conflicts: raised,
        } = planned
            .write(&tx, knowledge, &origin, &drafts, findings, now)
            .await?;
        let learned = exchange.learns.map(|learns| {
            let stated = saved_count.saturating_add(u32::try_from(raised.len()).unwrap_or(0));
            let quality = learning::answer_quality(stated, learns.expected_keys);
            learning_repo::answered_later(
                learning_repo::TemplateKey {
                    user_id: context.user_id,
                    template_id: &learns.template_id,
                    category: learns.category,
                    role: &learns.role,
                },
                learning::AnswerRecord {
                    first_answer: learns.first_answer,
                    well: learning::answered_well(stated, quality),
                    facts: stated,
                    conflicts: u32::try_from(raised.len()).unwrap_or(u32::MAX),
                    chars: learns.chars,
                    seconds: learns.seconds,
                },
                now,
            )
        });
        let learns = learned.is_some();
        let report = record_maturity_with(
            &tx,
            session.project_id,
            exchange.reason,
            Some(exchange.source_id),
            now,
            sessions::touch_later(session.id, now)
                .and(conversation)
                .and(
                    exchange
                        .follow_up
                        .map(|(new, score)| {
                            let metric = super::quality_metric(new.project_id, &score, &new.text);
                            let asked = new.template_id.as_deref().map(|template_id| {
                                learning_repo::asked_later(
                                    learning_repo::TemplateKey {
                                        user_id: context.user_id,
                                        template_id,
                                        category: new.category,
                                        role: new.persona.as_deref().unwrap_or_default(),
                                    },
                                    now,
                                )
                            });
                            asked
                                .unwrap_or_default()
                                .and(questions::insert_follow_up_later(new, now))
                                .and(quality::record_later(metric, now))
                        })
                        .unwrap_or_default(),
                )
                .and(learned.unwrap_or_default()),
        )
        .await?;
        tx.commit().await?;
        self.views.invalidate(session.project_id).await;
        if learns {
            self.learner
                .relearn(context.user_id, session.project_id, now)
                .await;
        }
        Ok(Written {
            saved_count,
            specifications: saved.iter().map(FactView::from).collect(),
            rejected,
            conflicts: raised,
            report,
        })
    }
}
