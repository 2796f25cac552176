//! The quality gate the orchestrator runs around every action, and [`QualityController`], the
//! gate the service runs. It cannot be switched off: the orchestrator always calls it, and no
//! setting replaces it.
//!
//! The gate sees the typed request and result as [`Any`]: a check downcasts to the types it
//! knows and lets every other action pass, with no serialisation in between.
//!
//! - **Phase advances** (`AdvancePhase`): before the action, the project's readiness is judged
//!   by the phase rules ([`check_phase_advance`]: maturity, open conflicts and the
//!   coverage-gap block) and the two ways forward are costed
//!   ([`analyse_paths`](socrates_domain::quality::analyse_paths)); the check is recorded in
//!   `quality_metrics` whatever its outcome, and a refusal carries every reason with the path
//!   analysis.
//! - **Questions** are scored where they are made, in the Socratic counselor's next-question
//!   path, which asks again for a question under the approval threshold at most twice and
//!   keeps the best (see `socratic`); the score each question carries is its real one.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use socrates_domain::phase::{check_phase_advance, required_maturity};
use socrates_domain::quality::{analyse_paths, coverage_gaps};
use socrates_domain::{Code, ProjectId, ProjectStatus, compute_maturity};
use socrates_infra::clock::Clock;
use socrates_persistence::SpecsDb;
use socrates_persistence::repositories::{projects, quality, specifications};

use crate::agent::{AgentContext, AgentError};
use crate::agents::project_manager::{AdvancePhase, refusal_json};

/// Checks run before and after every action.
#[async_trait]
pub trait QualityGate: Send + Sync {
    /// Runs before the action; an error blocks it. `context.action` names the action and
    /// `request` is its request value.
    ///
    /// # Errors
    /// An [`AgentError::Refused`] naming why the action is blocked.
    async fn before(
        &self,
        context: &AgentContext,
        request: &(dyn Any + Send + Sync),
    ) -> Result<(), AgentError>;

    /// Runs after a successful action; an error replaces its result.
    ///
    /// # Errors
    /// An [`AgentError::Refused`] naming what is wrong with the result.
    async fn after(
        &self,
        context: &AgentContext,
        result: &(dyn Any + Send + Sync),
    ) -> Result<(), AgentError>;
}

/// The gate until quality control exists: every action passes.
#[derive(Debug, Clone, Copy, Default)]
pub struct PassThroughGate;

#[async_trait]
impl QualityGate for PassThroughGate {
    async fn before(
        &self,
        _context: &AgentContext,
        _request: &(dyn Any + Send + Sync),
    ) -> Result<(), AgentError> {
        Ok(())
    }

    async fn after(
        &self,
        _context: &AgentContext,
        _result: &(dyn Any + Send + Sync),
    ) -> Result<(), AgentError> {
        Ok(())
    }
}

/// The service's quality gate; see the module documentation.
#[derive(Debug, Clone)]
pub struct QualityController {
    db: SpecsDb,
    clock: Arc<dyn Clock>,
}

impl QualityController {
    /// The gate over the specs database.
    #[must_use]
    pub fn new(db: SpecsDb, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    /// Judges whether the caller's project may leave its phase, records the check and refuses
    /// with every reason and the path analysis when it may not. A project the caller cannot
    /// see, an archived one or one in its last phase is left to the action, which answers for
    /// it.
    async fn phase_readiness(
        &self,
        context: &AgentContext,
        project_id: ProjectId,
    ) -> Result<(), AgentError> {
        let Some((project, open_conflicts)) =
            projects::find_owned_with_open_conflicts(&self.db, project_id, context.user_id).await?
        else {
            return Ok(());
        };
        let Some(target) = project.phase.next() else {
            return Ok(());
        };
        if project.status == ProjectStatus::Archived {
            return Ok(());
        }
        let report =
            compute_maturity(specifications::current_confidences(&self.db, project.id).await?);
        let open = u32::try_from(open_conflicts).unwrap_or(u32::MAX);
        let decision = check_phase_advance(project.phase, &report, open);
        let gaps = coverage_gaps(&report);
        let paths = analyse_paths(
            &gaps,
            open,
            report.overall,
            required_maturity(target),
            target,
        );
        let reasons: Vec<serde_json::Value> = match &decision {
            Ok(_) => Vec::new(),
            Err(refusals) => refusals.iter().map(refusal_json).collect(),
        };
        let findings = json!({
            "phase": project.phase,
            "target_phase": target,
            "maturity_score": report.overall,
            "open_conflicts": open,
            "reasons": reasons,
            "coverage_gaps": gaps,
            "path_analysis": paths,
        });
        quality::record(
            &self.db,
            quality::NewMetric {
                project_id: project.id,
                metric_type: "phase_readiness",
                metric_value: report.overall,
                threshold: Some(required_maturity(target)),
                passed: decision.is_ok(),
                details: Some(findings.clone()),
            },
            self.clock.now(),
        )
        .await?;
        if decision.is_ok() {
            return Ok(());
        }
        let mut details = findings;
        details["blocked_by"] = json!("quality_control");
        Err(AgentError::Refused {
            code: Code::PhaseAdvanceRefused,
            message: format!(
                "the project cannot leave the {} phase yet",
                project.phase.as_str()
            ),
            details: Some(details),
        })
    }
}

#[async_trait]
impl QualityGate for QualityController {
    async fn before(
        &self,
        context: &AgentContext,
        request: &(dyn Any + Send + Sync),
    ) -> Result<(), AgentError> {
        if let Some(advance) = request.downcast_ref::<AdvancePhase>() {
            return self.phase_readiness(context, advance.project_id).await;
        }
        Ok(())
    }

    async fn after(
        &self,
        _context: &AgentContext,
        _result: &(dyn Any + Send + Sync),
    ) -> Result<(), AgentError> {
        Ok(())
    }
}
