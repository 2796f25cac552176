//! The retry loop shared by every call.

use std::future::Future;
use std::time::Duration;

use crate::config::RetryPolicy;
use crate::error::LlmError;

/// A failed attempt: the error, and how long the provider asked us to wait (`Retry-After`),
/// which may come with a 429 or a 5xx.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: LlmError,
    pub(crate) retry_after: Option<Duration>,
}

impl From<LlmError> for Failure {
    fn from(error: LlmError) -> Self {
        let retry_after = match &error {
            LlmError::RateLimited { retry_after } => *retry_after,
            _ => None,
        };
        Self { error, retry_after }
    }
}

/// Runs `attempt` until it succeeds, fails in a way that is not transient, or the policy's
/// attempts are spent. Between attempts it waits what the provider asked for, else the
/// policy's backoff; a provider asking for longer than `max_retry_after`, or a wait that would
/// end past the call's `total_budget`, ends the loop. A call still running when the budget is
/// spent ends with [`LlmError::Timeout`].
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    operation: &'static str,
    mut attempt: F,
) -> Result<T, LlmError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let max_attempts = policy.max_attempts.max(1);
    let deadline = tokio::time::Instant::now() + policy.total_budget;
    let mut number = 1;
    loop {
        let failure = match tokio::time::timeout_at(deadline, attempt()).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(failure)) => failure,
            Err(_) => {
                tracing::warn!(
                    llm.operation = operation,
                    llm.attempt = number,
                    llm.budget_ms =
                        u64::try_from(policy.total_budget.as_millis()).unwrap_or(u64::MAX),
                    "LLM call out of time"
                );
                return Err(LlmError::Timeout);
            }
        };
        if !failure.error.is_retryable() || number >= max_attempts {
            return Err(failure.error);
        }
        let delay = match failure.retry_after {
            Some(asked) if asked > policy.max_retry_after => return Err(failure.error),
            Some(asked) => asked,
            None => policy.backoff(number),
        };
        if tokio::time::Instant::now() + delay >= deadline {
            return Err(failure.error);
        }
        tracing::warn!(
            llm.operation = operation,
            llm.attempt = number,
            llm.retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            error = %failure.error,
            "LLM call failed; retrying"
        );
        tokio::time::sleep(delay).await;
        number += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn fast_policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            max_retry_after: Duration::from_millis(50),
            total_budget: Duration::from_secs(5),
        }
    }

    async fn run(policy: RetryPolicy, errors: Vec<LlmError>) -> (Result<u32, LlmError>, u32) {
        let calls = AtomicU32::new(0);
        let result = with_retries(&policy, "test", || {
            let call = calls.fetch_add(1, Ordering::SeqCst);
            let outcome = errors.get(call as usize).cloned();
            async move {
                match outcome {
                    Some(error) => Err(Failure::from(error)),
                    None => Ok(call),
                }
            }
        })
        .await;
        (result, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn transient_failures_are_retried_until_success() {
        let (result, calls) = run(
            fast_policy(3),
            vec![LlmError::Timeout, LlmError::Connection("reset".into())],
        )
        .await;
        assert_eq!(result, Ok(2));
        assert_eq!(calls, 3);
    }

    #[tokio::test]
    async fn attempts_are_bounded() {
        let (result, calls) = run(fast_policy(2), vec![LlmError::Timeout; 5]).await;
        assert_eq!(result, Err(LlmError::Timeout));
        assert_eq!(calls, 2);
    }

    #[tokio::test]
    async fn permanent_failures_are_not_retried() {
        let (result, calls) = run(
            fast_policy(3),
            vec![LlmError::InvalidRequest("HTTP 400".into())],
        )
        .await;
        assert!(matches!(result, Err(LlmError::InvalidRequest(_))));
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn a_retry_after_beyond_the_limit_ends_the_loop() {
        let too_long = LlmError::RateLimited {
            retry_after: Some(Duration::from_secs(60)),
        };
        let (result, calls) = run(fast_policy(3), vec![too_long.clone()]).await;
        assert_eq!(result, Err(too_long));
        assert_eq!(calls, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_whole_call_ends_when_its_budget_is_spent() {
        let policy = RetryPolicy {
            total_budget: Duration::from_secs(3),
            ..fast_policy(3)
        };
        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        // Every attempt hangs far longer than the budget.
        let result: Result<(), LlmError> = with_retries(&policy, "test", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_secs(40)).await;
                Err(Failure::from(LlmError::Timeout))
            }
        })
        .await;
        assert_eq!(result, Err(LlmError::Timeout));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn no_wait_reaches_past_the_budget() {
        let policy = RetryPolicy {
            total_budget: Duration::from_millis(30),
            max_retry_after: Duration::from_secs(60),
            ..fast_policy(3)
        };
        let asked = LlmError::RateLimited {
            retry_after: Some(Duration::from_secs(1)),
        };
        let (result, calls) = run(policy, vec![asked.clone(); 3]).await;
        assert_eq!(result, Err(asked));
        assert_eq!(calls, 1);
    }
}
