//! A person's own data: the export of everything they own across both databases, and the
//! deletion of their account.
//!
//! The two databases cannot share a transaction, so a deletion runs in a safe order:
//! `socrates_specs` first (one transaction), then `socrates_auth` (one transaction). If the
//! second step fails the account still exists, owns nothing, and the same request finishes the
//! job; nothing is ever left behind that no account could ask to delete.

use chrono::{DateTime, Utc};
use futures_util::Stream;
use serde::Serialize;
use socrates_domain::{ProjectId, UserId};
use socrates_persistence::repositories::personal_data::{self, Erased, ExportPart, export_page};
use socrates_persistence::{Auth, AuthDb, DbError, Specs, SpecsDb};

use crate::container::ServiceContainer;
use socrates_auth::{AuthError, ClientContext};

/// The version of the export's layout; it changes when a table's rows change shape.
pub const EXPORT_FORMAT_VERSION: u32 = 1;

/// How many rows of one table are read, and held in memory, at a time while an export is sent.
pub const EXPORT_PAGE_ROWS: u64 = 200;

/// Everything one user owns, table by table, read a page at a time as it is sent: the JSON
/// document `{"format_version", "exported_at", "user_id", "socrates_auth": {table: [rows]},
/// "socrates_specs": {table: [rows]}}` comes out of [`Self::into_json_chunks`], so an export
/// of any size holds at most one page of rows in memory.
#[derive(Debug)]
pub struct PersonalDataExport {
    exported_at: DateTime<Utc>,
    user_id: UserId,
    auth_db: AuthDb,
    specs_db: SpecsDb,
    auth: Vec<ExportPart<Auth>>,
    specs: Vec<ExportPart<Specs>>,
}

/// Where the writing of an export stands.
#[derive(Debug, Clone, Copy)]
enum Cursor {
    /// Nothing written yet.
    Start,
    /// The next page of a table: `database` 0 is `socrates_auth`, 1 `socrates_specs`.
    Rows {
        database: usize,
        part: usize,
        offset: u64,
    },
    /// Everything written.
    Finished,
}

impl PersonalDataExport {
    /// Whose data it is.
    pub const fn user_id(&self) -> UserId {
        self.user_id
    }

    /// The export as JSON, in chunks of at most one page of one table. A database failure
    /// part-way ends the stream with the error (the document is then incomplete).
    pub fn into_json_chunks(self) -> impl Stream<Item = Result<Vec<u8>, DbError>> + Send + 'static {
        futures_util::stream::try_unfold((self, Cursor::Start), |(export, cursor)| async move {
            Ok(export
                .chunk(cursor)
                .await?
                .map(|(chunk, next)| (chunk, (export, next))))
        })
    }

    /// The chunk at `cursor` and the cursor after it; `None` after the last.
    async fn chunk(&self, cursor: Cursor) -> Result<Option<(Vec<u8>, Cursor)>, DbError> {
        let mut chunk = Vec::new();
        let next = match cursor {
            Cursor::Finished => return Ok(None),
            Cursor::Start => {
                let header = serde_json::json!({
                    "format_version": EXPORT_FORMAT_VERSION,
                    "exported_at": self.exported_at,
                    "user_id": self.user_id,
                });
                let header = write_json(&header)?;
                // `{…header…}` without its closing brace, then the first database.
                chunk.extend_from_slice(&header[..header.len() - 1]);
                chunk.extend_from_slice(b",\"socrates_auth\":{");
                Cursor::Rows {
                    database: 0,
                    part: 0,
                    offset: 0,
                }
            }
            Cursor::Rows {
                database,
                part,
                offset,
            } => {
                let page = match database {
                    0 => match self.auth.get(part) {
                        Some(found) => Some((
                            found.table(),
                            export_page(&self.auth_db, found, offset, EXPORT_PAGE_ROWS).await?,
                        )),
                        None => None,
                    },
                    _ => match self.specs.get(part) {
                        Some(found) => Some((
                            found.table(),
                            export_page(&self.specs_db, found, offset, EXPORT_PAGE_ROWS).await?,
                        )),
                        None => None,
                    },
                };
                match page {
                    // The database's tables are all written.
                    None if database == 0 => {
                        chunk.extend_from_slice(b"},\"socrates_specs\":{");
                        Cursor::Rows {
                            database: 1,
                            part: 0,
                            offset: 0,
                        }
                    }
                    None => {
                        chunk.extend_from_slice(b"}}");
                        Cursor::Finished
                    }
                    Some((table, rows)) => {
                        if offset == 0 {
                            if part > 0 {
                                chunk.push(b',');
                            }
                            chunk.extend_from_slice(&write_json(&table)?);
                            chunk.extend_from_slice(b":[");
                        }
                        for (index, row) in rows.iter().enumerate() {
                            if offset > 0 || index > 0 {
                                chunk.push(b',');
                            }
                            chunk.extend_from_slice(&write_json(row)?);
                        }
                        if u64::try_from(rows.len()).unwrap_or(u64::MAX) < EXPORT_PAGE_ROWS {
                            chunk.push(b']');
                            Cursor::Rows {
                                database,
                                part: part + 1,
                                offset: 0,
                            }
                        } else {
                            Cursor::Rows {
                                database,
                                part,
                                offset: offset + EXPORT_PAGE_ROWS,
                            }
                        }
                    }
                }
            }
        };
        Ok(Some((chunk, next)))
    }
}

fn write_json(value: &impl Serialize) -> Result<Vec<u8>, DbError> {
    serde_json::to_vec(value).map_err(|error| DbError::corrupt("export", error))
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
    /// Everything the user owns in both databases, to be read as it is sent;
    /// [`AuthError::TokenInvalid`] when the account no longer exists.
    pub async fn export_personal_data(
        &self,
        user: UserId,
    ) -> Result<PersonalDataExport, AuthError> {
        let auth = self.auth().export_account(user).await?;
        Ok(PersonalDataExport {
            exported_at: self.clock().now(),
            user_id: user,
            auth_db: self.auth_db().clone(),
            specs_db: self.specs_db().clone(),
            auth,
            specs: personal_data::specs_export_parts(user),
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
