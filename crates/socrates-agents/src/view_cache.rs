//! The project views the agents cache: read-mostly answers (a project's status, pages of its facts) kept in Redis
//! when `REDIS_URL` is set, in this process otherwise — both behind [`Cache`].
//!
//! Entries live in *scopes* (one per project) that carry a generation. A reader takes the
//! scope's generation with the value; on a miss it loads from the database and stores the
//! result only if the scope is still at that generation. Every write that changes a project
//! moves its scope to the next generation after committing. So a value computed before a write
//! can never be stored after it, and a write is visible to the very next read.
//!
//! A cache that fails is never fatal: the database answers, the failure is logged and counted
//! (`socrates_cache_requests_total{outcome="error"}`), and `/health` reports Redis down as
//! `degraded`. An invalidation that fails is counted as `invalidate_error` and remembered:
//! the project's reads bypass the cache until a retry succeeds, and every pending invalidation
//! is retried at most once a second by this process's next cache use, so when Redis comes back
//! no replica serves the views the failed invalidation should have dropped. Only if this
//! process stops first does the scope's lifetime (`cache.ttl_seconds`) bound the staleness.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use socrates_domain::{ProjectId, UserId};
use socrates_infra::InfraError;
use socrates_infra::cache::Cache;

use crate::agent::AgentError;
use socrates_infra::metrics::Metrics;

/// A cached value with the project's owner, checked on every hit.
#[derive(serde::Deserialize, Serialize)]
struct Owned<T> {
    owner: UserId,
    value: T,
}

/// The project views the agents cache, with their metrics.
#[derive(Debug, Clone)]
pub struct ProjectViews {
    /// The cache, its metrics and its failed invalidations; `None` loads every read.
    cached: Option<Arc<Cached>>,
}

/// How often the failed invalidations are retried while some are pending.
const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// At most this many failed invalidations are remembered; beyond, the TTL bounds staleness.
const MAX_PENDING: usize = 100_000;

#[derive(Debug)]
struct Cached {
    cache: Arc<dyn Cache>,
    metrics: Arc<Metrics>,
    pending: Mutex<Pending>,
    /// [`RETRY_INTERVAL`], shorter in tests.
    retry_interval: Duration,
}

/// Projects whose invalidation failed, and when they were last retried.
#[derive(Debug, Default)]
struct Pending {
    projects: HashSet<ProjectId>,
    retried_at: Option<Instant>,
}

impl Cached {
    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the project's scope on; a failure is remembered for a retry.
    async fn invalidate(&self, project: ProjectId) -> bool {
        match self.cache.invalidate(&ProjectViews::scope(project)).await {
            Ok(()) => {
                self.pending().projects.remove(&project);
                true
            }
            Err(error) => {
                self.metrics.observe_cache("any", "invalidate_error");
                let mut pending = self.pending();
                if pending.projects.len() < MAX_PENDING {
                    pending.projects.insert(project);
                }
                drop(pending);
                if matches!(error, InfraError::RedisCircuitOpen) {
                    tracing::debug!(project_id = %project, "cache invalidation refused: circuit open");
                } else {
                    tracing::warn!(
                        error = %error,
                        project_id = %project,
                        "cache invalidation failed; the project's reads bypass the cache until a retry succeeds"
                    );
                }
                false
            }
        }
    }

    /// Whether `project`'s views may be read from the cache: retries its own failed
    /// invalidation first, and every other one when the last retry is a second old.
    async fn usable_for(&self, project: ProjectId) -> bool {
        let (own, others) = {
            let mut pending = self.pending();
            if pending.projects.is_empty() {
                return true;
            }
            let own = pending.projects.contains(&project);
            let due = pending
                .retried_at
                .is_none_or(|at| at.elapsed() >= self.retry_interval);
            let others: Vec<ProjectId> = if due {
                pending.retried_at = Some(Instant::now());
                pending
                    .projects
                    .iter()
                    .copied()
                    .filter(|other| *other != project)
                    .collect()
            } else {
                Vec::new()
            };
            (own, others)
        };
        for other in others {
            if !self.invalidate(other).await {
                break;
            }
        }
        !own || self.invalidate(project).await
    }
}

impl ProjectViews {
    /// Views kept in `cache`, counted in `metrics`.
    pub fn new(cache: Arc<dyn Cache>, metrics: Arc<Metrics>) -> Self {
        Self {
            cached: Some(Arc::new(Cached {
                cache,
                metrics,
                pending: Mutex::default(),
                retry_interval: RETRY_INTERVAL,
            })),
        }
    }

    /// No caching at all: every read loads (agents built outside a container).
    #[must_use]
    pub fn uncached() -> Self {
        Self { cached: None }
    }

    fn scope(project: ProjectId) -> String {
        format!("project:{project}")
    }

    /// The view `view` (of kind `kind`, the metric label) of a project, for `user`: from the
    /// cache when present and owned by `user`, else from `load`, which returns the value with
    /// the project's owner (and fails when the project is not the user's). `denied` is the
    /// error for a cached view of someone else's project.
    pub async fn get_or_load<T, F, Fut>(
        &self,
        project: ProjectId,
        user: UserId,
        kind: &'static str,
        view: &str,
        denied: impl FnOnce() -> AgentError,
        load: F,
    ) -> Result<T, AgentError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(UserId, T), AgentError>>,
    {
        let Some(cached) = &self.cached else {
            return load().await.map(|(_, value)| value);
        };
        if !cached.usable_for(project).await {
            // Its views may be stale and cannot be dropped yet: the database answers.
            cached.metrics.observe_cache(kind, "bypass");
            return owned_by(load().await?, user, denied);
        }
        let (cache, metrics) = (&cached.cache, &cached.metrics);
        let scope = Self::scope(project);
        let generation = match cache.get(&scope, view).await {
            Ok((generation, Some(bytes))) => match serde_json::from_slice::<Owned<T>>(&bytes) {
                Ok(cached) => {
                    metrics.observe_cache(kind, "hit");
                    return if cached.owner == user {
                        Ok(cached.value)
                    } else {
                        Err(denied())
                    };
                }
                Err(error) => {
                    // A value written by another version of the service: load and replace it.
                    tracing::warn!(error = %error, scope, view, "unreadable cache entry");
                    metrics.observe_cache(kind, "miss");
                    Some(generation)
                }
            },
            Ok((generation, None)) => {
                metrics.observe_cache(kind, "miss");
                Some(generation)
            }
            Err(error) => {
                metrics.observe_cache(kind, "error");
                log_failure(&error, "cache read failed; the database answers");
                None
            }
        };
        let (owner, value) = load().await?;
        if let Some(generation) = generation {
            let entry = Owned {
                owner,
                value: &value,
            };
            match serde_json::to_vec(&entry) {
                Ok(bytes) => {
                    if let Err(error) = cache.put(&scope, generation, view, bytes).await {
                        metrics.observe_cache(kind, "error");
                        log_failure(&error, "cache write failed");
                    }
                }
                Err(error) => tracing::error!(error = %error, "cannot serialise a cache entry"),
            }
        }
        owned_by((owner, value), user, denied)
    }

    /// Drops every cached view of the project; call it after the write has committed.
    pub async fn invalidate(&self, project: ProjectId) {
        if let Some(cached) = &self.cached {
            cached.invalidate(project).await;
        }
    }
}

/// The value for `user` when the project is theirs, else the `denied` error.
fn owned_by<T>(
    (owner, value): (UserId, T),
    user: UserId,
    denied: impl FnOnce() -> AgentError,
) -> Result<T, AgentError> {
    if owner == user {
        Ok(value)
    } else {
        Err(denied())
    }
}

/// Logs a cache failure: at warn level, except while the Redis circuit is open (its opening
/// was logged once; each refusal is counted in the metrics).
fn log_failure(error: &InfraError, message: &'static str) {
    if matches!(error, InfraError::RedisCircuitOpen) {
        tracing::debug!(%error, "{message}");
    } else {
        tracing::warn!(%error, "{message}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use async_trait::async_trait;
    use socrates_infra::InfraError;
    use socrates_infra::cache::InProcessCache;

    use super::*;

    #[tokio::test]
    async fn views_of_someone_elses_project_are_refused_from_the_cache_too() {
        let metrics = Arc::new(Metrics::new());
        let views = ProjectViews::new(
            Arc::new(InProcessCache::new(100, Duration::from_secs(60))),
            Arc::clone(&metrics),
        );
        let project = ProjectId::new();
        let (owner, stranger) = (UserId::new(), UserId::new());
        let denied = || AgentError::Internal("denied".to_owned());
        let load = || async { Ok((owner, 7_u32)) };
        let first: u32 = views
            .get_or_load(project, owner, "status", "status", denied, load)
            .await
            .unwrap();
        let again: u32 = views
            .get_or_load(project, owner, "status", "status", denied, || async {
                panic!("a hit does not load")
            })
            .await
            .unwrap();
        assert_eq!((first, again), (7, 7));
        let refused = views
            .get_or_load::<u32, _, _>(project, stranger, "status", "status", denied, load)
            .await;
        assert!(refused.is_err());
        let text = metrics.encode().unwrap();
        assert!(text.contains(r#"socrates_cache_requests_total{outcome="hit",view="status"} 2"#));
        assert!(text.contains(r#"socrates_cache_requests_total{outcome="miss",view="status"} 1"#));
    }

    /// An in-process cache whose invalidations fail while `down` is set.
    #[derive(Debug)]
    struct Flaky {
        inner: InProcessCache,
        down: std::sync::atomic::AtomicBool,
    }

    #[async_trait]
    impl Cache for Flaky {
        fn kind(&self) -> &'static str {
            "flaky"
        }

        async fn get(&self, scope: &str, view: &str) -> Result<(u64, Option<Vec<u8>>), InfraError> {
            self.inner.get(scope, view).await
        }

        async fn put(
            &self,
            scope: &str,
            generation: u64,
            view: &str,
            value: Vec<u8>,
        ) -> Result<(), InfraError> {
            self.inner.put(scope, generation, view, value).await
        }

        async fn invalidate(&self, scope: &str) -> Result<(), InfraError> {
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(InfraError::RedisUnavailable("down".to_owned()));
            }
            self.inner.invalidate(scope).await
        }
    }

    #[tokio::test]
    async fn a_failed_invalidation_bypasses_the_stale_view_until_a_retry_drops_it() {
        let cache = Arc::new(Flaky {
            inner: InProcessCache::new(100, Duration::from_secs(60)),
            down: std::sync::atomic::AtomicBool::new(false),
        });
        let metrics = Arc::new(Metrics::new());
        let mut views = ProjectViews::new(cache.clone(), Arc::clone(&metrics));
        let (project, other, owner) = (ProjectId::new(), ProjectId::new(), UserId::new());
        let denied = || AgentError::Internal("denied".to_owned());
        let read = |value: u32| {
            let views = views.clone();
            async move {
                views
                    .get_or_load(project, owner, "status", "status", denied, || async move {
                        Ok((owner, value))
                    })
                    .await
                    .unwrap()
            }
        };
        assert_eq!(read(1).await, 1);
        assert_eq!(read(99).await, 1, "cached");

        // The write commits, its invalidation fails: the stale 1 must not be served.
        cache.down.store(true, std::sync::atomic::Ordering::SeqCst);
        views.invalidate(project).await;
        views.invalidate(other).await;
        assert_eq!(
            read(2).await,
            2,
            "bypassed while the invalidation is pending"
        );
        assert_eq!(read(3).await, 3);

        // The cache is back: the next read drops the stale views first, then caches again.
        cache.down.store(false, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(read(4).await, 4);
        assert_eq!(read(5).await, 4, "cached again");
        // The other project's invalidation waits for the next periodic retry.
        let pending =
            |views: &ProjectViews| views.cached.as_ref().unwrap().pending().projects.clone();
        assert_eq!(pending(&views), HashSet::from([other]));
        Arc::get_mut(views.cached.as_mut().unwrap())
            .unwrap()
            .retry_interval = Duration::ZERO;
        let again: u32 = views
            .get_or_load(project, owner, "status", "status", denied, || async {
                panic!("a hit does not load")
            })
            .await
            .unwrap();
        assert_eq!(again, 4);
        assert!(pending(&views).is_empty());
        let text = metrics.encode().unwrap();
        assert!(
            text.contains(r#"socrates_cache_requests_total{outcome="bypass",view="status"} 2"#)
        );
        assert!(
            text.contains(
                r#"socrates_cache_requests_total{outcome="invalidate_error",view="any"}"#
            )
        );
    }
}
