//! The interview plan: which categories are still open, in the order the interview asks about
//! them, and why the others are closed. `next-question` asks about the first open category and
//! `/status` reports the same one as `next_category`, so the two cannot disagree.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use socrates_domain::{Category, MaturityReport};

use super::data::QuestionBank;

/// Why the interview no longer asks about a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryClosure {
    /// Its coverage reached 100 %.
    Covered,
    /// Every bank question about it was asked or asks only for what the project already
    /// holds.
    NothingLeftToAsk,
}

/// The categories the interview still asks about, by need, and the closed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterviewPlan {
    open: Vec<Category>,
    closed: [Option<CategoryClosure>; Category::ALL.len()],
}

impl InterviewPlan {
    /// Plans the interview of a project from its maturity, the keys it holds and the
    /// templates it was asked: every category in the order of
    /// [`MaturityReport::categories_by_need`], minus those whose coverage is 100 % and those
    /// with no askable bank question left (see [`QuestionBank::askable`]).
    #[must_use]
    pub fn new(
        bank: &QuestionBank,
        report: &MaturityReport,
        held: &HashSet<&str>,
        asked: &HashSet<String>,
    ) -> Self {
        let mut closed = [None; Category::ALL.len()];
        let open = report
            .categories_by_need()
            .into_iter()
            .filter(|&category| {
                let closure = if report.coverage(category).coverage_percent >= 100.0 {
                    Some(CategoryClosure::Covered)
                } else if bank.askable(category, asked, held).next().is_none() {
                    Some(CategoryClosure::NothingLeftToAsk)
                } else {
                    None
                };
                closed[category as usize] = closure;
                closure.is_none()
            })
            .collect();
        Self { open, closed }
    }

    /// The category the next question is about; `None` when every category is closed.
    #[must_use]
    pub fn next_category(&self) -> Option<Category> {
        self.open.first().copied()
    }

    /// The open categories, the one most in need first.
    #[must_use]
    pub fn open_by_need(&self) -> &[Category] {
        &self.open
    }

    /// Why `category` is closed, or `None` while it is open.
    #[must_use]
    pub fn closure(&self, category: Category) -> Option<CategoryClosure> {
        self.closed.get(category as usize).copied().flatten()
    }
}
