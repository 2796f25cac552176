//! The account's own end: the password check that guards a deletion, and the deletion of the
//! account's rows in `socrates_auth` with its audit entry, in one transaction.

use serde_json::json;
use socrates_domain::UserId;
use socrates_persistence::Auth;
use socrates_persistence::repositories::personal_data::{self, Erased};
use socrates_persistence::repositories::users::{self, User};
use uuid::Uuid;

use super::{AuthService, ClientContext, audit};
use crate::error::AuthError;

impl AuthService {
    /// Checks the account's password before a sensitive step (a password change, a deletion).
    /// Limited like a login, each `action` on its own, so a stolen access token cannot be used
    /// to guess the password; failures are audited as `{action}_failed`.
    pub async fn confirm_password(
        &self,
        user: UserId,
        password: &str,
        action: &str,
        client: &ClientContext,
    ) -> Result<User, AuthError> {
        let account = users::find_by_id(&self.db, user)
            .await?
            .ok_or(AuthError::AccountGone)?;
        self.limit_attempts(action, &account.email, client).await?;
        if !self.hasher.verify(password, &account.password_hash).await? {
            audit(
                &self.db,
                &format!("{action}_failed"),
                Some(user),
                client,
                Some(json!({ "reason": "wrong_password" })),
                self.clock.now(),
            )
            .await?;
            return Err(AuthError::WrongPassword);
        }
        Ok(account)
    }

    /// The teams the user created that nobody else belongs to (they go with the account).
    pub async fn teams_left_empty(&self, user: UserId) -> Result<Vec<Uuid>, AuthError> {
        Ok(personal_data::teams_left_empty(&self.db, user).await?)
    }

    /// Deletes the account's rows from `socrates_auth` (see
    /// [`personal_data::erase_auth`]) and records, without naming the user, that an account was
    /// deleted — all in one transaction.
    pub async fn erase_account(
        &self,
        user: UserId,
        dropped_teams: &[Uuid],
        specs: Erased,
        client: &ClientContext,
    ) -> Result<Erased, AuthError> {
        let transaction = self.db.begin().await?;
        let erased = personal_data::erase_auth(&transaction, user, dropped_teams).await?;
        let anonymous = ClientContext {
            ip: None,
            user_agent: None,
            request_id: client.request_id.clone(),
        };
        let details = json!({
            "socrates_auth": { "deleted": erased.deleted, "anonymised": erased.anonymised },
            "socrates_specs": { "deleted": specs.deleted, "anonymised": specs.anonymised },
        });
        audit(
            &transaction,
            "user.deleted",
            None,
            &anonymous,
            Some(details),
            self.clock.now(),
        )
        .await?;
        transaction.commit().await?;
        self.forget(user);
        Ok(erased)
    }

    /// The parts of `socrates_auth` about the user, secrets left out, to be read a page at a
    /// time. The access token of an account deleted since it was issued is refused
    /// ([`AuthError::AccountGone`]) rather than answered with an empty export.
    pub async fn export_account(
        &self,
        user: UserId,
    ) -> Result<Vec<personal_data::ExportPart<Auth>>, AuthError> {
        personal_data::auth_export_parts(&self.db, user)
            .await?
            .ok_or(AuthError::AccountGone)
    }
}
