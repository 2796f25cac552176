//! Repositories: the only code that builds queries. Each function takes the typed connection of
//! the database it needs (`&impl Conn<Auth>` or `&impl Conn<Specs>`, a pool or a transaction),
//! speaks in domain types and returns records, never SeaORM models.

use std::str::FromStr;

use crate::error::DbError;

pub mod audit_logs;
pub mod conflicts;
pub mod conversation;
pub mod llm_usage;
pub mod maturity;
pub mod password_resets;
pub mod personal_data;
pub mod projects;
pub mod questions;
pub mod refresh_tokens;
pub mod sessions;
pub mod specifications;
pub mod users;

/// The largest page any listing returns, whatever the caller asks for.
pub const MAX_PAGE_SIZE: u64 = 100;
/// The page size used when the caller does not ask for one.
pub const DEFAULT_PAGE_SIZE: u64 = 50;

/// A window into a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// How many rows at most (1..=[`MAX_PAGE_SIZE`]).
    pub limit: u64,
    /// How many rows to skip.
    pub offset: u64,
}

impl Page {
    /// A page clamped to `1..=MAX_PAGE_SIZE` rows.
    pub fn new(limit: Option<u64>, offset: Option<u64>) -> Self {
        Self {
            limit: limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE),
            offset: offset.unwrap_or(0),
        }
    }
}

impl Default for Page {
    fn default() -> Self {
        Self::new(None, None)
    }
}

/// Parses a stored enum text, reporting a corrupt row when the domain no longer knows it.
pub(crate) fn parse_stored<T>(entity: &'static str, raw: &str) -> Result<T, DbError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    raw.parse().map_err(|error| DbError::corrupt(entity, error))
}

/// Converts a stored non-negative integer, reporting a corrupt row when it is negative.
pub(crate) fn stored_count(entity: &'static str, value: i32) -> Result<u32, DbError> {
    u32::try_from(value).map_err(|_| DbError::corrupt(entity, format!("negative count {value}")))
}

/// Converts a count for storage, refusing values that do not fit the column.
pub(crate) fn to_stored_count(entity: &'static str, value: u32) -> Result<i32, DbError> {
    i32::try_from(value).map_err(|_| DbError::corrupt(entity, format!("count {value} too large")))
}
