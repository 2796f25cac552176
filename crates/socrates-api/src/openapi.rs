//! The OpenAPI 3.1 description, generated from the handlers and DTOs, served at
//! `/openapi.json` with a Swagger UI at `/docs` whose assets are embedded in the binary.

use utoipa::openapi::Required;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::routes;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Socrates API",
        description = "Socratic specification interviews: accounts, projects, sessions, facts, conflicts and exports. Every error has the shape of `ErrorBody`; the codes are listed in docs/api/errors.md."
    ),
    paths(
        routes::auth::register,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::logout,
        routes::auth::me,
        routes::auth::export_me,
        routes::auth::delete_me,
        routes::auth::change_password,
        routes::auth::request_password_reset,
        routes::auth::confirm_password_reset,
        routes::projects::create_project,
        routes::projects::list_projects,
        routes::projects::get_project,
        routes::projects::update_project,
        routes::projects::archive_project,
        routes::projects::project_status,
        routes::projects::advance_phase,
        routes::sessions::create_session,
        routes::sessions::create_project_session,
        routes::sessions::get_session,
        routes::sessions::next_question,
        routes::sessions::answer,
        routes::sessions::end_session,
        routes::sessions::history,
        routes::chat::message,
        routes::chat::toggle_mode,
        routes::chat::get_mode,
        routes::quality::metrics,
        routes::quality::analysis,
        routes::quality::recommendations,
        routes::learning::profile,
        routes::learning::patterns,
        routes::learning::effectiveness,
        routes::knowledge::upload,
        routes::knowledge::list_documents,
        routes::knowledge::delete_document,
        routes::knowledge::search,
        routes::conflicts::list_conflicts,
        routes::conflicts::conflict_options,
        routes::conflicts::resolve_conflict,
        routes::exports::export_markdown,
        routes::exports::export_json,
        routes::exports::export_pdf,
        routes::exports::export_spec_kit,
        routes::exports::export_kiro,
        routes::exports::export_openspec,
        routes::templates::list_templates,
        routes::templates::create_from_template,
        routes::code::generate,
        routes::code::status,
        routes::code::download_code,
        routes::code::export_code,
        routes::specifications::list_facts,
        routes::specifications::add_fact,
        routes::specifications::update_fact,
        routes::specifications::delete_fact,
        routes::specifications::fact_history,
        routes::specifications::extract,
        routes::health::get_health,
        routes::health::get_liveness,
        routes::health::get_readiness,
        routes::metrics::get_metrics,
    ),
    modifiers(&BearerScheme, &UniformResponses, &OptionalBodies),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "projects", description = "Projects, their status and lifecycle phase"),
        (name = "sessions", description = "Sessions: Socratic questions and answers, direct chat, modes, history"),
        (name = "conflicts", description = "Contradictions between facts and their resolution"),
        (name = "quality", description = "Quality control: question scores, coverage gaps, costed ways forward"),
        (name = "learning", description = "What Socrates learns: a person's profile, behaviour patterns and question effectiveness; a project's knowledge base of documents and its full-text search"),
        (name = "exports", description = "The specification as Markdown, JSON and PDF, and as ZIPs in the layouts of GitHub spec-kit, Kiro and OpenSpec"),
        (name = "templates", description = "Product templates and projects started from them"),
        (name = "code", description = "Code generation as a durable job: request, status, download"),
        (name = "specifications", description = "The facts of a project and their versions"),
        (name = "health", description = "Health for load balancers and orchestrators"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme (JWT access tokens).
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("The access token from /api/v1/auth/login"))
                    .build(),
            ),
        );
    }
}

/// An optional body (`request_body(content = Option<T>)`) is one that may be left out, not one
/// that may be JSON `null`: the JSON configuration refuses a `null` body like any other value
/// that is not an object (`INVALID_JSON`). utoipa describes the option as `oneOf: [T, null]`;
/// this keeps `T` alone, and the body stays optional (`required` is not set).
struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                let Some(RefOr::T(body)) = operation.request_body.as_mut() else {
                    continue;
                };
                if body.required == Some(Required::True) {
                    continue;
                }
                for content in body.content.values_mut() {
                    let RefOr::T(content) = content else {
                        continue;
                    };
                    if let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema {
                        let mut kept: Vec<_> = one_of
                            .items
                            .iter()
                            .filter(|schema| !is_null(schema))
                            .cloned()
                            .collect();
                        if kept.len() == 1 {
                            content.schema = kept.pop();
                        }
                    }
                }
            }
        }
    }
}

/// Whether `schema` is `{"type": "null"}`.
fn is_null(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(object)) if object.schema_type == SchemaType::Type(Type::Null))
}

/// Adds the answers every route of a kind can give, because the extractors and middleware
/// give them to every such route, not because its handler does: 401 and 429 for every route
/// behind a token (the `AuthUser` extractor), 403 for every write of an account's data (the
/// orchestrator's account check), 400 for a malformed path or query (the path and query
/// configuration), 400, 413 and 415 for every route that reads a body (the JSON
/// configuration), 503 when a database is gone and 500 for the rest. A status a route already
/// documents keeps its own description.
struct UniformResponses;

impl Modify for UniformResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            for (method, operation) in [
                ("get", item.get.as_mut()),
                ("post", item.post.as_mut()),
                ("put", item.put.as_mut()),
                ("patch", item.patch.as_mut()),
                ("delete", item.delete.as_mut()),
            ] {
                if let Some(operation) = operation {
                    add_uniform_responses(path, method, operation);
                }
            }
        }
    }
}

fn add_uniform_responses(path: &str, method: &str, operation: &mut Operation) {
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let has_parameter = |location: ParameterIn| {
        operation.parameters.iter().flatten().any(|parameter| {
            matches!(parameter, RefOr::T(parameter) if parameter.parameter_in == location)
        })
    };
    let in_path = has_parameter(ParameterIn::Path);
    let in_query = has_parameter(ParameterIn::Query);
    let has_body = operation.request_body.is_some();
    let api = path.starts_with("/api/v1/");
    let writes_data = secured && api && method != "get" && !path.starts_with("/api/v1/auth/");
    let mut add = |status: &str, description: &str| {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(status, description));
    };
    if in_path {
        add("400", "A malformed id in the path (`INVALID_PATH`)");
    }
    if in_query {
        add(
            "400",
            "A malformed or unknown query value (`INVALID_QUERY`)",
        );
    }
    if has_body {
        add(
            "400",
            "Malformed JSON, or a body that does not match the schema (`INVALID_JSON`)",
        );
        add(
            "413",
            "The body is larger than the configured limit (`PAYLOAD_TOO_LARGE`)",
        );
        add(
            "415",
            "The body is not `application/json` (`UNSUPPORTED_MEDIA_TYPE`)",
        );
    }
    if secured {
        add(
            "401",
            "No, a malformed or an expired access token (`UNAUTHENTICATED`, `TOKEN_INVALID`, \
             `TOKEN_EXPIRED`), or the token of an account deleted since",
        );
        add(
            "429",
            "Over the per-user quota of requests (`RATE_LIMITED`); `Retry-After` gives the \
             seconds to wait",
        );
    }
    if writes_data {
        add(
            "403",
            "The account was suspended or deactivated after the token was issued \
             (`ACCOUNT_INACTIVE`)",
        );
    }
    if api {
        add(
            "503",
            "A database does not answer (`DATABASE_UNAVAILABLE`), or the request did not \
             finish within its deadline (`DEADLINE_EXCEEDED`); retry after `Retry-After` \
             seconds",
        );
    }
    add(
        "500",
        "An unexpected failure (`INTERNAL_ERROR`); the cause is logged with the request id",
    );
    // Every 429 and 503, those a route declares itself included, carries `Retry-After`.
    for status in ["429", "503"] {
        if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(status) {
            response
                .headers
                .entry("Retry-After".to_owned())
                .or_insert_with(|| RefOr::T(retry_after_header()));
        }
    }
}

fn retry_after_header() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
        .description(Some("Seconds to wait before the next attempt"))
        .build()
}

/// A response with the error envelope; 429 also names `Retry-After`.
fn error_response(status: &str, description: &str) -> RefOr<Response> {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build(),
    );
    if status == "429" {
        response = response.header("Retry-After", retry_after_header());
    }
    RefOr::T(response.build())
}

/// The description with the running version.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    document
}

/// The checked-in copy of the document, relative to this crate.
pub const CHECKED_IN_PATH: &str = "../../docs/api/openapi.yaml";

/// The environment variable that makes the staleness test rewrite the checked-in copy
/// (`cargo xtask openapi` sets it).
pub const UPDATE_VARIABLE: &str = "SOCRATES_UPDATE_OPENAPI";

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/api/openapi.yaml` is the document the code generates: a change to an endpoint or
    /// a schema that is not written back fails here, and `cargo xtask openapi` rewrites it.
    #[test]
    fn the_checked_in_openapi_document_is_current() {
        let generated = openapi().to_yaml().unwrap();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CHECKED_IN_PATH);
        if std::env::var_os(UPDATE_VARIABLE).is_some() {
            std::fs::write(&path, &generated).unwrap();
            return;
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "docs/api/openapi.yaml is stale: run `cargo xtask openapi` and commit the result"
        );
    }

    /// A client generated from the document can read how long to wait on every 429.
    #[test]
    fn every_429_names_retry_after() {
        let document = serde_json::to_value(openapi()).unwrap();
        let mut limited = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if let Some(response) = operation["responses"].get("429") {
                    limited += 1;
                    assert!(
                        response["headers"].get("Retry-After").is_some(),
                        "{method} {path}: {response}"
                    );
                }
            }
        }
        assert!(limited > 20, "{limited} operations answer 429");
    }

    #[test]
    fn the_document_is_openapi_3_1_with_the_bearer_scheme() {
        let document = serde_json::to_value(openapi()).unwrap();
        assert!(
            document["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            document["openapi"]
        );
        assert_eq!(
            document["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }

    /// Property names that always hold a closed set of values, and where they may be free
    /// text. `category` as an *input* is an enum of the ten and their aliases (`deployment`).
    const CLOSED_SETS: &[&str] = &[
        "phase",
        "previous_phase",
        "mode",
        "category",
        "next_category",
        "source",
        "conflict_type",
        "severity",
        "resolution",
        "action",
        "role",
        "kind",
        "provider",
    ];

    /// `status` is a closed set everywhere it appears.
    const ALWAYS_CLOSED: &[&str] = &["status"];

    /// Outputs that are free text by nature.
    const FREE_INPUTS: &[(&str, &str)] = &[
        // The health check's `kind` names a backend (sqlite, postgres, redis, in_process,
        // offline, claude, openai, ollama): it grows with the deployment, not a value set a
        // client branches on.
        ("ComponentHealthResponse", "kind"),
        // What the extractor proposed and the service could not map: free text by nature.
        ("RejectedItemResponse", "category"),
    ];

    fn is_enum(document: &serde_json::Value, schema: &serde_json::Value) -> bool {
        if schema["enum"].is_array() {
            return true;
        }
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.trim_start_matches("#/components/schemas/");
            return is_enum(document, &document["components"]["schemas"][name]);
        }
        if let Some(variants) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
            return variants
                .iter()
                .all(|variant| variant["type"] == "null" || is_enum(document, variant));
        }
        if let Some(parts) = schema["allOf"].as_array() {
            return parts.iter().any(|part| is_enum(document, part));
        }
        false
    }

    /// Every closed value set of the API is an `enum` in the document, so a generated client
    /// gets a type for it.
    #[test]
    fn every_closed_value_set_is_an_enum() {
        let document = serde_json::to_value(openapi()).unwrap();
        let mut open = Vec::new();
        for (name, schema) in document["components"]["schemas"].as_object().unwrap() {
            // A body with a rule across its fields is `allOf` the fields and the rule.
            let parts =
                std::iter::once(schema).chain(schema["allOf"].as_array().into_iter().flatten());
            let properties =
                parts.flat_map(|part| part["properties"].as_object().into_iter().flatten());
            for (property, value) in properties {
                let closed = CLOSED_SETS.contains(&property.as_str())
                    || ALWAYS_CLOSED.contains(&property.as_str());
                let free = FREE_INPUTS.contains(&(name.as_str(), property.as_str()));
                if closed && !free && !is_enum(&document, value) {
                    open.push(format!("{name}.{property}"));
                }
            }
        }
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    let name = parameter["name"].as_str().unwrap();
                    if (CLOSED_SETS.contains(&name) || ALWAYS_CLOSED.contains(&name))
                        && !is_enum(&document, &parameter["schema"])
                    {
                        open.push(format!("{method} {path} ?{name}"));
                    }
                }
            }
        }
        assert!(
            open.is_empty(),
            "closed value sets documented as free text: {open:?}"
        );
    }

    /// Every paged list documents the range of `limit` and `offset` it accepts, and they are
    /// the ones the request refuses outside.
    #[test]
    fn every_paging_parameter_documents_its_range() {
        let document = serde_json::to_value(openapi()).unwrap();
        let mut ranges = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    let name = parameter["name"].as_str().unwrap();
                    if name == "offset" || name == "limit" {
                        let schema = &parameter["schema"];
                        ranges.push((
                            format!("{method} {path} ?{name}"),
                            name,
                            schema["minimum"].as_u64(),
                            schema["maximum"].as_u64(),
                        ));
                    }
                }
            }
        }
        assert_eq!(ranges.len(), 16, "{ranges:?}");
        for (operation, name, minimum, maximum) in ranges {
            let expected = if name == "offset" {
                (Some(0), Some(socrates_domain::PageOffset::MAX))
            } else {
                (
                    Some(socrates_domain::PageLimit::MIN),
                    Some(socrates_domain::PageLimit::MAX),
                )
            };
            assert_eq!((minimum, maximum), expected, "{operation}");
        }
    }

    /// Health, readiness, liveness and the personal-data export are typed, not bare objects.
    #[test]
    fn no_response_is_a_bare_object() {
        let document = serde_json::to_value(openapi()).unwrap();
        let mut bare = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for (status, response) in operation["responses"].as_object().unwrap() {
                    for (_, content) in response["content"].as_object().into_iter().flatten() {
                        let schema = &content["schema"];
                        if schema["type"] == "object" && schema["properties"].is_null() {
                            bare.push(format!("{method} {path} {status}"));
                        }
                    }
                }
            }
        }
        assert!(bare.is_empty(), "untyped responses: {bare:?}");
    }
}
