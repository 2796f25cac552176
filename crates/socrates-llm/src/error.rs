//! The one error type of the crate and its stable codes.

use std::time::Duration;

use socrates_domain::{Code, ErrorCode};

/// Why a call to a language model failed. Messages name the failure and the provider's own
/// explanation, never the API key or the prompt.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// The provider refused the credentials (HTTP 401 or 403).
    #[error("the LLM provider refused the credentials (HTTP {status})")]
    Authentication {
        /// 401 or 403.
        status: u16,
    },
    /// The provider is rate limiting us (HTTP 429), still after the allowed retries.
    #[error("the LLM provider is rate limiting requests")]
    RateLimited {
        /// How long the provider asked us to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// No answer within the per-attempt timeout, still after the allowed retries.
    #[error("the LLM provider did not answer in time")]
    Timeout,
    /// The provider failed (HTTP 5xx, or an error event in a stream).
    #[error("the LLM provider failed (HTTP {status}): {message}")]
    Upstream {
        /// The HTTP status, or the status the provider's error type stands for.
        status: u16,
        /// The provider's explanation, shortened.
        message: String,
    },
    /// The provider cannot be reached: DNS, TCP, TLS or a connection dropped mid-answer.
    #[error("cannot reach the LLM provider: {0}")]
    Connection(String),
    /// The provider rejected the request (HTTP 4xx other than 401, 403 and 429), or the
    /// request breaks a rule every provider enforces.
    #[error("the LLM provider rejected the request: {0}")]
    InvalidRequest(String),
    /// The answer cannot be used: not JSON, a field missing, structured output that is not
    /// the requested JSON, or a stream that ended before its end marker.
    #[error("the LLM provider's answer is unusable: {0}")]
    InvalidResponse(String),
    /// The client cannot be built or used as configured (no API key, bad base URL, the
    /// offline provider).
    #[error("the LLM client is misconfigured: {0}")]
    Configuration(String),
}

impl LlmError {
    /// Whether another attempt may succeed: rate limiting, timeouts, 5xx and connection
    /// failures. Everything else fails the same way again.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Timeout | Self::Upstream { .. } | Self::Connection(_)
        )
    }

    /// Classifies a non-success HTTP status; `message` is the provider's explanation.
    pub(crate) fn from_status(status: u16, retry_after: Option<Duration>, message: String) -> Self {
        match status {
            401 | 403 => Self::Authentication { status },
            429 => Self::RateLimited { retry_after },
            400..=499 => Self::InvalidRequest(format!("HTTP {status}: {message}")),
            _ => Self::Upstream { status, message },
        }
    }

    /// Replaces every occurrence of each secret (API key, prompt text) in the error's message
    /// with `[redacted]`, in case a provider echoed one back. Secrets shorter than 8
    /// characters are left alone: they would blank out ordinary words.
    #[must_use]
    pub(crate) fn redacted<S: AsRef<str>>(self, secrets: &[S]) -> Self {
        let scrub = |mut message: String| {
            for secret in secrets.iter().map(AsRef::as_ref) {
                if secret.len() >= 8 && message.contains(secret) {
                    message = message.replace(secret, "[redacted]");
                }
            }
            message
        };
        match self {
            Self::Upstream { status, message } => Self::Upstream {
                status,
                message: scrub(message),
            },
            Self::Connection(message) => Self::Connection(scrub(message)),
            Self::InvalidRequest(message) => Self::InvalidRequest(scrub(message)),
            Self::InvalidResponse(message) => Self::InvalidResponse(scrub(message)),
            Self::Configuration(message) => Self::Configuration(scrub(message)),
            other => other,
        }
    }
}

impl ErrorCode for LlmError {
    /// Credentials, connection and configuration failures make the provider unavailable;
    /// rate limiting, timeouts and unusable answers have codes of their own; the rest is a
    /// provider error.
    fn code(&self) -> Code {
        match self {
            Self::Authentication { .. } | Self::Connection(_) | Self::Configuration(_) => {
                Code::LlmUnavailable
            }
            Self::RateLimited { .. } => Code::LlmRateLimited,
            Self::Timeout => Code::LlmTimeout,
            Self::Upstream { .. } | Self::InvalidRequest(_) => Code::LlmError,
            Self::InvalidResponse(_) => Code::LlmInvalidResponse,
        }
    }

    /// The provider's `Retry-After`, passed on to the client.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// Shortens a provider's message to at most `limit` characters, so an error never carries a
/// whole response body.
pub(crate) fn shorten(text: &str, limit: usize) -> String {
    let trimmed = text.trim();
    match trimmed.char_indices().nth(limit) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socrates_domain::ErrorKind;

    #[test]
    fn statuses_classify() {
        assert_eq!(
            LlmError::from_status(401, None, String::new()),
            LlmError::Authentication { status: 401 }
        );
        assert_eq!(
            LlmError::from_status(403, None, String::new()),
            LlmError::Authentication { status: 403 }
        );
        assert_eq!(
            LlmError::from_status(429, Some(Duration::from_secs(2)), String::new()),
            LlmError::RateLimited {
                retry_after: Some(Duration::from_secs(2))
            }
        );
        assert!(matches!(
            LlmError::from_status(404, None, "no such model".to_owned()),
            LlmError::InvalidRequest(message) if message == "HTTP 404: no such model"
        ));
        assert!(matches!(
            LlmError::from_status(529, None, String::new()),
            LlmError::Upstream { status: 529, .. }
        ));
    }

    #[test]
    fn only_transient_failures_are_retryable() {
        assert!(LlmError::Timeout.is_retryable());
        assert!(LlmError::Connection(String::new()).is_retryable());
        assert!(LlmError::RateLimited { retry_after: None }.is_retryable());
        assert!(LlmError::from_status(503, None, String::new()).is_retryable());
        assert!(!LlmError::from_status(400, None, String::new()).is_retryable());
        assert!(!LlmError::Authentication { status: 401 }.is_retryable());
        assert!(!LlmError::InvalidResponse(String::new()).is_retryable());
    }

    #[test]
    fn codes_and_kinds() {
        let cases = [
            (
                LlmError::Authentication { status: 401 },
                Code::LlmUnavailable,
            ),
            (LlmError::Connection(String::new()), Code::LlmUnavailable),
            (LlmError::Configuration(String::new()), Code::LlmUnavailable),
            (
                LlmError::RateLimited { retry_after: None },
                Code::LlmRateLimited,
            ),
            (LlmError::Timeout, Code::LlmTimeout),
            (
                LlmError::from_status(502, None, String::new()),
                Code::LlmError,
            ),
            (LlmError::InvalidRequest(String::new()), Code::LlmError),
            (
                LlmError::InvalidResponse(String::new()),
                Code::LlmInvalidResponse,
            ),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code, "{error:?}");
        }
        assert_eq!(LlmError::Timeout.kind(), ErrorKind::UpstreamTimeout);
        assert_eq!(
            LlmError::InvalidResponse(String::new()).kind(),
            ErrorKind::Upstream
        );
    }

    #[test]
    fn redaction_removes_secrets_from_messages() {
        let error =
            LlmError::InvalidRequest("bad key sk-ant-12345678 for 'plan a moon base'".into())
                .redacted(&["sk-ant-12345678", "plan a moon base", "a"]);
        let text = error.to_string();
        assert!(!text.contains("sk-ant"), "{text}");
        assert!(!text.contains("moon"), "{text}");
        assert!(text.contains("bad key [redacted]"), "{text}");
    }

    #[test]
    fn shortening_counts_characters() {
        assert_eq!(shorten("  short ", 10), "short");
        assert_eq!(shorten("ééééé", 3), "ééé…");
    }
}
