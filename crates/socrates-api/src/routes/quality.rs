//! `/api/v1/quality/project/{id}`: what quality control sees in a project — `metrics`,
//! `analysis` and `recommendations`, each one call of the `quality_controller` agent.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use socrates_agents::ServiceContainer;
use socrates_agents::agents::quality_report::{
    AnalyseQuality, GetQualityMetrics, GetRecommendations, QualityAnalysis, QualityMetrics,
    Recommendation, RecommendationKind, Recommendations,
};
use socrates_domain::quality::{CoverageGap, GapPriority, PathAnalysis, PathCost, PathKind, Risk};
use socrates_domain::{Category, ProjectId, ProjectPhase};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extractors::AuthUser;

/// Registers the quality routes under `/quality`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/project/{project_id}/metrics").route(web::get().to(metrics)))
        .service(web::resource("/project/{project_id}/analysis").route(web::get().to(analysis)))
        .service(
            web::resource("/project/{project_id}/recommendations")
                .route(web::get().to(recommendations)),
        );
}

/// How much something matters.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriorityResponse {
    /// Monitoring and data retention gaps.
    Low,
    /// Scalability, performance, testing and disaster-recovery gaps; questions asked under
    /// the quality threshold.
    Medium,
    /// Goals and security gaps.
    High,
    /// Requirements and tech-stack gaps; open conflicts.
    Critical,
}

impl From<GapPriority> for PriorityResponse {
    fn from(priority: GapPriority) -> Self {
        match priority {
            GapPriority::Low => Self::Low,
            GapPriority::Medium => Self::Medium,
            GapPriority::High => Self::High,
            GapPriority::Critical => Self::Critical,
        }
    }
}

/// The quality figures of a project.
#[derive(Debug, Serialize, ToSchema)]
pub struct QualityMetricsResponse {
    /// The project.
    pub project_id: String,
    /// The mean quality score of its questions, 0–100; `null` before the first question.
    pub overall_quality: Option<f64>,
    /// The mean bias score of its questions, 0–1; `null` before the first question.
    pub bias_score: Option<f64>,
    /// How many questions were scored.
    pub questions_scored: u64,
    /// How many were asked under the approval threshold of 0.7 (the best of three
    /// candidates).
    pub questions_below_threshold: u64,
    /// The categories with fewer than three facts, most important first.
    pub coverage_gaps: Vec<Category>,
    /// When quality control last recorded a check of the project (a question, a phase
    /// advance); `null` if never.
    pub last_analysis: Option<DateTime<Utc>>,
}

impl From<QualityMetrics> for QualityMetricsResponse {
    fn from(metrics: QualityMetrics) -> Self {
        Self {
            project_id: metrics.project_id.to_string(),
            overall_quality: metrics.overall_quality,
            bias_score: metrics.bias_score,
            questions_scored: metrics.questions_scored,
            questions_below_threshold: metrics.questions_below_threshold,
            coverage_gaps: metrics.coverage_gaps,
            last_analysis: metrics.last_analysis,
        }
    }
}

/// A category with fewer than three facts.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageGapResponse {
    /// The category.
    pub category: Category,
    /// How many current facts it has.
    pub facts: u32,
    /// How much it matters (from the category's maturity weight).
    pub priority: PriorityResponse,
}

impl From<CoverageGap> for CoverageGapResponse {
    fn from(gap: CoverageGap) -> Self {
        Self {
            category: gap.category,
            facts: gap.facts,
            priority: gap.priority.into(),
        }
    }
}

/// A way forward.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PathKindResponse {
    /// Fill the gaps and resolve the conflicts first.
    AddressGapsFirst,
    /// Move on now.
    ProceedNow,
}

/// How risky a path is, from its rework probability.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RiskResponse {
    /// Under 20 %.
    Low,
    /// Under 50 %.
    Medium,
    /// Under 80 %.
    High,
    /// 80 % or more.
    Critical,
}

/// One way forward and its expected cost, in model tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct PathCostResponse {
    /// The path.
    pub path: PathKindResponse,
    /// What it costs now.
    pub immediate_cost: f64,
    /// The probability that work must be redone later, 0–0.99.
    pub rework_probability: f64,
    /// What redoing it costs.
    pub rework_cost: f64,
    /// `immediate_cost + rework_probability × rework_cost`.
    pub expected_cost: f64,
    /// Its risk.
    pub risk: RiskResponse,
}

fn path_kind(kind: PathKind) -> PathKindResponse {
    match kind {
        PathKind::AddressGapsFirst => PathKindResponse::AddressGapsFirst,
        PathKind::ProceedNow => PathKindResponse::ProceedNow,
    }
}

impl From<PathCost> for PathCostResponse {
    fn from(path: PathCost) -> Self {
        Self {
            path: path_kind(path.path),
            immediate_cost: path.immediate_cost,
            rework_probability: path.rework_probability,
            rework_cost: path.rework_cost,
            expected_cost: path.expected_cost,
            risk: match path.risk {
                Risk::Low => RiskResponse::Low,
                Risk::Medium => RiskResponse::Medium,
                Risk::High => RiskResponse::High,
                Risk::Critical => RiskResponse::Critical,
            },
        }
    }
}

/// The ways forward compared.
#[derive(Debug, Serialize, ToSchema)]
pub struct PathAnalysisResponse {
    /// The paths, cheapest first.
    pub paths: Vec<PathCostResponse>,
    /// The cheapest.
    pub recommended_path: PathKindResponse,
    /// What the dearest costs more than the cheapest.
    pub cost_difference: f64,
}

impl From<PathAnalysis> for PathAnalysisResponse {
    fn from(analysis: PathAnalysis) -> Self {
        Self {
            recommended_path: path_kind(analysis.recommended),
            cost_difference: analysis.cost_difference,
            paths: analysis.paths.into_iter().map(Into::into).collect(),
        }
    }
}

/// What a recommendation is about.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationKindResponse {
    /// A category with too few facts.
    CoverageGap,
    /// Open conflicts.
    OpenConflicts,
    /// Questions were asked under the quality threshold.
    BiasWarning,
}

/// One thing to do.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationResponse {
    /// What it is about.
    #[serde(rename = "type")]
    pub kind: RecommendationKindResponse,
    /// The category, for a coverage gap.
    pub category: Option<Category>,
    /// How much it matters.
    pub priority: PriorityResponse,
    /// What to do.
    pub suggestion: String,
}

impl From<Recommendation> for RecommendationResponse {
    fn from(recommendation: Recommendation) -> Self {
        Self {
            kind: match recommendation.kind {
                RecommendationKind::CoverageGap => RecommendationKindResponse::CoverageGap,
                RecommendationKind::OpenConflicts => RecommendationKindResponse::OpenConflicts,
                RecommendationKind::BiasWarning => RecommendationKindResponse::BiasWarning,
            },
            category: recommendation.category,
            priority: recommendation.priority.into(),
            suggestion: recommendation.suggestion,
        }
    }
}

/// The quality analysis of a project.
#[derive(Debug, Serialize, ToSchema)]
pub struct QualityAnalysisResponse {
    /// The project.
    pub project_id: String,
    /// Its phase.
    pub phase: ProjectPhase,
    /// Its maturity, 0–100.
    pub maturity_score: f64,
    /// Whether any question was asked with a bias issue.
    pub bias_detected: bool,
    /// Whether no category has fewer than three facts.
    pub coverage_complete: bool,
    /// The gaps, most important first.
    pub coverage_gaps: Vec<CoverageGapResponse>,
    /// Whether the gaps (more than five) block phase advances and code generation.
    pub gaps_block: bool,
    /// Conflicts awaiting a resolution.
    pub open_conflicts: u64,
    /// The phase the project would move to; `null` in the last phase.
    pub target_phase: Option<ProjectPhase>,
    /// Moving on now against addressing the gaps and conflicts first; `null` in the last
    /// phase.
    pub path_analysis: Option<PathAnalysisResponse>,
    /// What to do next, most important first.
    pub recommendations: Vec<RecommendationResponse>,
}

impl From<QualityAnalysis> for QualityAnalysisResponse {
    fn from(analysis: QualityAnalysis) -> Self {
        Self {
            project_id: analysis.project_id.to_string(),
            phase: analysis.phase,
            maturity_score: analysis.maturity_score,
            bias_detected: analysis.bias_detected,
            coverage_complete: analysis.coverage_complete,
            coverage_gaps: analysis.coverage_gaps.into_iter().map(Into::into).collect(),
            gaps_block: analysis.gaps_block,
            open_conflicts: analysis.open_conflicts,
            target_phase: analysis.target_phase,
            path_analysis: analysis.path_analysis.map(Into::into),
            recommendations: analysis
                .recommendations
                .into_iter()
                .map(Into::into)
                .collect(),
        }
    }
}

/// What to do next.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationsResponse {
    /// The project.
    pub project_id: String,
    /// Most important first.
    pub recommendations: Vec<RecommendationResponse>,
}

impl From<Recommendations> for RecommendationsResponse {
    fn from(list: Recommendations) -> Self {
        Self {
            project_id: list.project_id.to_string(),
            recommendations: list.recommendations.into_iter().map(Into::into).collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/quality/project/{project_id}/metrics", tag = "quality",
    params(("project_id" = uuid::Uuid, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The mean quality and bias scores of the project's questions, its coverage gaps and when it was last checked", body = QualityMetricsResponse),
        (status = 404, description = "No such project of the caller (`PROJECT_NOT_FOUND`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn metrics(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, ApiError> {
    let request = GetQualityMetrics {
        project_id: path.into_inner(),
    };
    let result = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Ok().json(QualityMetricsResponse::from(result)))
}

#[utoipa::path(get, path = "/api/v1/quality/project/{project_id}/analysis", tag = "quality",
    params(("project_id" = uuid::Uuid, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Bias, coverage gaps, open conflicts, the costed ways forward (moving on now against addressing the gaps first, by expected cost) and the recommendations", body = QualityAnalysisResponse),
        (status = 404, description = "No such project of the caller (`PROJECT_NOT_FOUND`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn analysis(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, ApiError> {
    let request = AnalyseQuality {
        project_id: path.into_inner(),
    };
    let result = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Ok().json(QualityAnalysisResponse::from(result)))
}

#[utoipa::path(get, path = "/api/v1/quality/project/{project_id}/recommendations", tag = "quality",
    params(("project_id" = uuid::Uuid, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What to do next, most important first: coverage gaps, open conflicts, questions asked under the quality threshold", body = RecommendationsResponse),
        (status = 404, description = "No such project of the caller (`PROJECT_NOT_FOUND`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn recommendations(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, ApiError> {
    let request = GetRecommendations {
        project_id: path.into_inner(),
    };
    let result = super::run(&services, &user, request).await?;
    Ok(HttpResponse::Ok().json(RecommendationsResponse::from(result)))
}
