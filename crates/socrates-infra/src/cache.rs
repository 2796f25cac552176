//! The view cache's storage: a generational key-value cache of views grouped in scopes, kept
//! in Redis when `REDIS_URL` is set and in this process otherwise — both behind [`Cache`].
//!
//! A reader takes the scope's generation with the value; a writer stores a value only if the
//! scope is still at the generation it read; an invalidation moves the scope to its next
//! generation. So a value computed before an invalidation is never stored after it. What is
//! cached, for whom, and when it is invalidated is the agents' business (`ProjectViews`).
//!
//! With Redis, [`FailoverCache`] keeps views in the process while Redis is unavailable, so an
//! outage costs a few per-replica cache misses instead of every view read going to the
//! database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::error::InfraError;
use crate::redis::RedisPool;

/// A generational key-value cache of views grouped in scopes.
#[async_trait]
pub trait Cache: Send + Sync + std::fmt::Debug {
    /// `redis` or `in_process`.
    fn kind(&self) -> &'static str;

    /// The scope's generation and the value of `view` stored at it.
    async fn get(&self, scope: &str, view: &str) -> Result<(u64, Option<Vec<u8>>), InfraError>;

    /// Stores `value` as `view` of `scope` if the scope is still at `generation`.
    async fn put(
        &self,
        scope: &str,
        generation: u64,
        view: &str,
        value: Vec<u8>,
    ) -> Result<(), InfraError>;

    /// Moves `scope` to its next generation: every view stored before is gone.
    async fn invalidate(&self, scope: &str) -> Result<(), InfraError>;
}

/// Views of one scope at one generation.
#[derive(Debug, Default)]
struct ScopeState {
    generation: u64,
    views: HashMap<String, Arc<[u8]>>,
}

/// The in-process cache: scopes in a bounded `moka` cache that expire after the TTL.
#[derive(Debug, Clone)]
pub struct InProcessCache {
    scopes: moka::sync::Cache<String, Arc<Mutex<ScopeState>>>,
}

/// Views kept per scope at most (pages of a fact list); beyond it the scope starts over.
const MAX_VIEWS_PER_SCOPE: usize = 64;

impl InProcessCache {
    /// Up to `max_scopes` scopes, each kept for `ttl` after it was first read.
    #[must_use]
    pub fn new(max_scopes: u64, ttl: Duration) -> Self {
        Self {
            scopes: moka::sync::Cache::builder()
                .max_capacity(max_scopes)
                .time_to_live(ttl)
                .build(),
        }
    }

    fn scope(&self, scope: &str) -> Arc<Mutex<ScopeState>> {
        self.scopes.get_with_by_ref(scope, Arc::default)
    }
}

#[async_trait]
impl Cache for InProcessCache {
    fn kind(&self) -> &'static str {
        "in_process"
    }

    async fn get(&self, scope: &str, view: &str) -> Result<(u64, Option<Vec<u8>>), InfraError> {
        let scope = self.scope(scope);
        let state = scope.lock().unwrap_or_else(PoisonError::into_inner);
        Ok((
            state.generation,
            state.views.get(view).map(|value| value.to_vec()),
        ))
    }

    async fn put(
        &self,
        scope: &str,
        generation: u64,
        view: &str,
        value: Vec<u8>,
    ) -> Result<(), InfraError> {
        let scope = self.scope(scope);
        let mut state = scope.lock().unwrap_or_else(PoisonError::into_inner);
        if state.generation == generation {
            if state.views.len() >= MAX_VIEWS_PER_SCOPE {
                state.views.clear();
            }
            state.views.insert(view.to_owned(), value.into());
        }
        Ok(())
    }

    async fn invalidate(&self, scope: &str) -> Result<(), InfraError> {
        // A scope that is not cached has nothing to drop; a reader holding an evicted scope
        // stores into an object no one reads any more.
        if let Some(scope) = self.scopes.get(scope) {
            let mut state = scope.lock().unwrap_or_else(PoisonError::into_inner);
            state.generation += 1;
            state.views.clear();
        }
        Ok(())
    }
}

/// The Redis cache: one hash per scope, read and written by atomic scripts.
#[derive(Debug, Clone)]
pub struct RedisCache {
    redis: RedisPool,
    prefix: String,
    ttl_ms: u64,
}

impl RedisCache {
    /// Keys are `<prefix>:cache:<scope>`; scopes live `ttl` after their first stored view.
    #[must_use]
    pub fn new(redis: RedisPool, prefix: &str, ttl: Duration) -> Self {
        Self {
            redis,
            prefix: format!("{prefix}:cache:"),
            ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1),
        }
    }

    fn key(&self, scope: &str) -> String {
        format!("{}{scope}", self.prefix)
    }
}

#[async_trait]
impl Cache for RedisCache {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn get(&self, scope: &str, view: &str) -> Result<(u64, Option<Vec<u8>>), InfraError> {
        self.redis.cache_get(&self.key(scope), view).await
    }

    async fn put(
        &self,
        scope: &str,
        generation: u64,
        view: &str,
        value: Vec<u8>,
    ) -> Result<(), InfraError> {
        self.redis
            .cache_put(&self.key(scope), generation, view, &value, self.ttl_ms)
            .await
            .map(|_| ())
    }

    async fn invalidate(&self, scope: &str) -> Result<(), InfraError> {
        self.redis
            .cache_invalidate(&self.key(scope), self.ttl_ms)
            .await
    }
}

/// How long a view kept in the process while Redis is unavailable may be served. Another
/// replica's write cannot drop it, so it bounds how stale such a view can be.
pub const FAILOVER_TTL: Duration = Duration::from_secs(5);

/// Marks a generation handed out by the in-process side of a [`FailoverCache`], so that the
/// `put` that follows the `get` goes to the same side.
const LOCAL_GENERATION: u64 = 1 << 63;

/// The shared cache (Redis) with an in-process cache behind it for when the shared one fails.
///
/// Reads go to the shared cache; when it fails (a timeout, or its circuit is open) they go to
/// the in-process cache, whose views live [`FAILOVER_TTL`] at most. Every invalidation drops
/// the view in both; a failed shared invalidation is still reported as an error, so that the
/// caller keeps the project off the shared cache until it can be dropped there too.
#[derive(Debug)]
pub struct FailoverCache {
    shared: Arc<dyn Cache>,
    local: InProcessCache,
}

impl FailoverCache {
    /// `shared` with an in-process cache of up to `max_scopes` scopes behind it.
    #[must_use]
    pub fn new(shared: Arc<dyn Cache>, max_scopes: u64) -> Self {
        Self {
            shared,
            local: InProcessCache::new(max_scopes, FAILOVER_TTL),
        }
    }
}

#[async_trait]
impl Cache for FailoverCache {
    fn kind(&self) -> &'static str {
        self.shared.kind()
    }

    async fn get(&self, scope: &str, view: &str) -> Result<(u64, Option<Vec<u8>>), InfraError> {
        match self.shared.get(scope, view).await {
            Ok((generation, value)) => Ok((generation & !LOCAL_GENERATION, value)),
            Err(error) => {
                // The circuit's opening was logged once; other failures are logged each.
                if !matches!(error, InfraError::RedisCircuitOpen) {
                    tracing::warn!(error = %error, "cache read failed; this process's cache answers");
                }
                let (generation, value) = self.local.get(scope, view).await?;
                Ok((generation | LOCAL_GENERATION, value))
            }
        }
    }

    async fn put(
        &self,
        scope: &str,
        generation: u64,
        view: &str,
        value: Vec<u8>,
    ) -> Result<(), InfraError> {
        if generation & LOCAL_GENERATION == 0 {
            self.shared.put(scope, generation, view, value).await
        } else {
            self.local
                .put(scope, generation & !LOCAL_GENERATION, view, value)
                .await
        }
    }

    async fn invalidate(&self, scope: &str) -> Result<(), InfraError> {
        self.local.invalidate(scope).await?;
        self.shared.invalidate(scope).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[tokio::test]
    async fn a_value_read_before_an_invalidation_is_not_stored_after_it() {
        let cache = InProcessCache::new(100, Duration::from_secs(60));
        let (generation, value) = cache.get("p", "status").await.unwrap();
        assert_eq!((generation, value), (0, None));
        cache.invalidate("p").await.unwrap();
        cache
            .put("p", generation, "status", b"old".to_vec())
            .await
            .unwrap();
        assert_eq!(cache.get("p", "status").await.unwrap(), (1, None));
        cache.put("p", 1, "status", b"new".to_vec()).await.unwrap();
        assert_eq!(
            cache.get("p", "status").await.unwrap(),
            (1, Some(b"new".to_vec()))
        );
        cache.invalidate("p").await.unwrap();
        assert_eq!(cache.get("p", "status").await.unwrap(), (2, None));
    }

    /// A shared cache that fails while `down` is set.
    #[derive(Debug)]
    struct Outage {
        inner: Option<InProcessCache>,
        down: std::sync::atomic::AtomicBool,
    }

    impl Outage {
        fn check(&self) -> Result<&InProcessCache, InfraError> {
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                Err(InfraError::RedisCircuitOpen)
            } else {
                Ok(self.inner.as_ref().unwrap())
            }
        }
    }

    #[async_trait]
    impl Cache for Outage {
        fn kind(&self) -> &'static str {
            "redis"
        }
        async fn get(&self, scope: &str, view: &str) -> Result<(u64, Option<Vec<u8>>), InfraError> {
            self.check()?.get(scope, view).await
        }
        async fn put(
            &self,
            scope: &str,
            generation: u64,
            view: &str,
            value: Vec<u8>,
        ) -> Result<(), InfraError> {
            self.check()?.put(scope, generation, view, value).await
        }
        async fn invalidate(&self, scope: &str) -> Result<(), InfraError> {
            self.check()?.invalidate(scope).await
        }
    }

    #[tokio::test]
    async fn views_are_kept_in_the_process_while_the_shared_cache_is_down() {
        let shared = Arc::new(Outage {
            inner: Some(InProcessCache::new(100, Duration::from_secs(60))),
            down: false.into(),
        });
        let cache = FailoverCache::new(Arc::clone(&shared) as Arc<dyn Cache>, 100);
        let (generation, _) = cache.get("p", "status").await.unwrap();
        cache
            .put("p", generation, "status", b"shared".to_vec())
            .await
            .unwrap();
        assert_eq!(
            cache.get("p", "status").await.unwrap().1,
            Some(b"shared".to_vec())
        );

        shared.down.store(true, std::sync::atomic::Ordering::SeqCst);
        let (generation, value) = cache.get("p", "status").await.unwrap();
        assert_eq!(value, None, "the shared view is out of reach, not served");
        cache
            .put("p", generation, "status", b"local".to_vec())
            .await
            .unwrap();
        assert_eq!(
            cache.get("p", "status").await.unwrap().1,
            Some(b"local".to_vec())
        );

        // A write during the outage drops the local view and reports the shared failure.
        assert!(cache.invalidate("p").await.is_err());
        assert_eq!(cache.get("p", "status").await.unwrap().1, None);

        // Back: the shared cache answers again; a local generation never lands there.
        let (stale_local_generation, _) = cache.get("p", "status").await.unwrap();
        shared
            .down
            .store(false, std::sync::atomic::Ordering::SeqCst);
        cache
            .put("p", stale_local_generation, "status", b"late".to_vec())
            .await
            .unwrap();
        assert_eq!(
            cache.get("p", "status").await.unwrap().1,
            Some(b"shared".to_vec())
        );
    }
}
