//! Response shapes that several routes answer with: a saved fact, a conflict raised by an
//! answer or a manual fact, the fact a conflict contradicts, an extracted item that could not
//! become a fact, and the coverage of one category. They live here so that no two route
//! modules import each other.

use serde::Serialize;
use socrates_agents::agents::views::{
    CategoryStatus, ConflictView, ContradictedFact, FactView, RejectedView,
};
use socrates_domain::{Category, ConflictSeverity, ConflictType, FactSource};
use utoipa::ToSchema;

/// Coverage of one category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryStatusResponse {
    /// The category.
    pub category: Category,
    /// Its maturity weight.
    pub weight: u32,
    /// Current facts in it.
    pub facts: u32,
    /// Sum of their confidences.
    pub confidence_sum: f64,
    /// Coverage in percent.
    pub coverage_percent: f64,
}

impl From<CategoryStatus> for CategoryStatusResponse {
    fn from(status: CategoryStatus) -> Self {
        Self {
            category: status.category,
            weight: status.weight,
            facts: status.facts,
            confidence_sum: status.confidence_sum,
            coverage_percent: status.coverage_percent,
        }
    }
}

/// A saved fact.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedFactResponse {
    /// The fact's id (this version).
    pub spec_id: String,
    /// Its category.
    pub category: Category,
    /// Its key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// 0–1.
    pub confidence: f64,
    /// Where it came from (`socratic_question`, `direct_input`, …).
    pub source: FactSource,
    /// The question, direct-chat message, document or repository it came from.
    pub source_id: Option<String>,
    /// Its version.
    pub version: u32,
}

impl From<FactView> for SavedFactResponse {
    fn from(view: FactView) -> Self {
        Self {
            spec_id: view.spec_id.to_string(),
            category: view.category,
            key: view.key,
            value: view.value,
            confidence: view.confidence,
            source: view.source,
            source_id: view.source_id.map(|id| id.to_string()),
            version: view.version,
        }
    }
}

/// A conflict an answer raised.
#[derive(Debug, Serialize, ToSchema)]
pub struct RaisedConflictResponse {
    /// The conflict's id.
    pub conflict_id: String,
    /// `technology`, `requirement`, `timeline` or `resource`.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub conflict_type: ConflictType,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: ConflictSeverity,
    /// The current fact it contradicts.
    pub old_spec: ContradictedFactResponse,
    /// The value held back until the conflict is resolved.
    pub new_spec_value: String,
    /// In words.
    pub description: String,
    /// `keep_old`, `replace`, `merge`.
    pub resolution_options: Vec<String>,
}

impl From<ConflictView> for RaisedConflictResponse {
    fn from(view: ConflictView) -> Self {
        Self {
            conflict_id: view.conflict_id.to_string(),
            conflict_type: view.conflict_type,
            severity: view.severity,
            old_spec: view.old_spec.into(),
            new_spec_value: view.new_spec_value,
            description: view.description,
            resolution_options: view.resolution_options,
        }
    }
}

/// An extracted item that could not become a fact.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedItemResponse {
    /// The category as the extractor named it.
    pub category: String,
    /// The key it proposed.
    pub key: String,
    /// The value it proposed.
    pub value: String,
    /// Why it was rejected.
    pub reason: String,
}

impl From<RejectedView> for RejectedItemResponse {
    fn from(item: RejectedView) -> Self {
        Self {
            category: item.category,
            key: item.key,
            value: item.value,
            reason: item.reason,
        }
    }
}

/// The fact a conflict contradicts; only its `spec_id` once that version is no longer current
/// (replaced or removed since the conflict was raised).
#[derive(Debug, Serialize, ToSchema)]
pub struct ContradictedFactResponse {
    /// The contradicted version's id.
    pub spec_id: Option<String>,
    /// Its category; absent once the version is no longer current.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub category: Option<Category>,
    /// Its key; absent once the version is no longer current.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub key: Option<String>,
    /// Its value; absent once the version is no longer current.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub value: Option<String>,
}

impl From<ContradictedFact> for ContradictedFactResponse {
    fn from(fact: ContradictedFact) -> Self {
        Self {
            spec_id: fact.spec_id.map(|id| id.to_string()),
            category: fact.category,
            key: fact.key,
            value: fact.value,
        }
    }
}
