//! `GET /metrics`: every metric in the Prometheus text format, optionally behind a bearer token
//! (`telemetry.metrics_token`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use socrates_agents::ServiceContainer;
use socrates_domain::Code;

use crate::config::ApiConfig;
use crate::error::ApiError;

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
    request: HttpRequest,
    services: web::Data<ServiceContainer>,
    config: web::Data<ApiConfig>,
) -> Result<HttpResponse, ApiError> {
    if let Some(expected) = &config.metrics_token {
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(crate::extractors::bearer_token)
            .unwrap_or_default();
        if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
            return Err(ApiError::new(
                Code::Unauthenticated,
                "the metrics need the configured bearer token",
            ));
        }
    }
    let text = services.render_metrics().await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

/// Compares without stopping at the first difference, so timing tells nothing of the token.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0_u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn tokens_are_equal_only_byte_for_byte() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
