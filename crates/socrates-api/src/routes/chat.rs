//! Direct chat under `/api/v1/sessions/{id}`: `POST …/message` (a JSON reply, or Server-Sent
//! Events with `Accept: text/event-stream`), `POST …/toggle-mode` and `GET …/mode` — each one
//! call of the `socratic_counselor` agent.
//!
//! The event stream: `delta` events carry the reply's text as it is written
//! (`{"text": "…"}`); then one `result` event with the whole result (the JSON answer's body);
//! then `done`. When the reply breaks off or the exchange cannot be written, an `error` event
//! in the one error shape ends the stream instead, and nothing of the exchange is written.

use std::convert::Infallible;
use std::pin::Pin;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::future::Either;
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::json;
use socrates_agents::ServiceContainer;
use socrates_agents::agents::socratic::{
    ChatEvent, ChatResult, GetSession, ModeChange, SendMessage, StreamMessage, SuggestedQuestion,
    ToggleMode,
};
use socrates_domain::{Category, MessageText, SessionId, SessionMode};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extractors::{AuthUser, Json, OptionalJson};
use crate::request_context::RequestId;
use crate::views::{RaisedConflictResponse, RejectedItemResponse, SavedFactResponse};

/// Registers the chat routes under `/sessions`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/{session_id}/message").route(web::post().to(message)))
        .service(web::resource("/{session_id}/toggle-mode").route(web::post().to(toggle_mode)))
        .service(web::resource("/{session_id}/mode").route(web::get().to(get_mode)));
}

/// A direct-chat message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// The message.
    #[schema(value_type = MessageText)]
    pub message: String,
}

/// The question the interview would ask next.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestedQuestionResponse {
    /// The category it is about (the project's `next_category`).
    pub category: Category,
    /// The question.
    pub text: String,
    /// Why it matters.
    pub context: String,
}

impl From<SuggestedQuestion> for SuggestedQuestionResponse {
    fn from(question: SuggestedQuestion) -> Self {
        Self {
            category: question.category,
            text: question.text,
            context: question.context,
        }
    }
}

/// What a message produced; the message, the reply and all of it were written in one
/// transaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatResponse {
    /// Always true: nothing the user said is lost.
    pub success: bool,
    /// The message's id: the `source_id` of the facts it stated, and the `message_id` of its
    /// two history entries.
    pub message_id: String,
    /// The reply.
    pub response: String,
    /// How many facts were saved.
    pub specs_extracted: u32,
    /// The saved facts (source `direct_chat`).
    pub specifications: Vec<SavedFactResponse>,
    /// Items the extractor could not map.
    pub rejected: Vec<RejectedItemResponse>,
    /// Whether the message contradicted something.
    pub conflicts_detected: bool,
    /// The conflicts it raised; their new values wait for a resolution.
    pub conflicts: Vec<RaisedConflictResponse>,
    /// What the interview would ask next (the question next-question would ask about the
    /// project's `next_category`); `null` when nothing is left to ask.
    pub suggested_next_question: Option<SuggestedQuestionResponse>,
    /// The project's maturity after the message, 0–100.
    pub maturity_score: f64,
    /// Coverage per category in percent after the message.
    pub coverage_breakdown: std::collections::BTreeMap<String, f64>,
}

impl From<ChatResult> for ChatResponse {
    fn from(result: ChatResult) -> Self {
        Self {
            success: result.success,
            message_id: result.message_id.to_string(),
            response: result.reply,
            specs_extracted: result.specs_extracted,
            specifications: result.specifications.into_iter().map(Into::into).collect(),
            rejected: result.rejected.into_iter().map(Into::into).collect(),
            conflicts_detected: result.conflicts_detected,
            conflicts: result.conflicts.into_iter().map(Into::into).collect(),
            suggested_next_question: result.suggested_next_question.map(Into::into),
            maturity_score: result.maturity_score,
            coverage_breakdown: result
                .coverage_breakdown
                .into_iter()
                .map(|(category, percent)| (category.as_str().to_owned(), percent))
                .collect(),
        }
    }
}

/// The mode to switch to.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToggleModeRequest {
    /// `socratic` or `direct_chat` (`direct` and `chat` are accepted for `direct_chat`); the
    /// other mode when absent.
    #[serde(default)]
    pub mode: Option<SessionMode>,
}

/// A session's mode after a switch.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModeChangeResponse {
    /// The session.
    pub session_id: String,
    /// Its project.
    pub project_id: String,
    /// The mode now (the same as `new_mode`).
    pub mode: SessionMode,
    /// The mode before.
    pub old_mode: SessionMode,
    /// The mode now.
    pub new_mode: SessionMode,
    /// For people: "Switched to direct chat mode."
    pub message: String,
}

impl From<ModeChange> for ModeChangeResponse {
    fn from(change: ModeChange) -> Self {
        Self {
            session_id: change.session_id.to_string(),
            project_id: change.project_id.to_string(),
            mode: change.new_mode,
            old_mode: change.old_mode,
            new_mode: change.new_mode,
            message: change.message,
        }
    }
}

/// A session's mode.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModeResponse {
    /// The session.
    pub session_id: String,
    /// Its project.
    pub project_id: String,
    /// `socratic` or `direct_chat`.
    pub mode: SessionMode,
}

/// Whether the client asked for Server-Sent Events.
fn wants_event_stream(request: &HttpRequest) -> bool {
    request
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("text/event-stream"))
        })
}

/// One Server-Sent Event; `data` is JSON, so it holds no line break.
fn event(name: &str, data: &serde_json::Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/message", tag = "sessions", request_body = MessageRequest,
    params(("session_id" = uuid::Uuid, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reply (`response`), the saved facts (source `direct_chat`, `source_id` the `message_id`), rejected items, raised conflicts (`conflicts_detected`, `conflicts`), the `suggested_next_question`, and the new `maturity_score` and `coverage_breakdown`; all written in one transaction with the message and the reply. With `Accept: text/event-stream`: Server-Sent Events — `delta` (`{\"text\"}`) as the reply is written, then `result` (this body), then `done`; or, when the reply breaks off or cannot be written, one `error` event in the shape of `ErrorBody`, and nothing is written",
            content(
                (ChatResponse = "application/json"),
                (String = "text/event-stream", example = json!("event: delta\ndata: {\"text\":\"Recorded: primary database = PostgreSQL.\"}\n\nevent: result\ndata: {\"success\":true,…}\n\nevent: done\ndata: {}\n\n"))
            )),
        (status = 400, description = "A blank message, one over 20 000 characters or with control characters (`VALIDATION_ERROR`, `details.field` is `message`)", body = crate::error::ErrorBody),
        (status = 404, description = "No such session of the caller (`SESSION_NOT_FOUND`)", body = crate::error::ErrorBody),
        (status = 409, description = "The session is in socratic mode (`SESSION_NOT_IN_CHAT_MODE`), has ended (`SESSION_ENDED`), or the project is archived (`PROJECT_ARCHIVED`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn message(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    request: HttpRequest,
    path: web::Path<SessionId>,
    body: Json<MessageRequest>,
) -> Result<HttpResponse, ApiError> {
    let session_id = path.into_inner();
    let message = body.into_inner().message;
    if !wants_event_stream(&request) {
        let request = SendMessage {
            session_id,
            message,
        };
        let result = super::run(&services, &user, request).await?;
        return Ok(HttpResponse::Ok().json(ChatResponse::from(result)));
    }
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let stream = super::run(
        &services,
        &user,
        StreamMessage {
            session_id,
            message,
        },
    )
    .await?;
    let frames = stream.into_events().map(move |event_| match event_ {
        ChatEvent::Delta(text) => event("delta", &json!({ "text": text })),
        ChatEvent::Finished(result) => {
            let body =
                serde_json::to_value(ChatResponse::from(*result)).unwrap_or_else(|_| json!({}));
            let mut bytes = event("result", &body).to_vec();
            bytes.extend_from_slice(&event("done", &json!({})));
            Bytes::from(bytes)
        }
        ChatEvent::Failed(error) => event("error", &ApiError::from(error).envelope(&request_id)),
    });
    let events = with_heartbeat(Box::pin(frames), HEARTBEAT_INTERVAL).map(Ok::<_, Infallible>);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Proxies such as nginx must pass each event on as it comes.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(events))
}

/// How long a stream may stay silent before a comment line is sent. A write is the only way
/// the server learns that a client has gone: without it, a stalled model would keep the
/// stream (and its provider connection) open after the client left. Proxies that close idle
/// connections are kept from doing so too.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(2);

/// `frames`, with an SSE comment (`: keep-alive`) after every `interval` without a frame; it
/// ends when `frames` ends.
fn with_heartbeat(
    frames: Pin<Box<dyn Stream<Item = Bytes> + Send>>,
    interval: Duration,
) -> impl Stream<Item = Bytes> {
    futures_util::stream::unfold(Some(frames), move |frames| async move {
        let mut frames = frames?;
        let waited = {
            let sleep = std::pin::pin!(actix_web::rt::time::sleep(interval));
            match futures_util::future::select(frames.next(), sleep).await {
                Either::Left((frame, _)) => Some(frame),
                Either::Right(((), _)) => None,
            }
        };
        match waited {
            Some(frame) => frame.map(|frame| (frame, Some(frames))),
            None => Some((Bytes::from_static(b": keep-alive\n\n"), Some(frames))),
        }
    })
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/toggle-mode", tag = "sessions",
    request_body(content = Option<ToggleModeRequest>, description = "Optional: without a body (or without `mode`) the session switches to the other mode"),
    params(("session_id" = uuid::Uuid, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The session's mode before and now; the switch is noted in the history (`mode_toggle`). Switching to the mode the session is in changes nothing", body = ModeChangeResponse),
        (status = 400, description = "Unknown mode", body = crate::error::ErrorBody),
        (status = 404, description = "No such session of the caller (`SESSION_NOT_FOUND`)", body = crate::error::ErrorBody),
        (status = 409, description = "The session has ended (`SESSION_ENDED`) or the project is archived (`PROJECT_ARCHIVED`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn toggle_mode(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<SessionId>,
    OptionalJson(body): OptionalJson<ToggleModeRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = ToggleMode {
        session_id: path.into_inner(),
        mode: body.unwrap_or_default().mode,
    };
    let result = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Ok().json(ModeChangeResponse::from(result)))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/mode", tag = "sessions",
    params(("session_id" = uuid::Uuid, Path, description = "The session's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The session's mode", body = ModeResponse),
        (status = 404, description = "No such session of the caller (`SESSION_NOT_FOUND`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn get_mode(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<SessionId>,
) -> Result<HttpResponse, ApiError> {
    let request = GetSession {
        session_id: path.into_inner(),
    };
    let session = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Ok().json(ModeResponse {
        session_id: session.session_id.to_string(),
        project_id: session.project_id.to_string(),
        mode: session.mode,
    }))
}
