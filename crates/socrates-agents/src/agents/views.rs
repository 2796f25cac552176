//! Response shapes that several agents return: a saved fact, a conflict holding a statement
//! back, the fact a conflict contradicts, an extracted item that could not become a fact, and
//! the coverage of one category. They live here, not in one agent's messages, so that no two
//! agent modules import each other.

use serde::{Deserialize, Serialize};
use socrates_domain::{Category, ConflictSeverity, ConflictType, FactSource, SpecificationId};
use socrates_persistence::repositories::specifications::Specification;
use socrates_reasoner::RejectedItem;

/// A saved fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactView {
    /// The fact's id (this version).
    pub spec_id: SpecificationId,
    /// Its category.
    pub category: Category,
    /// Its key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// 0..=1.
    pub confidence: f64,
    /// Where it came from.
    pub source: FactSource,
    /// The question, message, document or repository it came from.
    pub source_id: Option<uuid::Uuid>,
    /// Its version.
    pub version: u32,
}

/// A conflict the answer raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictView {
    /// The conflict.
    pub conflict_id: socrates_domain::ConflictId,
    /// Its type.
    #[serde(rename = "type")]
    pub conflict_type: ConflictType,
    /// How serious it is.
    pub severity: ConflictSeverity,
    /// The current fact it contradicts.
    pub old_spec: ContradictedFact,
    /// The value held back until the conflict is resolved.
    pub new_spec_value: String,
    /// In words.
    pub description: String,
    /// `keep_old`, `replace`, `merge`.
    pub resolution_options: Vec<String>,
}

/// The fact a conflict contradicts. Only its id when that version is no longer current (it was
/// replaced or removed since the conflict was raised).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContradictedFact {
    /// The contradicted version.
    pub spec_id: Option<SpecificationId>,
    /// Its category, while it is current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// Its key, while it is current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Its value, while it is current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// An extracted item that could not become a fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedView {
    /// The category as the extractor named it.
    pub category: String,
    /// The key it proposed.
    pub key: String,
    /// The value it proposed.
    pub value: String,
    /// Why it was rejected.
    pub reason: String,
}

impl From<RejectedItem> for RejectedView {
    fn from(item: RejectedItem) -> Self {
        Self {
            category: item.raw_category,
            key: item.key,
            value: item.value,
            reason: item.reason,
        }
    }
}

/// Coverage of one category in a status report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryStatus {
    /// The category.
    pub category: Category,
    /// Its weight.
    pub weight: u32,
    /// Current facts in it.
    pub facts: u32,
    /// Sum of their confidences.
    pub confidence_sum: f64,
    /// Coverage in percent.
    pub coverage_percent: f64,
}

impl From<&Specification> for FactView {
    fn from(fact: &Specification) -> Self {
        Self {
            spec_id: fact.id,
            category: fact.category,
            key: fact.key.clone(),
            value: fact.value.clone(),
            confidence: fact.confidence,
            source: fact.source,
            source_id: fact.source_id,
            version: fact.version,
        }
    }
}

impl From<&socrates_domain::CategoryCoverage> for CategoryStatus {
    fn from(coverage: &socrates_domain::CategoryCoverage) -> Self {
        Self {
            category: coverage.category,
            weight: coverage.weight,
            facts: coverage.fact_count,
            confidence_sum: coverage.confidence_sum,
            coverage_percent: coverage.coverage_percent,
        }
    }
}
