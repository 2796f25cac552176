//! Specification facts in `socrates_specs.specifications`, versioned.
//!
//! Every version of a fact is a row. `lineage_id` groups the versions of one fact (it is the id
//! of the first version); exactly one version of a live fact is current; an older version
//! points to its successor through `superseded_by`; a deleted fact keeps its rows with
//! `deleted_at` set. Maturity and exports read current facts only.
//!
//! Changing a fact writes two rows, so [`new_version`] takes a transaction. Both it and
//! [`soft_delete`] are conditional updates on "still current": a writer that lost a race gets
//! [`DbError::StaleVersion`] instead of silently forking the fact's history.
//!
//! A partial unique index keeps one current fact per `(project, category, key, value_slot)`
//! (see [`ValueSlot`]): a write that would make a second value of a single-valued key current,
//! or the same value of a multi-valued key current twice, fails with
//! [`DbError::AlreadyExists`] and writes nothing, whatever the interleaving of writers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set,
};
use socrates_domain::{
    Category, Confidence, FactKey, FactSource, FactValue, ProjectId, SessionId, SpecificationId,
    UserId, ValueSlot,
};
use uuid::Uuid;

use super::{Page, parse_stored};
use crate::db::{Conn, Specs, SpecsTx};
use crate::entities::specs::specifications;
use crate::error::DbError;

/// The entity name its errors carry.
pub const ENTITY: &str = "specification";

/// One stored version of a fact.
#[derive(Debug, Clone, PartialEq)]
pub struct Specification {
    /// This version's id.
    pub id: SpecificationId,
    /// The id of the fact's first version, shared by all its versions.
    pub lineage_id: SpecificationId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// The session it was stated in, if any.
    pub session_id: Option<SessionId>,
    /// Its maturity category.
    pub category: Category,
    /// Its key within the category (lower snake_case, dotted).
    pub key: String,
    /// Its value.
    pub value: String,
    /// Where it came from.
    pub source: FactSource,
    /// The question, message, document or repository it came from.
    pub source_id: Option<Uuid>,
    /// How sure the extractor was, 0..=1.
    pub confidence: f64,
    /// Why the extractor believes it.
    pub reasoning: Option<String>,
    /// 1 for the first version, one more for each change.
    pub version: u32,
    /// True for the one live version of a fact.
    pub is_current: bool,
    /// When a newer version replaced it.
    pub superseded_at: Option<DateTime<Utc>>,
    /// The version that replaced it.
    pub superseded_by: Option<SpecificationId>,
    /// Who stated or entered it (auth database; no foreign key).
    pub created_by: Option<UserId>,
    /// Free-form details of its extraction.
    pub metadata: Option<serde_json::Value>,
    /// When this version was written.
    pub created_at: DateTime<Utc>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
    /// When the fact was deleted (only ever set on the version that was current then).
    pub deleted_at: Option<DateTime<Utc>>,
}

impl socrates_domain::StatedFact for Specification {
    fn category(&self) -> Category {
        self.category
    }

    fn key(&self) -> &str {
        &self.key
    }

    fn value(&self) -> &str {
        &self.value
    }
}

/// What is needed to store a new fact.
#[derive(Debug, Clone)]
pub struct NewSpecification {
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// The session it was stated in.
    pub session_id: Option<SessionId>,
    /// Its category.
    pub category: Category,
    /// Its validated key.
    pub key: FactKey,
    /// Its validated value.
    pub value: FactValue,
    /// Where it came from.
    pub source: FactSource,
    /// The question, message, document or repository it came from.
    pub source_id: Option<Uuid>,
    /// How sure the extractor is.
    pub confidence: Confidence,
    /// Why the extractor believes it.
    pub reasoning: Option<String>,
    /// Who stated or entered it.
    pub created_by: Option<UserId>,
    /// Free-form details of its extraction.
    pub metadata: Option<serde_json::Value>,
    /// Its slot among the current facts of its key: see [`ValueSlot`].
    pub value_slot: ValueSlot,
}

/// A change of a fact's value, written as its next version. Project, session, category, key
/// and metadata carry over from the version it replaces.
#[derive(Debug, Clone)]
pub struct FactChange {
    /// The new value.
    pub value: FactValue,
    /// The new confidence; the previous version's when `None`.
    pub confidence: Option<Confidence>,
    /// Where the change came from.
    pub source: FactSource,
    /// The question, message, conflict or document it came from.
    pub source_id: Option<Uuid>,
    /// Why the value changed.
    pub reasoning: Option<String>,
    /// Who made the change.
    pub created_by: Option<UserId>,
    /// The new value's slot among the current facts of its key: see [`ValueSlot`].
    pub value_slot: ValueSlot,
}

fn to_record(model: specifications::Model) -> Result<Specification, DbError> {
    let version = u32::try_from(model.version)
        .map_err(|_| DbError::corrupt(ENTITY, format!("version {}", model.version)))?;
    Ok(Specification {
        id: SpecificationId::from_uuid(model.id),
        lineage_id: SpecificationId::from_uuid(model.lineage_id),
        project_id: ProjectId::from_uuid(model.project_id),
        session_id: model.session_id.map(SessionId::from_uuid),
        category: parse_stored(ENTITY, &model.category)?,
        source: parse_stored(ENTITY, &model.source)?,
        superseded_by: model.superseded_by.map(SpecificationId::from_uuid),
        created_by: model.created_by.map(UserId::from_uuid),
        version,
        key: model.key,
        value: model.value,
        source_id: model.source_id,
        confidence: model.confidence,
        reasoning: model.reasoning,
        is_current: model.is_current,
        superseded_at: model.superseded_at,
        metadata: model.metadata,
        created_at: model.created_at,
        updated_at: model.updated_at,
        deleted_at: model.deleted_at,
    })
}

fn to_records(models: Vec<specifications::Model>) -> Result<Vec<Specification>, DbError> {
    models.into_iter().map(to_record).collect()
}

/// Stores a new fact as version 1 of its own lineage.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(
    db: &impl Conn<Specs>,
    new: NewSpecification,
    now: DateTime<Utc>,
) -> Result<Specification, DbError> {
    let mut stored = insert_all(db, vec![new], now).await?;
    stored
        .pop()
        .ok_or_else(|| DbError::corrupt(ENTITY, "one fact inserted, none stored".to_owned()))
}

/// Stores new facts, each as version 1 of its own lineage, in **one** statement (one round
/// trip however many facts an answer yields); returned in the order given.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert_all(
    db: &impl Conn<Specs>,
    facts: Vec<NewSpecification>,
    now: DateTime<Utc>,
) -> Result<Vec<Specification>, DbError> {
    if facts.is_empty() {
        return Ok(Vec::new());
    }
    let models: Vec<specifications::Model> = facts
        .into_iter()
        .map(|new| {
            let id = SpecificationId::new().into_uuid();
            specifications::Model {
                id,
                lineage_id: id,
                project_id: new.project_id.into_uuid(),
                session_id: new.session_id.map(SessionId::into_uuid),
                category: new.category.as_str().to_owned(),
                key: new.key.into_inner(),
                value: new.value.into_inner(),
                source: new.source.as_str().to_owned(),
                source_id: new.source_id,
                confidence: new.confidence.value(),
                reasoning: new.reasoning,
                version: 1,
                is_current: true,
                superseded_at: None,
                superseded_by: None,
                created_by: new.created_by.map(UserId::into_uuid),
                metadata: new.metadata,
                created_at: now,
                updated_at: now,
                deleted_at: None,
                value_slot: new.value_slot.into_inner(),
            }
        })
        .collect();
    // Read back what was stored (timestamps at the database's precision), in the given order.
    let order: Vec<Uuid> = models.iter().map(|model| model.id).collect();
    let mut stored: HashMap<Uuid, specifications::Model> = specifications::Entity::insert_many(
        models.into_iter().map(IntoActiveModel::into_active_model),
    )
    .exec_with_returning(db.raw())
    .await
    .map_err(|error| DbError::from_db(ENTITY, error))?
    .into_iter()
    .map(|model| (model.id, model))
    .collect();
    order
        .into_iter()
        .map(|id| {
            stored
                .remove(&id)
                .ok_or_else(|| DbError::corrupt(ENTITY, format!("inserted fact {id} not returned")))
                .and_then(to_record)
        })
        .collect()
}

/// The version with this id, current or not, deleted or not.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_id(
    db: &impl Conn<Specs>,
    id: SpecificationId,
) -> Result<Option<Specification>, DbError> {
    specifications::Entity::find_by_id(id.into_uuid())
        .one(db.raw())
        .await?
        .map(to_record)
        .transpose()
}

/// Current, undeleted facts of a project.
fn current_of(project_id: ProjectId) -> Select<specifications::Entity> {
    specifications::Entity::find()
        .filter(specifications::Column::ProjectId.eq(project_id.into_uuid()))
        .filter(specifications::Column::IsCurrent.eq(true))
        .filter(specifications::Column::DeletedAt.is_null())
}

/// Orders facts by category (stored text), then by age.
fn in_listing_order(query: Select<specifications::Entity>) -> Select<specifications::Entity> {
    query
        .order_by_asc(specifications::Column::Category)
        .order_by_asc(specifications::Column::CreatedAt)
        .order_by_asc(specifications::Column::Id)
}

/// A page of the project's current facts, optionally of one category, ordered by category then
/// age, and the total matching, in one query: the total comes with the rows (`COUNT(*) OVER
/// ()`). Only a page past the end, which has no row to carry the total, costs a second query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_current_counted(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    category: Option<Category>,
    page: Page,
) -> Result<(Vec<Specification>, u64), DbError> {
    #[derive(sea_orm::FromQueryResult)]
    struct WithTotal {
        #[sea_orm(nested)]
        fact: specifications::Model,
        total_count: i64,
    }
    let mut query = current_of(project_id);
    if let Some(category) = category {
        query = query.filter(specifications::Column::Category.eq(category.as_str()));
    }
    let rows: Vec<WithTotal> = in_listing_order(query.clone())
        .column_as(Expr::cust("COUNT(*) OVER ()"), "total_count")
        .limit(page.limit)
        .offset(page.offset)
        .into_model::<WithTotal>()
        .all(db.raw())
        .await?;
    let total = match rows.first() {
        Some(row) => u64::try_from(row.total_count).unwrap_or(0),
        None if page.offset == 0 => 0,
        None => query.count(db.raw()).await?,
    };
    let facts = rows
        .into_iter()
        .map(|row| to_record(row.fact))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((facts, total))
}

/// Every current fact of the project, for maturity and exports.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn all_current(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
) -> Result<Vec<Specification>, DbError> {
    to_records(
        in_listing_order(current_of(project_id))
            .all(db.raw())
            .await?,
    )
}

/// The fact versions with these ids, current or not (a code generation reads exactly the
/// versions it was asked for), in listing order; ids that do not exist are left out.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_ids(db: &impl Conn<Specs>, ids: &[Uuid]) -> Result<Vec<Specification>, DbError> {
    let mut found = Vec::with_capacity(ids.len());
    for batch in ids.chunks(500) {
        found.extend(to_records(
            in_listing_order(
                specifications::Entity::find()
                    .filter(specifications::Column::Id.is_in(batch.iter().copied())),
            )
            .all(db.raw())
            .await?,
        )?);
    }
    found.sort_by(|a, b| {
        (a.category.as_str(), a.created_at, a.id.into_uuid()).cmp(&(
            b.category.as_str(),
            b.created_at,
            b.id.into_uuid(),
        ))
    });
    Ok(found)
}

/// Writes the next version of the fact whose current version is `id` and returns it.
///
/// The old row is marked superseded only if it is still the current, undeleted version;
/// otherwise [`DbError::StaleVersion`] (or [`DbError::NotFound`] when `id` does not exist) and
/// nothing is written. It takes a transaction because it writes two rows: the caller commits.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn new_version(
    tx: &SpecsTx,
    id: SpecificationId,
    change: FactChange,
    now: DateTime<Utc>,
) -> Result<Specification, DbError> {
    // Writing first takes the row's write lock before anything is read, so of two concurrent
    // changes exactly one sees the row current.
    let superseded = specifications::Entity::update_many()
        .col_expr(specifications::Column::IsCurrent, Expr::value(false))
        .col_expr(specifications::Column::SupersededAt, Expr::value(now))
        .col_expr(specifications::Column::UpdatedAt, Expr::value(now))
        .filter(specifications::Column::Id.eq(id.into_uuid()))
        .filter(specifications::Column::IsCurrent.eq(true))
        .filter(specifications::Column::DeletedAt.is_null())
        .exec(tx.raw())
        .await?;
    let previous = specifications::Entity::find_by_id(id.into_uuid())
        .one(tx.raw())
        .await?
        .ok_or(DbError::NotFound { entity: ENTITY })?;
    if superseded.rows_affected == 0 {
        return Err(DbError::StaleVersion { entity: ENTITY });
    }
    let new_id = SpecificationId::new().into_uuid();
    let confidence = change
        .confidence
        .map_or(previous.confidence, Confidence::value);
    let model = specifications::ActiveModel {
        id: Set(new_id),
        lineage_id: Set(previous.lineage_id),
        project_id: Set(previous.project_id),
        session_id: Set(previous.session_id),
        category: Set(previous.category),
        key: Set(previous.key),
        value: Set(change.value.into_inner()),
        source: Set(change.source.as_str().to_owned()),
        source_id: Set(change.source_id),
        confidence: Set(confidence),
        reasoning: Set(change.reasoning),
        version: Set(previous.version.saturating_add(1)),
        is_current: Set(true),
        superseded_at: Set(None),
        superseded_by: Set(None),
        created_by: Set(change.created_by.map(UserId::into_uuid)),
        metadata: Set(previous.metadata),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        value_slot: Set(change.value_slot.into_inner()),
    }
    .insert(tx.raw())
    .await
    // The unique (lineage, version) index is the last line of defence against a fork; the
    // current-value index refuses a value that another current fact of the key already holds.
    .map_err(|error| {
        let message = error.to_string();
        let current_value =
            message.contains("value_slot") || message.contains("uq_specifications_current_value");
        match DbError::from_db(ENTITY, error) {
            DbError::AlreadyExists { entity } if !current_value => DbError::StaleVersion { entity },
            other => other,
        }
    })?;
    // The link can only be written now: the foreign key needs the new row to exist.
    specifications::Entity::update_many()
        .col_expr(specifications::Column::SupersededBy, Expr::value(new_id))
        .filter(specifications::Column::Id.eq(id.into_uuid()))
        .exec(tx.raw())
        .await?;
    to_record(model)
}

/// Deletes the fact whose current version is `id` (soft: the rows stay for its history) and
/// returns the deleted version. A superseded or already deleted version gives
/// [`DbError::StaleVersion`]; an unknown id [`DbError::NotFound`].
#[tracing::instrument(level = "debug", skip_all)]
pub async fn soft_delete(
    db: &impl Conn<Specs>,
    id: SpecificationId,
    now: DateTime<Utc>,
) -> Result<Specification, DbError> {
    let result = specifications::Entity::update_many()
        .col_expr(specifications::Column::IsCurrent, Expr::value(false))
        .col_expr(specifications::Column::DeletedAt, Expr::value(now))
        .col_expr(specifications::Column::UpdatedAt, Expr::value(now))
        .filter(specifications::Column::Id.eq(id.into_uuid()))
        .filter(specifications::Column::IsCurrent.eq(true))
        .filter(specifications::Column::DeletedAt.is_null())
        .exec(db.raw())
        .await?;
    let row = find_by_id(db, id)
        .await?
        .ok_or(DbError::NotFound { entity: ENTITY })?;
    if result.rows_affected == 0 {
        return Err(DbError::StaleVersion { entity: ENTITY });
    }
    Ok(row)
}

/// A page of the versions of the fact `id` belongs to, oldest first, and how many versions
/// it has; empty when `id` is unknown.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn history(
    db: &impl Conn<Specs>,
    id: SpecificationId,
    page: Page,
) -> Result<(Vec<Specification>, u64), DbError> {
    let Some(lineage_id) = specifications::Entity::find_by_id(id.into_uuid())
        .select_only()
        .column(specifications::Column::LineageId)
        .into_tuple::<Uuid>()
        .one(db.raw())
        .await?
    else {
        return Ok((Vec::new(), 0));
    };
    let lineage =
        specifications::Entity::find().filter(specifications::Column::LineageId.eq(lineage_id));
    let total = lineage.clone().count(db.raw()).await?;
    let versions = to_records(
        lineage
            .order_by_asc(specifications::Column::Version)
            .limit(page.limit)
            .offset(page.offset)
            .all(db.raw())
            .await?,
    )?;
    Ok((versions, total))
}

/// The category, key and confidence of every current fact of the project: what maturity and
/// the interview plan need, in one narrow query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn current_keys(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
) -> Result<Vec<(Category, String, f64)>, DbError> {
    let rows: Vec<(String, String, f64)> = current_of(project_id)
        .select_only()
        .column(specifications::Column::Category)
        .column(specifications::Column::Key)
        .column(specifications::Column::Confidence)
        .into_tuple()
        .all(db.raw())
        .await?;
    rows.into_iter()
        .map(|(category, key, confidence)| Ok((parse_stored(ENTITY, &category)?, key, confidence)))
        .collect()
}

/// The category and confidence of every current fact of the project: all maturity needs, in
/// one narrow query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn current_confidences(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
) -> Result<Vec<(Category, f64)>, DbError> {
    let rows: Vec<(String, f64)> = current_of(project_id)
        .select_only()
        .column(specifications::Column::Category)
        .column(specifications::Column::Confidence)
        .into_tuple()
        .all(db.raw())
        .await?;
    rows.into_iter()
        .map(|(category, confidence)| Ok((parse_stored(ENTITY, &category)?, confidence)))
        .collect()
}
