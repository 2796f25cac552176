//! A person's own data: the export of everything they own across both databases, and the
//! deletion of their account.
//!
//! The two databases cannot share a transaction, so a deletion runs in a safe order:
//! `socrates_specs` first (one transaction), then `socrates_auth` (one transaction). If the
//! second step fails the account still exists, owns nothing, and the same request finishes the
//! job; nothing is ever left behind that no account could ask to delete.

use chrono::{DateTime, Utc};
use serde::Serialize;
use socrates_domain::{ProjectId, UserId};
use socrates_persistence::repositories::personal_data::{self, Erased, Tables};

use crate::container::ServiceContainer;
use socrates_auth::{AuthError, ClientContext};

/// A database's exported rows, by table.
pub type ExportTables = Tables;

/// The version of the export's layout; it changes when a table's rows change shape.
pub const EXPORT_FORMAT_VERSION: u32 = 1;

/// Everything one user owns, table by table.
#[derive(Debug, Clone, Serialize)]
pub struct PersonalDataExport {
    /// The layout version ([`EXPORT_FORMAT_VERSION`]).
    pub format_version: u32,
    /// When the export was taken.
    pub exported_at: DateTime<Utc>,
    /// Whose data it is.
    pub user_id: UserId,
    /// Rows of `socrates_auth` (password and token hashes, encrypted keys left out).
    pub socrates_auth: Tables,
    /// Rows of `socrates_specs`.
    pub socrates_specs: Tables,
}

/// What a deletion removed, per database.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AccountDeletion {
    /// Rows deleted and anonymised in `socrates_auth`.
    pub socrates_auth: ErasedRows,
    /// Rows deleted and anonymised in `socrates_specs`.
    pub socrates_specs: ErasedRows,
}

/// Counts of one database's erasure.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ErasedRows {
    /// Rows deleted.
    pub deleted: u64,
    /// Rows kept without the user's identity (their part of other people's projects, the
    /// audit trail).
    pub anonymised: u64,
}

impl From<Erased> for ErasedRows {
    fn from(erased: Erased) -> Self {
        Self {
            deleted: erased.deleted,
            anonymised: erased.anonymised,
        }
    }
}

impl ServiceContainer {
    /// Everything the user owns in both databases.
    pub async fn export_personal_data(
        &self,
        user: UserId,
    ) -> Result<PersonalDataExport, AuthError> {
        let socrates_auth = self.auth().export_account(user).await?;
        let socrates_specs = personal_data::export_specs(self.specs_db(), user).await?;
        Ok(PersonalDataExport {
            format_version: EXPORT_FORMAT_VERSION,
            exported_at: self.clock().now(),
            user_id: user,
            socrates_auth,
            socrates_specs,
        })
    }

    /// Deletes the account after checking its password: the user's projects and everything
    /// under them, their learning data and credentials are deleted; what they wrote in other
    /// people's projects and the audit trail stay without their identity. Their access tokens
    /// stop working at once.
    pub async fn delete_account(
        &self,
        user: UserId,
        password: &str,
        client: &ClientContext,
    ) -> Result<AccountDeletion, AuthError> {
        self.auth()
            .confirm_password(user, password, "user.delete", client)
            .await?;
        let dropped_teams = self.auth().teams_left_empty(user).await?;
        let transaction = self.specs_db().begin().await?;
        let owned = personal_data::owned_project_ids(&transaction, user).await?;
        let specs = personal_data::erase_specs(&transaction, user, &dropped_teams).await?;
        transaction.commit().await?;
        for project in owned {
            self.views().invalidate(ProjectId::from_uuid(project)).await;
        }
        let auth = self
            .auth()
            .erase_account(user, &dropped_teams, specs, client)
            .await?;
        tracing::info!(
            user_id = %user,
            auth_deleted = auth.deleted,
            specs_deleted = specs.deleted,
            specs_anonymised = specs.anonymised,
            "account deleted"
        );
        Ok(AccountDeletion {
            socrates_auth: auth.into(),
            socrates_specs: specs.into(),
        })
    }
}
