//! The HTTP surface of Socrates, and the only crate besides the server that knows actix-web.
//!
//! It owns routes, extractors, wire DTOs, the error envelope ([`ApiError`] → one JSON shape with
//! a stable `error_code` and the request id) and the middleware around every request. Handlers
//! are thin: extract, call one operation of the service container, map to a DTO.
//!
//! It must never know how anything is stored or reasoned about: no SQL, no SeaORM types, no
//! provider calls — those live below, in the agents crate and what it depends on.

#![warn(missing_docs)]

mod catch_panic;
mod config;
mod deadline;
mod error;
mod extractors;
pub mod openapi;
mod request_context;
mod root_span;
pub mod routes;
mod views;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, web};
use socrates_agents::ServiceContainer;
use socrates_domain::Code;

pub use catch_panic::install_panic_hook;
#[cfg(feature = "test-support")]
pub use catch_panic::testing;
pub use config::ApiConfig;
pub use error::{ApiError, status_of};
pub use extractors::{AuthUser, Client, client_ip};
pub use request_context::{REQUEST_ID_HEADER, RequestId};

/// Builds the complete application: state, body limits, middleware and every route.
pub fn build_app(
    services: ServiceContainer,
    config: ApiConfig,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors = cors(&config);
    App::new()
        .app_data(web::Data::new(services))
        .app_data(json_config(config.json_limit_bytes))
        .app_data(web::PayloadConfig::new(config.json_limit_bytes))
        .app_data(path_config())
        .app_data(query_config())
        .app_data(web::Data::new(config))
        .configure(routes::health::configure)
        .configure(routes::metrics::configure)
        // The README points people at /docs; the Swagger UI itself lives under /docs/.
        .service(web::resource("/docs").route(web::get().to(redirect_to_docs)))
        .service(
            utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                .url("/openapi.json", openapi::openapi()),
        )
        .service(
            web::scope("/api/v1")
                .service(web::scope("/auth").configure(routes::auth::configure))
                .service(
                    web::scope("/projects")
                        .configure(routes::templates::configure_projects)
                        .configure(routes::projects::configure),
                )
                .service(
                    web::scope("/sessions")
                        .configure(routes::sessions::configure)
                        .configure(routes::chat::configure),
                )
                .service(web::scope("/conflicts").configure(routes::conflicts::configure))
                .service(web::scope("/quality").configure(routes::quality::configure))
                .service(
                    web::scope("/learning")
                        .configure(routes::learning::configure)
                        .configure(routes::knowledge::configure),
                )
                .service(web::scope("/specifications").configure(routes::specifications::configure))
                .service(web::scope("/templates").configure(routes::templates::configure))
                .service(web::scope("/code").configure(routes::code::configure)),
        )
        .configure(test_routes)
        .default_service(web::to(route_not_found))
        .wrap(from_fn(deadline::deadline))
        .wrap(tracing_actix_web::TracingLogger::<
            root_span::SocratesRootSpan,
        >::new())
        .wrap(cors)
        // Inside the request context: a panic anywhere within becomes its 500 with the
        // request id, logged once.
        .wrap(from_fn(catch_panic::catch_panic))
        .wrap(from_fn(request_context::request_context))
        // Outermost: a Sentry scope per request (route, method, URL without credentials) that
        // error events of the request are reported with. 5xx answers are reported once, by
        // the request context's error log, so the middleware does not capture them again.
        .wrap(actix_web::middleware::Condition::new(
            sentry::Hub::main()
                .client()
                .is_some_and(|client| client.is_enabled()),
            sentry::integrations::actix::Sentry::builder()
                .capture_server_errors(false)
                .finish(),
        ))
}

/// The routes that exist only for tests (`test-support`): none in a release build.
fn test_routes(config: &mut web::ServiceConfig) {
    #[cfg(feature = "test-support")]
    testing::configure(config);
    #[cfg(not(feature = "test-support"))]
    let _ = config;
}

/// CORS from the configured origin list; with no origins, cross-origin requests are refused.
fn cors(config: &ApiConfig) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::ACCEPT,
            REQUEST_ID_HEADER,
        ])
        .expose_headers([REQUEST_ID_HEADER, actix_web::http::header::RETRY_AFTER])
        .max_age(600);
    for origin in &config.cors_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |error, _request| {
            let api_error = match &error {
                actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
                | actix_web::error::JsonPayloadError::Overflow { .. } => ApiError::new(
                    Code::PayloadTooLarge,
                    format!("request body exceeds {limit} bytes"),
                ),
                actix_web::error::JsonPayloadError::ContentType => ApiError::new(
                    Code::UnsupportedMediaType,
                    "expected Content-Type: application/json",
                ),
                other => ApiError::new(
                    Code::InvalidJson,
                    format!(
                        "malformed JSON body: {}",
                        error::capped_parse_message(&other.to_string())
                    ),
                ),
            };
            api_error.into()
        })
}

fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, _request| {
        ApiError::new(
            Code::InvalidPath,
            format!(
                "invalid path parameter: {}",
                error::capped_parse_message(&error.to_string())
            ),
        )
        .into()
    })
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _request| {
        ApiError::new(
            Code::InvalidQuery,
            format!(
                "invalid query string: {}",
                error::capped_parse_message(&error.to_string())
            ),
        )
        .into()
    })
}

async fn redirect_to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

async fn route_not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    // A path is repeated whole up to a long URL's length, never a 100 kB one.
    const SHOWN_CHARS: usize = 200;
    let path = request.path();
    let shown = match path.char_indices().nth(SHOWN_CHARS) {
        None => path.to_owned(),
        Some((cut, _)) => format!("{}…", &path[..cut]),
    };
    Err(ApiError::new(
        Code::RouteNotFound,
        format!("no route for {} {shown}", request.method()),
    ))
}
