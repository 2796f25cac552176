//! The answer path of the Socratic counselor: the question it answers, the facts the answer
//! states, the conflicts they raise, and all of it written in one transaction.

use std::collections::HashSet;

use socrates_domain::{
    Answer, Code, ConversationRole, FactSource, MessageKind, QuestionId, SessionId,
};
use socrates_persistence::repositories::projects::Project;
use socrates_persistence::repositories::questions::{self, NewQuestion, Question};
use socrates_persistence::repositories::sessions::{self, Session};
use socrates_persistence::repositories::specifications::{self, Specification};

use super::exchange::{self, Exchange, Learns, already_answered};
use super::{AnswerQuestion, AnswerResult, SocraticCounselor, ensure_active};
use crate::agent::{AgentContext, AgentError};
use crate::agents::common::{FACT_WRITE_ATTEMPTS, existing_facts, lost_fact_race};
use crate::learning::model_template_id;
use crate::usage::{self, UsageContext};
use socrates_domain::learning::PACE_CAP_SECONDS;
use socrates_domain::quality::{QuestionQuality, score_question};
use socrates_reasoner::ExtractionInput;

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
            let follow_up =
                self.follow_up(&session, &question, &answer, &extraction.facts, &current);
            let exchange = Exchange {
                session: &session,
                source: FactSource::SocraticQuestion,
                source_id: question.id.into_uuid(),
                entries: vec![
                    exchange::entry(
                        &session,
                        ConversationRole::Assistant,
                        MessageKind::Question,
                        question.text.clone(),
                        Some(question.id),
                        None,
                    ),
                    exchange::entry(
                        &session,
                        ConversationRole::User,
                        MessageKind::Answer,
                        answer.as_str().to_owned(),
                        Some(question.id),
                        None,
                    ),
                ],
                answers: Some(&question),
                follow_up,
                reason: "answer",
                learns: Some(self.learns(&question, &answer)),
            };
            // Boxed: the write's state machine is large, and the answer's future holds it.
            let written = Box::pin(self.write_exchange(
                context,
                exchange,
                extraction.facts.clone(),
                extraction.rejected.clone(),
                &findings,
                &current,
            ))
            .await
            .map(AnswerResult::from);
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
}

impl SocraticCounselor {
    /// What learning counts of `answer` to `question`.
    fn learns(&self, question: &Question, answer: &Answer) -> Learns {
        let template = question
            .template_id
            .as_deref()
            .and_then(|id| self.offline.template(id));
        let seconds = (self.clock.now() - question.created_at)
            .num_seconds()
            .clamp(0, PACE_CAP_SECONDS);
        Learns {
            template_id: question
                .template_id
                .clone()
                .unwrap_or_else(|| model_template_id(question.category)),
            category: question.category,
            role: question.persona.clone().unwrap_or_default(),
            expected_keys: template.map_or(0, |t| t.target_keys.len()),
            first_answer: question.answered_at.is_none(),
            chars: u32::try_from(answer.as_str().chars().count()).unwrap_or(u32::MAX),
            seconds,
        }
    }

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
    ) -> Option<(NewQuestion, QuestionQuality)> {
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
        let asked = self
            .offline
            .follow_ups()
            .after_answer(template, answer.as_str(), &answered, &held)
            // A follow-up is never followed up by itself (its ask and its answer would
            // count on one learning row in one statement).
            .filter(|asked| question.template_id.as_deref() != Some(&asked.template_id))?;
        // Scored like any question; the user's words it quotes are not.
        let quality = score_question(&asked.text, &self.unmentioned(&asked.text, current));
        let new = NewQuestion {
            project_id: session.project_id,
            session_id: session.id,
            text: asked.text,
            category: asked.category,
            context: Some(asked.context),
            template_id: Some(asked.template_id),
            persona: question.persona.clone(),
            quality_score: quality.score,
            bias_score: Some(quality.bias_score),
        };
        Some((new, quality))
    }
}
