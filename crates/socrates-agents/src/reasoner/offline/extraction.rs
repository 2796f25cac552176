//! Rule-based fact extraction: technologies by kind, quantities by the words around them,
//! project-type and a few decisive phrases, and "must / should / need to" sentences as
//! free-form requirements. It only reports what the text states: nothing is inferred (a
//! framework does not imply its language), and a mention preceded by a negation ("not",
//! "instead of") is ignored.

use socrates_domain::fact_vocabulary::{
    ValueKind, key_for_technology, requirement_key, value_kind,
};
use socrates_domain::quantity::{Quantity, QuantityKind, format_number, parse_quantities};
use socrates_domain::technology::{find_technologies, tokenise};
use socrates_domain::{Category, FactDraft};

use super::lexicon::{HEDGES, NEGATIONS, PHRASES, PROJECT_TYPES, REQUIREMENT_MARKERS};
use crate::reasoner::ExtractionInput;

/// Confidence of a plainly stated fact.
pub const EXPLICIT_CONFIDENCE: f64 = 0.9;
/// Confidence of a hedged fact ("maybe", "probably", "might").
pub const HEDGED_CONFIDENCE: f64 = 0.6;

/// Extracts the facts `input.text` states, at most one per key (the first mention wins).
pub fn extract(input: &ExtractionInput) -> Vec<FactDraft> {
    let mut facts: Vec<FactDraft> = Vec::new();
    let question = input
        .question_text
        .as_deref()
        .map(str::to_lowercase)
        .unwrap_or_default();
    for sentence in sentences(&input.text) {
        let confidence = if has_any_word(sentence, HEDGES) {
            HEDGED_CONFIDENCE
        } else {
            EXPLICIT_CONFIDENCE
        };
        let before = facts.len();
        let reasoning = format!("Stated in the answer: \"{}\"", sentence.trim());
        let push = |facts: &mut Vec<FactDraft>, category: Category, key: &str, value: String| {
            if !facts.iter().any(|f| f.key == key) {
                facts.push(FactDraft {
                    category,
                    key: key.to_owned(),
                    value,
                    confidence,
                    reasoning: Some(reasoning.clone()),
                });
            }
        };
        for mention in find_technologies(sentence) {
            if !negated(&sentence[..mention.start]) {
                let (category, key) = key_for_technology(mention.technology.kind);
                push(
                    &mut facts,
                    category,
                    key,
                    mention.technology.name.to_owned(),
                );
            }
        }
        let words = tokenise(sentence).join(" ");
        let padded = format!(" {words} ");
        if let Some((_, project_type)) = PROJECT_TYPES
            .iter()
            .find(|(p, _)| padded.contains(&format!(" {p} ")))
        {
            push(
                &mut facts,
                Category::Goals,
                "project_type",
                (*project_type).to_owned(),
            );
        }
        for (phrases, category, key, value) in PHRASES {
            if phrases.iter().any(|p| padded.contains(&format!(" {p} "))) {
                push(&mut facts, *category, key, (*value).to_owned());
            }
        }
        for clause in clauses(sentence) {
            for quantity in parse_quantities(clause) {
                let context = clause.to_lowercase();
                let key = classify(&quantity, &context).or_else(|| classify(&quantity, &question));
                if let Some((category, key)) = key {
                    let span = &clause[quantity.start..quantity.end];
                    push(
                        &mut facts,
                        category,
                        key,
                        readable_value(key, span, &quantity),
                    );
                }
            }
        }
        let padded_lower = format!(" {} ", sentence.trim().to_lowercase());
        if facts.len() == before && REQUIREMENT_MARKERS.iter().any(|m| padded_lower.contains(m)) {
            let statement = sentence.trim().trim_end_matches(['.', '!']).to_owned();
            push(
                &mut facts,
                Category::Requirements,
                &requirement_key(&statement),
                statement,
            );
        }
    }
    facts
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

fn has_any_word(text: &str, words: &[&str]) -> bool {
    let tokens = tokenise(text);
    tokens.iter().any(|t| words.contains(&t.as_str()))
}

/// Whether one of the three words before a mention negates it.
fn negated(before: &str) -> bool {
    let lower = before.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().rev().take(3).any(|w| NEGATIONS.contains(w))
}

/// Whether one of the needles occurs at the start of a word of the context, so "rpo" does
/// not match inside "corporate" nor "load" inside "download".
fn contains_any(context: &str, needles: &[&str]) -> bool {
    needles.iter().any(|needle| {
        context.match_indices(needle).any(|(index, _)| {
            context[..index]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
        })
    })
}

/// Which vocabulary key a quantity fills, judged from the words of its context.
fn classify(quantity: &Quantity, context: &str) -> Option<(Category, &'static str)> {
    let noun = quantity.noun.as_deref().unwrap_or("");
    match quantity.kind {
        QuantityKind::Duration => classify_duration(quantity, context),
        QuantityKind::Percent
            if contains_any(
                context,
                &["uptime", "availability", "available", "sla", "downtime"],
            ) =>
        {
            Some((Category::DisasterRecovery, "availability_target_percent"))
        }
        QuantityKind::Percent if contains_any(context, &["coverage", "test"]) => {
            Some((Category::Testing, "test_coverage_target_percent"))
        }
        QuantityKind::Money
            if contains_any(context, &["budget", "cost", "spend", "$", "usd", "dollar"]) =>
        {
            Some((Category::Goals, "budget_usd"))
        }
        QuantityKind::Rate => Some((Category::Performance, "throughput_rps")),
        QuantityKind::Count => {
            let concurrent = contains_any(
                context,
                &[
                    "concurrent",
                    "simultaneous",
                    "same time",
                    "same moment",
                    "at once",
                    "in parallel",
                ],
            );
            let people = contains_any(
                context,
                &[
                    "user", "people", "customer", "visitor", "player", "member", "account",
                ],
            );
            let writers = contains_any(context, &["writer", "writing", "write"]);
            if writers && (concurrent || noun.starts_with("writer")) {
                Some((Category::Scalability, "concurrent_writers"))
            } else if concurrent && people {
                Some((Category::Scalability, "concurrent_users"))
            } else if people && states_total(noun, context) {
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
fn states_total(noun: &str, context: &str) -> bool {
    if noun.is_empty() {
        contains_any(
            context,
            &["in total", "how many users", "after the first year"],
        )
    } else {
        contains_any(
            noun,
            &["user", "people", "customer", "member", "account", "total"],
        )
    }
}

fn classify_duration(quantity: &Quantity, context: &str) -> Option<(Category, &'static str)> {
    let seconds = quantity.value / 1_000.0;
    if contains_any(context, &["rpo", "data loss", "lose", "recovery point"]) {
        Some((Category::DisasterRecovery, "rpo_minutes"))
    } else if contains_any(
        context,
        &[
            "rto",
            "recover",
            "back up and running",
            "restore",
            "back after",
            "be back",
        ],
    ) {
        Some((Category::DisasterRecovery, "rto_minutes"))
    } else if contains_any(context, &["p99", "99th"]) && seconds < 600.0 {
        Some((Category::Performance, "latency_p99_ms"))
    } else if contains_any(
        context,
        &[
            "p95", "latency", "respon", "load", "fast", "quick", "complete",
        ],
    ) && seconds < 600.0
    {
        Some((Category::Performance, "latency_p95_ms"))
    } else if contains_any(
        context,
        &[
            "keep",
            "kept",
            "retain",
            "retention",
            "store",
            "delete",
            "purge",
            "archive",
        ],
    ) && seconds >= 86_400.0
    {
        Some((Category::DataRetention, "retention_period_days"))
    } else if contains_any(
        context,
        &[
            "deadline",
            "launch",
            "ship",
            "release",
            "go live",
            "mvp",
            "deliver",
            "first version",
        ],
    ) && seconds >= 86_400.0
    {
        Some((Category::Goals, "deadline"))
    } else {
        None
    }
}

/// A readable value in the key's unit ("2 s" under `latency_p95_ms` → "2000 ms"); text keys
/// keep the words as written ("3 months").
fn readable_value(key: &str, span: &str, quantity: &Quantity) -> String {
    let duration = quantity.kind == QuantityKind::Duration;
    let (number, unit) = match value_kind(key) {
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
