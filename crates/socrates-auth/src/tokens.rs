//! Access tokens (HS256 JWT, algorithm pinned) and opaque refresh/reset tokens (256 random
//! bits, stored only as SHA-256 hashes).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use socrates_domain::UserId;

use crate::error::AuthError;
use socrates_infra::clock::Clock;

/// The only algorithm accepted, in both directions.
const ALGORITHM: Algorithm = Algorithm::HS256;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// A unique id per token.
    pub jti: String,
    /// Always `access` (refresh tokens are opaque, never JWTs).
    #[serde(rename = "type")]
    pub token_type: String,
}

/// A freshly issued access token.
#[derive(Debug, Clone)]
pub struct IssuedAccessToken {
    /// The encoded JWT.
    pub token: String,
    /// Its lifetime in seconds.
    pub expires_in: i64,
}

/// Signs and verifies access tokens.
#[derive(Clone)]
pub struct TokenService {
    encoding_key: EncodingKey,
    decoding_key: DecodingKey,
    access_ttl: Duration,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("access_ttl", &self.access_ttl)
            .finish_non_exhaustive()
    }
}

impl TokenService {
    /// Minimum secret length accepted (bytes).
    pub const MIN_SECRET_BYTES: usize = 32;

    /// A token service signing with `secret` (at least [`Self::MIN_SECRET_BYTES`] bytes).
    pub fn new(secret: &[u8], access_ttl: Duration, clock: Arc<dyn Clock>) -> Result<Self, String> {
        if secret.len() < Self::MIN_SECRET_BYTES {
            return Err(format!(
                "the JWT secret must be at least {} bytes, got {}",
                Self::MIN_SECRET_BYTES,
                secret.len()
            ));
        }
        Ok(Self {
            encoding_key: EncodingKey::from_secret(secret),
            decoding_key: DecodingKey::from_secret(secret),
            access_ttl,
            clock,
        })
    }

    /// The lifetime of access tokens.
    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    /// Issues an access token for `user`.
    pub fn issue_access(&self, user: UserId) -> Result<IssuedAccessToken, AuthError> {
        let now = self.clock.now().timestamp();
        let claims = AccessClaims {
            sub: user.to_string(),
            iat: now,
            exp: now + self.access_ttl.num_seconds(),
            jti: uuid::Uuid::new_v4().to_string(),
            token_type: "access".to_owned(),
        };
        let token = encode(&Header::new(ALGORITHM), &claims, &self.encoding_key)
            .map_err(|error| AuthError::Hashing(error.to_string()))?;
        Ok(IssuedAccessToken {
            token,
            expires_in: self.access_ttl.num_seconds(),
        })
    }

    /// Verifies an access token: signature with the pinned algorithm, kind, and expiry against
    /// the injected clock. Returns the user it was issued to.
    pub fn verify_access(&self, token: &str) -> Result<UserId, AuthError> {
        let mut validation = Validation::new(ALGORITHM);
        validation.algorithms = vec![ALGORITHM];
        // Expiry is checked below against our clock, so tests can move time.
        validation.validate_exp = false;
        validation.required_spec_claims = ["sub", "exp", "iat"]
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        let data = decode::<AccessClaims>(token, &self.decoding_key, &validation)
            .map_err(|_| AuthError::TokenInvalid)?;
        let claims = data.claims;
        if claims.token_type != "access" {
            return Err(AuthError::TokenInvalid);
        }
        if claims.exp <= self.clock.now().timestamp() {
            return Err(AuthError::TokenExpired);
        }
        claims
            .sub
            .parse::<UserId>()
            .map_err(|_| AuthError::TokenInvalid)
    }
}

/// 256 random bits, URL-safe base64 (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token, hex-encoded: what the database stores instead of the token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use socrates_infra::clock::ManualClock;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn service(clock: &ManualClock) -> TokenService {
        TokenService::new(SECRET, Duration::minutes(30), Arc::new(clock.clone())).unwrap()
    }

    #[test]
    fn a_token_verifies_until_it_expires() {
        let clock = ManualClock::new(Utc::now());
        let tokens = service(&clock);
        let user = UserId::new();
        let issued = tokens.issue_access(user).unwrap();
        assert_eq!(issued.expires_in, 1800);
        assert_eq!(tokens.verify_access(&issued.token).unwrap(), user);
        clock.advance(Duration::minutes(29));
        assert!(tokens.verify_access(&issued.token).is_ok());
        clock.advance(Duration::minutes(2));
        assert!(matches!(
            tokens.verify_access(&issued.token),
            Err(AuthError::TokenExpired)
        ));
    }

    #[test]
    fn short_secrets_are_refused() {
        let clock = ManualClock::new(Utc::now());
        assert!(TokenService::new(b"short", Duration::minutes(30), Arc::new(clock)).is_err());
    }

    #[test]
    fn tampered_foreign_and_unsigned_tokens_are_invalid() {
        let clock = ManualClock::new(Utc::now());
        let tokens = service(&clock);
        let issued = tokens.issue_access(UserId::new()).unwrap();
        let mut tampered = issued.token.clone();
        tampered.pop();
        tampered.push(if issued.token.ends_with('A') {
            'B'
        } else {
            'A'
        });
        assert!(matches!(
            tokens.verify_access(&tampered),
            Err(AuthError::TokenInvalid)
        ));

        let other = TokenService::new(
            b"another-secret-another-secret-xx",
            Duration::minutes(30),
            Arc::new(clock.clone()),
        )
        .unwrap();
        let foreign = other.issue_access(UserId::new()).unwrap();
        assert!(matches!(
            tokens.verify_access(&foreign.token),
            Err(AuthError::TokenInvalid)
        ));

        // alg: none with the same claims.
        let payload = issued.token.split('.').nth(1).unwrap();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{header}.{payload}.");
        assert!(matches!(
            tokens.verify_access(&unsigned),
            Err(AuthError::TokenInvalid)
        ));

        // HS512 signed with the right secret is still refused: the algorithm is pinned.
        let claims: AccessClaims =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(matches!(
            tokens.verify_access(&hs512),
            Err(AuthError::TokenInvalid)
        ));

        assert!(matches!(
            tokens.verify_access("garbage"),
            Err(AuthError::TokenInvalid)
        ));
    }

    #[test]
    fn random_tokens_are_unique_and_hashes_are_hex_sha256() {
        let first = random_token();
        assert_eq!(first.len(), 43);
        assert_ne!(first, random_token());
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
