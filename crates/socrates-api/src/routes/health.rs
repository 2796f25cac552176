//! Health endpoints for load balancers and orchestrators.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use socrates_agents::{
    CheckStatus, ComponentHealth, HealthReport, OverallStatus, ServiceContainer,
};
use utoipa::ToSchema;

use crate::request_context::KeepBody;

/// Registers `/health`, `/health/live` and `/health/ready`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        // HEAD as well: some load balancers probe with it (answered like GET, without a body).
        .service(
            web::resource("/health")
                .route(web::get().to(get_health))
                .route(web::head().to(get_health)),
        )
        .service(
            web::resource("/health/live")
                .route(web::get().to(get_liveness))
                .route(web::head().to(get_liveness)),
        )
        .service(
            web::resource("/health/ready")
                .route(web::get().to(get_readiness))
                .route(web::head().to(get_readiness)),
        );
}

/// The service as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Everything answers.
    Healthy,
    /// The cache or the language model does not answer; requests are still served.
    Degraded,
    /// A database does not answer.
    Unhealthy,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// The dependency answered.
    Ok,
    /// It did not answer in time, or answered with an error.
    Error,
}

impl From<CheckStatus> for CheckOutcome {
    fn from(status: CheckStatus) -> Self {
        match status {
            CheckStatus::Ok => Self::Ok,
            CheckStatus::Error => Self::Error,
        }
    }
}

/// One dependency's check.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentHealthResponse {
    /// Ok or error.
    pub status: CheckOutcome,
    /// What backs it: `sqlite`, `postgres`, `redis`, `in_process`, `offline`, `claude`,
    /// `openai` or `ollama`.
    pub kind: String,
    /// How long the check took, in milliseconds.
    pub latency_ms: f64,
    /// Why it failed, in one line; absent when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether its failure makes the service unhealthy (databases) or only degraded.
    pub critical: bool,
}

impl From<ComponentHealth> for ComponentHealthResponse {
    fn from(component: ComponentHealth) -> Self {
        Self {
            status: component.status.into(),
            kind: component.kind,
            latency_ms: component.latency_ms,
            error: component.error,
            critical: component.critical,
        }
    }
}

/// Every dependency's check and the verdict.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// The verdict.
    pub status: HealthStatus,
    /// The release version.
    pub version: &'static str,
    /// When the checks ran.
    pub timestamp: DateTime<Utc>,
    /// Seconds since the process started.
    pub uptime_seconds: i64,
    /// The `socrates_auth` database.
    pub auth_db: ComponentHealthResponse,
    /// The `socrates_specs` database.
    pub specs_db: ComponentHealthResponse,
    /// The view cache and rate limits (Redis, or in the process).
    pub cache: ComponentHealthResponse,
    /// The language model (or the offline reasoner).
    pub llm: ComponentHealthResponse,
}

impl From<HealthReport> for HealthResponse {
    fn from(report: HealthReport) -> Self {
        Self {
            status: match report.status {
                OverallStatus::Healthy => HealthStatus::Healthy,
                OverallStatus::Degraded => HealthStatus::Degraded,
                OverallStatus::Unhealthy => HealthStatus::Unhealthy,
            },
            version: report.version,
            timestamp: report.timestamp,
            uptime_seconds: report.uptime_seconds,
            auth_db: report.auth_db.into(),
            specs_db: report.specs_db.into(),
            cache: report.cache.into(),
            llm: report.llm.into(),
        }
    }
}

/// Whether the process can serve requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    /// Both databases answer.
    Ready,
    /// A database does not answer.
    NotReady,
}

/// The readiness verdict and the two databases' checks.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessResponse {
    /// The verdict.
    pub status: Readiness,
    /// The `socrates_auth` database.
    pub auth_db: CheckOutcome,
    /// The `socrates_specs` database.
    pub specs_db: CheckOutcome,
}

/// The process is alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    /// It serves HTTP.
    Alive,
}

/// The liveness answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct LivenessResponse {
    /// Always `alive`.
    pub status: Liveness,
}

/// Every dependency with its timing: 200 when healthy or degraded, 503 when unhealthy.
#[utoipa::path(get, path = "/health", tag = "health",
    responses(
        (status = 200, description = "`healthy` or `degraded` (cache or language model down), with per-check status, kind and latency", body = HealthResponse),
        (status = 503, description = "`unhealthy`: a database does not answer", body = HealthResponse),
    ))]
pub(crate) async fn get_health(services: web::Data<ServiceContainer>) -> HttpResponse {
    let report: HealthReport = services.health().check().await;
    let mut response = match report.status {
        OverallStatus::Unhealthy => HttpResponse::ServiceUnavailable(),
        OverallStatus::Healthy | OverallStatus::Degraded => HttpResponse::Ok(),
    };
    let mut response = response
        .insert_header(("Cache-Control", "no-store"))
        .json(HealthResponse::from(report));
    response.extensions_mut().insert(KeepBody);
    response
}

/// The process is up and serving HTTP.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "`{\"status\": \"alive\"}`", body = LivenessResponse)))]
pub(crate) async fn get_liveness() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(LivenessResponse {
            status: Liveness::Alive,
        })
}

/// The process can serve requests: both databases answer.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "Both databases answer", body = ReadinessResponse),
        (status = 503, description = "A database does not answer", body = ReadinessResponse),
    ))]
pub(crate) async fn get_readiness(services: web::Data<ServiceContainer>) -> HttpResponse {
    let report = services.health().check().await;
    let ready = report.databases_ready();
    let mut response = if ready {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    let mut response =
        response
            .insert_header(("Cache-Control", "no-store"))
            .json(ReadinessResponse {
                status: if ready {
                    Readiness::Ready
                } else {
                    Readiness::NotReady
                },
                auth_db: report.auth_db.status.into(),
                specs_db: report.specs_db.status.into(),
            });
    response.extensions_mut().insert(KeepBody);
    response
}
