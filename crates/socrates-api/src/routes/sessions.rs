//! `/api/v1/sessions` (and `POST /api/v1/projects/{id}/sessions`): open a session, ask the
//! next question, answer it, end the session, read its history — each one call of the
//! `socratic_counselor` agent. The bodies are the agent's results as they are.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;
use socrates_agents::ServiceContainer;
use socrates_agents::agents::socratic::{self, AnswerQuestion, SessionRef, StartSession};
use socrates_domain::{ProjectId, QuestionId, SessionId};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extractors::AuthUser;

/// Registers the session routes under `/sessions`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("").route(web::post().to(create_session)))
        .service(web::resource("/{session_id}").route(web::get().to(get_session)))
        .service(web::resource("/{session_id}/next-question").route(web::post().to(next_question)))
        .service(web::resource("/{session_id}/answer").route(web::post().to(answer)))
        .service(web::resource("/{session_id}/end").route(web::post().to(end_session)))
        .service(web::resource("/{session_id}/history").route(web::get().to(history)));
}

/// A new session on a project.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSessionRequest {
    /// The project.
    pub project_id: String,
    /// `socratic` (default) or `direct_chat` (`direct`, `chat` accepted).
    #[serde(default)]
    pub mode: Option<String>,
}

/// The mode of a session opened under a project.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectSessionRequest {
    /// `socratic` (default) or `direct_chat`.
    #[serde(default)]
    pub mode: Option<String>,
}

/// An answer to a question of the session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The question answered; it must belong to the session.
    pub question_id: String,
    /// The answer.
    pub answer: String,
}

async fn call<I: serde::Serialize + Sync>(
    services: &ServiceContainer,
    user: &AuthUser,
    action: &str,
    request: &I,
) -> Result<Value, ApiError> {
    super::call_agent(services, user, socratic::ID, action, request).await
}

fn parse_id<T: std::str::FromStr>(raw: &str, field: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::new(
            socrates_domain::Code::ValidationError,
            format!("`{field}` is not a valid id"),
        )
        .with_details(serde_json::json!({ "field": field }))
    })
}

#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions", request_body = CreateSessionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The session: `session_id`, `project_id`, `mode`, `status`, `started_at`", body = Object),
        (status = 400, description = "Unknown mode or malformed project id", body = crate::error::ErrorBody),
        (status = 404, description = "No such project of the caller (`PROJECT_NOT_FOUND`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn create_session(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    body: web::Json<CreateSessionRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = StartSession {
        project_id: parse_id::<ProjectId>(&body.project_id, "project_id")?,
        mode: body.mode,
    };
    let session = call(&services, &user, "start_session", &request).await?;
    Ok(HttpResponse::Created().json(session))
}

#[utoipa::path(post, path = "/api/v1/projects/{project_id}/sessions", tag = "sessions", request_body = ProjectSessionRequest,
    params(("project_id" = String, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The session: `session_id`, `project_id`, `mode`, `status`, `started_at`", body = Object),
        (status = 404, description = "No such project of the caller (`PROJECT_NOT_FOUND`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn create_project_session(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<ProjectId>,
    body: Option<web::Json<ProjectSessionRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.map(web::Json::into_inner).unwrap_or_default();
    let request = StartSession {
        project_id: path.into_inner(),
        mode: body.mode,
    };
    let session = call(&services, &user, "start_session", &request).await?;
    Ok(HttpResponse::Created().json(session))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}", tag = "sessions",
    params(("session_id" = String, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The session", body = Object),
        (status = 404, description = "No such session of the caller (`SESSION_NOT_FOUND`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn get_session(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<SessionId>,
) -> Result<HttpResponse, ApiError> {
    let request = SessionRef {
        session_id: path.into_inner(),
    };
    Ok(HttpResponse::Ok().json(call(&services, &user, "get_session", &request).await?))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/next-question", tag = "sessions",
    params(("session_id" = String, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The next question about the least-covered category: `question_id`, `text`, `category`, `context`, `persona`, `quality_score`, `maturity_score`; never one already asked in the project", body = Object),
        (status = 404, description = "No such session of the caller (`SESSION_NOT_FOUND`)", body = crate::error::ErrorBody),
        (status = 409, description = "The session has ended (`SESSION_ENDED`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn next_question(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<SessionId>,
) -> Result<HttpResponse, ApiError> {
    let request = SessionRef {
        session_id: path.into_inner(),
    };
    Ok(HttpResponse::Ok().json(call(&services, &user, "next_question", &request).await?))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/answer", tag = "sessions", request_body = AnswerRequest,
    params(("session_id" = String, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved facts (`specs_extracted`, `specifications`), rejected items, raised conflicts (`conflicts_detected`, `conflicts`) and the new `maturity_score` and `coverage_breakdown`; all written in one transaction", body = Object),
        (status = 400, description = "Empty answer or malformed question id", body = crate::error::ErrorBody),
        (status = 404, description = "No such session of the caller, or the question is not of this session", body = crate::error::ErrorBody),
        (status = 409, description = "Already answered (`QUESTION_ALREADY_ANSWERED`) or the session has ended", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn answer(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<SessionId>,
    body: web::Json<AnswerRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = AnswerQuestion {
        session_id: path.into_inner(),
        question_id: parse_id::<QuestionId>(&body.question_id, "question_id")?,
        answer: body.answer,
    };
    Ok(HttpResponse::Ok().json(call(&services, &user, "answer", &request).await?))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/end", tag = "sessions",
    params(("session_id" = String, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ended session", body = Object),
        (status = 404, description = "No such session of the caller", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn end_session(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<SessionId>,
) -> Result<HttpResponse, ApiError> {
    let request = SessionRef {
        session_id: path.into_inner(),
    };
    Ok(HttpResponse::Ok().json(call(&services, &user, "end_session", &request).await?))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/history", tag = "sessions",
    params(("session_id" = String, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The conversation, oldest first (first 100 entries) and `total`", body = Object),
        (status = 404, description = "No such session of the caller", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn history(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<SessionId>,
) -> Result<HttpResponse, ApiError> {
    let request = SessionRef {
        session_id: path.into_inner(),
    };
    Ok(HttpResponse::Ok().json(call(&services, &user, "history", &request).await?))
}
