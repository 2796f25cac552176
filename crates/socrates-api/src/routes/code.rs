//! `/api/v1/code`: code generation as a durable job (`code_generator`): request, status,
//! download; and the project's latest code under `/api/v1/projects/{id}/export/code`.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use socrates_agents::ServiceContainer;
use socrates_agents::agents::code_generator::{
    DownloadGeneration, Generation, GenerationView, GetGeneration, LatestCode, RequestGeneration,
};
use socrates_agents::agents::export::Binary;
use socrates_domain::{GenerationId, GenerationStatus, ProjectId, Stack};
use utoipa::ToSchema;

use super::exports::{FileBody, download};
use crate::error::ApiError;
use crate::extractors::{AuthUser, Json};

/// Registers the code generation routes under the scope it is mounted on.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/generate").route(web::post().to(generate)))
        .service(web::resource("/{generation_id}/status").route(web::get().to(status)))
        .service(web::resource("/{generation_id}/download").route(web::get().to(download_code)));
}

/// A generation to request.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    /// The project whose current specification is generated.
    pub project_id: uuid::Uuid,
}

/// A generation: where it stands and what it came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct GenerationResponse {
    /// The generation.
    pub generation_id: String,
    /// Its project.
    pub project_id: String,
    /// `pending`, `in_progress`, `completed` or `failed`.
    pub status: GenerationStatus,
    /// 0–100; 100 once completed.
    pub progress_percent: u8,
    /// The scaffold, chosen from the tech-stack facts.
    pub stack: Stack,
    /// 1 for the project's first generation, then counting up.
    pub generation_version: u32,
    /// The specification version it is generated from: `sha256:` and the digest of its facts.
    pub spec_version: String,
    /// How many fact versions it is generated from.
    pub fact_count: u32,
    /// Files written (once completed).
    pub files_generated: u32,
    /// Lines written (once completed).
    pub lines_of_code: u32,
    /// Why it failed, or why the last attempt failed while it is retried.
    pub error: Option<String>,
    /// Where its ZIP is, once completed.
    pub download_url: Option<String>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When a worker first took it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it completed or failed.
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<Generation> for GenerationResponse {
    fn from(generation: Generation) -> Self {
        let id = generation.id.to_string();
        Self {
            download_url: (generation.status == GenerationStatus::Completed)
                .then(|| format!("/api/v1/code/{id}/download")),
            generation_id: id,
            project_id: generation.project_id.to_string(),
            status: generation.status,
            progress_percent: generation.progress_percent,
            stack: generation.stack,
            generation_version: generation.generation_version,
            spec_version: format!("sha256:{}", generation.spec_fingerprint),
            fact_count: u32::try_from(generation.fact_versions.len()).unwrap_or(u32::MAX),
            files_generated: generation.total_files,
            lines_of_code: generation.total_lines,
            error: generation.error_message,
            created_at: generation.created_at,
            started_at: generation.started_at,
            completed_at: generation.completed_at,
        }
    }
}

/// A requested generation.
#[derive(Debug, Serialize, ToSchema)]
pub struct GenerateResponse {
    /// The generation to poll.
    pub generation_id: String,
    /// Where it stands.
    pub status: GenerationStatus,
    /// A rough estimate, in seconds.
    pub estimated_time_seconds: u32,
    /// False when the project already had a generation running: this is that one.
    pub created: bool,
    /// The whole generation.
    pub generation: GenerationResponse,
}

impl From<GenerationView> for GenerateResponse {
    fn from(view: GenerationView) -> Self {
        Self {
            generation_id: view.generation.id.to_string(),
            status: view.generation.status,
            estimated_time_seconds: view.estimated_time_seconds,
            created: view.created,
            generation: view.generation.into(),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/code/generate", tag = "code", request_body = GenerateRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued (or, with `created: false`, the project's generation already running): poll `/api/v1/code/{generation_id}/status`", body = GenerateResponse),
        (status = 404, description = "No such project of the caller (`PROJECT_NOT_FOUND`)", body = crate::error::ErrorBody),
        (status = 409, description = "Below 100 % maturity (`MATURITY_NOT_REACHED`, with `maturity_score`, `missing_categories` and `reasons` in `details`), open conflicts or coverage gaps (`GENERATION_BLOCKED`, with `reasons`), or an archived project (`PROJECT_ARCHIVED`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn generate(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    body: Json<GenerateRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = RequestGeneration {
        project_id: ProjectId::from_uuid(body.into_inner().project_id),
    };
    let view = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Accepted().json(GenerateResponse::from(view)))
}

#[utoipa::path(get, path = "/api/v1/code/{generation_id}/status", tag = "code",
    params(("generation_id" = uuid::Uuid, Path, description = "The generation's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Where the generation stands: `pending`, `in_progress` with `progress_percent`, `completed` with files and lines, or `failed` with the reason", body = GenerationResponse),
        (status = 404, description = "No such generation of the caller (`GENERATION_NOT_FOUND`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn status(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<GenerationId>,
) -> Result<HttpResponse, ApiError> {
    let request = GetGeneration {
        generation_id: path.into_inner(),
    };
    let generation = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Ok().json(GenerationResponse::from(generation)))
}

#[utoipa::path(get, path = "/api/v1/code/{generation_id}/download", tag = "code",
    params(("generation_id" = uuid::Uuid, Path, description = "The generation's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The generated project as a ZIP, in one folder named after the project", content_type = "application/zip", body = FileBody,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"<project>-v<generation version>.zip\""),
                    ("X-Spec-Version" = String, description = "The specification version it was generated from"))),
        (status = 404, description = "No such generation of the caller (`GENERATION_NOT_FOUND`)", body = crate::error::ErrorBody),
        (status = 409, description = "Not completed yet (`GENERATION_NOT_READY`, with `status` and `progress_percent`), or larger than `codegen.max_archive_bytes` (`EXPORT_TOO_LARGE`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn download_code(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<GenerationId>,
) -> Result<HttpResponse, ApiError> {
    let request = DownloadGeneration {
        generation_id: path.into_inner(),
    };
    let file: Binary = super::run(&services, &user, request).await?;
    Ok(download(file))
}

#[utoipa::path(get, path = "/api/v1/projects/{project_id}/export/code", tag = "exports",
    params(("project_id" = uuid::Uuid, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The project's newest completed generation as a ZIP", content_type = "application/zip", body = FileBody,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"<project>-v<generation version>.zip\""),
                    ("X-Spec-Version" = String, description = "The specification version it was generated from"))),
        (status = 404, description = "No such project of the caller (`PROJECT_NOT_FOUND`)", body = crate::error::ErrorBody),
        (status = 409, description = "No completed generation yet (`GENERATION_NOT_READY`), or larger than `codegen.max_archive_bytes` (`EXPORT_TOO_LARGE`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn export_code(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, ApiError> {
    let request = LatestCode {
        project_id: path.into_inner(),
    };
    let file: Binary = super::run(&services, &user, request).await?;
    Ok(download(file))
}
