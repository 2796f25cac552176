//! The deterministic conflict pass that always runs before any LLM judgement (SPEC
//! "Decisions → Conflicts"): same category and key with a different normalised value, numeric
//! contradictions after unit normalisation, and a table of mutually exclusive choices across
//! keys (`data/conflict_rules.toml`).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::deadline::same_deadline;
use crate::fact_vocabulary::ValueKind;
use crate::knowledge::Knowledge;
use crate::quantity::{QuantityKind, format_number, parse_quantities};
use crate::rule_table::{FactCondition, RULE_NUMERIC, RULE_SAME_KEY, fold_text};
use crate::technology::tokenise;
use crate::{Category, ConflictSeverity, ConflictType};

/// A fact proposed by an extractor, not yet stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactDraft {
    /// The category the fact belongs to.
    pub category: Category,
    /// The vocabulary key.
    pub key: String,
    /// The value as it will be shown.
    pub value: String,
    /// How sure the extractor is, 0..=1.
    pub confidence: f64,
    /// Why the extractor believes it, if it says.
    pub reasoning: Option<String>,
}

impl FactDraft {
    /// The draft as the conflict rules see a stored fact (without an id).
    #[must_use]
    pub fn as_existing(&self) -> ExistingFact {
        ExistingFact {
            id: None,
            category: self.category,
            key: self.key.clone(),
            value: self.value.clone(),
            confidence: self.confidence,
        }
    }
}

/// A current fact of the project, as the conflict rules see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExistingFact {
    /// The stored fact's id, when it has one.
    pub id: Option<Uuid>,
    /// The category the fact belongs to.
    pub category: Category,
    /// The vocabulary key.
    pub key: String,
    /// The stored value.
    pub value: String,
    /// Its confidence, 0..=1.
    pub confidence: f64,
}

/// One contradiction between a new fact and an existing one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictFinding {
    /// The id of the rule that fired, e.g. `same_key_different_value`.
    pub rule_id: String,
    /// The existing fact that is contradicted.
    pub existing: ExistingFact,
    /// The new fact that contradicts it.
    pub new: FactDraft,
    /// What kind of conflict it is.
    pub conflict_type: ConflictType,
    /// How serious it is.
    pub severity: ConflictSeverity,
    /// One sentence naming both values.
    pub description: String,
}

/// Whether a fact satisfies `condition` of an exclusion rule.
fn holds(condition: &FactCondition, knowledge: &Knowledge, (key, value): Side<'_>) -> bool {
    if condition.key.as_deref().is_some_and(|wanted| wanted != key) {
        return false;
    }
    if !condition.technology.is_empty()
        && !knowledge
            .technologies()
            .canonical(value)
            .is_some_and(|t| condition.technology.contains(&t.name))
    {
        return false;
    }
    if condition.min.is_some() || condition.max.is_some() {
        let Some(number) = knowledge.numeric_value(key, value) else {
            return false;
        };
        if condition.min.is_some_and(|min| number < min)
            || condition.max.is_some_and(|max| number > max)
        {
            return false;
        }
    }
    if condition.any_technology && knowledge.technology_in(value).is_none() {
        return false;
    }
    let lower = value.to_lowercase();
    if !condition.mentions.is_empty()
        && !condition
            .mentions
            .iter()
            .any(|phrase| lower.contains(phrase))
    {
        return false;
    }
    !condition.unless.iter().any(|phrase| lower.contains(phrase))
}

/// A fact as the exclusion rules see it: key and value.
type Side<'a> = (&'a str, &'a str);

/// Words that carry no meaning when two text values are compared.
const FILLER_WORDS: &[&str] = &[
    "a", "an", "the", "and", "of", "for", "to", "in", "on", "at", "with", "is", "are", "be", "we",
    "our", "it", "by", "all", "every", "each",
];

impl Knowledge {
    /// The value of a numeric key in the key's own unit ("2 s" under `latency_p95_ms` → 2000).
    /// A bare number is read in the key's unit. `None` for non-numeric keys or unreadable
    /// values.
    #[must_use]
    pub fn numeric_value(&self, key: &str, value: &str) -> Option<f64> {
        let kind = self.vocabulary().value_kind(key);
        let quantity = parse_quantities(value).into_iter().next()?;
        let bare = quantity.kind == QuantityKind::Count;
        match kind {
            ValueKind::Milliseconds if bare || quantity.kind == QuantityKind::Duration => {
                Some(quantity.value)
            }
            ValueKind::Minutes if bare => Some(quantity.value),
            ValueKind::Minutes if quantity.kind == QuantityKind::Duration => {
                Some(quantity.minutes())
            }
            ValueKind::Days if bare => Some(quantity.value),
            ValueKind::Days if quantity.kind == QuantityKind::Duration => Some(quantity.days()),
            ValueKind::Percent if bare || quantity.kind == QuantityKind::Percent => {
                Some(quantity.value)
            }
            // A periodic amount counts by the year: "$25k/month" is "$300k per year".
            ValueKind::Usd if bare || quantity.kind == QuantityKind::Money => {
                Some(quantity.value * per_year(value))
            }
            // "300 per minute" is 5 per second; "30,000 requests per minute" was read per
            // second already.
            ValueKind::PerSecond if bare => Some(quantity.value / seconds_per_period(value)),
            ValueKind::PerSecond if quantity.kind == QuantityKind::Rate => Some(quantity.value),
            ValueKind::Count if bare => Some(quantity.value),
            ValueKind::Gigabytes if bare || quantity.kind == QuantityKind::DataSize => {
                Some(quantity.value)
            }
            _ => None,
        }
    }

    /// The one technology a value names: the whole value ("PostgreSQL 16") or, failing that,
    /// the only technology mentioned in it ("probably Kafka").
    #[must_use]
    pub fn technology_in(&self, value: &str) -> Option<&crate::technology::Technology> {
        self.technologies().canonical(value).or_else(|| {
            let found = self.technologies().find(value);
            match found.as_slice() {
                [only] => Some(only.technology),
                _ => None,
            }
        })
    }

    /// The canonical form a value is compared in: technology names canonicalised and
    /// case-folded ("PostgreSQL 16" → "postgresql"), quantities in the key's unit ("2 s" →
    /// "2000 ms"), equivalent text values to their group's canonical form, other text trimmed,
    /// whitespace collapsed, case-folded and without a final full stop.
    #[must_use]
    pub fn normalise_value(&self, key: &str, value: &str) -> String {
        let kind = self.vocabulary().value_kind(key);
        if let Some(number) = self.numeric_value(key, value) {
            let number = format_number(number);
            return match kind {
                ValueKind::Milliseconds => format!("{number} ms"),
                ValueKind::Minutes => format!("{number} minutes"),
                ValueKind::Days => format!("{number} days"),
                ValueKind::Percent => format!("{number} %"),
                ValueKind::Usd => format!("{number} usd"),
                ValueKind::PerSecond => format!("{number} /s"),
                ValueKind::Gigabytes => format!("{number} GB"),
                _ => number,
            };
        }
        if let Some(technology) = self.technology_in(value) {
            return technology.name.to_lowercase();
        }
        let folded = fold_text(value);
        self.conflict_rules()
            .equivalences
            .iter()
            .find(|group| {
                fold_text(&group.canonical) == folded
                    || group.values.iter().any(|v| fold_text(v) == folded)
            })
            .map_or(folded, |group| fold_text(&group.canonical))
    }

    /// Whether two values of `key` say the same thing: equal once normalised or, for text,
    /// one's meaningful words all contained in the other's (a refinement, not a change).
    #[must_use]
    pub fn same_meaning(&self, key: &str, left: &str, right: &str) -> bool {
        let (left, right) = (
            self.normalise_value(key, left),
            self.normalise_value(key, right),
        );
        if left == right {
            return true;
        }
        let kind = self.vocabulary().value_kind(key);
        if kind == ValueKind::Date {
            let tolerance = self.conflict_rules().numeric_tolerance;
            return same_deadline(&left, &right, tolerance) != Some(false);
        }
        if kind != ValueKind::Text {
            return false;
        }
        let words = |text: &str| -> HashSet<String> {
            tokenise(text)
                .into_iter()
                .filter(|w| !FILLER_WORDS.contains(&w.as_str()))
                .collect()
        };
        let (left, right) = (words(&left), words(&right));
        !left.is_empty() && !right.is_empty() && (left.is_subset(&right) || right.is_subset(&left))
    }

    /// Whether `new` says more than `old` about the same thing: for text keys, every
    /// meaningful word of `old` is in `new` and `new` has more ("dog walkers" →
    /// "professional dog walkers in cities").
    #[must_use]
    pub fn refines(&self, key: &str, old: &str, new: &str) -> bool {
        if self.vocabulary().value_kind(key) != ValueKind::Text {
            return false;
        }
        let words = |text: &str| -> HashSet<String> {
            tokenise(&self.normalise_value(key, text))
                .into_iter()
                .filter(|w| !FILLER_WORDS.contains(&w.as_str()))
                .collect()
        };
        let (old, new) = (words(old), words(new));
        !old.is_empty() && old.len() < new.len() && old.is_subset(&new)
    }

    /// Every contradiction between the new facts and the existing ones.
    #[must_use]
    pub fn detect_conflicts(
        &self,
        new: &[FactDraft],
        existing: &[ExistingFact],
    ) -> Vec<ConflictFinding> {
        let mut findings = Vec::new();
        for draft in new {
            for fact in existing {
                findings.extend(self.conflict_between(draft, fact));
            }
        }
        findings
    }

    /// The contradictions inside one answer: each fact against the facts stated before it
    /// in the same answer ("PostgreSQL… actually MySQL").
    #[must_use]
    pub fn detect_conflicts_within(&self, new: &[FactDraft]) -> Vec<ConflictFinding> {
        let mut findings = Vec::new();
        for (index, draft) in new.iter().enumerate() {
            for earlier in &new[..index] {
                findings.extend(self.conflict_between(draft, &earlier.as_existing()));
            }
        }
        findings
    }

    /// The contradictions between one new fact and one existing fact.
    fn conflict_between(&self, draft: &FactDraft, fact: &ExistingFact) -> Vec<ConflictFinding> {
        let same_key = draft.category == fact.category && draft.key == fact.key;
        if same_key
            && self.vocabulary().is_exclusive(draft.category, &draft.key)
            && let Some(found) = self.same_key_conflict(draft, fact)
        {
            return vec![found];
        }
        let mut found = self.exclusion_conflicts(draft, fact);
        found.extend(self.ordering_conflicts(draft, fact));
        found
    }

    /// A value above the one a key can never exceed (p99 latency under p95), either way round.
    fn ordering_conflicts(&self, draft: &FactDraft, fact: &ExistingFact) -> Vec<ConflictFinding> {
        self.conflict_rules()
            .orderings
            .iter()
            .filter_map(|rule| {
                let value = |key: &str| {
                    if draft.key == key {
                        self.numeric_value(key, &draft.value)
                    } else if fact.key == key {
                        self.numeric_value(key, &fact.value)
                    } else {
                        None
                    }
                };
                let both = (draft.key == rule.lesser && fact.key == rule.greater)
                    || (draft.key == rule.greater && fact.key == rule.lesser);
                let (lesser, greater) = (value(&rule.lesser)?, value(&rule.greater)?);
                (both && lesser > greater).then(|| {
                    finding(
                        &rule.id,
                        draft,
                        fact,
                        (ConflictType::Requirement, ConflictSeverity::Medium),
                        format!(
                            "{}: the existing {} is \"{}\" but the new {} is \"{}\".",
                            rule.summary, fact.key, fact.value, draft.key, draft.value
                        ),
                    )
                })
            })
            .collect()
    }

    fn same_key_conflict(&self, draft: &FactDraft, fact: &ExistingFact) -> Option<ConflictFinding> {
        let key = draft.key.as_str();
        let complement = self
            .conflict_rules()
            .complement_keys
            .iter()
            .any(|k| k == key);
        let compared = |value: f64| if complement { 100.0 - value } else { value };
        if let (Some(new), Some(old)) = (
            self.numeric_value(key, &draft.value).map(compared),
            self.numeric_value(key, &fact.value).map(compared),
        ) {
            let scale = new.abs().max(old.abs());
            let tolerance = self.conflict_rules().numeric_tolerance;
            if scale == 0.0 || (new - old).abs() / scale <= tolerance {
                return None;
            }
            return Some(finding(
                RULE_NUMERIC,
                draft,
                fact,
                (ConflictType::Requirement, ConflictSeverity::Medium),
                format!(
                    "The {key} target changes from \"{}\" to \"{}\", which differ by more than \
                     {} %.",
                    fact.value,
                    draft.value,
                    format_number(tolerance * 100.0)
                ),
            ));
        }
        if self.same_meaning(key, &draft.value, &fact.value) {
            return None;
        }
        let conflict_type = if self.vocabulary().value_kind(key) == ValueKind::Date {
            ConflictType::Timeline
        } else if draft.category == Category::TechStack {
            ConflictType::Technology
        } else {
            ConflictType::Requirement
        };
        let severity = if self.conflict_rules().pivotal_keys.iter().any(|k| k == key) {
            ConflictSeverity::High
        } else {
            ConflictSeverity::Medium
        };
        Some(finding(
            RULE_SAME_KEY,
            draft,
            fact,
            (conflict_type, severity),
            format!(
                "The {key} was \"{}\" but is now stated as \"{}\".",
                fact.value, draft.value
            ),
        ))
    }

    fn exclusion_conflicts(&self, draft: &FactDraft, fact: &ExistingFact) -> Vec<ConflictFinding> {
        let new: Side<'_> = (draft.key.as_str(), draft.value.as_str());
        let old: Side<'_> = (fact.key.as_str(), fact.value.as_str());
        let side = |conditions: &[FactCondition], fact: Side<'_>| {
            conditions.iter().any(|c| holds(c, self, fact))
        };
        self.conflict_rules()
            .exclusions
            .iter()
            .filter(|rule| {
                (side(&rule.left, new) && side(&rule.right, old))
                    || (side(&rule.left, old) && side(&rule.right, new))
            })
            .map(|rule| {
                finding(
                    &rule.id,
                    draft,
                    fact,
                    (rule.conflict_type, rule.severity),
                    format!(
                        "{}: the existing {} is \"{}\" but the new {} is \"{}\".",
                        rule.summary, fact.key, fact.value, draft.key, draft.value
                    ),
                )
            })
            .collect()
    }
}

fn finding(
    rule_id: &str,
    draft: &FactDraft,
    fact: &ExistingFact,
    (conflict_type, severity): (ConflictType, ConflictSeverity),
    description: String,
) -> ConflictFinding {
    ConflictFinding {
        rule_id: rule_id.to_owned(),
        existing: fact.clone(),
        new: draft.clone(),
        conflict_type,
        severity,
        description,
    }
}

#[cfg(test)]
#[path = "conflict_rules_tests.rs"]
mod tests;

/// The periods a value can be stated per, in the words people use, with their length in
/// seconds.
const PERIODS: &[(&[&str], f64)] = &[
    (
        &[
            "per minute",
            "a minute",
            "/min",
            "/minute",
            "per min",
            "each minute",
        ],
        60.0,
    ),
    (
        &[
            "per hour",
            "an hour",
            "/h",
            "/hr",
            "/hour",
            "hourly",
            "each hour",
        ],
        3_600.0,
    ),
    (&["per day", "a day", "/day", "daily", "each day"], 86_400.0),
    (
        &["per week", "a week", "/week", "weekly", "each week"],
        604_800.0,
    ),
    (
        &[
            "per month",
            "a month",
            "/month",
            "/mo",
            "monthly",
            "each month",
        ],
        2_629_800.0,
    ),
    (
        &[
            "per year",
            "a year",
            "/year",
            "/yr",
            "yearly",
            "annually",
            "annual",
            "per annum",
            "each year",
        ],
        31_557_600.0,
    ),
];

/// The length in seconds of the period `value` is stated per; 1 when it names none.
fn seconds_per_period(value: &str) -> f64 {
    let lower = value.to_lowercase();
    PERIODS
        .iter()
        .find(|(words, _)| words.iter().any(|word| lower.contains(word)))
        .map_or(1.0, |(_, seconds)| *seconds)
}

/// How many times a year an amount stated per some period recurs; 1 for a one-off amount or
/// one stated per year.
fn per_year(value: &str) -> f64 {
    let seconds = seconds_per_period(value);
    if seconds == 1.0 {
        1.0
    } else {
        (31_557_600.0 / seconds).round()
    }
}
