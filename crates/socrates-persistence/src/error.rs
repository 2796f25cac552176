//! The persistence error type and its classification.

use sea_orm::{DbErr, RuntimeErr, SqlErr};
use socrates_domain::{Code, ErrorCode};

/// Everything that can go wrong below the repositories.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The configured URL cannot be used (bad scheme, unparsable, unwritable location).
    #[error("invalid database configuration for {database}: {reason}")]
    InvalidConfiguration {
        /// Which database (`socrates_auth` or `socrates_specs`).
        database: &'static str,
        /// What is wrong, in one sentence.
        reason: String,
    },
    /// The database cannot be reached or refused the connection.
    #[error("cannot connect to {database}: {source}")]
    Unavailable {
        /// Which database.
        database: &'static str,
        /// The driver's error.
        #[source]
        source: DbErr,
    },
    /// The row that was asked for does not exist.
    #[error("{entity} not found")]
    NotFound {
        /// The kind of row (`project`, `user`, …).
        entity: &'static str,
    },
    /// A unique constraint refused the write.
    #[error("{entity} already exists")]
    AlreadyExists {
        /// The kind of row.
        entity: &'static str,
    },
    /// The write was based on a version that is no longer current.
    #[error("{entity} was changed concurrently; reload and retry")]
    StaleVersion {
        /// The kind of row.
        entity: &'static str,
    },
    /// A stored value does not fit the domain (for example an unknown enum text).
    #[error("corrupt {entity} row: {reason}")]
    Corrupt {
        /// The kind of row.
        entity: &'static str,
        /// What does not fit.
        reason: String,
    },
    /// Migrations failed or are in an unexpected state.
    #[error("migration of {database} failed: {source}")]
    Migration {
        /// Which database.
        database: &'static str,
        /// The migrator's error.
        #[source]
        source: DbErr,
    },
    /// Any other database error.
    #[error("database error: {0}")]
    Query(#[source] DbErr),
}

impl DbError {
    /// Wraps a driver error, recognising unique-constraint violations and lost connections.
    pub fn from_db(entity: &'static str, error: DbErr) -> Self {
        if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            return Self::AlreadyExists { entity };
        }
        if is_connection_error(&error) {
            return Self::Unavailable {
                database: "database",
                source: error,
            };
        }
        Self::Query(error)
    }

    /// Builds a [`DbError::Corrupt`] for a stored value the domain does not accept.
    pub fn corrupt(entity: &'static str, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            entity,
            reason: reason.to_string(),
        }
    }
}

impl From<DbErr> for DbError {
    fn from(error: DbErr) -> Self {
        Self::from_db("row", error)
    }
}

/// True when the error means the database could not be reached rather than that a statement
/// failed.
fn is_connection_error(error: &DbErr) -> bool {
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            match inner.as_ref() {
                sea_orm::sqlx::Error::Io(_)
                | sea_orm::sqlx::Error::PoolTimedOut
                | sea_orm::sqlx::Error::PoolClosed
                | sea_orm::sqlx::Error::Tls(_) => true,
                sea_orm::sqlx::Error::Database(database) => {
                    database.code().is_some_and(|code| means_unavailable(&code))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// PostgreSQL SQLSTATEs that say the database went away, not that the statement was wrong:
/// class 08 (connection exception), class 57P (the server terminated the connection: shutdown,
/// crash, `DROP DATABASE … WITH (FORCE)`, `pg_terminate_backend`) and 3D000 (the database no
/// longer exists).
fn means_unavailable(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("57P") || code == "3D000"
}

impl ErrorCode for DbError {
    fn code(&self) -> Code {
        match self {
            Self::NotFound { .. } => Code::NotFound,
            Self::AlreadyExists { .. } => Code::AlreadyExists,
            Self::StaleVersion { .. } => Code::StaleVersion,
            Self::Unavailable { .. } => Code::DatabaseUnavailable,
            Self::InvalidConfiguration { .. } => Code::ConfigurationError,
            Self::Corrupt { .. } | Self::Migration { .. } | Self::Query(_) => Code::DatabaseError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::means_unavailable;

    #[test]
    fn only_states_of_a_lost_database_mean_unavailable() {
        for code in ["08006", "08001", "57P01", "57P02", "57P03", "3D000"] {
            assert!(means_unavailable(code), "{code}");
        }
        // A unique violation, a syntax error, a statement timeout, a serialisation failure.
        for code in ["23505", "42601", "57014", "40001"] {
            assert!(!means_unavailable(code), "{code}");
        }
    }
}
