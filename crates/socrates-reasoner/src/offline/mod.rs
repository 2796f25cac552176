//! The offline reasoner: deterministic, no network, no cost. Questions come from the banks,
//! facts from the rules in [`extraction`], conflicts from the domain's conflict rules; the
//! banks, word lists, technologies and rules are data files ([`data`]).

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use socrates_domain::{ConflictFinding, DomainError, ExistingFact, FactDraft};

use super::{
    ChatContext, Extraction, ExtractionInput, QuestionContext, QuestionDraft, Reasoner,
    ReasonerError, ReplyStream,
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
    /// free-form ones; within a tier the requested persona first, then the learned
    /// preference ([`QuestionContext::preferences`]), then bank order.
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
        let preference = |template: &QuestionTemplate| {
            context
                .preferences
                .get(&template.template_id)
                .copied()
                .unwrap_or(0.5)
        };
        // `min_by` keeps the first of equal candidates: bank order breaks ties.
        self.data
            .questions()
            .askable(context.focus_category, &context.asked_template_ids, &held)
            .min_by(|a, b| {
                (a.target_keys.is_empty(), persona_mismatch(a))
                    .cmp(&(b.target_keys.is_empty(), persona_mismatch(b)))
                    .then_with(|| preference(b).total_cmp(&preference(a)))
            })
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

    async fn chat_reply(&self, chat: &ChatContext) -> Result<String, ReasonerError> {
        chat.last_user_turn()?;
        Ok(compose_reply(chat))
    }

    /// The offline reply is composed at once; it streams as one sentence per delta.
    async fn chat_reply_stream(&self, chat: &ChatContext) -> Result<ReplyStream, ReasonerError> {
        let reply = self.chat_reply(chat).await?;
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

/// How many understood facts the offline reply names before it sums up the rest.
const NAMED_IN_REPLY: usize = 8;

/// The offline reply: what was recorded, what contradicts the specification, and the question
/// the interview would ask next. It says what the rules found and nothing more: it is not a
/// model and does not pretend to be one.
fn compose_reply(chat: &ChatContext) -> String {
    let held = |draft: &FactDraft| chat.conflicts.iter().any(|finding| finding.new == *draft);
    let recorded: Vec<&FactDraft> = chat
        .understood
        .iter()
        .filter(|draft| !held(draft))
        .collect();
    let mut sentences: Vec<String> = Vec::new();
    if recorded.is_empty() {
        if chat.conflicts.is_empty() {
            sentences.push(
                "I found no decision, figure or requirement to record in that message.".to_owned(),
            );
        }
    } else {
        let mut items: Vec<String> = recorded
            .iter()
            .take(NAMED_IN_REPLY)
            .map(|draft| describe(draft))
            .collect();
        if recorded.len() > NAMED_IN_REPLY {
            items.push(format!("{} more", recorded.len() - NAMED_IN_REPLY));
        }
        sentences.push(format!("Recorded: {}.", items.join("; ")));
    }
    for finding in &chat.conflicts {
        sentences.push(format!(
            "That contradicts the specification: {} is \"{}\", and you now say {} is \"{}\". \
             The new value waits in a conflict until you keep the old value, replace it or merge \
             the two.",
            finding.existing.key.replace('_', " "),
            finding.existing.value,
            finding.new.key.replace('_', " "),
            finding.new.value
        ));
    }
    match &chat.suggestion {
        Some(question) => sentences.push(format!(
            "Next, about {}: {}",
            question.category.title().to_lowercase(),
            question.text
        )),
        None => sentences.push(
            "I have no further question to suggest: every category is covered or asked out."
                .to_owned(),
        ),
    }
    sentences.join(" ")
}

/// One recorded fact as the reply names it: "database = PostgreSQL", or for a statement
/// "requirement: patients book online".
fn describe(draft: &FactDraft) -> String {
    if draft.key.starts_with("requirement_") {
        if draft.category == socrates_domain::Category::Requirements {
            format!("requirement: {}", draft.value)
        } else {
            format!(
                "{} requirement: {}",
                draft.category.title().to_lowercase(),
                draft.value
            )
        }
    } else {
        format!("{} = {}", draft.key.replace('_', " "), draft.value)
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
