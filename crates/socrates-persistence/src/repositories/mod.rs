//! Repositories: the only code that builds queries. Each function takes the typed connection of
//! the database it needs (`&impl Conn<Auth>` or `&impl Conn<Specs>`, a pool or a transaction),
//! speaks in domain types and returns records, never SeaORM models.

use std::str::FromStr;

use sea_orm::sea_query::{Alias, CommonTableExpression, SubQueryStatement, WithClause};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement};
use socrates_domain::{PageLimit, PageOffset};

use crate::error::DbError;

pub mod audit_logs;
pub mod conflicts;
pub mod conversation;
pub mod generations;
pub mod knowledge;
pub mod learning;
pub mod llm_usage;
pub mod maturity;
pub mod password_resets;
pub mod personal_data;
pub mod projects;
pub mod quality;
pub mod questions;
pub mod refresh_tokens;
pub mod sessions;
pub mod specifications;
pub mod users;

/// The largest page any listing returns, whatever the caller asks for.
pub const MAX_PAGE_SIZE: u64 = PageLimit::MAX;
/// The page size used when the caller does not ask for one.
pub const DEFAULT_PAGE_SIZE: u64 = PageLimit::DEFAULT;

/// A window into a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// How many rows at most (1..=[`MAX_PAGE_SIZE`]).
    pub limit: u64,
    /// How many rows to skip (0..=[`PageOffset::MAX`]).
    pub offset: u64,
}

impl Page {
    /// A page clamped to `1..=MAX_PAGE_SIZE` rows, skipping at most [`PageOffset::MAX`] rows.
    ///
    /// Requests refuse a larger offset where they are read ([`PageOffset`]); the clamp here
    /// keeps any other caller from handing the query builder an offset that does not fit the
    /// databases' signed 64-bit numbers, which aborts the statement.
    pub fn new(limit: Option<u64>, offset: Option<u64>) -> Self {
        Self {
            limit: limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE),
            offset: offset.unwrap_or(0).min(PageOffset::MAX),
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

/// Writes that return nothing, sent to the database with the next statement of a repository
/// function that takes them (`…_with`): on PostgreSQL as data-modifying common table
/// expressions of that statement, so all of them cost one round trip; on SQLite, which has no
/// such expressions and no network, one after another just before it.
///
/// PostgreSQL runs them on the statement's snapshot in no set order, so they must not depend on
/// each other or on the statement (different rows, no reads of what another one writes). Like
/// any statement, they are atomic together only inside a transaction.
#[derive(Debug, Default)]
#[must_use = "the writes reach the database only with a statement that takes them"]
pub struct Writes(Vec<SubQueryStatement>);

impl Writes {
    /// No writes.
    pub fn new() -> Self {
        Self::default()
    }

    /// One write.
    pub(crate) fn one(statement: impl Into<SubQueryStatement>) -> Self {
        Self(vec![statement.into()])
    }

    /// These writes and then `other`'s.
    pub fn and(mut self, other: Self) -> Self {
        self.0.extend(other.0);
        self
    }

    /// How many statements these are.
    ///
    /// Built only for tests (feature `test-support`), which check that a batch of rows is one
    /// statement; the product only asks [`Self::is_empty`].
    #[cfg(any(test, feature = "test-support"))]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Runs `last`, a statement that returns rows (`RETURNING …` or a query), together with
/// `writes`, and returns its rows.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn query_with(
    db: &impl ConnectionTrait,
    writes: Writes,
    last: impl Into<SubQueryStatement>,
) -> Result<Vec<QueryResult>, DbErr> {
    let backend = db.get_database_backend();
    let last = last.into();
    if writes.is_empty() {
        return db.query_all_raw(build(backend, &last)).await;
    }
    if backend == DbBackend::Postgres {
        let mut clause = WithClause::new();
        for (index, write) in writes.0.into_iter().enumerate() {
            clause.cte(
                CommonTableExpression::new()
                    .query(write)
                    .table_name(Alias::new(format!("write_{index}")))
                    .to_owned(),
            );
        }
        return db.query_all_raw(backend.build(&clause.query(last))).await;
    }
    for write in &writes.0 {
        db.execute_raw(build(backend, write)).await?;
    }
    db.query_all_raw(build(backend, &last)).await
}

/// Runs `writes` on their own (on PostgreSQL as one statement when there are several).
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn execute(db: &impl ConnectionTrait, writes: Writes) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let mut statements = writes.0;
    let Some(last) = statements.pop() else {
        return Ok(());
    };
    if backend == DbBackend::Postgres && !statements.is_empty() {
        query_with(db, Writes(statements), last).await?;
        return Ok(());
    }
    for statement in statements.iter().chain(std::iter::once(&last)) {
        db.execute_raw(build(backend, statement)).await?;
    }
    Ok(())
}

fn build(backend: DbBackend, statement: &SubQueryStatement) -> Statement {
    match statement {
        SubQueryStatement::SelectStatement(select) => backend.build(select),
        SubQueryStatement::InsertStatement(insert) => backend.build(insert),
        SubQueryStatement::UpdateStatement(update) => backend.build(update),
        SubQueryStatement::DeleteStatement(delete) => backend.build(delete),
        SubQueryStatement::WithStatement(with) => backend.build(with),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_never_skips_more_rows_than_the_databases_can_count() {
        assert_eq!(
            Page::new(None, None),
            Page {
                limit: 50,
                offset: 0
            }
        );
        assert_eq!(
            Page::new(Some(0), Some(7)),
            Page {
                limit: 1,
                offset: 7
            }
        );
        assert_eq!(Page::new(Some(500), None).limit, MAX_PAGE_SIZE);
        let huge = Page::new(None, Some(u64::MAX));
        assert_eq!(huge.offset, PageOffset::MAX);
        assert!(i64::try_from(huge.offset + huge.limit).is_ok());
    }
}
