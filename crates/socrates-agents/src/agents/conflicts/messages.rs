//! What the conflict detector takes and gives: its requests and their results.

use crate::agents::views::ContradictedFact;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use socrates_domain::{
    Category, ConflictId, ConflictResolution, ConflictSeverity, ConflictStatus, ConflictType,
    PageOffset, ProjectId, SpecificationId,
};

/// The fact a conflict holds back until it is resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldBackFact {
    /// Its category.
    pub category: Category,
    /// Its key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// How sure the extractor was, 0..=1.
    pub confidence: f64,
}

/// A conflict as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictDetail {
    /// The conflict.
    pub conflict_id: ConflictId,
    /// Its project.
    pub project_id: ProjectId,
    /// Its type.
    #[serde(rename = "type")]
    pub conflict_type: ConflictType,
    /// How serious it is.
    pub severity: ConflictSeverity,
    /// `open`, `resolved` or `ignored`.
    pub status: ConflictStatus,
    /// The current fact it contradicts.
    pub old_spec: ContradictedFact,
    /// The held-back value.
    pub new_spec_value: String,
    /// The held-back fact.
    pub new_spec: HeldBackFact,
    /// In words.
    pub description: String,
    /// Which rule or judge found it.
    pub detected_by: String,
    /// When.
    pub detected_at: DateTime<Utc>,
    /// How it was resolved.
    pub resolution: Option<ConflictResolution>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The fact version the resolution wrote.
    pub resulting_spec_id: Option<SpecificationId>,
}

/// `list`.
#[derive(Debug, Clone)]
pub struct ListConflicts {
    /// The project.
    pub project_id: ProjectId,
    /// Only conflicts in this status; all when absent.
    pub status: Option<ConflictStatus>,
    /// Page size (default 50, at most 100).
    pub limit: Option<u64>,
    /// Rows to skip (validated: at most `PageOffset::MAX`).
    pub offset: Option<PageOffset>,
}

/// A page of conflicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictList {
    /// Newest first.
    pub conflicts: Vec<ConflictDetail>,
    /// How many match.
    pub total: u64,
}

/// `options`: the ways to resolve one conflict, in words.
#[derive(Debug, Clone, Copy)]
pub struct GetConflictOptions {
    /// The conflict.
    pub conflict_id: ConflictId,
}

/// `resolve`.
#[derive(Debug, Clone)]
pub struct ResolveConflict {
    /// The conflict.
    pub conflict_id: ConflictId,
    /// How to settle it.
    pub resolution: ConflictResolution,
    /// The merged value, required for `merge`.
    pub merged_value: Option<String>,
    /// Notes kept with the resolution.
    pub notes: Option<String>,
}

/// One way to resolve a conflict, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolutionOption {
    /// The resolution to send.
    pub action: ConflictResolution,
    /// What it does with this conflict's values.
    pub description: String,
    /// What it changes.
    pub impact: String,
}

/// The result of `options`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictOptions {
    /// The conflict.
    pub conflict_id: ConflictId,
    /// `open`, `resolved` or `ignored`.
    pub status: ConflictStatus,
    /// `keep_old`, `replace` and `merge`, in that order.
    pub options: Vec<ResolutionOption>,
}

/// The result of `resolve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolved {
    /// The conflict.
    pub conflict_id: ConflictId,
    /// Always `resolved`.
    pub status: ConflictStatus,
    /// How.
    pub resolution: ConflictResolution,
    /// When.
    pub resolved_at: DateTime<Utc>,
    /// The fact version written (`replace`, `merge`).
    pub resulting_spec_id: Option<SpecificationId>,
    /// The project's maturity afterwards.
    pub maturity_score: f64,
}
