//! `socrates_specs.llm_usage_tracking`: one row per model call with its tokens, latency, cost
//! and outcome, written in batches by the agents' usage recorder. The product reads them back
//! only in a person's data export (no report or quota sums them yet), so the readers here are
//! built only for tests.

use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, Set};
use socrates_domain::{LlmProviderKind, ProjectId, SessionId, UserId};

use super::to_stored_count;
use crate::db::{Conn, Specs};
use crate::entities::specs_extra::llm_usage_tracking;
use crate::error::DbError;

const ENTITY: &str = "llm usage";

/// One model call to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUsage {
    /// Who the call was made for.
    pub user_id: UserId,
    /// The project it was about, if any.
    pub project_id: Option<ProjectId>,
    /// The session it was part of, if any.
    pub session_id: Option<SessionId>,
    /// The provider that answered.
    pub provider: LlmProviderKind,
    /// The model that was asked.
    pub model: String,
    /// What the call was for (`extract_facts`, `chat_reply`, …).
    pub operation: String,
    /// Tokens read.
    pub tokens_input: u32,
    /// Tokens produced.
    pub tokens_output: u32,
    /// Price of the tokens in US dollars.
    pub cost_usd: f64,
    /// Wall time of the call, retries included.
    pub latency_ms: u64,
    /// Whether the call produced an answer.
    pub success: bool,
    /// The error code when it did not.
    pub error_code: Option<String>,
    /// When the call ended.
    pub created_at: DateTime<Utc>,
}

fn to_active(usage: &NewUsage) -> Result<llm_usage_tracking::ActiveModel, DbError> {
    let tokens_input = to_stored_count(ENTITY, usage.tokens_input)?;
    let tokens_output = to_stored_count(ENTITY, usage.tokens_output)?;
    let tokens_total = to_stored_count(
        ENTITY,
        usage.tokens_input.saturating_add(usage.tokens_output),
    )?;
    let latency_ms = i32::try_from(usage.latency_ms).unwrap_or(i32::MAX);
    Ok(llm_usage_tracking::ActiveModel {
        user_id: Set(usage.user_id.into_uuid()),
        project_id: Set(usage.project_id.map(ProjectId::into_uuid)),
        session_id: Set(usage.session_id.map(SessionId::into_uuid)),
        provider: Set(usage.provider.as_str().to_owned()),
        model: Set(usage.model.clone()),
        operation: Set(usage.operation.clone()),
        tokens_input: Set(tokens_input),
        tokens_output: Set(tokens_output),
        tokens_total: Set(tokens_total),
        cost_usd: Set(usage.cost_usd),
        latency_ms: Set(latency_ms),
        success: Set(usage.success),
        error_code: Set(usage.error_code.clone()),
        created_at: Set(usage.created_at),
        ..Default::default()
    })
}

/// Stores a batch of calls in one statement; an empty batch does nothing.
///
/// # Errors
/// [`DbError`] when the insert fails; nothing of the batch is stored then.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_many(db: &impl Conn<Specs>, batch: &[NewUsage]) -> Result<(), DbError> {
    if batch.is_empty() {
        return Ok(());
    }
    let rows = batch.iter().map(to_active).collect::<Result<Vec<_>, _>>()?;
    llm_usage_tracking::Entity::insert_many(rows)
        .exec_without_returning(db.raw())
        .await
        .map_err(|error| DbError::from_db(ENTITY, error))?;
    Ok(())
}

/// What a user's calls cost over a period.
#[cfg(any(test, feature = "test-support"))]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct UsageTotals {
    /// Number of calls.
    pub calls: u64,
    /// Tokens read.
    pub tokens_input: u64,
    /// Tokens produced.
    pub tokens_output: u64,
    /// Price in US dollars.
    pub cost_usd: f64,
}

#[cfg(any(test, feature = "test-support"))]
#[derive(sea_orm::FromQueryResult)]
struct TotalsRow {
    calls: Option<i64>,
    tokens_input: Option<i64>,
    tokens_output: Option<i64>,
    cost_usd: Option<f64>,
}

/// The totals of a user's calls made at or after `since`, in one query.
///
/// Built only for tests (feature `test-support`): the product records usage and reads it back
/// only in a person's data export; tests read it here to check what a call recorded.
///
/// # Errors
/// [`DbError`] when the query fails.
#[cfg(any(test, feature = "test-support"))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn totals_for_user(
    db: &impl Conn<Specs>,
    user_id: UserId,
    since: DateTime<Utc>,
) -> Result<UsageTotals, DbError> {
    use llm_usage_tracking::Column;
    use sea_orm::sea_query::{Expr, Func};
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let row = llm_usage_tracking::Entity::find()
        .select_only()
        // count() and sum() of an integer column are 64-bit on both backends.
        .column_as(Expr::expr(Func::count(Expr::col(Column::Id))), "calls")
        .column_as(
            Expr::expr(Func::sum(Expr::col(Column::TokensInput))),
            "tokens_input",
        )
        .column_as(
            Expr::expr(Func::sum(Expr::col(Column::TokensOutput))),
            "tokens_output",
        )
        .column_as(
            Expr::expr(Func::sum(Expr::col(Column::CostUsd))),
            "cost_usd",
        )
        .filter(Column::UserId.eq(user_id.into_uuid()))
        .filter(Column::CreatedAt.gte(since))
        .into_model::<TotalsRow>()
        .one(db.raw())
        .await
        .map_err(|error| DbError::from_db(ENTITY, error))?;
    let count = |value: Option<i64>| u64::try_from(value.unwrap_or(0)).unwrap_or(0);
    Ok(row.map_or_else(UsageTotals::default, |row| UsageTotals {
        calls: count(row.calls),
        tokens_input: count(row.tokens_input),
        tokens_output: count(row.tokens_output),
        cost_usd: row.cost_usd.unwrap_or(0.0),
    }))
}

/// How many of a user's calls made at or after `since` failed.
///
/// Built only for tests (feature `test-support`), like [`totals_for_user`].
///
/// # Errors
/// [`DbError`] when the query fails.
#[cfg(any(test, feature = "test-support"))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn failures_for_user(
    db: &impl Conn<Specs>,
    user_id: UserId,
    since: DateTime<Utc>,
) -> Result<u64, DbError> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    Ok(llm_usage_tracking::Entity::find()
        .filter(llm_usage_tracking::Column::UserId.eq(user_id.into_uuid()))
        .filter(llm_usage_tracking::Column::CreatedAt.gte(since))
        .filter(llm_usage_tracking::Column::Success.eq(false))
        .count(db.raw())
        .await?)
}
