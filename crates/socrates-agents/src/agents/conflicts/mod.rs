//! `conflict_detector`: list a project's conflicts, offer the resolution options, and resolve
//! one. A resolution writes, in one transaction, the facts it implies, the conflict's
//! resolution with who and when, and the recomputed maturity. Resolving twice is refused.
//!
//! What a resolution writes depends on what the held-back statement is about:
//! - the contradicted fact itself (same category and key): `replace` writes the held-back
//!   value as the fact's next version, `merge` the caller's merged value;
//! - another fact that a rule excludes together with it ("SQLite" against "10 000 concurrent
//!   writers"): `replace` saves the held-back statement and deletes the contradicted fact,
//!   `merge` saves the statement with the caller's value and keeps the contradicted fact;
//! - no stored fact: `replace` and `merge` save the statement.
//!
//! `keep_old` writes no fact. A statement is saved where it belongs among the current facts
//! (a new fact, or the next version of the one it revises), never into another key.

use std::sync::Arc;

use serde_json::json;
use socrates_domain::{
    Code, Confidence, ConflictId, ConflictResolution, ConflictStatus, DomainError, FactDraft,
    FactSource, FactValue, PageOffset, ResolutionNotes, ValueSlot,
};
use socrates_persistence::repositories::conflicts::{self, Conflict, Resolution};
use socrates_persistence::repositories::projects::Project;
use socrates_persistence::repositories::specifications::{self, FactChange};
use socrates_persistence::repositories::{Page, projects};
use socrates_persistence::{DbError, SpecsDb};

use crate::agent::{Action, ActionSet, Agent, AgentContext, AgentError};
use crate::agents::common::{Origin, ensure_writable, owned_project, record_maturity, save_placed};
use crate::agents::views::ContradictedFact;
use crate::view_cache::ProjectViews;
use socrates_infra::clock::Clock;
use socrates_reasoner::offline::OfflineData;

mod messages;
pub use messages::*;

/// The agent id.
pub const ID: &str = "conflict_detector";

/// The conflict detector's resolution side; see the module documentation.
#[derive(Debug, Clone)]
pub struct ConflictDetector {
    db: SpecsDb,
    offline: Arc<OfflineData>,
    clock: Arc<dyn Clock>,
    views: ProjectViews,
}

fn conflict_not_found(id: ConflictId) -> AgentError {
    AgentError::not_found(Code::ConflictNotFound, format!("Conflict not found: {id}"))
}

fn detail(conflict: Conflict, old: Option<&specifications::Specification>) -> ConflictDetail {
    ConflictDetail {
        conflict_id: conflict.id,
        project_id: conflict.project_id,
        conflict_type: conflict.conflict_type,
        severity: conflict.severity,
        status: conflict.status,
        old_spec: old.map_or(
            ContradictedFact {
                spec_id: conflict.old_spec_id,
                category: None,
                key: None,
                value: None,
            },
            |fact| ContradictedFact {
                spec_id: Some(fact.id),
                category: Some(fact.category),
                key: Some(fact.key.clone()),
                value: Some(fact.value.clone()),
            },
        ),
        new_spec_value: conflict.pending.value.clone(),
        new_spec: HeldBackFact {
            category: conflict.pending.category,
            key: conflict.pending.key,
            value: conflict.pending.value,
            confidence: conflict.pending.confidence,
        },
        description: conflict.description,
        detected_by: conflict.detected_by,
        detected_at: conflict.detected_at,
        resolution: conflict.resolution,
        resolved_at: conflict.resolved_at,
        resulting_spec_id: conflict.resulting_spec_id,
    }
}

impl ConflictDetector {
    /// The agent over the specs database; `offline` gives the vocabulary that places a
    /// resolved statement among the current facts.
    #[must_use]
    pub fn new(db: SpecsDb, offline: Arc<OfflineData>, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            offline,
            clock,
            views: ProjectViews::uncached(),
        }
    }

    /// Drops the project's cached views in `views` after every change this agent commits.
    #[must_use]
    pub fn with_views(mut self, views: ProjectViews) -> Self {
        self.views = views;
        self
    }

    /// The caller's conflict with its project; 404 for anyone else's.
    async fn owned(
        &self,
        context: &AgentContext,
        id: ConflictId,
    ) -> Result<(Conflict, Project), AgentError> {
        let conflict = conflicts::find_by_id(&self.db, id)
            .await?
            .ok_or_else(|| conflict_not_found(id))?;
        let project = projects::find_owned(&self.db, conflict.project_id, context.user_id)
            .await?
            .ok_or_else(|| conflict_not_found(id))?;
        Ok((conflict, project))
    }

    async fn list(
        &self,
        context: &AgentContext,
        request: ListConflicts,
    ) -> Result<ConflictList, AgentError> {
        owned_project(&self.db, context, request.project_id).await?;
        let status = request.status;
        let page = Page::new(request.limit, request.offset.map(PageOffset::get));
        let (rows, total) =
            conflicts::list_for_project(&self.db, request.project_id, status, page).await?;
        let current = specifications::all_current(&self.db, request.project_id).await?;
        let conflicts = rows
            .into_iter()
            .map(|conflict| {
                let old = conflict
                    .old_spec_id
                    .and_then(|id| current.iter().find(|fact| fact.id == id));
                detail(conflict, old)
            })
            .collect();
        Ok(ConflictList { conflicts, total })
    }

    async fn options(
        &self,
        context: &AgentContext,
        request: GetConflictOptions,
    ) -> Result<ConflictOptions, AgentError> {
        let (conflict, _) = self.owned(context, request.conflict_id).await?;
        let old = match conflict.old_spec_id {
            Some(id) => specifications::find_by_id(&self.db, id).await?,
            None => None,
        };
        let key = &conflict.pending.key;
        let new_value = &conflict.pending.value;
        let option = |action, description: String, impact: String| ResolutionOption {
            action,
            description,
            impact,
        };
        let options = match old.as_ref() {
            Some(old) if about_the_same_fact(&conflict, old) => {
                let old_value = &old.value;
                vec![
                    option(
                        ConflictResolution::KeepOld,
                        format!("Keep {key} = \"{old_value}\" and drop \"{new_value}\"."),
                        "No fact changes; the new statement is discarded.".to_owned(),
                    ),
                    option(
                        ConflictResolution::Replace,
                        format!("Set {key} to \"{new_value}\"."),
                        "A new version of the fact is written; the old value stays in its history."
                            .to_owned(),
                    ),
                    option(
                        ConflictResolution::Merge,
                        format!(
                            "Write one value that combines \"{old_value}\" and \"{new_value}\" (you supply it)."
                        ),
                        "A new version of the fact with your merged value (confidence 1.0)."
                            .to_owned(),
                    ),
                ]
            }
            // Two facts that exclude each other: each resolution keeps one side or amends the
            // new statement; none writes one fact's value into the other.
            Some(old) => {
                let (old_key, old_value) = (&old.key, &old.value);
                vec![
                    option(
                        ConflictResolution::KeepOld,
                        format!(
                            "Keep {old_key} = \"{old_value}\" and drop {key} = \"{new_value}\"."
                        ),
                        "No fact changes; the new statement is discarded.".to_owned(),
                    ),
                    option(
                        ConflictResolution::Replace,
                        format!(
                            "Set {key} to \"{new_value}\" and withdraw {old_key} = \"{old_value}\"."
                        ),
                        format!(
                            "{key} is saved; {old_key} is deleted (its versions stay in the history)."
                        ),
                    ),
                    option(
                        ConflictResolution::Merge,
                        format!(
                            "Set {key} to a value you supply that fits {old_key} = \"{old_value}\"."
                        ),
                        format!(
                            "{key} is saved with your value (confidence 1.0); {old_key} stays."
                        ),
                    ),
                ]
            }
            None => vec![
                option(
                    ConflictResolution::KeepOld,
                    format!("Drop {key} = \"{new_value}\"."),
                    "No fact changes; the new statement is discarded.".to_owned(),
                ),
                option(
                    ConflictResolution::Replace,
                    format!("Set {key} to \"{new_value}\"."),
                    format!("{key} is saved as stated."),
                ),
                option(
                    ConflictResolution::Merge,
                    format!("Set {key} to a value you supply."),
                    format!("{key} is saved with your value (confidence 1.0)."),
                ),
            ],
        };
        Ok(ConflictOptions {
            conflict_id: conflict.id,
            status: conflict.status,
            options,
        })
    }

    async fn resolve(
        &self,
        context: &AgentContext,
        request: ResolveConflict,
    ) -> Result<Resolved, AgentError> {
        let resolution = request.resolution;
        // Both are stored with the resolution whatever it is, so both are validated first.
        let merged_value = request
            .merged_value
            .as_deref()
            .map(parse_merged_value)
            .transpose()?;
        let notes = request
            .notes
            .as_deref()
            .map(ResolutionNotes::parse)
            .transpose()?;
        let merged = match (resolution, merged_value.clone()) {
            (ConflictResolution::Merge, Some(value)) => Some(value),
            (ConflictResolution::Merge, None) => {
                return Err(AgentError::Invalid {
                    code: Code::ValidationError,
                    message: "a merge needs the merged value".to_owned(),
                    details: Some(json!({"field": "merged_value"})),
                });
            }
            _ => None,
        };
        let (conflict, project) = self.owned(context, request.conflict_id).await?;
        ensure_writable(&project)?;
        if conflict.status != ConflictStatus::Open {
            return Err(already_resolved());
        }
        // The contradicted fact: whether the held-back statement is about the same fact
        // decides what `replace` and `merge` write.
        let old = match conflict.old_spec_id {
            Some(id) => specifications::find_by_id(&self.db, id).await?,
            None => None,
        };
        let same_fact = old
            .as_ref()
            .filter(|old| about_the_same_fact(&conflict, old));
        let now = self.clock.now();
        let tx = self.db.begin().await?;
        let reasoning = Some(format!("conflict {} resolved by {resolution}", conflict.id));
        let statement = match resolution {
            // The held-back statement itself: it keeps where it came from (an answer, a
            // document…); the conflict, with its resolution, records the decision.
            ConflictResolution::Replace => Some(HeldStatement {
                value: FactValue::parse(&conflict.pending.value)?,
                confidence: conflict.pending.confidence,
                source: conflict.pending.source,
                source_id: conflict.pending.source_id,
            }),
            // A value the user wrote.
            ConflictResolution::Merge => merged.map(|value| HeldStatement {
                value,
                confidence: 1.0,
                source: FactSource::DirectInput,
                source_id: Some(conflict.id.into_uuid()),
            }),
            _ => None,
        };
        let resulting = match (statement, same_fact) {
            (None, _) => None,
            // About the contradicted fact: its next version.
            (Some(statement), Some(old)) => {
                let change = FactChange {
                    value_slot: ValueSlot::of(
                        self.offline.knowledge(),
                        &old.key,
                        statement.value.as_str(),
                    ),
                    value: statement.value,
                    confidence: Confidence::new(statement.confidence).ok(),
                    source: statement.source,
                    source_id: statement.source_id,
                    reasoning,
                    created_by: Some(context.user_id),
                };
                let fact = specifications::new_version(&tx, old.id, change, now)
                    .await
                    .map_err(contradicted_fact_changed)?;
                Some(fact.id)
            }
            // About another fact (a rule excludes the two) or about none stored: the
            // statement is saved where it belongs among the current facts, and `replace`
            // withdraws the fact it excludes.
            (Some(statement), None) => {
                let current = specifications::all_current(&tx, conflict.project_id).await?;
                let origin = Origin {
                    project_id: conflict.project_id,
                    session_id: conflict.session_id,
                    source: statement.source,
                    source_id: statement.source_id,
                    created_by: context.user_id,
                };
                let draft = FactDraft {
                    category: conflict.pending.category,
                    key: conflict.pending.key.clone(),
                    value: statement.value.as_str().to_owned(),
                    confidence: statement.confidence,
                    reasoning,
                };
                let knowledge = self.offline.knowledge();
                let fact = save_placed(&tx, knowledge, &current, &origin, &draft, now).await?;
                if resolution == ConflictResolution::Replace
                    && let Some(old) = &old
                {
                    specifications::soft_delete(&tx, old.id, now)
                        .await
                        .map_err(contradicted_fact_changed)?;
                }
                Some(fact.id)
            }
        };
        let resolved = conflicts::resolve(
            &tx,
            conflict.id,
            Resolution {
                resolution,
                merged_value: merged_value.map(FactValue::into_inner),
                notes: notes.map(ResolutionNotes::into_inner),
                resolved_by: context.user_id,
                resulting_spec_id: resulting,
            },
            now,
        )
        .await
        .map_err(|error| match error {
            DbError::StaleVersion { .. } => already_resolved(),
            other => other.into(),
        })?;
        let report = record_maturity(
            &tx,
            conflict.project_id,
            "conflict_resolved",
            Some(conflict.id.into_uuid()),
            now,
        )
        .await?;
        tx.commit().await?;
        self.views.invalidate(conflict.project_id).await;
        Ok(Resolved {
            conflict_id: resolved.id,
            status: resolved.status,
            resolution,
            resolved_at: resolved.resolved_at.unwrap_or(now),
            resulting_spec_id: resulting,
            maturity_score: report.overall,
        })
    }
}

/// The held-back statement as a resolution saves it.
struct HeldStatement {
    value: FactValue,
    confidence: f64,
    source: FactSource,
    source_id: Option<uuid::Uuid>,
}

/// Whether the held-back statement is about `old` itself (same category and key), rather than
/// about a fact that a rule excludes together with it.
fn about_the_same_fact(conflict: &Conflict, old: &specifications::Specification) -> bool {
    old.category == conflict.pending.category && old.key == conflict.pending.key
}

fn contradicted_fact_changed(error: DbError) -> AgentError {
    match error {
        DbError::StaleVersion { .. } | DbError::NotFound { .. } => AgentError::Refused {
            code: Code::StaleVersion,
            message: "the contradicted fact changed since the conflict was raised; review it first"
                .to_owned(),
            details: None,
        },
        other => other.into(),
    }
}

/// A merged value, validated like any fact value; a refusal names the request's field.
fn parse_merged_value(raw: &str) -> Result<FactValue, DomainError> {
    FactValue::parse(raw).map_err(|error| match error {
        DomainError::Invalid { message, .. } => DomainError::invalid("merged_value", message),
        other => other,
    })
}

fn already_resolved() -> AgentError {
    AgentError::Refused {
        code: Code::ConflictAlreadyResolved,
        message: "the conflict is already resolved".to_owned(),
        details: None,
    }
}

impl Agent for ConflictDetector {
    const ID: &'static str = ID;

    fn actions(actions: &mut ActionSet<Self>) {
        actions
            .add::<ListConflicts>()
            .add::<GetConflictOptions>()
            .add::<ResolveConflict>();
    }
}

impl Action for ListConflicts {
    type Agent = ConflictDetector;
    type Output = ConflictList;
    const NAME: &'static str = "list";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &ConflictDetector,
        context: &AgentContext,
    ) -> Result<ConflictList, AgentError> {
        agent.list(context, self).await
    }
}

impl Action for GetConflictOptions {
    type Agent = ConflictDetector;
    type Output = ConflictOptions;
    const NAME: &'static str = "options";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &ConflictDetector,
        context: &AgentContext,
    ) -> Result<ConflictOptions, AgentError> {
        agent.options(context, self).await
    }
}

impl Action for ResolveConflict {
    type Agent = ConflictDetector;
    type Output = Resolved;
    const NAME: &'static str = "resolve";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &ConflictDetector,
        context: &AgentContext,
    ) -> Result<Resolved, AgentError> {
        agent.resolve(context, self).await
    }
}
