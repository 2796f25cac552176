//! What the counselor learns while it interviews, and what it does with it.
//!
//! Every question asked and every answer given add to the user's counters for the question's
//! template (`question_effectiveness`, in the same statement or transaction as the question or
//! the answer). After an answer commits, the user's behaviour patterns are recomputed from
//! those counters and stored — at most once every [`RELEARN_INTERVAL`] per user and process,
//! so a quick run of answers costs one recomputation (the learning routes compute them from
//! the counters on every read, so what they show is never behind). When the next question is
//! chosen, each candidate template gets a
//! preference from the user's own counters and from how the template fared with people like
//! the user — the users of the same communication style, or everyone while the user's style is
//! unknown (see [`socrates_domain::learning`]).
//!
//! The cohort figures are a sum over many users' rows: each process keeps them for
//! [`Learner::cohort_ttl`] (a minute by default) per style and category, so the next-question
//! path reads them at most once a minute. A user's own counters and style are read fresh every
//! time, in one statement.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use socrates_domain::learning::{Tally, TemplateStats, learn_patterns, preference};
use socrates_domain::{Category, ProjectId, UserId};
use socrates_persistence::SpecsDb;
use socrates_persistence::repositories::learning;

use crate::agent::AgentError;

/// The cohort figures of one style and category: answers and good answers per template.
type CohortTallies = Arc<HashMap<String, Tally>>;

/// The learning side of the counselor; see the module documentation. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Learner {
    db: SpecsDb,
    cohorts: moka::sync::Cache<(Option<String>, Category), CohortTallies>,
    cohort_ttl: Duration,
    /// The users whose patterns this process stored in the last [`RELEARN_INTERVAL`].
    relearned: moka::sync::Cache<UserId, ()>,
}

/// The least time between two recomputations of one user's stored patterns by one process.
pub const RELEARN_INTERVAL: Duration = Duration::from_secs(10);

/// How long a process keeps a cohort's figures by default.
pub const DEFAULT_COHORT_TTL: Duration = Duration::from_secs(60);

/// The pseudo-template of the questions a language model writes about `category`: they have
/// no bank template, so what is learned about them is learned per category.
#[must_use]
pub fn model_template_id(category: Category) -> String {
    format!("{category}.model")
}

/// What the counselor knows of a user when it picks their next question.
#[derive(Debug, Clone, Default)]
pub struct UserStanding {
    own: HashMap<String, Tally>,
    style: Option<String>,
}

impl Learner {
    /// A learner over the specs database that keeps cohort figures for `cohort_ttl`
    /// (`Duration::ZERO`: read every time).
    #[must_use]
    pub fn new(db: SpecsDb, cohort_ttl: Duration) -> Self {
        Self {
            db,
            cohorts: moka::sync::Cache::builder()
                .max_capacity(1_000)
                .time_to_live(cohort_ttl.max(Duration::from_millis(1)))
                .build(),
            cohort_ttl,
            relearned: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(RELEARN_INTERVAL)
                .build(),
        }
    }

    /// How long cohort figures are kept.
    #[must_use]
    pub const fn cohort_ttl(&self) -> Duration {
        self.cohort_ttl
    }

    /// The user's counters and communication style.
    ///
    /// # Errors
    /// The database's.
    pub async fn standing(&self, user_id: UserId) -> Result<UserStanding, AgentError> {
        let (stats, style) = learning::standing(&self.db, user_id).await?;
        Ok(UserStanding {
            own: stats
                .into_iter()
                .map(|s| {
                    let tally = Tally {
                        answered: u64::from(s.times_answered),
                        well: u64::from(s.times_answered_well),
                    };
                    (s.template_id, tally)
                })
                .collect(),
            style,
        })
    }

    /// The preference of each of `templates` (of `category`) for the user; templates at the
    /// neutral 0.5 are left out.
    ///
    /// # Errors
    /// The database's.
    pub async fn preferences(
        &self,
        user_id: UserId,
        standing: &UserStanding,
        category: Category,
        templates: &[&str],
    ) -> Result<HashMap<String, f64>, AgentError> {
        let cohort = self
            .cohort(user_id, standing.style.clone(), category, templates)
            .await?;
        Ok(templates
            .iter()
            .filter_map(|template| {
                let own = standing.own.get(*template).copied().unwrap_or_default();
                let theirs = cohort.get(*template).copied().unwrap_or_default();
                let score = preference(own, theirs);
                ((score - 0.5).abs() > f64::EPSILON).then(|| ((*template).to_owned(), score))
            })
            .collect())
    }

    async fn cohort(
        &self,
        user_id: UserId,
        style: Option<String>,
        category: Category,
        templates: &[&str],
    ) -> Result<CohortTallies, AgentError> {
        let key = (style, category);
        if !self.cohort_ttl.is_zero()
            && let Some(found) = self.cohorts.get(&key)
        {
            return Ok(found);
        }
        // The caller's own rows are left out so a user is not their own cohort; with a cache,
        // the first caller's exclusion stands for the minute, which moves one user's counts.
        let tallies = Arc::new(
            learning::cohort_tallies(&self.db, user_id, key.0.as_deref(), templates).await?,
        );
        if !self.cohort_ttl.is_zero() {
            self.cohorts.insert(key, Arc::clone(&tallies));
        }
        Ok(tallies)
    }

    /// Recomputes the user's behaviour patterns from their counters, after an answer of
    /// `project_id` committed. A failure is logged, not returned: the answer stands, and the
    /// next answer recomputes them from the same counters.
    pub async fn relearn(&self, user_id: UserId, project_id: ProjectId, now: DateTime<Utc>) {
        if self.relearned.contains_key(&user_id) {
            return;
        }
        self.relearned.insert(user_id, ());
        let outcome = async {
            let stats: Vec<TemplateStats> = learning::stats_for_user(&self.db, user_id).await?;
            learning::store_patterns(&self.db, user_id, project_id, learn_patterns(&stats), now)
                .await
        }
        .await;
        if let Err(error) = outcome {
            tracing::warn!(
                error = %error,
                "the behaviour patterns could not be recomputed; the next answer will"
            );
        }
    }
}
