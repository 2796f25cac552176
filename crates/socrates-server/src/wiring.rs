//! Builds the service container from settings: secrets, hasher, limiter, mailer, Redis.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use secrecy::ExposeSecret;
use socrates_agents::usage::UsageRecorder;
use socrates_agents::{ContainerParts, RequestLimits, ServiceContainer};
use socrates_api::ApiConfig;
use socrates_auth::{AuthPolicy, AuthService, LogMailer, PasswordHasher, TokenService};
use socrates_domain::LlmProviderKind;
use socrates_infra::Clock;
use socrates_infra::cache::{Cache, FailoverCache, InProcessCache, RedisCache};
use socrates_infra::rate_limit::{
    FallbackRateLimiter, InProcessRateLimiter, Quota, RateLimiter, RedisRateLimiter,
};
use socrates_infra::redis::RedisPool;
use socrates_llm::{LlmClient, ModelPrice, PriceTable, ProviderConfig, RetryPolicy, build_client};
use socrates_persistence::{AuthDb, SpecsDb};
use socrates_reasoner::offline::OfflineData;
use socrates_reasoner::{LlmReasoner, OfflineReasoner, Reasoner, UsageSink};

use crate::settings::{Environment, LlmSettings, Settings};
use crate::version::VERSION;

/// The file the embedded default keeps its generated JWT secret in.
pub const JWT_SECRET_FILE: &str = "jwt_secret";

/// Assembles every dependency of the agents.
pub async fn build_container(
    settings: &Settings,
    auth_db: AuthDb,
    specs_db: SpecsDb,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<ServiceContainer> {
    if settings.codegen.lease_seconds < 3 {
        bail!("codegen.lease_seconds must be at least 3");
    }
    if settings.codegen.poll_interval_ms == 0 {
        bail!("codegen.poll_interval_ms must be at least 1");
    }
    if settings.retention.interval_minutes == 0 {
        bail!("retention.interval_minutes must be at least 1");
    }
    if settings.retention.conversation_history_days == Some(0) {
        bail!(
            "retention.conversation_history_days must be at least 1 (leave it unset to keep the history forever)"
        );
    }
    // A token lifetime of zero or less would sign every user out at once (or never let them
    // in); refuse it at start like the other impossible settings.
    if settings.auth.access_token_minutes < 1 {
        bail!(
            "auth.access_token_minutes must be at least 1, got {}",
            settings.auth.access_token_minutes
        );
    }
    if settings.auth.refresh_token_days < 1 {
        bail!(
            "auth.refresh_token_days must be at least 1, got {}",
            settings.auth.refresh_token_days
        );
    }
    let secret = jwt_secret(settings)?;
    let tokens = TokenService::new(
        &secret,
        chrono::Duration::minutes(settings.auth.access_token_minutes),
        Arc::clone(&clock),
    )
    .map_err(anyhow::Error::msg)?;
    if !(4..=31).contains(&settings.auth.bcrypt_cost) {
        bail!(
            "auth.bcrypt_cost must be between 4 and 31, got {}",
            settings.auth.bcrypt_cost
        );
    }
    if settings.environment == Environment::Production && settings.auth.bcrypt_cost < 12 {
        bail!("auth.bcrypt_cost must be at least 12 in production");
    }
    let hasher = PasswordHasher::new(settings.auth.bcrypt_cost);

    let redis = match &settings.redis.url {
        Some(url) => Some(
            RedisPool::connect_with(
                url.expose_secret(),
                settings.redis.max_connections,
                Duration::from_millis(settings.redis.timeout_milliseconds),
                Duration::from_millis(settings.redis.command_timeout_milliseconds.max(1)),
                Duration::from_millis(settings.redis.circuit_pause_milliseconds.max(1)),
            )
            .await
            .context("connect to Redis (REDIS_URL)")?,
        ),
        None => None,
    };
    let rate_limiter: Arc<dyn RateLimiter> = match &redis {
        Some(pool) => Arc::new(FallbackRateLimiter::new(
            RedisRateLimiter::new(
                pool.clone(),
                Arc::clone(&clock),
                settings.redis.key_prefix.clone(),
            ),
            InProcessRateLimiter::new(Arc::clone(&clock)),
        )),
        None => Arc::new(InProcessRateLimiter::new(Arc::clone(&clock))),
    };
    tracing::info!(
        rate_limiter = rate_limiter.kind(),
        "rate limits are enforced by this limiter"
    );
    let cache_ttl = Duration::from_secs(settings.cache.ttl_seconds.max(1));
    let cache: Arc<dyn Cache> = match &redis {
        Some(pool) => Arc::new(FailoverCache::new(
            Arc::new(RedisCache::new(
                pool.clone(),
                &settings.redis.key_prefix,
                cache_ttl,
            )),
            settings.cache.max_projects,
        )),
        None => {
            if settings.environment == Environment::Production {
                tracing::warn!(
                    "no REDIS_URL: the view cache and rate limits live in this process; run a \
                     single replica, or replicas serve views up to cache.ttl_seconds stale"
                );
            }
            Arc::new(InProcessCache::new(settings.cache.max_projects, cache_ttl))
        }
    };
    tracing::info!(
        cache = cache.kind(),
        ttl_seconds = cache_ttl.as_secs(),
        "project status and fact lists are cached here"
    );

    let policy = AuthPolicy {
        refresh_ttl: chrono::Duration::days(settings.auth.refresh_token_days),
        reset_ttl: chrono::Duration::minutes(settings.auth.password_reset_minutes),
        attempts_quota: Quota::per_minute(settings.rate_limit.auth_attempts_per_minute.max(1)),
        rate_limits_enabled: settings.rate_limit.enabled,
        reset_link_prefix: settings.auth.password_reset_link.clone(),
    };
    let auth = AuthService::new(
        auth_db.clone(),
        hasher,
        tokens,
        Arc::clone(&rate_limiter),
        Arc::new(LogMailer),
        Arc::clone(&clock),
        policy,
    );
    // The writer task ends once the container (the last recorder handle) is dropped;
    // `Application::run_until_stopped` flushes it before closing the pools.
    let (usage, _writer) = UsageRecorder::start(specs_db.clone(), Arc::clone(&clock));
    let (reasoner, llm_client, offline) = build_reasoner(settings, usage.clone())?;
    // A model writes a file in seconds to tens of seconds; the offline generator a project in
    // milliseconds, after the next poll.
    let estimated_seconds = if llm_client.is_some() { 180 } else { 5 };
    Ok(ServiceContainer::new(ContainerParts {
        cache,
        auth_db,
        specs_db,
        redis,
        reasoner,
        offline,
        llm_client,
        llm_health_ttl: Duration::from_secs(settings.llm.health_cache_seconds),
        learning_cohort_ttl: Duration::from_secs(settings.cache.cohort_ttl_seconds),
        codegen: socrates_agents::agents::code_generator::CodegenLimits {
            max_archive_bytes: settings.codegen.max_archive_bytes,
            estimated_seconds,
        },
        clock,
        rate_limiter,
        request_limits: RequestLimits {
            per_user: Quota::per_minute(settings.rate_limit.requests_per_minute.max(1)),
            enabled: settings.rate_limit.enabled,
        },
        auth,
        usage,
        version: VERSION,
    }))
}

/// The provider the settings choose: `llm.provider`, else the first configured of the
/// Anthropic key, the OpenAI key and the Ollama URL, else the offline reasoner.
fn provider_kind(llm: &LlmSettings) -> anyhow::Result<LlmProviderKind> {
    Ok(match &llm.provider {
        Some(name) => name
            .parse::<LlmProviderKind>()
            .map_err(|error| anyhow::anyhow!("llm.provider: {error}"))?,
        None if llm.anthropic_api_key.is_some() => LlmProviderKind::Claude,
        None if llm.openai_api_key.is_some() => LlmProviderKind::Openai,
        None if llm.ollama_url.is_some() => LlmProviderKind::Ollama,
        None => LlmProviderKind::Offline,
    })
}

/// The end-to-end deadline of a request: `http.request_deadline_seconds`, else 10 s with the
/// offline reasoner and 60 s with a language model (an answer waits on two model calls).
pub fn request_deadline(settings: &Settings) -> anyhow::Result<Duration> {
    let seconds = match settings.http.request_deadline_seconds {
        Some(0) => anyhow::bail!("http.request_deadline_seconds must be at least 1"),
        Some(seconds) => seconds,
        None if provider_kind(&settings.llm)? == LlmProviderKind::Offline => 10,
        None => 60,
    };
    Ok(Duration::from_secs(seconds))
}

/// The perimeter policy of the api crate.
pub fn api_config(settings: &Settings) -> anyhow::Result<ApiConfig> {
    Ok(ApiConfig {
        cors_origins: settings.http.cors_origins.clone(),
        trusted_hosts: settings.http.trusted_hosts.clone(),
        trusted_proxies: settings.http.trusted_proxies.clone(),
        json_limit_bytes: settings.http.json_limit_bytes,
        hsts: settings.http.hsts,
        metrics_token: settings
            .telemetry
            .metrics_token
            .as_ref()
            .map(|token| token.expose_secret().to_owned()),
        request_deadline: request_deadline(settings)?,
    })
}

/// The configured secret, or — outside production — one generated once and kept in the data
/// directory so tokens survive restarts.
fn jwt_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &settings.auth.jwt_secret {
        let bytes = secret.expose_secret().as_bytes().to_vec();
        if bytes.len() < TokenService::MIN_SECRET_BYTES {
            bail!(
                "JWT_SECRET must be at least {} bytes, got {}",
                TokenService::MIN_SECRET_BYTES,
                bytes.len()
            );
        }
        return Ok(bytes);
    }
    if settings.environment == Environment::Production {
        bail!(
            "JWT_SECRET is required in production (at least {} bytes)",
            TokenService::MIN_SECRET_BYTES
        );
    }
    load_or_create_secret(&settings.server.data_dir.join(JWT_SECRET_FILE))
}

fn load_or_create_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path.is_file() {
        let secret = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
        if secret.len() < TokenService::MIN_SECRET_BYTES {
            bail!(
                "{} holds fewer than {} bytes; delete it to regenerate",
                path.display(),
                TokenService::MIN_SECRET_BYTES
            );
        }
        return Ok(secret);
    }
    if let Some(directory) = path.parent() {
        std::fs::create_dir_all(directory)
            .with_context(|| format!("create {}", directory.display()))?;
    }
    let mut bytes = [0_u8; 48];
    rand::fill(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(bytes)
        .into_bytes();
    write_private(path, &secret).with_context(|| format!("write {}", path.display()))?;
    tracing::warn!(path = %path.display(), "generated a JWT secret for the embedded default; set JWT_SECRET in production");
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// The reasoner and the provider client it uses (none for the offline reasoner).
pub type ReasonerChoice = (
    Arc<dyn Reasoner>,
    Option<Arc<dyn LlmClient>>,
    Arc<OfflineData>,
);

/// The reasoner and its provider client, from the `llm` settings. A
/// configured provider that cannot be used is a start-up error, never a silent offline mode.
pub fn build_reasoner(
    settings: &Settings,
    usage_sink: Arc<dyn UsageSink>,
) -> anyhow::Result<ReasonerChoice> {
    let llm = &settings.llm;
    let data = OfflineData::load(llm.offline_data_dir.as_deref())
        .context("load the offline reasoner's data files")?;
    tracing::info!(
        data_dir = ?llm.offline_data_dir,
        technologies = data.knowledge().technologies().all().len(),
        keys = data.knowledge().vocabulary().all().len(),
        exclusion_rules = data.knowledge().conflict_rules().exclusions.len(),
        questions = data.questions().all().len(),
        "offline data loaded"
    );
    let data = Arc::new(data);
    let offline = OfflineReasoner::new(Arc::clone(&data));
    let provider = provider_kind(llm)?;
    if provider == LlmProviderKind::Offline {
        tracing::warn!(
            llm.provider = "offline",
            "no LLM provider configured: running the built-in offline reasoner"
        );
        return Ok((Arc::new(offline), None, data));
    }
    let model = llm
        .model
        .clone()
        .unwrap_or_else(|| default_model(provider).to_owned());
    let mut config = ProviderConfig::new(provider, model.clone())
        .with_timeout(Duration::from_secs(llm.timeout_seconds.max(1)))
        .with_retry(RetryPolicy {
            max_attempts: llm.max_attempts.max(1),
            total_budget: Duration::from_secs(llm.call_budget_seconds.max(1)),
            ..RetryPolicy::default()
        });
    let key = match provider {
        LlmProviderKind::Claude => Some(
            llm.anthropic_api_key
                .as_ref()
                .context("llm.provider is claude but ANTHROPIC_API_KEY is not set")?,
        ),
        LlmProviderKind::Openai => {
            if llm.openai_api_key.is_none() && llm.base_url.is_none() {
                bail!(
                    "llm.provider is openai but neither OPENAI_API_KEY nor llm.base_url (an OpenAI-compatible server) is set"
                );
            }
            llm.openai_api_key.as_ref()
        }
        LlmProviderKind::Ollama | LlmProviderKind::Offline => None,
    };
    if let Some(key) = key {
        config = config.with_api_key(key.expose_secret());
    }
    match (llm.input_price_per_1k_usd, llm.output_price_per_1k_usd) {
        (None, None) => {}
        (Some(input), Some(output)) if input >= 0.0 && output >= 0.0 => {
            let mut prices = PriceTable::default();
            prices.set_model_price(provider, model.clone(), ModelPrice::new(input, output));
            config = config.with_prices(prices);
        }
        _ => bail!(
            "llm.input_price_per_1k_usd and llm.output_price_per_1k_usd must be set together and not be negative"
        ),
    }
    let base_url = match provider {
        LlmProviderKind::Ollama => llm.base_url.clone().or_else(|| llm.ollama_url.clone()),
        _ => llm.base_url.clone(),
    };
    if let Some(base_url) = base_url {
        config = config.with_base_url(base_url);
    }
    let client = build_client(provider, config).context("build the language-model client")?;
    tracing::info!(llm.provider = provider.as_str(), llm.model = %model, "language-model provider configured");
    let reasoner: Arc<dyn Reasoner> =
        Arc::new(LlmReasoner::new(Arc::clone(&client), offline).with_usage_sink(usage_sink));
    Ok((reasoner, Some(client), data))
}

/// The model used when `llm.model` is unset.
fn default_model(provider: LlmProviderKind) -> &'static str {
    match provider {
        LlmProviderKind::Claude => "claude-3-5-sonnet-20241022",
        LlmProviderKind::Openai => "gpt-4o-mini",
        LlmProviderKind::Ollama => "llama3",
        LlmProviderKind::Offline => "offline",
    }
}
