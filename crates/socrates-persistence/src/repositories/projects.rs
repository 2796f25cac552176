//! Projects in `socrates_specs.projects`. Ownership is checked here, below the handlers:
//! [`find_owned`] answers `None` for another user's project, exactly as for a missing one.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set,
};
use socrates_domain::{
    ConflictStatus, ProjectId, ProjectName, ProjectPhase, ProjectStatus, UserId,
};

use super::{Page, Writes, parse_stored};
use crate::db::{Conn, Specs};
use crate::entities::specs::{conflicts, projects};
use crate::error::DbError;

const ENTITY: &str = "project";

/// A stored project.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// The project's id.
    pub id: ProjectId,
    /// The account that owns it (auth database; no foreign key).
    pub owner_id: UserId,
    /// The project's name.
    pub name: String,
    /// What it is about.
    pub description: Option<String>,
    /// Lifecycle phase.
    pub phase: ProjectPhase,
    /// Active, archived or completed.
    pub status: ProjectStatus,
    /// Overall maturity, 0–100 with two decimals.
    pub maturity_score: f64,
    /// When it was archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// What is needed to create a project.
#[derive(Debug, Clone)]
pub struct NewProject {
    /// The owner.
    pub owner_id: UserId,
    /// The validated name.
    pub name: ProjectName,
    /// An optional description (already validated).
    pub description: Option<String>,
}

/// Filters of a project listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProjectFilter {
    /// Only projects in this status (all but archived when `None`).
    pub status: Option<ProjectStatus>,
    /// Only projects in this phase.
    pub phase: Option<ProjectPhase>,
}

/// Changes to a project's descriptive fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProjectChanges {
    /// A new name.
    pub name: Option<ProjectName>,
    /// A new description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
}

pub(crate) fn to_record(model: projects::Model) -> Result<Project, DbError> {
    Ok(Project {
        id: ProjectId::from_uuid(model.id),
        owner_id: UserId::from_uuid(model.owner_id),
        phase: parse_stored(ENTITY, &model.phase)?,
        status: parse_stored(ENTITY, &model.status)?,
        name: model.name,
        description: model.description,
        maturity_score: model.maturity_score,
        archived_at: model.archived_at,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// Creates a project in `discovery` with maturity 0.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &impl Conn<Specs>,
    new: NewProject,
    now: DateTime<Utc>,
) -> Result<Project, DbError> {
    let model = projects::ActiveModel {
        id: Set(ProjectId::new().into_uuid()),
        owner_id: Set(new.owner_id.into_uuid()),
        team_id: Set(None),
        name: Set(new.name.into_inner()),
        description: Set(new.description),
        phase: Set(ProjectPhase::Discovery.as_str().to_owned()),
        status: Set(ProjectStatus::Active.as_str().to_owned()),
        maturity_score: Set(0.0),
        llm_provider: Set(None),
        llm_model: Set(None),
        template_id: Set(None),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db.raw())
    .await
    .map_err(|error| DbError::from_db(ENTITY, error))?;
    to_record(model)
}

/// The project with this id if `owner` owns it; `None` otherwise, so callers answer 404.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_owned(
    db: &impl Conn<Specs>,
    id: ProjectId,
    owner: UserId,
) -> Result<Option<Project>, DbError> {
    projects::Entity::find_by_id(id.into_uuid())
        .filter(projects::Column::OwnerId.eq(owner.into_uuid()))
        .one(db.raw())
        .await?
        .map(to_record)
        .transpose()
}

/// The project, whoever owns it (background work: the code generation workers).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_id(db: &impl Conn<Specs>, id: ProjectId) -> Result<Option<Project>, DbError> {
    projects::Entity::find_by_id(id.into_uuid())
        .one(db.raw())
        .await
        .map_err(|error| DbError::from_db(ENTITY, error))?
        .map(to_record)
        .transpose()
}

/// The owned project and how many of its conflicts are open, in one query (the status and
/// phase-advance reads).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_owned_with_open_conflicts(
    db: &impl Conn<Specs>,
    id: ProjectId,
    owner: UserId,
) -> Result<Option<(Project, u64)>, DbError> {
    let open = Query::select()
        .expr(Func::count(Expr::col((
            conflicts::Entity,
            conflicts::Column::Id,
        ))))
        .from(conflicts::Entity)
        .and_where(
            Expr::col((conflicts::Entity, conflicts::Column::ProjectId))
                .equals((projects::Entity, projects::Column::Id)),
        )
        .and_where(
            Expr::col((conflicts::Entity, conflicts::Column::Status))
                .eq(ConflictStatus::Open.as_str()),
        )
        .to_owned();
    let row = projects::Entity::find_by_id(id.into_uuid())
        .filter(projects::Column::OwnerId.eq(owner.into_uuid()))
        .column_as(
            Expr::SubQuery(None, Box::new(open.into())),
            "open_conflicts",
        )
        .into_model::<ProjectWithOpenConflicts>()
        .one(db.raw())
        .await?;
    row.map(|row| {
        let open = u64::try_from(row.open_conflicts).unwrap_or(0);
        Ok((to_record(row.into_model())?, open))
    })
    .transpose()
}

#[derive(sea_orm::FromQueryResult)]
struct ProjectWithOpenConflicts {
    id: uuid::Uuid,
    owner_id: uuid::Uuid,
    team_id: Option<uuid::Uuid>,
    name: String,
    description: Option<String>,
    phase: String,
    status: String,
    maturity_score: f64,
    llm_provider: Option<String>,
    llm_model: Option<String>,
    template_id: Option<String>,
    archived_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    open_conflicts: i64,
}

impl ProjectWithOpenConflicts {
    fn into_model(self) -> projects::Model {
        projects::Model {
            id: self.id,
            owner_id: self.owner_id,
            team_id: self.team_id,
            name: self.name,
            description: self.description,
            phase: self.phase,
            status: self.status,
            maturity_score: self.maturity_score,
            llm_provider: self.llm_provider,
            llm_model: self.llm_model,
            template_id: self.template_id,
            archived_at: self.archived_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// Moves the project from `from` to `to` only if it is still in `from`; `false` when another
/// request moved it first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn advance_phase(
    db: &impl Conn<Specs>,
    id: ProjectId,
    from: ProjectPhase,
    to: ProjectPhase,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let result = projects::Entity::update_many()
        .col_expr(projects::Column::Phase, Expr::value(to.as_str()))
        .col_expr(projects::Column::UpdatedAt, Expr::value(now))
        .filter(projects::Column::Id.eq(id.into_uuid()))
        .filter(projects::Column::Phase.eq(from.as_str()))
        .exec(db.raw())
        .await?;
    Ok(result.rows_affected == 1)
}

/// A page of the owner's projects, newest first, and the total matching the filter.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_for_owner(
    db: &impl Conn<Specs>,
    owner: UserId,
    filter: ProjectFilter,
    page: Page,
) -> Result<(Vec<Project>, u64), DbError> {
    let mut query =
        projects::Entity::find().filter(projects::Column::OwnerId.eq(owner.into_uuid()));
    query = match filter.status {
        Some(status) => query.filter(projects::Column::Status.eq(status.as_str())),
        None => query.filter(projects::Column::Status.ne(ProjectStatus::Archived.as_str())),
    };
    if let Some(phase) = filter.phase {
        query = query.filter(projects::Column::Phase.eq(phase.as_str()));
    }
    let total = query.clone().count(db.raw()).await?;
    let rows = query
        .order_by_desc(projects::Column::CreatedAt)
        .order_by_desc(projects::Column::Id)
        .limit(page.limit)
        .offset(page.offset)
        .all(db.raw())
        .await?;
    let projects = rows
        .into_iter()
        .map(to_record)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((projects, total))
}

/// Applies descriptive changes and returns the updated project.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &impl Conn<Specs>,
    id: ProjectId,
    changes: ProjectChanges,
    now: DateTime<Utc>,
) -> Result<Project, DbError> {
    let mut model = projects::ActiveModel {
        id: Set(id.into_uuid()),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(name) = changes.name {
        model.name = Set(name.into_inner());
    }
    if let Some(description) = changes.description {
        model.description = Set(description);
    }
    let updated = model.update(db.raw()).await.map_err(|error| match error {
        sea_orm::DbErr::RecordNotUpdated => DbError::NotFound { entity: ENTITY },
        other => DbError::from_db(ENTITY, other),
    })?;
    to_record(updated)
}

/// Stores a recomputed maturity score, as a write sent with another statement (see
/// [`Writes`]); a missing project is not reported.
pub fn set_maturity_later(id: ProjectId, maturity_score: f64, now: DateTime<Utc>) -> Writes {
    Writes::one(
        projects::Entity::update_many()
            .col_expr(projects::Column::UpdatedAt, Expr::value(now))
            .col_expr(projects::Column::MaturityScore, Expr::value(maturity_score))
            .filter(projects::Column::Id.eq(id.into_uuid()))
            .into_query(),
    )
}

/// Archives the project (the soft delete of the API).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn archive(
    db: &impl Conn<Specs>,
    id: ProjectId,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    set_columns(
        db,
        id,
        vec![
            (
                projects::Column::Status,
                Expr::value(ProjectStatus::Archived.as_str()),
            ),
            (projects::Column::ArchivedAt, Expr::value(now)),
        ],
        now,
    )
    .await
}

async fn set_columns(
    db: &impl Conn<Specs>,
    id: ProjectId,
    columns: Vec<(projects::Column, Expr)>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut update = projects::Entity::update_many()
        .col_expr(projects::Column::UpdatedAt, Expr::value(now))
        .filter(projects::Column::Id.eq(id.into_uuid()));
    for (column, value) in columns {
        update = update.col_expr(column, value);
    }
    let result = update.exec(db.raw()).await?;
    if result.rows_affected == 0 {
        return Err(DbError::NotFound { entity: ENTITY });
    }
    Ok(())
}
