//! What Socrates learns about the people it interviews, in `socrates_specs`:
//! `question_effectiveness` (counters per user and question template) and
//! `user_behavior_patterns` (patterns read from those counters, one row per user and kind).
//!
//! Counters only ever grow, by upserts that add to the stored row in the database
//! (`SET times_asked = question_effectiveness.times_asked + 1`), so concurrent answers of one
//! user never lose a count. The patterns are recomputed from the counters (see
//! [`socrates_domain::learning`]) and replaced whole.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set,
};
use socrates_domain::learning::{AnswerRecord, LearnedPattern, PatternType, Tally, TemplateStats};
use socrates_domain::{Category, ProjectId, UserId};
use uuid::Uuid;

use super::{Page, Writes};
use crate::db::{Conn, Specs};
use crate::entities::specs_extra::{question_effectiveness as qe, user_behavior_patterns as ubp};
use crate::error::DbError;

const ENTITY: &str = "question_effectiveness";
const PATTERNS: &str = "user_behavior_patterns";

/// The most templates a user's counters are read for at once (the banks hold about a hundred,
/// follow-ups and model questions add one per key and per category).
pub const MAX_TEMPLATES: u64 = 1_000;

/// The most projects a pattern remembers it was learned from (the newest).
const MAX_LEARNED_FROM: usize = 50;

/// A question template as learning counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateKey<'a> {
    /// Whose counters.
    pub user_id: UserId,
    /// The template (`goals.001`, `followup.<key>`, `<category>.model`).
    pub template_id: &'a str,
    /// Its category.
    pub category: Category,
    /// The team role that asks it (empty when none).
    pub role: &'a str,
}

fn count(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn new_row(key: TemplateKey<'_>, now: DateTime<Utc>) -> qe::ActiveModel {
    qe::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(key.user_id.into_uuid()),
        question_template_id: Set(key.template_id.to_owned()),
        role: Set(key.role.to_owned()),
        times_asked: Set(1),
        times_answered_well: Set(0),
        average_answer_length: Set(None),
        average_spec_extraction_count: Set(None),
        effectiveness_score: Set(Some(0.0)),
        last_asked_at: Set(Some(now)),
        updated_at: Set(now),
        times_answered: Set(0),
        facts_yielded: Set(0),
        conflicts_raised: Set(0),
        answer_chars_total: Set(0),
        answer_seconds_total: Set(0),
        category: Set(Some(key.category.as_str().to_owned())),
    }
}

/// The stored value of `column`, in an upsert's update.
fn stored(column: qe::Column) -> Expr {
    Expr::col((qe::Entity, column))
}

/// One more ask of `key`'s template, as a write sent with another statement (see [`Writes`]).
pub fn asked_later(key: TemplateKey<'_>, now: DateTime<Utc>) -> Writes {
    let insert = qe::Entity::insert(new_row(key, now))
        .on_conflict(
            OnConflict::columns([qe::Column::UserId, qe::Column::QuestionTemplateId])
                .value(
                    qe::Column::TimesAsked,
                    stored(qe::Column::TimesAsked).add(1),
                )
                .value(
                    qe::Column::EffectivenessScore,
                    stored(qe::Column::TimesAnsweredWell)
                        .mul(1.0)
                        .div(stored(qe::Column::TimesAsked).add(1)),
                )
                .value(qe::Column::LastAskedAt, Expr::val(now))
                .value(qe::Column::UpdatedAt, Expr::val(now))
                .to_owned(),
        )
        .into_query();
    Writes::one(insert)
}

/// One answer to `key`'s template, as a write sent with another statement (see [`Writes`]).
/// A template never counted as asked (asked before learning was kept) counts one ask now.
pub fn answered_later(key: TemplateKey<'_>, answer: AnswerRecord, now: DateTime<Utc>) -> Writes {
    let answered = i32::from(answer.first_answer);
    let well = i32::from(answer.well);
    let chars = i64::from(answer.chars);
    let seconds = Ord::max(answer.seconds, 0);
    let facts = count(answer.facts);
    let mut row = new_row(key, now);
    row.times_answered = Set(answered);
    row.times_answered_well = Set(well);
    row.facts_yielded = Set(facts);
    row.conflicts_raised = Set(count(answer.conflicts));
    row.answer_chars_total = Set(chars);
    row.answer_seconds_total = Set(seconds);
    row.effectiveness_score = Set(Some(f64::from(well)));
    // Digest: moving averages with α = 0.3 over a neutral start of 0.
    row.average_answer_length = Set(Some(i32::try_from(3 * chars / 10).unwrap_or(i32::MAX)));
    row.average_spec_extraction_count = Set(Some(0.3 * f64::from(facts)));
    let well_now = stored(qe::Column::TimesAnsweredWell).add(well);
    let insert = qe::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([qe::Column::UserId, qe::Column::QuestionTemplateId])
                .value(
                    qe::Column::TimesAnswered,
                    stored(qe::Column::TimesAnswered).add(answered),
                )
                .value(qe::Column::TimesAnsweredWell, well_now.clone())
                .value(
                    qe::Column::FactsYielded,
                    stored(qe::Column::FactsYielded).add(facts),
                )
                .value(
                    qe::Column::ConflictsRaised,
                    stored(qe::Column::ConflictsRaised).add(count(answer.conflicts)),
                )
                .value(
                    qe::Column::AnswerCharsTotal,
                    stored(qe::Column::AnswerCharsTotal).add(chars),
                )
                .value(
                    qe::Column::AnswerSecondsTotal,
                    stored(qe::Column::AnswerSecondsTotal).add(seconds),
                )
                // Integer division truncates on both backends, like the digest's `int()`.
                .value(
                    qe::Column::AverageAnswerLength,
                    Expr::val(3 * chars)
                        .add(stored(qe::Column::AverageAnswerLength).if_null(0).mul(7))
                        .div(10),
                )
                .value(
                    qe::Column::AverageSpecExtractionCount,
                    Expr::val(0.3 * f64::from(facts)).add(
                        stored(qe::Column::AverageSpecExtractionCount)
                            .if_null(0.0)
                            .mul(0.7),
                    ),
                )
                .value(
                    qe::Column::EffectivenessScore,
                    Expr::case(
                        stored(qe::Column::TimesAsked).lte(well_now.clone()),
                        Expr::val(1.0),
                    )
                    .finally(well_now.mul(1.0).div(stored(qe::Column::TimesAsked))),
                )
                .value(qe::Column::UpdatedAt, Expr::val(now))
                .to_owned(),
        )
        .into_query();
    Writes::one(insert)
}

fn to_stats(model: qe::Model) -> TemplateStats {
    let unsigned = |value: i32| u32::try_from(value).unwrap_or(0);
    TemplateStats {
        category: model
            .category
            .as_deref()
            .and_then(|c| c.parse::<Category>().ok()),
        template_id: model.question_template_id,
        role: model.role,
        times_asked: unsigned(model.times_asked),
        times_answered: unsigned(model.times_answered),
        times_answered_well: unsigned(model.times_answered_well),
        facts_yielded: unsigned(model.facts_yielded),
        conflicts_raised: unsigned(model.conflicts_raised),
        answer_chars_total: u64::try_from(model.answer_chars_total).unwrap_or(0),
        answer_seconds_total: u64::try_from(model.answer_seconds_total).unwrap_or(0),
    }
}

#[derive(Debug, FromQueryResult)]
struct StandingRow {
    question_template_id: String,
    category: Option<String>,
    role: String,
    times_asked: i32,
    times_answered: i32,
    times_answered_well: i32,
    facts_yielded: i32,
    conflicts_raised: i32,
    answer_chars_total: i64,
    answer_seconds_total: i64,
    style: Option<String>,
}

/// Every template counter of `user_id` (at most [`MAX_TEMPLATES`]) and the label of their
/// communication style, if learned — in one statement.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn standing(
    db: &impl Conn<Specs>,
    user_id: UserId,
) -> Result<(Vec<TemplateStats>, Option<String>), DbError> {
    let style = Query::select()
        .column(ubp::Column::Label)
        .from(ubp::Entity)
        .and_where(Expr::col(ubp::Column::UserId).eq(user_id.into_uuid()))
        .and_where(Expr::col(ubp::Column::PatternType).eq(PatternType::CommunicationStyle.as_str()))
        .to_owned();
    let rows = qe::Entity::find()
        .select_only()
        .columns([
            qe::Column::QuestionTemplateId,
            qe::Column::Category,
            qe::Column::Role,
            qe::Column::TimesAsked,
            qe::Column::TimesAnswered,
            qe::Column::TimesAnsweredWell,
            qe::Column::FactsYielded,
            qe::Column::ConflictsRaised,
            qe::Column::AnswerCharsTotal,
            qe::Column::AnswerSecondsTotal,
        ])
        .expr_as(Expr::SubQuery(None, Box::new(style.into())), "style")
        .filter(qe::Column::UserId.eq(user_id.into_uuid()))
        .order_by_desc(qe::Column::TimesAsked)
        .order_by_asc(qe::Column::QuestionTemplateId)
        .limit(MAX_TEMPLATES)
        .into_model::<StandingRow>()
        .all(db.raw())
        .await
        .map_err(|error| DbError::from_db(ENTITY, error))?;
    let style = rows.first().and_then(|row| row.style.clone());
    let unsigned = |value: i32| u32::try_from(value).unwrap_or(0);
    let stats = rows
        .into_iter()
        .map(|row| TemplateStats {
            category: row.category.as_deref().and_then(|c| c.parse().ok()),
            template_id: row.question_template_id,
            role: row.role,
            times_asked: unsigned(row.times_asked),
            times_answered: unsigned(row.times_answered),
            times_answered_well: unsigned(row.times_answered_well),
            facts_yielded: unsigned(row.facts_yielded),
            conflicts_raised: unsigned(row.conflicts_raised),
            answer_chars_total: u64::try_from(row.answer_chars_total).unwrap_or(0),
            answer_seconds_total: u64::try_from(row.answer_seconds_total).unwrap_or(0),
        })
        .collect();
    Ok((stats, style))
}

/// A user's counters for one template, as the API shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct Effectiveness {
    /// The counters.
    pub stats: TemplateStats,
    /// Digest's moving average of the answers' length, in characters.
    pub average_answer_length: Option<i32>,
    /// Digest's moving average of the facts per answer.
    pub average_spec_extraction_count: Option<f64>,
    /// When it was last asked.
    pub last_asked_at: Option<DateTime<Utc>>,
}

/// Every template counter of `user_id` (at most [`MAX_TEMPLATES`]), most asked first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn stats_for_user(
    db: &impl Conn<Specs>,
    user_id: UserId,
) -> Result<Vec<TemplateStats>, DbError> {
    Ok(standing(db, user_id).await?.0)
}

/// A page of `user_id`'s template counters, most asked first, and how many there are.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn effectiveness_page(
    db: &impl Conn<Specs>,
    user_id: UserId,
    page: Page,
) -> Result<(Vec<Effectiveness>, u64), DbError> {
    let query = qe::Entity::find().filter(qe::Column::UserId.eq(user_id.into_uuid()));
    let total = query.clone().count(db.raw()).await?;
    let rows = query
        .order_by_desc(qe::Column::TimesAsked)
        .order_by_asc(qe::Column::QuestionTemplateId)
        .limit(page.limit)
        .offset(page.offset)
        .all(db.raw())
        .await?;
    Ok((
        rows.into_iter()
            .map(|model| Effectiveness {
                average_answer_length: model.average_answer_length,
                average_spec_extraction_count: model.average_spec_extraction_count,
                last_asked_at: model.last_asked_at,
                stats: to_stats(model),
            })
            .collect(),
        total,
    ))
}

#[derive(Debug, FromQueryResult)]
struct TallyRow {
    template_id: String,
    answered: Option<i64>,
    well: Option<i64>,
}

/// How `templates` fared with everyone but `except`, or only with the users whose
/// `communication_style` pattern is labelled `style`: answers and good answers per template.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn cohort_tallies(
    db: &impl Conn<Specs>,
    except: UserId,
    style: Option<&str>,
    templates: &[&str],
) -> Result<HashMap<String, Tally>, DbError> {
    if templates.is_empty() {
        return Ok(HashMap::new());
    }
    let mut query = Query::select();
    query
        .expr_as(
            Expr::col((qe::Entity, qe::Column::QuestionTemplateId)),
            Alias::new("template_id"),
        )
        .expr_as(
            Expr::col((qe::Entity, qe::Column::TimesAnswered)).sum(),
            Alias::new("answered"),
        )
        .expr_as(
            Expr::col((qe::Entity, qe::Column::TimesAnsweredWell)).sum(),
            Alias::new("well"),
        )
        .from(qe::Entity)
        .and_where(
            Expr::col((qe::Entity, qe::Column::QuestionTemplateId))
                .is_in(templates.iter().copied()),
        )
        .and_where(Expr::col((qe::Entity, qe::Column::UserId)).ne(except.into_uuid()))
        .group_by_col((qe::Entity, qe::Column::QuestionTemplateId));
    if let Some(style) = style {
        query.inner_join(
            ubp::Entity,
            Expr::col((ubp::Entity, ubp::Column::UserId))
                .equals((qe::Entity, qe::Column::UserId))
                .and(
                    Expr::col((ubp::Entity, ubp::Column::PatternType))
                        .eq(PatternType::CommunicationStyle.as_str()),
                )
                .and(Expr::col((ubp::Entity, ubp::Column::Label)).eq(style)),
        );
    }
    let backend = db.raw().get_database_backend();
    let rows = TallyRow::find_by_statement(backend.build(&query))
        .all(db.raw())
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let answered = u64::try_from(row.answered.unwrap_or(0)).unwrap_or(0);
            let well = u64::try_from(row.well.unwrap_or(0)).unwrap_or(0);
            (row.template_id, Tally { answered, well })
        })
        .collect())
}

/// A stored pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPattern {
    /// Its kind.
    pub kind: PatternType,
    /// Its one-word summary.
    pub label: Option<String>,
    /// What it says, as stored.
    pub data: serde_json::Value,
    /// How sure it is, 0–1.
    pub confidence: f64,
    /// The projects it was learned in, newest last.
    pub learned_from_projects: Vec<Uuid>,
    /// When it was first learned.
    pub learned_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// `user_id`'s patterns, in the order of [`PatternType::ALL`].
#[tracing::instrument(level = "debug", skip_all)]
pub async fn patterns_for_user(
    db: &impl Conn<Specs>,
    user_id: UserId,
) -> Result<Vec<StoredPattern>, DbError> {
    let rows = ubp::Entity::find()
        .filter(ubp::Column::UserId.eq(user_id.into_uuid()))
        .limit(u64::try_from(PatternType::ALL.len() * 4).unwrap_or(64))
        .all(db.raw())
        .await
        .map_err(|error| DbError::from_db(PATTERNS, error))?;
    let mut patterns = Vec::with_capacity(rows.len());
    for row in rows {
        // Kinds a later version no longer knows are not shown.
        let Ok(kind) = row.pattern_type.parse::<PatternType>() else {
            continue;
        };
        let learned_from_projects: Vec<Uuid> =
            serde_json::from_value(row.learned_from_projects).unwrap_or_default();
        patterns.push(StoredPattern {
            kind,
            label: row.label,
            data: row.pattern_data,
            confidence: row.confidence,
            learned_from_projects,
            learned_at: row.learned_at,
            updated_at: row.updated_at,
        });
    }
    patterns.sort_by_key(|pattern| pattern.kind);
    Ok(patterns)
}

/// Replaces `user_id`'s patterns with `learned`, noting `project_id` among the projects each
/// was learned in; one statement.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn store_patterns(
    db: &impl Conn<Specs>,
    user_id: UserId,
    project_id: ProjectId,
    learned: Vec<LearnedPattern>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    if learned.is_empty() {
        return Ok(());
    }
    let previous = patterns_for_user(db, user_id).await?;
    let mut rows = Vec::with_capacity(learned.len());
    for pattern in learned {
        let mut projects = previous
            .iter()
            .find(|p| p.kind == pattern.kind)
            .map(|p| p.learned_from_projects.clone())
            .unwrap_or_default();
        let id = project_id.into_uuid();
        projects.retain(|p| *p != id);
        projects.push(id);
        if projects.len() > MAX_LEARNED_FROM {
            projects.drain(..projects.len() - MAX_LEARNED_FROM);
        }
        rows.push(ubp::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id.into_uuid()),
            pattern_type: Set(pattern.kind.as_str().to_owned()),
            pattern_data: Set(serde_json::to_value(&pattern.data)
                .map_err(|error| DbError::corrupt(PATTERNS, error.to_string()))?),
            confidence: Set(pattern.confidence.clamp(0.0, 1.0)),
            learned_from_projects: Set(serde_json::json!(projects)),
            learned_at: Set(now),
            updated_at: Set(now),
            label: Set(pattern.label.map(str::to_owned)),
        });
    }
    ubp::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([ubp::Column::UserId, ubp::Column::PatternType])
                .update_columns([
                    ubp::Column::PatternData,
                    ubp::Column::Confidence,
                    ubp::Column::LearnedFromProjects,
                    ubp::Column::UpdatedAt,
                    ubp::Column::Label,
                ])
                .to_owned(),
        )
        .exec(db.raw())
        .await
        .map_err(|error| DbError::from_db(PATTERNS, error))?;
    Ok(())
}
