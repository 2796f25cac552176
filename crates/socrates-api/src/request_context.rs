//! Per-request context: the request id and the error envelope.
//!
//! Runs outermost. It takes a well-formed `X-Request-Id` from the client or mints one, stores
//! it in the request's extensions (so the tracing span and handlers see it), echoes it on the
//! response, and turns every error response — from [`crate::ApiError`] or from actix itself —
//! into the one JSON error shape. Internal causes are logged here, once, with the request id.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use socrates_domain::Code;
use std::time::Instant;

use socrates_agents::ServiceContainer;

use crate::config::ApiConfig;
use crate::error::ApiError;

use crate::error::{ErrorEnvelope, PendingErrorBody, pending_for_status};

/// The header carrying the request id in both directions.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Accepts a client-supplied id only if it is short and plainly printable, so it is safe to log.
fn acceptable_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let valid = !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b':'));
    valid.then(|| text.to_owned())
}

/// The middleware function (wrap with `actix_web::middleware::from_fn`).
pub async fn request_context(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let request_id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(acceptable_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    // Tags this request's Sentry scope (a no-op when Sentry is off).
    sentry::configure_scope(|scope| scope.set_tag("request_id", &request_id));
    let config = request.app_data::<web::Data<ApiConfig>>().cloned();
    let hsts = config.as_ref().is_none_or(|config| config.hsts);
    let started = Instant::now();
    let method = request.method().clone();
    let metrics = request
        .app_data::<web::Data<ServiceContainer>>()
        .map(|services| std::sync::Arc::clone(services.metrics()));
    let observe = |route: Option<&str>, status: actix_web::http::StatusCode| {
        if let Some(metrics) = &metrics {
            metrics.observe_request(
                method.as_str(),
                route.unwrap_or("unmatched"),
                status.as_str(),
                started.elapsed().as_secs_f64(),
            );
        }
    };

    if let Some(config) = &config {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .or_else(|| request.uri().host().map(str::to_owned))
            .unwrap_or_default();
        // Probes reach the pod by its address, not by a served host name.
        // Prometheus scrapes the pod address too; /metrics has its own optional token.
        let probe = request.path() == "/health"
            || request.path().starts_with("/health/")
            || request.path() == "/metrics";
        if !probe && !config.host_is_trusted(&host) {
            let error = ApiError::new(Code::InvalidHost, "this host is not served here")
                .with_details(
                    serde_json::json!({ "host": host.chars().take(255).collect::<String>() }),
                );
            let response = request.error_response(error);
            let mut response = finish_error(response, &request_id);
            finish_headers(response.headers_mut(), &request_id, hsts);
            observe(None, response.status());
            return Ok(response);
        }
    }

    // No clone of the HttpRequest may be held across `next.call`: actix needs it unshared.
    let response = match next.call(request).await {
        Ok(response) => response.map_into_boxed_body(),
        // An error raised by an inner middleware: answered directly in the one error shape.
        Err(error) => {
            let finished = FinishedError::from_error(&error, &request_id, hsts);
            observe(None, finished.status);
            return Err(finished.into());
        }
    };
    let mut response = finish_error(response, &request_id);
    finish_headers(response.headers_mut(), &request_id, hsts);
    let route = response.request().match_pattern();
    observe(route.as_deref(), response.status());
    tracing::info!(
        request_id,
        http.method = %method,
        http.route = route.as_deref().unwrap_or("unmatched"),
        http.status_code = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request completed"
    );
    Ok(response)
}

/// Serialises the envelope; the fallback cannot fail.
fn envelope_json(pending: &PendingErrorBody, request_id: &str) -> String {
    let body = ErrorEnvelope {
        error: &pending.message,
        error_code: pending.code.as_str(),
        details: &pending.details,
        request_id,
    };
    serde_json::to_string(&body).unwrap_or_else(|_| {
        format!(
            r#"{{"error":"internal error","error_code":"INTERNAL_ERROR","details":{{}},"request_id":"{request_id}"}}"#
        )
    })
}

/// An error response that is already complete (envelope and request id).
#[derive(Debug)]
struct FinishedError {
    status: actix_web::http::StatusCode,
    json: String,
    request_id: String,
    hsts: bool,
    retry_after: Option<HeaderValue>,
}

impl FinishedError {
    fn from_error(error: &Error, request_id: &str, hsts: bool) -> Self {
        let response = error.error_response();
        let status = response.status();
        let pending = response
            .extensions()
            .get::<PendingErrorBody>()
            .cloned()
            .unwrap_or_else(|| pending_for_status(status));
        if status.is_server_error() {
            let cause = match &pending.internal_cause {
                Some(cause) => cause.clone(),
                None => error.to_string(),
            };
            tracing::error!(
                request_id,
                error_code = pending.code.as_str(),
                cause,
                "request failed"
            );
        }
        Self {
            status,
            json: envelope_json(&pending, request_id),
            request_id: request_id.to_owned(),
            hsts,
            retry_after: response.headers().get(header::RETRY_AFTER).cloned(),
        }
    }
}

impl std::fmt::Display for FinishedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.json)
    }
}

impl actix_web::ResponseError for FinishedError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status)
            .content_type("application/json")
            .body(self.json.clone());
        finish_headers(response.headers_mut(), &self.request_id, self.hsts);
        if let Some(retry_after) = &self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after.clone());
        }
        response
    }
}

/// The security headers every response carries, and the request id.
fn finish_headers(headers: &mut header::HeaderMap, request_id: &str, hsts: bool) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    let mut set = |name: &'static str, value: &'static str| {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    };
    set("x-content-type-options", "nosniff");
    set("x-frame-options", "DENY");
    set("referrer-policy", "no-referrer");
    set("cross-origin-opener-policy", "same-origin");
    // The API serves JSON; the docs page (same origin, embedded assets) still works under it.
    set(
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    if hsts {
        set(
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
}

/// Marks an error response whose body is already the answer (the health report of a 503):
/// it is sent as it is instead of the error envelope.
#[derive(Debug, Clone, Copy)]
pub struct KeepBody;

fn finish_error(response: ServiceResponse<BoxBody>, request_id: &str) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    if response.response().extensions().get::<KeepBody>().is_some() {
        return response;
    }
    let pending = response
        .response()
        .extensions()
        .get::<PendingErrorBody>()
        .cloned()
        .unwrap_or_else(|| pending_for_status(status));
    if status.is_server_error() {
        tracing::error!(
            request_id,
            error_code = pending.code.as_str(),
            cause = pending.internal_cause.as_deref().unwrap_or("unknown"),
            "request failed"
        );
    }
    let json = envelope_json(&pending, request_id);
    let (request, old) = response.into_parts();
    let mut rebuilt = HttpResponse::build(status);
    // Keep headers such as Allow and Retry-After that explain the failure.
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rebuilt.append_header((name.clone(), value.clone()));
        }
    }
    let rebuilt = rebuilt
        .content_type("application/json")
        .body(json)
        .map_into_boxed_body();
    ServiceResponse::new(request, rebuilt)
}
