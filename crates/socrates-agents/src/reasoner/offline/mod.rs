//! The offline reasoner: deterministic, no network, no cost. Questions come from the banks in
//! [`question_bank`], facts from the rules in [`extraction`], conflicts from the domain's
//! conflict rules.

use std::collections::HashSet;

use async_trait::async_trait;
use socrates_domain::{
    ConflictFinding, ConversationRole, ExistingFact, FactDraft, compute_maturity, detect_conflicts,
};

use super::{
    ChatTurn, Extraction, ExtractionInput, QuestionContext, QuestionDraft, Reasoner, ReasonerError,
};

pub mod extraction;
mod lexicon;
pub mod question_bank;

use question_bank::{QuestionTemplate, templates_of};

/// The built-in deterministic reasoner; see the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineReasoner;

impl OfflineReasoner {
    /// A new offline reasoner.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }

    /// Picks the template to ask: among the unasked templates of the focus category, first
    /// those aiming at keys still missing from the facts, then those without target keys, then
    /// the rest; within a tier the requested persona first, then bank order.
    ///
    /// # Errors
    /// [`ReasonerError::QuestionBankExhausted`] when every template of the category was asked.
    pub fn select_template(
        context: &QuestionContext,
    ) -> Result<&'static QuestionTemplate, ReasonerError> {
        let present: HashSet<&str> = context
            .existing_facts
            .iter()
            .map(|fact| fact.key.as_str())
            .collect();
        let tier = |template: &QuestionTemplate| {
            if template.target_keys.is_empty() {
                1
            } else if template
                .target_keys
                .iter()
                .any(|key| !present.contains(key))
            {
                0
            } else {
                2
            }
        };
        let persona_mismatch = |template: &QuestionTemplate| {
            context
                .persona
                .as_deref()
                .is_some_and(|persona| persona != template.persona)
        };
        templates_of(context.focus_category)
            .filter(|template| !context.asked_template_ids.contains(template.template_id))
            .min_by_key(|template| (tier(template), persona_mismatch(template)))
            .ok_or(ReasonerError::QuestionBankExhausted {
                category: context.focus_category,
            })
    }
}

fn draft_from(template: &QuestionTemplate) -> QuestionDraft {
    QuestionDraft {
        text: template.text.to_owned(),
        category: template.category,
        context: template.context.to_owned(),
        template_id: Some(template.template_id.to_owned()),
        persona: Some(template.persona.to_owned()),
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
        Self::select_template(context).map(draft_from)
    }

    async fn extract_facts(&self, input: &ExtractionInput) -> Result<Extraction, ReasonerError> {
        if input.text.trim().is_empty() {
            return Err(ReasonerError::EmptyInput { field: "text" });
        }
        // Every rule emits a category from the fixed vocabulary, so nothing is ever rejected
        // here; `rejected` is filled by reasoners that read categories from a model.
        Ok(Extraction {
            facts: extraction::extract(input),
            rejected: Vec::new(),
        })
    }

    async fn judge_conflicts(
        &self,
        new: &[FactDraft],
        existing: &[ExistingFact],
    ) -> Result<Vec<ConflictFinding>, ReasonerError> {
        Ok(detect_conflicts(new, existing))
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
        let understood = extraction::extract(&input);
        Ok(compose_reply(&understood, facts))
    }
}

/// The reply text: what was understood, then an open question about the least-covered
/// category (counting the facts just understood).
fn compose_reply(understood: &[FactDraft], facts: &[ExistingFact]) -> String {
    let mut reply = if understood.is_empty() {
        "Thank you. I did not find a concrete decision or figure in that message yet.".to_owned()
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
    if let Ok(template) = OfflineReasoner::select_template(&context) {
        reply.push(' ');
        reply.push_str(template.text);
    }
    reply
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
