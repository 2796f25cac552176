//! Questions asked in sessions, in `socrates_specs.questions`.
//!
//! A question may be answered once with facts: [`mark_answered_with`] is a conditional update, so
//! two concurrent answers cannot both extract facts from the same question.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Set,
};
use socrates_domain::{Category, ProjectId, QuestionId, SessionId};

use super::{Writes, parse_stored, stored_count, to_stored_count};
use crate::db::{Conn, Specs};
use crate::entities::specs::questions;
use crate::error::DbError;

/// The entity name in errors about questions.
pub const ENTITY: &str = "question";

/// A stored question.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// The question's id.
    pub id: QuestionId,
    /// The project it was asked about.
    pub project_id: ProjectId,
    /// The session it was asked in.
    pub session_id: SessionId,
    /// The question itself.
    pub text: String,
    /// The category it explores.
    pub category: Category,
    /// Why it was asked, shown to the user.
    pub context: Option<String>,
    /// The question-bank template it came from, so a project never gets it twice.
    pub template_id: Option<String>,
    /// The persona (role) it was phrased for.
    pub persona: Option<String>,
    /// Quality-control score, 0..=1.
    pub quality_score: f64,
    /// Bias score from quality control, when one was computed.
    pub bias_score: Option<f64>,
    /// When it was answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// How many facts the answer produced.
    pub facts_extracted: u32,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
}

/// What is needed to store a question.
#[derive(Debug, Clone)]
pub struct NewQuestion {
    /// The project it is asked about.
    pub project_id: ProjectId,
    /// The session it is asked in.
    pub session_id: SessionId,
    /// The question itself.
    pub text: String,
    /// The category it explores.
    pub category: Category,
    /// Why it is asked.
    pub context: Option<String>,
    /// The question-bank template it comes from.
    pub template_id: Option<String>,
    /// The persona (role) it is phrased for.
    pub persona: Option<String>,
    /// Quality-control score, 0..=1.
    pub quality_score: f64,
    /// Bias score from quality control.
    pub bias_score: Option<f64>,
}

/// A question of a project as the interview plan sees it: which template it came from, what it
/// is about, and whether its session still waits on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskedQuestion {
    /// The question's id.
    pub id: QuestionId,
    /// The session it was asked in.
    pub session_id: SessionId,
    /// The template it came from.
    pub template_id: Option<String>,
    /// The category it explores.
    pub category: Category,
    /// Whether its session still waits on its answer.
    pub waiting: bool,
}

pub(crate) fn to_record(model: questions::Model) -> Result<Question, DbError> {
    Ok(Question {
        id: QuestionId::from_uuid(model.id),
        project_id: ProjectId::from_uuid(model.project_id),
        session_id: SessionId::from_uuid(model.session_id),
        category: parse_stored(ENTITY, &model.category)?,
        facts_extracted: stored_count(ENTITY, model.facts_extracted)?,
        text: model.text,
        context: model.context,
        template_id: model.template_id,
        persona: model.persona,
        quality_score: model.quality_score,
        bias_score: model.bias_score,
        answered_at: model.answered_at,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// Stores an unanswered question and returns it, with `also` sent in the same round trip (see
/// [`Writes`]). It becomes the question its session waits on: when the session already waits
/// on one (a concurrent caller stored it), the database refuses the insert with
/// [`DbError::AlreadyExists`] and nothing is written; read [`waiting_for_session`] then.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert_with(
    db: &impl Conn<Specs>,
    new: NewQuestion,
    now: DateTime<Utc>,
    also: Writes,
) -> Result<Question, DbError> {
    let model = questions::ActiveModel {
        id: Set(QuestionId::new().into_uuid()),
        project_id: Set(new.project_id.into_uuid()),
        session_id: Set(new.session_id.into_uuid()),
        text: Set(new.text),
        category: Set(new.category.as_str().to_owned()),
        context: Set(new.context),
        template_id: Set(new.template_id),
        persona: Set(new.persona),
        quality_score: Set(new.quality_score),
        bias_score: Set(new.bias_score),
        answered_at: Set(None),
        facts_extracted: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        waiting_session_id: Set(Some(new.session_id.into_uuid())),
    };
    let mut insert = questions::Entity::insert(model).into_query();
    insert.returning_all();
    let rows = super::query_with(db.raw(), also, insert)
        .await
        .map_err(|error| DbError::from_db(ENTITY, error))?;
    let row = rows
        .first()
        .ok_or_else(|| DbError::corrupt(ENTITY, "the insert returned no row"))?;
    to_record(questions::Model::from_query_result(row, "")?)
}

/// Stores a follow-up question as the one `session_id` waits on, sent with another statement
/// (see [`Writes`]) — unless the project was already asked a question of the same template,
/// or the session already waits on another question; then nothing is written.
pub fn insert_follow_up_later(new: NewQuestion, now: DateTime<Utc>) -> Writes {
    use questions::Column;
    let already_asked = Query::select()
        .expr(Expr::val(1))
        .from(questions::Entity)
        .and_where(Column::ProjectId.eq(new.project_id.into_uuid()))
        .and_where(Column::TemplateId.eq(new.template_id.clone()))
        .to_owned();
    let values = Query::select()
        .exprs([
            Expr::val(QuestionId::new().into_uuid()),
            Expr::val(new.project_id.into_uuid()),
            Expr::val(new.session_id.into_uuid()),
            Expr::val(new.text),
            Expr::val(new.category.as_str()),
            Expr::val(new.context),
            Expr::val(new.template_id),
            Expr::val(new.persona),
            Expr::val(new.quality_score),
            Expr::val(new.bias_score),
            Expr::val(0),
            Expr::val(now),
            Expr::val(now),
            Expr::val(new.session_id.into_uuid()),
        ])
        .and_where(Expr::exists(already_asked).not())
        .to_owned();
    let mut insert = Query::insert();
    insert
        .into_table(questions::Entity)
        .columns([
            Column::Id,
            Column::ProjectId,
            Column::SessionId,
            Column::Text,
            Column::Category,
            Column::Context,
            Column::TemplateId,
            Column::Persona,
            Column::QualityScore,
            Column::BiasScore,
            Column::FactsExtracted,
            Column::CreatedAt,
            Column::UpdatedAt,
            Column::WaitingSessionId,
        ])
        .on_conflict(OnConflict::new().do_nothing().to_owned());
    match insert.select_from(values) {
        Ok(statement) => Writes::one(statement.to_owned()),
        // The column list and the selected values are built together above, so their counts
        // always match.
        Err(_) => Writes::new(),
    }
}

/// A row of [`asked_in_project`]: id, session, template, category, waiting session.
type AskedRow = (
    uuid::Uuid,
    uuid::Uuid,
    Option<String>,
    String,
    Option<uuid::Uuid>,
);

/// Every question of the project, newest first, as the interview plan reads them: one narrow
/// query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn asked_in_project(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
) -> Result<Vec<AskedQuestion>, DbError> {
    let rows: Vec<AskedRow> = questions::Entity::find()
        .select_only()
        .column(questions::Column::Id)
        .column(questions::Column::SessionId)
        .column(questions::Column::TemplateId)
        .column(questions::Column::Category)
        .column(questions::Column::WaitingSessionId)
        .filter(questions::Column::ProjectId.eq(project_id.into_uuid()))
        .order_by_desc(questions::Column::CreatedAt)
        .order_by_desc(questions::Column::Id)
        .into_tuple()
        .all(db.raw())
        .await?;
    rows.into_iter()
        .map(|(id, session_id, template_id, category, waiting)| {
            Ok(AskedQuestion {
                id: QuestionId::from_uuid(id),
                session_id: SessionId::from_uuid(session_id),
                template_id,
                category: parse_stored(ENTITY, &category)?,
                waiting: waiting.is_some(),
            })
        })
        .collect()
}

/// The question the session waits on (asked, not answered yet), which `next-question` asks
/// again instead of a fresh one.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn waiting_for_session(
    db: &impl Conn<Specs>,
    session_id: SessionId,
) -> Result<Option<Question>, DbError> {
    questions::Entity::find()
        .filter(questions::Column::WaitingSessionId.eq(session_id.into_uuid()))
        .one(db.raw())
        .await?
        .map(to_record)
        .transpose()
}

/// The question with this id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_id(
    db: &impl Conn<Specs>,
    id: QuestionId,
) -> Result<Option<Question>, DbError> {
    questions::Entity::find_by_id(id.into_uuid())
        .one(db.raw())
        .await?
        .map(to_record)
        .transpose()
}

/// The texts of the `limit` questions asked last in the project, newest first: a model is
/// shown them so it does not ask them again in other words.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn recent_texts_for_project(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    limit: u64,
) -> Result<Vec<String>, DbError> {
    Ok(questions::Entity::find()
        .select_only()
        .column(questions::Column::Text)
        .filter(questions::Column::ProjectId.eq(project_id.into_uuid()))
        .order_by_desc(questions::Column::CreatedAt)
        .order_by_desc(questions::Column::Id)
        .limit(limit)
        .into_tuple::<String>()
        .all(db.raw())
        .await?)
}

/// Every distinct template already used in the project, so the counselor never repeats one.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn template_ids_for_project(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
) -> Result<Vec<String>, DbError> {
    Ok(questions::Entity::find()
        .select_only()
        .column(questions::Column::TemplateId)
        .distinct()
        .filter(questions::Column::ProjectId.eq(project_id.into_uuid()))
        .filter(questions::Column::TemplateId.is_not_null())
        .order_by_asc(questions::Column::TemplateId)
        .into_tuple::<String>()
        .all(db.raw())
        .await?)
}

/// Records the answer to a question and how many facts it produced, with `also` sent in the
/// same round trip (see [`Writes`]).
///
/// Succeeds only on an unanswered question or one whose earlier answer produced no facts (the
/// user may try again). Returns `Ok(false)` when the question was already answered with facts,
/// so the caller can refuse the answer as a conflict; [`DbError::NotFound`] when it is missing.
/// The writes happen whatever the answer: inside a transaction, roll back on `Ok(false)`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_answered_with(
    db: &impl Conn<Specs>,
    id: QuestionId,
    facts_extracted: u32,
    now: DateTime<Utc>,
    also: Writes,
) -> Result<bool, DbError> {
    let mut update = questions::Entity::update_many()
        .col_expr(questions::Column::AnsweredAt, Expr::value(now))
        .col_expr(
            questions::Column::FactsExtracted,
            Expr::value(to_stored_count(ENTITY, facts_extracted)?),
        )
        .col_expr(questions::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            questions::Column::WaitingSessionId,
            Expr::value(Option::<uuid::Uuid>::None),
        )
        .filter(questions::Column::Id.eq(id.into_uuid()))
        .filter(
            Condition::any()
                .add(questions::Column::AnsweredAt.is_null())
                .add(questions::Column::FactsExtracted.eq(0)),
        )
        .into_query();
    update.returning_col(questions::Column::Id);
    if !super::query_with(db.raw(), also, update).await?.is_empty() {
        return Ok(true);
    }
    match find_by_id(db, id).await? {
        Some(_) => Ok(false),
        None => Err(DbError::NotFound { entity: ENTITY }),
    }
}
