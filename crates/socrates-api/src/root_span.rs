//! The root span of every request, carrying our request id (the one echoed to the client) so
//! that every log line of the request can be found by it. With trace export on, a caller's W3C
//! `traceparent` header (a gateway, another service) makes the request's span a child of the
//! caller's, so the request appears inside the caller's trace.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::{Error, HttpMessage};
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::TraceContextExt as _;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::request_context::RequestId;

/// Builds spans named `HTTP request` with `request_id`, method, route and status.
#[derive(Debug, Clone, Copy)]
pub struct SocratesRootSpan;

impl RootSpanBuilder for SocratesRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let span = tracing::info_span!(
            "HTTP request",
            request_id = %request_id,
            http.method = %request.method(),
            http.route = %route,
            http.target = %request.path(),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            user.id = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        );
        join_callers_trace(&span, request.headers());
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// The W3C trace-context header.
const TRACEPARENT: &str = "traceparent";

/// Makes `span` a child of the caller's span named by a valid `traceparent` header. The global
/// propagator reads it: the W3C one while traces are exported, else a no-op, and a request
/// without the header costs one header lookup.
fn join_callers_trace(span: &Span, headers: &HeaderMap) {
    if !headers.contains_key(TRACEPARENT) {
        return;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&RequestHeaders(headers))
    });
    if parent.span().span_context().is_remote() {
        // Without the OpenTelemetry layer (no export) there is nothing to attach to.
        let _ = span.set_parent(parent);
    }
}

/// The request's headers as the propagator reads them.
struct RequestHeaders<'a>(&'a HeaderMap);

impl Extractor for RequestHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}
