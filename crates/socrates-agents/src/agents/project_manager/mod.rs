//! `project_manager`: create, get, list, update, archive, status and phase advance of the
//! caller's projects. Another user's project is "not found", exactly like a missing one.

use std::sync::Arc;

use serde_json::{Value, json};
use socrates_domain::{
    AdvanceRefusal, Category, Code, Description, MaturityReport, PageOffset, ProjectId,
    ProjectName, ProjectStatus, check_phase_advance, compute_maturity,
};
use socrates_persistence::SpecsDb;
use socrates_persistence::repositories::projects::{
    self, NewProject, Project, ProjectChanges, ProjectFilter,
};
use socrates_persistence::repositories::{Page, maturity, questions, specifications};

use crate::agent::{Action, ActionSet, Agent, AgentContext, AgentError};
use crate::agents::common::{ensure_writable, owned_project, project_not_found};
use crate::agents::interview::InterviewStanding;
use crate::agents::views::CategoryStatus;
use crate::view_cache::ProjectViews;
use socrates_domain::templates::ProjectTemplate;
use socrates_infra::clock::Clock;
use socrates_reasoner::offline::OfflineData;

mod messages;
mod templates;
pub use messages::*;
pub use templates::{CreateFromTemplate, FromTemplate, ListTemplates, TemplateList};

/// The agent id.
pub const ID: &str = "project_manager";

/// One refusal as the client sees it.
pub(crate) fn refusal_json(refusal: &AdvanceRefusal) -> Value {
    match refusal {
        AdvanceRefusal::MaturityBelowThreshold { required, actual } => json!({
            "reason": "maturity_below_threshold",
            "required": required,
            "actual": actual,
        }),
        AdvanceRefusal::MissingCategories { categories } => json!({
            "reason": "missing_categories",
            "categories": categories,
        }),
        AdvanceRefusal::CoverageGaps { categories } => json!({
            "reason": "coverage_gaps",
            "categories": categories,
            "suggested_actions": categories
                .iter()
                .take(3)
                .map(|category| format!("Ask questions about {}", category.title().to_lowercase()))
                .collect::<Vec<_>>(),
        }),
        AdvanceRefusal::OpenConflicts { count } => json!({
            "reason": "open_conflicts",
            "count": count,
        }),
        AdvanceRefusal::AlreadyFinalPhase => json!({ "reason": "already_final_phase" }),
    }
}

/// The project manager; see the module documentation.
#[derive(Debug, Clone)]
pub struct ProjectManager {
    db: SpecsDb,
    /// The question bank the status consults for the interview's next category.
    offline: Arc<OfflineData>,
    clock: Arc<dyn Clock>,
    views: ProjectViews,
    /// The product templates, checked against the offline data once.
    templates: Result<Arc<Vec<ProjectTemplate>>, String>,
}

impl ProjectManager {
    /// The agent over the specs database; `offline` holds the question bank that decides
    /// which category the interview asks about next.
    #[must_use]
    pub fn new(db: SpecsDb, offline: Arc<OfflineData>, clock: Arc<dyn Clock>) -> Self {
        let templates = socrates_domain::templates::builtin(offline.knowledge())
            .map(Arc::new)
            .map_err(|error| {
                tracing::error!(%error, "the product templates are invalid; template routes answer 500");
                error.to_string()
            });
        Self {
            db,
            offline,
            clock,
            views: ProjectViews::uncached(),
            templates,
        }
    }

    /// Caches the project status in `views` (and drops it on every change of the project).
    #[must_use]
    pub fn with_views(mut self, views: ProjectViews) -> Self {
        self.views = views;
        self
    }

    async fn owned(&self, context: &AgentContext, id: ProjectId) -> Result<Project, AgentError> {
        owned_project(&self.db, context, id).await
    }

    async fn create(
        &self,
        context: &AgentContext,
        request: CreateProject,
    ) -> Result<ProjectView, AgentError> {
        let name = ProjectName::parse(&request.name)?;
        let description = request
            .description
            .map(|text| Description::parse(&text).map(Description::into_inner))
            .transpose()?;
        let now = self.clock.now();
        let tx = self.db.begin().await?;
        let project = projects::create(
            &tx,
            NewProject {
                owner_id: context.user_id,
                name,
                description,
            },
            now,
        )
        .await?;
        maturity::record(
            &tx,
            project.id,
            &compute_maturity([]),
            "project_created",
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(project.into())
    }

    async fn list(
        &self,
        context: &AgentContext,
        request: ListProjects,
    ) -> Result<ProjectList, AgentError> {
        let page = Page::new(request.limit, request.offset.map(PageOffset::get));
        let filter = ProjectFilter {
            status: request.status,
            phase: request.phase,
        };
        let (rows, total) =
            projects::list_for_owner(&self.db, context.user_id, filter, page).await?;
        Ok(ProjectList {
            projects: rows.into_iter().map(ProjectView::from).collect(),
            total,
            limit: page.limit,
            offset: page.offset,
        })
    }

    async fn update(
        &self,
        context: &AgentContext,
        request: UpdateProject,
    ) -> Result<ProjectView, AgentError> {
        let project = self.owned(context, request.project_id).await?;
        ensure_writable(&project)?;
        let changes = ProjectChanges {
            name: request
                .name
                .as_deref()
                .map(ProjectName::parse)
                .transpose()?,
            description: request
                .description
                .map(|text| {
                    text.map(|text| Description::parse(&text).map(Description::into_inner))
                        .transpose()
                })
                .transpose()?,
        };
        let updated = projects::update(&self.db, project.id, changes, self.clock.now()).await?;
        self.views.invalidate(project.id).await;
        Ok(updated.into())
    }

    async fn archive(
        &self,
        context: &AgentContext,
        project_id: ProjectId,
    ) -> Result<Archived, AgentError> {
        let project = self.owned(context, project_id).await?;
        if project.status != ProjectStatus::Archived {
            projects::archive(&self.db, project.id, self.clock.now()).await?;
            self.views.invalidate(project.id).await;
        }
        Ok(Archived {
            project_id: project.id,
            message: "Project archived successfully".to_owned(),
        })
    }

    /// The status from three queries: the project with its open-conflict count, the category,
    /// key and confidence of every current fact, and the project's questions (for the
    /// interview's next category, which is the one `next-question` asks about).
    async fn status(
        &self,
        context: &AgentContext,
        id: ProjectId,
    ) -> Result<ProjectStatusReport, AgentError> {
        self.views
            .get_or_load(
                id,
                context.user_id,
                "status",
                "status",
                || project_not_found(id),
                || async {
                    let (project, open_conflicts) =
                        projects::find_owned_with_open_conflicts(&self.db, id, context.user_id)
                            .await?
                            .ok_or_else(|| project_not_found(id))?;
                    // The facts and the questions are read at once, on two connections.
                    let (facts, asked) = tokio::try_join!(
                        specifications::current_keys(&self.db, project.id),
                        questions::asked_in_project(&self.db, project.id),
                    )?;
                    let interview = InterviewStanding::new(
                        &self.offline,
                        facts.iter().map(|(category, key, confidence)| {
                            (*category, key.as_str(), *confidence)
                        }),
                        &asked,
                    );
                    Ok((
                        project.owner_id,
                        status_report(
                            &project,
                            &interview.report,
                            interview.next_category(),
                            open_conflicts,
                        ),
                    ))
                },
            )
            .await
    }

    /// The owned project, its open conflicts and its maturity, in two statements: the project
    /// with a subquery counting the conflicts, and the confidences of the current facts.
    async fn standing(
        &self,
        context: &AgentContext,
        id: ProjectId,
    ) -> Result<(Project, u64, MaturityReport), AgentError> {
        let (project, open_conflicts) =
            projects::find_owned_with_open_conflicts(&self.db, id, context.user_id)
                .await?
                .ok_or_else(|| project_not_found(id))?;
        let facts = specifications::current_confidences(&self.db, project.id).await?;
        Ok((project, open_conflicts, compute_maturity(facts)))
    }

    async fn advance_phase(
        &self,
        context: &AgentContext,
        project_id: ProjectId,
    ) -> Result<PhaseAdvanced, AgentError> {
        let (project, open_conflicts, report) = self.standing(context, project_id).await?;
        ensure_writable(&project)?;
        let open = u32::try_from(open_conflicts).unwrap_or(u32::MAX);
        let next = check_phase_advance(project.phase, &report, open).map_err(|refusals| {
            AgentError::Refused {
                code: Code::PhaseAdvanceRefused,
                message: format!(
                    "the project cannot leave the {} phase yet",
                    project.phase.as_str()
                ),
                details: Some(json!({
                    "phase": project.phase,
                    "maturity_score": report.overall,
                    "reasons": refusals.iter().map(refusal_json).collect::<Vec<_>>(),
                })),
            }
        })?;
        // Conditional on the phase read above, so two concurrent advances cannot both move.
        let moved =
            projects::advance_phase(&self.db, project.id, project.phase, next, self.clock.now())
                .await?;
        self.views.invalidate(project.id).await;
        if !moved {
            return Err(AgentError::Refused {
                code: Code::StaleVersion,
                message: "the project's phase changed meanwhile; read its status again".to_owned(),
                details: None,
            });
        }
        Ok(PhaseAdvanced {
            project_id: project.id,
            previous_phase: project.phase,
            phase: next,
            maturity_score: report.overall,
        })
    }
}

/// The status report of a project from its maturity report and the category the interview
/// asks about next.
#[must_use]
pub fn status_report(
    project: &Project,
    report: &MaturityReport,
    next_category: Option<Category>,
    open_conflicts: u64,
) -> ProjectStatusReport {
    let open = u32::try_from(open_conflicts).unwrap_or(u32::MAX);
    let blockers = match check_phase_advance(project.phase, report, open) {
        Ok(_) => Vec::new(),
        Err(refusals) => refusals.iter().map(refusal_json).collect(),
    };
    ProjectStatusReport {
        project_id: project.id,
        phase: project.phase,
        maturity_score: report.overall,
        coverage_breakdown: report
            .categories
            .iter()
            .map(|c| (c.category, c.coverage_percent))
            .collect(),
        categories: report.categories.iter().map(CategoryStatus::from).collect(),
        specifications_count: report.categories.iter().map(|c| c.fact_count).sum(),
        unresolved_conflicts: open_conflicts,
        next_category,
        can_advance: blockers.is_empty(),
        advance_blockers: blockers,
    }
}

impl Agent for ProjectManager {
    const ID: &'static str = ID;

    fn actions(actions: &mut ActionSet<Self>) {
        actions
            .add::<CreateProject>()
            .add::<GetProject>()
            .add::<ListProjects>()
            .add::<UpdateProject>()
            .add::<ArchiveProject>()
            .add::<GetProjectStatus>()
            .add::<AdvancePhase>()
            .add::<ListTemplates>()
            .add::<CreateFromTemplate>();
    }
}

impl Action for CreateProject {
    type Agent = ProjectManager;
    type Output = ProjectView;
    const NAME: &'static str = "create";
    const WRITES: bool = true;
    const FRESH_ACCOUNT_CHECK: bool = true;

    async fn execute(
        self,
        agent: &ProjectManager,
        context: &AgentContext,
    ) -> Result<ProjectView, AgentError> {
        agent.create(context, self).await
    }
}

impl Action for GetProject {
    type Agent = ProjectManager;
    type Output = ProjectView;
    const NAME: &'static str = "get";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &ProjectManager,
        context: &AgentContext,
    ) -> Result<ProjectView, AgentError> {
        Ok(agent.owned(context, self.project_id).await?.into())
    }
}

impl Action for ListProjects {
    type Agent = ProjectManager;
    type Output = ProjectList;
    const NAME: &'static str = "list";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &ProjectManager,
        context: &AgentContext,
    ) -> Result<ProjectList, AgentError> {
        agent.list(context, self).await
    }
}

impl Action for UpdateProject {
    type Agent = ProjectManager;
    type Output = ProjectView;
    const NAME: &'static str = "update";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &ProjectManager,
        context: &AgentContext,
    ) -> Result<ProjectView, AgentError> {
        agent.update(context, self).await
    }
}

impl Action for ArchiveProject {
    type Agent = ProjectManager;
    type Output = Archived;
    const NAME: &'static str = "archive";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &ProjectManager,
        context: &AgentContext,
    ) -> Result<Archived, AgentError> {
        agent.archive(context, self.project_id).await
    }
}

impl Action for GetProjectStatus {
    type Agent = ProjectManager;
    type Output = ProjectStatusReport;
    const NAME: &'static str = "status";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &ProjectManager,
        context: &AgentContext,
    ) -> Result<ProjectStatusReport, AgentError> {
        agent.status(context, self.project_id).await
    }
}

impl Action for AdvancePhase {
    type Agent = ProjectManager;
    type Output = PhaseAdvanced;
    const NAME: &'static str = "advance_phase";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &ProjectManager,
        context: &AgentContext,
    ) -> Result<PhaseAdvanced, AgentError> {
        agent.advance_phase(context, self.project_id).await
    }
}
