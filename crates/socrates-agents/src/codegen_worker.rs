//! The code generation workers of one server: a bounded pool of tasks that claim jobs from the
//! database (see [`generations::claim`]), write the files of the generation's specification
//! version, and complete it. Any number of servers may run workers against one database; a job
//! whose server died is claimed again once its lease runs out, and completes once.
//!
//! Rendering runs on the blocking pool, one file at a time, so generation never holds an async
//! worker of the HTTP server; between files the worker reports progress and renews its lease.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use socrates_codegen::Generator;
use socrates_domain::{Category, GenerationStatus, Stack};
use socrates_export::Brief;
use socrates_export::model::Specification;

use crate::agents::export::{fact_of, project_info};
use socrates_persistence::repositories::generations::{self, ClaimedJob, NewFile};
use socrates_persistence::repositories::{projects, specifications};
use socrates_persistence::{DbError, SpecsDb};
use socrates_reasoner::offline::OfflineData;
use tokio::task::JoinHandle;

use socrates_infra::clock::Clock;

use crate::codegen_model::ModelWriter;
use crate::usage::UsageContext;

/// How the workers run.
#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    /// How many jobs this server runs at once (0: none; the server only queues).
    pub workers: usize,
    /// How long a claim holds a job without a heartbeat.
    pub lease: Duration,
    /// How long an idle worker waits before looking for a job again.
    pub poll_interval: Duration,
    /// The largest generated project, in bytes before compression.
    pub max_archive_bytes: u64,
    /// A pause after each file: spreads a generation's CPU over time so it never crowds out the
    /// requests of the same machine (0: none).
    pub pause_between_files: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            workers: 2,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            max_archive_bytes: 50 * 1024 * 1024,
            pause_between_files: Duration::ZERO,
        }
    }
}

/// Why a job failed.
#[derive(Debug)]
enum JobError {
    /// Retrying cannot help (the specification is gone, the output is too large).
    Permanent(String),
    /// It may work next time (the database was away).
    Transient(String),
    /// The lease was lost to another worker: stop without writing.
    LeaseLost,
}

impl From<DbError> for JobError {
    fn from(error: DbError) -> Self {
        Self::Transient(error.to_string())
    }
}

/// The workers of one server.
#[derive(Clone)]
pub struct CodegenWorkers {
    db: SpecsDb,
    offline: Arc<OfflineData>,
    clock: Arc<dyn Clock>,
    config: WorkerConfig,
    name: Arc<str>,
    model: Option<ModelWriter>,
}

impl std::fmt::Debug for CodegenWorkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodegenWorkers")
            .field("name", &self.name)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl CodegenWorkers {
    /// Workers over the specs database; `name` identifies this server in `locked_by`.
    #[must_use]
    pub fn new(
        db: SpecsDb,
        offline: Arc<OfflineData>,
        clock: Arc<dyn Clock>,
        config: WorkerConfig,
        name: impl Into<Arc<str>>,
    ) -> Self {
        Self {
            db,
            offline,
            clock,
            config,
            name: name.into(),
            model: None,
        }
    }

    /// Has a language model write the files (the README, the traceability table and the
    /// spec-version file stay the offline generator's).
    #[must_use]
    pub fn with_model(mut self, model: ModelWriter) -> Self {
        self.model = Some(model);
        self
    }

    /// Starts the pool; abort the handles to stop it (a job in flight is then claimed again
    /// after its lease).
    #[must_use]
    pub fn spawn(self) -> Vec<JoinHandle<()>> {
        tracing::info!(
            workers = self.config.workers,
            lease_seconds = self.config.lease.as_secs(),
            worker = %self.name,
            "code generation workers started"
        );
        (0..self.config.workers)
            .map(|index| {
                let workers = self.clone();
                let name = format!("{}/{index}", self.name);
                tokio::spawn(async move { workers.run(&name).await })
            })
            .collect()
    }

    async fn run(&self, worker: &str) {
        loop {
            match self.run_one(worker).await {
                Ok(true) => {}
                Ok(false) => tokio::time::sleep(self.config.poll_interval).await,
                Err(error) => {
                    tracing::warn!(%error, worker, "code generation: claiming a job failed");
                    tokio::time::sleep(self.config.poll_interval).await;
                }
            }
        }
    }

    fn lease_until(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
            + TimeDelta::from_std(self.config.lease).unwrap_or_else(|_| TimeDelta::seconds(60))
    }

    /// Claims and runs one job; whether there was one.
    ///
    /// # Errors
    /// [`DbError`] when the claim itself fails.
    pub async fn run_one(&self, worker: &str) -> Result<bool, DbError> {
        let Some(job) =
            generations::claim(&self.db, worker, self.lease_until(), self.clock.now()).await?
        else {
            return Ok(false);
        };
        tracing::info!(
            generation_id = %job.generation_id,
            attempt = job.attempt,
            worker,
            "code generation: job claimed"
        );
        if job.attempt > job.max_attempts {
            self.finish_failed(&job, worker, "gave up after its attempts ran out", true)
                .await;
            return Ok(true);
        }
        match self.generate(&job, worker).await {
            Ok(()) => {}
            Err(JobError::LeaseLost) => tracing::warn!(
                generation_id = %job.generation_id,
                worker,
                "code generation: the lease was lost to another worker; nothing written"
            ),
            Err(JobError::Permanent(reason)) => {
                self.finish_failed(&job, worker, &reason, true).await;
            }
            Err(JobError::Transient(reason)) => {
                self.finish_failed(&job, worker, &reason, false).await;
            }
        }
        Ok(true)
    }

    async fn finish_failed(&self, job: &ClaimedJob, worker: &str, reason: &str, permanent: bool) {
        let now = self.clock.now();
        let backoff = TimeDelta::seconds(2_i64.saturating_pow(job.attempt.min(10)));
        match generations::fail(&self.db, job, worker, reason, permanent, now + backoff, now).await
        {
            Ok(GenerationStatus::Failed) => tracing::warn!(
                generation_id = %job.generation_id,
                reason,
                "code generation failed"
            ),
            Ok(_) => tracing::warn!(
                generation_id = %job.generation_id,
                reason,
                retry_in_seconds = backoff.num_seconds(),
                "code generation attempt failed; it will be retried"
            ),
            Err(error) => tracing::error!(
                %error,
                generation_id = %job.generation_id,
                "code generation: recording a failure failed; the lease will run out"
            ),
        }
    }

    async fn generate(&self, job: &ClaimedJob, worker: &str) -> Result<(), JobError> {
        let generation = generations::find(&self.db, job.generation_id)
            .await?
            .ok_or_else(|| JobError::Permanent("the generation was deleted".to_owned()))?;
        let project = projects::find_by_id(&self.db, generation.project_id)
            .await?
            .ok_or_else(|| JobError::Permanent("the project was deleted".to_owned()))?;
        let ids: Vec<_> = generation.fact_versions.iter().map(|f| f.spec_id).collect();
        let facts = specifications::by_ids(&self.db, &ids).await?;
        if facts.len() != ids.len() {
            return Err(JobError::Permanent(format!(
                "{} of the {} fact versions it was asked for are gone",
                ids.len() - facts.len(),
                ids.len()
            )));
        }
        let spec = Specification {
            project: project_info(&project),
            facts: facts.iter().map(fact_of).collect(),
            open_conflicts: Vec::new(),
            decisions: Vec::new(),
            taken_at: generation.created_at,
        };
        let stack = generation.stack;
        let chosen_by_default = !Stack::choose(
            spec.value(Category::TechStack, "programming_language"),
            spec.value(Category::TechStack, "backend_framework"),
        )
        .1;
        let offline = Arc::clone(&self.offline);
        let generator = tokio::task::spawn_blocking(move || {
            let brief = Brief::read(&spec, Some(offline.knowledge().technologies()));
            Generator::new(&spec, &brief, stack, chosen_by_default)
        })
        .await
        .map_err(|error| JobError::Transient(error.to_string()))?
        .map_err(|error| JobError::Permanent(error.to_string()))?;
        let generator = Arc::new(generator);
        let mut tracker = Tracker {
            renewed: std::time::Instant::now(),
            size: 0,
        };
        // The same specification version and stack were generated before: the same files.
        let written = if let Some(previous) = generations::completed_like(
            &self.db,
            generation.project_id,
            &generation.spec_fingerprint,
            stack,
            generation.id,
        )
        .await?
        {
            let files = generations::files_of(&self.db, previous).await?;
            for file in &files {
                tracker.add(self, file.content.len())?;
            }
            files
                .into_iter()
                .map(|file| NewFile {
                    path: file.path,
                    content: file.content,
                    spec_ids: file.spec_ids,
                })
                .collect()
        } else if let Some(model) = &self.model {
            let context = UsageContext {
                user_id: generation.requested_by,
                project_id: Some(generation.project_id),
                session_id: None,
            };
            crate::usage::attributed(
                context,
                self.model_files(job, worker, model, &generator, &mut tracker),
            )
            .await?
        } else {
            let plan = generator.plan();
            let total = plan.len();
            let mut written: Vec<NewFile> = Vec::with_capacity(total);
            for (index, planned) in plan.into_iter().enumerate() {
                let file = self.render(&generator, planned).await?;
                tracker.add(self, file.content.len())?;
                written.push(file);
                self.between_files(job, worker, &mut tracker, index + 1, total)
                    .await?;
            }
            written
        };
        let files = written.len();
        if generations::complete(&self.db, job, worker, written, self.clock.now()).await? {
            tracing::info!(
                generation_id = %job.generation_id,
                files,
                bytes = tracker.size,
                stack = %stack,
                "code generation completed"
            );
            Ok(())
        } else {
            Err(JobError::LeaseLost)
        }
    }

    async fn render(
        &self,
        generator: &Arc<Generator>,
        planned: socrates_codegen::PlannedFile,
    ) -> Result<NewFile, JobError> {
        let rendering = Arc::clone(generator);
        let file = tokio::task::spawn_blocking(move || rendering.render(&planned))
            .await
            .map_err(|error| JobError::Transient(error.to_string()))?
            .map_err(|error| JobError::Permanent(error.to_string()))?;
        Ok(NewFile {
            path: file.path,
            content: file.content,
            spec_ids: file.spec_ids,
        })
    }

    /// The offline generator's fixed files, then the files a model plans and writes.
    async fn model_files(
        &self,
        job: &ClaimedJob,
        worker: &str,
        model: &ModelWriter,
        generator: &Arc<Generator>,
        tracker: &mut Tracker,
    ) -> Result<Vec<NewFile>, JobError> {
        let mut written = Vec::new();
        for planned in generator.fixed_plan() {
            let file = self.render(generator, planned).await?;
            tracker.add(self, file.content.len())?;
            written.push(file);
        }
        let fixed: Vec<String> = written.iter().map(|file| file.path.clone()).collect();
        let suggested: Vec<String> = generator
            .plan()
            .into_iter()
            .map(|file| file.path)
            .filter(|path| !fixed.contains(path))
            .collect();
        let context = generator.prompt_context();
        let plan = model
            .plan(&context, &suggested, &fixed)
            .await
            .map_err(|error| JobError::Transient(error.to_string()))?;
        let every_fact: Vec<uuid::Uuid> = generator.fact_ids().to_vec();
        let total = plan.len();
        for (index, file) in plan.iter().enumerate() {
            let content = model
                .write(&context, &plan, file)
                .await
                .map_err(|error| JobError::Transient(error.to_string()))?;
            tracker.add(self, content.len())?;
            written.push(NewFile {
                path: file.path.clone(),
                content,
                spec_ids: every_fact.clone(),
            });
            self.between_files(job, worker, tracker, index + 1, total)
                .await?;
        }
        Ok(written)
    }

    /// The pause between files, and the heartbeat with the progress when a third of the lease
    /// has passed since the last one.
    async fn between_files(
        &self,
        job: &ClaimedJob,
        worker: &str,
        tracker: &mut Tracker,
        done: usize,
        total: usize,
    ) -> Result<(), JobError> {
        if !self.config.pause_between_files.is_zero() {
            tokio::time::sleep(self.config.pause_between_files).await;
        }
        if tracker.renewed.elapsed() < self.config.lease / 3 {
            return Ok(());
        }
        let progress = u8::try_from(done * 100 / total.max(1)).unwrap_or(99);
        let held = generations::heartbeat(
            &self.db,
            job,
            worker,
            self.lease_until(),
            progress,
            self.clock.now(),
        )
        .await?;
        if !held {
            return Err(JobError::LeaseLost);
        }
        tracker.renewed = std::time::Instant::now();
        Ok(())
    }
}

/// What a job has written so far, and when it last renewed its lease.
struct Tracker {
    renewed: std::time::Instant,
    size: u64,
}

impl Tracker {
    fn add(&mut self, workers: &CodegenWorkers, bytes: usize) -> Result<(), JobError> {
        self.size += bytes as u64;
        if self.size > workers.config.max_archive_bytes {
            return Err(JobError::Permanent(format!(
                "the generated files exceed the limit of {} bytes (codegen.max_archive_bytes)",
                workers.config.max_archive_bytes
            )));
        }
        Ok(())
    }
}
