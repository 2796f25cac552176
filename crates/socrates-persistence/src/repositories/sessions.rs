//! Questioning and chat sessions in `socrates_specs.sessions`. `user_id` names an account of
//! the auth database (no foreign key); the service layer checks that it owns the project.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic,
    Iterable, JoinType, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait, RelationDef, SelectA,
    SelectB, SelectC, Set,
};
use socrates_domain::{ProjectId, QuestionId, SessionId, SessionMode, SessionStatus, UserId};

use super::projects::Project;
use super::questions::Question;
use super::{Writes, parse_stored};
use crate::db::{Conn, Specs};
use crate::entities::specs::{projects, questions, sessions};
use crate::error::DbError;

const ENTITY: &str = "session";

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The session's id.
    pub id: SessionId,
    /// The project it works on.
    pub project_id: ProjectId,
    /// The account that opened it (auth database; no foreign key).
    pub user_id: UserId,
    /// Socratic questioning or direct chat.
    pub mode: SessionMode,
    /// Active or ended.
    pub status: SessionStatus,
    /// When it was opened.
    pub started_at: DateTime<Utc>,
    /// When it was ended, if it was.
    pub ended_at: Option<DateTime<Utc>>,
    /// The last question, answer or message in it.
    pub last_activity_at: DateTime<Utc>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
}

fn to_record(model: &sessions::Model) -> Result<Session, DbError> {
    Ok(Session {
        id: SessionId::from_uuid(model.id),
        project_id: ProjectId::from_uuid(model.project_id),
        user_id: UserId::from_uuid(model.user_id),
        mode: parse_stored(ENTITY, &model.mode)?,
        status: parse_stored(ENTITY, &model.status)?,
        started_at: model.started_at,
        ended_at: model.ended_at,
        last_activity_at: model.last_activity_at,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// Opens an active session on a project.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    user_id: UserId,
    mode: SessionMode,
    now: DateTime<Utc>,
) -> Result<Session, DbError> {
    let model = sessions::ActiveModel {
        id: Set(SessionId::new().into_uuid()),
        project_id: Set(project_id.into_uuid()),
        user_id: Set(user_id.into_uuid()),
        mode: Set(mode.as_str().to_owned()),
        status: Set(SessionStatus::Active.as_str().to_owned()),
        started_at: Set(now),
        ended_at: Set(None),
        last_activity_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db.raw())
    .await
    .map_err(|error| DbError::from_db(ENTITY, error))?;
    to_record(&model)
}

/// The session with this id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_id(db: &impl Conn<Specs>, id: SessionId) -> Result<Option<Session>, DbError> {
    sessions::Entity::find_by_id(id.into_uuid())
        .one(db.raw())
        .await?
        .map(|model| to_record(&model))
        .transpose()
}

/// The session with its project, in one query, when the project belongs to `owner`; `None`
/// when the session is missing or its project is someone else's (the callers answer 404 for
/// both, so nobody learns which sessions exist).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_with_owned_project(
    db: &impl Conn<Specs>,
    id: SessionId,
    owner: UserId,
) -> Result<Option<(Session, Project)>, DbError> {
    let found = sessions::Entity::find_by_id(id.into_uuid())
        .join(JoinType::InnerJoin, project_of_session())
        .filter(projects::Column::OwnerId.eq(owner.into_uuid()))
        .select_also(projects::Entity)
        .one(db.raw())
        .await?;
    match found {
        Some((session, Some(project))) => Ok(Some((
            to_record(&session)?,
            super::projects::to_record(project)?,
        ))),
        _ => Ok(None),
    }
}

/// The caller's session, its project and `question` of that session, in one statement; `None`
/// when any of them is missing, not the caller's or (the question) of another session.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_with_owned_project_and_question(
    db: &impl Conn<Specs>,
    id: SessionId,
    owner: UserId,
    question: QuestionId,
) -> Result<Option<(Session, Project, Question)>, DbError> {
    let question_of_session: RelationDef = sessions::Entity::belongs_to(questions::Entity)
        .from(sessions::Column::Id)
        .to(questions::Column::SessionId)
        .into();
    let mut select = sessions::Entity::find_by_id(id.into_uuid())
        .join(JoinType::InnerJoin, project_of_session())
        .join(JoinType::InnerJoin, question_of_session)
        .filter(projects::Column::OwnerId.eq(owner.into_uuid()))
        .filter(questions::Column::Id.eq(question.into_uuid()))
        .select_also(projects::Entity)
        .into_query();
    // The question's columns, named as SeaORM names a third entity's (`select_also` names
    // the first two `A_…` and `B_…`).
    for column in questions::Column::iter() {
        select.expr_as(
            Expr::col((questions::Entity, column)),
            Alias::new(format!("{}{}", SelectC.as_str(), column.as_str())),
        );
    }
    let backend = db.raw().get_database_backend();
    let Some(row) = db.raw().query_one_raw(backend.build(&select)).await? else {
        return Ok(None);
    };
    let session = sessions::Model::from_query_result(&row, SelectA.as_str())?;
    let project = projects::Model::from_query_result(&row, SelectB.as_str())?;
    let question = questions::Model::from_query_result(&row, SelectC.as_str())?;
    Ok(Some((
        to_record(&session)?,
        super::projects::to_record(project)?,
        super::questions::to_record(question)?,
    )))
}

fn project_of_session() -> RelationDef {
    sessions::Entity::belongs_to(projects::Entity)
        .from(sessions::Column::ProjectId)
        .to(projects::Column::Id)
        .into()
}

/// Ends the session and returns it. Ending an ended session changes nothing (the first
/// `ended_at` is kept), so a repeated request is harmless; [`DbError::NotFound`] when missing.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn end(
    db: &impl Conn<Specs>,
    id: SessionId,
    now: DateTime<Utc>,
) -> Result<Session, DbError> {
    sessions::Entity::update_many()
        .col_expr(
            sessions::Column::Status,
            Expr::value(SessionStatus::Ended.as_str()),
        )
        .col_expr(sessions::Column::EndedAt, Expr::value(now))
        .col_expr(sessions::Column::UpdatedAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(id.into_uuid()))
        .filter(sessions::Column::Status.eq(SessionStatus::Active.as_str()))
        .exec(db.raw())
        .await?;
    find_by_id(db, id)
        .await?
        .ok_or(DbError::NotFound { entity: ENTITY })
}

/// Switches an active session to `mode` and returns the session as it is now; `None` when it
/// is missing or has ended (nothing is written then).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_mode(
    db: &impl Conn<Specs>,
    id: SessionId,
    mode: SessionMode,
    now: DateTime<Utc>,
) -> Result<Option<Session>, DbError> {
    let updated = sessions::Entity::update_many()
        .col_expr(sessions::Column::Mode, Expr::value(mode.as_str()))
        .col_expr(sessions::Column::UpdatedAt, Expr::value(now))
        .col_expr(sessions::Column::LastActivityAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(id.into_uuid()))
        .filter(sessions::Column::Status.eq(SessionStatus::Active.as_str()))
        .exec(db.raw())
        .await?;
    if updated.rows_affected == 0 {
        return Ok(None);
    }
    find_by_id(db, id).await
}

/// Records activity in the session (a question, an answer or a message) at `now`, as a write
/// sent with another statement (see [`Writes`]); a missing session is not reported.
pub fn touch_later(id: SessionId, now: DateTime<Utc>) -> Writes {
    Writes::one(
        sessions::Entity::update_many()
            .col_expr(sessions::Column::UpdatedAt, Expr::value(now))
            .col_expr(sessions::Column::LastActivityAt, Expr::value(now))
            .filter(sessions::Column::Id.eq(id.into_uuid()))
            .into_query(),
    )
}

/// How many sessions are active across all projects (for the admin statistics).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn count_active(db: &impl Conn<Specs>) -> Result<u64, DbError> {
    Ok(sessions::Entity::find()
        .filter(sessions::Column::Status.eq(SessionStatus::Active.as_str()))
        .count(db.raw())
        .await?)
}
