//! Typed settings, layered: built-in defaults → optional TOML file → environment.
//!
//! The embedded default needs no configuration at all: two SQLite files under `data/`, the
//! in-process cache and the offline reasoner, listening on `127.0.0.1:8080`. Secrets (database
//! URLs may carry passwords) are wrapped in [`SecretString`] so they never reach a log line.
//! Unknown keys in the file or in `SOCRATES_*` variables are errors, so a typo never silently
//! falls back to a default.

use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use socrates_persistence::DatabaseOptions;

/// The file read when no `--config`/`SOCRATES_CONFIG` is given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "socrates.toml";
/// The variable naming a config file.
pub const CONFIG_FILE_VAR: &str = "SOCRATES_CONFIG";
/// The prefix of generic variables (`SOCRATES_SERVER__PORT=9000` sets `server.port`).
pub const ENV_PREFIX: &str = "SOCRATES_";

/// The SPEC's configuration names and the setting each one fills.
pub const NAMED_VARIABLES: &[(&str, &str)] = &[
    ("APP_ENV", "environment"),
    ("DATABASE_AUTH_URL", "database.auth_url"),
    ("DATABASE_SPECS_URL", "database.specs_url"),
    ("REDIS_URL", "redis.url"),
    ("JWT_SECRET", "auth.jwt_secret"),
    ("ANTHROPIC_API_KEY", "llm.anthropic_api_key"),
    ("OPENAI_API_KEY", "llm.openai_api_key"),
    ("OLLAMA_URL", "llm.ollama_url"),
    ("SENTRY_DSN", "telemetry.sentry_dsn"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "telemetry.otlp_endpoint"),
];

/// Where the server runs; production turns on the strict start-up checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// A developer's machine: migrations are applied at start.
    #[default]
    Development,
    /// Automated tests.
    Test,
    /// Production: migrations must have been run explicitly, logs are JSON.
    Production,
}

impl Environment {
    /// The name used in logs and reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// All settings of the server.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// `development`, `test` or `production` (`APP_ENV`).
    pub environment: Environment,
    /// The HTTP listener.
    pub server: ServerSettings,
    /// Both databases and their pools.
    pub database: DatabaseSettings,
    /// Logging.
    pub telemetry: TelemetrySettings,
    /// Accounts and tokens.
    pub auth: AuthSettings,
    /// Request quotas.
    pub rate_limit: RateLimitSettings,
    /// The shared Redis (rate limits across instances).
    pub redis: RedisSettings,
    /// The HTTP perimeter: CORS, trusted hosts and proxies, body limits.
    pub http: HttpSettings,
    /// The language-model provider.
    pub llm: LlmSettings,
    /// How long conversation history is kept.
    pub retention: RetentionSettings,
    /// The view cache (project status, fact lists).
    pub cache: CacheSettings,
    /// Code generation jobs.
    pub codegen: CodegenSettings,
}

/// Code generation: jobs in the database, claimed by a pool of workers in every server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CodegenSettings {
    /// Jobs this server runs at once; 0 runs none here (other instances do).
    pub workers: usize,
    /// How long a claimed job stays this server's without a heartbeat; a job whose server
    /// died is taken by another worker after it.
    pub lease_seconds: u64,
    /// How often an idle worker looks for a job.
    pub poll_interval_ms: u64,
    /// The largest generated project, in bytes before compression: a generation over it
    /// fails, a download over it is refused (`EXPORT_TOO_LARGE`).
    pub max_archive_bytes: u64,
    /// A pause after each generated file, to spread a generation's CPU over time on a small
    /// machine; 0 generates at full speed.
    pub pause_between_files_ms: u64,
}

impl Default for CodegenSettings {
    fn default() -> Self {
        Self {
            workers: 2,
            lease_seconds: 60,
            poll_interval_ms: 1_000,
            max_archive_bytes: 50 * 1024 * 1024,
            pause_between_files_ms: 0,
        }
    }
}

/// The view cache: in Redis when `REDIS_URL` is set, in this process otherwise.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// How long a project's cached views live at most (also the bound on staleness after a
    /// failed invalidation).
    pub ttl_seconds: u64,
    /// Projects whose views the in-process cache keeps at most.
    pub max_projects: u64,
    /// How long each process keeps what a question template did for a group of users (the
    /// learned prior of the next-question choice); 0 reads it on every question.
    pub cohort_ttl_seconds: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            ttl_seconds: 300,
            max_projects: 10_000,
            cohort_ttl_seconds: 60,
        }
    }
}

/// Data retention.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    /// Conversation history older than this many days is pruned; unset keeps it forever.
    pub conversation_history_days: Option<u32>,
    /// How often the pruning job runs.
    pub interval_minutes: u64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            conversation_history_days: None,
            interval_minutes: 60,
        }
    }
}

/// The language-model provider. With nothing set the server runs the offline reasoner.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmSettings {
    /// `offline`, `claude`, `openai` or `ollama`; when unset, the first configured of
    /// `ANTHROPIC_API_KEY`, `OPENAI_API_KEY`, `OLLAMA_URL` decides, else `offline`.
    pub provider: Option<String>,
    /// The model; a per-provider default when unset.
    pub model: Option<String>,
    /// Another endpoint (an OpenAI-compatible server, a proxy); the provider's public one
    /// (or `OLLAMA_URL`) when unset.
    pub base_url: Option<String>,
    /// `ANTHROPIC_API_KEY`.
    pub anthropic_api_key: Option<SecretString>,
    /// `OPENAI_API_KEY`.
    pub openai_api_key: Option<SecretString>,
    /// `OLLAMA_URL`, e.g. `http://127.0.0.1:11434`.
    pub ollama_url: Option<String>,
    /// Timeout of each attempt.
    pub timeout_seconds: u64,
    /// Attempts per call (retries on 429, 5xx, timeouts).
    pub max_attempts: u32,
    /// The whole of one model call, every attempt and wait included; past it the call is a
    /// 504 `LLM_TIMEOUT`. An answer makes two calls, so keep twice this under the request
    /// deadline.
    pub call_budget_seconds: u64,
    /// How long `/health` reuses a provider probe.
    pub health_cache_seconds: u64,
    /// Price of the configured model's input, USD per 1 000 tokens; the built-in price table
    /// when unset. Set together with `output_price_per_1k_usd`.
    pub input_price_per_1k_usd: Option<f64>,
    /// Price of the configured model's output, USD per 1 000 tokens.
    pub output_price_per_1k_usd: Option<f64>,
    /// A directory whose `technologies.toml`, `vocabulary.toml`, `conflict_rules.toml`,
    /// `lexicon.toml` or `questions.toml` replace the built-in offline data files.
    pub offline_data_dir: Option<PathBuf>,
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            provider: None,
            model: None,
            base_url: None,
            anthropic_api_key: None,
            openai_api_key: None,
            ollama_url: None,
            timeout_seconds: 30,
            max_attempts: 3,
            call_budget_seconds: 25,
            health_cache_seconds: 30,
            input_price_per_1k_usd: None,
            output_price_per_1k_usd: None,
            offline_data_dir: None,
        }
    }
}

/// Accounts and tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// HS256 secret, at least 32 bytes (`JWT_SECRET`). Required in production; the embedded
    /// default generates one in `data_dir/jwt_secret` so tokens survive restarts.
    pub jwt_secret: Option<SecretString>,
    /// bcrypt cost (12; lower only in tests).
    pub bcrypt_cost: u32,
    /// Access-token lifetime.
    pub access_token_minutes: i64,
    /// Refresh-token lifetime.
    pub refresh_token_days: i64,
    /// Password-reset link lifetime.
    pub password_reset_minutes: i64,
    /// The reset link mailed to users; the token is appended.
    pub password_reset_link: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            bcrypt_cost: 12,
            access_token_minutes: 30,
            refresh_token_days: 7,
            password_reset_minutes: 60,
            password_reset_link: "http://127.0.0.1:8080/reset-password?token=".to_owned(),
        }
    }
}

/// Request quotas.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Enforce the quotas.
    pub enabled: bool,
    /// Login, registration, password reset, password change and account deletion attempts per
    /// minute, per client address and per account.
    pub auth_attempts_per_minute: u32,
    /// Requests per minute per authenticated user.
    pub requests_per_minute: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            auth_attempts_per_minute: 5,
            requests_per_minute: 100,
        }
    }
}

/// The shared Redis.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisSettings {
    /// `redis://host:port/db` (`REDIS_URL`); in-process limits when unset.
    pub url: Option<SecretString>,
    /// Pool size.
    pub max_connections: usize,
    /// Connect and command wait timeout.
    pub timeout_milliseconds: u64,
    /// Deadline of every command after start, checkout included.
    pub command_timeout_milliseconds: u64,
    /// How long the circuit stays open after repeated failures before one call probes Redis.
    pub circuit_pause_milliseconds: u64,
    /// Prefix of every key, so several deployments can share one Redis.
    pub key_prefix: String,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 16,
            timeout_milliseconds: 2000,
            command_timeout_milliseconds: 250,
            circuit_pause_milliseconds: 5000,
            key_prefix: "socrates".to_owned(),
        }
    }
}

/// The HTTP perimeter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Origins allowed by CORS; none by default.
    pub cors_origins: Vec<String>,
    /// Hosts served (`example.com`, `*.example.com`); any when empty (the embedded default).
    pub trusted_hosts: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Largest JSON body in bytes.
    pub json_limit_bytes: usize,
    /// Send `Strict-Transport-Security`.
    pub hsts: bool,
    /// The end-to-end deadline of every request, in seconds; when unset, 10 with the offline
    /// reasoner and 60 with a language model.
    pub request_deadline_seconds: Option<u64>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            trusted_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            json_limit_bytes: 1024 * 1024,
            hsts: true,
            request_deadline_seconds: None,
        }
    }
}

/// The HTTP listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to bind.
    pub host: String,
    /// Port to bind (0 picks a free one).
    pub port: u16,
    /// Worker threads; the number of CPUs when unset.
    pub workers: Option<usize>,
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT.
    pub shutdown_timeout_seconds: u64,
    /// Where the embedded default keeps its files.
    pub data_dir: PathBuf,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 8080,
            workers: None,
            shutdown_timeout_seconds: 30,
            data_dir: PathBuf::from("data"),
        }
    }
}

/// Both databases and their pools.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// URL of `socrates_auth` (`DATABASE_AUTH_URL`); an SQLite file under `data_dir` when unset.
    pub auth_url: Option<SecretString>,
    /// URL of `socrates_specs` (`DATABASE_SPECS_URL`); an SQLite file under `data_dir` when unset.
    pub specs_url: Option<SecretString>,
    /// Pool size per database.
    pub max_connections: u32,
    /// Connections kept open per database.
    pub min_connections: u32,
    /// Wait for a pooled connection at most this long.
    pub acquire_timeout_seconds: u64,
    /// Idle connections are closed after this long.
    pub idle_timeout_seconds: u64,
    /// Connections are recycled after this long.
    pub max_lifetime_seconds: u64,
    /// PostgreSQL `statement_timeout`; 0 leaves the server default.
    pub statement_timeout_seconds: u64,
    /// Statements slower than this are logged at warn level.
    pub slow_statement_milliseconds: u64,
    /// A pooled connection idle at least this long is pinged before it is handed out; busier
    /// ones are not (a ping on every checkout costs a round trip per statement). 0 pings on
    /// every checkout.
    pub ping_if_idle_seconds: u64,
    /// Apply pending migrations at start; defaults to true except in production.
    pub auto_migrate: Option<bool>,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            auth_url: None,
            specs_url: None,
            max_connections: 20,
            min_connections: 1,
            acquire_timeout_seconds: 5,
            idle_timeout_seconds: 600,
            max_lifetime_seconds: 3600,
            statement_timeout_seconds: 30,
            slow_statement_milliseconds: 1000,
            ping_if_idle_seconds: 10,
            auto_migrate: None,
        }
    }
}

/// Logging.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetrySettings {
    /// A `tracing` filter such as `info` or `socrates=debug,info` (`RUST_LOG` wins when set).
    pub log_level: String,
    /// `pretty` or `json`; JSON by default in production.
    pub log_format: Option<LogFormat>,
    /// When set, `GET /metrics` wants `Authorization: Bearer <this>`.
    pub metrics_token: Option<SecretString>,
    /// Where panics and failed requests are reported (`SENTRY_DSN`); off when unset.
    pub sentry_dsn: Option<SecretString>,
    /// The share of error events sent to Sentry, 0.0–1.0.
    pub sentry_sample_rate: f32,
    /// An OpenTelemetry collector's OTLP/HTTP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, such as
    /// `http://collector:4318`); traces are exported when set.
    pub otlp_endpoint: Option<String>,
    /// The share of new traces exported, 0.0–1.0 (a sampled parent is always followed).
    pub otlp_sample_ratio: f64,
    /// `service.name` of the exported traces.
    pub service_name: String,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            log_level: "info".to_owned(),
            log_format: None,
            metrics_token: None,
            sentry_dsn: None,
            sentry_sample_rate: 1.0,
            otlp_endpoint: None,
            otlp_sample_ratio: 1.0,
            service_name: "socrates".to_owned(),
        }
    }
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The named config file does not exist.
    #[error("config file `{0}` does not exist")]
    MissingFile(PathBuf),
    /// A value is malformed or a key is unknown.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Loads settings from the defaults, the config file (explicit path, else `socrates.toml`
    /// when present) and the process environment.
    pub fn load(config_file: Option<&Path>) -> Result<Self, SettingsError> {
        let explicit = config_file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os(CONFIG_FILE_VAR).map(PathBuf::from));
        let mut figment = Figment::new();
        match explicit {
            Some(path) if !path.is_file() => return Err(SettingsError::MissingFile(path)),
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE));
            }
            None => {}
        }
        let named = Env::raw()
            .only(
                &NAMED_VARIABLES
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>(),
            )
            .map(|key| {
                NAMED_VARIABLES
                    .iter()
                    .find(|(name, _)| key.as_str().eq_ignore_ascii_case(name))
                    .map_or_else(|| key.as_str().to_owned(), |(_, path)| (*path).to_owned())
                    .into()
            });
        // `SOCRATES_CONFIG` names the file and `SOCRATES_TEST_*` belong to the test harness.
        let prefixed = Env::prefixed(ENV_PREFIX)
            .filter(|key| {
                let key = key.as_str().to_ascii_lowercase();
                key != "config" && !key.starts_with("test_")
            })
            .split("__");
        figment
            .merge(named)
            .merge(prefixed)
            .extract()
            .map_err(|error| SettingsError::Invalid(one_line(&error)))
    }

    /// Pool options of the auth database.
    pub fn auth_database(&self) -> DatabaseOptions {
        self.database_options(self.database.auth_url.as_ref(), "socrates_auth.db")
    }

    /// Pool options of the specs database.
    pub fn specs_database(&self) -> DatabaseOptions {
        self.database_options(self.database.specs_url.as_ref(), "socrates_specs.db")
    }

    fn database_options(&self, url: Option<&SecretString>, file: &str) -> DatabaseOptions {
        let url = url.map_or_else(
            || {
                format!(
                    "sqlite://{}?mode=rwc",
                    self.server.data_dir.join(file).display()
                )
            },
            |url| url.expose_secret().to_owned(),
        );
        let database = &self.database;
        DatabaseOptions {
            url,
            max_connections: database.max_connections,
            min_connections: database.min_connections,
            acquire_timeout: Duration::from_secs(database.acquire_timeout_seconds),
            idle_timeout: Duration::from_secs(database.idle_timeout_seconds),
            max_lifetime: Duration::from_secs(database.max_lifetime_seconds),
            statement_timeout: (database.statement_timeout_seconds > 0)
                .then(|| Duration::from_secs(database.statement_timeout_seconds)),
            slow_statement_threshold: Duration::from_millis(database.slow_statement_milliseconds),
            ping_if_idle: Duration::from_secs(database.ping_if_idle_seconds),
        }
    }

    /// Whether pending migrations are applied at start.
    pub fn auto_migrate(&self) -> bool {
        self.database
            .auto_migrate
            .unwrap_or(self.environment != Environment::Production)
    }

    /// The effective log format.
    pub fn log_format(&self) -> LogFormat {
        self.telemetry.log_format.unwrap_or(match self.environment {
            Environment::Production => LogFormat::Json,
            Environment::Development | Environment::Test => LogFormat::Pretty,
        })
    }
}

/// Figment's message on one line (it can span several for nested errors).
fn one_line(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|error| error.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail closures must return figment::Error, which is large"
)]
mod tests;
