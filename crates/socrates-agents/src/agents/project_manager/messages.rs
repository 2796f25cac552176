//! What the project manager takes and gives: its requests and their results.

use std::collections::BTreeMap;

use crate::agents::views::CategoryStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use socrates_domain::{Category, PageOffset, ProjectId, ProjectPhase, ProjectStatus};
use socrates_persistence::repositories::projects::Project;

/// What a project looks like to its owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectView {
    /// The project's id.
    pub project_id: ProjectId,
    /// Its name.
    pub name: String,
    /// What it is about.
    pub description: Option<String>,
    /// Lifecycle phase.
    pub phase: ProjectPhase,
    /// `active`, `archived` or `completed`.
    pub status: ProjectStatus,
    /// Overall maturity, 0–100.
    pub maturity_score: f64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<Project> for ProjectView {
    fn from(project: Project) -> Self {
        Self {
            project_id: project.id,
            name: project.name,
            description: project.description,
            phase: project.phase,
            status: project.status,
            maturity_score: project.maturity_score,
            created_at: project.created_at,
            updated_at: project.updated_at,
        }
    }
}

/// `create`.
#[derive(Debug, Clone)]
pub struct CreateProject {
    /// 1–255 characters, no markup characters.
    pub name: String,
    /// Up to 2 000 characters.
    pub description: Option<String>,
}

/// `get`: one of the caller's projects.
#[derive(Debug, Clone, Copy)]
pub struct GetProject {
    /// The project.
    pub project_id: ProjectId,
}

/// `archive`: makes the project read-only (`DELETE /projects/{id}`).
#[derive(Debug, Clone, Copy)]
pub struct ArchiveProject {
    /// The project.
    pub project_id: ProjectId,
}

/// `status`: maturity, coverage, open conflicts and what blocks the next phase.
#[derive(Debug, Clone, Copy)]
pub struct GetProjectStatus {
    /// The project.
    pub project_id: ProjectId,
}

/// `advance_phase`: moves the project to its next lifecycle phase when the rules allow it.
#[derive(Debug, Clone, Copy)]
pub struct AdvancePhase {
    /// The project.
    pub project_id: ProjectId,
}

/// `list`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListProjects {
    /// Only this status (everything but archived when absent).
    pub status: Option<ProjectStatus>,
    /// Only this phase.
    pub phase: Option<ProjectPhase>,
    /// Page size (default 50, at most 100).
    pub limit: Option<u64>,
    /// Rows to skip (validated: at most `PageOffset::MAX`).
    pub offset: Option<PageOffset>,
}

/// A page of projects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectList {
    /// The page, newest first.
    pub projects: Vec<ProjectView>,
    /// How many match the filter in all.
    pub total: u64,
    /// The page size used.
    pub limit: u64,
    /// The offset used.
    pub offset: u64,
}

/// `update`: absent fields stay as they are; `description: Some(None)` clears it.
#[derive(Debug, Clone)]
pub struct UpdateProject {
    /// The project.
    pub project_id: ProjectId,
    /// A new name.
    pub name: Option<String>,
    /// A new description; `Some(None)` clears it.
    pub description: Option<Option<String>>,
}

/// The result of `archive`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Archived {
    /// The project.
    pub project_id: ProjectId,
    /// For people.
    pub message: String,
}

/// `status`: where the specification stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectStatusReport {
    /// The project.
    pub project_id: ProjectId,
    /// Lifecycle phase.
    pub phase: ProjectPhase,
    /// Overall maturity, 0–100, computed from the current facts.
    pub maturity_score: f64,
    /// Coverage per category in percent, every category present.
    pub coverage_breakdown: BTreeMap<Category, f64>,
    /// The same per category with counts and weights, in canonical order.
    pub categories: Vec<CategoryStatus>,
    /// Current facts.
    pub specifications_count: u32,
    /// Conflicts awaiting a resolution.
    pub unresolved_conflicts: u64,
    /// The category the next question is about: the question waiting for an answer, else
    /// the open category most in need; `None` when nothing is left to ask.
    pub next_category: Option<Category>,
    /// Whether the next phase may be entered now, and why not.
    pub can_advance: bool,
    /// The reasons the next phase is refused (empty when it may be entered).
    pub advance_blockers: Vec<Value>,
}

/// The result of `advance_phase`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseAdvanced {
    /// The project.
    pub project_id: ProjectId,
    /// The phase it was in.
    pub previous_phase: ProjectPhase,
    /// The phase it is in now.
    pub phase: ProjectPhase,
    /// Maturity at the time of the advance.
    pub maturity_score: f64,
}
