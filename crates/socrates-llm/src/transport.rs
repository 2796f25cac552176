//! HTTP to one provider: hyper over rustls with the `ring` provider and the webpki roots, given
//! to each client explicitly so nothing depends on a process-wide crypto provider.
//!
//! Every attempt runs under the configured timeout, and every non-success status becomes a
//! typed [`LlmError`] here, so the providers only deal with success bodies.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{
    ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER, USER_AGENT,
};
use http::{Method, Request, Response, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::time::{Instant, timeout_at};

use crate::error::{LlmError, shorten};
use crate::retry::Failure;

/// The largest complete (non-streamed) body we read; a model answer is far smaller.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// How much of a provider's error explanation goes into an [`LlmError`].
const MAX_ERROR_MESSAGE_CHARS: usize = 300;

type HyperClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A connection pool to one provider, with the headers every request carries.
#[derive(Clone)]
pub(crate) struct Transport {
    client: HyperClient,
    base_url: String,
    headers: HeaderMap,
    timeout: Duration,
}

impl Transport {
    /// A transport to `base_url` (an `http` or `https` URL; a trailing `/` and `/v1` are
    /// dropped because the providers add their own API paths) sending `headers` with every
    /// request.
    pub(crate) fn new(
        base_url: &str,
        headers: HeaderMap,
        timeout: Duration,
    ) -> Result<Self, LlmError> {
        let base_url = normalise_base_url(base_url)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(timeout));
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls_config()?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        let mut all_headers = HeaderMap::new();
        all_headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        all_headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("socrates-llm/", env!("CARGO_PKG_VERSION"))),
        );
        all_headers.extend(headers);
        Ok(Self {
            client,
            base_url,
            headers: all_headers,
            timeout,
        })
    }

    /// The per-attempt timeout.
    pub(crate) const fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends one request and reads the whole success body, all within the timeout.
    pub(crate) async fn fetch(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Bytes, Failure> {
        let deadline = Instant::now() + self.timeout;
        let response = self.open_until(deadline, method, path, body).await?;
        let collected = timeout_at(
            deadline,
            Limited::new(response.into_body(), MAX_BODY_BYTES).collect(),
        )
        .await
        .map_err(|_| LlmError::Timeout)?
        .map_err(|error| LlmError::Connection(format!("reading the answer: {}", chain(&*error))))?;
        Ok(collected.to_bytes())
    }

    /// Sends one request and returns the success response once its head has arrived within
    /// the timeout; the caller reads the body (a stream).
    pub(crate) async fn open(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response<Incoming>, Failure> {
        self.open_until(Instant::now() + self.timeout, method, path, body)
            .await
    }

    async fn open_until(
        &self,
        deadline: Instant,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response<Incoming>, Failure> {
        let request = self.request(method, path, body)?;
        let response = timeout_at(deadline, self.client.request(request))
            .await
            .map_err(|_| LlmError::Timeout)?
            .map_err(|error| LlmError::Connection(chain(&error)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = parse_retry_after(response.headers());
        // The explanation is a courtesy: if it does not arrive in time, classify without it.
        let message = match timeout_at(
            deadline,
            Limited::new(response.into_body(), 64 * 1024).collect(),
        )
        .await
        {
            Ok(Ok(body)) => error_message(&body.to_bytes()),
            _ => String::new(),
        };
        let message = if message.is_empty() {
            status.canonical_reason().unwrap_or("error").to_owned()
        } else {
            message
        };
        Err(Failure {
            error: LlmError::from_status(status.as_u16(), retry_after, message),
            retry_after,
        })
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Request<Full<Bytes>>, LlmError> {
        let uri: Uri = format!("{}{path}", self.base_url)
            .parse()
            .map_err(|_| LlmError::Configuration(format!("invalid request path {path}")))?;
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(headers) = builder.headers_mut() {
            headers.extend(self.headers.clone());
            if body.is_some() {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
        }
        let bytes = match body {
            Some(value) => Bytes::from(serde_json::to_vec(value).map_err(|error| {
                LlmError::InvalidRequest(format!("cannot encode the request: {error}"))
            })?),
            None => Bytes::new(),
        };
        builder
            .body(Full::new(bytes))
            .map_err(|error| LlmError::Configuration(format!("cannot build the request: {error}")))
    }
}

/// A header that carries a secret: marked sensitive so hyper never logs it.
pub(crate) fn secret_header(
    name: &'static str,
    value: &str,
) -> Result<(HeaderName, HeaderValue), LlmError> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        LlmError::Configuration(
            "the API key contains characters that are not allowed in an HTTP header".to_owned(),
        )
    })?;
    value.set_sensitive(true);
    Ok((HeaderName::from_static(name), value))
}

/// The TLS settings of every client: TLS 1.2 and 1.3 from rustls with the `ring` provider,
/// trusting the Mozilla roots shipped in `webpki-roots`.
fn tls_config() -> Result<rustls::ClientConfig, LlmError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| LlmError::Configuration(format!("TLS setup failed: {error}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(config)
}

fn normalise_base_url(base_url: &str) -> Result<String, LlmError> {
    let trimmed = base_url.trim().trim_end_matches('/');
    let trimmed = trimmed.strip_suffix("/v1").unwrap_or(trimmed);
    let uri: Uri = trimmed
        .parse()
        .map_err(|_| LlmError::Configuration(format!("invalid base URL {trimmed:?}")))?;
    let scheme_is_http = matches!(uri.scheme_str(), Some("http" | "https"));
    if !scheme_is_http || uri.authority().is_none() || uri.query().is_some() {
        return Err(LlmError::Configuration(format!(
            "the base URL must be an http or https URL without a query, not {trimmed:?}"
        )));
    }
    Ok(trimmed.to_owned())
}

/// `Retry-After` in seconds (the form the providers send); HTTP dates are ignored.
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let seconds: f64 = text.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

/// The provider's own explanation from an error body: `error.message` (Anthropic, OpenAI),
/// `error` as a string (Ollama), `message`, or else the start of the body.
fn error_message(body: &[u8]) -> String {
    let from_json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| {
            value
                .pointer("/error/message")
                .or_else(|| value.get("error").filter(|error| error.is_string()))
                .or_else(|| value.get("message"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    shorten(&text, MAX_ERROR_MESSAGE_CHARS)
}

/// An error and its causes on one line ("client error (Connect): tcp connect error: …").
pub(crate) fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    shorten(&text, MAX_ERROR_MESSAGE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised_and_checked() {
        assert_eq!(
            normalise_base_url("https://api.openai.com/v1/").unwrap(),
            "https://api.openai.com"
        );
        assert_eq!(
            normalise_base_url("http://localhost:1234/proxy").unwrap(),
            "http://localhost:1234/proxy"
        );
        assert!(normalise_base_url("ftp://example.com").is_err());
        assert!(normalise_base_url("not a url").is_err());
        assert!(normalise_base_url("").is_err());
    }

    #[test]
    fn retry_after_in_seconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(parse_retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("0.5"));
        assert_eq!(
            parse_retry_after(&headers),
            Some(Duration::from_millis(500))
        );
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&headers), None);
    }

    #[test]
    fn error_messages_come_from_the_provider_shapes() {
        assert_eq!(
            error_message(br#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too big"}}"#),
            "max_tokens: too big"
        );
        assert_eq!(
            error_message(br#"{"error":"model 'llama9' not found"}"#),
            "model 'llama9' not found"
        );
        assert_eq!(
            error_message(b"<html>Bad Gateway</html>"),
            "<html>Bad Gateway</html>"
        );
        assert_eq!(error_message(&[b'x'; 1000]).chars().count(), 301);
    }

    #[test]
    fn tls_config_builds_without_a_process_default_provider() {
        let config = tls_config().unwrap();
        assert!(config.alpn_protocols.is_empty());
        assert!(
            Transport::new(
                "https://api.anthropic.com",
                HeaderMap::new(),
                Duration::from_secs(1)
            )
            .is_ok()
        );
    }

    #[test]
    fn secret_headers_are_sensitive_and_checked() {
        let (name, value) = secret_header("x-api-key", "sk-ant-123").unwrap();
        assert_eq!(name, "x-api-key");
        assert!(value.is_sensitive());
        let error = secret_header("x-api-key", "bad\nkey").unwrap_err();
        assert!(!error.to_string().contains("bad"));
    }
}
