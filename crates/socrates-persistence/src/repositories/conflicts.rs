//! Detected contradictions in `socrates_specs.conflicts`.
//!
//! A conflict holds the pending new fact until the user resolves it, so nothing the user said
//! is lost. Resolving is a conditional update on "still open": of two concurrent resolutions
//! exactly one wins, the other gets [`DbError::StaleVersion`].

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use socrates_domain::{
    Category, ConflictId, ConflictResolution, ConflictSeverity, ConflictStatus, ConflictType,
    FactSource, ProjectId, SessionId, SpecificationId, UserId,
};
use uuid::Uuid;

use super::{Page, parse_stored};
use crate::db::{Conn, Specs};
use crate::entities::specs::conflicts;
use crate::error::DbError;

/// The entity name its errors carry.
pub const ENTITY: &str = "conflict";

/// The new fact a conflict holds back until it is resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingFact {
    /// Its category.
    pub category: Category,
    /// Its key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// How sure the extractor was, 0..=1.
    pub confidence: f64,
    /// Where it came from.
    pub source: FactSource,
    /// The question, message, document or repository it came from.
    pub source_id: Option<Uuid>,
    /// Why the extractor believes it.
    pub reasoning: Option<String>,
}

/// A stored conflict.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The conflict's id.
    pub id: ConflictId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// The session it was detected in, if any.
    pub session_id: Option<SessionId>,
    /// What kind of contradiction it is.
    pub conflict_type: ConflictType,
    /// How serious it is.
    pub severity: ConflictSeverity,
    /// Open, resolved or ignored.
    pub status: ConflictStatus,
    /// The existing fact the pending one contradicts.
    pub old_spec_id: Option<SpecificationId>,
    /// The new fact held back.
    pub pending: PendingFact,
    /// What contradicts what, in words.
    pub description: String,
    /// Which detector found it (`rules`, `llm`, …).
    pub detected_by: String,
    /// The resolution options offered to the user.
    pub options: Option<serde_json::Value>,
    /// How it was resolved.
    pub resolution: Option<ConflictResolution>,
    /// The value the user supplied for a `merge`.
    pub merged_value: Option<String>,
    /// The user's notes on the resolution.
    pub resolution_notes: Option<String>,
    /// Who resolved it (auth database; no foreign key).
    pub resolved_by: Option<UserId>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The fact version the resolution wrote, if it wrote one.
    pub resulting_spec_id: Option<SpecificationId>,
    /// Whose statement caused it.
    pub created_by: Option<UserId>,
    /// When it was detected.
    pub detected_at: DateTime<Utc>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
}

/// What is needed to store a conflict; it starts open.
#[derive(Debug, Clone)]
pub struct NewConflict {
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// The session it was detected in.
    pub session_id: Option<SessionId>,
    /// What kind of contradiction it is.
    pub conflict_type: ConflictType,
    /// How serious it is.
    pub severity: ConflictSeverity,
    /// The existing fact the pending one contradicts.
    pub old_spec_id: Option<SpecificationId>,
    /// The new fact to hold back.
    pub pending: PendingFact,
    /// What contradicts what, in words.
    pub description: String,
    /// Which detector found it.
    pub detected_by: String,
    /// The resolution options offered to the user.
    pub options: Option<serde_json::Value>,
    /// Whose statement caused it.
    pub created_by: Option<UserId>,
    /// Its slot among the open conflicts: see [`socrates_domain::ValueSlot::held`].
    pub pending_slot: socrates_domain::ValueSlot,
}

/// How a conflict was settled.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// Keep the old fact, replace it, or merge both.
    pub resolution: ConflictResolution,
    /// The value the user supplied for a `merge`.
    pub merged_value: Option<String>,
    /// The user's notes.
    pub notes: Option<String>,
    /// Who resolved it.
    pub resolved_by: UserId,
    /// The fact version the resolution wrote, if it wrote one.
    pub resulting_spec_id: Option<SpecificationId>,
}

fn to_record(model: conflicts::Model) -> Result<Conflict, DbError> {
    Ok(Conflict {
        id: ConflictId::from_uuid(model.id),
        project_id: ProjectId::from_uuid(model.project_id),
        session_id: model.session_id.map(SessionId::from_uuid),
        conflict_type: parse_stored(ENTITY, &model.conflict_type)?,
        severity: parse_stored(ENTITY, &model.severity)?,
        status: parse_stored(ENTITY, &model.status)?,
        old_spec_id: model.old_spec_id.map(SpecificationId::from_uuid),
        pending: PendingFact {
            category: parse_stored(ENTITY, &model.pending_category)?,
            key: model.pending_key,
            value: model.pending_value,
            confidence: model.pending_confidence,
            source: parse_stored(ENTITY, &model.pending_source)?,
            source_id: model.pending_source_id,
            reasoning: model.pending_reasoning,
        },
        description: model.description,
        detected_by: model.detected_by,
        options: model.options,
        resolution: model
            .resolution
            .as_deref()
            .map(|raw| parse_stored(ENTITY, raw))
            .transpose()?,
        merged_value: model.merged_value,
        resolution_notes: model.resolution_notes,
        resolved_by: model.resolved_by.map(UserId::from_uuid),
        resolved_at: model.resolved_at,
        resulting_spec_id: model.resulting_spec_id.map(SpecificationId::from_uuid),
        created_by: model.created_by.map(UserId::from_uuid),
        detected_at: model.detected_at,
        updated_at: model.updated_at,
    })
}

/// Stores an open conflict.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(
    db: &impl Conn<Specs>,
    new: NewConflict,
    now: DateTime<Utc>,
) -> Result<Conflict, DbError> {
    let model = conflicts::ActiveModel {
        id: Set(ConflictId::new().into_uuid()),
        project_id: Set(new.project_id.into_uuid()),
        session_id: Set(new.session_id.map(SessionId::into_uuid)),
        conflict_type: Set(new.conflict_type.as_str().to_owned()),
        severity: Set(new.severity.as_str().to_owned()),
        status: Set(ConflictStatus::Open.as_str().to_owned()),
        old_spec_id: Set(new.old_spec_id.map(SpecificationId::into_uuid)),
        pending_category: Set(new.pending.category.as_str().to_owned()),
        pending_key: Set(new.pending.key),
        pending_value: Set(new.pending.value),
        pending_confidence: Set(new.pending.confidence),
        pending_source: Set(new.pending.source.as_str().to_owned()),
        pending_source_id: Set(new.pending.source_id),
        pending_reasoning: Set(new.pending.reasoning),
        description: Set(new.description),
        detected_by: Set(new.detected_by),
        options: Set(new.options),
        resolution: Set(None),
        merged_value: Set(None),
        resolution_notes: Set(None),
        resolved_by: Set(None),
        resolved_at: Set(None),
        resulting_spec_id: Set(None),
        created_by: Set(new.created_by.map(UserId::into_uuid)),
        detected_at: Set(now),
        updated_at: Set(now),
        pending_slot: Set(new.pending_slot.into_inner()),
    }
    .insert(db.raw())
    .await
    .map_err(|error| DbError::from_db(ENTITY, error))?;
    to_record(model)
}

/// The conflict with this id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_id(
    db: &impl Conn<Specs>,
    id: ConflictId,
) -> Result<Option<Conflict>, DbError> {
    conflicts::Entity::find_by_id(id.into_uuid())
        .one(db.raw())
        .await?
        .map(to_record)
        .transpose()
}

/// A page of the project's conflicts, optionally in one status, newest first, and the total.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_for_project(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    status: Option<ConflictStatus>,
    page: Page,
) -> Result<(Vec<Conflict>, u64), DbError> {
    let mut query =
        conflicts::Entity::find().filter(conflicts::Column::ProjectId.eq(project_id.into_uuid()));
    if let Some(status) = status {
        query = query.filter(conflicts::Column::Status.eq(status.as_str()));
    }
    let total = query.clone().count(db.raw()).await?;
    let rows = query
        .order_by_desc(conflicts::Column::DetectedAt)
        .order_by_desc(conflicts::Column::Id)
        .limit(page.limit)
        .offset(page.offset)
        .all(db.raw())
        .await?;
    let conflicts = rows
        .into_iter()
        .map(to_record)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((conflicts, total))
}

/// Every conflict of the project, newest first, in one query (for exports).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn all_for_project(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
) -> Result<Vec<Conflict>, DbError> {
    conflicts::Entity::find()
        .filter(conflicts::Column::ProjectId.eq(project_id.into_uuid()))
        .order_by_desc(conflicts::Column::DetectedAt)
        .order_by_desc(conflicts::Column::Id)
        .all(db.raw())
        .await?
        .into_iter()
        .map(to_record)
        .collect()
}

/// The project's open conflicts that hold back a value for `category` and `key` against the
/// same contradicted fact (`None`: against no stored fact), oldest first. A statement repeated
/// while its conflict is open is matched against these instead of raising a second conflict.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open_holding(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    old_spec_id: Option<SpecificationId>,
    category: Category,
    key: &str,
) -> Result<Vec<Conflict>, DbError> {
    let old_spec = match old_spec_id {
        Some(id) => conflicts::Column::OldSpecId.eq(id.into_uuid()),
        None => conflicts::Column::OldSpecId.is_null(),
    };
    conflicts::Entity::find()
        .filter(conflicts::Column::ProjectId.eq(project_id.into_uuid()))
        .filter(conflicts::Column::Status.eq(ConflictStatus::Open.as_str()))
        .filter(old_spec)
        .filter(conflicts::Column::PendingCategory.eq(category.as_str()))
        .filter(conflicts::Column::PendingKey.eq(key))
        .order_by_asc(conflicts::Column::DetectedAt)
        .order_by_asc(conflicts::Column::Id)
        .all(db.raw())
        .await?
        .into_iter()
        .map(to_record)
        .collect()
}

/// Resolves an open conflict and returns it. [`DbError::StaleVersion`] when it is no longer
/// open (resolved or ignored already), [`DbError::NotFound`] when it does not exist.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn resolve(
    db: &impl Conn<Specs>,
    id: ConflictId,
    resolution: Resolution,
    now: DateTime<Utc>,
) -> Result<Conflict, DbError> {
    let result = conflicts::Entity::update_many()
        .col_expr(
            conflicts::Column::Status,
            Expr::value(ConflictStatus::Resolved.as_str()),
        )
        .col_expr(
            conflicts::Column::Resolution,
            Expr::value(resolution.resolution.as_str()),
        )
        .col_expr(
            conflicts::Column::MergedValue,
            Expr::value(resolution.merged_value),
        )
        .col_expr(
            conflicts::Column::ResolutionNotes,
            Expr::value(resolution.notes),
        )
        .col_expr(
            conflicts::Column::ResolvedBy,
            Expr::value(resolution.resolved_by.into_uuid()),
        )
        .col_expr(conflicts::Column::ResolvedAt, Expr::value(now))
        .col_expr(
            conflicts::Column::ResultingSpecId,
            Expr::value(resolution.resulting_spec_id.map(SpecificationId::into_uuid)),
        )
        .col_expr(conflicts::Column::UpdatedAt, Expr::value(now))
        .filter(conflicts::Column::Id.eq(id.into_uuid()))
        .filter(conflicts::Column::Status.eq(ConflictStatus::Open.as_str()))
        .exec(db.raw())
        .await?;
    let conflict = find_by_id(db, id)
        .await?
        .ok_or(DbError::NotFound { entity: ENTITY })?;
    if result.rows_affected == 0 {
        return Err(DbError::StaleVersion { entity: ENTITY });
    }
    Ok(conflict)
}
