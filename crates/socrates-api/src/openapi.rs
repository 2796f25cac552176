//! The OpenAPI 3.1 description, generated from the handlers and DTOs, served at
//! `/openapi.json` with a Swagger UI at `/docs` whose assets are embedded in the binary.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
        routes::conflicts::list_conflicts,
        routes::conflicts::conflict_options,
        routes::conflicts::resolve_conflict,
        routes::exports::export_markdown,
        routes::exports::export_json,
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
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "projects", description = "Projects, their status and lifecycle phase"),
        (name = "sessions", description = "Socratic sessions: questions, answers, history"),
        (name = "conflicts", description = "Contradictions between facts and their resolution"),
        (name = "exports", description = "The specification as Markdown or JSON"),
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
}
