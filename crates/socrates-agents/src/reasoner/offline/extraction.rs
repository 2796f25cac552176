//! Rule-based fact extraction: technologies by kind, quantities by the words around them,
//! project-type and a few decisive phrases, and "must / should / need to" sentences as
//! free-form requirements. It only reports what the text states: nothing is inferred (a
//! framework does not imply its language), and a mention preceded by a negation ("not",
//! "instead of") is ignored.

use socrates_domain::fact_vocabulary::{ValueKind, requirement_key};
use socrates_domain::quantity::{Quantity, QuantityKind, format_number, parse_quantities};
use socrates_domain::technology::tokenise;
use socrates_domain::{Category, FactDraft};

use super::data::{Lexicon, OfflineData};
use crate::reasoner::ExtractionInput;

/// Confidence of a plainly stated fact.
pub const EXPLICIT_CONFIDENCE: f64 = 0.9;
/// Confidence of a hedged fact ("maybe", "probably", "might").
pub const HEDGED_CONFIDENCE: f64 = 0.6;

/// The facts found so far, at most one per key and value (multi-valued keys keep every
/// value; single-valued keys keep every distinct value, so a contradiction inside one answer
/// reaches the conflict rules).
struct Found<'d> {
    data: &'d OfflineData,
    facts: Vec<FactDraft>,
}

impl Found<'_> {
    fn push(&mut self, category: Category, key: &str, value: String, confidence: f64, why: &str) {
        let knowledge = self.data.knowledge();
        let duplicate = self
            .facts
            .iter()
            .any(|fact| fact.key == key && knowledge.same_meaning(key, &fact.value, &value));
        if !duplicate {
            self.facts.push(FactDraft {
                category,
                key: key.to_owned(),
                value,
                confidence,
                reasoning: Some(format!("Stated in the answer: \"{why}\"")),
            });
        }
    }
}

/// Extracts the facts `input.text` states.
pub fn extract(data: &OfflineData, input: &ExtractionInput) -> Vec<FactDraft> {
    let lexicon = data.lexicon();
    let knowledge = data.knowledge();
    let mut found = Found {
        data,
        facts: Vec::new(),
    };
    let question = input
        .question_text
        .as_deref()
        .map(str::to_lowercase)
        .unwrap_or_default();
    for sentence in sentences(&input.text) {
        let confidence = if has_any_word(sentence, &lexicon.hedges) {
            HEDGED_CONFIDENCE
        } else {
            EXPLICIT_CONFIDENCE
        };
        let before = found.facts.len();
        let why = sentence.trim();
        for mention in knowledge.technologies().find(sentence) {
            if negated(lexicon, &sentence[..mention.start]) {
                continue;
            }
            if let Some((category, key)) = knowledge
                .vocabulary()
                .key_for_technology(mention.technology.kind)
            {
                found.push(
                    category,
                    key,
                    mention.technology.name.clone(),
                    confidence,
                    why,
                );
            }
        }
        let padded = format!(" {} ", tokenise(sentence).join(" "));
        let says = |phrase: &String| padded.contains(&format!(" {phrase} "));
        if let Some(project_type) = lexicon
            .project_types
            .iter()
            .find(|project_type| project_type.phrases.iter().any(says))
        {
            found.push(
                Category::Goals,
                "project_type",
                project_type.value.clone(),
                confidence,
                why,
            );
        }
        for phrase in &lexicon.phrases {
            if phrase.phrases.iter().any(says) {
                found.push(
                    phrase.category,
                    &phrase.key,
                    phrase.value.clone(),
                    confidence,
                    why,
                );
            }
        }
        for clause in clauses(sentence) {
            let context = clause.to_lowercase();
            for quantity in parse_quantities(clause) {
                let key = classify(lexicon, &quantity, &context)
                    .or_else(|| classify(lexicon, &quantity, &question));
                if let Some((category, key)) = key {
                    let span = &clause[quantity.start..quantity.end];
                    let value = readable_value(data, key, span, &quantity);
                    found.push(category, key, value, confidence, why);
                }
            }
        }
        let padded_lower = format!(" {} ", why.to_lowercase());
        let is_requirement = lexicon
            .requirement_markers
            .iter()
            .any(|marker| padded_lower.contains(&format!(" {marker} ")));
        if found.facts.len() == before && is_requirement {
            let statement = why.trim_end_matches(['.', '!']).to_owned();
            found.push(
                Category::Requirements,
                &requirement_key(&statement),
                statement,
                confidence,
                why,
            );
        }
    }
    found.facts
}

/// Splits text into sentences at `.`, `!`, `?`, `;` or a newline followed by whitespace or
/// the end, so "99.9" and "Node.js" stay whole.
fn sentences(text: &str) -> Vec<&str> {
    let mut result = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (index, &byte) in bytes.iter().enumerate() {
        let boundary = matches!(byte, b'.' | b'!' | b'?' | b';')
            && bytes.get(index + 1).is_none_or(u8::is_ascii_whitespace);
        if boundary || byte == b'\n' {
            result.push(&text[start..=index]);
            start = index + 1;
        }
    }
    result.push(&text[start..]);
    result
        .into_iter()
        .filter(|s| s.chars().any(char::is_alphanumeric))
        .collect()
}

/// Splits a sentence into clauses at ", " and " and ", so each quantity is read with the
/// words of its own clause ("10,000" keeps its comma).
fn clauses(sentence: &str) -> Vec<&str> {
    sentence
        .split(", ")
        .flat_map(|part| part.split(" and "))
        .collect()
}

fn has_any_word(text: &str, words: &[String]) -> bool {
    tokenise(text).iter().any(|t| words.contains(t))
}

/// Whether a negation among the three words before a mention reaches it: "not MySQL",
/// "instead of Mongo", but not "replace MySQL with PostgreSQL" (the "with" ends its reach).
fn negated(lexicon: &Lexicon, before: &str) -> bool {
    let lower = before.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    for word in words.iter().rev().take(3) {
        if lexicon.negation_breakers.iter().any(|b| b == word) {
            return false;
        }
        if lexicon.negations.iter().any(|n| n == word) {
            return true;
        }
    }
    false
}

/// Whether one of the needles occurs at the start of a word of the context, so "rpo" does
/// not match inside "corporate" nor "load" inside "download".
fn contains_any(context: &str, needles: &[String]) -> bool {
    needles.iter().any(|needle| {
        context.match_indices(needle.as_str()).any(|(index, _)| {
            context[..index]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
        })
    })
}

/// Which vocabulary key a quantity fills, judged from the words of its context.
fn classify(
    lexicon: &Lexicon,
    quantity: &Quantity,
    context: &str,
) -> Option<(Category, &'static str)> {
    let words = &lexicon.context;
    let noun = quantity.noun.as_deref().unwrap_or("");
    match quantity.kind {
        QuantityKind::Duration => classify_duration(lexicon, quantity, context),
        QuantityKind::Percent if contains_any(context, &words.availability) => {
            Some((Category::DisasterRecovery, "availability_target_percent"))
        }
        QuantityKind::Percent if contains_any(context, &words.coverage) => {
            Some((Category::Testing, "test_coverage_target_percent"))
        }
        QuantityKind::Money if contains_any(context, &words.budget) => {
            Some((Category::Goals, "budget_usd"))
        }
        QuantityKind::Rate => Some((Category::Performance, "throughput_rps")),
        QuantityKind::Count => {
            let concurrent = contains_any(context, &words.concurrent);
            let people = contains_any(context, &words.people);
            let writers = contains_any(context, &words.writers);
            if writers && (concurrent || noun.starts_with("writer")) {
                Some((Category::Scalability, "concurrent_writers"))
            } else if concurrent && people {
                Some((Category::Scalability, "concurrent_users"))
            } else if people && states_total(lexicon, noun, context) {
                Some((Category::Scalability, "total_users"))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether a count of people is a total: the noun names people ("20,000 users") or, for a
/// bare number, the context asks for a total.
fn states_total(lexicon: &Lexicon, noun: &str, context: &str) -> bool {
    if noun.is_empty() {
        contains_any(context, &lexicon.context.total_question)
    } else {
        contains_any(noun, &lexicon.context.people) || noun.starts_with("total")
    }
}

fn classify_duration(
    lexicon: &Lexicon,
    quantity: &Quantity,
    context: &str,
) -> Option<(Category, &'static str)> {
    let words = &lexicon.context;
    let seconds = quantity.value / 1_000.0;
    if contains_any(context, &words.rpo) {
        Some((Category::DisasterRecovery, "rpo_minutes"))
    } else if contains_any(context, &words.rto) {
        Some((Category::DisasterRecovery, "rto_minutes"))
    } else if contains_any(context, &words.p99) && seconds < 600.0 {
        Some((Category::Performance, "latency_p99_ms"))
    } else if contains_any(context, &words.latency) && seconds < 600.0 {
        Some((Category::Performance, "latency_p95_ms"))
    } else if contains_any(context, &words.retention) && seconds >= 86_400.0 {
        Some((Category::DataRetention, "retention_period_days"))
    } else if contains_any(context, &words.deadline) && seconds >= 86_400.0 {
        Some((Category::Goals, "deadline"))
    } else {
        None
    }
}

/// A readable value in the key's unit ("2 s" under `latency_p95_ms` → "2000 ms"); text keys
/// keep the words as written ("3 months").
fn readable_value(data: &OfflineData, key: &str, span: &str, quantity: &Quantity) -> String {
    let duration = quantity.kind == QuantityKind::Duration;
    let (number, unit) = match data.knowledge().vocabulary().value_kind(key) {
        ValueKind::Milliseconds => (quantity.value, " ms"),
        ValueKind::Minutes if duration => (quantity.minutes(), " minutes"),
        ValueKind::Minutes => (quantity.value, " minutes"),
        ValueKind::Days if duration => (quantity.days(), " days"),
        ValueKind::Days => (quantity.value, " days"),
        ValueKind::Percent => (quantity.value, " %"),
        ValueKind::Usd => (quantity.value, " USD"),
        ValueKind::PerSecond => (quantity.value, " requests/s"),
        ValueKind::Count if quantity.kind == QuantityKind::Count => (quantity.value, ""),
        ValueKind::Count | ValueKind::Name | ValueKind::Text => return span.trim().to_owned(),
    };
    format!("{}{unit}", format_number(number))
}

#[cfg(test)]
#[path = "extraction_tests.rs"]
mod tests;
