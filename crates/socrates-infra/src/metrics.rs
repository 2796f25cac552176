//! The service's Prometheus metrics, in a registry of their own (no global state: each
//! container, and so each test app, counts alone). The API records requests into it and
//! serves it at `GET /metrics`; the usage recorder records every model call; the gauges are
//! read from the databases when the metrics are scraped.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// Request latency buckets, in seconds: fine below 100 ms where the targets are.
const REQUEST_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Agent action latency buckets, in seconds: most actions are a few database statements.
const ACTION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Model call latency buckets, in seconds.
const LLM_BUCKETS: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0];

/// Every metric of the service.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_duration: HistogramVec,
    rate_limited: IntCounterVec,
    llm_duration: HistogramVec,
    llm_tokens: IntCounterVec,
    llm_failures: IntCounterVec,
    active_sessions: IntGauge,
    pool_connections: IntGaugeVec,
    cache: IntCounterVec,
    agent_actions: HistogramVec,
}

impl Metrics {
    /// A registry with every metric registered and at zero.
    #[must_use]
    #[expect(
        clippy::expect_used,
        reason = "the names, labels and buckets are constants: they register or every test fails"
    )]
    pub fn new() -> Self {
        Self::build().expect("the metric definitions are valid")
    }

    fn build() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("socrates_requests_total", "HTTP requests answered"),
            &["method", "endpoint", "status"],
        )?;
        let request_duration = HistogramVec::new(
            HistogramOpts::new(
                "socrates_request_duration_seconds",
                "Time to answer an HTTP request",
            )
            .buckets(REQUEST_BUCKETS.to_vec()),
            &["method", "endpoint"],
        )?;
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "socrates_rate_limit_rejections_total",
                "Requests refused with 429 by a rate limit",
            ),
            &["endpoint"],
        )?;
        let llm_duration = HistogramVec::new(
            HistogramOpts::new(
                "socrates_llm_call_duration_seconds",
                "Time of a language-model call, retries included",
            )
            .buckets(LLM_BUCKETS.to_vec()),
            &["provider", "model", "outcome"],
        )?;
        let llm_tokens = IntCounterVec::new(
            Opts::new(
                "socrates_llm_tokens_total",
                "Tokens read (input) and written (output) by the model",
            ),
            &["provider", "model", "direction"],
        )?;
        let llm_failures = IntCounterVec::new(
            Opts::new(
                "socrates_llm_failures_total",
                "Language-model calls that produced no usable answer",
            ),
            &["provider", "model", "error_code"],
        )?;
        let active_sessions = IntGauge::new(
            "socrates_active_sessions",
            "Sessions not ended, read from the database at each scrape",
        )?;
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "socrates_db_pool_connections",
                "Pooled database connections by state (in_use, idle)",
            ),
            &["database", "state"],
        )?;
        let cache = IntCounterVec::new(
            Opts::new(
                "socrates_cache_requests_total",
                "Cache lookups by view and outcome (hit, miss, error: the cache failed and the \
                 database answered, bypass: a failed invalidation of the project awaits its \
                 retry) and invalidation failures (invalidate_error)",
            ),
            &["view", "outcome"],
        )?;
        let agent_actions = HistogramVec::new(
            HistogramOpts::new(
                "socrates_agent_action_duration_seconds",
                "Time of an agent action in the orchestrator, account check and quality gate \
                 included; outcome is ok, rejected (invalid, not found, refused) or error",
            )
            .buckets(ACTION_BUCKETS.to_vec()),
            &["agent", "action", "outcome"],
        )?;
        registry.register(Box::new(agent_actions.clone()))?;
        registry.register(Box::new(cache.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(request_duration.clone()))?;
        registry.register(Box::new(rate_limited.clone()))?;
        registry.register(Box::new(llm_duration.clone()))?;
        registry.register(Box::new(llm_tokens.clone()))?;
        registry.register(Box::new(llm_failures.clone()))?;
        registry.register(Box::new(active_sessions.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        Ok(Self {
            registry,
            requests,
            request_duration,
            rate_limited,
            llm_duration,
            llm_tokens,
            llm_failures,
            active_sessions,
            pool_connections,
            cache,
            agent_actions,
        })
    }

    /// The timer of one agent action and outcome, resolved once when the orchestrator
    /// registers the action so that a call observes without a label lookup.
    #[must_use]
    pub fn agent_action_timer(
        &self,
        agent: &str,
        action: &str,
        outcome: &str,
    ) -> prometheus::Histogram {
        self.agent_actions
            .with_label_values(&[agent, action, outcome])
    }

    /// One answered request. `endpoint` is the route pattern (`/api/v1/projects/{id}`), never
    /// the raw path, so the label set stays bounded; `status` is the three-digit code.
    pub fn observe_request(&self, method: &str, endpoint: &str, status: &str, seconds: f64) {
        self.requests
            .with_label_values(&[method, endpoint, status])
            .inc();
        self.request_duration
            .with_label_values(&[method, endpoint])
            .observe(seconds);
        if status == "429" {
            self.rate_limited.with_label_values(&[endpoint]).inc();
        }
    }

    /// A model call that answered.
    pub fn observe_llm_call(
        &self,
        provider: &str,
        model: &str,
        input_tokens: u32,
        output_tokens: u32,
        milliseconds: u64,
    ) {
        self.llm_duration
            .with_label_values(&[provider, model, "success"])
            .observe(milliseconds as f64 / 1000.0);
        self.llm_tokens
            .with_label_values(&[provider, model, "input"])
            .inc_by(u64::from(input_tokens));
        self.llm_tokens
            .with_label_values(&[provider, model, "output"])
            .inc_by(u64::from(output_tokens));
    }

    /// A model call that failed.
    pub fn observe_llm_failure(&self, provider: &str, model: &str, code: &str, milliseconds: u64) {
        self.llm_duration
            .with_label_values(&[provider, model, "failure"])
            .observe(milliseconds as f64 / 1000.0);
        self.llm_failures
            .with_label_values(&[provider, model, code])
            .inc();
    }

    /// One cache lookup of `view` (`status`, `facts`) and its outcome (`hit`, `miss`,
    /// `error`), or a failed invalidation (`invalidate_error`).
    pub fn observe_cache(&self, view: &str, outcome: &str) {
        self.cache.with_label_values(&[view, outcome]).inc();
    }

    /// Sets the active-session gauge.
    pub fn set_active_sessions(&self, count: u64) {
        self.active_sessions
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// Sets the pool gauges of one database.
    pub fn set_pool(&self, database: &str, in_use: u32, idle: u32) {
        self.pool_connections
            .with_label_values(&[database, "in_use"])
            .set(i64::from(in_use));
        self.pool_connections
            .with_label_values(&[database, "idle"])
            .set(i64::from(idle));
    }

    /// Every metric in the Prometheus text format.
    pub fn encode(&self) -> Result<String, prometheus::Error> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        String::from_utf8(buffer).map_err(|error| prometheus::Error::Msg(error.to_string()))
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_model_calls_and_gauges_are_exposed_with_their_labels() {
        let metrics = Metrics::new();
        metrics.observe_request("GET", "/api/v1/projects/{id}", "200", 0.004);
        metrics.observe_request("POST", "/api/v1/auth/login", "429", 0.001);
        metrics.observe_llm_call("anthropic", "claude", 120, 30, 850);
        metrics.observe_llm_failure("anthropic", "claude", "LLM_TIMEOUT", 30_000);
        metrics.set_active_sessions(3);
        metrics.set_pool("specs", 2, 5);
        let text = metrics.encode().unwrap();
        for expected in [
            r#"socrates_requests_total{endpoint="/api/v1/projects/{id}",method="GET",status="200"} 1"#,
            r#"socrates_request_duration_seconds_bucket{endpoint="/api/v1/projects/{id}",method="GET",le="0.005"} 1"#,
            r#"socrates_rate_limit_rejections_total{endpoint="/api/v1/auth/login"} 1"#,
            r#"socrates_llm_tokens_total{direction="input",model="claude",provider="anthropic"} 120"#,
            r#"socrates_llm_tokens_total{direction="output",model="claude",provider="anthropic"} 30"#,
            r#"socrates_llm_failures_total{error_code="LLM_TIMEOUT",model="claude",provider="anthropic"} 1"#,
            r#"socrates_llm_call_duration_seconds_count{model="claude",outcome="success",provider="anthropic"} 1"#,
            "socrates_active_sessions 3",
            r#"socrates_db_pool_connections{database="specs",state="idle"} 5"#,
        ] {
            assert!(text.contains(expected), "missing `{expected}` in\n{text}");
        }
    }
}
