//! `GET /metrics`: every metric in the Prometheus text format, optionally behind a bearer token
//! (`telemetry.metrics_token`).

use actix_web::{HttpResponse, web};
use socrates_agents::ServiceContainer;

use crate::error::ApiError;
use crate::extractors::MetricsAccess;

/// Registers the route.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/metrics").route(web::get().to(get_metrics)));
}

/// The Prometheus exposition of the service's metrics.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "Prometheus text format (version 0.0.4)", body = String, content_type = "text/plain"),
        (status = 401, description = "a metrics token is configured and the request does not carry it", body = crate::error::ErrorBody),
    ))]
pub async fn get_metrics(
    _access: MetricsAccess,
    services: web::Data<ServiceContainer>,
) -> Result<HttpResponse, ApiError> {
    let text = services.render_metrics().await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
