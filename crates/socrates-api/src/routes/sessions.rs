//! `/api/v1/sessions` (and `POST /api/v1/projects/{id}/sessions`): open a session, ask the
//! next question, answer it, end the session, read its history — each one call of the
//! `socratic_counselor` agent. The bodies are the agent's results as they are.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use socrates_agents::ServiceContainer;
use socrates_agents::agents::socratic::{
    AnswerQuestion, AnswerResult, EndSession, GetSession, GetSessionHistory, History, HistoryEntry,
    NextQuestion, QuestionView, SessionView, StartSession,
};
use socrates_domain::{Category, ConversationRole, MessageKind, SessionMode, SessionStatus};
use socrates_domain::{ProjectId, QuestionId, SessionId};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extractors::{AuthUser, Json, OptionalJson};
use crate::views::{RaisedConflictResponse, RejectedItemResponse, SavedFactResponse};

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
    /// `socratic` when absent; `direct` and `chat` are accepted for `direct_chat`.
    #[serde(default)]
    pub mode: Option<SessionMode>,
}

/// The mode of a session opened under a project.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectSessionRequest {
    /// `socratic` when absent; `direct` and `chat` are accepted for `direct_chat`.
    #[serde(default)]
    pub mode: Option<SessionMode>,
}

/// An answer to a question of the session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The question answered; it must belong to the session.
    pub question_id: String,
    /// The answer: not blank, up to 20 000 characters; control characters other than line
    /// breaks and tabs are refused.
    pub answer: String,
}

/// A session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// The session's id.
    pub session_id: String,
    /// Its project.
    pub project_id: String,
    /// `socratic` or `direct_chat`.
    pub mode: SessionMode,
    /// `active` or `ended`.
    pub status: SessionStatus,
    /// When it was opened.
    pub started_at: DateTime<Utc>,
    /// When it was ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// The last question, answer or message.
    pub last_activity: DateTime<Utc>,
}

impl From<SessionView> for SessionResponse {
    fn from(view: SessionView) -> Self {
        Self {
            session_id: view.session_id.to_string(),
            project_id: view.project_id.to_string(),
            mode: view.mode,
            status: view.status,
            started_at: view.started_at,
            ended_at: view.ended_at,
            last_activity: view.last_activity,
        }
    }
}

/// A question to put to the user.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionResponse {
    /// The stored question's id (answer it with this id).
    pub question_id: String,
    /// The question.
    pub text: String,
    /// Its category.
    pub category: Category,
    /// Why it matters.
    pub context: Option<String>,
    /// The team role that asks it.
    pub persona: Option<String>,
    /// Quality-control score, 0–1.
    pub quality_score: f64,
    /// The project's maturity when it was asked, 0–100.
    pub maturity_score: f64,
}

impl From<QuestionView> for QuestionResponse {
    fn from(view: QuestionView) -> Self {
        Self {
            question_id: view.question_id.to_string(),
            text: view.text,
            category: view.category,
            context: view.context,
            persona: view.persona,
            quality_score: view.quality_score,
            maturity_score: view.maturity_score,
        }
    }
}

/// What an answer produced; all of it was written in one transaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerResponse {
    /// Always true: nothing the user said is lost.
    pub success: bool,
    /// How many facts were saved.
    pub specs_extracted: u32,
    /// The saved facts.
    pub specifications: Vec<SavedFactResponse>,
    /// Items the extractor could not map.
    pub rejected: Vec<RejectedItemResponse>,
    /// Whether the answer contradicted something.
    pub conflicts_detected: bool,
    /// The conflicts it raised; their facts wait for a resolution.
    pub conflicts: Vec<RaisedConflictResponse>,
    /// The project's maturity after the answer, 0–100.
    pub maturity_score: f64,
    /// Coverage per category in percent after the answer.
    pub coverage_breakdown: std::collections::BTreeMap<String, f64>,
}

impl From<AnswerResult> for AnswerResponse {
    fn from(result: AnswerResult) -> Self {
        Self {
            success: result.success,
            specs_extracted: result.specs_extracted,
            specifications: result.specifications.into_iter().map(Into::into).collect(),
            rejected: result.rejected.into_iter().map(Into::into).collect(),
            conflicts_detected: result.conflicts_detected,
            conflicts: result.conflicts.into_iter().map(Into::into).collect(),
            maturity_score: result.maturity_score,
            coverage_breakdown: result
                .coverage_breakdown
                .into_iter()
                .map(|(category, percent)| (category.as_str().to_owned(), percent))
                .collect(),
        }
    }
}

/// One entry of a session's conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntryResponse {
    /// `user`, `assistant` or `system`.
    pub role: ConversationRole,
    /// `question`, `answer`, `message`, …
    pub kind: MessageKind,
    /// The text.
    pub content: String,
    /// The question it asks or answers.
    pub question_id: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<HistoryEntry> for HistoryEntryResponse {
    fn from(entry: HistoryEntry) -> Self {
        Self {
            role: entry.role,
            kind: entry.kind,
            content: entry.content,
            question_id: entry.question_id.map(|id| id.to_string()),
            created_at: entry.created_at,
        }
    }
}

/// A session's conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryResponse {
    /// The session.
    pub session_id: String,
    /// How many entries the session has (the first 100 are listed).
    pub total: u64,
    /// Oldest first.
    pub entries: Vec<HistoryEntryResponse>,
}

impl From<History> for HistoryResponse {
    fn from(history: History) -> Self {
        Self {
            session_id: history.session_id.to_string(),
            total: history.total,
            entries: history.entries.into_iter().map(Into::into).collect(),
        }
    }
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
        (status = 201, description = "The new session", body = SessionResponse),
        (status = 400, description = "Unknown mode or malformed project id", body = crate::error::ErrorBody),
        (status = 404, description = "No such project of the caller (`PROJECT_NOT_FOUND`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn create_session(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    body: Json<CreateSessionRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = StartSession {
        project_id: parse_id::<ProjectId>(&body.project_id, "project_id")?,
        mode: body.mode,
    };
    let session = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Created().json(SessionResponse::from(session)))
}

#[utoipa::path(post, path = "/api/v1/projects/{project_id}/sessions", tag = "sessions",
    request_body(content = Option<ProjectSessionRequest>, description = "Optional: without a body the session is `socratic`"),
    params(("project_id" = String, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new session", body = SessionResponse),
        (status = 404, description = "No such project of the caller (`PROJECT_NOT_FOUND`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn create_project_session(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<ProjectId>,
    OptionalJson(body): OptionalJson<ProjectSessionRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.unwrap_or_default();
    let request = StartSession {
        project_id: path.into_inner(),
        mode: body.mode,
    };
    let session = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Created().json(SessionResponse::from(session)))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}", tag = "sessions",
    params(("session_id" = String, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The session", body = SessionResponse),
        (status = 404, description = "No such session of the caller (`SESSION_NOT_FOUND`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn get_session(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<SessionId>,
) -> Result<HttpResponse, ApiError> {
    let request = GetSession {
        session_id: path.into_inner(),
    };
    let result = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Ok().json(SessionResponse::from(result)))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/next-question", tag = "sessions",
    params(("session_id" = String, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The next question, about the least-covered category; never one already asked in the project", body = QuestionResponse),
        (status = 404, description = "No such session of the caller (`SESSION_NOT_FOUND`)", body = crate::error::ErrorBody),
        (status = 409, description = "The session has ended (`SESSION_ENDED`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn next_question(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<SessionId>,
) -> Result<HttpResponse, ApiError> {
    let request = NextQuestion {
        session_id: path.into_inner(),
    };
    let result = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Ok().json(QuestionResponse::from(result)))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/answer", tag = "sessions", request_body = AnswerRequest,
    params(("session_id" = String, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved facts (`specs_extracted`, `specifications`), rejected items, raised conflicts (`conflicts_detected`, `conflicts`) and the new `maturity_score` and `coverage_breakdown`; all written in one transaction", body = AnswerResponse),
        (status = 400, description = "A blank answer, one over 20 000 characters or with control characters (`VALIDATION_ERROR`, `details.field` is `answer`), or a malformed question id", body = crate::error::ErrorBody),
        (status = 404, description = "No such session of the caller, or the question is not of this session", body = crate::error::ErrorBody),
        (status = 409, description = "Already answered (`QUESTION_ALREADY_ANSWERED`) or the session has ended", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn answer(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<SessionId>,
    body: Json<AnswerRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = AnswerQuestion {
        session_id: path.into_inner(),
        question_id: parse_id::<QuestionId>(&body.question_id, "question_id")?,
        answer: body.answer,
    };
    let result = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Ok().json(AnswerResponse::from(result)))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/end", tag = "sessions",
    params(("session_id" = String, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ended session", body = SessionResponse),
        (status = 404, description = "No such session of the caller", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn end_session(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<SessionId>,
) -> Result<HttpResponse, ApiError> {
    let request = EndSession {
        session_id: path.into_inner(),
    };
    let result = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Ok().json(SessionResponse::from(result)))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/history", tag = "sessions",
    params(("session_id" = String, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The conversation, oldest first (first 100 entries) and `total`", body = HistoryResponse),
        (status = 404, description = "No such session of the caller", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn history(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<SessionId>,
) -> Result<HttpResponse, ApiError> {
    let request = GetSessionHistory {
        session_id: path.into_inner(),
    };
    let result = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Ok().json(HistoryResponse::from(result)))
}
