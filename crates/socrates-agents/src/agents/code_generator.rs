//! `code_generator`: code generation as a durable job. A request checks the gates (100 %
//! maturity, no open conflict, no coverage gap), records the specification version (every
//! current fact's id and version) and queues a job in the database; the workers of
//! [`crate::codegen_worker`] — in any server instance — claim it, write the files and complete
//! it. Status, the ZIP of a completed generation and a project's latest code are read here.

use std::sync::Arc;

use serde_json::json;
use socrates_domain::{
    Code, GenerationId, GenerationStatus, ProjectId, Stack, check_code_generation, compute_maturity,
};
use socrates_export::archive::{self, ArchiveError, ArchiveFile};
use socrates_export::model::slug;
use socrates_persistence::SpecsDb;
pub use socrates_persistence::repositories::generations::Generation;
use socrates_persistence::repositories::generations::{
    self, FactVersion, NewGeneration, Requested,
};
use socrates_persistence::repositories::projects::Project;
use socrates_persistence::repositories::{projects, specifications};

use crate::agent::{Action, ActionSet, Agent, AgentContext, AgentError};
use crate::agents::common::{ensure_writable, owned_project, project_not_found};
use crate::agents::export::{Binary, fact_of, project_info};
use crate::agents::project_manager::refusal_json;
use socrates_infra::clock::Clock;

/// The agent id.
pub const ID: &str = "code_generator";

/// Limits of code generation.
#[derive(Debug, Clone, Copy)]
pub struct CodegenLimits {
    /// The largest generated project (its files before compression), in bytes.
    pub max_archive_bytes: u64,
    /// What a request answers as `estimated_time_seconds`: seconds for the offline generator,
    /// minutes when a model writes the files.
    pub estimated_seconds: u32,
}

impl Default for CodegenLimits {
    fn default() -> Self {
        Self {
            max_archive_bytes: 50 * 1024 * 1024,
            estimated_seconds: 5,
        }
    }
}

/// `generate`: queue a generation of the project's current specification.
#[derive(Debug, Clone, Copy)]
pub struct RequestGeneration {
    /// The project.
    pub project_id: ProjectId,
}

/// `status`: one generation of the caller's.
#[derive(Debug, Clone, Copy)]
pub struct GetGeneration {
    /// The generation.
    pub generation_id: GenerationId,
}

/// `download`: the ZIP of a completed generation.
#[derive(Debug, Clone, Copy)]
pub struct DownloadGeneration {
    /// The generation.
    pub generation_id: GenerationId,
}

/// `latest`: the ZIP of the project's newest completed generation.
#[derive(Debug, Clone, Copy)]
pub struct LatestCode {
    /// The project.
    pub project_id: ProjectId,
}

/// A generation as its owner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationView {
    /// The generation.
    pub generation: Generation,
    /// Whether this request created it (false: one was already running).
    pub created: bool,
    /// A rough estimate of how long it takes, in seconds.
    pub estimated_time_seconds: u32,
}

/// The code generator; see the module documentation.
#[derive(Clone)]
pub struct CodeGenerator {
    db: SpecsDb,
    clock: Arc<dyn Clock>,
    limits: CodegenLimits,
}

impl std::fmt::Debug for CodeGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeGenerator")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The hex digest of a `sha256:` version.
fn fingerprint(hash: &str) -> String {
    hash.trim_start_matches("sha256:").to_owned()
}

fn not_found() -> AgentError {
    AgentError::not_found(Code::GenerationNotFound, "no such code generation")
}

fn too_large(size: u64, limit: u64) -> AgentError {
    AgentError::Refused {
        code: Code::ExportTooLarge,
        message: format!(
            "the generated project holds {size} bytes, more than the limit of {limit} \
             (codegen.max_archive_bytes)"
        ),
        details: Some(json!({"size_bytes": size, "limit_bytes": limit})),
    }
}

impl CodeGenerator {
    /// The agent over the specs database.
    #[must_use]
    pub fn new(db: SpecsDb, clock: Arc<dyn Clock>, limits: CodegenLimits) -> Self {
        Self { db, clock, limits }
    }

    async fn request(
        &self,
        context: &AgentContext,
        project_id: ProjectId,
    ) -> Result<GenerationView, AgentError> {
        let (project, open) =
            projects::find_owned_with_open_conflicts(&self.db, project_id, context.user_id)
                .await?
                .ok_or_else(|| project_not_found(project_id))?;
        ensure_writable(&project)?;
        let facts = specifications::all_current(&self.db, project.id).await?;
        let report = compute_maturity(facts.iter().map(|f| (f.category, f.confidence)));
        let open = u32::try_from(open).unwrap_or(u32::MAX);
        if let Err(refusals) = check_code_generation(&report, open) {
            let reasons: Vec<_> = refusals.iter().map(refusal_json).collect();
            let maturity_short = !report.is_complete();
            return Err(AgentError::Refused {
                code: if maturity_short {
                    Code::MaturityNotReached
                } else {
                    Code::GenerationBlocked
                },
                message: if maturity_short {
                    format!("Project maturity is {:.2}%. Need 100%.", report.overall)
                } else {
                    "quality control blocks code generation; see the reasons".to_owned()
                },
                details: Some(json!({
                    "maturity_score": report.overall,
                    "missing_categories": report.missing_categories(),
                    "reasons": reasons,
                })),
            });
        }
        let spec = socrates_export::model::Specification {
            project: project_info(&project),
            facts: facts.iter().map(fact_of).collect(),
            open_conflicts: Vec::new(),
            decisions: Vec::new(),
            taken_at: self.clock.now(),
        };
        let language = spec.value(socrates_domain::Category::TechStack, "programming_language");
        let framework = spec.value(socrates_domain::Category::TechStack, "backend_framework");
        let (stack, _) = Stack::choose(language, framework);
        let requested = generations::request(
            &self.db,
            NewGeneration {
                project_id: project.id,
                requested_by: context.user_id,
                spec_fingerprint: fingerprint(&spec.version().hash),
                fact_versions: facts
                    .iter()
                    .map(|f| FactVersion {
                        spec_id: f.id.into_uuid(),
                        version: f.version,
                    })
                    .collect(),
                stack,
            },
            self.clock.now(),
        )
        .await?;
        let (generation, created) = match requested {
            Requested::Created(generation) => (generation, true),
            Requested::AlreadyRunning(generation) => (generation, false),
        };
        Ok(GenerationView {
            estimated_time_seconds: self.limits.estimated_seconds,
            generation,
            created,
        })
    }

    /// The generation and its project, when the project is the caller's. Someone else's
    /// generation is "not found" like a missing one; a database failure stays what it is.
    async fn owned(
        &self,
        context: &AgentContext,
        id: GenerationId,
    ) -> Result<(Generation, Project), AgentError> {
        let generation = generations::find(&self.db, id)
            .await?
            .ok_or_else(not_found)?;
        let project = owned_project(&self.db, context, generation.project_id)
            .await
            .map_err(|error| match error {
                AgentError::NotFound {
                    code: Code::ProjectNotFound,
                    ..
                } => not_found(),
                other => other,
            })?;
        Ok((generation, project))
    }

    async fn zip(&self, generation: &Generation, project_name: &str) -> Result<Binary, AgentError> {
        if generation.status != GenerationStatus::Completed {
            return Err(AgentError::Refused {
                code: Code::GenerationNotReady,
                message: format!(
                    "the generation is {}; its code can be downloaded once it is completed",
                    generation.status
                ),
                details: Some(json!({
                    "status": generation.status,
                    "progress_percent": generation.progress_percent,
                })),
            });
        }
        let files = generations::files_of(&self.db, generation.id).await?;
        let limit = self.limits.max_archive_bytes;
        let root = slug(project_name);
        let files: Vec<ArchiveFile> = files
            .into_iter()
            .map(|file| ArchiveFile::new(format!("{root}/{}", file.path), file.content))
            .collect();
        let bytes = tokio::task::spawn_blocking(move || archive::zip(&files, limit))
            .await
            .map_err(|error| AgentError::Internal(format!("zipping the generation: {error}")))?
            .map_err(|error| match error {
                ArchiveError::TooLarge { size, limit } => too_large(size, limit),
                other => AgentError::Internal(other.to_string()),
            })?;
        Ok(Binary {
            file_name: format!("{root}-v{}.zip", generation.generation_version),
            content_type: "application/zip",
            bytes,
            spec_version: format!("sha256:{}", generation.spec_fingerprint),
        })
    }
}

impl Agent for CodeGenerator {
    const ID: &'static str = ID;

    fn actions(actions: &mut ActionSet<Self>) {
        actions
            .add::<RequestGeneration>()
            .add::<GetGeneration>()
            .add::<DownloadGeneration>()
            .add::<LatestCode>();
    }
}

impl Action for RequestGeneration {
    type Agent = CodeGenerator;
    type Output = GenerationView;
    const NAME: &'static str = "generate";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &CodeGenerator,
        context: &AgentContext,
    ) -> Result<GenerationView, AgentError> {
        agent.request(context, self.project_id).await
    }
}

impl Action for GetGeneration {
    type Agent = CodeGenerator;
    type Output = Generation;
    const NAME: &'static str = "status";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &CodeGenerator,
        context: &AgentContext,
    ) -> Result<Generation, AgentError> {
        Ok(agent.owned(context, self.generation_id).await?.0)
    }
}

impl Action for DownloadGeneration {
    type Agent = CodeGenerator;
    type Output = Binary;
    const NAME: &'static str = "download";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &CodeGenerator,
        context: &AgentContext,
    ) -> Result<Binary, AgentError> {
        let (generation, project) = agent.owned(context, self.generation_id).await?;
        agent.zip(&generation, &project.name).await
    }
}

impl Action for LatestCode {
    type Agent = CodeGenerator;
    type Output = Binary;
    const NAME: &'static str = "latest";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &CodeGenerator,
        context: &AgentContext,
    ) -> Result<Binary, AgentError> {
        let project = owned_project(&agent.db, context, self.project_id).await?;
        // The project exists: without a completed generation its code is "not ready" (409),
        // as a generation's download is until it completes, not "not found".
        let generation = generations::latest_completed(&agent.db, project.id)
            .await?
            .ok_or_else(|| AgentError::Refused {
                code: Code::GenerationNotReady,
                message: "the project has no completed code generation yet; request one with \
                          POST /api/v1/code/generate"
                    .to_owned(),
                details: None,
            })?;
        agent.zip(&generation, &project.name).await
    }
}
