//! The HTTP surface of Socrates, and the only crate besides the server that knows actix-web.
//!
//! It owns routes, extractors, wire DTOs, the error envelope ([`ApiError`] → one JSON shape with
//! a stable `error_code` and the request id) and the middleware around every request. Handlers
//! are thin: extract, call one operation of the service container, map to a DTO.
//!
//! It must never know how anything is stored or reasoned about: no SQL, no SeaORM types, no
//! provider calls — those live below, in the agents crate and what it depends on.

#![warn(missing_docs)]

mod error;
mod request_context;
pub mod routes;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, web};
use socrates_agents::ServiceContainer;
use socrates_domain::Code;

pub use error::{ApiError, status_of};
pub use request_context::{REQUEST_ID_HEADER, RequestId};

/// The largest JSON body accepted (1 MiB).
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// Builds the complete application: state, body limits, middleware and every route.
pub fn build_app(
    services: ServiceContainer,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(services))
        .app_data(json_config())
        .app_data(path_config())
        .app_data(query_config())
        .configure(routes::health::configure)
        .default_service(web::to(route_not_found))
        .wrap(tracing_actix_web::TracingLogger::default())
        .wrap(from_fn(request_context::request_context))
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_BODY_LIMIT)
        .error_handler(|error, _request| {
            let api_error = match &error {
                actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
                | actix_web::error::JsonPayloadError::Overflow { .. } => ApiError::new(
                    Code::PayloadTooLarge,
                    format!("request body exceeds {JSON_BODY_LIMIT} bytes"),
                ),
                actix_web::error::JsonPayloadError::ContentType => ApiError::new(
                    Code::UnsupportedMediaType,
                    "expected Content-Type: application/json",
                ),
                other => ApiError::new(Code::InvalidJson, format!("malformed JSON body: {other}")),
            };
            api_error.into()
        })
}

fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, _request| {
        ApiError::new(
            Code::InvalidPath,
            format!("invalid path parameter: {error}"),
        )
        .into()
    })
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _request| {
        ApiError::new(Code::InvalidQuery, format!("invalid query string: {error}")).into()
    })
}

async fn route_not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        Code::RouteNotFound,
        format!("no route for {} {}", request.method(), request.path()),
    ))
}
