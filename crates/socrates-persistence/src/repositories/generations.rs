//! Code generations in `socrates_specs`: `generated_projects` (one row per generation, with the
//! specification version it was asked for), `generated_files` (its files, with the facts each
//! traces to) and `code_generation_jobs` (the claimable work).
//!
//! A job is claimed by one statement that moves it to `running` with a lease (`locked_by`,
//! `locked_until`): `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers of several servers never
//! wait on each other's rows; on SQLite the statement runs in a write transaction, and SQLite
//! admits one writer at a time. A job whose lease ran out (its server died mid-run) is claimable
//! again. The files, the generation's completion and the job's success are written in one
//! transaction that first checks the lease is still the worker's, so a job finishes once even
//! when a slow worker outlives its lease.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Statement, Value,
};
use socrates_domain::{
    CodeGenerationJobId, GeneratedFileId, GenerationId, GenerationStatus, ProjectId, Stack, UserId,
};
use uuid::Uuid;

use super::parse_stored;
use crate::db::{Conn, Specs};
use crate::entities::specs_extra::{
    code_generation_jobs as jobs, generated_files as files, generated_projects as generations,
};
use crate::error::DbError;

/// The entity name in errors.
pub const ENTITY: &str = "generated_project";

/// Rows per multi-row insert of files: well under both backends' limits on bound values.
const BATCH: usize = 500;

/// How many times a job is tried before its generation fails.
pub const MAX_ATTEMPTS: i32 = 3;

/// A fact version a generation was asked for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FactVersion {
    /// The fact version's id.
    pub spec_id: Uuid,
    /// Its version number.
    pub version: u32,
}

/// A generation to request.
#[derive(Debug, Clone)]
pub struct NewGeneration {
    /// The project.
    pub project_id: ProjectId,
    /// Who asked.
    pub requested_by: UserId,
    /// The hex SHA-256 of the specification version.
    pub spec_fingerprint: String,
    /// The facts it is generated from.
    pub fact_versions: Vec<FactVersion>,
    /// The scaffold.
    pub stack: Stack,
}

/// A generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// Its id.
    pub id: GenerationId,
    /// The project.
    pub project_id: ProjectId,
    /// Who asked.
    pub requested_by: UserId,
    /// 1 for a project's first generation, then counting up.
    pub generation_version: u32,
    /// The hex SHA-256 of the specification version.
    pub spec_fingerprint: String,
    /// The facts it is generated from.
    pub fact_versions: Vec<FactVersion>,
    /// The scaffold.
    pub stack: Stack,
    /// Where it stands.
    pub status: GenerationStatus,
    /// 0–100 while it runs.
    pub progress_percent: u8,
    /// Files written.
    pub total_files: u32,
    /// Lines written.
    pub total_lines: u32,
    /// Why it failed.
    pub error_message: Option<String>,
    /// When a worker first took it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it completed or failed.
    pub completed_at: Option<DateTime<Utc>>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
}

fn to_generation(model: generations::Model) -> Result<Generation, DbError> {
    let fact_versions = match model.fact_versions {
        Some(json) => serde_json::from_value(json).map_err(|e| DbError::corrupt(ENTITY, e))?,
        None => Vec::new(),
    };
    Ok(Generation {
        id: GenerationId::from_uuid(model.id),
        project_id: ProjectId::from_uuid(model.project_id),
        requested_by: UserId::from_uuid(model.requested_by),
        generation_version: u32::try_from(model.generation_version)
            .map_err(|e| DbError::corrupt(ENTITY, e))?,
        spec_fingerprint: model.spec_fingerprint,
        fact_versions,
        stack: parse_stored(ENTITY, &model.stack)?,
        status: parse_stored(ENTITY, &model.status)?,
        progress_percent: u8::try_from(model.progress_percent.clamp(0, 100)).unwrap_or(0),
        total_files: u32::try_from(model.total_files).unwrap_or(0),
        total_lines: u32::try_from(model.total_lines).unwrap_or(0),
        error_message: model.error_message,
        started_at: model.started_at,
        completed_at: model.completed_at,
        created_at: model.created_at,
    })
}

/// What [`request`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Requested {
    /// A new generation and its job.
    Created(Generation),
    /// The project already has a generation pending or in progress: that one.
    AlreadyRunning(Generation),
}

/// Requests a generation: the `generated_projects` row and its job, in one transaction. A
/// project has at most one generation pending or in progress (a unique index on
/// `active_project_id`); a request while one runs returns it.
///
/// # Errors
/// [`DbError`].
#[tracing::instrument(level = "debug", skip_all)]
pub async fn request(
    db: &crate::SpecsDb,
    new: NewGeneration,
    now: DateTime<Utc>,
) -> Result<Requested, DbError> {
    for _ in 0..3 {
        if let Some(running) = active_for_project(db, new.project_id).await? {
            return Ok(Requested::AlreadyRunning(running));
        }
        let tx = db.begin().await?;
        let next: Option<i32> = generations::Entity::find()
            .select_only()
            .column_as(generations::Column::GenerationVersion.max(), "max")
            .filter(generations::Column::ProjectId.eq(new.project_id.into_uuid()))
            .into_tuple::<Option<i32>>()
            .one(tx.raw())
            .await
            .map_err(|e| DbError::from_db(ENTITY, e))?
            .flatten();
        let id = GenerationId::new().into_uuid();
        let model = generations::Model {
            id,
            project_id: new.project_id.into_uuid(),
            requested_by: new.requested_by.into_uuid(),
            generation_version: next.unwrap_or(0) + 1,
            spec_fingerprint: new.spec_fingerprint.clone(),
            spec_count: i32::try_from(new.fact_versions.len()).unwrap_or(i32::MAX),
            status: GenerationStatus::Pending.as_str().to_owned(),
            total_files: 0,
            total_lines: 0,
            test_coverage: None,
            quality_score: None,
            traceability_score: None,
            error_message: None,
            started_at: None,
            completed_at: None,
            created_at: now,
            updated_at: now,
            progress_percent: 0,
            stack: new.stack.as_str().to_owned(),
            fact_versions: Some(
                serde_json::to_value(&new.fact_versions)
                    .map_err(|e| DbError::corrupt(ENTITY, e))?,
            ),
            active_project_id: Some(new.project_id.into_uuid()),
        };
        let inserted =
            generations::Entity::insert(sea_orm::IntoActiveModel::into_active_model(model))
                .exec_with_returning(tx.raw())
                .await;
        let stored = match inserted {
            Ok(stored) => stored,
            // Another request won the race for this project: read what it created.
            Err(error) => match DbError::from_db(ENTITY, error) {
                DbError::AlreadyExists { .. } => continue,
                other => return Err(other),
            },
        };
        jobs::Entity::insert(sea_orm::IntoActiveModel::into_active_model(jobs::Model {
            id: CodeGenerationJobId::new().into_uuid(),
            generated_project_id: id,
            status: "queued".to_owned(),
            attempts: 0,
            max_attempts: MAX_ATTEMPTS,
            locked_by: None,
            locked_until: None,
            run_after: now,
            last_error: None,
            created_at: now,
            updated_at: now,
        }))
        .exec_without_returning(tx.raw())
        .await
        .map_err(|e| DbError::from_db("code_generation_job", e))?;
        tx.commit().await?;
        return Ok(Requested::Created(to_generation(stored)?));
    }
    Err(DbError::AlreadyExists { entity: ENTITY })
}

/// The project's generation that is pending or in progress.
///
/// # Errors
/// [`DbError`].
pub async fn active_for_project(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
) -> Result<Option<Generation>, DbError> {
    generations::Entity::find()
        .filter(generations::Column::ActiveProjectId.eq(project_id.into_uuid()))
        .one(db.raw())
        .await
        .map_err(|e| DbError::from_db(ENTITY, e))?
        .map(to_generation)
        .transpose()
}

/// One generation, whoever's.
///
/// # Errors
/// [`DbError`].
pub async fn find(db: &impl Conn<Specs>, id: GenerationId) -> Result<Option<Generation>, DbError> {
    generations::Entity::find_by_id(id.into_uuid())
        .one(db.raw())
        .await
        .map_err(|e| DbError::from_db(ENTITY, e))?
        .map(to_generation)
        .transpose()
}

/// The project's newest completed generation.
///
/// # Errors
/// [`DbError`].
pub async fn latest_completed(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
) -> Result<Option<Generation>, DbError> {
    generations::Entity::find()
        .filter(generations::Column::ProjectId.eq(project_id.into_uuid()))
        .filter(generations::Column::Status.eq(GenerationStatus::Completed.as_str()))
        .order_by_desc(generations::Column::GenerationVersion)
        .one(db.raw())
        .await
        .map_err(|e| DbError::from_db(ENTITY, e))?
        .map(to_generation)
        .transpose()
}

/// A job a worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    /// The job.
    pub job_id: CodeGenerationJobId,
    /// Its generation.
    pub generation_id: GenerationId,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// How many attempts it may take.
    pub max_attempts: u32,
}

#[derive(Debug, FromQueryResult)]
struct ClaimRow {
    id: Uuid,
    generated_project_id: Uuid,
    attempts: i32,
    max_attempts: i32,
}

/// Claims the next due job for `worker` until `lease_until`: a queued job whose time has come,
/// or a running one whose lease ran out. Its generation moves to `in_progress`.
///
/// # Errors
/// [`DbError`].
#[tracing::instrument(level = "debug", skip_all)]
pub async fn claim(
    db: &crate::SpecsDb,
    worker: &str,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<ClaimedJob>, DbError> {
    // An idle server polls often: a plain read first, so no poll takes the write lock (or a
    // place in SQLite's writer queue) when there is nothing to do.
    let waiting = jobs::Entity::find()
        .select_only()
        .column(jobs::Column::Id)
        .filter(jobs::Column::Status.is_in(["queued", "running"]))
        .into_tuple::<Uuid>()
        .one(db.raw())
        .await
        .map_err(|e| DbError::from_db("code_generation_job", e))?;
    if waiting.is_none() {
        return Ok(None);
    }
    let tx = db.begin().await?;
    let backend = tx.raw().get_database_backend();
    let skip_locked = if backend == DatabaseBackend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let (worker_at, lease_at, now_at) = match backend {
        DatabaseBackend::Postgres => ("$1", "$2", "$3"),
        _ => ("?1", "?2", "?3"),
    };
    let sql = format!(
        "UPDATE code_generation_jobs SET status = 'running', locked_by = {worker_at}, \
         locked_until = {lease_at}, attempts = attempts + 1, updated_at = {now_at} \
         WHERE id = (SELECT id FROM code_generation_jobs \
           WHERE (status = 'queued' AND run_after <= {now_at}) \
              OR (status = 'running' AND locked_until < {now_at}) \
           ORDER BY run_after, created_at LIMIT 1{skip_locked}) \
         RETURNING id, generated_project_id, attempts, max_attempts"
    );
    let row = ClaimRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [
            Value::from(worker.to_owned()),
            Value::from(lease_until),
            Value::from(now),
        ],
    ))
    .one(tx.raw())
    .await
    .map_err(|e| DbError::from_db("code_generation_job", e))?;
    let Some(row) = row else {
        tx.commit().await?;
        return Ok(None);
    };
    generations::Entity::update_many()
        .col_expr(
            generations::Column::Status,
            Expr::value(GenerationStatus::InProgress.as_str()),
        )
        .col_expr(
            generations::Column::StartedAt,
            Expr::col(generations::Column::StartedAt).if_null(now),
        )
        .col_expr(generations::Column::ProgressPercent, Expr::value(0))
        .col_expr(generations::Column::UpdatedAt, Expr::value(now))
        .filter(generations::Column::Id.eq(row.generated_project_id))
        .exec(tx.raw())
        .await
        .map_err(|e| DbError::from_db(ENTITY, e))?;
    tx.commit().await?;
    Ok(Some(ClaimedJob {
        job_id: CodeGenerationJobId::from_uuid(row.id),
        generation_id: GenerationId::from_uuid(row.generated_project_id),
        attempt: u32::try_from(row.attempts).unwrap_or(1),
        max_attempts: u32::try_from(row.max_attempts).unwrap_or(1),
    }))
}

/// Extends `worker`'s lease on the job and records the generation's progress. `false` when the
/// lease is no longer the worker's (it ran out and another worker took the job).
///
/// # Errors
/// [`DbError`].
pub async fn heartbeat(
    db: &impl Conn<Specs>,
    job: &ClaimedJob,
    worker: &str,
    lease_until: DateTime<Utc>,
    progress_percent: u8,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let held = jobs::Entity::update_many()
        .col_expr(jobs::Column::LockedUntil, Expr::value(lease_until))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(job.job_id.into_uuid()))
        .filter(jobs::Column::LockedBy.eq(worker))
        .filter(jobs::Column::Status.eq("running"))
        .exec(db.raw())
        .await
        .map_err(|e| DbError::from_db("code_generation_job", e))?
        .rows_affected
        == 1;
    if held {
        generations::Entity::update_many()
            .col_expr(
                generations::Column::ProgressPercent,
                Expr::value(i32::from(Ord::min(progress_percent, 99))),
            )
            .col_expr(generations::Column::UpdatedAt, Expr::value(now))
            .filter(generations::Column::Id.eq(job.generation_id.into_uuid()))
            .exec(db.raw())
            .await
            .map_err(|e| DbError::from_db(ENTITY, e))?;
    }
    Ok(held)
}

/// A file to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// Its path in the project.
    pub path: String,
    /// Its text.
    pub content: String,
    /// The facts it traces to.
    pub spec_ids: Vec<Uuid>,
}

/// Stores the files and completes the generation and its job, in one transaction, if the
/// lease is still `worker`'s; `false` (and nothing written) when it is not.
///
/// # Errors
/// [`DbError`].
#[tracing::instrument(level = "debug", skip_all)]
pub async fn complete(
    db: &crate::SpecsDb,
    job: &ClaimedJob,
    worker: &str,
    new_files: Vec<NewFile>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let tx = db.begin().await?;
    let held = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value("succeeded"))
        .col_expr(jobs::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(
            jobs::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(job.job_id.into_uuid()))
        .filter(jobs::Column::LockedBy.eq(worker))
        .filter(jobs::Column::Status.eq("running"))
        .exec(tx.raw())
        .await
        .map_err(|e| DbError::from_db("code_generation_job", e))?
        .rows_affected
        == 1;
    if !held {
        tx.rollback().await?;
        return Ok(false);
    }
    let total_files = i32::try_from(new_files.len()).unwrap_or(i32::MAX);
    let total_lines: i64 = new_files
        .iter()
        .map(|f| i64::try_from(f.content.lines().count()).unwrap_or(0))
        .sum();
    let models: Vec<files::ActiveModel> = new_files
        .into_iter()
        .map(|file| {
            sea_orm::IntoActiveModel::into_active_model(files::Model {
                id: GeneratedFileId::new().into_uuid(),
                generated_project_id: job.generation_id.into_uuid(),
                file_size: i32::try_from(file.content.len()).unwrap_or(i32::MAX),
                file_path: file.path,
                file_content: file.content,
                spec_ids: serde_json::json!(file.spec_ids),
                created_at: now,
            })
        })
        .collect();
    let mut rest = models;
    while !rest.is_empty() {
        let batch: Vec<files::ActiveModel> = rest.drain(..rest.len().min(BATCH)).collect();
        files::Entity::insert_many(batch)
            .exec_without_returning(tx.raw())
            .await
            .map_err(|e| DbError::from_db("generated_file", e))?;
    }
    generations::Entity::update_many()
        .col_expr(
            generations::Column::Status,
            Expr::value(GenerationStatus::Completed.as_str()),
        )
        .col_expr(generations::Column::ProgressPercent, Expr::value(100))
        .col_expr(generations::Column::TotalFiles, Expr::value(total_files))
        .col_expr(
            generations::Column::TotalLines,
            Expr::value(i32::try_from(total_lines).unwrap_or(i32::MAX)),
        )
        .col_expr(generations::Column::CompletedAt, Expr::value(now))
        .col_expr(generations::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            generations::Column::ActiveProjectId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(generations::Column::Id.eq(job.generation_id.into_uuid()))
        .exec(tx.raw())
        .await
        .map_err(|e| DbError::from_db(ENTITY, e))?;
    tx.commit().await?;
    Ok(true)
}

/// Records a failed attempt: the job waits `retry_after` and is tried again, or, after its
/// last attempt (or when `permanent`), it and its generation fail with `reason`. Nothing
/// happens when the lease is no longer `worker`'s.
///
/// # Errors
/// [`DbError`].
#[tracing::instrument(level = "debug", skip_all)]
pub async fn fail(
    db: &crate::SpecsDb,
    job: &ClaimedJob,
    worker: &str,
    reason: &str,
    permanent: bool,
    retry_after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<GenerationStatus, DbError> {
    let last = permanent || job.attempt >= job.max_attempts;
    let tx = db.begin().await?;
    let mut update = jobs::Entity::update_many()
        .col_expr(
            jobs::Column::Status,
            Expr::value(if last { "failed" } else { "queued" }),
        )
        .col_expr(jobs::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(
            jobs::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(jobs::Column::LastError, Expr::value(reason))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now));
    if !last {
        update = update.col_expr(jobs::Column::RunAfter, Expr::value(retry_after));
    }
    let held = update
        .filter(jobs::Column::Id.eq(job.job_id.into_uuid()))
        .filter(jobs::Column::LockedBy.eq(worker))
        .filter(jobs::Column::Status.eq("running"))
        .exec(tx.raw())
        .await
        .map_err(|e| DbError::from_db("code_generation_job", e))?
        .rows_affected
        == 1;
    if !held {
        tx.rollback().await?;
        return Ok(GenerationStatus::InProgress);
    }
    let status = if last {
        GenerationStatus::Failed
    } else {
        GenerationStatus::Pending
    };
    let mut update = generations::Entity::update_many()
        .col_expr(generations::Column::Status, Expr::value(status.as_str()))
        .col_expr(generations::Column::ErrorMessage, Expr::value(reason))
        .col_expr(generations::Column::UpdatedAt, Expr::value(now));
    if last {
        update = update
            .col_expr(generations::Column::CompletedAt, Expr::value(now))
            .col_expr(
                generations::Column::ActiveProjectId,
                Expr::value(Option::<Uuid>::None),
            );
    }
    update
        .filter(generations::Column::Id.eq(job.generation_id.into_uuid()))
        .exec(tx.raw())
        .await
        .map_err(|e| DbError::from_db(ENTITY, e))?;
    tx.commit().await?;
    Ok(status)
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Its path in the project.
    pub path: String,
    /// Its text.
    pub content: String,
    /// The facts it traces to.
    pub spec_ids: Vec<Uuid>,
}

/// Another completed generation of the project from the same specification version and stack:
/// its files are the ones this generation would write.
///
/// # Errors
/// [`DbError`].
pub async fn completed_like(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    spec_fingerprint: &str,
    stack: Stack,
    except: GenerationId,
) -> Result<Option<GenerationId>, DbError> {
    Ok(generations::Entity::find()
        .select_only()
        .column(generations::Column::Id)
        .filter(generations::Column::ProjectId.eq(project_id.into_uuid()))
        .filter(generations::Column::SpecFingerprint.eq(spec_fingerprint))
        .filter(generations::Column::Stack.eq(stack.as_str()))
        .filter(generations::Column::Status.eq(GenerationStatus::Completed.as_str()))
        .filter(generations::Column::Id.ne(except.into_uuid()))
        .order_by_desc(generations::Column::GenerationVersion)
        .into_tuple::<Uuid>()
        .one(db.raw())
        .await
        .map_err(|e| DbError::from_db(ENTITY, e))?
        .map(GenerationId::from_uuid))
}

/// The files of a generation, by path.
///
/// # Errors
/// [`DbError`].
pub async fn files_of(
    db: &impl Conn<Specs>,
    generation_id: GenerationId,
) -> Result<Vec<StoredFile>, DbError> {
    files::Entity::find()
        .select_only()
        .column(files::Column::FilePath)
        .column(files::Column::FileContent)
        .column(files::Column::SpecIds)
        .filter(files::Column::GeneratedProjectId.eq(generation_id.into_uuid()))
        .order_by_asc(files::Column::FilePath)
        .into_tuple::<(String, String, serde_json::Value)>()
        .all(db.raw())
        .await
        .map_err(|e| DbError::from_db("generated_file", e))?
        .into_iter()
        .map(|(path, content, spec_ids)| {
            Ok(StoredFile {
                path,
                content,
                spec_ids: serde_json::from_value(spec_ids)
                    .map_err(|e| DbError::corrupt("generated_file", e))?,
            })
        })
        .collect()
}
