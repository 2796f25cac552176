//! What quality control found, in `socrates_specs.quality_metrics`: one row per check (a
//! question's score, a phase advance's readiness), append-only; and the question scores a
//! project's report is built from.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Set,
};
use socrates_domain::ProjectId;
use uuid::Uuid;

use super::Writes;
use crate::db::{Conn, Specs};
use crate::entities::specs::{quality_metrics, questions};
use crate::error::DbError;

/// What one check found.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMetric {
    /// The project checked.
    pub project_id: ProjectId,
    /// What was checked (`question_quality`, `phase_readiness`).
    pub metric_type: &'static str,
    /// The measured value (a question's score, the project's maturity).
    pub metric_value: f64,
    /// The value it had to reach, if any.
    pub threshold: Option<f64>,
    /// Whether it passed.
    pub passed: bool,
    /// The findings.
    pub details: Option<serde_json::Value>,
}

fn active_model(new: NewMetric, now: DateTime<Utc>) -> quality_metrics::ActiveModel {
    quality_metrics::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(new.project_id.into_uuid()),
        metric_type: Set(new.metric_type.to_owned()),
        metric_value: Set(new.metric_value),
        threshold: Set(new.threshold),
        passed: Set(new.passed),
        details: Set(new.details),
        calculated_at: Set(now),
    }
}

/// Records a check, as a write sent with another statement (see [`Writes`]).
pub fn record_later(new: NewMetric, now: DateTime<Utc>) -> Writes {
    Writes::one(quality_metrics::Entity::insert(active_model(new, now)).into_query())
}

/// Records a check now.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record(
    db: &impl Conn<Specs>,
    new: NewMetric,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    super::execute(db.raw(), record_later(new, now)).await?;
    Ok(())
}

/// The scores of a project's questions.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QuestionScores {
    /// How many questions were asked.
    pub asked: u64,
    /// Their mean quality score, 0–1; `None` before the first.
    pub mean_quality: Option<f64>,
    /// Their mean bias score, 0–1; `None` before the first.
    pub mean_bias: Option<f64>,
    /// How many scored under the approval threshold (asked as the best of their candidates).
    pub below_threshold: u64,
}

#[derive(Debug, FromQueryResult)]
struct ScoreRow {
    asked: i64,
    mean_quality: Option<f64>,
    mean_bias: Option<f64>,
    below: Option<i64>,
}

/// The scores of the project's questions, in one aggregate query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn question_scores(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    threshold: f64,
) -> Result<QuestionScores, DbError> {
    let row = questions::Entity::find()
        .select_only()
        .expr_as(Expr::col(questions::Column::Id).count(), "asked")
        .expr_as(
            Expr::col(questions::Column::QualityScore).avg(),
            "mean_quality",
        )
        .expr_as(Expr::col(questions::Column::BiasScore).avg(), "mean_bias")
        .expr_as(
            Expr::case(Expr::col(questions::Column::QualityScore).lt(threshold), 1)
                .finally(0)
                .sum(),
            "below",
        )
        .filter(questions::Column::ProjectId.eq(project_id.into_uuid()))
        .into_model::<ScoreRow>()
        .one(db.raw())
        .await?;
    let Some(row) = row else {
        return Ok(QuestionScores::default());
    };
    Ok(QuestionScores {
        asked: u64::try_from(row.asked).unwrap_or(0),
        mean_quality: row.mean_quality,
        mean_bias: row.mean_bias,
        below_threshold: row.below.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
    })
}

/// When the project was last checked, if ever.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn last_checked(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
) -> Result<Option<DateTime<Utc>>, DbError> {
    Ok(quality_metrics::Entity::find()
        .select_only()
        .column(quality_metrics::Column::CalculatedAt)
        .filter(quality_metrics::Column::ProjectId.eq(project_id.into_uuid()))
        .order_by_desc(quality_metrics::Column::CalculatedAt)
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(db.raw())
        .await?)
}
