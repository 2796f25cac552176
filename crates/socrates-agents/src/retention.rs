//! Data retention, a periodic job: the conversation history older than the configured number
//! of days is pruned, and credentials that can no longer be used are purged (refresh tokens of
//! families that have wholly expired, password-reset requests used or expired). Facts,
//! conflicts and maturity records stay — they are the specification; the conversation is how
//! it was reached.
//!
//! Every replica may run the job: the deletes are idempotent and go in small batches, so two
//! replicas pruning at once only share the work.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use socrates_persistence::repositories::{conversation, password_resets, refresh_tokens};
use socrates_persistence::{AuthDb, DbError, SpecsDb};

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

/// What one pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Conversation entries older than the retention period.
    pub conversation_entries: u64,
    /// Refresh tokens of families none of whose tokens is unexpired.
    pub refresh_tokens: u64,
    /// Password-reset requests used or expired.
    pub password_resets: u64,
}

/// Prunes the conversation history older than the policy allows and purges spent credentials.
#[derive(Debug, Clone)]
pub struct RetentionJob {
    auth_db: AuthDb,
    specs_db: SpecsDb,
    clock: Arc<dyn Clock>,
    policy: RetentionPolicy,
}

impl RetentionJob {
    /// A job over both databases that takes "now" from `clock`.
    pub fn new(
        auth_db: AuthDb,
        specs_db: SpecsDb,
        clock: Arc<dyn Clock>,
        policy: RetentionPolicy,
    ) -> Self {
        Self {
            auth_db,
            specs_db,
            clock,
            policy,
        }
    }

    /// One pass, batch by batch: deletes every conversation entry written before now minus the
    /// retention period (none when history is kept forever), every refresh token of a family
    /// that has wholly expired and every used or expired password-reset request.
    pub async fn run_once(&self) -> Result<Purged, DbError> {
        let now = self.clock.now();
        let batch = self.policy.batch.max(1);
        let conversation_entries = match self.policy.conversation_history {
            Some(keep) => {
                let cutoff = now - keep;
                in_batches(batch, || {
                    conversation::delete_older_than(&self.specs_db, cutoff, batch)
                })
                .await?
            }
            None => 0,
        };
        let refresh_tokens = in_batches(batch, || {
            refresh_tokens::delete_expired_families(&self.auth_db, now, batch)
        })
        .await?;
        let password_resets = in_batches(batch, || {
            password_resets::delete_spent(&self.auth_db, now, batch)
        })
        .await?;
        Ok(Purged {
            conversation_entries,
            refresh_tokens,
            password_resets,
        })
    }

    /// Runs [`Self::run_once`] every interval until the returned handle is aborted; a failed
    /// pass is logged and retried at the next tick.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tracing::info!(
            keep_days = self.policy.conversation_history.map(|keep| keep.num_days()),
            every_seconds = self.policy.interval.as_secs(),
            "retention is on: spent credentials are purged, and conversation history when \
             keep_days is set"
        );
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(self.policy.interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match self.run_once().await {
                    Ok(purged) if purged == Purged::default() => {
                        tracing::debug!("retention: nothing to prune");
                    }
                    Ok(purged) => tracing::info!(
                        conversation_entries = purged.conversation_entries,
                        refresh_tokens = purged.refresh_tokens,
                        password_resets = purged.password_resets,
                        "retention: pruned old conversation history and spent credentials"
                    ),
                    Err(error) => {
                        tracing::error!(error = %error, "retention: pruning failed; retrying at the next run");
                    }
                }
            }
        })
    }
}

/// Repeats `delete` (which deletes up to `batch` rows) until a round deletes fewer, and returns
/// how many went in all.
async fn in_batches<F, Fut>(batch: u64, mut delete: F) -> Result<u64, DbError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<u64, DbError>>,
{
    let mut total = 0;
    loop {
        let deleted = delete().await?;
        total += deleted;
        if deleted < batch {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;
    use chrono::{TimeZone, Utc};
    use socrates_auth::tokens::hash_token;
    use socrates_auth::{
        AuthError, AuthPolicy, AuthService, ClientContext, LogMailer, PasswordHasher, TokenService,
    };
    use socrates_domain::{
        Category, ConversationRole, MessageKind, ProjectName, SessionMode, UserId,
    };
    use socrates_infra::clock::ManualClock;
    use socrates_infra::rate_limit::{InProcessRateLimiter, Quota};
    use socrates_persistence::repositories::conversation::NewConversationEntry;
    use socrates_persistence::repositories::projects::{self, NewProject};
    use socrates_persistence::repositories::questions::{self, NewQuestion};
    use socrates_persistence::repositories::{Page, Writes, sessions};
    use socrates_persistence::testing::TestDatabases;

    const PASSWORD: &str = "Test123!";

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
            databases.auth.clone(),
            db.clone(),
            clock.clone(),
            RetentionPolicy {
                conversation_history: None,
                interval: Duration::from_secs(3600),
                batch: 3,
            },
        );
        let job = RetentionJob::new(
            databases.auth.clone(),
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
        assert_eq!(keep_forever.run_once().await.unwrap(), Purged::default());
        assert_eq!(
            job.run_once().await.unwrap().conversation_entries,
            10,
            "days 0 and 1, in batches of 3"
        );
        assert_eq!(
            job.run_once().await.unwrap(),
            Purged::default(),
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
            job.run_once().await.unwrap().conversation_entries,
            10,
            "day 2 and 3 went as time moved on"
        );
    }

    /// A real account service on `auth_db`: 7-day refresh tokens, bcrypt at its cheapest.
    fn auth_service(auth_db: AuthDb, clock: Arc<ManualClock>) -> AuthService {
        let clock: Arc<dyn Clock> = clock;
        let tokens = TokenService::new(
            &[7; TokenService::MIN_SECRET_BYTES],
            chrono::Duration::minutes(15),
            Arc::clone(&clock),
        )
        .unwrap();
        let policy = AuthPolicy {
            refresh_ttl: chrono::Duration::days(7),
            reset_ttl: chrono::Duration::hours(1),
            attempts_quota: Quota::per_minute(100),
            rate_limits_enabled: false,
            reset_link_prefix: "https://socrates.test/reset?token=".to_owned(),
        };
        AuthService::new(
            auth_db,
            PasswordHasher::new(4),
            tokens,
            Arc::new(InProcessRateLimiter::new(Arc::clone(&clock))),
            Arc::new(LogMailer),
            clock,
            policy,
        )
    }

    #[tokio::test]
    async fn spent_credentials_are_purged_and_a_reused_rotated_token_is_still_caught() {
        let databases = TestDatabases::new().await;
        let auth_db = databases.auth.clone();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let auth = auth_service(auth_db.clone(), Arc::clone(&clock));
        let client = ClientContext::default();
        let job = RetentionJob::new(
            auth_db.clone(),
            databases.specs.clone(),
            clock.clone(),
            RetentionPolicy {
                conversation_history: None,
                interval: Duration::from_secs(3600),
                batch: 1,
            },
        );
        let stored = |token: String| {
            let auth_db = auth_db.clone();
            async move {
                refresh_tokens::find_by_hash(&auth_db, &hash_token(&token))
                    .await
                    .unwrap()
            }
        };
        let reset = |token: &str| {
            let auth_db = auth_db.clone();
            let hash = hash_token(token);
            async move {
                password_resets::find_by_hash(&auth_db, &hash)
                    .await
                    .unwrap()
            }
        };

        // Day 0: two logins, two token families, each token good for 7 days.
        let alice = auth
            .register("alice@example.com", PASSWORD, &client)
            .await
            .unwrap();
        let first = auth
            .login("alice@example.com", PASSWORD, &client)
            .await
            .unwrap();
        let other = auth
            .login("alice@example.com", PASSWORD, &client)
            .await
            .unwrap();
        // An expired reset request.
        let hour = chrono::Duration::hours(1);
        password_resets::insert(
            &auth_db,
            alice.id,
            hash_token("expired"),
            start + hour,
            start,
        )
        .await
        .unwrap();
        // Day 6: the first family rotates; its first token now only serves to catch reuse.
        clock.advance(chrono::Duration::days(6));
        let second = auth.refresh(&first.refresh_token, &client).await.unwrap();

        // Day 8: the first token and the whole other family have expired; the second token
        // lives until day 13. Bob uses his reset request; Alice's newest one is still good.
        clock.advance(chrono::Duration::days(2));
        let now = start + chrono::Duration::days(8);
        let bob = auth
            .register("bob@example.com", PASSWORD, &client)
            .await
            .unwrap();
        password_resets::insert(&auth_db, bob.id, hash_token("used"), now + hour, now)
            .await
            .unwrap();
        auth.confirm_password_reset("used", "Other456!", &client)
            .await
            .unwrap();
        password_resets::insert(&auth_db, alice.id, hash_token("live"), now + hour, now)
            .await
            .unwrap();

        assert_eq!(
            job.run_once().await.unwrap(),
            Purged {
                conversation_entries: 0,
                refresh_tokens: 1,
                password_resets: 2,
            },
            "the other family's token and the expired and used reset requests, one per batch"
        );
        assert_eq!(stored(other.refresh_token.clone()).await, None);
        let rotated = stored(first.refresh_token.clone()).await.unwrap();
        assert!(rotated.revoked && rotated.replaced_by.is_some());
        assert!(rotated.expires_at < now, "kept after its own expiry");
        assert!(stored(second.refresh_token.clone()).await.is_some());
        assert_eq!(reset("expired").await, None);
        assert_eq!(reset("used").await, None);
        assert!(reset("live").await.is_some());
        assert_eq!(job.run_once().await.unwrap(), Purged::default());

        // Presenting the rotated token is still caught as reuse, and its family dies.
        let reused = auth.refresh(&first.refresh_token, &client).await;
        assert!(
            matches!(reused, Err(AuthError::RefreshTokenReused)),
            "{reused:?}"
        );
        let after = auth.refresh(&second.refresh_token, &client).await;
        assert!(matches!(after, Err(AuthError::TokenInvalid)), "{after:?}");

        // Day 14: the second token has expired too, so the whole first family goes, and so
        // does Alice's last reset request.
        clock.advance(chrono::Duration::days(6));
        assert_eq!(
            job.run_once().await.unwrap(),
            Purged {
                conversation_entries: 0,
                refresh_tokens: 2,
                password_resets: 1,
            }
        );
        assert_eq!(stored(first.refresh_token.clone()).await, None);
        assert_eq!(stored(second.refresh_token).await, None);
        // Without its row the expired token is refused just the same.
        let gone = auth.refresh(&first.refresh_token, &client).await;
        assert!(matches!(gone, Err(AuthError::TokenInvalid)), "{gone:?}");
    }
}
