//! `export`: the specification as a Markdown document for people and as versioned JSON for
//! tools. Both are built from the current facts and the conflicts at the moment of the call.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use socrates_domain::{
    Category, ConflictId, ConflictResolution, ConflictSeverity, ConflictStatus, ConflictType,
    FactSource, ProjectId, ProjectPhase, ProjectStatus, SpecificationId, compute_maturity,
};
use socrates_persistence::SpecsDb;
use socrates_persistence::repositories::conflicts::{self, Conflict};
use socrates_persistence::repositories::projects::Project;
use socrates_persistence::repositories::specifications::{self, Specification};
use uuid::Uuid;

use super::common::owned_project;
use super::views::CategoryStatus;
use crate::agent::{Action, ActionSet, Agent, AgentContext, AgentError};
use socrates_domain::Code;
use socrates_export::agent_formats;
pub use socrates_export::agent_formats::AgentFormat;
use socrates_export::archive::{self, ArchiveError};
use socrates_export::{Brief, model, pdf};
use socrates_infra::clock::Clock;
use socrates_reasoner::offline::OfflineData;

/// The agent id.
pub const ID: &str = "export";

/// The version of the JSON export's layout.
pub const JSON_SCHEMA_VERSION: &str = "socrates.specification/1";

/// `markdown`: the specification as one Markdown document.
#[derive(Debug, Clone, Copy)]
pub struct ExportMarkdown {
    /// The project.
    pub project_id: ProjectId,
}

/// `json`: the specification as one versioned JSON document.
#[derive(Debug, Clone, Copy)]
pub struct ExportJson {
    /// The project.
    pub project_id: ProjectId,
}

/// `pdf`: the specification as a PDF for people.
#[derive(Debug, Clone, Copy)]
pub struct ExportPdf {
    /// The project.
    pub project_id: ProjectId,
}

/// `agent_format`: the specification as a ZIP in a coding agent's layout.
#[derive(Debug, Clone, Copy)]
pub struct ExportForAgents {
    /// The project.
    pub project_id: ProjectId,
    /// Which layout.
    pub format: AgentFormat,
}

/// The largest export archive or PDF the exporter writes, before compression.
pub const MAX_EXPORT_BYTES: u64 = 16 * 1024 * 1024;

/// A rendered binary file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    /// A file name for it.
    pub file_name: String,
    /// Its media type.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The specification version it was written from (`sha256:…`).
    pub spec_version: String,
}

/// A rendered document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// A file name for it.
    pub file_name: String,
    /// Its text.
    pub content: String,
}

/// The JSON export: the whole specification at one moment, in the layout named by
/// `schema_version` ([`JSON_SCHEMA_VERSION`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonExport {
    /// [`JSON_SCHEMA_VERSION`].
    pub schema_version: String,
    /// When it was made.
    pub exported_at: DateTime<Utc>,
    /// The project.
    pub project: ExportedProject,
    /// Its maturity, from the current facts.
    pub maturity: ExportedMaturity,
    /// The current facts, by category then age.
    pub specifications: Vec<ExportedFact>,
    /// Every conflict, open or settled, newest first.
    pub conflicts: Vec<ExportedConflict>,
}

/// The project of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedProject {
    /// The project.
    pub project_id: ProjectId,
    /// Its name.
    pub name: String,
    /// What it is about.
    pub description: Option<String>,
    /// Lifecycle phase.
    pub phase: ProjectPhase,
    /// `active`, `archived` or `completed`.
    pub status: ProjectStatus,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The maturity of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedMaturity {
    /// Overall, 0–100.
    pub overall: f64,
    /// Per category, in canonical order.
    pub categories: Vec<CategoryStatus>,
}

/// A current fact of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedFact {
    /// This version.
    pub spec_id: SpecificationId,
    /// The fact's first version.
    pub lineage_id: SpecificationId,
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
    /// The question, message or conflict it came from.
    pub source_id: Option<Uuid>,
    /// Why the extractor believes it.
    pub reasoning: Option<String>,
    /// Its version number.
    pub version: u32,
    /// When this version was written.
    pub created_at: DateTime<Utc>,
}

/// The fact a conflict of an export holds back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedPendingFact {
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
}

/// A conflict of an export, with its resolution when it has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedConflict {
    /// The conflict.
    pub conflict_id: ConflictId,
    /// Its type.
    #[serde(rename = "type")]
    pub conflict_type: ConflictType,
    /// How serious it is.
    pub severity: ConflictSeverity,
    /// `open`, `resolved` or `ignored`.
    pub status: ConflictStatus,
    /// The fact version it contradicts.
    pub old_spec_id: Option<SpecificationId>,
    /// The fact it holds back.
    pub pending: ExportedPendingFact,
    /// In words.
    pub description: String,
    /// Which rule or judge found it.
    pub detected_by: String,
    /// When.
    pub detected_at: DateTime<Utc>,
    /// How it was resolved.
    pub resolution: Option<ConflictResolution>,
    /// The merged value of a `merge`.
    pub merged_value: Option<String>,
    /// The notes given with the resolution.
    pub notes: Option<String>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The fact version the resolution wrote.
    pub resulting_spec_id: Option<SpecificationId>,
}

impl From<&Project> for ExportedProject {
    fn from(project: &Project) -> Self {
        Self {
            project_id: project.id,
            name: project.name.clone(),
            description: project.description.clone(),
            phase: project.phase,
            status: project.status,
            created_at: project.created_at,
            updated_at: project.updated_at,
        }
    }
}

impl From<&Specification> for ExportedFact {
    fn from(fact: &Specification) -> Self {
        Self {
            spec_id: fact.id,
            lineage_id: fact.lineage_id,
            category: fact.category,
            key: fact.key.clone(),
            value: fact.value.clone(),
            confidence: fact.confidence,
            source: fact.source,
            source_id: fact.source_id,
            reasoning: fact.reasoning.clone(),
            version: fact.version,
            created_at: fact.created_at,
        }
    }
}

impl From<&Conflict> for ExportedConflict {
    fn from(conflict: &Conflict) -> Self {
        Self {
            conflict_id: conflict.id,
            conflict_type: conflict.conflict_type,
            severity: conflict.severity,
            status: conflict.status,
            old_spec_id: conflict.old_spec_id,
            pending: ExportedPendingFact {
                category: conflict.pending.category,
                key: conflict.pending.key.clone(),
                value: conflict.pending.value.clone(),
                confidence: conflict.pending.confidence,
                source: conflict.pending.source,
            },
            description: conflict.description.clone(),
            detected_by: conflict.detected_by.clone(),
            detected_at: conflict.detected_at,
            resolution: conflict.resolution,
            merged_value: conflict.merged_value.clone(),
            notes: conflict.resolution_notes.clone(),
            resolved_at: conflict.resolved_at,
            resulting_spec_id: conflict.resulting_spec_id,
        }
    }
}

/// The exporter; see the module documentation.
#[derive(Clone)]
pub struct Exporter {
    db: SpecsDb,
    clock: Arc<dyn Clock>,
    offline: Option<Arc<OfflineData>>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter").finish_non_exhaustive()
    }
}

/// A stored project as the renderers of `socrates-export` read it.
pub(crate) fn project_info(project: &Project) -> model::ProjectInfo {
    model::ProjectInfo {
        id: project.id.into_uuid(),
        name: project.name.clone(),
        description: project.description.clone(),
        phase: project.phase.to_string(),
    }
}

/// A stored fact as the renderers of `socrates-export` read it.
pub(crate) fn fact_of(fact: &Specification) -> model::Fact {
    model::Fact {
        id: fact.id.into_uuid(),
        category: fact.category,
        key: fact.key.clone(),
        value: fact.value.clone(),
        confidence: fact.confidence,
        source: fact.source,
        version: fact.version,
    }
}

/// The snapshot as the renderers of `socrates-export` read it.
fn specification(snapshot: &Snapshot, taken_at: DateTime<Utc>) -> model::Specification {
    let mut decisions: Vec<&Conflict> = snapshot
        .conflicts
        .iter()
        .filter(|c| c.status != ConflictStatus::Open)
        .collect();
    decisions.sort_by_key(|c| (c.resolved_at.unwrap_or(c.updated_at), c.detected_at));
    let mut open: Vec<&Conflict> = snapshot
        .conflicts
        .iter()
        .filter(|c| c.status == ConflictStatus::Open)
        .collect();
    open.sort_by_key(|c| c.detected_at);
    model::Specification {
        project: project_info(&snapshot.project),
        facts: snapshot.facts.iter().map(fact_of).collect(),
        open_conflicts: open
            .into_iter()
            .map(|c| model::OpenConflict {
                id: c.id.into_uuid(),
                description: c.description.clone(),
                severity: c.severity.to_string(),
                category: c.pending.category,
                key: c.pending.key.clone(),
                pending_value: c.pending.value.clone(),
                detected_at: c.detected_at,
            })
            .collect(),
        decisions: decisions
            .into_iter()
            .map(|c| model::Decision {
                description: c.description.clone(),
                outcome: c
                    .resolution
                    .map_or_else(|| c.status.to_string(), |r| r.to_string()),
                merged_value: c.merged_value.clone(),
                notes: c.resolution_notes.clone(),
                decided_at: c.resolved_at,
            })
            .collect(),
        taken_at,
    }
}

fn too_large(size: u64, limit: u64) -> AgentError {
    AgentError::Refused {
        code: Code::ExportTooLarge,
        message: format!(
            "the export would hold {size} bytes, more than the limit of {limit}; remove facts or \
             documents it does not need"
        ),
        details: None,
    }
}

struct Snapshot {
    project: Project,
    facts: Vec<Specification>,
    conflicts: Vec<Conflict>,
}

/// The file name of a project's export: its name in lower-case ASCII words joined by `-`
/// (`specification` when nothing is left), then `.` and `extension`.
#[must_use]
pub fn file_name(project_name: &str, extension: &str) -> String {
    format!("{}.{extension}", model::slug(project_name))
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
        Self {
            db,
            clock,
            offline: None,
        }
    }

    /// Reads requirements with the offline data's technologies, so a named technology ("Xero",
    /// "PostgreSQL") is never taken for an entity of the data model.
    #[must_use]
    pub fn with_offline(mut self, offline: Arc<OfflineData>) -> Self {
        self.offline = Some(offline);
        self
    }

    /// The snapshot, its brief and the work `render` does with them, on the blocking pool.
    async fn render<T, F>(
        &self,
        context: &AgentContext,
        id: ProjectId,
        render: F,
    ) -> Result<(T, model::Specification), AgentError>
    where
        T: Send + 'static,
        F: FnOnce(&model::Specification, &Brief) -> T + Send + 'static,
    {
        let snapshot = self.snapshot(context, id).await?;
        let spec = specification(&snapshot, self.clock.now());
        let offline = self.offline.clone();
        tokio::task::spawn_blocking(move || {
            let brief = Brief::read(
                &spec,
                offline.as_ref().map(|o| o.knowledge().technologies()),
            );
            let output = render(&spec, &brief);
            (output, spec)
        })
        .await
        .map_err(|error| AgentError::Internal(format!("rendering the export: {error}")))
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
                "{:<18} {} {:>6.2} %  ({} {}, weight {})",
                coverage.category.as_str(),
                bar(coverage.coverage_percent),
                coverage.coverage_percent,
                coverage.fact_count,
                if coverage.fact_count == 1 {
                    "fact"
                } else {
                    "facts"
                },
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
            file_name: file_name(&project.name, "md"),
            content: out,
        }
    }

    fn json(&self, snapshot: &Snapshot) -> JsonExport {
        let Snapshot {
            project,
            facts,
            conflicts,
        } = snapshot;
        let report = compute_maturity(facts.iter().map(|f| (f.category, f.confidence)));
        JsonExport {
            schema_version: JSON_SCHEMA_VERSION.to_owned(),
            exported_at: self.clock.now(),
            project: project.into(),
            maturity: ExportedMaturity {
                overall: report.overall,
                categories: report.categories.iter().map(CategoryStatus::from).collect(),
            },
            specifications: facts.iter().map(ExportedFact::from).collect(),
            conflicts: conflicts.iter().map(ExportedConflict::from).collect(),
        }
    }
}

impl Agent for Exporter {
    const ID: &'static str = ID;

    fn actions(actions: &mut ActionSet<Self>) {
        actions
            .add::<ExportMarkdown>()
            .add::<ExportJson>()
            .add::<ExportPdf>()
            .add::<ExportForAgents>();
    }
}

impl Action for ExportMarkdown {
    type Agent = Exporter;
    type Output = Document;
    const NAME: &'static str = "markdown";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &Exporter,
        context: &AgentContext,
    ) -> Result<Document, AgentError> {
        let snapshot = agent.snapshot(context, self.project_id).await?;
        Ok(agent.markdown(&snapshot))
    }
}

impl Action for ExportJson {
    type Agent = Exporter;
    type Output = JsonExport;
    const NAME: &'static str = "json";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &Exporter,
        context: &AgentContext,
    ) -> Result<JsonExport, AgentError> {
        let snapshot = agent.snapshot(context, self.project_id).await?;
        Ok(agent.json(&snapshot))
    }
}

impl Action for ExportPdf {
    type Agent = Exporter;
    type Output = Binary;
    const NAME: &'static str = "pdf";
    const WRITES: bool = false;

    async fn execute(self, agent: &Exporter, context: &AgentContext) -> Result<Binary, AgentError> {
        let (bytes, spec) = agent
            .render(context, self.project_id, |spec, _| pdf::render(spec))
            .await?;
        let bytes = bytes.map_err(|error| AgentError::Internal(error.to_string()))?;
        let size = bytes.len() as u64;
        if size > MAX_EXPORT_BYTES {
            return Err(too_large(size, MAX_EXPORT_BYTES));
        }
        Ok(Binary {
            file_name: file_name(&spec.project.name, "pdf"),
            content_type: "application/pdf",
            bytes,
            spec_version: spec.version().hash,
        })
    }
}

impl Action for ExportForAgents {
    type Agent = Exporter;
    type Output = Binary;
    const NAME: &'static str = "agent_format";
    const WRITES: bool = false;

    async fn execute(self, agent: &Exporter, context: &AgentContext) -> Result<Binary, AgentError> {
        let format = self.format;
        let (zipped, spec) = agent
            .render(context, self.project_id, move |spec, brief| {
                archive::zip(&agent_formats::files(format, spec, brief), MAX_EXPORT_BYTES)
            })
            .await?;
        let bytes = zipped.map_err(|error| match error {
            ArchiveError::TooLarge { size, limit } => too_large(size, limit),
            other => AgentError::Internal(other.to_string()),
        })?;
        Ok(Binary {
            file_name: format!(
                "{}-{}.zip",
                model::slug(&spec.project.name),
                format.as_str()
            ),
            content_type: "application/zip",
            bytes,
            spec_version: spec.version().hash,
        })
    }
}
