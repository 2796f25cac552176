//! Health endpoints for load balancers and orchestrators.

use actix_web::{HttpResponse, web};
use socrates_agents::{HealthReport, OverallStatus, ServiceContainer};

/// Registers `/health`, `/health/live` and `/health/ready`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/health").route(web::get().to(get_health)))
        .service(web::resource("/health/live").route(web::get().to(get_liveness)))
        .service(web::resource("/health/ready").route(web::get().to(get_readiness)));
}

/// Every dependency with its timing: 200 when healthy or degraded, 503 when unhealthy.
async fn get_health(services: web::Data<ServiceContainer>) -> HttpResponse {
    let report: HealthReport = services.check_health().await;
    let mut response = match report.status {
        OverallStatus::Unhealthy => HttpResponse::ServiceUnavailable(),
        OverallStatus::Healthy | OverallStatus::Degraded => HttpResponse::Ok(),
    };
    response
        .insert_header(("Cache-Control", "no-store"))
        .json(report)
}

/// The process is up and serving HTTP.
async fn get_liveness() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "status": "alive" }))
}

/// The process can serve requests: both databases answer.
async fn get_readiness(services: web::Data<ServiceContainer>) -> HttpResponse {
    let report = services.check_health().await;
    let ready = report.databases_ready();
    let mut response = if ready {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    response
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({
            "status": if ready { "ready" } else { "not_ready" },
            "auth_db": report.auth_db.status,
            "specs_db": report.specs_db.status,
        }))
}
