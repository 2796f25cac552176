//! The answer path of the Socratic counselor: the question it answers, the facts the answer
//! states, the conflicts they raise, and all of it written in one transaction.

use std::collections::{HashMap, HashSet};

use socrates_domain::{
    Answer, Category, Code, Confidence, ConflictFinding, ConversationRole, FactKey, FactSource,
    FactValue, Knowledge, MessageKind, Placement, QuestionId, SessionId, ValueSlot, place,
};
use socrates_persistence::repositories::conversation::{self, NewConversationEntry};
use socrates_persistence::repositories::projects::Project;
use socrates_persistence::repositories::questions::{self, NewQuestion, Question};
use socrates_persistence::repositories::sessions::{self, Session};
use socrates_persistence::repositories::specifications::{
    self, FactChange, NewSpecification, Specification,
};

use super::{AnswerQuestion, AnswerResult, SocraticCounselor, ensure_active};
use crate::agent::{AgentContext, AgentError};
use crate::agents::common::{
    FACT_WRITE_ATTEMPTS, Origin, existing_facts, hold_in_conflict, lost_fact_race,
    record_maturity_with,
};
use crate::agents::views::{ConflictView, FactView, RejectedView};
use crate::usage::{self, UsageContext};
use socrates_reasoner::{ExtractionInput, RejectedItem};

impl SocraticCounselor {
    /// The caller's active session, its project and the question being answered: one
    /// statement when all is well; the reason when not.
    pub(super) async fn answered_question(
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

    pub(super) async fn answer(
        &self,
        context: &AgentContext,
        request: AnswerQuestion,
    ) -> Result<AnswerResult, AgentError> {
        let answer = Answer::parse(&request.answer)?;
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
            text: answer.as_str().to_owned(),
            existing: existing.clone(),
            source: FactSource::SocraticQuestion,
        };
        let extraction =
            usage::attributed(attribution, self.reasoner.extract_facts(&extraction_input)).await?;
        // Another answer of the project may make a fact current between the read above and the
        // write: the database refuses the second current value, and this answer's facts are
        // judged again against the facts as they are now (the extraction stands).
        let (mut current, mut existing) = (current, existing);
        let mut attempt = 1;
        loop {
            let findings = usage::attributed(
                attribution,
                self.reasoner.judge_conflicts(&extraction.facts, &existing),
            )
            .await?;
            let written = self
                .write_answer(
                    context,
                    &session,
                    &question,
                    &answer,
                    extraction.facts.clone(),
                    extraction.rejected.clone(),
                    &findings,
                    &current,
                )
                .await;
            match written {
                Err(error) if attempt < FACT_WRITE_ATTEMPTS && lost_fact_race(&error) => {
                    attempt += 1;
                    tracing::debug!(attempt, "an answer's fact write lost a race; judging again");
                    current = specifications::all_current(&self.db, project.id).await?;
                    existing = existing_facts(&current);
                }
                written => return written,
            }
        }
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
        answer: &Answer,
        drafts: Vec<socrates_domain::FactDraft>,
        rejected: Vec<RejectedItem>,
        findings: &[ConflictFinding],
        current: &[Specification],
    ) -> Result<AnswerResult, AgentError> {
        let follow_up = self.follow_up(session, question, answer, &drafts, current);
        let mut rejected: Vec<RejectedView> = rejected.into_iter().map(Into::into).collect();
        // Each draft is held in a conflict, skipped as already known, saved as a new fact, or
        // written as the next version of the fact it refines.
        let mut to_save: Vec<(usize, NewSpecification, Placement<'_, Specification>)> = Vec::new();
        // The slots this answer already fills: two statements of one answer cannot both become
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
                            "the same answer also says {} = \"{}\", and {} holds one value",
                            earlier.key, earlier.value, earlier.key
                        ),
                    });
                }
                continue;
            }
            match new_specification(knowledge, session, question, context, draft) {
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
                    answer.as_str().to_owned(),
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
                        value_slot: ValueSlot::of(
                            self.offline.knowledge(),
                            &previous.key,
                            new.value.as_str(),
                        ),
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
                None => {
                    let saved = drafts
                        .iter()
                        .position(|d| d.as_existing() == finding.existing)
                        .and_then(|index| saved_by_draft.get(&index).copied());
                    // Both values of this answer are held against a stored fact already: the
                    // user settles each of those conflicts, not a third between the two.
                    if saved.is_none() {
                        continue;
                    }
                    saved
                }
            };
            let conflict = hold_in_conflict(
                &tx,
                self.offline.knowledge(),
                &origin,
                finding,
                old_spec_id,
                now,
            )
            .await?;
            // One statement contradicting two facts is one held conflict, listed once.
            if !raised
                .iter()
                .any(|held: &ConflictView| held.conflict_id == conflict.conflict_id)
            {
                raised.push(conflict);
            }
        }
        let report = record_maturity_with(
            &tx,
            session.project_id,
            "answer",
            Some(question.id.into_uuid()),
            now,
            sessions::touch_later(session.id, now).and(
                follow_up
                    .map(|new| questions::insert_follow_up_later(new, now))
                    .unwrap_or_default(),
            ),
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
}

impl SocraticCounselor {
    /// The follow-up the session asks next when this first answer to a question aiming at
    /// keys stated nothing for them and was vague (see
    /// [`FollowUps::after_answer`](socrates_reasoner::offline::FollowUps::after_answer)).
    fn follow_up(
        &self,
        session: &Session,
        question: &Question,
        answer: &Answer,
        drafts: &[socrates_domain::FactDraft],
        current: &[Specification],
    ) -> Option<NewQuestion> {
        if question.answered_at.is_some() {
            return None;
        }
        let template = self.offline.template(question.template_id.as_deref()?)?;
        let answered: HashSet<&str> = drafts.iter().map(|draft| draft.key.as_str()).collect();
        let held: HashSet<&str> = current
            .iter()
            .map(|fact| fact.key.as_str())
            .chain(answered.iter().copied())
            .collect();
        let asked =
            self.offline
                .follow_ups()
                .after_answer(template, answer.as_str(), &answered, &held)?;
        Some(NewQuestion {
            project_id: session.project_id,
            session_id: session.id,
            text: asked.text,
            category: asked.category,
            context: Some(asked.context),
            template_id: Some(asked.template_id),
            persona: question.persona.clone(),
            quality_score: 1.0,
            bias_score: None,
        })
    }
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
    knowledge: &Knowledge,
    session: &Session,
    question: &Question,
    context: &AgentContext,
    draft: &socrates_domain::FactDraft,
) -> Result<NewSpecification, String> {
    let value = FactValue::parse(&draft.value).map_err(|e| e.to_string())?;
    Ok(NewSpecification {
        value_slot: ValueSlot::of(knowledge, &draft.key, value.as_str()),
        project_id: session.project_id,
        session_id: Some(session.id),
        category: draft.category,
        key: FactKey::parse(&draft.key).map_err(|e| e.to_string())?,
        value,
        source: FactSource::SocraticQuestion,
        source_id: Some(question.id.into_uuid()),
        confidence: Confidence::new(draft.confidence).map_err(|e| e.to_string())?,
        reasoning: draft.reasoning.clone(),
        created_by: Some(context.user_id),
        metadata: None,
    })
}
