//! The project exports under `/api/v1/projects/{project_id}/export` (registered by the projects
//! module): the specification as Markdown and PDF for people, as versioned JSON for tools, and
//! as ZIPs in the layouts of GitHub spec-kit, Kiro and OpenSpec for coding agents (`export`).

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use socrates_agents::ServiceContainer;
use socrates_agents::agents::export::{
    self, AgentFormat, Binary, Document, ExportForAgents, ExportJson, ExportMarkdown, ExportPdf,
    ExportedConflict, ExportedFact, ExportedMaturity, ExportedPendingFact, ExportedProject,
    JsonExport,
};
use socrates_domain::ProjectId;
use socrates_domain::{
    Category, ConflictResolution, ConflictSeverity, ConflictStatus, ConflictType, FactSource,
    ProjectPhase, ProjectStatus,
};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extractors::AuthUser;
use crate::views::CategoryStatusResponse;

/// The project of a JSON export.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedProjectResponse {
    /// The project's id.
    pub project_id: String,
    /// Its name.
    pub name: String,
    /// What it is about.
    pub description: Option<String>,
    /// `discovery`, `analysis`, `design` or `implementation`.
    pub phase: ProjectPhase,
    /// `active`, `archived` or `completed`.
    pub status: ProjectStatus,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<ExportedProject> for ExportedProjectResponse {
    fn from(project: ExportedProject) -> Self {
        Self {
            project_id: project.project_id.to_string(),
            name: project.name,
            description: project.description,
            phase: project.phase,
            status: project.status,
            created_at: project.created_at,
            updated_at: project.updated_at,
        }
    }
}

/// The maturity of a JSON export, from the current facts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedMaturityResponse {
    /// Overall maturity, 0–100.
    pub overall: f64,
    /// Coverage per category, in canonical order (all ten categories).
    pub categories: Vec<CategoryStatusResponse>,
}

impl From<ExportedMaturity> for ExportedMaturityResponse {
    fn from(maturity: ExportedMaturity) -> Self {
        Self {
            overall: maturity.overall,
            categories: maturity.categories.into_iter().map(Into::into).collect(),
        }
    }
}

/// A current fact of a JSON export.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedFactResponse {
    /// The fact's id (this version).
    pub spec_id: String,
    /// The id of its first version.
    pub lineage_id: String,
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
    /// The question, message or conflict it came from.
    pub source_id: Option<String>,
    /// Why the extractor believes it.
    pub reasoning: Option<String>,
    /// Its version.
    pub version: u32,
    /// When this version was written.
    pub created_at: DateTime<Utc>,
}

impl From<ExportedFact> for ExportedFactResponse {
    fn from(fact: ExportedFact) -> Self {
        Self {
            spec_id: fact.spec_id.to_string(),
            lineage_id: fact.lineage_id.to_string(),
            category: fact.category,
            key: fact.key,
            value: fact.value,
            confidence: fact.confidence,
            source: fact.source,
            source_id: fact.source_id.map(|id| id.to_string()),
            reasoning: fact.reasoning,
            version: fact.version,
            created_at: fact.created_at,
        }
    }
}

/// The fact a conflict of a JSON export holds back.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedPendingFactResponse {
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
}

impl From<ExportedPendingFact> for ExportedPendingFactResponse {
    fn from(fact: ExportedPendingFact) -> Self {
        Self {
            category: fact.category,
            key: fact.key,
            value: fact.value,
            confidence: fact.confidence,
            source: fact.source,
        }
    }
}

/// A conflict of a JSON export, open or settled.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedConflictResponse {
    /// The conflict's id.
    pub conflict_id: String,
    /// `technology`, `requirement`, `timeline` or `resource`.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub conflict_type: ConflictType,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: ConflictSeverity,
    /// `open`, `resolved` or `ignored`.
    pub status: ConflictStatus,
    /// The fact version it contradicts.
    pub old_spec_id: Option<String>,
    /// The fact it holds back.
    pub pending: ExportedPendingFactResponse,
    /// In words.
    pub description: String,
    /// Which rule or judge found it.
    pub detected_by: String,
    /// When it was found.
    pub detected_at: DateTime<Utc>,
    /// `keep_old`, `replace` or `merge`, once resolved.
    pub resolution: Option<ConflictResolution>,
    /// The merged value of a `merge`.
    pub merged_value: Option<String>,
    /// The notes given with the resolution.
    pub notes: Option<String>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The fact version the resolution wrote.
    pub resulting_spec_id: Option<String>,
}

impl From<ExportedConflict> for ExportedConflictResponse {
    fn from(conflict: ExportedConflict) -> Self {
        Self {
            conflict_id: conflict.conflict_id.to_string(),
            conflict_type: conflict.conflict_type,
            severity: conflict.severity,
            status: conflict.status,
            old_spec_id: conflict.old_spec_id.map(|id| id.to_string()),
            pending: conflict.pending.into(),
            description: conflict.description,
            detected_by: conflict.detected_by,
            detected_at: conflict.detected_at,
            resolution: conflict.resolution,
            merged_value: conflict.merged_value,
            notes: conflict.notes,
            resolved_at: conflict.resolved_at,
            resulting_spec_id: conflict.resulting_spec_id.map(|id| id.to_string()),
        }
    }
}

/// The whole specification at one moment, as versioned JSON for tools.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonExportResponse {
    /// The layout's version: `socrates.specification/1`.
    pub schema_version: String,
    /// When it was made.
    pub exported_at: DateTime<Utc>,
    /// The project.
    pub project: ExportedProjectResponse,
    /// Its maturity.
    pub maturity: ExportedMaturityResponse,
    /// The current facts, by category then age.
    pub specifications: Vec<ExportedFactResponse>,
    /// Every conflict, open or settled, newest first.
    pub conflicts: Vec<ExportedConflictResponse>,
}

impl From<JsonExport> for JsonExportResponse {
    fn from(export: JsonExport) -> Self {
        Self {
            schema_version: export.schema_version,
            exported_at: export.exported_at,
            project: export.project.into(),
            maturity: export.maturity.into(),
            specifications: export.specifications.into_iter().map(Into::into).collect(),
            conflicts: export.conflicts.into_iter().map(Into::into).collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/projects/{project_id}/export/markdown", tag = "exports",
    params(("project_id" = uuid::Uuid, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The specification as Markdown: project, phase, maturity per category, facts by category, open conflicts, decision log", content_type = "text/markdown", body = String),
        (status = 404, description = "No such project of the caller", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn export_markdown(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, ApiError> {
    let request = ExportMarkdown {
        project_id: path.into_inner(),
    };
    let document: Document = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/markdown; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", document.file_name),
        ))
        .body(document.content))
}

#[utoipa::path(get, path = "/api/v1/projects/{project_id}/export/json", tag = "exports",
    params(("project_id" = uuid::Uuid, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The whole specification as versioned JSON (`schema_version`)", body = JsonExportResponse),
        (status = 404, description = "No such project of the caller", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn export_json(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, ApiError> {
    let request = ExportJson {
        project_id: path.into_inner(),
    };
    let document: JsonExport = super::run(&services, &user, request).await?;
    let file_name = export::file_name(&document.project.name, "json");
    Ok(HttpResponse::Ok()
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .json(JsonExportResponse::from(document)))
}

/// The bytes of a file download.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBody(#[allow(dead_code, reason = "documentation only")] Vec<u8>);

/// The header naming the specification version an export was written from.
pub const SPEC_VERSION_HEADER: &str = "X-Spec-Version";

pub(crate) fn download(file: Binary) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, file.content_type))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file.file_name),
        ))
        .insert_header((SPEC_VERSION_HEADER, file.spec_version))
        .body(file.bytes)
}

#[utoipa::path(get, path = "/api/v1/projects/{project_id}/export/pdf", tag = "exports",
    params(("project_id" = uuid::Uuid, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The specification as an A4 PDF: title page, maturity per category as bars, facts by category, open conflicts, decision log", content_type = "application/pdf", body = FileBody,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"<project>.pdf\""),
                    ("X-Spec-Version" = String, description = "The specification version it was written from: `sha256:` and the digest of the current facts"))),
        (status = 404, description = "No such project of the caller", body = crate::error::ErrorBody),
        (status = 409, description = "The PDF would exceed the export size limit (`EXPORT_TOO_LARGE`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn export_pdf(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, ApiError> {
    let request = ExportPdf {
        project_id: path.into_inner(),
    };
    let file: Binary = super::run(&services, &user, request).await?;
    Ok(download(file))
}

async fn export_for_agents(
    services: &ServiceContainer,
    user: &AuthUser,
    project_id: ProjectId,
    format: AgentFormat,
) -> Result<HttpResponse, ApiError> {
    let request = ExportForAgents { project_id, format };
    let file: Binary = super::run(services, user, request).await?;
    Ok(download(file))
}

#[utoipa::path(get, path = "/api/v1/projects/{project_id}/export/spec-kit", tag = "exports",
    params(("project_id" = uuid::Uuid, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A ZIP in GitHub spec-kit's layout: `.specify/memory/constitution.md`, `.specify/feature.json`, and `specs/001-<name>/` with `spec.md` (user stories, Given/When/Then scenarios, `FR-###`, key entities, `SC-###`), `plan.md`, `tasks.md` (`- [ ] T001 [P] [US1] …`), `data-model.md` and `research.md`", content_type = "application/zip", body = FileBody,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"<project>-spec-kit.zip\""),
                    ("X-Spec-Version" = String, description = "The specification version it was written from"))),
        (status = 404, description = "No such project of the caller", body = crate::error::ErrorBody),
        (status = 409, description = "The archive would exceed the export size limit (`EXPORT_TOO_LARGE`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn export_spec_kit(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, ApiError> {
    export_for_agents(&services, &user, path.into_inner(), AgentFormat::SpecKit).await
}

#[utoipa::path(get, path = "/api/v1/projects/{project_id}/export/kiro", tag = "exports",
    params(("project_id" = uuid::Uuid, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A ZIP in Kiro's layout: `.kiro/specs/<name>/` with `.config.kiro`, `requirements.md` (user stories with EARS acceptance criteria: `WHEN …, THE SYSTEM SHALL …`), `design.md` and `tasks.md` (citing criteria as `_Requirements: 1.1_`), and `.kiro/steering/product.md`, `tech.md`, `structure.md`", content_type = "application/zip", body = FileBody,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"<project>-kiro.zip\""),
                    ("X-Spec-Version" = String, description = "The specification version it was written from"))),
        (status = 404, description = "No such project of the caller", body = crate::error::ErrorBody),
        (status = 409, description = "The archive would exceed the export size limit (`EXPORT_TOO_LARGE`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn export_kiro(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, ApiError> {
    export_for_agents(&services, &user, path.into_inner(), AgentFormat::Kiro).await
}

#[utoipa::path(get, path = "/api/v1/projects/{project_id}/export/openspec", tag = "exports",
    params(("project_id" = uuid::Uuid, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A ZIP in OpenSpec's layout: `openspec/config.yaml` and the change `openspec/changes/add-<name>/` with `.openspec.yaml`, `proposal.md`, `design.md`, `tasks.md` and one delta spec per capability (`## ADDED Requirements`, `### Requirement:` with SHALL, `#### Scenario:` with WHEN/THEN)", content_type = "application/zip", body = FileBody,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"<project>-openspec.zip\""),
                    ("X-Spec-Version" = String, description = "The specification version it was written from"))),
        (status = 404, description = "No such project of the caller", body = crate::error::ErrorBody),
        (status = 409, description = "The archive would exceed the export size limit (`EXPORT_TOO_LARGE`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn export_openspec(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, ApiError> {
    export_for_agents(&services, &user, path.into_inner(), AgentFormat::OpenSpec).await
}
