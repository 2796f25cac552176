//! How a client is configured: where the provider is, which model, the key, the timeout, the
//! retry policy and the prices.

use std::fmt;
use std::time::Duration;

use rand::Rng;
use socrates_domain::LlmProviderKind;

use crate::pricing::PriceTable;

/// The per-attempt timeout when settings say nothing.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// When and how often a failed call is tried again. Only transient failures are retried (see
/// [`LlmError::is_retryable`](crate::LlmError::is_retryable)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 disables retries.
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles for each further attempt.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts computed by backoff.
    pub max_backoff: Duration,
    /// The longest `Retry-After` the client will wait for; a provider asking for more gets
    /// its error passed straight to the caller.
    pub max_retry_after: Duration,
    /// The whole call, every attempt and wait included: past it the call ends with
    /// [`LlmError::Timeout`](crate::LlmError::Timeout), whatever attempt was running.
    pub total_budget: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, waiting about 0.5 s and then 1 s; `Retry-After` honoured up to 30 s;
    /// 25 s for the whole call.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            total_budget: Duration::from_secs(25),
        }
    }
}

impl RetryPolicy {
    /// A policy that makes exactly one attempt.
    #[must_use]
    pub fn no_retries() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait after failed attempt number `attempt` (1-based): exponential backoff capped at
    /// `max_backoff`, with jitter drawing uniformly from its upper half so that clients that
    /// failed together do not retry together.
    #[must_use]
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(20);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1_u32 << doublings)
            .min(self.max_backoff);
        let ceiling_micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
        if ceiling_micros < 2 {
            return ceiling;
        }
        let floor_micros = ceiling_micros / 2;
        Duration::from_micros(rand::rng().random_range(floor_micros..=ceiling_micros))
    }
}

/// Everything a provider client needs. The same shape serves every provider; start from
/// [`ProviderConfig::new`], which fills in the provider's public base URL.
#[derive(Clone)]
pub struct ProviderConfig {
    /// The provider's base URL without the API path, e.g. `https://api.anthropic.com` or
    /// `http://localhost:11434`. A trailing `/` or `/v1` is tolerated.
    pub base_url: String,
    /// The API key, if the provider needs one (Claude always; OpenAI-compatible servers and
    /// Ollama usually not when local). Never printed by `Debug`.
    pub api_key: Option<String>,
    /// The model to ask, as the provider names it.
    pub model: String,
    /// The limit on each attempt: on the whole exchange for a complete answer, and on the
    /// wait for the response head and for each further piece of a streamed one.
    pub timeout: Duration,
    /// When to try again.
    pub retry: RetryPolicy,
    /// The prices used to fill [`Usage::cost_usd`](crate::Usage::cost_usd).
    pub prices: PriceTable,
}

impl ProviderConfig {
    /// A configuration for `model` at `provider`'s public endpoint, with no key, the default
    /// timeout, retry policy and prices.
    pub fn new(provider: LlmProviderKind, model: impl Into<String>) -> Self {
        Self {
            base_url: Self::default_base_url(provider).to_owned(),
            api_key: None,
            model: model.into(),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            prices: PriceTable::default(),
        }
    }

    /// The public endpoint of a provider: Anthropic's and OpenAI's APIs, and Ollama on its
    /// default local port. Empty for the offline provider, which has none.
    #[must_use]
    pub const fn default_base_url(provider: LlmProviderKind) -> &'static str {
        match provider {
            LlmProviderKind::Claude => "https://api.anthropic.com",
            LlmProviderKind::Openai => "https://api.openai.com",
            LlmProviderKind::Ollama => "http://localhost:11434",
            LlmProviderKind::Offline => "",
        }
    }

    /// The same configuration with another base URL.
    #[must_use]
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The same configuration with an API key.
    #[must_use]
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// The same configuration with another per-attempt timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same configuration with another retry policy.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The same configuration with other prices.
    #[must_use]
    pub fn with_prices(mut self, prices: PriceTable) -> Self {
        self.prices = prices;
        self
    }
}

impl fmt::Debug for ProviderConfig {
    /// Everything except the key, which shows only whether it is set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("prices", &self.prices)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_key() {
        let config = ProviderConfig::new(LlmProviderKind::Claude, "claude-sonnet-4-5")
            .with_api_key("sk-ant-very-secret");
        let printed = format!("{config:?}");
        assert!(!printed.contains("very-secret"), "{printed}");
        assert!(printed.contains("[redacted]"));
        assert!(printed.contains("https://api.anthropic.com"));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_ceiling() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let second = policy.backoff(2);
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200));
            let capped = policy.backoff(30);
            assert!(capped >= Duration::from_millis(150) && capped <= Duration::from_millis(300));
        }
        let zero = RetryPolicy {
            initial_backoff: Duration::ZERO,
            ..RetryPolicy::default()
        };
        assert_eq!(zero.backoff(3), Duration::ZERO);
    }
}
