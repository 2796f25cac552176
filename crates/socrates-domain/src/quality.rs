//! Quality control: the rules that keep the interview honest and stop locally cheap decisions
//! with a high cost later. Pure functions; the orchestrator's quality gate and the Socratic
//! counselor apply them and store what they find.
//!
//! - **Question quality.** A question loses 0.2 per issue (it suggests a solution, leads the
//!   user, or names a technology the project has not mentioned) and 0.05 per warning
//!   (unexplained jargon, more than 50 words, two questions at once); it is approved at 0.7 or
//!   more. Its bias score is 0.3 per issue, at most 1.
//! - **Coverage gaps.** A category with fewer than [`GAP_FACTS`] current facts is a gap; more
//!   than [`MAX_GAPS`] gaps block phase advances and code generation (never asking or
//!   answering).
//! - **Path analysis.** Each way forward costs `immediate + rework probability × rework cost`
//!   (in model tokens); the cheapest is recommended.

use serde::{Deserialize, Serialize};

use crate::{Category, MaturityReport, ProjectPhase};

/// The score a question needs to be asked without regeneration.
pub const APPROVAL_THRESHOLD: f64 = 0.7;

/// What each issue costs a question's score.
pub const ISSUE_PENALTY: f64 = 0.2;

/// What each warning costs a question's score.
pub const WARNING_PENALTY: f64 = 0.05;

/// What each issue adds to a question's bias score.
pub const BIAS_PER_ISSUE: f64 = 0.3;

/// A question longer than this many words gets a warning.
pub const MAX_QUESTION_WORDS: usize = 50;

/// A category with fewer current facts than this is a coverage gap.
pub const GAP_FACTS: u32 = 3;

/// More gaps than this block phase advances and code generation.
pub const MAX_GAPS: usize = 5;

/// Phrases that push the user towards a solution instead of asking what they need.
const SOLUTION_BIAS: &[&str] = &[
    "should we use",
    "should you use",
    "let's use",
    "lets use",
    "should use",
    "recommend using",
    "i recommend",
    "best to use",
    "why not use",
    "how about using",
    "use microservices",
    "use kubernetes",
    "use react",
];

/// Phrases that present one technology as the obvious answer.
const TECHNOLOGY_BIAS: &[&str] = &[
    "best framework",
    "best database",
    "best language",
    "industry standard",
    "everyone uses",
    "the modern way",
];

/// Phrases that lead the user to an answer.
const LEADING: &[&str] = &[
    "don't you think",
    "do not you think",
    "wouldn't you agree",
    "would you not agree",
    "surely you",
    "obviously",
    "clearly",
    "you need to",
    "isn't it",
    "right?",
];

/// Acronyms people know without an explanation.
const PLAIN_ACRONYMS: &[&str] = &[
    "API", "APIS", "UI", "UX", "URL", "ID", "IT", "PDF", "CSV", "SMS", "USA", "UK", "EU", "US",
    "FAQ", "OK", "AI", "TV", "PC", "HTTP", "HTTPS", "JSON", "SQL", "SSO", "MFA", "CEO", "CTO",
    "HR", "B2B", "B2C", "MVP", "GDPR", "IOT",
];

/// What is wrong with a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionIssueKind {
    /// It suggests a solution ("Should we use React?").
    SolutionBias,
    /// It presents a technology as the obvious choice ("the best framework").
    TechnologyBias,
    /// It leads to an answer ("Don't you think…").
    Leading,
    /// It names a technology the project has not mentioned.
    UnmentionedTechnology,
}

/// What is not quite right with a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionWarningKind {
    /// An acronym that is not explained.
    Jargon,
    /// More than [`MAX_QUESTION_WORDS`] words.
    TooLong,
    /// More than one question at once.
    DoubleQuestion,
}

/// One finding about a question, with the words that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionFinding<K> {
    /// What kind of finding.
    pub kind: K,
    /// The phrase, technology or acronym found.
    pub found: String,
}

/// The quality of one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionQuality {
    /// `max(0, 1 − 0.2 × issues − 0.05 × warnings)`, two decimals.
    pub score: f64,
    /// `min(1, 0.3 × issues)`, two decimals.
    pub bias_score: f64,
    /// Whether the score reaches [`APPROVAL_THRESHOLD`].
    pub approved: bool,
    /// What is wrong.
    pub issues: Vec<QuestionFinding<QuestionIssueKind>>,
    /// What is not quite right.
    pub warnings: Vec<QuestionFinding<QuestionWarningKind>>,
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Whether `phrase` occurs in `lower` at word boundaries.
fn contains_phrase(lower: &str, phrase: &str) -> bool {
    lower.match_indices(phrase).any(|(start, _)| {
        let before = lower[..start].chars().next_back();
        let after = lower[start + phrase.len()..].chars().next();
        before.is_none_or(|c| !c.is_alphanumeric())
            && (phrase.ends_with(['?', ' ']) || after.is_none_or(|c| !c.is_alphanumeric()))
    })
}

/// `text` without the spans it quotes between double quotes ("…" or “…”): a follow-up that
/// quotes the user ("You said "obviously fast"") is not scored on the user's words.
fn unquoted(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\u{201c}' => quoted = true,
            '\u{201d}' => quoted = false,
            _ if !quoted => kept.push(c),
            _ => {}
        }
    }
    kept
}

/// Scores `question`. `unmentioned_technologies` are the technologies it names that the
/// project's facts do not (the caller finds them with the technology catalogue). Words it
/// quotes from the user between double quotes are not scored.
#[must_use]
pub fn score_question(question: &str, unmentioned_technologies: &[String]) -> QuestionQuality {
    let question = unquoted(question);
    let question = question.as_str();
    let lower = question.to_lowercase();
    let mut issues = Vec::new();
    for (phrases, kind) in [
        (SOLUTION_BIAS, QuestionIssueKind::SolutionBias),
        (TECHNOLOGY_BIAS, QuestionIssueKind::TechnologyBias),
        (LEADING, QuestionIssueKind::Leading),
    ] {
        for phrase in phrases {
            if contains_phrase(&lower, phrase) {
                issues.push(QuestionFinding {
                    kind,
                    found: (*phrase).to_owned(),
                });
            }
        }
    }
    for technology in unmentioned_technologies {
        // "use react" already counts React as a suggested solution.
        let named = technology.to_lowercase();
        if !issues.iter().any(|issue| issue.found.ends_with(&named)) {
            issues.push(QuestionFinding {
                kind: QuestionIssueKind::UnmentionedTechnology,
                found: technology.clone(),
            });
        }
    }
    let mut warnings = Vec::new();
    for word in question.split(|c: char| !c.is_alphanumeric()) {
        let acronym = word.len() >= 2
            && word.len() <= 6
            && word
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && word.chars().any(|c| c.is_ascii_uppercase());
        if acronym
            && !PLAIN_ACRONYMS.contains(&word)
            && !explained(question, word)
            && !warnings
                .iter()
                .any(|w: &QuestionFinding<QuestionWarningKind>| w.found == word)
        {
            warnings.push(QuestionFinding {
                kind: QuestionWarningKind::Jargon,
                found: word.to_owned(),
            });
        }
    }
    let words = question.split_whitespace().count();
    if words > MAX_QUESTION_WORDS {
        warnings.push(QuestionFinding {
            kind: QuestionWarningKind::TooLong,
            found: format!("{words} words"),
        });
    }
    if question.matches('?').count() > 1 {
        warnings.push(QuestionFinding {
            kind: QuestionWarningKind::DoubleQuestion,
            found: format!("{} question marks", question.matches('?').count()),
        });
    }
    let issue_count = f64::from(u32::try_from(issues.len()).unwrap_or(u32::MAX));
    let warning_count = f64::from(u32::try_from(warnings.len()).unwrap_or(u32::MAX));
    let score =
        round2((1.0 - ISSUE_PENALTY * issue_count - WARNING_PENALTY * warning_count).max(0.0));
    QuestionQuality {
        score,
        bias_score: round2((BIAS_PER_ISSUE * issue_count).min(1.0)),
        approved: score >= APPROVAL_THRESHOLD - 1e-9,
        issues,
        warnings,
    }
}

/// Whether `acronym` is explained in `text`: followed by a parenthesis, or inside one.
fn explained(text: &str, acronym: &str) -> bool {
    text.match_indices(acronym).any(|(start, _)| {
        let after = text[start + acronym.len()..].trim_start();
        let before = text[..start].trim_end();
        after.starts_with('(') || before.ends_with('(')
    })
}

/// How much a missing category matters, from its maturity weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapPriority {
    /// Weight 6 or less (monitoring, data retention).
    Low,
    /// Weight 8 (scalability, performance, testing, disaster recovery).
    Medium,
    /// Weight 10 (goals, security).
    High,
    /// Weight 12 or more (requirements, tech stack).
    Critical,
}

impl GapPriority {
    /// The priority of a gap in `category`.
    #[must_use]
    pub const fn of(category: Category) -> Self {
        match category.weight() {
            12.. => Self::Critical,
            10..=11 => Self::High,
            7..=9 => Self::Medium,
            _ => Self::Low,
        }
    }

    /// How much skipping such a gap adds to the probability of rework.
    #[must_use]
    pub const fn rework_share(self) -> f64 {
        match self {
            Self::Critical => 0.3,
            Self::High => 0.15,
            Self::Medium => 0.1,
            Self::Low => 0.05,
        }
    }

    /// Model tokens the questions that fill such a gap cost.
    #[must_use]
    pub const fn filling_cost(self) -> u32 {
        match self {
            Self::Critical => 400,
            Self::High => 250,
            Self::Medium => 150,
            Self::Low => 100,
        }
    }
}

/// A category with too few facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageGap {
    /// The category.
    pub category: Category,
    /// How many current facts it has.
    pub facts: u32,
    /// How much it matters.
    pub priority: GapPriority,
}

/// The categories with fewer than [`GAP_FACTS`] current facts, most important first (then in
/// canonical order).
#[must_use]
pub fn coverage_gaps(report: &MaturityReport) -> Vec<CoverageGap> {
    let mut gaps: Vec<CoverageGap> = report
        .categories
        .iter()
        .filter(|coverage| coverage.fact_count < GAP_FACTS)
        .map(|coverage| CoverageGap {
            category: coverage.category,
            facts: coverage.fact_count,
            priority: GapPriority::of(coverage.category),
        })
        .collect();
    gaps.sort_by_key(|gap| std::cmp::Reverse(gap.priority));
    gaps
}

/// Whether `gaps` are too many for a phase advance or code generation.
#[must_use]
pub fn gaps_block(gaps: &[CoverageGap]) -> bool {
    gaps.len() > MAX_GAPS
}

/// How risky a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Rework probability under 20 %.
    Low,
    /// Under 50 %.
    Medium,
    /// Under 80 %.
    High,
    /// 80 % or more.
    Critical,
}

impl Risk {
    fn of(probability: f64) -> Self {
        if probability < 0.2 {
            Self::Low
        } else if probability < 0.5 {
            Self::Medium
        } else if probability < 0.8 {
            Self::High
        } else {
            Self::Critical
        }
    }
}

/// The ways forward a path analysis compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathKind {
    /// Fill the gaps and resolve the conflicts first (the thorough path).
    AddressGapsFirst,
    /// Move on now (the greedy path).
    ProceedNow,
}

/// One way forward and what it is expected to cost, in model tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathCost {
    /// The path.
    pub path: PathKind,
    /// What it costs now.
    pub immediate_cost: f64,
    /// The probability that work must be redone later, 0–0.99.
    pub rework_probability: f64,
    /// What redoing it costs.
    pub rework_cost: f64,
    /// `immediate_cost + rework_probability × rework_cost`.
    pub expected_cost: f64,
    /// Its risk, from the rework probability.
    pub risk: Risk,
}

/// The paths compared and the recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathAnalysis {
    /// The paths, cheapest first.
    pub paths: Vec<PathCost>,
    /// The cheapest path.
    #[serde(rename = "recommended_path")]
    pub recommended: PathKind,
    /// What the dearest path costs more than the cheapest.
    pub cost_difference: f64,
}

/// Rework probability past history gives a path that skips work; averaged in.
pub const HISTORICAL_REWORK_PROBABILITY: f64 = 0.5;

/// The rework probability of a path that fills every gap first.
pub const THOROUGH_REWORK_PROBABILITY: f64 = 0.05;

/// What redoing the small things a thorough path misses costs.
pub const THOROUGH_REWORK_COST: f64 = 100.0;

/// The cost of going back once past `phase` (tokens): the later, the dearer.
#[must_use]
pub const fn rework_cost(phase: ProjectPhase) -> f64 {
    match phase {
        ProjectPhase::Discovery => 1_000.0,
        ProjectPhase::Analysis => 3_000.0,
        ProjectPhase::Design => 5_000.0,
        ProjectPhase::Implementation => 20_000.0,
    }
}

/// Compares moving to `target` now with filling the gaps and resolving the conflicts first;
/// with nothing to address, moving on is the only path.
///
/// Proceeding now: no immediate cost; rework probability the
/// [`rework_share`](GapPriority::rework_share) of every gap (0.3 for a critical one), `0.2` per
/// open conflict and `(target maturity − maturity) / 100 × 0.8` when below the target,
/// averaged with [`HISTORICAL_REWORK_PROBABILITY`] and capped at 0.99; rework costs
/// [`rework_cost`] of the target phase. Addressing first: the filling cost of every gap,
/// [`THOROUGH_REWORK_PROBABILITY`] × [`THOROUGH_REWORK_COST`].
#[must_use]
pub fn analyse_paths(
    gaps: &[CoverageGap],
    open_conflicts: u32,
    maturity: f64,
    target_maturity: f64,
    target: ProjectPhase,
) -> PathAnalysis {
    if gaps.is_empty() && open_conflicts == 0 && maturity >= target_maturity {
        // Nothing to address: moving on is the thorough path.
        let proceed = path(
            PathKind::ProceedNow,
            0.0,
            THOROUGH_REWORK_PROBABILITY,
            THOROUGH_REWORK_COST,
        );
        return PathAnalysis {
            paths: vec![proceed],
            recommended: PathKind::ProceedNow,
            cost_difference: 0.0,
        };
    }
    let skipped: f64 = gaps.iter().map(|gap| gap.priority.rework_share()).sum();
    let below = ((target_maturity - maturity).max(0.0) / 100.0) * 0.8;
    let raw = skipped + 0.2 * f64::from(open_conflicts) + below;
    let proceed_probability = round2(((raw + HISTORICAL_REWORK_PROBABILITY) / 2.0).min(0.99));
    let proceed = path(
        PathKind::ProceedNow,
        0.0,
        proceed_probability,
        rework_cost(target),
    );
    let filling: u32 = gaps.iter().map(|gap| gap.priority.filling_cost()).sum();
    let thorough = path(
        PathKind::AddressGapsFirst,
        f64::from(filling),
        THOROUGH_REWORK_PROBABILITY,
        THOROUGH_REWORK_COST,
    );
    let mut paths = vec![thorough, proceed];
    paths.sort_by(|a, b| a.expected_cost.total_cmp(&b.expected_cost));
    let cost_difference = round2(paths[1].expected_cost - paths[0].expected_cost);
    PathAnalysis {
        recommended: paths[0].path,
        paths,
        cost_difference,
    }
}

fn path(
    kind: PathKind,
    immediate_cost: f64,
    rework_probability: f64,
    rework_cost: f64,
) -> PathCost {
    PathCost {
        path: kind,
        immediate_cost,
        rework_probability,
        rework_cost,
        expected_cost: round2(immediate_cost + rework_probability * rework_cost),
        risk: Risk::of(rework_probability),
    }
}

#[cfg(test)]
#[path = "quality_tests.rs"]
mod tests;
