//! Where a project's interview stands: its maturity, its plan and the question waiting for an
//! answer. `next-question` asks about [`InterviewStanding::next_category`] and `/status`
//! reports it as `next_category`; both build the standing here, from the same facts and asked
//! questions, so they cannot disagree.

use std::collections::HashSet;

use socrates_domain::{Category, MaturityReport, compute_maturity};
use socrates_persistence::repositories::questions::AskedQuestion;
use socrates_reasoner::offline::{InterviewPlan, OfflineData};

/// A project's interview as the next question sees it.
#[derive(Debug, Clone)]
pub(crate) struct InterviewStanding {
    /// Maturity from the current facts.
    pub report: MaturityReport,
    /// The open categories by need and why the others are closed.
    pub plan: InterviewPlan,
    /// The category of the project's latest question while its session still waits on it.
    pub waiting: Option<Category>,
}

impl InterviewStanding {
    /// The standing of a project with these current facts `(category, key, confidence)` and
    /// these questions, newest first.
    pub fn new<'a>(
        offline: &OfflineData,
        facts: impl Iterator<Item = (Category, &'a str, f64)> + Clone,
        asked: &[AskedQuestion],
    ) -> Self {
        let report = compute_maturity(
            facts
                .clone()
                .map(|(category, _, confidence)| (category, confidence)),
        );
        let held: HashSet<&str> = facts.map(|(_, key, _)| key).collect();
        let asked_ids: HashSet<String> = asked
            .iter()
            .filter_map(|question| question.template_id.clone())
            .collect();
        let plan = InterviewPlan::new(offline.questions(), &report, &held, &asked_ids);
        let waiting = asked
            .first()
            .filter(|latest| latest.waiting)
            .map(|latest| latest.category);
        Self {
            report,
            plan,
            waiting,
        }
    }

    /// The category the next question is about: the waiting question's, else the first open
    /// category of the plan; `None` when nothing is left to ask.
    pub fn next_category(&self) -> Option<Category> {
        self.waiting.or_else(|| self.plan.next_category())
    }
}
