//! The question banks (`questions.toml`): per category, open Socratic questions, each with
//! the vocabulary keys an answer is expected to fill.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use socrates_domain::{Category, Knowledge};

/// The team roles a question may be asked by.
pub const PERSONAS: &[&str] = &["pm", "ba", "ux", "frontend", "backend", "dba", "devops"];

/// One question of a bank.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionTemplate {
    /// Stable id, `<category>.<nnn>`; never reused for another question.
    #[serde(rename = "id")]
    pub template_id: String,
    /// The category it is about.
    pub category: Category,
    /// The team role that asks it.
    pub persona: String,
    /// The vocabulary keys an answer is expected to fill; empty for free-form requirements.
    #[serde(rename = "keys")]
    pub target_keys: Vec<String>,
    /// The question.
    pub text: String,
    /// Why it matters.
    #[serde(rename = "why")]
    pub context: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QuestionsFile {
    pub(super) question: Vec<QuestionTemplate>,
}

/// The question banks of every category.
#[derive(Debug, Clone)]
pub struct QuestionBank {
    questions: Vec<QuestionTemplate>,
    /// Per category (canonical order), the places of its questions in file order.
    by_category: Vec<Vec<usize>>,
    /// The place of each question by template id.
    by_id: HashMap<String, usize>,
}

/// The fewest questions a category's bank may hold.
pub const MIN_QUESTIONS_PER_CATEGORY: usize = 8;

impl QuestionBank {
    /// Validates the questions: unique ids prefixed by their category, known personas and
    /// keys, one open question each without a technology name or a suggested solution, and
    /// at least [`MIN_QUESTIONS_PER_CATEGORY`] per category.
    ///
    /// # Errors
    /// A message naming the question and the rule it breaks.
    pub fn new(questions: Vec<QuestionTemplate>, knowledge: &Knowledge) -> Result<Self, String> {
        let mut ids = HashSet::new();
        for question in &questions {
            let id = &question.template_id;
            let problem = if !ids.insert(id.as_str()) {
                Some("the id is used twice".to_owned())
            } else if !id.starts_with(&format!("{}.", question.category)) {
                Some(format!("the id must start with \"{}.\"", question.category))
            } else if !PERSONAS.contains(&question.persona.as_str()) {
                Some(format!(
                    "persona \"{}\" is not one of {PERSONAS:?}",
                    question.persona
                ))
            } else if !question.text.ends_with('?') || question.text.matches('?').count() != 1 {
                Some("the text must be exactly one question ending with '?'".to_owned())
            } else if ["should we use", "should you use", "would you use"]
                .iter()
                .any(|leading| question.text.to_lowercase().contains(leading))
            {
                Some("the question suggests a solution".to_owned())
            } else if let Some(mention) = knowledge.technologies().find(&question.text).first() {
                Some(format!("the question names {}", mention.technology.name))
            } else if question.context.trim().is_empty() {
                Some("\"why\" is empty".to_owned())
            } else {
                question
                    .target_keys
                    .iter()
                    .find_map(|key| match knowledge.vocabulary().get(key) {
                        Some(entry) if entry.category == question.category => None,
                        Some(entry) => Some(format!("key \"{key}\" belongs to {}", entry.category)),
                        None => Some(format!("key \"{key}\" is not in the vocabulary")),
                    })
            };
            if let Some(problem) = problem {
                return Err(format!("question {id}: {problem}"));
            }
        }
        for category in Category::ALL {
            let count = questions.iter().filter(|q| q.category == category).count();
            if count < MIN_QUESTIONS_PER_CATEGORY {
                return Err(format!(
                    "{category} has {count} questions; at least {MIN_QUESTIONS_PER_CATEGORY} \
                     are needed"
                ));
            }
        }
        let by_category = Category::ALL
            .iter()
            .map(|category| {
                questions
                    .iter()
                    .enumerate()
                    .filter(|(_, question)| question.category == *category)
                    .map(|(index, _)| index)
                    .collect()
            })
            .collect();
        let by_id = questions
            .iter()
            .enumerate()
            .map(|(index, question)| (question.template_id.clone(), index))
            .collect();
        Ok(Self {
            questions,
            by_category,
            by_id,
        })
    }

    /// Every question, in file order.
    #[must_use]
    pub fn all(&self) -> &[QuestionTemplate] {
        &self.questions
    }

    /// The questions of one category, in file order.
    pub fn of(&self, category: Category) -> impl Iterator<Item = &QuestionTemplate> {
        self.by_category
            .get(category as usize)
            .into_iter()
            .flatten()
            .filter_map(|&index| self.questions.get(index))
    }

    /// The question with this template id.
    #[must_use]
    pub fn get(&self, template_id: &str) -> Option<&QuestionTemplate> {
        self.by_id
            .get(template_id)
            .and_then(|&index| self.questions.get(index))
    }

    /// The questions of `category` that may still be asked in a project that has asked
    /// `asked` and holds the keys `held`: not asked yet, and either free-form or aiming at a
    /// key the project does not hold. A question whose keys are all held is never asked.
    pub fn askable<'bank>(
        &'bank self,
        category: Category,
        asked: &HashSet<String>,
        held: &HashSet<&str>,
    ) -> impl Iterator<Item = &'bank QuestionTemplate> {
        self.of(category).filter(move |template| {
            !asked.contains(&template.template_id)
                && (template.target_keys.is_empty()
                    || template
                        .target_keys
                        .iter()
                        .any(|key| !held.contains(key.as_str())))
        })
    }
}
