//! The authentication service: every account and token operation, each write in one
//! transaction, every security-relevant event in the audit trail.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use socrates_domain::{Email, RefreshTokenId, TokenFamilyId, UserId, check_password_policy};
use socrates_persistence::repositories::audit_logs::{self, NewAuditEntry};
use socrates_persistence::repositories::refresh_tokens::{self, NewRefreshToken, RefreshToken};
use socrates_persistence::repositories::users::{self, NewUser, User};
use socrates_persistence::{Auth, AuthDb, Conn, DbError};

mod account;
mod passwords;

use crate::error::AuthError;
use crate::mailer::Mailer;
use crate::password::PasswordHasher;
use crate::tokens::{TokenService, hash_token, random_token};
use socrates_infra::clock::Clock;
use socrates_infra::rate_limit::{Quota, RateDecision, RateLimiter};

/// Lifetimes and limits of authentication.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    /// Lifetime of refresh tokens (7 days).
    pub refresh_ttl: Duration,
    /// Lifetime of password-reset tokens (1 hour).
    pub reset_ttl: Duration,
    /// Login, registration, reset, password change and deletion attempts per client address
    /// and per account.
    pub attempts_quota: Quota,
    /// Whether limits are enforced at all.
    pub rate_limits_enabled: bool,
    /// The link mailed for a reset; the token is appended.
    pub reset_link_prefix: String,
}

/// Who is asking, for rate limits and the audit trail.
#[derive(Debug, Clone, Default)]
pub struct ClientContext {
    /// The client's address (after trusted-proxy resolution).
    pub ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// An access token and a refresh token.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// The JWT.
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The opaque refresh token (shown once; only its hash is stored).
    pub refresh_token: String,
    /// Whose tokens these are.
    pub user_id: UserId,
}

/// The result of a successful login.
pub type LoginOutcome = TokenPair;

/// How long `me` may answer from this process's memory. Every change of the account made
/// through this service drops the memo at once; another replica's change is seen within this.
pub const RECENT_ACCOUNT_SECONDS: u64 = 5;

/// Registration, login, tokens and passwords.
#[derive(Debug, Clone)]
pub struct AuthService {
    db: AuthDb,
    /// Accounts `me` read in the last [`RECENT_ACCOUNT_SECONDS`]: `GET /auth/me` is the most
    /// frequent authenticated read, and the account behind it rarely changes.
    recent: moka::sync::Cache<UserId, User>,
    /// Accounts found active by [`Self::ensure_may_write`] in the last
    /// [`RECENT_ACCOUNT_SECONDS`]: every writing action asks, and the answer rarely changes.
    may_write: moka::sync::Cache<UserId, ()>,
    hasher: PasswordHasher,
    tokens: TokenService,
    limiter: Arc<dyn RateLimiter>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    policy: AuthPolicy,
}

impl AuthService {
    /// Assembles the service.
    pub fn new(
        db: AuthDb,
        hasher: PasswordHasher,
        tokens: TokenService,
        limiter: Arc<dyn RateLimiter>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        policy: AuthPolicy,
    ) -> Self {
        Self {
            db,
            recent: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(std::time::Duration::from_secs(RECENT_ACCOUNT_SECONDS))
                .build(),
            may_write: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(std::time::Duration::from_secs(RECENT_ACCOUNT_SECONDS))
                .build(),
            hasher,
            tokens,
            limiter,
            mailer,
            clock,
            policy,
        }
    }

    /// The token service (the api crate's extractor verifies bearer tokens with it).
    pub fn tokens(&self) -> &TokenService {
        &self.tokens
    }

    /// Creates an account. Limited per client and per address; the password must meet the
    /// policy; an address already registered (in any letter case) is refused.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        client: &ClientContext,
    ) -> Result<User, AuthError> {
        self.limit_attempts("register", email, client).await?;
        let email = Email::parse(email)?;
        check_password_policy(password).map_err(AuthError::WeakPassword)?;
        let password_hash = self.hasher.hash(password).await?;
        let now = self.clock.now();
        let transaction = self.db.begin().await?;
        let user = users::create(
            &transaction,
            NewUser {
                email,
                password_hash,
                name: None,
            },
            now,
        )
        .await
        .map_err(|error| match error {
            DbError::AlreadyExists { .. } => AuthError::EmailTaken,
            other => other.into(),
        })?;
        audit(
            &transaction,
            "user.register",
            Some(user.id),
            client,
            None,
            now,
        )
        .await?;
        transaction.commit().await?;
        Ok(user)
    }

    /// Exchanges e-mail and password for tokens. Unknown address and wrong password are the
    /// same error and take the same time (a dummy hash is verified for unknown addresses).
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: &ClientContext,
    ) -> Result<LoginOutcome, AuthError> {
        self.limit_attempts("login", email, client).await?;
        let now = self.clock.now();
        let user = match Email::parse(email) {
            Ok(email) => users::find_by_email(&self.db, &email).await?,
            Err(_) => None,
        };
        let Some(user) = user else {
            self.hasher.verify_dummy(password).await?;
            let details = json!({ "reason": "unknown_email" });
            audit(
                &self.db,
                "user.login_failed",
                None,
                client,
                Some(details),
                now,
            )
            .await?;
            return Err(AuthError::InvalidCredentials);
        };
        if !self.hasher.verify(password, &user.password_hash).await? {
            let details = json!({ "reason": "wrong_password" });
            audit(
                &self.db,
                "user.login_failed",
                Some(user.id),
                client,
                Some(details),
                now,
            )
            .await?;
            return Err(AuthError::InvalidCredentials);
        }
        if !user.status.can_log_in() {
            let details = json!({ "reason": "inactive", "status": user.status.as_str() });
            audit(
                &self.db,
                "user.login_failed",
                Some(user.id),
                client,
                Some(details),
                now,
            )
            .await?;
            return Err(AuthError::AccountInactive);
        }
        let transaction = self.db.begin().await?;
        let (pair, _) = self
            .issue_pair(&transaction, user.id, TokenFamilyId::new(), client, now)
            .await?;
        users::record_login(&transaction, user.id, now).await?;
        audit(&transaction, "user.login", Some(user.id), client, None, now).await?;
        transaction.commit().await?;
        self.forget(user.id);
        Ok(pair)
    }

    /// Rotates a refresh token: the presented one dies, a new one of the same family is
    /// issued. Presenting a token that was already rotated revokes its whole family.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        client: &ClientContext,
    ) -> Result<TokenPair, AuthError> {
        let now = self.clock.now();
        let stored = refresh_tokens::find_by_hash(&self.db, &hash_token(refresh_token))
            .await?
            .ok_or(AuthError::TokenInvalid)?;
        if stored.revoked {
            if stored.replaced_by.is_some() {
                return Err(self.revoke_reused_family(&stored, client, now).await?);
            }
            return Err(AuthError::TokenInvalid);
        }
        if stored.expires_at <= now {
            return Err(AuthError::TokenInvalid);
        }
        let user = users::find_by_id(&self.db, stored.user_id)
            .await?
            .ok_or(AuthError::TokenInvalid)?;
        if !user.status.can_log_in() {
            return Err(AuthError::AccountInactive);
        }
        let transaction = self.db.begin().await?;
        let (pair, replacement) = self
            .issue_pair(&transaction, user.id, stored.family_id, client, now)
            .await?;
        if !refresh_tokens::mark_rotated(&transaction, stored.id, replacement, now).await? {
            // Another request rotated it between our read and our write: that is reuse.
            transaction.rollback().await?;
            return Err(self.revoke_reused_family(&stored, client, now).await?);
        }
        transaction.commit().await?;
        Ok(pair)
    }

    /// Revokes the presented refresh token of `user`, or all of them with `all`. The access
    /// token of an account deleted since it was issued is refused ([`AuthError::AccountGone`]):
    /// the account has no tokens left to revoke, and no audit entry may name it.
    pub async fn logout(
        &self,
        user: UserId,
        refresh_token: Option<&str>,
        all: bool,
        client: &ClientContext,
    ) -> Result<u64, AuthError> {
        let now = self.clock.now();
        let transaction = self.db.begin().await?;
        if users::find_by_id(&transaction, user).await?.is_none() {
            return Err(AuthError::AccountGone);
        }
        let revoked = if all {
            refresh_tokens::revoke_all_for_user(&transaction, user, now).await?
        } else {
            let token = refresh_token.ok_or_else(|| {
                socrates_domain::DomainError::invalid(
                    "refresh_token",
                    "give the refresh token to revoke, or {\"all\": true}",
                )
            })?;
            let stored = refresh_tokens::find_by_hash(&transaction, &hash_token(token))
                .await?
                .filter(|stored| stored.user_id == user)
                .ok_or(AuthError::TokenInvalid)?;
            u64::from(refresh_tokens::revoke(&transaction, stored.id, now).await?)
        };
        let details = json!({ "all": all, "revoked": revoked });
        audit(
            &transaction,
            "user.logout",
            Some(user),
            client,
            Some(details),
            now,
        )
        .await?;
        transaction.commit().await?;
        Ok(revoked)
    }

    /// Refuses a caller whose account was deleted or disabled after its access token was
    /// issued: the token stays valid until it expires (stateless JWT), and nothing may be
    /// changed by an account that is gone or suspended. The orchestrator asks it before every
    /// action that writes.
    ///
    /// An account found active in the last [`RECENT_ACCOUNT_SECONDS`] is taken as still active
    /// unless `fresh`: every change made through this service drops that memo at once, and a
    /// change made by another replica is seen within those seconds. `fresh` always reads the
    /// account (one primary-key read): the actions that create what an account owns ask for
    /// it, so an account deleted on any replica creates nothing afterwards.
    pub async fn ensure_may_write(&self, user: UserId, fresh: bool) -> Result<(), AuthError> {
        if !fresh && self.may_write.contains_key(&user) {
            return Ok(());
        }
        let account = users::find_by_id(&self.db, user)
            .await?
            .ok_or(AuthError::AccountGone)?;
        if !account.status.can_log_in() {
            self.may_write.invalidate(&user);
            return Err(AuthError::AccountInactive);
        }
        self.may_write.insert(user, ());
        Ok(())
    }

    /// Changes an account's status (suspends or reactivates it) and drops this process's
    /// memos of it. No route does this yet (the administration routes will); tests suspend
    /// accounts with it.
    #[cfg(any(test, feature = "test-support"))]
    pub async fn set_status(
        &self,
        user: UserId,
        status: socrates_domain::UserStatus,
    ) -> Result<(), AuthError> {
        users::set_status(&self.db, user, status, self.clock.now()).await?;
        self.forget(user);
        Ok(())
    }

    /// The account behind a verified access token, from this process's memo when it read it
    /// in the last [`RECENT_ACCOUNT_SECONDS`].
    pub async fn me(&self, user: UserId) -> Result<User, AuthError> {
        if let Some(account) = self.recent.get(&user) {
            return Ok(account);
        }
        let account = users::find_by_id(&self.db, user)
            .await?
            .ok_or(AuthError::AccountGone)?;
        self.recent.insert(user, account.clone());
        Ok(account)
    }

    /// Drops the memo of `user` after a change of the account.
    pub(crate) fn forget(&self, user: UserId) {
        self.recent.invalidate(&user);
        self.may_write.invalidate(&user);
    }

    /// Issues an access token and stores a new refresh token of `family_id`; also returns the
    /// stored token's id (the rotation link of a refresh).
    async fn issue_pair(
        &self,
        db: &impl Conn<Auth>,
        user: UserId,
        family_id: TokenFamilyId,
        client: &ClientContext,
        now: DateTime<Utc>,
    ) -> Result<(TokenPair, RefreshTokenId), AuthError> {
        let access = self.tokens.issue_access(user)?;
        let refresh_token = random_token();
        let stored = refresh_tokens::insert(
            db,
            NewRefreshToken {
                user_id: user,
                family_id,
                token_hash: hash_token(&refresh_token),
                expires_at: now + self.policy.refresh_ttl,
                user_agent: client.user_agent.clone(),
                ip_address: client.ip.clone(),
            },
            now,
        )
        .await?;
        let pair = TokenPair {
            access_token: access.token,
            expires_in: access.expires_in,
            refresh_token,
            user_id: user,
        };
        Ok((pair, stored.id))
    }

    async fn revoke_reused_family(
        &self,
        stored: &RefreshToken,
        client: &ClientContext,
        now: DateTime<Utc>,
    ) -> Result<AuthError, AuthError> {
        let revoked = refresh_tokens::revoke_family(&self.db, stored.family_id, now).await?;
        tracing::warn!(user.id = %stored.user_id, revoked, "refresh token reuse detected; token family revoked");
        let details = json!({ "family_id": stored.family_id.to_string(), "revoked": revoked });
        audit(
            &self.db,
            "token.reuse_detected",
            Some(stored.user_id),
            client,
            Some(details),
            now,
        )
        .await?;
        Ok(AuthError::RefreshTokenReused)
    }

    /// Applies the attempts quota per client address and per (lower-cased, hashed) account name.
    async fn limit_attempts(
        &self,
        action: &str,
        email: &str,
        client: &ClientContext,
    ) -> Result<(), AuthError> {
        if !self.policy.rate_limits_enabled {
            return Ok(());
        }
        // The account part of the key is a digest: the limiter's store (Redis) never holds
        // e-mail addresses.
        let account = hash_token(&email.trim().to_lowercase());
        let mut keys = vec![format!("{action}:account:{account}")];
        if let Some(ip) = &client.ip {
            keys.push(format!("{action}:ip:{ip}"));
        }
        for key in keys {
            match self.limiter.check(&key, self.policy.attempts_quota).await {
                Ok(RateDecision::Allowed) => {}
                Ok(RateDecision::Limited { retry_after }) => {
                    let now = self.clock.now();
                    let details = json!({ "limit": key.split(':').nth(1), "action": action });
                    audit(
                        &self.db,
                        "security.rate_limited",
                        None,
                        client,
                        Some(details),
                        now,
                    )
                    .await?;
                    return Err(AuthError::RateLimited {
                        retry_after_seconds: retry_after.as_secs().max(1),
                    });
                }
                // A limiter outage must not lock everyone out; it is logged and visible in health.
                Err(error) => {
                    tracing::warn!(error = %error, "rate limiter unavailable; attempt allowed");
                }
            }
        }
        Ok(())
    }
}

async fn audit(
    db: &impl Conn<Auth>,
    action: &str,
    user: Option<UserId>,
    client: &ClientContext,
    details: Option<serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    audit_logs::append(
        db,
        NewAuditEntry {
            user_id: user,
            action: action.to_owned(),
            resource_type: Some("user".to_owned()),
            resource_id: user.map(|user| user.to_string()),
            ip_address: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            request_id: client.request_id.clone(),
            details,
        },
        now,
    )
    .await?;
    Ok(())
}
