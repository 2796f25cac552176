//! The deterministic conflict pass that always runs before any LLM judgement (SPEC
//! "Decisions → Conflicts"): same category and key with a different normalised value, numeric
//! contradictions after unit normalisation, and a table of mutually exclusive choices across
//! keys.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::fact_vocabulary::{ValueKind, value_kind};
use crate::quantity::{QuantityKind, format_number, parse_quantities};
use crate::technology::canonical_technology;
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
    pub rule_id: &'static str,
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

/// Rule id: same category and key, different normalised value.
pub const RULE_SAME_KEY: &str = "same_key_different_value";
/// Rule id: the same quantity differs by more than [`NUMERIC_TOLERANCE`].
pub const RULE_NUMERIC: &str = "numeric_contradiction";
/// Rule id: SQLite against many concurrent writers or users.
pub const RULE_SQLITE_CONCURRENCY: &str = "sqlite_vs_high_concurrency";
/// Rule id: no persistence against a retention period.
pub const RULE_NO_PERSISTENCE: &str = "no_persistence_vs_retention";
/// Rule id: a single server against a four-nines availability target.
pub const RULE_SINGLE_SERVER: &str = "single_server_vs_high_availability";
/// Rule id: no authentication against single sign-on.
pub const RULE_NO_AUTH: &str = "no_authentication_vs_sso";

/// Relative difference above which two values of the same quantity contradict each other.
pub const NUMERIC_TOLERANCE: f64 = 0.2;

/// Keys whose change reshapes the whole system; a conflict on them is high severity.
const PIVOTAL_KEYS: &[&str] = &[
    "primary_database",
    "backend_framework",
    "programming_language",
];

/// The value of a numeric key in the key's own unit ("2 s" under `latency_p95_ms` → 2000).
/// A bare number is read in the key's unit. `None` for non-numeric keys or unreadable values.
#[must_use]
pub fn numeric_value(key: &str, value: &str) -> Option<f64> {
    let kind = value_kind(key);
    let quantity = parse_quantities(value).into_iter().next()?;
    let bare = quantity.kind == QuantityKind::Count;
    match kind {
        ValueKind::Milliseconds if bare || quantity.kind == QuantityKind::Duration => {
            Some(quantity.value)
        }
        ValueKind::Minutes if bare => Some(quantity.value),
        ValueKind::Minutes if quantity.kind == QuantityKind::Duration => Some(quantity.minutes()),
        ValueKind::Days if bare => Some(quantity.value),
        ValueKind::Days if quantity.kind == QuantityKind::Duration => Some(quantity.days()),
        ValueKind::Percent if bare || quantity.kind == QuantityKind::Percent => {
            Some(quantity.value)
        }
        ValueKind::Usd if bare || quantity.kind == QuantityKind::Money => Some(quantity.value),
        ValueKind::PerSecond if bare || quantity.kind == QuantityKind::Rate => Some(quantity.value),
        ValueKind::Count if bare => Some(quantity.value),
        _ => None,
    }
}

/// The canonical form a value is compared in: technology names canonicalised and case-folded
/// ("PostgreSQL 16" → "postgresql"), quantities in the key's unit ("2 s" → "2000 ms"), other
/// text trimmed, whitespace collapsed, case-folded and without a final full stop.
#[must_use]
pub fn normalise_value(key: &str, value: &str) -> String {
    let kind = value_kind(key);
    if let Some(number) = numeric_value(key, value) {
        let number = format_number(number);
        return match kind {
            ValueKind::Milliseconds => format!("{number} ms"),
            ValueKind::Minutes => format!("{number} minutes"),
            ValueKind::Days => format!("{number} days"),
            ValueKind::Percent => format!("{number} %"),
            ValueKind::Usd => format!("{number} usd"),
            ValueKind::PerSecond => format!("{number} /s"),
            _ => number,
        };
    }
    if let Some(technology) = canonical_technology(value) {
        return technology.name.to_lowercase();
    }
    let folded = value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    folded.trim_end_matches('.').to_owned()
}

/// Every contradiction between the new facts and the existing ones.
#[must_use]
pub fn detect_conflicts(new: &[FactDraft], existing: &[ExistingFact]) -> Vec<ConflictFinding> {
    let mut findings = Vec::new();
    for draft in new {
        for fact in existing {
            if draft.category == fact.category && draft.key == fact.key {
                findings.extend(same_key_conflict(draft, fact));
            } else {
                findings.extend(exclusion_conflicts(draft, fact));
            }
        }
    }
    findings
}

fn same_key_conflict(draft: &FactDraft, fact: &ExistingFact) -> Option<ConflictFinding> {
    let key = draft.key.as_str();
    if let (Some(new), Some(old)) = (
        numeric_value(key, &draft.value),
        numeric_value(key, &fact.value),
    ) {
        let scale = new.abs().max(old.abs());
        if scale == 0.0 || (new - old).abs() / scale <= NUMERIC_TOLERANCE {
            return None;
        }
        return Some(finding(
            RULE_NUMERIC,
            draft,
            fact,
            (ConflictType::Requirement, ConflictSeverity::Medium),
            format!(
                "The {key} target changes from \"{}\" to \"{}\", which differ by more than 20 %.",
                fact.value, draft.value
            ),
        ));
    }
    if normalise_value(key, &draft.value) == normalise_value(key, &fact.value) {
        return None;
    }
    let conflict_type = if draft.category == Category::TechStack {
        ConflictType::Technology
    } else {
        ConflictType::Requirement
    };
    let severity = if PIVOTAL_KEYS.contains(&key) {
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
            "The {key} was \"{}\" but the new answer says \"{}\".",
            fact.value, draft.value
        ),
    ))
}

/// A fact as the exclusion rules see it: key and value.
type Side<'a> = (&'a str, &'a str);

/// A pair of facts that cannot both hold, whichever of them came first.
struct ExclusionRule {
    id: &'static str,
    conflict_type: ConflictType,
    severity: ConflictSeverity,
    summary: &'static str,
    left: fn(Side<'_>) -> bool,
    right: fn(Side<'_>) -> bool,
}

const EXCLUSION_RULES: &[ExclusionRule] = &[
    ExclusionRule {
        id: RULE_SQLITE_CONCURRENCY,
        conflict_type: ConflictType::Technology,
        severity: ConflictSeverity::High,
        summary: "SQLite serialises writes and cannot serve that much concurrency",
        left: |(key, value)| {
            key == "primary_database"
                && canonical_technology(value).is_some_and(|t| t.name == "SQLite")
        },
        right: |(key, value)| match key {
            "concurrent_writers" => numeric_value(key, value).is_some_and(|n| n >= 100.0),
            "concurrent_users" => numeric_value(key, value).is_some_and(|n| n >= 1_000.0),
            _ => false,
        },
    },
    ExclusionRule {
        id: RULE_NO_PERSISTENCE,
        conflict_type: ConflictType::Requirement,
        severity: ConflictSeverity::High,
        summary: "Data that is never persisted cannot be retained",
        left: |(_, value)| {
            mentions(
                value,
                &[
                    "no persistence",
                    "in-memory only",
                    "in memory only",
                    "nothing is persisted",
                    "not persisted",
                    "no data is stored",
                    "without persistence",
                ],
            )
        },
        right: |(key, value)| {
            key == "retention_period_days" && numeric_value(key, value).is_some_and(|n| n > 0.0)
        },
    },
    ExclusionRule {
        id: RULE_SINGLE_SERVER,
        conflict_type: ConflictType::Resource,
        severity: ConflictSeverity::Medium,
        summary: "A single server without redundancy cannot reach 99.99 % availability",
        left: |(key, value)| {
            key == "availability_target_percent"
                && numeric_value(key, value).is_some_and(|n| n >= 99.99)
        },
        right: |(_, value)| {
            mentions(
                value,
                &[
                    "single server",
                    "one server",
                    "single instance",
                    "single node",
                    "single machine",
                    "one machine",
                    "no redundancy",
                ],
            )
        },
    },
    ExclusionRule {
        id: RULE_NO_AUTH,
        conflict_type: ConflictType::Requirement,
        severity: ConflictSeverity::High,
        summary: "Single sign-on requires authentication",
        left: |(_, value)| {
            mentions(
                value,
                &[
                    "no authentication",
                    "no login",
                    "without login",
                    "anonymous access",
                    "no auth",
                ],
            )
        },
        right: |(_, value)| {
            canonical_technology(value)
                .is_some_and(|t| matches!(t.name, "SSO" | "SAML" | "OpenID Connect" | "LDAP"))
        },
    },
];

fn mentions(value: &str, phrases: &[&str]) -> bool {
    let lower = value.to_lowercase();
    phrases.iter().any(|phrase| lower.contains(phrase))
}

fn exclusion_conflicts<'a>(
    draft: &'a FactDraft,
    fact: &'a ExistingFact,
) -> impl Iterator<Item = ConflictFinding> + 'a {
    let new: Side<'_> = (draft.key.as_str(), draft.value.as_str());
    let old: Side<'_> = (fact.key.as_str(), fact.value.as_str());
    EXCLUSION_RULES
        .iter()
        .filter(move |rule| {
            ((rule.left)(new) && (rule.right)(old)) || ((rule.left)(old) && (rule.right)(new))
        })
        .map(move |rule| {
            finding(
                rule.id,
                draft,
                fact,
                (rule.conflict_type, rule.severity),
                format!(
                    "{}: the existing {} is \"{}\" but the new {} is \"{}\".",
                    rule.summary, fact.key, fact.value, draft.key, draft.value
                ),
            )
        })
}

fn finding(
    rule_id: &'static str,
    draft: &FactDraft,
    fact: &ExistingFact,
    (conflict_type, severity): (ConflictType, ConflictSeverity),
    description: String,
) -> ConflictFinding {
    ConflictFinding {
        rule_id,
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
