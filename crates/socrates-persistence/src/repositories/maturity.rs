//! The append-only maturity history of each project in `socrates_specs.maturity_tracking`:
//! one row per recomputation, with the per-category breakdown as JSON. The project's current
//! score lives on the project itself (see `projects::set_maturity_later`).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryTrait, Set};
use socrates_domain::{MaturityRecordId, MaturityReport, ProjectId};
use uuid::Uuid;

use super::{Writes, stored_count, to_stored_count};
use crate::db::{Conn, Specs};
use crate::entities::specs::maturity_tracking;
use crate::error::DbError;

const ENTITY: &str = "maturity record";

/// One recorded maturity computation.
#[derive(Debug, Clone, PartialEq)]
pub struct MaturityRecord {
    /// The record's id.
    pub id: MaturityRecordId,
    /// The project it measures.
    pub project_id: ProjectId,
    /// Overall maturity, 0–100 with two decimals.
    pub maturity_score: f64,
    /// The per-category coverage of the report, as JSON (a list, in canonical order).
    pub coverage: serde_json::Value,
    /// How many current facts the project had.
    pub facts_count: u32,
    /// Why it was recomputed (`answer`, `fact_updated`, `conflict_resolved`, …).
    pub reason: String,
    /// The answer, message, fact or conflict that caused the recomputation.
    pub source_id: Option<Uuid>,
    /// When it was computed.
    pub calculated_at: DateTime<Utc>,
}

fn to_record(model: maturity_tracking::Model) -> Result<MaturityRecord, DbError> {
    Ok(MaturityRecord {
        id: MaturityRecordId::from_uuid(model.id),
        project_id: ProjectId::from_uuid(model.project_id),
        facts_count: stored_count(ENTITY, model.facts_count)?,
        maturity_score: model.maturity_score,
        coverage: model.coverage,
        reason: model.reason,
        source_id: model.source_id,
        calculated_at: model.calculated_at,
    })
}

/// Appends a maturity report to the project's history and returns the record.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    report: &MaturityReport,
    reason: &str,
    source_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<MaturityRecord, DbError> {
    let model = active_model(project_id, report, reason, source_id, now)?
        .insert(db.raw())
        .await
        .map_err(|error| DbError::from_db(ENTITY, error))?;
    to_record(model)
}

/// [`record`] without reading the record back, with `also` sent in the same round trip (see
/// [`Writes`]).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_with(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    report: &MaturityReport,
    reason: &str,
    source_id: Option<Uuid>,
    now: DateTime<Utc>,
    also: Writes,
) -> Result<(), DbError> {
    let insert = maturity_tracking::Entity::insert(active_model(
        project_id, report, reason, source_id, now,
    )?)
    .into_query();
    super::execute(db.raw(), also.and(Writes::one(insert)))
        .await
        .map_err(|error| DbError::from_db(ENTITY, error))
}

fn active_model(
    project_id: ProjectId,
    report: &MaturityReport,
    reason: &str,
    source_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<maturity_tracking::ActiveModel, DbError> {
    let coverage = serde_json::to_value(&report.categories)
        .map_err(|error| DbError::corrupt(ENTITY, format!("coverage is not JSON: {error}")))?;
    let facts_count = report.categories.iter().fold(0_u32, |total, category| {
        total.saturating_add(category.fact_count)
    });
    Ok(maturity_tracking::ActiveModel {
        id: Set(MaturityRecordId::new().into_uuid()),
        project_id: Set(project_id.into_uuid()),
        maturity_score: Set(report.overall),
        coverage: Set(coverage),
        facts_count: Set(to_stored_count(ENTITY, facts_count)?),
        reason: Set(reason.to_owned()),
        source_id: Set(source_id),
        calculated_at: Set(now),
    })
}

/// The project's `limit` most recent maturity records, newest first.
///
/// Built only for tests (feature `test-support`): the product appends to the history and reads
/// it back only whole, in a person's data export (`personal_data`); tests read it here to check
/// what was appended.
#[cfg(any(test, feature = "test-support"))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn history(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    limit: u64,
) -> Result<Vec<MaturityRecord>, DbError> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    maturity_tracking::Entity::find()
        .filter(maturity_tracking::Column::ProjectId.eq(project_id.into_uuid()))
        .order_by_desc(maturity_tracking::Column::CalculatedAt)
        .order_by_desc(maturity_tracking::Column::Id)
        .limit(limit)
        .all(db.raw())
        .await?
        .into_iter()
        .map(to_record)
        .collect()
}
