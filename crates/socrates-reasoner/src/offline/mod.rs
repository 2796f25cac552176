//! The offline reasoner: deterministic, no network, no cost. Questions come from the banks,
//! facts from the rules in [`extraction`], conflicts from the domain's conflict rules; the
//! banks, word lists, technologies and rules are data files ([`data`]).

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use socrates_domain::{
    ConflictFinding, ConversationRole, DomainError, ExistingFact, FactDraft, compute_maturity,
};

use super::{
    ChatTurn, Extraction, ExtractionInput, QuestionContext, QuestionDraft, Reasoner, ReasonerError,
    ReplyStream,
};

pub mod bank;
pub mod data;
pub mod extraction;
pub mod follow_up;
pub mod interview;

pub use data::{OfflineData, QuestionTemplate};
pub use follow_up::{FOLLOW_UP_PREFIX, FollowUpQuestion, FollowUps};
pub use interview::{CategoryClosure, InterviewPlan};

/// The built-in deterministic reasoner; see the module documentation. Cheap to clone: the
/// data is shared.
#[derive(Debug, Clone)]
pub struct OfflineReasoner {
    data: Arc<OfflineData>,
}

impl OfflineReasoner {
    /// A reasoner working from `data`.
    #[must_use]
    pub const fn new(data: Arc<OfflineData>) -> Self {
        Self { data }
    }

    /// A reasoner working from the compiled-in data.
    ///
    /// # Errors
    /// Only if a built-in file is invalid, which the test suite rules out.
    pub fn builtin() -> Result<Self, DomainError> {
        OfflineData::builtin().map(|data| Self::new(Arc::new(data)))
    }

    /// The data it works from.
    #[must_use]
    pub fn data(&self) -> &OfflineData {
        &self.data
    }

    /// Picks the template to ask among the askable templates of the focus category (not
    /// asked in the project, and free-form or aiming at a key the project does not hold; see
    /// [`data::QuestionBank::askable`]): first those aiming at missing keys, then the
    /// free-form ones; within a tier the requested persona first, then bank order.
    ///
    /// # Errors
    /// [`ReasonerError::QuestionBankExhausted`] when nothing is left to ask about the
    /// category: every template was asked or asks only for keys the project holds.
    pub fn select_template(
        &self,
        context: &QuestionContext,
    ) -> Result<&QuestionTemplate, ReasonerError> {
        let held: HashSet<&str> = context
            .existing_facts
            .iter()
            .map(|fact| fact.key.as_str())
            .collect();
        let persona_mismatch = |template: &QuestionTemplate| {
            context
                .persona
                .as_deref()
                .is_some_and(|persona| persona != template.persona)
        };
        self.data
            .questions()
            .askable(context.focus_category, &context.asked_template_ids, &held)
            .min_by_key(|template| (template.target_keys.is_empty(), persona_mismatch(template)))
            .ok_or(ReasonerError::QuestionBankExhausted {
                category: context.focus_category,
            })
    }
}

fn draft_from(template: &QuestionTemplate) -> QuestionDraft {
    QuestionDraft {
        text: template.text.clone(),
        category: template.category,
        context: template.context.clone(),
        template_id: Some(template.template_id.clone()),
        persona: Some(template.persona.clone()),
    }
}

#[async_trait]
impl Reasoner for OfflineReasoner {
    fn name(&self) -> &'static str {
        "offline"
    }

    async fn generate_question(
        &self,
        context: &QuestionContext,
    ) -> Result<QuestionDraft, ReasonerError> {
        self.select_template(context).map(draft_from)
    }

    async fn extract_facts(&self, input: &ExtractionInput) -> Result<Extraction, ReasonerError> {
        if input.text.trim().is_empty() {
            return Err(ReasonerError::EmptyInput { field: "text" });
        }
        // Every rule emits a category from the fixed vocabulary, so nothing is ever rejected
        // here; `rejected` is filled by reasoners that read categories from a model.
        Ok(Extraction {
            facts: extraction::extract(&self.data, input),
            rejected: Vec::new(),
        })
    }

    async fn judge_conflicts(
        &self,
        new: &[FactDraft],
        existing: &[ExistingFact],
    ) -> Result<Vec<ConflictFinding>, ReasonerError> {
        let knowledge = self.data.knowledge();
        let mut findings = knowledge.detect_conflicts_within(new);
        findings.extend(knowledge.detect_conflicts(new, existing));
        Ok(findings)
    }

    async fn chat_reply(
        &self,
        history: &[ChatTurn],
        facts: &[ExistingFact],
    ) -> Result<String, ReasonerError> {
        let index = history
            .iter()
            .rposition(|turn| turn.role == ConversationRole::User && !turn.text.trim().is_empty())
            .ok_or(ReasonerError::EmptyInput { field: "message" })?;
        // The assistant turn just before the message, if any, gives bare numbers their context.
        let question = history[..index]
            .iter()
            .rev()
            .find(|turn| turn.role == ConversationRole::Assistant)
            .map(|turn| turn.text.clone());
        let input = ExtractionInput {
            question_text: question,
            question_category: None,
            text: history[index].text.clone(),
            existing: facts.to_vec(),
            source: socrates_domain::FactSource::DirectChat,
        };
        let understood = extraction::extract(&self.data, &input);
        Ok(self.compose_reply(&understood, facts))
    }

    /// The offline reply is composed at once; it streams as one sentence per delta.
    async fn chat_reply_stream(
        &self,
        history: &[ChatTurn],
        facts: &[ExistingFact],
    ) -> Result<ReplyStream, ReasonerError> {
        let reply = self.chat_reply(history, facts).await?;
        let mut deltas: Vec<Result<String, ReasonerError>> = Vec::new();
        let mut rest = reply.as_str();
        while let Some(end) = rest.find(". ") {
            deltas.push(Ok(rest[..end + 2].to_owned()));
            rest = &rest[end + 2..];
        }
        if !rest.is_empty() {
            deltas.push(Ok(rest.to_owned()));
        }
        Ok(Box::pin(futures_util::stream::iter(deltas)))
    }
}

impl OfflineReasoner {
    /// The reply text: what was understood, then an open question about the least-covered
    /// category (counting the facts just understood).
    fn compose_reply(&self, understood: &[FactDraft], facts: &[ExistingFact]) -> String {
        let mut reply = if understood.is_empty() {
            "Thank you. I did not find a concrete decision or figure in that message yet."
                .to_owned()
        } else {
            let items: Vec<String> = understood
                .iter()
                .map(|fact| format!("{} is {}", fact.key.replace('_', " "), fact.value))
                .collect();
            format!("Understood: {}.", items.join("; "))
        };
        let coverage = facts
            .iter()
            .map(|fact| (fact.category, fact.confidence))
            .chain(
                understood
                    .iter()
                    .map(|fact| (fact.category, fact.confidence)),
            );
        let next = compute_maturity(coverage).next_category();
        let mut known: Vec<ExistingFact> = facts.to_vec();
        known.extend(understood.iter().map(|fact| ExistingFact {
            id: None,
            category: fact.category,
            key: fact.key.clone(),
            value: fact.value.clone(),
            confidence: fact.confidence,
        }));
        let context = QuestionContext {
            asked_questions: Vec::new(),
            project_name: String::new(),
            project_description: String::new(),
            focus_category: next,
            persona: None,
            asked_template_ids: HashSet::new(),
            existing_facts: known,
        };
        reply.push_str(&format!(
            " Next, let us talk about {}.",
            next.title().to_lowercase()
        ));
        if let Ok(template) = self.select_template(&context) {
            reply.push(' ');
            reply.push_str(&template.text);
        }
        reply
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
