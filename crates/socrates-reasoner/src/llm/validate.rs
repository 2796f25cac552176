//! Validation of the model's structured answers. Each function turns a JSON value into domain
//! values or into the list of problems found, which is what the repair request quotes back.
//! Problems never quote user text beyond the item the model itself produced.

use std::collections::HashSet;

use serde_json::Value;
use sha2::{Digest, Sha256};
use socrates_domain::fact_vocabulary::{REQUIREMENT_PREFIX, ValueKind, requirement_key};
use socrates_domain::{
    Category, Confidence, ConflictFinding, ConflictSeverity, ConflictType, ExistingFact, FactDraft,
    FactKey, FactValue, Knowledge,
};

use crate::{Extraction, QuestionContext, QuestionDraft, RejectedItem};

/// The longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 600;

/// The rule id given to conflicts the model found.
pub const RULE_LLM_JUDGEMENT: &str = "llm_judgement";

/// What was wrong with an answer, one sentence per problem.
pub type Problems = Vec<String>;

fn string_field<'a>(item: &'a Value, field: &str, at: &str) -> Result<&'a str, String> {
    item.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{at}: the field \"{field}\" must be a string"))
}

fn array_field<'a>(value: &'a Value, field: &str) -> Result<&'a Vec<Value>, Problems> {
    value.get(field).and_then(Value::as_array).ok_or_else(|| {
        vec![format!(
            "the answer must be an object with a \"{field}\" array"
        )]
    })
}

/// The stable id of a generated question: `llm.<category>.<first 8 hex digits of the SHA-256
/// of the lower-cased, whitespace-collapsed text>`. Asking the same question again yields the
/// same id, so `asked_template_ids` catches repeats of model questions too.
#[must_use]
pub fn question_id(category: Category, text: &str) -> String {
    let canonical = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let digest = Sha256::digest(canonical.as_bytes());
    let short: String = digest
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("llm.{}.{short}", category.as_str())
}

/// Validates a question answer against the context it was asked for.
///
/// # Errors
/// The problems found: empty or over-long text, no final question mark, an unknown category
/// or one other than the focus, or a question already asked.
pub fn question(value: &Value, context: &QuestionContext) -> Result<QuestionDraft, Problems> {
    let mut problems = Vec::new();
    let text = string_field(value, "text", "the question").map(str::trim);
    let raw_category = string_field(value, "category", "the question");
    let question_context = string_field(value, "context", "the question").map(str::trim);
    for field in [&text, &raw_category, &question_context] {
        if let Err(problem) = field {
            problems.push(problem.clone());
        }
    }
    let (Ok(text), Ok(raw_category), Ok(question_context)) = (text, raw_category, question_context)
    else {
        return Err(problems);
    };
    if text.is_empty() {
        problems.push("the question text is empty".to_owned());
    } else if text.chars().count() > MAX_QUESTION_CHARS {
        problems.push(format!(
            "the question text is longer than {MAX_QUESTION_CHARS} characters"
        ));
    } else if !text.ends_with('?') {
        problems.push("the question text must end with a question mark".to_owned());
    }
    let category = match Category::normalise(raw_category) {
        Ok(category) if category == context.focus_category => Some(category),
        Ok(category) => {
            problems.push(format!(
                "the question must be about {}, not {}",
                context.focus_category, category
            ));
            None
        }
        Err(error) => {
            problems.push(error.to_string());
            None
        }
    };
    let Some(category) = category.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    let template_id = question_id(category, text);
    if context.asked_template_ids.contains(&template_id) {
        return Err(vec![
            "this question has already been asked; ask another".to_owned(),
        ]);
    }
    if let Some(earlier) = context
        .asked_questions
        .iter()
        .find(|earlier| same_question(earlier, text))
    {
        let earlier: String = earlier.chars().take(120).collect();
        return Err(vec![format!(
            "this question repeats one already asked (\"{earlier}\"); ask about an aspect no \
             earlier question covers"
        )]);
    }
    Ok(QuestionDraft {
        text: text.to_owned(),
        category,
        context: question_context.to_owned(),
        template_id: Some(template_id),
        persona: context.persona.clone(),
    })
}

/// Words that carry no meaning of their own in a question.
const QUESTION_FILLER: &[&str] = &[
    "a", "an", "the", "is", "are", "be", "do", "does", "did", "what", "which", "who", "how", "why",
    "when", "where", "you", "your", "we", "our", "it", "its", "of", "to", "in", "on", "for", "and",
    "or", "with", "that", "this", "there", "can", "could", "would", "will", "should", "please",
    "tell", "me", "us", "about",
];

/// Whether two questions ask the same thing in other words: their meaningful words overlap by
/// at least four fifths (Jaccard), or the three or more of the shorter are all in the longer.
#[must_use]
pub fn same_question(left: &str, right: &str) -> bool {
    let words = |text: &str| -> HashSet<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .filter(|word| !word.is_empty() && !QUESTION_FILLER.contains(&word.as_str()))
            .collect()
    };
    let (left, right) = (words(left), words(right));
    if left.is_empty() || right.is_empty() {
        return false;
    }
    let shared = left.intersection(&right).count();
    let union = left.union(&right).count();
    shared * 5 >= union * 4 || (shared >= 3 && shared == left.len().min(right.len()))
}

/// Turns a key into lower snake_case: camelCase humps, spaces, hyphens and other separators
/// become single underscores; dots between segments are kept.
#[must_use]
pub fn snake_case_key(raw: &str) -> String {
    let mut key = String::with_capacity(raw.len() + 4);
    let mut previous: Option<char> = None;
    for c in raw.trim().chars() {
        if c.is_uppercase() && previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit()) {
            key.push('_');
        }
        if c.is_alphanumeric() || c == '.' {
            key.extend(c.to_lowercase());
        } else if !key.ends_with('_') {
            key.push('_');
        }
        previous = Some(c);
    }
    key.split('.')
        .map(|segment| {
            segment
                .split('_')
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("_")
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Validates an extraction answer. An item with an unknown category, a key that is not
/// snake_case even after normalisation or an empty value becomes a [`RejectedItem`]; a wrong
/// shape or a confidence outside 0..=1 makes the whole answer invalid (repairable).
///
/// # Errors
/// The problems that make the answer unusable as a whole.
pub fn extraction(value: &Value) -> Result<Extraction, Problems> {
    let items = array_field(value, "facts")?;
    let mut problems = Vec::new();
    let mut result = Extraction::default();
    for (index, item) in items.iter().enumerate() {
        let at = format!("facts[{index}]");
        let fields = (
            string_field(item, "category", &at),
            string_field(item, "key", &at),
            string_field(item, "value", &at),
            item.get("confidence")
                .and_then(Value::as_f64)
                .ok_or_else(|| {
                    format!("{at}: the field \"confidence\" must be a number between 0 and 1")
                }),
        );
        let (Ok(raw_category), Ok(raw_key), Ok(raw_value), Ok(confidence)) = fields else {
            let (a, b, c, d) = fields;
            problems.extend([a.err(), b.err(), c.err(), d.err()].into_iter().flatten());
            continue;
        };
        let confidence = match Confidence::new(confidence) {
            Ok(confidence) => confidence,
            Err(_) => {
                problems.push(format!(
                    "{at}: the confidence must be a number between 0 and 1"
                ));
                continue;
            }
        };
        let reject = |reason: String| RejectedItem {
            raw_category: raw_category.to_owned(),
            key: raw_key.to_owned(),
            value: raw_value.to_owned(),
            reason,
        };
        let category = match Category::normalise(raw_category) {
            Ok(category) => category,
            Err(error) => {
                result.rejected.push(reject(error.to_string()));
                continue;
            }
        };
        let key = match FactKey::parse(&snake_case_key(raw_key)) {
            Ok(key) => key,
            Err(error) => {
                result.rejected.push(reject(error.to_string()));
                continue;
            }
        };
        let fact_value = match FactValue::parse(raw_value) {
            Ok(fact_value) => fact_value,
            Err(error) => {
                result.rejected.push(reject(error.to_string()));
                continue;
            }
        };
        let reasoning = item
            .get("reasoning")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned);
        result.facts.push(FactDraft {
            category,
            key: key.as_str().to_owned(),
            value: fact_value.as_str().to_owned(),
            confidence: confidence.value(),
            reasoning,
        });
    }
    if problems.is_empty() {
        Ok(result)
    } else {
        Err(problems)
    }
}

/// Puts a model's facts into the shape the offline rules give theirs, so both reasoners'
/// facts are stored and compared alike: a vocabulary key goes to its own category, a
/// free-form requirement gets its `requirement_<slug>` key, and a technology its canonical
/// name ("postgres" → "PostgreSQL"; "PostgreSQL 16" keeps its version).
#[must_use]
pub fn canonical_facts(knowledge: &Knowledge, facts: Vec<FactDraft>) -> Vec<FactDraft> {
    let vocabulary = knowledge.vocabulary();
    facts
        .into_iter()
        .map(|mut fact| {
            if let Some(entry) = vocabulary.get(&fact.key) {
                fact.category = entry.category;
                // "postgres" becomes "PostgreSQL"; "PostgreSQL 16" keeps its version.
                if entry.value_kind == ValueKind::Name
                    && let Some(technology) = knowledge.technologies().canonical(&fact.value)
                    && !starts_with_name(&fact.value, &technology.name)
                {
                    fact.value.clone_from(&technology.name);
                }
            } else if fact.category == Category::Requirements
                && !fact.key.starts_with(REQUIREMENT_PREFIX)
            {
                fact.key = requirement_key(&fact.value);
            }
            fact
        })
        .collect()
}

/// Whether `value` begins with `name`, ignoring case ("PostgreSQL 16" with "PostgreSQL").
#[must_use]
pub fn starts_with_name(value: &str, name: &str) -> bool {
    value
        .get(..name.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(name))
}

/// A pair the model was asked to judge: the index of the new fact and the existing fact.
pub type Candidate<'a> = (usize, &'a ExistingFact);

/// Validates a conflict judgement over `candidates`. Entries with `is_conflict` false, or with
/// a type that is not a known conflict type (a "clarification", say), are dropped; a reference
/// to a pair that was not asked about, a bad severity or an empty explanation of a conflict
/// makes the answer invalid. A pair judged twice counts once.
///
/// # Errors
/// The problems that make the answer unusable.
pub fn conflicts(
    value: &Value,
    new: &[FactDraft],
    candidates: &[Candidate<'_>],
) -> Result<Vec<ConflictFinding>, Problems> {
    let items = array_field(value, "conflicts")?;
    let mut problems = Vec::new();
    let mut findings = Vec::new();
    let mut seen = HashSet::new();
    for (index, item) in items.iter().enumerate() {
        let at = format!("conflicts[{index}]");
        if !item
            .get("is_conflict")
            .and_then(Value::as_bool)
            .unwrap_or(false)
        {
            continue;
        }
        let Some(new_index) = item
            .get("new_index")
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
        else {
            problems.push(format!(
                "{at}: \"new_index\" must be a non-negative integer"
            ));
            continue;
        };
        let existing_key = item
            .get("existing_key")
            .and_then(Value::as_str)
            .unwrap_or("");
        let Some((_, existing)) = candidates
            .iter()
            .find(|(candidate, fact)| *candidate == new_index && fact.key == existing_key.trim())
        else {
            problems.push(format!(
                "{at}: ({new_index}, \"{existing_key}\") is not one of the candidate pairs"
            ));
            continue;
        };
        let raw_type = item
            .get("conflict_type")
            .and_then(Value::as_str)
            .unwrap_or("");
        let Ok(conflict_type) = raw_type.trim().to_lowercase().parse::<ConflictType>() else {
            continue;
        };
        let raw_severity = item.get("severity").and_then(Value::as_str).unwrap_or("");
        let Ok(severity) = raw_severity
            .trim()
            .to_lowercase()
            .parse::<ConflictSeverity>()
        else {
            problems.push(format!(
                "{at}: unknown severity \"{raw_severity}\"; use one of low, medium, high, critical"
            ));
            continue;
        };
        let explanation = item
            .get("explanation")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        if explanation.is_empty() {
            problems.push(format!("{at}: a conflict needs an explanation"));
            continue;
        }
        let Some(draft) = new.get(new_index) else {
            continue;
        };
        if seen.insert((new_index, existing.category, existing.key.clone())) {
            findings.push(ConflictFinding {
                rule_id: RULE_LLM_JUDGEMENT.to_owned(),
                existing: (*existing).clone(),
                new: draft.clone(),
                conflict_type,
                severity,
                description: explanation.to_owned(),
            });
        }
    }
    if problems.is_empty() {
        Ok(findings)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_snake_case() {
        assert_eq!(snake_case_key("Primary Database"), "primary_database");
        assert_eq!(snake_case_key("primaryDatabase"), "primary_database");
        assert_eq!(snake_case_key(" latency-p95 (ms) "), "latency_p95_ms");
        assert_eq!(
            snake_case_key("auth.Session Timeout"),
            "auth.session_timeout"
        );
        assert!(FactKey::parse(&snake_case_key("95th percentile")).is_err());
    }

    #[test]
    fn question_ids_are_stable_and_ignore_spacing_and_case() {
        let id = question_id(Category::Goals, "What  problem does it solve?");
        assert_eq!(
            id,
            question_id(Category::Goals, "what problem does it solve?")
        );
        assert!(id.starts_with("llm.goals."));
        assert_eq!(id.len(), "llm.goals.".len() + 8);
    }
}
