//! Password change and reset: the current password (checked under the attempts limit) or a
//! mailed single-use token, then a new hash, every refresh token revoked and outstanding reset
//! links invalidated, in one transaction.

use serde_json::json;
use socrates_domain::{Email, UserId, check_password_policy};
use socrates_persistence::repositories::{password_resets, refresh_tokens, users};

use super::{AuthService, ClientContext, audit};
use crate::error::AuthError;
use crate::tokens::{hash_token, random_token};

impl AuthService {
    /// Changes the password after checking the current one; signs out every session.
    ///
    /// The check of the current password is limited like a login (per account and per client
    /// address, [`AuthPolicy::attempts_quota`](super::AuthPolicy::attempts_quota)), so a stolen
    /// access token cannot be used to guess the password; a wrong one is audited as
    /// `user.password_change_failed`.
    pub async fn change_password(
        &self,
        user: UserId,
        current_password: &str,
        new_password: &str,
        client: &ClientContext,
    ) -> Result<(), AuthError> {
        self.confirm_password(user, current_password, "user.password_change", client)
            .await?;
        check_password_policy(new_password).map_err(AuthError::WeakPassword)?;
        let password_hash = self.hasher.hash(new_password).await?;
        self.replace_password(user, password_hash, "user.password_changed", client)
            .await
    }

    /// Starts a reset: when the address has an active account, a single-use link valid for
    /// [`AuthPolicy::reset_ttl`] is mailed. The answer never says whether the account exists.
    pub async fn request_password_reset(
        &self,
        email: &str,
        client: &ClientContext,
    ) -> Result<(), AuthError> {
        self.limit_attempts("reset", email, client).await?;
        let email = Email::parse(email)?;
        let now = self.clock.now();
        let Some(user) = users::find_by_email(&self.db, &email).await? else {
            return Ok(());
        };
        if !user.status.can_log_in() {
            return Ok(());
        }
        let token = random_token();
        password_resets::insert(
            &self.db,
            user.id,
            hash_token(&token),
            now + self.policy.reset_ttl,
            now,
        )
        .await?;
        audit(
            &self.db,
            "user.password_reset_requested",
            Some(user.id),
            client,
            None,
            now,
        )
        .await?;
        let link = format!("{}{token}", self.policy.reset_link_prefix);
        if let Err(error) = self.mailer.send_password_reset(&email, &link).await {
            tracing::error!(error = %error, mailer = self.mailer.kind(), "password reset mail not delivered");
        }
        Ok(())
    }

    /// Completes a reset with the mailed token (single use, unexpired) and a new password.
    pub async fn confirm_password_reset(
        &self,
        token: &str,
        new_password: &str,
        client: &ClientContext,
    ) -> Result<(), AuthError> {
        check_password_policy(new_password).map_err(AuthError::WeakPassword)?;
        let now = self.clock.now();
        let request = password_resets::find_by_hash(&self.db, &hash_token(token))
            .await?
            .ok_or(AuthError::TokenInvalid)?;
        if !password_resets::consume(&self.db, request.id, now).await? {
            return Err(AuthError::TokenInvalid);
        }
        let password_hash = self.hasher.hash(new_password).await?;
        self.replace_password(
            request.user_id,
            password_hash,
            "user.password_reset",
            client,
        )
        .await
    }

    async fn replace_password(
        &self,
        user: UserId,
        password_hash: String,
        action: &str,
        client: &ClientContext,
    ) -> Result<(), AuthError> {
        let now = self.clock.now();
        let transaction = self.db.begin().await?;
        users::set_password_hash(&transaction, user, password_hash, now).await?;
        let revoked = refresh_tokens::revoke_all_for_user(&transaction, user, now).await?;
        password_resets::invalidate_all_for_user(&transaction, user, now).await?;
        audit(
            &transaction,
            action,
            Some(user),
            client,
            Some(json!({ "sessions_revoked": revoked })),
            now,
        )
        .await?;
        transaction.commit().await?;
        self.forget(user);
        Ok(())
    }
}
