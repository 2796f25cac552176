//! The table of `conflict_rules.toml`: the numeric tolerance, the pivotal keys, the groups of
//! equivalent values and the exclusion rules, with their validation against the vocabulary
//! and technologies they name. Applying them to facts is `conflict_rules.rs`.

use std::collections::HashSet;

use serde::Deserialize;

use crate::fact_vocabulary::Vocabulary;
use crate::technology::TechnologyIndex;
use crate::{ConflictSeverity, ConflictType};

/// Rule id: same category and key, different normalised value.
pub const RULE_SAME_KEY: &str = "same_key_different_value";
/// Rule id: the same quantity differs by more than the numeric tolerance.
pub const RULE_NUMERIC: &str = "numeric_contradiction";

/// One condition on a fact; every field given must hold.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactCondition {
    /// The fact's key is this one.
    #[serde(default)]
    pub key: Option<String>,
    /// The value names one of these technologies (canonical names).
    #[serde(default)]
    pub technology: Vec<String>,
    /// The value, in the key's unit, is at least this.
    #[serde(default)]
    pub min: Option<f64>,
    /// The value, in the key's unit, is at most this.
    #[serde(default)]
    pub max: Option<f64>,
    /// The lowercase value contains one of these phrases.
    #[serde(default)]
    pub mentions: Vec<String>,
    /// The value names some known technology.
    #[serde(default)]
    pub any_technology: bool,
    /// The lowercase value contains none of these phrases.
    #[serde(default)]
    pub unless: Vec<String>,
}

/// A pair of facts that cannot both hold, whichever of them came first.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExclusionRule {
    /// Stable rule id, reported with every finding.
    pub id: String,
    /// The kind of conflict it reports.
    pub conflict_type: ConflictType,
    /// How serious it is.
    pub severity: ConflictSeverity,
    /// Why the two cannot both hold, one clause.
    pub summary: String,
    /// One side: a fact satisfying any of these conditions.
    pub left: Vec<FactCondition>,
    /// The other side.
    pub right: Vec<FactCondition>,
}

/// A group of text values that mean the same thing ("daily", "every night").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equivalence {
    /// The form every member normalises to.
    pub canonical: String,
    /// The other spellings.
    pub values: Vec<String>,
}

/// The contents of `conflict_rules.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConflictRules {
    /// Relative difference above which two values of the same quantity contradict each other.
    pub numeric_tolerance: f64,
    /// Keys whose change reshapes the whole system; a conflict on them is high severity.
    #[serde(default)]
    pub pivotal_keys: Vec<String>,
    /// Text values that mean the same thing.
    #[serde(default, rename = "equivalent")]
    pub equivalences: Vec<Equivalence>,
    /// The exclusion table.
    #[serde(default, rename = "exclusion")]
    pub exclusions: Vec<ExclusionRule>,
    /// Pairs of numeric keys where one can never exceed the other.
    #[serde(default, rename = "ordering")]
    pub orderings: Vec<OrderingRule>,
    /// Percentage keys compared by what they leave out (availability: 99.5 % and 99.95 %
    /// allow ten times different downtime, though the numbers are close).
    #[serde(default)]
    pub complement_keys: Vec<String>,
}

/// Two numeric keys of the same unit where `lesser` can never exceed `greater` (p95 and p99
/// latency, concurrent and total users).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderingRule {
    /// Names the rule in findings.
    pub id: String,
    /// What the contradiction means, for the finding.
    pub summary: String,
    /// The key whose value is at most the other's.
    pub lesser: String,
    /// The key whose value is at least the other's.
    pub greater: String,
}

impl ConflictRules {
    /// Checks the rules against the vocabulary and technologies they name.
    ///
    /// # Errors
    /// A message naming the rule and the problem.
    pub(crate) fn validate(
        &self,
        vocabulary: &Vocabulary,
        technologies: &TechnologyIndex,
    ) -> Result<(), String> {
        if !(0.0..1.0).contains(&self.numeric_tolerance) || self.numeric_tolerance == 0.0 {
            return Err("numeric_tolerance must be between 0 and 1".to_owned());
        }
        for key in &self.pivotal_keys {
            if vocabulary.get(key).is_none() {
                return Err(format!("pivotal key \"{key}\" is not in the vocabulary"));
            }
        }
        let mut spellings = HashSet::new();
        for group in &self.equivalences {
            for value in std::iter::once(&group.canonical).chain(&group.values) {
                if !spellings.insert(fold_text(value)) {
                    return Err(format!("equivalent value \"{value}\" is listed twice"));
                }
            }
        }
        for key in self.complement_keys.iter().chain(
            self.orderings
                .iter()
                .flat_map(|rule| [&rule.lesser, &rule.greater]),
        ) {
            if vocabulary.get(key).is_none() {
                return Err(format!(
                    "key \"{key}\" of a numeric rule is not in the vocabulary"
                ));
            }
        }
        let mut ids = HashSet::new();
        for rule in &self.orderings {
            if !ids.insert(rule.id.as_str()) {
                return Err(format!("ordering id \"{}\" is not unique", rule.id));
            }
            if vocabulary.value_kind(&rule.lesser) != vocabulary.value_kind(&rule.greater) {
                return Err(format!(
                    "ordering \"{}\" compares keys of different units",
                    rule.id
                ));
            }
        }
        for rule in &self.exclusions {
            if !ids.insert(rule.id.as_str()) || rule.id == RULE_SAME_KEY || rule.id == RULE_NUMERIC
            {
                return Err(format!("exclusion id \"{}\" is not unique", rule.id));
            }
            if rule.left.is_empty() || rule.right.is_empty() {
                return Err(format!("exclusion \"{}\" needs both sides", rule.id));
            }
            for condition in rule.left.iter().chain(&rule.right) {
                condition
                    .validate(vocabulary, technologies)
                    .map_err(|problem| format!("exclusion \"{}\": {problem}", rule.id))?;
            }
        }
        Ok(())
    }
}

impl FactCondition {
    fn validate(
        &self,
        vocabulary: &Vocabulary,
        technologies: &TechnologyIndex,
    ) -> Result<(), String> {
        if self.key.is_none()
            && self.technology.is_empty()
            && self.mentions.is_empty()
            && !self.any_technology
            && self.min.is_none()
            && self.max.is_none()
        {
            return Err("a condition names nothing to check".to_owned());
        }
        if let Some(key) = &self.key {
            let entry = vocabulary
                .get(key)
                .ok_or_else(|| format!("key \"{key}\" is not in the vocabulary"))?;
            if (self.min.is_some() || self.max.is_some()) && !entry.value_kind.is_numeric() {
                return Err(format!("min/max on the non-numeric key \"{key}\""));
            }
        } else if self.min.is_some() || self.max.is_some() {
            return Err("min/max need a key".to_owned());
        }
        for name in &self.technology {
            if technologies.by_name(name).is_none() {
                return Err(format!("technology \"{name}\" is not in technologies.toml"));
            }
        }
        if let Some(phrase) = self
            .mentions
            .iter()
            .chain(&self.unless)
            .find(|p| p.to_lowercase() != **p)
        {
            return Err(format!("mention \"{phrase}\" must be lowercase"));
        }
        Ok(())
    }
}

/// Trims, collapses whitespace, case-folds and drops a final full stop.
pub(crate) fn fold_text(value: &str) -> String {
    let folded = value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    folded.trim_end_matches('.').to_owned()
}
