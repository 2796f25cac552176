//! One exchange of a session written in **one** transaction: an answer to a question or a
//! direct-chat message with its reply. The conversation entries, the saved facts, the
//! conflicts holding back the contradicting ones, the recomputed maturity on the project and
//! its `maturity_tracking` row all commit together, or nothing does.

use std::collections::HashMap;

use socrates_domain::learning;
use socrates_domain::quality::QuestionQuality;
use socrates_domain::{
    Category, Code, Confidence, ConflictFinding, ConversationRole, FactDraft, FactKey, FactSource,
    FactValue, Knowledge, MaturityReport, MessageKind, Placement, QuestionId, ValueSlot, place,
};
use socrates_persistence::repositories::conversation::{self, NewConversationEntry};
use socrates_persistence::repositories::learning as learning_repo;
use socrates_persistence::repositories::questions::{self, NewQuestion, Question};
use socrates_persistence::repositories::sessions::{self, Session};
use socrates_persistence::repositories::specifications::{
    self, FactChange, NewSpecification, Specification,
};
use socrates_persistence::repositories::{Writes, quality};
use socrates_reasoner::RejectedItem;
use uuid::Uuid;

use super::{AnswerResult, SocraticCounselor};
use crate::agent::{AgentContext, AgentError};
use crate::agents::common::{Origin, hold_in_conflict, record_maturity_with};
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
        let mut rejected: Vec<RejectedView> = rejected.into_iter().map(Into::into).collect();
        let mut to_save: Vec<(usize, NewSpecification, Placement<'_, Specification>)> = Vec::new();
        // The slots this exchange already fills: two statements of one text cannot both become
        // the current value of a single-valued key (the database would refuse the pair).
        let mut filled: HashMap<(Category, String, ValueSlot), usize> = HashMap::new();
        let knowledge = self.offline.knowledge();
        for (index, draft) in drafts.iter().enumerate() {
            if findings.iter().any(|finding| finding.new == *draft) {
                continue;
            }
            let placement = place(knowledge, current, draft);
            if matches!(placement, Placement::Known(_)) {
                continue;
            }
            let slot = (
                draft.category,
                draft.key.clone(),
                ValueSlot::of(knowledge, &draft.key, &draft.value),
            );
            if let Some(&first) = filled.get(&slot) {
                let earlier = &drafts[first];
                if knowledge.normalise_value(&earlier.key, &earlier.value)
                    != knowledge.normalise_value(&draft.key, &draft.value)
                {
                    rejected.push(RejectedView {
                        category: draft.category.as_str().to_owned(),
                        key: draft.key.clone(),
                        value: draft.value.clone(),
                        reason: format!(
                            "the same text also says {} = \"{}\", and {} holds one value",
                            earlier.key, earlier.value, earlier.key
                        ),
                    });
                }
                continue;
            }
            match new_specification(knowledge, &origin, draft) {
                Ok(new) => {
                    filled.insert(slot, index);
                    to_save.push((index, new, placement));
                }
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
        let saved_count = u32::try_from(to_save.len()).unwrap_or(u32::MAX);
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
        // Revisions write two rows each; every new fact goes in one multi-row insert.
        let mut saved: Vec<(usize, Specification)> = Vec::with_capacity(to_save.len());
        let mut fresh: Vec<(usize, NewSpecification)> = Vec::new();
        for (index, new, placement) in to_save {
            match placement {
                Placement::Revise(previous) => {
                    let change = FactChange {
                        value_slot: ValueSlot::of(knowledge, &previous.key, new.value.as_str()),
                        value: new.value,
                        confidence: Some(new.confidence),
                        source: new.source,
                        source_id: new.source_id,
                        reasoning: new.reasoning,
                        created_by: new.created_by,
                    };
                    let fact = specifications::new_version(&tx, previous.id, change, now).await?;
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
        let mut raised = Vec::new();
        for finding in findings {
            // A contradiction inside the text points at the draft saved in this transaction.
            let old_spec_id = match finding.existing.id {
                Some(id) => Some(socrates_domain::SpecificationId::from_uuid(id)),
                None => {
                    let saved = drafts
                        .iter()
                        .position(|d| d.as_existing() == finding.existing)
                        .and_then(|index| saved_by_draft.get(&index).copied());
                    // Both values of this text are held against a stored fact already: the
                    // user settles each of those conflicts, not a third between the two.
                    if saved.is_none() {
                        continue;
                    }
                    saved
                }
            };
            let conflict =
                hold_in_conflict(&tx, knowledge, &origin, finding, old_spec_id, now).await?;
            // One statement contradicting two facts is one held conflict, listed once.
            if !raised
                .iter()
                .any(|held: &ConflictView| held.conflict_id == conflict.conflict_id)
            {
                raised.push(conflict);
            }
        }
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

/// A draft as a fact to store, or why it cannot be one.
fn new_specification(
    knowledge: &Knowledge,
    origin: &Origin,
    draft: &FactDraft,
) -> Result<NewSpecification, String> {
    let value = FactValue::parse(&draft.value).map_err(|e| e.to_string())?;
    Ok(NewSpecification {
        value_slot: ValueSlot::of(knowledge, &draft.key, value.as_str()),
        project_id: origin.project_id,
        session_id: origin.session_id,
        category: draft.category,
        key: FactKey::parse(&draft.key).map_err(|e| e.to_string())?,
        value,
        source: origin.source,
        source_id: origin.source_id,
        confidence: Confidence::new(draft.confidence).map_err(|e| e.to_string())?,
        reasoning: draft.reasoning.clone(),
        created_by: Some(origin.created_by),
        metadata: None,
    })
}
