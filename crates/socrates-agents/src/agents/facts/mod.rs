//! `context_analyzer`: the facts of a project. It extracts facts from any text (without
//! saving them), lists the current facts, adds a fact entered by hand (confidence 1.0, the
//! same conflict path as an answer), writes a new version of a fact, deletes one (softly) and
//! lists a fact's versions. Every write recomputes the maturity in the same transaction.

use std::sync::Arc;

use serde_json::json;
use socrates_domain::{
    Category, Code, Confidence, FactDraft, FactKey, FactSource, FactValue, PageOffset, ProjectId,
    SpecificationId, ValueSlot,
};
use socrates_persistence::repositories::Page;
use socrates_persistence::repositories::projects::{self, Project};
use socrates_persistence::repositories::specifications::{self, FactChange, Specification};
use socrates_persistence::{DbError, SpecsDb};

use crate::agent::{Action, ActionSet, Agent, AgentContext, AgentError};
use crate::agents::common::{
    FACT_WRITE_ATTEMPTS, Origin, ensure_writable, existing_facts, hold_in_conflict, lost_fact_race,
    owned_project, project_not_found, record_maturity, save_placed,
};
use crate::usage::{self, UsageContext};
use crate::view_cache::ProjectViews;
use socrates_infra::clock::Clock;
use socrates_reasoner::offline::OfflineData;
use socrates_reasoner::{ExtractionInput, Reasoner};

use crate::agents::views::FactView;

mod messages;
pub use messages::*;

/// The agent id.
pub const ID: &str = "context_analyzer";

/// The context analyzer; see the module documentation.
#[derive(Debug, Clone)]
pub struct ContextAnalyzer {
    db: SpecsDb,
    reasoner: Arc<dyn Reasoner>,
    offline: Arc<OfflineData>,
    clock: Arc<dyn Clock>,
    views: ProjectViews,
}

fn fact_not_found(id: SpecificationId) -> AgentError {
    AgentError::not_found(
        Code::SpecificationNotFound,
        format!("Specification not found: {id}"),
    )
}

fn parse_category(raw: &str) -> Result<Category, AgentError> {
    Category::normalise(raw).map_err(|_| AgentError::Invalid {
        code: Code::InvalidCategory,
        message: format!("unknown category `{}`", socrates_domain::echo(raw)),
        details: Some(json!({
            "field": "category",
            "allowed": Category::ALL.map(Category::as_str),
        })),
    })
}

impl ContextAnalyzer {
    /// The analyzer over the specs database and the reasoner; `offline` gives the value
    /// comparison that decides whether a fact is new, known or a refinement.
    #[must_use]
    pub fn new(
        db: SpecsDb,
        reasoner: Arc<dyn Reasoner>,
        offline: Arc<OfflineData>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            db,
            reasoner,
            offline,
            clock,
            views: ProjectViews::uncached(),
        }
    }

    /// Caches pages of fact lists in `views` (and drops them on every change of the facts).
    #[must_use]
    pub fn with_views(mut self, views: ProjectViews) -> Self {
        self.views = views;
        self
    }

    async fn project(&self, context: &AgentContext, id: ProjectId) -> Result<Project, AgentError> {
        owned_project(&self.db, context, id).await
    }

    /// The caller's fact version with its project; 404 for anyone else's.
    async fn owned_fact(
        &self,
        context: &AgentContext,
        id: SpecificationId,
    ) -> Result<(Specification, Project), AgentError> {
        let fact = specifications::find_by_id(&self.db, id)
            .await?
            .ok_or_else(|| fact_not_found(id))?;
        let project = projects::find_owned(&self.db, fact.project_id, context.user_id)
            .await?
            .ok_or_else(|| fact_not_found(id))?;
        Ok((fact, project))
    }

    /// The caller's fact version with its project, when the project may change; see
    /// [`ensure_writable`].
    async fn writable_fact(
        &self,
        context: &AgentContext,
        id: SpecificationId,
    ) -> Result<(Specification, Project), AgentError> {
        let (fact, project) = self.owned_fact(context, id).await?;
        ensure_writable(&project)?;
        Ok((fact, project))
    }

    async fn extract(
        &self,
        context: &AgentContext,
        request: ExtractText,
    ) -> Result<Extracted, AgentError> {
        let text = socrates_domain::SourceText::parse(&request.text)?;
        let project = self.project(context, request.project_id).await?;
        let current = specifications::all_current(&self.db, project.id).await?;
        let existing = existing_facts(&current);
        let extraction = usage::attributed(
            UsageContext {
                user_id: context.user_id,
                project_id: Some(project.id),
                session_id: None,
            },
            self.reasoner.extract_facts(&ExtractionInput {
                question_text: None,
                question_category: None,
                text: text.into_inner(),
                existing,
                source: FactSource::DirectInput,
            }),
        )
        .await?;
        Ok(Extracted {
            facts: extraction.facts,
            rejected: extraction.rejected.into_iter().map(Into::into).collect(),
        })
    }

    async fn list(
        &self,
        context: &AgentContext,
        request: ListFacts,
    ) -> Result<FactList, AgentError> {
        let id = request.project_id;
        let category = request
            .category
            .as_deref()
            .map(parse_category)
            .transpose()?;
        let page = Page::new(request.limit, request.offset.map(PageOffset::get));
        let view = format!(
            "facts:{}:{}:{}",
            category.map_or("all", Category::as_str),
            page.limit,
            page.offset
        );
        self.views
            .get_or_load(
                id,
                context.user_id,
                "facts",
                &view,
                || project_not_found(id),
                || async {
                    let project = self.project(context, id).await?;
                    let (rows, total) =
                        specifications::list_current_counted(&self.db, project.id, category, page)
                            .await?;
                    Ok((
                        project.owner_id,
                        FactList {
                            specifications: rows.iter().map(FactView::from).collect(),
                            total,
                            limit: page.limit,
                            offset: page.offset,
                        },
                    ))
                },
            )
            .await
    }

    async fn add(&self, context: &AgentContext, request: AddFact) -> Result<FactAdded, AgentError> {
        if request
            .source
            .is_some_and(|source| source != FactSource::DirectInput)
        {
            return Err(AgentError::Invalid {
                code: Code::ValidationError,
                message: "a fact entered by hand has the source `direct_input`".to_owned(),
                details: Some(json!({"field": "source", "allowed": ["direct_input"]})),
            });
        }
        let project = self.project(context, request.project_id).await?;
        ensure_writable(&project)?;
        let category = parse_category(&request.category)?;
        let key = FactKey::parse(&request.key)?;
        let value = FactValue::parse(&request.value)?;
        let draft = FactDraft {
            category,
            key: key.as_str().to_owned(),
            value: value.as_str().to_owned(),
            confidence: 1.0,
            reasoning: Some("entered by the user".to_owned()),
        };
        // A concurrent writer may make a fact of this key current between the read and the
        // write: the database refuses the second current value, and the fact is judged again
        // against the facts as they are now.
        let mut attempt = 1;
        loop {
            match self.add_once(context, &project, &draft).await {
                Err(error) if attempt < FACT_WRITE_ATTEMPTS && lost_fact_race(&error) => {
                    attempt += 1;
                    tracing::debug!(attempt, "a fact write lost a race; judging again");
                }
                added => return added,
            }
        }
    }

    /// One attempt of [`Self::add`]: read the current facts, judge, write.
    async fn add_once(
        &self,
        context: &AgentContext,
        project: &Project,
        draft: &FactDraft,
    ) -> Result<FactAdded, AgentError> {
        let current = specifications::all_current(&self.db, project.id).await?;
        let existing = existing_facts(&current);
        // The judgement (which may ask a model) happens before the transaction opens.
        let findings = usage::attributed(
            UsageContext {
                user_id: context.user_id,
                project_id: Some(project.id),
                session_id: None,
            },
            self.reasoner
                .judge_conflicts(std::slice::from_ref(draft), &existing),
        )
        .await?;
        let now = self.clock.now();
        let tx = self.db.begin().await?;
        let origin = Origin {
            project_id: project.id,
            session_id: None,
            source: FactSource::DirectInput,
            source_id: None,
            created_by: context.user_id,
        };
        let knowledge = self.offline.knowledge();
        let saved = if findings.is_empty() {
            let fact = save_placed(&tx, knowledge, &current, &origin, draft, now).await?;
            Some(FactView::from(&fact))
        } else {
            None
        };
        let mut raised = Vec::new();
        for finding in &findings {
            let old_spec_id = finding.existing.id.map(SpecificationId::from_uuid);
            raised
                .push(hold_in_conflict(&tx, knowledge, &origin, finding, old_spec_id, now).await?);
        }
        let maturity_score = record_maturity(&tx, project.id, "fact_added", None, now)
            .await?
            .overall;
        tx.commit().await?;
        self.views.invalidate(project.id).await;
        Ok(FactAdded {
            specification: saved,
            conflicts_detected: !raised.is_empty(),
            conflicts: raised,
            maturity_score,
        })
    }

    /// A new value for a fact, checked like any new statement against the project's other
    /// current facts: when it contradicts one, the fact keeps its value and a conflict holds the
    /// new one until it is resolved.
    async fn update(
        &self,
        context: &AgentContext,
        request: UpdateFact,
    ) -> Result<FactUpdated, AgentError> {
        let (fact, project) = self.writable_fact(context, request.spec_id).await?;
        // An edit of an old version would be judged against its own newer one.
        if !fact.is_current {
            return Err(not_current());
        }
        let value = FactValue::parse(&request.value)?;
        let reasoning = Some("changed by the user".to_owned());
        let draft = FactDraft {
            category: fact.category,
            key: fact.key.clone(),
            value: value.as_str().to_owned(),
            confidence: 1.0,
            reasoning: reasoning.clone(),
        };
        // The fact's own value is what the edit replaces, so it is not a contradiction.
        let others: Vec<Specification> = specifications::all_current(&self.db, fact.project_id)
            .await?
            .into_iter()
            .filter(|other| other.id != fact.id)
            .collect();
        let findings = usage::attributed(
            UsageContext {
                user_id: context.user_id,
                project_id: Some(fact.project_id),
                session_id: None,
            },
            self.reasoner
                .judge_conflicts(std::slice::from_ref(&draft), &existing_facts(&others)),
        )
        .await?;
        let now = self.clock.now();
        let tx = self.db.begin().await?;
        let updated = if findings.is_empty() {
            let version = specifications::new_version(
                &tx,
                fact.id,
                FactChange {
                    value_slot: ValueSlot::of(self.offline.knowledge(), &fact.key, value.as_str()),
                    value,
                    confidence: Some(Confidence::new(1.0)?),
                    source: FactSource::DirectInput,
                    source_id: None,
                    reasoning,
                    created_by: Some(context.user_id),
                },
                now,
            )
            .await
            .map_err(stale)?;
            let maturity_score = record_maturity(
                &tx,
                version.project_id,
                "fact_updated",
                Some(version.id.into_uuid()),
                now,
            )
            .await?
            .overall;
            FactUpdated {
                fact: FactChanged {
                    spec_id: version.id,
                    version: version.version,
                    value: version.value,
                    updated_at: version.updated_at,
                    maturity_score,
                    message: "Specification updated".to_owned(),
                },
                conflicts_detected: false,
                conflicts: Vec::new(),
            }
        } else {
            // No fact changes, so neither does the maturity: only the conflicts are written.
            let origin = Origin {
                project_id: fact.project_id,
                session_id: None,
                source: FactSource::DirectInput,
                source_id: None,
                created_by: context.user_id,
            };
            let knowledge = self.offline.knowledge();
            let mut raised = Vec::new();
            for finding in &findings {
                let old_spec_id = finding.existing.id.map(SpecificationId::from_uuid);
                raised.push(
                    hold_in_conflict(&tx, knowledge, &origin, finding, old_spec_id, now).await?,
                );
            }
            FactUpdated {
                fact: FactChanged {
                    spec_id: fact.id,
                    version: fact.version,
                    value: fact.value,
                    updated_at: fact.updated_at,
                    maturity_score: project.maturity_score,
                    message: "The new value contradicts another fact and waits in a conflict; \
                              the fact is unchanged"
                        .to_owned(),
                },
                conflicts_detected: true,
                conflicts: raised,
            }
        };
        tx.commit().await?;
        self.views.invalidate(fact.project_id).await;
        Ok(updated)
    }

    async fn delete(
        &self,
        context: &AgentContext,
        spec_id: SpecificationId,
    ) -> Result<FactChanged, AgentError> {
        let (fact, _) = self.writable_fact(context, spec_id).await?;
        let now = self.clock.now();
        let tx = self.db.begin().await?;
        let deleted = specifications::soft_delete(&tx, fact.id, now)
            .await
            .map_err(stale)?;
        let maturity_score = record_maturity(
            &tx,
            fact.project_id,
            "fact_deleted",
            Some(fact.id.into_uuid()),
            now,
        )
        .await?
        .overall;
        tx.commit().await?;
        self.views.invalidate(fact.project_id).await;
        Ok(FactChanged {
            spec_id: deleted.id,
            version: deleted.version,
            value: deleted.value,
            updated_at: now,
            maturity_score,
            message: "Specification removed".to_owned(),
        })
    }

    async fn history(
        &self,
        context: &AgentContext,
        request: GetFactHistory,
    ) -> Result<FactHistory, AgentError> {
        let (fact, _) = self.owned_fact(context, request.spec_id).await?;
        let page = Page::new(request.limit, request.offset.map(PageOffset::get));
        let (versions, total) = specifications::history(&self.db, fact.id, page).await?;
        Ok(FactHistory {
            lineage_id: fact.lineage_id,
            versions: versions.iter().map(FactVersion::from).collect(),
            total,
            limit: page.limit,
            offset: page.offset,
        })
    }
}

/// A fact that is no longer the current version is a 409, not a 500.
/// The refusal of a write to a version that is no longer current.
fn not_current() -> AgentError {
    AgentError::Refused {
        code: Code::StaleVersion,
        message: "this is not the current version of the fact; read its history".to_owned(),
        details: None,
    }
}

fn stale(error: DbError) -> AgentError {
    match error {
        DbError::StaleVersion { .. } => not_current(),
        other => other.into(),
    }
}

impl Agent for ContextAnalyzer {
    const ID: &'static str = ID;

    fn actions(actions: &mut ActionSet<Self>) {
        actions
            .add::<ExtractText>()
            .add::<ListFacts>()
            .add::<AddFact>()
            .add::<UpdateFact>()
            .add::<DeleteFact>()
            .add::<GetFactHistory>();
    }
}

impl Action for ExtractText {
    type Agent = ContextAnalyzer;
    type Output = Extracted;
    const NAME: &'static str = "extract";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &ContextAnalyzer,
        context: &AgentContext,
    ) -> Result<Extracted, AgentError> {
        agent.extract(context, self).await
    }
}

impl Action for ListFacts {
    type Agent = ContextAnalyzer;
    type Output = FactList;
    const NAME: &'static str = "list";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &ContextAnalyzer,
        context: &AgentContext,
    ) -> Result<FactList, AgentError> {
        agent.list(context, self).await
    }
}

impl Action for AddFact {
    type Agent = ContextAnalyzer;
    type Output = FactAdded;
    const NAME: &'static str = "add";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &ContextAnalyzer,
        context: &AgentContext,
    ) -> Result<FactAdded, AgentError> {
        agent.add(context, self).await
    }
}

impl Action for UpdateFact {
    type Agent = ContextAnalyzer;
    type Output = FactUpdated;
    const NAME: &'static str = "update";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &ContextAnalyzer,
        context: &AgentContext,
    ) -> Result<FactUpdated, AgentError> {
        agent.update(context, self).await
    }
}

impl Action for DeleteFact {
    type Agent = ContextAnalyzer;
    type Output = FactChanged;
    const NAME: &'static str = "delete";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &ContextAnalyzer,
        context: &AgentContext,
    ) -> Result<FactChanged, AgentError> {
        agent.delete(context, self.spec_id).await
    }
}

impl Action for GetFactHistory {
    type Agent = ContextAnalyzer;
    type Output = FactHistory;
    const NAME: &'static str = "history";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &ContextAnalyzer,
        context: &AgentContext,
    ) -> Result<FactHistory, AgentError> {
        agent.history(context, self).await
    }
}
