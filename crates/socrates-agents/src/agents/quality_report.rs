//! `quality_controller`: what quality control sees in a project — the scores of its questions,
//! its coverage gaps, the cost of the ways forward, and what to do next. Read-only: the checks
//! themselves run in the orchestrator's gate and the question path (see [`crate::quality`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use socrates_domain::phase::required_maturity;
use socrates_domain::quality::{
    APPROVAL_THRESHOLD, CoverageGap, GapPriority, PathAnalysis, analyse_paths, coverage_gaps,
    gaps_block,
};
use socrates_domain::{Category, MaturityReport, ProjectId, ProjectPhase, compute_maturity};
use socrates_persistence::SpecsDb;
use socrates_persistence::repositories::quality::{self, QuestionScores};
use socrates_persistence::repositories::{projects, specifications};

use super::common::project_not_found;
use crate::agent::{Action, ActionSet, Agent, AgentContext, AgentError};

/// The agent id.
pub const ID: &str = "quality_controller";

/// `metrics`: the project's quality figures.
#[derive(Debug, Clone, Copy)]
pub struct GetQualityMetrics {
    /// The project.
    pub project_id: ProjectId,
}

/// `analysis`: the project's quality analysis with the costed ways forward.
#[derive(Debug, Clone, Copy)]
pub struct AnalyseQuality {
    /// The project.
    pub project_id: ProjectId,
}

/// `recommendations`: what to do next, most important first.
#[derive(Debug, Clone, Copy)]
pub struct GetRecommendations {
    /// The project.
    pub project_id: ProjectId,
}

/// The project's quality figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityMetrics {
    /// The project.
    pub project_id: ProjectId,
    /// The mean quality score of its questions, 0–100; `None` before the first question.
    pub overall_quality: Option<f64>,
    /// The mean bias score of its questions, 0–1; `None` before the first question.
    pub bias_score: Option<f64>,
    /// How many questions were scored.
    pub questions_scored: u64,
    /// How many were asked under the approval threshold (the best of their candidates).
    pub questions_below_threshold: u64,
    /// The categories with fewer than three facts, most important first.
    pub coverage_gaps: Vec<Category>,
    /// When quality control last recorded a check of the project.
    pub last_analysis: Option<DateTime<Utc>>,
}

/// The quality analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityAnalysis {
    /// The project.
    pub project_id: ProjectId,
    /// Its phase.
    pub phase: ProjectPhase,
    /// Its maturity, 0–100.
    pub maturity_score: f64,
    /// Whether any question was asked with a bias issue.
    pub bias_detected: bool,
    /// Whether no category has fewer than three facts.
    pub coverage_complete: bool,
    /// The gaps, most important first.
    pub coverage_gaps: Vec<CoverageGap>,
    /// Whether the gaps are too many for a phase advance or code generation.
    pub gaps_block: bool,
    /// Conflicts awaiting a resolution.
    pub open_conflicts: u64,
    /// The phase the project would move to; `None` in the last phase.
    pub target_phase: Option<ProjectPhase>,
    /// Moving on now against addressing the gaps and conflicts first; `None` in the last
    /// phase.
    pub path_analysis: Option<PathAnalysis>,
    /// What to do next, most important first.
    pub recommendations: Vec<Recommendation>,
}

/// What a recommendation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationKind {
    /// A category with too few facts.
    CoverageGap,
    /// Open conflicts.
    OpenConflicts,
    /// Questions were asked with bias issues.
    BiasWarning,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// What it is about.
    #[serde(rename = "type")]
    pub kind: RecommendationKind,
    /// The category, for a coverage gap.
    pub category: Option<Category>,
    /// How much it matters.
    pub priority: GapPriority,
    /// What to do, for people.
    pub suggestion: String,
}

/// The recommendations of a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendations {
    /// The project.
    pub project_id: ProjectId,
    /// Most important first.
    pub recommendations: Vec<Recommendation>,
}

/// The agent; see the module documentation.
#[derive(Debug, Clone)]
pub struct QualityReporter {
    db: SpecsDb,
}

/// What every report is built from.
struct Standing {
    project_id: ProjectId,
    phase: ProjectPhase,
    report: MaturityReport,
    open_conflicts: u64,
    scores: QuestionScores,
}

impl QualityReporter {
    /// The agent over the specs database.
    #[must_use]
    pub fn new(db: SpecsDb) -> Self {
        Self { db }
    }

    async fn standing(
        &self,
        context: &AgentContext,
        project_id: ProjectId,
    ) -> Result<Standing, AgentError> {
        let (project, open_conflicts) =
            projects::find_owned_with_open_conflicts(&self.db, project_id, context.user_id)
                .await?
                .ok_or_else(|| project_not_found(project_id))?;
        let report =
            compute_maturity(specifications::current_confidences(&self.db, project.id).await?);
        let scores = quality::question_scores(&self.db, project.id, APPROVAL_THRESHOLD).await?;
        Ok(Standing {
            project_id: project.id,
            phase: project.phase,
            report,
            open_conflicts,
            scores,
        })
    }

    async fn metrics(
        &self,
        context: &AgentContext,
        project_id: ProjectId,
    ) -> Result<QualityMetrics, AgentError> {
        let standing = self.standing(context, project_id).await?;
        let last_analysis = quality::last_checked(&self.db, standing.project_id).await?;
        Ok(QualityMetrics {
            project_id: standing.project_id,
            overall_quality: standing
                .scores
                .mean_quality
                .map(|mean| (mean * 10_000.0).round() / 100.0),
            bias_score: standing
                .scores
                .mean_bias
                .map(|mean| (mean * 100.0).round() / 100.0),
            questions_scored: standing.scores.asked,
            questions_below_threshold: standing.scores.below_threshold,
            coverage_gaps: coverage_gaps(&standing.report)
                .into_iter()
                .map(|gap| gap.category)
                .collect(),
            last_analysis,
        })
    }

    async fn analysis(
        &self,
        context: &AgentContext,
        project_id: ProjectId,
    ) -> Result<QualityAnalysis, AgentError> {
        let standing = self.standing(context, project_id).await?;
        Ok(analyse(&standing))
    }
}

/// The analysis of a project's standing.
fn analyse(standing: &Standing) -> QualityAnalysis {
    let gaps = coverage_gaps(&standing.report);
    let open = u32::try_from(standing.open_conflicts).unwrap_or(u32::MAX);
    let target_phase = standing.phase.next();
    let path_analysis = target_phase.map(|target| {
        analyse_paths(
            &gaps,
            open,
            standing.report.overall,
            required_maturity(target),
            target,
        )
    });
    let bias_detected = standing.scores.mean_bias.is_some_and(|bias| bias > 0.0);
    let mut recommendations: Vec<Recommendation> = gaps
        .iter()
        .map(|gap| Recommendation {
            kind: RecommendationKind::CoverageGap,
            category: Some(gap.category),
            priority: gap.priority,
            suggestion: format!(
                "Ask questions about {}: it has {} of the 3 facts a category needs.",
                gap.category.title().to_lowercase(),
                gap.facts
            ),
        })
        .collect();
    if standing.open_conflicts > 0 {
        recommendations.push(Recommendation {
            kind: RecommendationKind::OpenConflicts,
            category: None,
            priority: GapPriority::Critical,
            suggestion: format!(
                "Resolve the {} open conflict{} before moving on.",
                standing.open_conflicts,
                if standing.open_conflicts == 1 {
                    ""
                } else {
                    "s"
                }
            ),
        });
    }
    if standing.scores.below_threshold > 0 {
        recommendations.push(Recommendation {
            kind: RecommendationKind::BiasWarning,
            category: None,
            priority: GapPriority::Medium,
            suggestion: format!(
                "{} question{} asked under the quality threshold: read {} answers with care, \
                 they may have been led.",
                standing.scores.below_threshold,
                if standing.scores.below_threshold == 1 {
                    " was"
                } else {
                    "s were"
                },
                if standing.scores.below_threshold == 1 {
                    "its"
                } else {
                    "their"
                }
            ),
        });
    }
    recommendations.sort_by_key(|recommendation| std::cmp::Reverse(recommendation.priority));
    QualityAnalysis {
        project_id: standing.project_id,
        phase: standing.phase,
        maturity_score: standing.report.overall,
        bias_detected,
        coverage_complete: gaps.is_empty(),
        gaps_block: gaps_block(&gaps),
        coverage_gaps: gaps,
        open_conflicts: standing.open_conflicts,
        target_phase,
        path_analysis,
        recommendations,
    }
}

impl Agent for QualityReporter {
    const ID: &'static str = ID;

    fn actions(actions: &mut ActionSet<Self>) {
        actions
            .add::<GetQualityMetrics>()
            .add::<AnalyseQuality>()
            .add::<GetRecommendations>();
    }
}

impl Action for GetQualityMetrics {
    type Agent = QualityReporter;
    type Output = QualityMetrics;
    const NAME: &'static str = "metrics";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &QualityReporter,
        context: &AgentContext,
    ) -> Result<QualityMetrics, AgentError> {
        agent.metrics(context, self.project_id).await
    }
}

impl Action for AnalyseQuality {
    type Agent = QualityReporter;
    type Output = QualityAnalysis;
    const NAME: &'static str = "analysis";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &QualityReporter,
        context: &AgentContext,
    ) -> Result<QualityAnalysis, AgentError> {
        agent.analysis(context, self.project_id).await
    }
}

impl Action for GetRecommendations {
    type Agent = QualityReporter;
    type Output = Recommendations;
    const NAME: &'static str = "recommendations";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &QualityReporter,
        context: &AgentContext,
    ) -> Result<Recommendations, AgentError> {
        let analysis = agent.analysis(context, self.project_id).await?;
        Ok(Recommendations {
            project_id: analysis.project_id,
            recommendations: analysis.recommendations,
        })
    }
}
