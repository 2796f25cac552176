//! What several agents share: ownership lookups, holding a contradicting fact in a conflict,
//! and recording the recomputed maturity inside the caller's transaction.

use chrono::{DateTime, Utc};
use serde_json::json;
use socrates_domain::{
    Code, Confidence, ConflictFinding, ExistingFact, FactDraft, FactKey, FactSource, FactValue,
    Knowledge, MaturityReport, Placement, ProjectId, ProjectStatus, SessionId, SpecificationId,
    UserId, ValueSlot, compute_maturity, place,
};
use socrates_persistence::repositories::conflicts::{self, NewConflict, PendingFact};
use socrates_persistence::repositories::projects::{self, Project};
use socrates_persistence::repositories::specifications::{
    FactChange, NewSpecification, Specification,
};
use socrates_persistence::repositories::{Writes, maturity, specifications};
use socrates_persistence::{DbError, SpecsDb, SpecsTx};
use uuid::Uuid;

use super::views::{ConflictView, ContradictedFact};
use crate::agent::{AgentContext, AgentError};

/// The answer for a project that is missing or not the caller's.
pub(crate) fn project_not_found(id: ProjectId) -> AgentError {
    AgentError::not_found(Code::ProjectNotFound, format!("Project not found: {id}"))
}

/// The caller's project; [`project_not_found`] for anyone else's.
pub(crate) async fn owned_project(
    db: &SpecsDb,
    context: &AgentContext,
    id: ProjectId,
) -> Result<Project, AgentError> {
    projects::find_owned(db, id, context.user_id)
        .await?
        .ok_or_else(|| project_not_found(id))
}

/// Refuses a change to an archived project: archiving (`DELETE /projects/{id}`) makes a
/// project read-only — it can still be read and exported.
pub(crate) fn ensure_writable(project: &Project) -> Result<(), AgentError> {
    if project.status == ProjectStatus::Archived {
        return Err(AgentError::Refused {
            code: Code::ProjectArchived,
            message: format!(
                "the project {} is archived: it can be read and exported, not changed",
                project.id
            ),
            details: None,
        });
    }
    Ok(())
}

/// Recomputes the project's maturity from its current facts inside `tx`, stores it on the
/// project and appends the `maturity_tracking` row.
pub(crate) async fn record_maturity(
    tx: &SpecsTx,
    project_id: ProjectId,
    reason: &str,
    source: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<MaturityReport, AgentError> {
    record_maturity_with(tx, project_id, reason, source, now, Writes::new()).await
}

/// [`record_maturity`], with `also` written in the same round trip.
pub(crate) async fn record_maturity_with(
    tx: &SpecsTx,
    project_id: ProjectId,
    reason: &str,
    source: Option<Uuid>,
    now: DateTime<Utc>,
    also: Writes,
) -> Result<MaturityReport, AgentError> {
    let facts = specifications::current_confidences(tx, project_id).await?;
    let report = compute_maturity(facts);
    // The project's score and its history row go in one statement.
    let writes = projects::set_maturity_later(project_id, report.overall, now).and(also);
    maturity::record_with(tx, project_id, &report, reason, source, now, writes).await?;
    Ok(report)
}

/// Where a held-back fact came from.
pub(crate) struct Origin {
    /// The project.
    pub project_id: ProjectId,
    /// The session, if any.
    pub session_id: Option<SessionId>,
    /// The fact's source.
    pub source: FactSource,
    /// The question or message it came from.
    pub source_id: Option<Uuid>,
    /// Whose statement it was.
    pub created_by: UserId,
}

/// Holds `finding.new` back in a conflict until it is resolved; `old_spec_id` is the
/// contradicted fact (for a contradiction inside one answer, the fact saved just before).
///
/// A statement that an open conflict already holds against the same fact — the same value
/// once normalised, say "MongoDB" said twice — is not held a second time: the open conflict
/// is returned instead, so the user resolves each contradiction once.
pub(crate) async fn hold_in_conflict(
    tx: &SpecsTx,
    knowledge: &Knowledge,
    origin: &Origin,
    finding: &ConflictFinding,
    old_spec_id: Option<SpecificationId>,
    now: DateTime<Utc>,
) -> Result<ConflictView, AgentError> {
    let pending_value = knowledge.normalise_value(&finding.new.key, &finding.new.value);
    let already_held = conflicts::open_holding(
        tx,
        origin.project_id,
        old_spec_id,
        finding.new.category,
        &finding.new.key,
    )
    .await?
    .into_iter()
    .find(|held| {
        knowledge.normalise_value(&held.pending.key, &held.pending.value) == pending_value
    });
    let conflict = match already_held {
        Some(held) => held,
        None => {
            conflicts::insert(
                tx,
                NewConflict {
                    project_id: origin.project_id,
                    session_id: origin.session_id,
                    conflict_type: finding.conflict_type,
                    severity: finding.severity,
                    old_spec_id,
                    pending: PendingFact {
                        category: finding.new.category,
                        key: finding.new.key.clone(),
                        value: finding.new.value.clone(),
                        confidence: finding.new.confidence,
                        source: origin.source,
                        source_id: origin.source_id,
                        reasoning: finding.new.reasoning.clone(),
                    },
                    description: finding.description.clone(),
                    detected_by: finding.rule_id.clone(),
                    options: Some(json!(RESOLUTIONS)),
                    created_by: Some(origin.created_by),
                    pending_slot: ValueSlot::held(
                        knowledge,
                        old_spec_id.map(SpecificationId::into_uuid),
                        &finding.new.key,
                        &finding.new.value,
                    ),
                },
                now,
            )
            .await?
        }
    };
    Ok(ConflictView {
        conflict_id: conflict.id,
        conflict_type: conflict.conflict_type,
        severity: conflict.severity,
        old_spec: ContradictedFact {
            spec_id: old_spec_id,
            category: Some(finding.existing.category),
            key: Some(finding.existing.key.clone()),
            value: Some(finding.existing.value.clone()),
        },
        new_spec_value: conflict.pending.value,
        description: conflict.description,
        resolution_options: RESOLUTIONS.map(str::to_owned).to_vec(),
    })
}

/// How many times a fact write that lost a race is judged again with a fresh read of the
/// project's current facts before the race is reported.
pub(crate) const FACT_WRITE_ATTEMPTS: u32 = 3;

/// Whether `error` is a fact write that lost a race to a concurrent writer: the database
/// refused a second current value of a single-valued key or the same value twice (the
/// current-value index), a second open conflict holding the same statement (the open-conflict
/// index), or the fact being revised was changed meanwhile. Nothing of the losing transaction
/// was written; reading the current facts again and judging the statement again turns it into
/// a conflict, an already-known fact or the next version.
pub(crate) fn lost_fact_race(error: &AgentError) -> bool {
    match error {
        AgentError::Database(DbError::AlreadyExists { entity }) => {
            *entity == specifications::ENTITY || *entity == conflicts::ENTITY
        }
        AgentError::Database(DbError::StaleVersion { entity }) => *entity == specifications::ENTITY,
        _ => false,
    }
}

/// The ways a conflict can be resolved.
pub(crate) const RESOLUTIONS: [&str; 3] = ["keep_old", "replace", "merge"];

/// The current facts as the conflict rules and the reasoner see them.
pub(crate) fn existing_facts(facts: &[Specification]) -> Vec<ExistingFact> {
    facts
        .iter()
        .map(|fact| ExistingFact {
            id: Some(fact.id.into_uuid()),
            category: fact.category,
            key: fact.key.clone(),
            value: fact.value.clone(),
            confidence: fact.confidence,
        })
        .collect()
}

/// Saves `draft`, which contradicts nothing, where [`place`] puts it among the `current`
/// facts, as said by `origin`: the current fact that already says it (nothing written), a new
/// version of the fact it revises, or a new fact.
pub(crate) async fn save_placed(
    tx: &SpecsTx,
    knowledge: &Knowledge,
    current: &[Specification],
    origin: &Origin,
    draft: &FactDraft,
    now: DateTime<Utc>,
) -> Result<Specification, AgentError> {
    let value = FactValue::parse(&draft.value)?;
    let confidence = Confidence::new(draft.confidence)?;
    let fact = match place(knowledge, current, draft) {
        Placement::Known(fact) => fact.clone(),
        Placement::Revise(previous) => {
            specifications::new_version(
                tx,
                previous.id,
                FactChange {
                    value_slot: ValueSlot::of(knowledge, &previous.key, value.as_str()),
                    value,
                    confidence: Some(confidence),
                    source: origin.source,
                    source_id: origin.source_id,
                    reasoning: draft.reasoning.clone(),
                    created_by: Some(origin.created_by),
                },
                now,
            )
            .await?
        }
        Placement::New => {
            specifications::insert(
                tx,
                NewSpecification {
                    value_slot: ValueSlot::of(knowledge, &draft.key, value.as_str()),
                    project_id: origin.project_id,
                    session_id: origin.session_id,
                    category: draft.category,
                    key: FactKey::parse(&draft.key)?,
                    value,
                    source: origin.source,
                    source_id: origin.source_id,
                    confidence,
                    reasoning: draft.reasoning.clone(),
                    created_by: Some(origin.created_by),
                    metadata: None,
                },
                now,
            )
            .await?
        }
    };
    Ok(fact)
}
