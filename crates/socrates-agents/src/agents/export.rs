//! `export`: the specification as a Markdown document for people and as versioned JSON for
//! tools. Both are built from the current facts and the conflicts at the moment of the call.

use std::fmt::Write as _;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socrates_domain::{Category, ConflictStatus, ProjectId, compute_maturity};
use socrates_persistence::SpecsDb;
use socrates_persistence::repositories::conflicts::{self, Conflict};
use socrates_persistence::repositories::projects::Project;
use socrates_persistence::repositories::specifications::{self, Specification};

use super::common::owned_project;
use crate::agent::{Agent, AgentContext, AgentError, input, output};
use crate::clock::Clock;

/// The agent id.
pub const ID: &str = "export";

/// The version of the JSON export's layout.
pub const JSON_SCHEMA_VERSION: &str = "socrates.specification/1";

/// `markdown`, `json`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// The project.
    pub project_id: ProjectId,
}

/// A rendered document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// A file name for it.
    pub file_name: String,
    /// Its text.
    pub content: String,
}

/// The exporter; see the module documentation.
#[derive(Debug, Clone)]
pub struct Exporter {
    db: SpecsDb,
    clock: Arc<dyn Clock>,
}

struct Snapshot {
    project: Project,
    facts: Vec<Specification>,
    conflicts: Vec<Conflict>,
}

fn slug(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        "specification".to_owned()
    } else {
        slug
    }
}

fn bar(percent: f64) -> String {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "0..=10"
    )]
    let filled = (percent / 10.0).round().clamp(0.0, 10.0) as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(10 - filled))
}

impl Exporter {
    /// The exporter over the specs database.
    #[must_use]
    pub fn new(db: SpecsDb, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    async fn snapshot(
        &self,
        context: &AgentContext,
        id: ProjectId,
    ) -> Result<Snapshot, AgentError> {
        let project = owned_project(&self.db, context, id).await?;
        let facts = specifications::all_current(&self.db, id).await?;
        let all = conflicts::all_for_project(&self.db, id).await?;
        Ok(Snapshot {
            project,
            facts,
            conflicts: all,
        })
    }

    fn markdown(&self, snapshot: &Snapshot) -> Document {
        let Snapshot {
            project,
            facts,
            conflicts,
        } = snapshot;
        let report = compute_maturity(facts.iter().map(|f| (f.category, f.confidence)));
        let mut out = String::new();
        let _ = writeln!(out, "# {}\n", project.name);
        if let Some(description) = &project.description {
            let _ = writeln!(out, "{description}\n");
        }
        let _ = writeln!(
            out,
            "| | |\n|---|---|\n| Phase | {} |\n| Status | {} |\n| Maturity | {:.2} % |\n| Facts | {} |\n| Open conflicts | {} |\n| Exported | {} |\n",
            project.phase,
            project.status,
            report.overall,
            facts.len(),
            conflicts
                .iter()
                .filter(|c| c.status == ConflictStatus::Open)
                .count(),
            self.clock.now().format("%Y-%m-%d %H:%M UTC"),
        );
        let _ = writeln!(out, "## Maturity by category\n\n```");
        for coverage in &report.categories {
            let _ = writeln!(
                out,
                "{:<18} {} {:>6.2} %  ({} facts, weight {})",
                coverage.category.as_str(),
                bar(coverage.coverage_percent),
                coverage.coverage_percent,
                coverage.fact_count,
                coverage.weight
            );
        }
        let _ = writeln!(out, "```\n\n## Specification\n");
        for category in Category::ALL {
            let in_category: Vec<&Specification> =
                facts.iter().filter(|f| f.category == category).collect();
            if in_category.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### {}\n", category.title());
            let _ = writeln!(
                out,
                "| Key | Value | Confidence | Source | Version |\n|---|---|---|---|---|"
            );
            for fact in in_category {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {:.2} | {} | {} |",
                    fact.key,
                    fact.value.replace('|', "\\|").replace('\n', " "),
                    fact.confidence,
                    fact.source,
                    fact.version
                );
            }
            let _ = writeln!(out);
        }
        let open: Vec<&Conflict> = conflicts
            .iter()
            .filter(|c| c.status == ConflictStatus::Open)
            .collect();
        let _ = writeln!(out, "## Open conflicts\n");
        if open.is_empty() {
            let _ = writeln!(out, "None.\n");
        }
        for conflict in open {
            let _ = writeln!(
                out,
                "- **{} / {}** ({}): {} — held back: `{}` = \"{}\"",
                conflict.conflict_type,
                conflict.severity,
                conflict.detected_at.format("%Y-%m-%d"),
                conflict.description,
                conflict.pending.key,
                conflict.pending.value
            );
        }
        let resolved: Vec<&Conflict> = conflicts
            .iter()
            .filter(|c| c.status != ConflictStatus::Open)
            .collect();
        let _ = writeln!(out, "\n## Decision log\n");
        if resolved.is_empty() {
            let _ = writeln!(out, "No decisions recorded yet.");
        }
        for conflict in resolved {
            let how = conflict
                .resolution
                .map_or_else(|| conflict.status.to_string(), |r| r.to_string());
            let _ = writeln!(
                out,
                "- {}: {} → **{}**{}{}",
                conflict
                    .resolved_at
                    .map_or_else(String::new, |at| at.format("%Y-%m-%d").to_string()),
                conflict.description,
                how,
                conflict
                    .merged_value
                    .as_ref()
                    .map_or_else(String::new, |v| format!(" (merged: \"{v}\")")),
                conflict
                    .resolution_notes
                    .as_ref()
                    .map_or_else(String::new, |n| format!(" — {n}")),
            );
        }
        Document {
            file_name: format!("{}.md", slug(&project.name)),
            content: out,
        }
    }

    fn json(&self, snapshot: &Snapshot) -> Value {
        let Snapshot {
            project,
            facts,
            conflicts,
        } = snapshot;
        let report = compute_maturity(facts.iter().map(|f| (f.category, f.confidence)));
        let conflict_json = |c: &Conflict| {
            json!({
                "conflict_id": c.id, "type": c.conflict_type, "severity": c.severity,
                "status": c.status, "old_spec_id": c.old_spec_id,
                "pending": {"category": c.pending.category, "key": c.pending.key,
                    "value": c.pending.value, "confidence": c.pending.confidence,
                    "source": c.pending.source},
                "description": c.description, "detected_by": c.detected_by,
                "detected_at": c.detected_at, "resolution": c.resolution,
                "merged_value": c.merged_value, "notes": c.resolution_notes,
                "resolved_at": c.resolved_at, "resulting_spec_id": c.resulting_spec_id,
            })
        };
        json!({
            "schema_version": JSON_SCHEMA_VERSION,
            "exported_at": self.clock.now(),
            "project": {
                "project_id": project.id, "name": project.name,
                "description": project.description, "phase": project.phase,
                "status": project.status, "created_at": project.created_at,
                "updated_at": project.updated_at,
            },
            "maturity": {
                "overall": report.overall,
                "categories": report.categories.iter().map(|c| json!({
                    "category": c.category, "weight": c.weight, "facts": c.fact_count,
                    "confidence_sum": c.confidence_sum, "coverage_percent": c.coverage_percent,
                })).collect::<Vec<_>>(),
            },
            "specifications": facts.iter().map(|f| json!({
                "spec_id": f.id, "lineage_id": f.lineage_id, "category": f.category,
                "key": f.key, "value": f.value, "confidence": f.confidence,
                "source": f.source, "source_id": f.source_id, "reasoning": f.reasoning,
                "version": f.version, "created_at": f.created_at,
            })).collect::<Vec<_>>(),
            "conflicts": conflicts.iter().map(conflict_json).collect::<Vec<_>>(),
        })
    }
}

const CAPABILITIES: &[&str] = &["markdown", "json"];

#[async_trait]
impl Agent for Exporter {
    fn id(&self) -> &'static str {
        ID
    }

    fn capabilities(&self) -> &'static [&'static str] {
        CAPABILITIES
    }

    async fn handle(
        &self,
        context: &AgentContext,
        action: &str,
        request: Value,
    ) -> Result<Value, AgentError> {
        let request: ExportRequest = input(request)?;
        let snapshot = self.snapshot(context, request.project_id).await?;
        match action {
            "markdown" => output(&self.markdown(&snapshot)),
            "json" => Ok(self.json(&snapshot)),
            other => Err(AgentError::UnsupportedAction {
                agent: ID.to_owned(),
                action: other.to_owned(),
            }),
        }
    }
}
