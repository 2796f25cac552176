//! Data retention: the conversation history older than the configured number of days is
//! pruned by a periodic job. Facts, conflicts and maturity records stay — they are the
//! specification; the conversation is how it was reached.
//!
//! Every replica may run the job: the deletes are idempotent and go in small batches, so two
//! replicas pruning at once only share the work.

use std::sync::Arc;
use std::time::Duration;

use socrates_persistence::repositories::conversation;
use socrates_persistence::{DbError, SpecsDb};

use socrates_infra::clock::Clock;

/// How long conversation history is kept and how the job runs.
#[derive(Debug, Clone, Copy)]
pub struct RetentionPolicy {
    /// Entries older than this are pruned; `None` keeps them forever.
    pub conversation_history: Option<chrono::Duration>,
    /// How often the job runs.
    pub interval: Duration,
    /// Rows deleted per statement.
    pub batch: u64,
}

/// Prunes the conversation history older than the policy allows.
#[derive(Debug, Clone)]
pub struct RetentionJob {
    specs_db: SpecsDb,
    clock: Arc<dyn Clock>,
    policy: RetentionPolicy,
}

impl RetentionJob {
    /// A job over `specs_db` that takes "now" from `clock`.
    pub fn new(specs_db: SpecsDb, clock: Arc<dyn Clock>, policy: RetentionPolicy) -> Self {
        Self {
            specs_db,
            clock,
            policy,
        }
    }

    /// One pass: deletes, batch by batch, every entry written before now minus the retention
    /// period, and returns how many went (0 when history is kept forever).
    pub async fn run_once(&self) -> Result<u64, DbError> {
        let Some(keep) = self.policy.conversation_history else {
            return Ok(0);
        };
        let cutoff = self.clock.now() - keep;
        let batch = self.policy.batch.max(1);
        let mut pruned = 0;
        loop {
            let deleted = conversation::delete_older_than(&self.specs_db, cutoff, batch).await?;
            pruned += deleted;
            if deleted < batch {
                return Ok(pruned);
            }
        }
    }

    /// Runs [`Self::run_once`] every interval until the returned handle is aborted; a failed
    /// pass is logged and retried at the next tick. Does nothing when history is kept forever.
    pub fn spawn(self) -> Option<tokio::task::JoinHandle<()>> {
        let keep = self.policy.conversation_history?;
        tracing::info!(
            keep_days = keep.num_days(),
            every_seconds = self.policy.interval.as_secs(),
            "conversation history retention is on"
        );
        Some(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(self.policy.interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match self.run_once().await {
                    Ok(0) => tracing::debug!("retention: nothing to prune"),
                    Ok(pruned) => {
                        tracing::info!(pruned, "retention: pruned old conversation history");
                    }
                    Err(error) => {
                        tracing::error!(error = %error, "retention: pruning failed; retrying at the next run");
                    }
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;
    use chrono::{TimeZone, Utc};
    use socrates_domain::{
        Category, ConversationRole, MessageKind, ProjectName, SessionMode, UserId,
    };
    use socrates_infra::clock::ManualClock;
    use socrates_persistence::repositories::conversation::NewConversationEntry;
    use socrates_persistence::repositories::projects::{self, NewProject};
    use socrates_persistence::repositories::questions::{self, NewQuestion};
    use socrates_persistence::repositories::{Page, Writes, sessions};
    use socrates_persistence::testing::TestDatabases;

    #[tokio::test]
    async fn history_older_than_the_retention_period_is_pruned_in_batches() {
        let databases = TestDatabases::new().await;
        let db = databases.specs.clone();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let owner = UserId::new();
        let project = projects::create(
            &db,
            NewProject {
                owner_id: owner,
                name: ProjectName::parse("Kept").unwrap(),
                description: None,
            },
            start,
        )
        .await
        .unwrap();
        let session = sessions::create(&db, project.id, owner, SessionMode::Socratic, start)
            .await
            .unwrap();
        let question = questions::insert_with(
            &db,
            NewQuestion {
                project_id: project.id,
                session_id: session.id,
                text: "What should it do?".to_owned(),
                category: Category::Goals,
                context: None,
                template_id: None,
                persona: None,
                quality_score: 1.0,
                bias_score: None,
            },
            start,
            Writes::new(),
        )
        .await
        .unwrap();
        // Five entries a day for ten days: days 0..9, each written as the product writes the
        // conversation, with an answer (one that extracted no facts, so it may come again).
        for day in 0..10 {
            for n in 0..5 {
                let at = start + chrono::Duration::days(day) + chrono::Duration::minutes(n);
                let entry = NewConversationEntry {
                    session_id: session.id,
                    project_id: project.id,
                    role: ConversationRole::User,
                    kind: MessageKind::Answer,
                    content: format!("day {day} entry {n}"),
                    question_id: Some(question.id),
                    metadata: None,
                };
                let conversation = conversation::append_all_later(vec![entry], at);
                assert!(
                    questions::mark_answered_with(&db, question.id, 0, at, conversation)
                        .await
                        .unwrap()
                );
            }
        }
        let keep_forever = RetentionJob::new(
            db.clone(),
            clock.clone(),
            RetentionPolicy {
                conversation_history: None,
                interval: Duration::from_secs(3600),
                batch: 3,
            },
        );
        let job = RetentionJob::new(
            db.clone(),
            clock.clone(),
            RetentionPolicy {
                conversation_history: Some(chrono::Duration::days(7)),
                ..keep_forever.policy
            },
        );
        // On day 9 at noon a 7-day window keeps days 2..9: day 2's first entry is exactly
        // 7 days old, which is not older than the window.
        clock.advance(chrono::Duration::days(9));
        assert_eq!(keep_forever.run_once().await.unwrap(), 0);
        assert_eq!(
            job.run_once().await.unwrap(),
            10,
            "days 0 and 1, in batches of 3"
        );
        assert_eq!(
            job.run_once().await.unwrap(),
            0,
            "a second pass finds nothing"
        );
        let (left, total) =
            conversation::list_for_session(&db, session.id, Page::new(Some(100), None))
                .await
                .unwrap();
        assert_eq!(total, 40);
        assert!(left[0].content.starts_with("day 2 "), "{}", left[0].content);

        clock.advance(chrono::Duration::days(2));
        assert_eq!(
            job.run_once().await.unwrap(),
            10,
            "day 2 and 3 went as time moved on"
        );
    }
}
