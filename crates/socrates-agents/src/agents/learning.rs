//! `user_learning`: what Socrates has learned about a person — their profile, their behaviour
//! patterns and how well each question template works for them. Read-only: the learning itself
//! happens on the question and answer paths (see [`crate::learning`]).
//!
//! A user reads their own; an admin reads anyone's; anyone else gets the same 404 as for an
//! account that does not exist, so existence does not leak.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use socrates_domain::learning::{
    CommunicationStyle, DetailLevel, PatternType, Persona, TemplateStats, learn_patterns,
    preferred_roles,
};
use socrates_domain::{Category, Code, PageOffset, UserId, UserRole};
use socrates_infra::clock::Clock;
use socrates_persistence::repositories::learning::{self, StoredPattern};
use socrates_persistence::repositories::{Page, users};
use socrates_persistence::{AuthDb, SpecsDb};

use crate::agent::{Action, ActionSet, Agent, AgentContext, AgentError};

/// The agent id.
pub const ID: &str = "user_learning";

/// `profile`: a user's learning profile.
#[derive(Debug, Clone, Copy)]
pub struct GetLearningProfile {
    /// Whose.
    pub user_id: UserId,
}

/// `patterns`: a user's behaviour patterns.
#[derive(Debug, Clone, Copy)]
pub struct GetLearningPatterns {
    /// Whose.
    pub user_id: UserId,
}

/// `effectiveness`: a page of a user's question-template counters.
#[derive(Debug, Clone, Copy)]
pub struct GetQuestionEffectiveness {
    /// Whose.
    pub user_id: UserId,
    /// Rows per page (validated: 1–100, default 50).
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: Option<PageOffset>,
}

/// One behaviour pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternView {
    /// Its kind.
    pub kind: PatternType,
    /// Its one-word summary (the style, level or pace), if it has one.
    pub label: Option<String>,
    /// What it says (shape by kind).
    pub data: serde_json::Value,
    /// How sure it is, 0–1.
    pub confidence: f64,
    /// How many projects it was learned in (the newest fifty are remembered).
    pub learned_from_projects: u32,
    /// When it was first learned.
    pub learned_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The patterns the counters show now, with when each was first learned and last stored and
/// the projects it was learned in (from the stored rows; now and none before the first store).
fn current_patterns(
    stats: &[TemplateStats],
    stored: &[StoredPattern],
    now: DateTime<Utc>,
) -> Result<Vec<PatternView>, AgentError> {
    learn_patterns(stats)
        .into_iter()
        .map(|pattern| {
            let kept = stored.iter().find(|old| old.kind == pattern.kind);
            Ok(PatternView {
                kind: pattern.kind,
                label: pattern.label.map(str::to_owned),
                data: serde_json::to_value(&pattern.data)
                    .map_err(|error| AgentError::Internal(error.to_string()))?,
                confidence: (pattern.confidence * 100.0).round() / 100.0,
                learned_from_projects: kept.map_or(0, |old| {
                    u32::try_from(old.learned_from_projects.len()).unwrap_or(u32::MAX)
                }),
                learned_at: kept.map_or(now, |old| old.learned_at),
                updated_at: kept.map_or(now, |old| old.updated_at),
            })
        })
        .collect()
}

/// A user's behaviour patterns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patterns {
    /// Whose.
    pub user_id: UserId,
    /// One per kind learned so far, in a fixed order.
    pub patterns: Vec<PatternView>,
}

/// How well one template works for a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectivenessView {
    /// The template (`goals.001`; `followup.<key>` for a follow-up; `<category>.model` for
    /// the questions a language model wrote about the category).
    pub question_template_id: String,
    /// Its category, when known.
    pub category: Option<Category>,
    /// The team role that asks it, when it has one.
    pub role: Option<Persona>,
    /// Times asked (a question waiting for its answer counts).
    pub times_asked: u32,
    /// Times answered.
    pub times_answered: u32,
    /// Times answered well: a fact stated, at an answer quality above 0.6.
    pub times_answered_well: u32,
    /// Facts its answers stated (saved or held in a conflict).
    pub facts_yielded: u32,
    /// Conflicts its answers raised.
    pub conflicts_raised: u32,
    /// Times answered well per time asked, 0–1.
    pub effectiveness_score: f64,
    /// Moving average (α = 0.3) of the answers' length, in characters.
    pub average_answer_length: Option<i32>,
    /// Moving average (α = 0.3) of the facts per answer.
    pub average_spec_extraction_count: Option<f64>,
    /// When it was last asked.
    pub last_asked_at: Option<DateTime<Utc>>,
}

fn view(stats: TemplateStats, row: &learning::Effectiveness) -> EffectivenessView {
    EffectivenessView {
        effectiveness_score: (stats.effectiveness() * 100.0).round() / 100.0,
        question_template_id: stats.template_id,
        category: stats.category,
        role: stats.role.parse().ok(),
        times_asked: stats.times_asked,
        times_answered: stats.times_answered,
        times_answered_well: stats.times_answered_well,
        facts_yielded: stats.facts_yielded,
        conflicts_raised: stats.conflicts_raised,
        average_answer_length: row.average_answer_length,
        average_spec_extraction_count: row
            .average_spec_extraction_count
            .map(|mean| (mean * 100.0).round() / 100.0),
        last_asked_at: row.last_asked_at,
    }
}

/// A page of a user's template counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectivenessPage {
    /// Whose.
    pub user_id: UserId,
    /// Most asked first.
    pub items: Vec<EffectivenessView>,
    /// How many templates they were asked.
    pub total: u64,
    /// The page size.
    pub limit: u64,
    /// Rows skipped.
    pub offset: u64,
}

/// A team role's effectiveness for a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleEffectiveness {
    /// The role.
    pub role: Persona,
    /// Mean effectiveness of its templates asked, 0–1.
    pub effectiveness: f64,
    /// Times its templates were asked.
    pub times_asked: u32,
}

/// A user's learning profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearningProfile {
    /// Whose.
    pub user_id: UserId,
    /// `brief`, `balanced` or `detailed`; `balanced` until learned.
    pub communication_style: CommunicationStyle,
    /// `low`, `moderate` or `high`; `moderate` until learned.
    pub detail_level: DetailLevel,
    /// The three roles whose questions work best for them, best first.
    pub preferred_roles: Vec<Persona>,
    /// Per role asked, its mean effectiveness.
    pub question_effectiveness: Vec<RoleEffectiveness>,
    /// Questions asked, answered and answered well, over every template.
    pub questions_asked: u32,
    /// Questions answered.
    pub questions_answered: u32,
    /// Questions answered well.
    pub questions_answered_well: u32,
    /// Facts their answers stated.
    pub facts_yielded: u32,
    /// The behaviour patterns.
    pub behavior_patterns: Vec<PatternView>,
}

/// The agent; see the module documentation.
#[derive(Debug, Clone)]
pub struct UserLearning {
    specs: SpecsDb,
    auth: AuthDb,
    clock: Arc<dyn Clock>,
}

fn user_not_found(id: UserId) -> AgentError {
    AgentError::not_found(Code::UserNotFound, format!("User not found: {id}"))
}

impl UserLearning {
    /// The agent over both databases: learning data in specs, roles in auth.
    #[must_use]
    pub fn new(specs: SpecsDb, auth: AuthDb, clock: Arc<dyn Clock>) -> Self {
        Self { specs, auth, clock }
    }

    /// Whether the caller may read `user_id`'s learning data: their own, or as an admin an
    /// account that exists; 404 otherwise.
    async fn readable(&self, context: &AgentContext, user_id: UserId) -> Result<(), AgentError> {
        if context.user_id == user_id {
            return Ok(());
        }
        let caller = users::find_by_id(&self.auth, context.user_id).await?;
        if caller.is_none_or(|caller| caller.role != UserRole::Admin) {
            return Err(user_not_found(user_id));
        }
        users::find_by_id(&self.auth, user_id)
            .await?
            .map(|_| ())
            .ok_or_else(|| user_not_found(user_id))
    }

    async fn patterns(
        &self,
        context: &AgentContext,
        user_id: UserId,
    ) -> Result<Patterns, AgentError> {
        self.readable(context, user_id).await?;
        let stats = learning::stats_for_user(&self.specs, user_id).await?;
        let stored = learning::patterns_for_user(&self.specs, user_id).await?;
        Ok(Patterns {
            user_id,
            patterns: current_patterns(&stats, &stored, self.clock.now())?,
        })
    }

    async fn effectiveness(
        &self,
        context: &AgentContext,
        request: GetQuestionEffectiveness,
    ) -> Result<EffectivenessPage, AgentError> {
        self.readable(context, request.user_id).await?;
        let page = Page::new(request.limit, request.offset.map(PageOffset::get));
        let (rows, total) =
            learning::effectiveness_page(&self.specs, request.user_id, page).await?;
        Ok(EffectivenessPage {
            user_id: request.user_id,
            items: rows
                .into_iter()
                .map(|row| view(row.stats.clone(), &row))
                .collect(),
            total,
            limit: page.limit,
            offset: page.offset,
        })
    }

    async fn profile(
        &self,
        context: &AgentContext,
        user_id: UserId,
    ) -> Result<LearningProfile, AgentError> {
        self.readable(context, user_id).await?;
        let stats = learning::stats_for_user(&self.specs, user_id).await?;
        let stored = learning::patterns_for_user(&self.specs, user_id).await?;
        let patterns = current_patterns(&stats, &stored, self.clock.now())?;
        let label = |kind: PatternType| {
            patterns
                .iter()
                .find(|p| p.kind == kind)
                .and_then(|p| p.label.clone())
        };
        let mut roles: Vec<RoleEffectiveness> = Vec::new();
        for stat in stats.iter().filter(|s| s.times_asked > 0) {
            let Ok(persona) = stat.role.parse::<Persona>() else {
                continue;
            };
            match roles.iter_mut().find(|r| r.role == persona) {
                Some(role) => {
                    // Summed here, divided below.
                    role.effectiveness += stat.effectiveness();
                    role.times_asked += stat.times_asked;
                }
                None => roles.push(RoleEffectiveness {
                    role: persona,
                    effectiveness: stat.effectiveness(),
                    times_asked: stat.times_asked,
                }),
            }
        }
        for role in &mut roles {
            let templates = stats
                .iter()
                .filter(|s| s.times_asked > 0 && s.role == role.role.as_str())
                .count();
            let mean = role.effectiveness / f64::from(u32::try_from(templates).unwrap_or(1));
            role.effectiveness = (mean * 100.0).round() / 100.0;
        }
        roles.sort_by_key(|role| role.role);
        Ok(LearningProfile {
            user_id,
            communication_style: label(PatternType::CommunicationStyle)
                .and_then(|l| l.parse().ok())
                .unwrap_or(CommunicationStyle::Balanced),
            detail_level: label(PatternType::DetailLevel)
                .and_then(|l| l.parse().ok())
                .unwrap_or(DetailLevel::Moderate),
            preferred_roles: preferred_roles(&stats),
            question_effectiveness: roles,
            questions_asked: stats.iter().map(|s| s.times_asked).sum(),
            questions_answered: stats.iter().map(|s| s.times_answered).sum(),
            questions_answered_well: stats.iter().map(|s| s.times_answered_well).sum(),
            facts_yielded: stats.iter().map(|s| s.facts_yielded).sum(),
            behavior_patterns: patterns,
        })
    }
}

impl Agent for UserLearning {
    const ID: &'static str = ID;

    fn actions(actions: &mut ActionSet<Self>) {
        actions
            .add::<GetLearningProfile>()
            .add::<GetLearningPatterns>()
            .add::<GetQuestionEffectiveness>();
    }
}

impl Action for GetLearningProfile {
    type Agent = UserLearning;
    type Output = LearningProfile;
    const NAME: &'static str = "profile";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &UserLearning,
        context: &AgentContext,
    ) -> Result<LearningProfile, AgentError> {
        agent.profile(context, self.user_id).await
    }
}

impl Action for GetLearningPatterns {
    type Agent = UserLearning;
    type Output = Patterns;
    const NAME: &'static str = "patterns";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &UserLearning,
        context: &AgentContext,
    ) -> Result<Patterns, AgentError> {
        agent.patterns(context, self.user_id).await
    }
}

impl Action for GetQuestionEffectiveness {
    type Agent = UserLearning;
    type Output = EffectivenessPage;
    const NAME: &'static str = "effectiveness";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &UserLearning,
        context: &AgentContext,
    ) -> Result<EffectivenessPage, AgentError> {
        agent.effectiveness(context, self).await
    }
}
