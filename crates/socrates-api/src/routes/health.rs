//! Health endpoints for load balancers and orchestrators.

use actix_web::{HttpResponse, web};
use socrates_agents::{HealthReport, OverallStatus, ServiceContainer};

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

/// Every dependency with its timing: 200 when healthy or degraded, 503 when unhealthy.
#[utoipa::path(get, path = "/health", tag = "health",
    responses(
        (status = 200, description = "`healthy` or `degraded` (cache or language model down), with per-check status, kind and latency", body = Object),
        (status = 503, description = "`unhealthy`: a database does not answer", body = Object),
    ))]
pub(crate) async fn get_health(services: web::Data<ServiceContainer>) -> HttpResponse {
    let report: HealthReport = services.health().check().await;
    let mut response = match report.status {
        OverallStatus::Unhealthy => HttpResponse::ServiceUnavailable(),
        OverallStatus::Healthy | OverallStatus::Degraded => HttpResponse::Ok(),
    };
    let mut response = response
        .insert_header(("Cache-Control", "no-store"))
        .json(report);
    response.extensions_mut().insert(KeepBody);
    response
}

/// The process is up and serving HTTP.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "`{\"status\": \"alive\"}`", body = Object)))]
pub(crate) async fn get_liveness() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "status": "alive" }))
}

/// The process can serve requests: both databases answer.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "Both databases answer", body = Object),
        (status = 503, description = "A database does not answer", body = Object),
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
            .json(serde_json::json!({
                "status": if ready { "ready" } else { "not_ready" },
                "auth_db": report.auth_db.status,
                "specs_db": report.specs_db.status,
            }));
    response.extensions_mut().insert(KeepBody);
    response
}
