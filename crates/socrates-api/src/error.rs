//! The one error shape of the API and the mapping from error kinds to HTTP statuses.
//!
//! Every failure leaves as `{"error", "error_code", "details", "request_id"}`. Handlers return
//! [`ApiError`]; the request-context middleware adds the request id and also rewrites actix's
//! own failures (unknown route, wrong method, bad JSON…) into the same shape.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{Value, json};
use socrates_domain::{Code, ErrorCode, ErrorKind};

/// An error on its way to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: Code,
    message: String,
    details: Value,
    /// The cause of an internal error: logged with the request id, never sent.
    internal_cause: Option<String>,
    /// Seconds the client should wait (`Retry-After`), for 429 and 503.
    retry_after_seconds: Option<u64>,
}

impl ApiError {
    /// An error with a stable code and a human message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: json!({}),
            internal_cause: None,
            retry_after_seconds: None,
        }
    }

    /// Asks the client to wait before retrying (`Retry-After`).
    #[must_use]
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_seconds = Some(seconds);
        self
    }

    /// Adds machine-readable details.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// An internal error: the client sees a generic message, the log gets `cause`.
    pub fn internal(code: Code, cause: impl std::fmt::Display) -> Self {
        Self {
            code,
            message: "an internal error occurred; quote the request id when reporting it"
                .to_owned(),
            details: json!({}),
            internal_cause: Some(cause.to_string()),
            retry_after_seconds: None,
        }
    }

    /// Converts any classified library error, hiding the cause of internal ones.
    pub fn from_error<E>(error: &E) -> Self
    where
        E: ErrorCode + std::fmt::Display,
    {
        let code = error.code();
        let api_error = match code.kind() {
            ErrorKind::Internal
            | ErrorKind::Unavailable
            | ErrorKind::Upstream
            | ErrorKind::UpstreamTimeout => {
                let mut api_error = Self::internal(code, error);
                if code.kind() != ErrorKind::Internal {
                    api_error.message = public_message(code.kind()).to_owned();
                }
                api_error
            }
            _ => Self::new(code, error.to_string()),
        };
        match error.retry_after() {
            // Rounded up: a client that waits what it is told is never early.
            Some(wait) => {
                api_error.with_retry_after(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
            }
            // Every 503 says when to come back, so clients back off instead of hammering.
            None if code.kind() == ErrorKind::Unavailable => {
                api_error.with_retry_after(UNAVAILABLE_RETRY_AFTER_SECONDS)
            }
            None => api_error,
        }
    }

    /// The stable code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The error in the one error shape, for a response already under way (the last event of
    /// a stream), where no middleware can rewrite it; the cause of a server-side failure is
    /// logged here with the request id, as for any other failed request.
    pub(crate) fn envelope(&self, request_id: &str) -> Value {
        if status_of(self.code.kind()).is_server_error() {
            tracing::error!(
                request_id,
                error_code = self.code.as_str(),
                cause = self.internal_cause.as_deref().unwrap_or("unknown"),
                "streamed request failed"
            );
        }
        json!({
            "error": self.message,
            "error_code": self.code.as_str(),
            "details": self.details,
            "request_id": request_id,
        })
    }
}

impl From<socrates_agents::agent::AgentError> for ApiError {
    fn from(error: socrates_agents::agent::AgentError) -> Self {
        let details = error.details().cloned();
        let api_error = Self::from_error(&error);
        match details {
            Some(details) => api_error.with_details(details),
            None => api_error,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// The HTTP status of an error kind. Only this crate knows HTTP.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::InvalidInput => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Upstream => StatusCode::BAD_GATEWAY,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn public_message(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Unavailable => "a dependency of the service is unavailable; retry shortly",
        ErrorKind::Upstream => "an upstream provider failed",
        ErrorKind::UpstreamTimeout => "an upstream provider did not answer in time",
        _ => "an internal error occurred; quote the request id when reporting it",
    }
}

/// The error body before the request id is known; carried in the response's extensions so the
/// request-context middleware can finish it.
#[derive(Debug, Clone)]
pub(crate) struct PendingErrorBody {
    pub code: Code,
    pub message: String,
    pub details: Value,
    pub internal_cause: Option<String>,
}

/// The wire shape of every error, as documented in the OpenAPI description.
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation only: the envelope is serialised by ErrorEnvelope"
)]
pub(crate) struct ErrorBody {
    /// A human message (may change).
    error: String,
    /// The stable machine-readable code (see docs/api/errors.md).
    error_code: String,
    /// Machine-readable details; always an object.
    details: Value,
    /// The request id, also in the `X-Request-Id` header.
    request_id: String,
}

/// `Retry-After` of a 503 whose cause does not say how long to wait (a database or the
/// language model out of reach): long enough for a pool to reconnect or a replica to take over.
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 5;

/// The wire shape of every error.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorEnvelope<'a> {
    pub error: &'a str,
    pub error_code: &'a str,
    pub details: &'a Value,
    pub request_id: &'a str,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(self.code.kind())
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status_code());
        if let Some(seconds) = self.retry_after_seconds {
            builder.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        if self.code.kind() == ErrorKind::Unauthenticated {
            builder.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"));
        }
        let mut response = builder.finish();
        response.extensions_mut().insert(PendingErrorBody {
            code: self.code,
            message: self.message.clone(),
            details: self.details.clone(),
            internal_cause: self.internal_cause.clone(),
        });
        response
    }
}

/// The longest parse-error message the API repeats, in characters: room for the field, the
/// capped value and the accepted values, never for the request itself.
const MAX_PARSE_MESSAGE_CHARS: usize = 500;

/// A serde message about a body, query or path, with every quoted input in it (`` `value` ``
/// or `"value"`) cut to [`socrates_domain::ECHO_MAX_CHARS`] characters, and the message as a
/// whole to [`MAX_PARSE_MESSAGE_CHARS`]: serde repeats an unknown variant, an unknown field or
/// a mistyped string whole, however long the client made it.
pub(crate) fn capped_parse_message(message: &str) -> String {
    let mut capped = String::new();
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = &rest[open..=open];
        capped.push_str(&rest[..=open]);
        let quoted = &rest[open + 1..];
        let close = closing_quote(quoted, quote);
        capped.push_str(&socrates_domain::echo(
            &quoted[..close.unwrap_or(quoted.len())],
        ));
        match close {
            Some(close) => {
                capped.push_str(quote);
                rest = &quoted[close + 1..];
            }
            None => rest = "",
        }
    }
    capped.push_str(rest);
    match capped.char_indices().nth(MAX_PARSE_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &capped[..cut]),
        None => capped,
    }
}

/// The byte offset of the quote that ends `quoted`. Inside double quotes (serde's debug
/// format of a string) a backslash escapes the next character. Serde does not escape a
/// backtick inside an unknown variant or field, so that one ends where serde's own text
/// resumes (the last "`, expected" or "`, there are no"), whatever backticks the input holds.
fn closing_quote(quoted: &str, quote: &str) -> Option<usize> {
    if quote == "`" {
        return quoted
            .rfind("`, expected")
            .or_else(|| quoted.rfind("`, there are no"))
            .or_else(|| quoted.find('`'));
    }
    let mut escaped = false;
    for (index, character) in quoted.char_indices() {
        match character {
            '\\' if !escaped => escaped = true,
            _ if !escaped && quoted[index..].starts_with(quote) => return Some(index),
            _ => escaped = false,
        }
    }
    None
}

/// The envelope for a failure actix produced itself (no [`ApiError`] involved).
pub(crate) fn pending_for_status(status: StatusCode) -> PendingErrorBody {
    let (code, message) = match status {
        StatusCode::NOT_FOUND => (Code::RouteNotFound, "no such route"),
        StatusCode::METHOD_NOT_ALLOWED => {
            (Code::MethodNotAllowed, "method not allowed on this route")
        }
        StatusCode::PAYLOAD_TOO_LARGE => (Code::PayloadTooLarge, "request body too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            (Code::UnsupportedMediaType, "unsupported content type")
        }
        StatusCode::UNAUTHORIZED => (Code::Unauthenticated, "authentication required"),
        StatusCode::FORBIDDEN => (Code::Forbidden, "forbidden"),
        StatusCode::TOO_MANY_REQUESTS => (Code::RateLimited, "too many requests"),
        status if status.is_client_error() => (Code::ValidationError, "the request is invalid"),
        StatusCode::SERVICE_UNAVAILABLE => (Code::ServiceUnavailable, "the service is unavailable"),
        _ => (
            Code::InternalError,
            "an internal error occurred; quote the request id when reporting it",
        ),
    };
    PendingErrorBody {
        code,
        message: message.to_owned(),
        details: json!({}),
        internal_cause: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/api/errors.md` lists every code with its status, and nothing else.
    #[test]
    fn error_codes_document_is_complete() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api/errors.md");
        let document = std::fs::read_to_string(path).unwrap();
        let rows: Vec<(String, u16)> = document
            .lines()
            .filter(|line| line.starts_with("| `"))
            .map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                (
                    cells[1].trim_matches('`').to_owned(),
                    cells[2].parse().unwrap(),
                )
            })
            .collect();
        assert_eq!(rows.len(), Code::ALL.len(), "one row per code");
        for code in Code::ALL {
            let row = rows.iter().find(|(name, _)| name == code.as_str());
            let Some((_, status)) = row else {
                panic!("{} is missing from docs/api/errors.md", code.as_str());
            };
            assert_eq!(
                *status,
                status_of(code.kind()).as_u16(),
                "{}",
                code.as_str()
            );
        }
    }

    #[test]
    fn parse_messages_repeat_at_most_forty_characters_of_each_input() {
        let long = "m".repeat(100_000);
        let capped_value = format!("{}…", "m".repeat(40));
        let variant = format!(
            "Json deserialize error: unknown variant `{long}`, expected one of `socratic`, `direct_chat` at line 1 column 100011"
        );
        assert_eq!(
            capped_parse_message(&variant),
            format!(
                "Json deserialize error: unknown variant `{capped_value}`, expected one of `socratic`, `direct_chat` at line 1 column 100011"
            )
        );
        let string = format!("invalid type: string \"{long}\\\"{long}\", expected a boolean");
        assert_eq!(
            capped_parse_message(&string),
            format!("invalid type: string \"{capped_value}\", expected a boolean")
        );
        // Backticks inside the input cannot smuggle a long stretch out of the cap.
        let tricky = format!("unknown field `a`{long}`, expected `b`, expected `mode`");
        assert_eq!(
            capped_parse_message(&tricky),
            format!("unknown field `a`{}…`, expected `mode`", "m".repeat(38))
        );
        // Whatever the message, it stays short.
        let unquoted = format!("invalid length {long}");
        assert_eq!(capped_parse_message(&unquoted).chars().count(), 501);
        // Short inputs and unquoted messages are left as they are.
        let short = "unknown variant `robot`, expected `socratic` at line 1 column 15";
        assert_eq!(capped_parse_message(short), short);
        assert_eq!(
            capped_parse_message("expected value at line 1 column 1"),
            "expected value at line 1 column 1"
        );
        assert_eq!(
            capped_parse_message("unterminated `abc"),
            "unterminated `abc"
        );
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let error = ApiError::internal(Code::DatabaseError, "relation \"users\" does not exist");
        assert!(!error.to_string().contains("relation"));
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let pending = response
            .extensions()
            .get::<PendingErrorBody>()
            .cloned()
            .unwrap();
        assert!(!pending.message.contains("relation"));
        assert_eq!(
            pending.internal_cause.as_deref(),
            Some("relation \"users\" does not exist")
        );
    }
}
