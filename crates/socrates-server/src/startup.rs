//! Start-up: connect, check or apply migrations, build the service container, bind, serve.

use std::net::TcpListener;
use std::time::Instant;

use actix_web::HttpServer;
use actix_web::dev::Server;
use anyhow::{Context, bail};
use std::sync::Arc;

use socrates_agents::ServiceContainer;
use socrates_infra::{Clock, SystemClock};
use socrates_persistence::{AuthDb, Database, DatabaseKind, SpecsDb};

use crate::settings::{Environment, Settings};
use crate::version::VERSION;
use crate::wiring;
use socrates_agents::codegen_model::ModelWriter;
use socrates_agents::codegen_worker::{CodegenWorkers, WorkerConfig};
use socrates_agents::retention::{RetentionJob, RetentionPolicy};

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    databases: (AuthDb, SpecsDb),
    services: ServiceContainer,
    /// The retention job: spent credentials always, conversation history when configured.
    retention: tokio::task::JoinHandle<()>,
    /// The code generation workers.
    codegen: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects both databases, applies or checks migrations, builds the container and binds
    /// the listener. Every failure names what is wrong in one line.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Like [`Self::build`] with an injected clock (tests move time instead of sleeping).
    pub async fn build_with_clock(
        settings: &Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        let (auth_db, specs_db) = connect_databases(settings).await?;
        prepare_schema(settings, &auth_db).await?;
        prepare_schema(settings, &specs_db).await?;

        let services =
            wiring::build_container(settings, auth_db.clone(), specs_db.clone(), clock).await?;
        let api_config = wiring::api_config(settings)?;
        tracing::info!(
            deadline_ms =
                u64::try_from(api_config.request_deadline.as_millis()).unwrap_or(u64::MAX),
            "every request has an end-to-end deadline"
        );

        let address = (settings.server.host.as_str(), settings.server.port);
        let listener = TcpListener::bind(address).with_context(|| {
            format!(
                "cannot listen on {}:{}",
                settings.server.host, settings.server.port
            )
        })?;
        let port = listener
            .local_addr()
            .context("read the bound address")?
            .port();
        let app_services = services.clone();
        let mut server = HttpServer::new(move || {
            socrates_api::build_app(app_services.clone(), api_config.clone())
        })
        .shutdown_timeout(settings.server.shutdown_timeout_seconds);
        if let Some(workers) = settings.server.workers {
            server = server.workers(workers.max(1));
        }
        let server = server
            .listen(listener)
            .context("start the HTTP listener")?
            .run();
        tracing::info!(
            environment = settings.environment.as_str(),
            address = %format!("http://{}:{port}", settings.server.host),
            auth_db.backend = auth_db.backend().as_str(),
            specs_db.backend = specs_db.backend().as_str(),
            startup_ms = started.elapsed().as_millis() as u64,
            version = VERSION,
            "socrates is listening"
        );
        let retention = RetentionJob::new(
            auth_db.clone(),
            specs_db.clone(),
            Arc::clone(services.clock()),
            retention_policy(settings),
        )
        .spawn();
        let mut codegen = CodegenWorkers::new(
            specs_db.clone(),
            Arc::clone(services.offline()),
            Arc::clone(services.clock()),
            WorkerConfig {
                workers: settings.codegen.workers,
                lease: std::time::Duration::from_secs(settings.codegen.lease_seconds),
                poll_interval: std::time::Duration::from_millis(settings.codegen.poll_interval_ms),
                max_archive_bytes: settings.codegen.max_archive_bytes,
                pause_between_files: std::time::Duration::from_millis(
                    settings.codegen.pause_between_files_ms,
                ),
            },
            format!("{}:{}", hostname(), std::process::id()),
        );
        if let Some(client) = services.llm_client() {
            let usage: Arc<dyn socrates_reasoner::UsageSink> = services.usage().clone();
            codegen = codegen.with_model(ModelWriter::new(Arc::clone(client), usage));
        }
        let codegen = codegen.spawn();
        Ok(Self {
            port,
            server,
            databases: (auth_db, specs_db),
            services,
            retention,
            codegen,
        })
    }

    /// The service container the application serves (tests act on it directly where no
    /// route exists yet, such as suspending an account).
    pub fn services(&self) -> &ServiceContainer {
        &self.services
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that can stop the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (or [`Self::handle`]`.stop`), lets in-flight requests
    /// finish, then closes the database pools.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await.context("HTTP server failed")?;
        self.retention.abort();
        // A job in flight is claimed again by a worker once its lease runs out.
        for worker in &self.codegen {
            worker.abort();
        }
        tracing::info!("HTTP server stopped; writing queued LLM usage, closing database pools");
        self.services.usage().flush().await;
        let (auth_db, specs_db) = self.databases;
        auth_db.close().await.context("close socrates_auth")?;
        specs_db.close().await.context("close socrates_specs")?;
        tracing::info!("shutdown complete");
        Ok(())
    }
}

/// Connects both databases; each failure names the database and never leaks a password.
pub async fn connect_databases(settings: &Settings) -> anyhow::Result<(AuthDb, SpecsDb)> {
    let auth_db = AuthDb::connect(&settings.auth_database()).await?;
    let specs_db = SpecsDb::connect(&settings.specs_database()).await?;
    Ok((auth_db, specs_db))
}

/// Applies pending migrations (development, test) or refuses to start while any are pending.
async fn prepare_schema<K: DatabaseKind>(
    settings: &Settings,
    database: &Database<K>,
) -> anyhow::Result<()> {
    if settings.auto_migrate() {
        database.migrate_up().await?;
        return Ok(());
    }
    let pending = database.pending_migrations().await?;
    if !pending.is_empty() {
        let hint = if settings.environment == Environment::Production {
            "production never migrates at start"
        } else {
            "auto_migrate is off"
        };
        bail!(
            "refusing to start: {} has {} pending migration(s): {} ({hint}; run `socrates-server migrate up` or `cargo xtask migrate up`)",
            K::NAME,
            pending.len(),
            pending.join(", ")
        );
    }
    Ok(())
}

/// This machine's name for `locked_by` (`HOSTNAME`, else `/etc/hostname`, else `socrates`).
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|name| name.trim().chars().take(64).collect::<String>())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "socrates".to_owned())
}

/// The retention policy of the settings (`retention.*`).
pub fn retention_policy(settings: &Settings) -> RetentionPolicy {
    RetentionPolicy {
        conversation_history: settings
            .retention
            .conversation_history_days
            .map(|days| chrono::Duration::days(i64::from(days))),
        interval: std::time::Duration::from_secs(settings.retention.interval_minutes * 60),
        batch: 1000,
    }
}
