//! Error classification shared by every crate.
//!
//! Each library crate keeps its own `thiserror` enum and implements [`ErrorCode`] for it; the
//! stable machine code ([`Code`]) goes into the `error_code` field of the JSON error, and its
//! [`ErrorKind`] decides the HTTP status. Only the api crate knows HTTP: this crate never
//! mentions a status number.

use std::fmt;

use serde::{Serialize, Serializer};

/// Broad class of an error, from which the api crate derives the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request is malformed or fails validation.
    InvalidInput,
    /// No valid credentials were presented.
    Unauthenticated,
    /// The caller is known but not allowed to do this.
    Forbidden,
    /// The resource does not exist or is not visible to the caller.
    NotFound,
    /// The request contradicts the current state of the resource.
    Conflict,
    /// The request body is too large.
    PayloadTooLarge,
    /// The request body has a content type the endpoint does not accept.
    UnsupportedMediaType,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The caller sent too many requests.
    RateLimited,
    /// An upstream service (an LLM provider) failed or answered nonsense.
    Upstream,
    /// An upstream service did not answer in time.
    UpstreamTimeout,
    /// A dependency is temporarily unavailable; retrying later may succeed.
    Unavailable,
    /// A bug or misconfiguration on our side; the cause is logged, never shown.
    Internal,
}

/// Declares [`Code`] from one table of `Variant => "STORED_CODE", Kind` rows.
macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, $kind:ident; )+) => {
        /// A stable, machine-readable error code, sent as `error_code` in every error response.
        /// Values never change once published; clients may match on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )+
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: [Self; [$($code),+].len()] = [$(Self::$variant),+];

            /// The SCREAMING_SNAKE_CASE wire value.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// The class of error this code belongs to.
            #[must_use]
            pub const fn kind(self) -> ErrorKind {
                match self {
                    $(Self::$variant => ErrorKind::$kind,)+
                }
            }
        }
    };
}

codes! {
    /// Generic validation failure; `details` names the fields.
    ValidationError => "VALIDATION_ERROR", InvalidInput;
    /// The body is not valid JSON or does not match the expected shape.
    InvalidJson => "INVALID_JSON", InvalidInput;
    /// The query string is malformed.
    InvalidQuery => "INVALID_QUERY", InvalidInput;
    /// A path parameter is malformed (for example not a UUID).
    InvalidPath => "INVALID_PATH", InvalidInput;
    /// The email address is not valid.
    InvalidEmail => "INVALID_EMAIL", InvalidInput;
    /// The password breaks the password policy.
    WeakPassword => "WEAK_PASSWORD", InvalidInput;
    /// The category is not one of the ten and matches no alias.
    InvalidCategory => "INVALID_CATEGORY", InvalidInput;
    /// The `Host` header names a host this server does not serve.
    InvalidHost => "INVALID_HOST", InvalidInput;
    /// No or malformed credentials.
    Unauthenticated => "UNAUTHENTICATED", Unauthenticated;
    /// Unknown email or wrong password (deliberately indistinguishable).
    InvalidCredentials => "INVALID_CREDENTIALS", Unauthenticated;
    /// The access or refresh token has expired.
    TokenExpired => "TOKEN_EXPIRED", Unauthenticated;
    /// The token is malformed, revoked or signed with another key.
    TokenInvalid => "TOKEN_INVALID", Unauthenticated;
    /// The caller may not perform this action.
    Forbidden => "FORBIDDEN", Forbidden;
    /// The account is inactive or suspended.
    AccountInactive => "ACCOUNT_INACTIVE", Forbidden;
    /// Generic missing resource.
    NotFound => "NOT_FOUND", NotFound;
    /// No route matches the path.
    RouteNotFound => "ROUTE_NOT_FOUND", NotFound;
    /// The user does not exist.
    UserNotFound => "USER_NOT_FOUND", NotFound;
    /// The project does not exist or belongs to someone else.
    ProjectNotFound => "PROJECT_NOT_FOUND", NotFound;
    /// The session does not exist.
    SessionNotFound => "SESSION_NOT_FOUND", NotFound;
    /// The question does not exist.
    QuestionNotFound => "QUESTION_NOT_FOUND", NotFound;
    /// The specification fact does not exist.
    SpecificationNotFound => "SPECIFICATION_NOT_FOUND", NotFound;
    /// The conflict does not exist.
    ConflictNotFound => "CONFLICT_NOT_FOUND", NotFound;
    /// The code generation does not exist.
    GenerationNotFound => "GENERATION_NOT_FOUND", NotFound;
    /// The knowledge-base document does not exist in the project.
    DocumentNotFound => "DOCUMENT_NOT_FOUND", NotFound;
    /// No product template has this id.
    TemplateNotFound => "TEMPLATE_NOT_FOUND", NotFound;
    /// An account with this email already exists.
    EmailTaken => "EMAIL_TAKEN", Conflict;
    /// Generic duplicate resource.
    AlreadyExists => "ALREADY_EXISTS", Conflict;
    /// The conflict has already been resolved.
    ConflictAlreadyResolved => "CONFLICT_ALREADY_RESOLVED", Conflict;
    /// The question has already been answered.
    QuestionAlreadyAnswered => "QUESTION_ALREADY_ANSWERED", Conflict;
    /// The project already holds a document with the same bytes.
    DocumentAlreadyUploaded => "DOCUMENT_ALREADY_UPLOADED", Conflict;
    /// An export or a generated archive would be larger than the configured limit.
    ExportTooLarge => "EXPORT_TOO_LARGE", Conflict;
    /// The session has ended.
    SessionEnded => "SESSION_ENDED", Conflict;
    /// A direct-chat message was sent to a session in Socratic mode.
    SessionNotInChatMode => "SESSION_NOT_IN_CHAT_MODE", Conflict;
    /// The project is archived: it can be read and exported, not changed.
    ProjectArchived => "PROJECT_ARCHIVED", Conflict;
    /// Every question of every category has been asked in this project.
    QuestionsExhausted => "QUESTIONS_EXHAUSTED", Conflict;
    /// The project may not move to its next phase yet; `details` lists the reasons.
    PhaseAdvanceRefused => "PHASE_ADVANCE_REFUSED", Conflict;
    /// Code generation needs 100 % maturity.
    MaturityNotReached => "MATURITY_NOT_REACHED", Conflict;
    /// Quality control blocks code generation: open conflicts or coverage gaps.
    GenerationBlocked => "GENERATION_BLOCKED", Conflict;
    /// The generation has not completed, or the project has no completed generation yet: its
    /// code cannot be downloaded yet.
    GenerationNotReady => "GENERATION_NOT_READY", Conflict;
    /// The resource changed since the caller read it.
    StaleVersion => "STALE_VERSION", Conflict;
    /// The request body is too large.
    PayloadTooLarge => "PAYLOAD_TOO_LARGE", PayloadTooLarge;
    /// The content type is not accepted.
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE", UnsupportedMediaType;
    /// The method is not allowed on this route.
    MethodNotAllowed => "METHOD_NOT_ALLOWED", MethodNotAllowed;
    /// Too many requests.
    RateLimited => "RATE_LIMITED", RateLimited;
    /// The orchestrator was asked for an agent that is not registered.
    UnknownAgent => "UNKNOWN_AGENT", Internal;
    /// An agent was asked for an action it does not support.
    UnsupportedAction => "UNSUPPORTED_ACTION", Internal;
    /// The LLM provider returned an error.
    LlmError => "LLM_ERROR", Upstream;
    /// The LLM answered with output that could not be parsed, even after a repair attempt.
    LlmInvalidResponse => "LLM_INVALID_RESPONSE", Upstream;
    /// The LLM provider is rate limiting us.
    LlmRateLimited => "LLM_RATE_LIMITED", Unavailable;
    /// The LLM provider did not answer in time.
    LlmTimeout => "LLM_TIMEOUT", UpstreamTimeout;
    /// The LLM provider cannot be reached.
    LlmUnavailable => "LLM_UNAVAILABLE", Unavailable;
    /// A database cannot be reached.
    DatabaseUnavailable => "DATABASE_UNAVAILABLE", Unavailable;
    /// The service is starting, draining or overloaded.
    ServiceUnavailable => "SERVICE_UNAVAILABLE", Unavailable;
    /// The request did not finish within its end-to-end deadline.
    DeadlineExceeded => "DEADLINE_EXCEEDED", Unavailable;
    /// A database query failed unexpectedly.
    DatabaseError => "DATABASE_ERROR", Internal;
    /// The service is misconfigured.
    ConfigurationError => "CONFIGURATION_ERROR", Internal;
    /// Any other unexpected failure.
    InternalError => "INTERNAL_ERROR", Internal;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for Code {
    /// A code serialises as its wire value, e.g. `"PROJECT_NOT_FOUND"`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Implemented by every crate's error type so the api crate can classify it without knowing it.
pub trait ErrorCode {
    /// The stable machine code of this error.
    fn code(&self) -> Code;

    /// The class of this error; derived from the code unless overridden.
    fn kind(&self) -> ErrorKind {
        self.code().kind()
    }

    /// How long the caller should wait before retrying, when the error knows (a provider's
    /// `Retry-After`); sent as `Retry-After`.
    fn retry_after(&self) -> Option<std::time::Duration> {
        None
    }
}

/// How many characters of a rejected input an error message repeats: enough to recognise it,
/// never so many that a 100 kB value comes back whole in the answer (and in every log line).
pub const ECHO_MAX_CHARS: usize = 40;

/// `input` as an error message repeats it: whole when it has at most [`ECHO_MAX_CHARS`]
/// characters, else its first [`ECHO_MAX_CHARS`] characters followed by `…`.
#[must_use]
pub fn echo(input: &str) -> std::borrow::Cow<'_, str> {
    match input.char_indices().nth(ECHO_MAX_CHARS) {
        None => std::borrow::Cow::Borrowed(input),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}…", &input[..cut])),
    }
}

/// Every way a domain value or rule table can be refused: the one error type of this crate.
///
/// The message is written for the person who sent the value (or wrote the data file) and
/// names what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// An input field failed validation. `field` is the name the API exposes (`email`, `name`,
    /// `key`…); errors on `email` classify as `INVALID_EMAIL`, every other field as
    /// `VALIDATION_ERROR`.
    #[error("{field}: {message}")]
    Invalid {
        /// The input field that failed validation.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A string that names no variant of a domain enum. `kind` is the human name of the enum
    /// ("category", "session mode"); an unknown category is `INVALID_CATEGORY`, any other
    /// `VALIDATION_ERROR`.
    #[error("unknown {kind} `{}`; expected one of: {expected}", echo(.value))]
    UnknownValue {
        /// Human name of the enum the value was meant for.
        kind: &'static str,
        /// The rejected input, as given (the message repeats at most [`ECHO_MAX_CHARS`] of it).
        value: String,
        /// The accepted stored values, separated by `", "`.
        expected: String,
    },
    /// A knowledge file (technologies, vocabulary, conflict rules, the reasoner's lexicon and
    /// question bank) cannot be used. A configuration error: `INTERNAL_ERROR` if it ever
    /// reached a response.
    #[error("{file}: {message}")]
    Knowledge {
        /// The file (or the built-in file's name).
        file: String,
        /// What is wrong, with the entry.
        message: String,
    },
}

impl DomainError {
    /// A validation error on `field`.
    #[must_use]
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    /// `value` names no `kind`; the accepted values are `expected`, in order.
    #[must_use]
    pub fn unknown_value(kind: &'static str, value: &str, expected: &[&str]) -> Self {
        Self::UnknownValue {
            kind,
            value: value.to_owned(),
            expected: expected.join(", "),
        }
    }

    /// A problem in the knowledge file `file`.
    #[must_use]
    pub fn knowledge(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Knowledge {
            file: file.into(),
            message: message.into(),
        }
    }

    /// The input field a validation error is about.
    #[must_use]
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::UnknownValue { .. } | Self::Knowledge { .. } => None,
        }
    }
}

impl ErrorCode for DomainError {
    fn code(&self) -> Code {
        match self {
            Self::Invalid { field, .. } if *field == crate::Email::FIELD => Code::InvalidEmail,
            Self::UnknownValue { kind, .. } if *kind == "category" => Code::InvalidCategory,
            Self::Invalid { .. } | Self::UnknownValue { .. } => Code::ValidationError,
            Self::Knowledge { .. } => Code::InternalError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// `ProjectNotFound` → `PROJECT_NOT_FOUND`.
    fn screaming_snake_case(pascal: &str) -> String {
        let mut out = String::new();
        for (index, c) in pascal.chars().enumerate() {
            if c.is_ascii_uppercase() && index > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    }

    #[test]
    fn codes_are_unique_and_screaming_snake_case() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            let value = code.as_str();
            assert!(seen.insert(value), "duplicate code {value}");
            assert!(
                value.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{value} is not SCREAMING_SNAKE_CASE"
            );
            assert!(!value.starts_with('_') && !value.ends_with('_') && !value.contains("__"));
        }
        assert_eq!(seen.len(), 57);
    }

    #[test]
    fn variant_names_spell_their_codes() {
        for code in Code::ALL {
            assert_eq!(screaming_snake_case(&format!("{code:?}")), code.as_str());
        }
    }

    #[test]
    fn kinds_follow_the_table() {
        let cases = [
            (Code::ValidationError, ErrorKind::InvalidInput),
            (Code::InvalidCategory, ErrorKind::InvalidInput),
            (Code::TokenExpired, ErrorKind::Unauthenticated),
            (Code::AccountInactive, ErrorKind::Forbidden),
            (Code::RouteNotFound, ErrorKind::NotFound),
            (Code::GenerationNotFound, ErrorKind::NotFound),
            (Code::PhaseAdvanceRefused, ErrorKind::Conflict),
            (Code::MaturityNotReached, ErrorKind::Conflict),
            (Code::PayloadTooLarge, ErrorKind::PayloadTooLarge),
            (Code::UnsupportedMediaType, ErrorKind::UnsupportedMediaType),
            (Code::MethodNotAllowed, ErrorKind::MethodNotAllowed),
            (Code::RateLimited, ErrorKind::RateLimited),
            (Code::UnknownAgent, ErrorKind::Internal),
            (Code::LlmInvalidResponse, ErrorKind::Upstream),
            (Code::LlmRateLimited, ErrorKind::Unavailable),
            (Code::LlmTimeout, ErrorKind::UpstreamTimeout),
            (Code::DatabaseUnavailable, ErrorKind::Unavailable),
            (Code::DatabaseError, ErrorKind::Internal),
            (Code::InternalError, ErrorKind::Internal),
        ];
        for (code, kind) in cases {
            assert_eq!(code.kind(), kind, "{code}");
        }
    }

    #[test]
    fn code_serialises_and_displays_as_its_wire_value() {
        assert_eq!(
            serde_json::to_string(&Code::ProjectNotFound).unwrap(),
            "\"PROJECT_NOT_FOUND\""
        );
        assert_eq!(Code::EmailTaken.to_string(), "EMAIL_TAKEN");
        assert_eq!(
            serde_json::to_string(&ErrorKind::UpstreamTimeout).unwrap(),
            "\"upstream_timeout\""
        );
    }

    #[test]
    fn error_code_kind_defaults_to_the_code_kind() {
        struct Gone;
        impl ErrorCode for Gone {
            fn code(&self) -> Code {
                Code::SessionNotFound
            }
        }
        assert_eq!(Gone.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn echoed_inputs_are_capped_at_forty_characters() {
        assert_eq!(echo("robot"), "robot");
        let forty = "é".repeat(ECHO_MAX_CHARS);
        assert_eq!(echo(&forty), forty.as_str());
        let long = "m".repeat(100_000);
        assert_eq!(echo(&long), format!("{}…", "m".repeat(ECHO_MAX_CHARS)));
        let error = DomainError::unknown_value("session mode", &long, &["socratic"]);
        assert_eq!(
            error.to_string(),
            format!(
                "unknown session mode `{}…`; expected one of: socratic",
                "m".repeat(40)
            )
        );
    }

    #[test]
    fn unknown_values_classify_by_enum() {
        let category = crate::Category::normalise("marketing").unwrap_err();
        assert_eq!(category.code(), Code::InvalidCategory);
        let mode = "robot".parse::<crate::SessionMode>().unwrap_err();
        assert_eq!(mode.code(), Code::ValidationError);
        assert_eq!(mode.kind(), ErrorKind::InvalidInput);
    }
}
