//! What the context analyzer takes and gives: its requests and their results.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use socrates_domain::{FactDraft, FactSource, PageOffset, ProjectId, SpecificationId};
use socrates_persistence::repositories::specifications::Specification;

use crate::agents::views::{ConflictView, FactView, RejectedView};

/// `extract`: facts a text states, not saved.
#[derive(Debug, Clone)]
pub struct ExtractText {
    /// The project whose facts give context.
    pub project_id: ProjectId,
    /// The text.
    pub text: String,
}

/// The result of `extract`: nothing of it is saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    /// The facts the text states.
    pub facts: Vec<FactDraft>,
    /// Items that could not be mapped to a category or key.
    pub rejected: Vec<RejectedView>,
}

/// `list`.
#[derive(Debug, Clone)]
pub struct ListFacts {
    /// The project.
    pub project_id: ProjectId,
    /// Only this category.
    pub category: Option<String>,
    /// Page size (default 50, at most 100).
    pub limit: Option<u64>,
    /// Rows to skip (validated: at most `PageOffset::MAX`).
    pub offset: Option<PageOffset>,
}

/// A page of facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactList {
    /// The facts, by category then age.
    pub specifications: Vec<FactView>,
    /// How many match.
    pub total: u64,
    /// The page size used.
    pub limit: u64,
    /// The offset used.
    pub offset: u64,
}

/// `add`.
#[derive(Debug, Clone)]
pub struct AddFact {
    /// The project.
    pub project_id: ProjectId,
    /// One of the ten categories (aliases accepted).
    pub category: String,
    /// snake_case key.
    pub key: String,
    /// The value.
    pub value: String,
    /// Where the caller says it comes from: a fact added by hand is always `direct_input`,
    /// and any other source is refused (the other sources are set by the service itself).
    pub source: Option<FactSource>,
}

/// The result of `add`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactAdded {
    /// The saved fact, unless a conflict holds it back.
    pub specification: Option<FactView>,
    /// Whether it contradicted a current fact.
    pub conflicts_detected: bool,
    /// The open conflicts holding it back; one that already held the same value is reported,
    /// not duplicated.
    pub conflicts: Vec<ConflictView>,
    /// The project's maturity afterwards.
    pub maturity_score: f64,
}

/// `update`.
#[derive(Debug, Clone)]
pub struct UpdateFact {
    /// The fact's current version.
    pub spec_id: SpecificationId,
    /// The new value.
    pub value: String,
}

/// `delete`: a soft delete of the fact's current version.
#[derive(Debug, Clone, Copy)]
pub struct DeleteFact {
    /// The fact's current version.
    pub spec_id: SpecificationId,
}

/// `history`: every version of the fact, oldest first.
#[derive(Debug, Clone, Copy)]
pub struct GetFactHistory {
    /// Any version of the fact.
    pub spec_id: SpecificationId,
    /// Page size, 1–100 (default 50).
    pub limit: Option<u64>,
    /// Versions to skip (validated: at most `PageOffset::MAX`).
    pub offset: Option<PageOffset>,
}

/// The result of `update` and `delete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactChanged {
    /// The version written (or deleted).
    pub spec_id: SpecificationId,
    /// Its version number.
    pub version: u32,
    /// Its value.
    pub value: String,
    /// When.
    pub updated_at: DateTime<Utc>,
    /// The project's maturity afterwards.
    pub maturity_score: f64,
    /// For people.
    pub message: String,
}

/// The result of `update`: the new version, or the fact unchanged while the conflicts its new
/// value raised hold that value back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactUpdated {
    /// The version written; the current version, unchanged, when a conflict holds the value.
    #[serde(flatten)]
    pub fact: FactChanged,
    /// Whether the new value contradicted another current fact.
    pub conflicts_detected: bool,
    /// The open conflicts holding the new value back.
    pub conflicts: Vec<ConflictView>,
}

/// One version of a fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactVersion {
    /// This version.
    pub spec_id: SpecificationId,
    /// Its version number.
    pub version: u32,
    /// Its value.
    pub value: String,
    /// 0..=1.
    pub confidence: f64,
    /// Where it came from.
    pub source: FactSource,
    /// Whether it is the fact's current version.
    pub is_current: bool,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When a newer version replaced it.
    pub superseded_at: Option<DateTime<Utc>>,
    /// When it was removed.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<&Specification> for FactVersion {
    fn from(version: &Specification) -> Self {
        Self {
            spec_id: version.id,
            version: version.version,
            value: version.value.clone(),
            confidence: version.confidence,
            source: version.source,
            is_current: version.is_current,
            created_at: version.created_at,
            superseded_at: version.superseded_at,
            deleted_at: version.deleted_at,
        }
    }
}

/// Every version of a fact, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactHistory {
    /// The fact's lineage (the id of its first version).
    pub lineage_id: SpecificationId,
    /// The page's versions, oldest first.
    pub versions: Vec<FactVersion>,
    /// How many versions the fact has.
    pub total: u64,
    /// The page size used.
    pub limit: u64,
    /// The offset used.
    pub offset: u64,
}
