//! Extractors that give handlers typed facts about the caller.
//!
//! [`AuthUser`] is the one authentication extractor: every non-public route takes it. It
//! verifies the bearer token without touching the database and applies the per-user request
//! quota. [`Client`] resolves the client's address (believing `X-Forwarded-For` only from
//! trusted proxies), user agent and request id for rate limits and the audit trail.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use socrates_agents::ServiceContainer;
use socrates_auth::ClientContext;
use socrates_domain::{Code, UserId};
use socrates_infra::rate_limit::RateDecision;

use crate::config::ApiConfig;
use crate::error::ApiError;
use crate::request_context::RequestId;

/// The authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    /// Who is calling.
    pub user_id: UserId,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let services = request.app_data::<web::Data<ServiceContainer>>().cloned();
        let root_span = request
            .extensions()
            .get::<tracing_actix_web::RootSpan>()
            .cloned();
        let authorization = request
            .headers()
            .get(header::AUTHORIZATION)
            .map(|value| value.to_str().map(str::to_owned));
        Box::pin(async move {
            let services = services.ok_or_else(|| {
                ApiError::internal(Code::ConfigurationError, "no service container")
            })?;
            let token = match authorization {
                None => {
                    return Err(ApiError::new(
                        Code::Unauthenticated,
                        "missing Authorization header; send `Authorization: Bearer <access token>`",
                    ));
                }
                Some(Err(_)) => {
                    return Err(ApiError::new(
                        Code::TokenInvalid,
                        "malformed Authorization header",
                    ));
                }
                Some(Ok(value)) => bearer_token(&value).ok_or_else(|| {
                    ApiError::new(
                        Code::TokenInvalid,
                        "the Authorization scheme must be Bearer",
                    )
                })?,
            };
            let user_id = services
                .auth()
                .tokens()
                .verify_access(&token)
                .map_err(|error| ApiError::from_error(&error))?;
            // The request's log span (and its exported trace) names the caller from here on.
            if let Some(span) = &root_span {
                span.record("user.id", tracing::field::display(user_id));
            }
            let limits = services.request_limits();
            if limits.enabled {
                let key = format!("user:{user_id}");
                match services.rate_limiter().check(&key, limits.per_user).await {
                    Ok(RateDecision::Allowed) => {}
                    Ok(RateDecision::Limited { retry_after }) => {
                        let seconds = retry_after.as_secs().max(1);
                        return Err(ApiError::new(
                            Code::RateLimited,
                            format!("too many requests; retry in {seconds} s"),
                        )
                        .with_retry_after(seconds));
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, "rate limiter unavailable; request allowed");
                    }
                }
            }
            Ok(Self { user_id })
        })
    }
}

/// Leave to read `/metrics`: with `telemetry.metrics_token` configured, the request must
/// carry it as a bearer token (compared in constant time); without one, everyone may read.
#[derive(Debug, Clone, Copy)]
pub struct MetricsAccess;

impl FromRequest for MetricsAccess {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let config = request.app_data::<web::Data<ApiConfig>>();
        let allowed = match config.and_then(|config| config.metrics_token.as_deref()) {
            None => true,
            Some(expected) => {
                let presented = request
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|value| value.to_str().ok())
                    .and_then(bearer_token)
                    .unwrap_or_default();
                constant_time_eq(presented.as_bytes(), expected.as_bytes())
            }
        };
        std::future::ready(if allowed {
            Ok(Self)
        } else {
            Err(ApiError::new(
                Code::Unauthenticated,
                "the metrics need the configured bearer token",
            ))
        })
    }
}

/// Compares without stopping at the first difference, so timing tells nothing of the token.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0_u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// A JSON body that must be an object of the request's shape. It is read like [`web::Json`]
/// (a malformed body is a 400 `INVALID_JSON`, a wrong content type a 415, an oversized one a
/// 413), except that a JSON array is refused too: serde fills a struct from an array of its
/// fields in order, so `["name"]` would otherwise pass for `{"name": …}`.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Json::<JsonObject<T>>::from_request(request, payload);
        Box::pin(async move { Ok(Self(body.await?.into_inner().0)) })
    }
}

/// `T` read from a JSON object and nothing else.
struct JsonObject<T>(T);

impl<'de, T: serde::de::DeserializeOwned> serde::Deserialize<'de> for JsonObject<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, Unexpected};
        let fields = match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Object(fields) => fields,
            other => {
                let unexpected = match &other {
                    serde_json::Value::Null => Unexpected::Unit,
                    serde_json::Value::Bool(value) => Unexpected::Bool(*value),
                    serde_json::Value::Number(_) => Unexpected::Other("a number"),
                    serde_json::Value::String(_) => Unexpected::Other("a string"),
                    serde_json::Value::Array(_) => Unexpected::Seq,
                    serde_json::Value::Object(_) => Unexpected::Map,
                };
                return Err(D::Error::invalid_type(unexpected, &"a JSON object"));
            }
        };
        T::deserialize(serde_json::Value::Object(fields))
            .map(Self)
            .map_err(D::Error::custom)
    }
}

/// A JSON body that may be left out entirely: no body (no `Content-Length`, or `0`) gives
/// `None`; a body that is there is read like [`Json`] — it must be an object of the request's
/// shape (anything else is a 400 `INVALID_JSON`), a wrong content type is a 415, an oversized
/// body a 413 — and is never silently replaced by `None`.
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let headers = request.headers();
        let empty = match headers.get(header::CONTENT_LENGTH) {
            Some(length) => length.as_bytes() == b"0",
            None => !headers.contains_key(header::TRANSFER_ENCODING),
        };
        if empty {
            return Box::pin(std::future::ready(Ok(Self(None))));
        }
        let body = Json::<T>::from_request(request, payload);
        Box::pin(async move { Ok(Self(Some(body.await?.into_inner()))) })
    }
}

/// `Bearer <token>` (scheme case-insensitive) → the token.
pub(crate) fn bearer_token(value: &str) -> Option<String> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// The caller's address, user agent and request id.
#[derive(Debug, Clone)]
pub struct Client(pub ClientContext);

impl FromRequest for Client {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let config = request.app_data::<web::Data<ApiConfig>>();
        let trusted: &[IpAddr] = config.map_or(&[], |config| config.trusted_proxies.as_slice());
        let peer = request.peer_addr().map(|address| address.ip());
        let forwarded = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok());
        let ip = client_ip(peer, forwarded, trusted);
        let user_agent = request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(512).collect());
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone());
        std::future::ready(Ok(Self(ClientContext {
            ip: ip.map(|ip| ip.to_string()),
            user_agent,
            request_id,
        })))
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// right-most address of `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(forwarded_for) = forwarded_for else {
        return Some(peer);
    };
    let mut last = peer;
    for hop in forwarded_for.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(address) if trusted.contains(&address) => last = address,
            Ok(address) => return Some(address),
            Err(_) => return Some(last),
        }
    }
    Some(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_equal_only_byte_for_byte() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }

    #[test]
    fn bearer_tokens_are_parsed_strictly() {
        assert_eq!(bearer_token("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(bearer_token("bearer abc").as_deref(), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("abc"), None);
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let spoofed = Some("1.2.3.4, 203.0.113.7");
        assert_eq!(
            client_ip(Some(client), Some("1.2.3.4"), &[proxy]),
            Some(client)
        );
        assert_eq!(client_ip(Some(proxy), spoofed, &[proxy]), Some(client));
        assert_eq!(
            client_ip(Some(proxy), Some("203.0.113.7, 10.0.0.1"), &[proxy]),
            Some(client)
        );
        assert_eq!(client_ip(Some(proxy), None, &[proxy]), Some(proxy));
        assert_eq!(
            client_ip(Some(proxy), Some("garbage"), &[proxy]),
            Some(proxy)
        );
    }
}
