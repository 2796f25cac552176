//! The prompt templates (versioned files under `prompts/`, compiled in), their rendering and the
//! JSON schemas of the structured answers.

use serde_json::{Value, json};
use socrates_domain::fact_vocabulary::Vocabulary;
use socrates_domain::{Category, ConflictSeverity, ConflictType, ExistingFact, FactDraft};

/// The question template, version 3: with excerpts of the project's documents.
pub const QUESTION_TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/prompts/question.v3.md"
));
/// The extraction template, version 1.
pub const EXTRACTION_TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/prompts/extraction.v1.md"
));
/// The conflict-judgement template, version 1.
pub const CONFLICTS_TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/prompts/conflicts.v1.md"
));
/// The direct-chat system template, version 3: it shows what the message stated, the
/// contradictions it raised, the question the interview would ask next and excerpts of the
/// project's documents.
pub const CHAT_TEMPLATE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/chat.v3.md"));

/// The longest document excerpt quoted in a prompt, in characters.
pub const MAX_EXCERPT_CHARS: usize = 1_000;

/// The excerpts as prompt lines, `[file name] text`, each cut at [`MAX_EXCERPT_CHARS`];
/// `(none)` without any.
#[must_use]
pub fn document_lines(excerpts: &[crate::DocumentExcerpt]) -> String {
    if excerpts.is_empty() {
        return "(none)".to_owned();
    }
    excerpts
        .iter()
        .map(|excerpt| {
            let text: String = excerpt.text.chars().take(MAX_EXCERPT_CHARS).collect();
            format!("[{}] {}", excerpt.filename, text.replace('\n', " "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The most existing facts quoted in a prompt; more would cost tokens without helping.
pub const MAX_PROMPT_FACTS: usize = 20;

/// Fills the `{{name}}` placeholders of `template` in a single pass, so text substituted from
/// user input is never itself expanded. Unknown placeholders are left as they are.
#[must_use]
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut output = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        output.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            output.push_str(&rest[start..]);
            return output;
        };
        let name = &after[..end];
        match values.iter().find(|(key, _)| *key == name) {
            Some((_, value)) => output.push_str(value),
            None => output.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    output.push_str(rest);
    output
}

/// The ten category names, comma-separated, in canonical order.
#[must_use]
pub fn category_list() -> String {
    Category::ALL.map(Category::as_str).join(", ")
}

/// The preferred keys, one line per category.
#[must_use]
pub fn vocabulary_list(vocabulary: &Vocabulary) -> String {
    Category::ALL
        .iter()
        .map(|category| {
            let keys: Vec<&str> = vocabulary.keys_of(*category).collect();
            let keys = if keys.is_empty() {
                "requirement_<short_slug>".to_owned()
            } else {
                keys.join(", ")
            };
            format!("- {}: {keys}", category.as_str())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Up to [`MAX_PROMPT_FACTS`] facts as `category.key = value` lines, or "(none)".
#[must_use]
pub fn fact_lines(facts: &[ExistingFact]) -> String {
    if facts.is_empty() {
        return "(none)".to_owned();
    }
    facts
        .iter()
        .take(MAX_PROMPT_FACTS)
        .map(|fact| format!("- {}.{} = {}", fact.category.as_str(), fact.key, fact.value))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How many earlier questions a question prompt lists, and how much of each.
const MAX_PROMPT_QUESTIONS: usize = 30;
const MAX_PROMPT_QUESTION_CHARS: usize = 300;

/// Questions already asked as `- text` lines, newest first, or `(none)`.
#[must_use]
pub fn asked_lines(asked: &[String]) -> String {
    if asked.is_empty() {
        return "(none)".to_owned();
    }
    asked
        .iter()
        .take(MAX_PROMPT_QUESTIONS)
        .map(|text| {
            let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
            format!(
                "- {}",
                one_line
                    .chars()
                    .take(MAX_PROMPT_QUESTION_CHARS)
                    .collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// New facts as numbered `index: category.key = value` lines.
#[must_use]
pub fn indexed_draft_lines(facts: &[FactDraft]) -> String {
    facts
        .iter()
        .enumerate()
        .map(|(index, fact)| {
            format!(
                "- {index}: {}.{} = {}",
                fact.category.as_str(),
                fact.key,
                fact.value
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The conflict types the model may name.
#[must_use]
pub fn conflict_type_list() -> String {
    ConflictType::ALL.map(ConflictType::as_str).join(", ")
}

/// The severities the model may name.
#[must_use]
pub fn severity_list() -> String {
    ConflictSeverity::ALL
        .map(ConflictSeverity::as_str)
        .join(", ")
}

/// The schema of a question answer. Every property is required and no other is allowed, as
/// OpenAI's strict mode demands.
#[must_use]
pub fn question_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "text": {"type": "string", "description": "The question, ending with '?'."},
            "category": {"type": "string", "enum": Category::ALL.map(Category::as_str)},
            "context": {"type": "string", "description": "Why the answer matters."},
        },
        "required": ["text", "category", "context"],
        "additionalProperties": false,
    })
}

/// The schema of an extraction answer. Categories are free strings on purpose: an unknown
/// category must reach the validator so it can be reported back, not be hidden by the schema.
#[must_use]
pub fn extraction_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "facts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "category": {"type": "string"},
                        "key": {"type": "string"},
                        "value": {"type": "string"},
                        "confidence": {"type": "number"},
                        "reasoning": {"type": "string"},
                    },
                    "required": ["category", "key", "value", "confidence", "reasoning"],
                    "additionalProperties": false,
                },
            },
        },
        "required": ["facts"],
        "additionalProperties": false,
    })
}

/// The schema of a conflict judgement.
#[must_use]
pub fn conflicts_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "conflicts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "new_index": {"type": "integer"},
                        "existing_key": {"type": "string"},
                        "is_conflict": {"type": "boolean"},
                        "conflict_type": {"type": "string"},
                        "severity": {"type": "string"},
                        "explanation": {"type": "string"},
                    },
                    "required": [
                        "new_index", "existing_key", "is_conflict",
                        "conflict_type", "severity", "explanation",
                    ],
                    "additionalProperties": false,
                },
            },
        },
        "required": ["conflicts"],
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_is_single_pass_and_keeps_unknown_placeholders() {
        let rendered = render("a {{x}} b {{y}} c {{z", &[("x", "{{y}}"), ("y", "Y")]);
        assert_eq!(rendered, "a {{y}} b Y c {{z");
        assert_eq!(render("{{unknown}}", &[]), "{{unknown}}");
    }

    #[test]
    fn templates_carry_their_placeholders() {
        for (template, names) in [
            (
                QUESTION_TEMPLATE,
                &[
                    "project_name",
                    "focus_category",
                    "categories",
                    "facts",
                    "asked",
                    "documents",
                ][..],
            ),
            (
                EXTRACTION_TEMPLATE,
                &["categories", "vocabulary", "facts", "question"][..],
            ),
            (
                CONFLICTS_TEMPLATE,
                &["new_facts", "existing_facts", "pairs"][..],
            ),
            (
                CHAT_TEMPLATE,
                &[
                    "categories",
                    "facts",
                    "understood",
                    "conflicts",
                    "suggestion",
                    "documents",
                ][..],
            ),
        ] {
            for name in names {
                assert!(template.contains(&format!("{{{{{name}}}}}")), "{name}");
            }
        }
        let data = crate::offline::OfflineData::builtin().expect("valid");
        let list = vocabulary_list(data.knowledge().vocabulary());
        assert!(list.contains("tech_stack: programming_language"));
    }
}
