//! `templates` and `from_template`: the product templates, and a project started from one with
//! the template's facts (source `template`) written in the same transaction as the project.

use socrates_domain::templates::{ProjectTemplate, TEMPLATE_CONFIDENCE};
use socrates_domain::{Code, Description, FactDraft, FactSource, ProjectName};
use socrates_persistence::repositories::Page;
use socrates_persistence::repositories::projects::{self, NewProject};

use super::{ProjectManager, ProjectView};
use crate::agent::{Action, AgentContext, AgentError};
use crate::agents::common::{Origin, record_maturity};
use crate::agents::drafts;
use crate::agents::views::FactView;

/// The longest template id a request may name.
pub const MAX_TEMPLATE_ID: usize = 100;

/// `templates`: one page of the product templates.
#[derive(Debug, Clone, Copy)]
pub struct ListTemplates {
    /// Page size; the default when absent.
    pub limit: Option<u64>,
    /// How many to skip.
    pub offset: Option<u64>,
}

/// One page of templates.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateList {
    /// The templates of the page, in catalogue order.
    pub templates: Vec<ProjectTemplate>,
    /// How many there are.
    pub total: u64,
    /// The page size used.
    pub limit: u64,
    /// The offset used.
    pub offset: u64,
}

/// `from_template`: a new project with a template's facts.
#[derive(Debug, Clone)]
pub struct CreateFromTemplate {
    /// The template's id.
    pub template_id: String,
    /// The project's name; the template's when absent.
    pub name: Option<String>,
    /// What it is about; the template's summary when absent.
    pub description: Option<String>,
}

/// A project started from a template.
#[derive(Debug, Clone, PartialEq)]
pub struct FromTemplate {
    /// The project, with its maturity after the template's facts.
    pub project: ProjectView,
    /// The template it came from.
    pub template_id: String,
    /// The facts written, in the template's order.
    pub specifications: Vec<FactView>,
}

impl ProjectManager {
    fn templates(&self) -> Result<&[ProjectTemplate], AgentError> {
        match &self.templates {
            Ok(templates) => Ok(templates.as_slice()),
            Err(error) => Err(AgentError::Internal(format!(
                "the product templates: {error}"
            ))),
        }
    }

    async fn start_from_template(
        &self,
        context: &AgentContext,
        request: CreateFromTemplate,
    ) -> Result<FromTemplate, AgentError> {
        // An id is short; a long one is refused without being echoed back.
        if request.template_id.chars().count() > MAX_TEMPLATE_ID {
            return Err(AgentError::Invalid {
                code: Code::ValidationError,
                message: format!("template_id: at most {MAX_TEMPLATE_ID} characters"),
                details: Some(serde_json::json!({"field": "template_id"})),
            });
        }
        let template = self
            .templates()?
            .iter()
            .find(|t| t.id == request.template_id)
            .ok_or_else(|| AgentError::Refused {
                code: Code::TemplateNotFound,
                message: format!("there is no template \"{}\"", request.template_id),
                details: None,
            })?
            .clone();
        let name = ProjectName::parse(request.name.as_deref().unwrap_or(&template.name))?;
        let description =
            Description::parse(request.description.as_deref().unwrap_or(&template.summary))?
                .into_inner();
        let drafts: Vec<FactDraft> = template
            .facts
            .iter()
            .map(|fact| FactDraft {
                category: fact.category,
                key: fact.key.clone(),
                value: fact.value.clone(),
                confidence: TEMPLATE_CONFIDENCE,
                reasoning: Some(format!("from the template \"{}\"", template.name)),
            })
            .collect();
        let now = self.clock.now();
        let knowledge = self.offline.knowledge();
        let tx = self.db.begin().await?;
        let project = projects::create(
            &tx,
            NewProject {
                owner_id: context.user_id,
                name,
                description: Some(description),
            },
            now,
        )
        .await?;
        let origin = Origin {
            project_id: project.id,
            session_id: None,
            source: FactSource::Template,
            source_id: None,
            created_by: context.user_id,
        };
        let plan = drafts::plan(knowledge, &origin, &drafts, &[], &[]);
        if let Some(rejected) = plan.rejected.first() {
            return Err(AgentError::Internal(format!(
                "the template \"{}\" holds a fact that cannot be stored: {rejected:?}",
                template.id
            )));
        }
        let written = plan
            .write(&tx, knowledge, &origin, &drafts, &[], now)
            .await?;
        let report = record_maturity(&tx, project.id, "template_applied", None, now).await?;
        tx.commit().await?;
        let mut project = ProjectView::from(project);
        project.maturity_score = report.overall;
        Ok(FromTemplate {
            project,
            template_id: template.id,
            specifications: written.saved.iter().map(FactView::from).collect(),
        })
    }
}

impl Action for ListTemplates {
    type Agent = ProjectManager;
    type Output = TemplateList;
    const NAME: &'static str = "templates";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &ProjectManager,
        _context: &AgentContext,
    ) -> Result<TemplateList, AgentError> {
        let all = agent.templates()?;
        let page = Page::new(self.limit, self.offset);
        let skip = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let take = usize::try_from(page.limit).unwrap_or(usize::MAX);
        Ok(TemplateList {
            templates: all.iter().skip(skip).take(take).cloned().collect(),
            total: all.len() as u64,
            limit: page.limit,
            offset: page.offset,
        })
    }
}

impl Action for CreateFromTemplate {
    type Agent = ProjectManager;
    type Output = FromTemplate;
    const NAME: &'static str = "from_template";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &ProjectManager,
        context: &AgentContext,
    ) -> Result<FromTemplate, AgentError> {
        agent.start_from_template(context, self).await
    }
}
