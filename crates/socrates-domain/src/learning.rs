//! Learning from answers: how well each question template works for a user, the behaviour
//! patterns read from their answers, and the preference the next question is chosen by.
//!
//! Everything here is a pure function of counters the service keeps per (user, template):
//! times asked, answered, answered well, facts yielded, conflicts raised, and the totals of
//! answer length and answering time. The patterns are recomputed from those counters after
//! every answer, so they never drift from them, whatever the concurrency.
//!
//! **Preference.** A template's preference for a user is its "answered well" rate over its
//! answers, shrunk towards what it does for people like the user — those with the same
//! communication style, or everyone while the user's style is unknown — which is itself
//! shrunk towards 0.5:
//!
//! ```text
//! prior      = (cohort_well + 1) / (cohort_answered + 2)
//! preference = (own_well + 2 · prior) / (own_answered + 2)
//! ```
//!
//! Only answers count: a question still waiting for its answer (or left when the person
//! stopped for the day) says nothing yet about the template. With no data at all every
//! template scores 0.5, so a new user on a new server is asked in the bank's own order; one
//! poor answer moves a template to 0.33 and behind the unseen ones.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Category;
use crate::string_enum::string_enum;

/// The answer quality above which an answer that stated a fact counts as answered well.
pub const WELL_ANSWERED_QUALITY: f64 = 0.6;

/// The weight of the prior in a preference, in asks.
pub const PRIOR_WEIGHT: f64 = 2.0;

/// The longest time between a question and its answer that counts towards the pace; a longer
/// one is a break, counted as this long.
pub const PACE_CAP_SECONDS: i64 = 1_800;

/// How good an answer was for its question, 0–1: the share of the facts it was expected to
/// give that it gave. A question aiming at `expected_keys` keys expects facts for up to two of
/// them; a free-form question expects one.
#[must_use]
pub fn answer_quality(facts_stated: u32, expected_keys: usize) -> f64 {
    let expected = expected_keys.clamp(1, 2);
    (f64::from(facts_stated) / expected as f64).min(1.0)
}

/// Whether an answer counts as answered well: it stated a fact, at a quality above
/// [`WELL_ANSWERED_QUALITY`].
#[must_use]
pub fn answered_well(facts_stated: u32, quality: f64) -> bool {
    facts_stated > 0 && quality > WELL_ANSWERED_QUALITY
}

/// What one answer to a template adds to its counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerRecord {
    /// Whether it is the question's first answer (a re-answer of an answer that stated
    /// nothing is not a second answer).
    pub first_answer: bool,
    /// Whether it was answered well.
    pub well: bool,
    /// The facts it stated (saved or held in a conflict).
    pub facts: u32,
    /// The conflicts it raised.
    pub conflicts: u32,
    /// Its length in characters.
    pub chars: u32,
    /// Seconds since the question was asked, capped at [`PACE_CAP_SECONDS`].
    pub seconds: i64,
}

/// The counters of one template for one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateStats {
    /// The question template (`goals.001`, `followup.<key>`, `<category>.model`).
    pub template_id: String,
    /// Its category, when known.
    pub category: Option<Category>,
    /// The team role that asks it.
    pub role: String,
    /// Times asked.
    pub times_asked: u32,
    /// Times answered.
    pub times_answered: u32,
    /// Times answered well.
    pub times_answered_well: u32,
    /// Facts its answers stated.
    pub facts_yielded: u32,
    /// Conflicts its answers raised.
    pub conflicts_raised: u32,
    /// Characters of its answers.
    pub answer_chars_total: u64,
    /// Seconds spent answering it (each answer capped at [`PACE_CAP_SECONDS`]).
    pub answer_seconds_total: u64,
}

impl TemplateStats {
    /// Times answered well per time asked; 0.5 (neutral) before the first ask.
    #[must_use]
    pub fn effectiveness(&self) -> f64 {
        if self.times_asked == 0 {
            0.5
        } else {
            (f64::from(self.times_answered_well) / f64::from(self.times_asked)).min(1.0)
        }
    }
}

/// Answers and good answers of a template, for a user or a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Times answered.
    pub answered: u64,
    /// Times answered well.
    pub well: u64,
}

/// The preference of a template (see the module documentation), 0–1.
#[must_use]
#[expect(
    clippy::cast_precision_loss,
    reason = "counts of answers stay far below 2^52"
)]
pub fn preference(own: Tally, cohort: Tally) -> f64 {
    let prior = (cohort.well.min(cohort.answered) as f64 + 1.0) / (cohort.answered as f64 + 2.0);
    (own.well.min(own.answered) as f64 + PRIOR_WEIGHT * prior)
        / (own.answered as f64 + PRIOR_WEIGHT)
}

string_enum! {
    /// The team role a question is asked as (the question bank's personas).
    pub enum Persona as "persona" {
        /// Product manager.
        Pm = "pm",
        /// Business analyst.
        Ba = "ba",
        /// User-experience designer.
        Ux = "ux",
        /// Front-end developer.
        Frontend = "frontend",
        /// Back-end developer.
        Backend = "backend",
        /// Database administrator.
        Dba = "dba",
        /// Operations engineer.
        Devops = "devops",
    }
}

string_enum! {
    /// The kinds of behaviour pattern learned.
    pub enum PatternType as "pattern type" {
        /// How long the user's answers are.
        CommunicationStyle = "communication_style",
        /// How many facts an answer of theirs states.
        DetailLevel = "detail_level",
        /// The categories they answer well, poorly or leave unanswered.
        CategoryStrengths = "category_strengths",
        /// How long they take to answer.
        Pace = "pace",
    }
}

string_enum! {
    /// How long a user's answers are: mean under 60 characters, 60–300, over 300.
    pub enum CommunicationStyle as "communication style" {
        /// Mean answer under 60 characters.
        Brief = "brief",
        /// Mean answer of 60–300 characters.
        Balanced = "balanced",
        /// Mean answer over 300 characters.
        Detailed = "detailed",
    }
}

string_enum! {
    /// How many facts a user's answer states: mean under 1, 1–2.5, over 2.5.
    pub enum DetailLevel as "detail level" {
        /// Under one fact per answer.
        Low = "low",
        /// One to two and a half facts per answer.
        Moderate = "moderate",
        /// Over two and a half facts per answer.
        High = "high",
    }
}

string_enum! {
    /// How long a user takes to answer: mean under 30 s, 30–180 s, over 180 s.
    pub enum Pace as "pace" {
        /// Under 30 seconds per answer.
        Quick = "quick",
        /// 30 to 180 seconds per answer.
        Steady = "steady",
        /// Over 180 seconds per answer.
        Deliberate = "deliberate",
    }
}

/// Mean answer length bounds of [`CommunicationStyle`], in characters.
const BRIEF_BELOW: f64 = 60.0;
const DETAILED_ABOVE: f64 = 300.0;
/// Mean facts per answer bounds of [`DetailLevel`].
const LOW_DETAIL_BELOW: f64 = 1.0;
const HIGH_DETAIL_ABOVE: f64 = 2.5;
/// Mean seconds per answer bounds of [`Pace`].
const QUICK_BELOW: f64 = 30.0;
const DELIBERATE_ABOVE: f64 = 180.0;
/// A category is strong when at least this share of its asks was answered well (over two
/// asks or more), weak when under [`WEAK_BELOW`] of its answers were.
const STRONG_FROM: f64 = 0.6;
const WEAK_BELOW: f64 = 0.4;
const MIN_ASKS_TO_JUDGE: u32 = 2;

/// A user's figures in one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CategoryFigures {
    /// Questions asked.
    pub asked: u32,
    /// Questions answered.
    pub answered: u32,
    /// Questions answered well.
    pub answered_well: u32,
    /// Facts stated.
    pub facts: u32,
}

/// What a pattern says, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PatternData {
    /// [`PatternType::CommunicationStyle`].
    CommunicationStyle {
        /// The style.
        style: CommunicationStyle,
        /// Mean answer length in characters.
        mean_answer_chars: f64,
        /// Answers it is learned from.
        answers: u32,
    },
    /// [`PatternType::DetailLevel`].
    DetailLevel {
        /// The level.
        level: DetailLevel,
        /// Mean facts per answer.
        mean_facts_per_answer: f64,
        /// Answers it is learned from.
        answers: u32,
    },
    /// [`PatternType::CategoryStrengths`].
    CategoryStrengths {
        /// Categories answered well (at least 60 % of two or more asks).
        strong: Vec<Category>,
        /// Categories answered, but poorly (under 40 % of two or more answers answered well).
        weak: Vec<Category>,
        /// Categories whose questions were mostly left unanswered (two or more asks, under
        /// half answered).
        skipped: Vec<Category>,
        /// The figures per category.
        per_category: BTreeMap<Category, CategoryFigures>,
    },
    /// [`PatternType::Pace`].
    Pace {
        /// The pace.
        pace: Pace,
        /// Mean seconds from question to answer (each capped at 30 minutes).
        mean_seconds_per_answer: f64,
        /// Answers it is learned from.
        answers: u32,
    },
}

/// One learned pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnedPattern {
    /// Its kind.
    pub kind: PatternType,
    /// Its one-word summary (the style, level or pace), stored beside the data so users can
    /// be grouped by it.
    pub label: Option<&'static str>,
    /// What it says.
    pub data: PatternData,
    /// How sure it is, 0–1: `answers / (answers + 5)` — 0.17 after one answer, 0.5 after five,
    /// 0.8 after twenty.
    pub confidence: f64,
}

fn confidence(samples: u32) -> f64 {
    f64::from(samples) / (f64::from(samples) + 5.0)
}

#[expect(
    clippy::cast_precision_loss,
    reason = "totals of characters and seconds stay far below 2^52"
)]
fn mean(total: u64, count: u32) -> f64 {
    (total as f64 / f64::from(count) * 100.0).round() / 100.0
}

/// The patterns the counters show; empty before the first answer.
#[must_use]
pub fn learn_patterns(stats: &[TemplateStats]) -> Vec<LearnedPattern> {
    let answers: u32 = stats.iter().map(|s| s.times_answered).sum();
    if answers == 0 {
        return Vec::new();
    }
    let chars: u64 = stats.iter().map(|s| s.answer_chars_total).sum();
    let facts: u64 = stats.iter().map(|s| u64::from(s.facts_yielded)).sum();
    let seconds: u64 = stats.iter().map(|s| s.answer_seconds_total).sum();
    let mean_chars = mean(chars, answers);
    let style = if mean_chars < BRIEF_BELOW {
        CommunicationStyle::Brief
    } else if mean_chars > DETAILED_ABOVE {
        CommunicationStyle::Detailed
    } else {
        CommunicationStyle::Balanced
    };
    let mean_facts = mean(facts, answers);
    let level = if mean_facts < LOW_DETAIL_BELOW {
        DetailLevel::Low
    } else if mean_facts > HIGH_DETAIL_ABOVE {
        DetailLevel::High
    } else {
        DetailLevel::Moderate
    };
    let mean_seconds = mean(seconds, answers);
    let pace = if mean_seconds < QUICK_BELOW {
        Pace::Quick
    } else if mean_seconds > DELIBERATE_ABOVE {
        Pace::Deliberate
    } else {
        Pace::Steady
    };
    let mut per_category: BTreeMap<Category, CategoryFigures> = BTreeMap::new();
    for stat in stats {
        if let Some(category) = stat.category {
            let figures = per_category.entry(category).or_default();
            figures.asked += stat.times_asked;
            figures.answered += stat.times_answered;
            figures.answered_well += stat.times_answered_well;
            figures.facts += stat.facts_yielded;
        }
    }
    let judged = |keep: &dyn Fn(&CategoryFigures) -> bool| -> Vec<Category> {
        per_category
            .iter()
            .filter(|(_, figures)| keep(figures))
            .map(|(category, _)| *category)
            .collect()
    };
    let strong = judged(&|f| {
        f.asked >= MIN_ASKS_TO_JUDGE
            && f64::from(f.answered_well) >= STRONG_FROM * f64::from(f.asked)
    });
    let weak = judged(&|f| {
        f.answered >= MIN_ASKS_TO_JUDGE
            && f64::from(f.answered_well) < WEAK_BELOW * f64::from(f.answered)
    });
    let skipped = judged(&|f| f.asked >= MIN_ASKS_TO_JUDGE && 2 * f.answered < f.asked);
    let sure = confidence(answers);
    vec![
        LearnedPattern {
            kind: PatternType::CommunicationStyle,
            label: Some(style.as_str()),
            data: PatternData::CommunicationStyle {
                style,
                mean_answer_chars: mean_chars,
                answers,
            },
            confidence: sure,
        },
        LearnedPattern {
            kind: PatternType::DetailLevel,
            label: Some(level.as_str()),
            data: PatternData::DetailLevel {
                level,
                mean_facts_per_answer: mean_facts,
                answers,
            },
            confidence: sure,
        },
        LearnedPattern {
            kind: PatternType::CategoryStrengths,
            label: None,
            data: PatternData::CategoryStrengths {
                strong,
                weak,
                skipped,
                per_category,
            },
            confidence: sure,
        },
        LearnedPattern {
            kind: PatternType::Pace,
            label: Some(pace.as_str()),
            data: PatternData::Pace {
                pace,
                mean_seconds_per_answer: mean_seconds,
                answers,
            },
            confidence: sure,
        },
    ]
}

/// The team roles whose templates work best for a user: the top three by mean effectiveness
/// over the templates asked, best first (ties in name order); roles that are not personas are
/// left out.
#[must_use]
pub fn preferred_roles(stats: &[TemplateStats]) -> Vec<Persona> {
    let mut by_role: BTreeMap<&str, (f64, u32)> = BTreeMap::new();
    for stat in stats
        .iter()
        .filter(|s| s.times_asked > 0 && !s.role.is_empty())
    {
        let entry = by_role.entry(stat.role.as_str()).or_default();
        entry.0 += stat.effectiveness();
        entry.1 += 1;
    }
    let mut roles: Vec<(&str, f64)> = by_role
        .into_iter()
        .map(|(role, (sum, count))| (role, sum / f64::from(count)))
        .collect();
    roles.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    roles
        .into_iter()
        .filter_map(|(role, _)| role.parse().ok())
        .take(3)
        .collect()
}

#[cfg(test)]
#[path = "learning_tests.rs"]
mod tests;
