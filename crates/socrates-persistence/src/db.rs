//! The two typed database handles, [`AuthDb`] and [`SpecsDb`], and their transactions.
//!
//! Both are the same generic [`Database`] over a marker type, so they share one implementation
//! but are different types: a repository function that needs the auth database takes
//! `&impl Conn<Auth>` and cannot be handed the specs connection by mistake.

use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use migration::{AuthMigrator, MigratorTrait, SpecsMigrator};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::error::DbError;

/// Marker of the `socrates_auth` database.
#[derive(Debug, Clone, Copy)]
pub struct Auth;

/// Marker of the `socrates_specs` database.
#[derive(Debug, Clone, Copy)]
pub struct Specs;

/// What distinguishes the two databases: their name and their migrator.
pub trait DatabaseKind: Send + Sync + 'static {
    /// The database's logical name, used in logs, errors and health reports.
    const NAME: &'static str;
    /// The migrator that owns this database's schema.
    type Migrator: MigratorTrait;
}

impl DatabaseKind for Auth {
    const NAME: &'static str = "socrates_auth";
    type Migrator = AuthMigrator;
}

impl DatabaseKind for Specs {
    const NAME: &'static str = "socrates_specs";
    type Migrator = SpecsMigrator;
}

/// The handle of the `socrates_auth` database.
pub type AuthDb = Database<Auth>;
/// The handle of the `socrates_specs` database.
pub type SpecsDb = Database<Specs>;
/// A transaction on the `socrates_auth` database.
pub type AuthTx = Transaction<Auth>;
/// A transaction on the `socrates_specs` database.
pub type SpecsTx = Transaction<Specs>;

/// How to reach one database and how to size its pool.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseOptions {
    /// `sqlite://path/to/file.db`, `sqlite::memory:` or `postgres://user@host:port/db`.
    pub url: String,
    /// Upper bound of pooled connections.
    pub max_connections: u32,
    /// Connections kept open even when idle.
    pub min_connections: u32,
    /// How long a request waits for a free connection before failing.
    pub acquire_timeout: Duration,
    /// How long an idle connection is kept.
    pub idle_timeout: Duration,
    /// Connections are recycled after this age.
    pub max_lifetime: Duration,
    /// PostgreSQL `statement_timeout`; `None` leaves the server default.
    pub statement_timeout: Option<Duration>,
    /// Statements slower than this are logged at warn level.
    pub slow_statement_threshold: Duration,
    /// A pooled connection idle at least this long is pinged before it is handed out (a
    /// server, proxy or firewall may have dropped it); connections in steady use are handed
    /// out without the extra round trip. Zero pings on every checkout.
    pub ping_if_idle: Duration,
}

impl DatabaseOptions {
    /// Options with the production pool defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 20,
            min_connections: 1,
            acquire_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(3600),
            statement_timeout: Some(Duration::from_secs(30)),
            slow_statement_threshold: Duration::from_secs(1),
            ping_if_idle: Duration::from_secs(10),
        }
    }
}

/// The connections of a pool at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Checked out by a request or a transaction.
    pub in_use: u32,
    /// Open and waiting in the pool.
    pub idle: u32,
}

/// Which engine a URL points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file (or memory).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Recognises the engine from a URL's scheme.
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }

    /// The engine's name for reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// One migration and whether it has been applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    /// The migration's name (its module name).
    pub name: String,
    /// True once applied.
    pub applied: bool,
}

/// A pooled connection to one of the two databases.
pub struct Database<K> {
    connection: DatabaseConnection,
    backend: Backend,
    /// SQLite only: transactions take turns here, first come first served. SQLite lets one
    /// writer in at a time and makes the others sleep and retry with growing pauses (its busy
    /// handler), which gave writes under contention a p99 of hundreds of milliseconds; a fair
    /// queue in the process hands the database to the next writer the moment it is free.
    write_turns: Option<Arc<tokio::sync::Mutex<()>>>,
    kind: PhantomData<K>,
}

impl<K> Clone for Database<K> {
    fn clone(&self) -> Self {
        Self {
            connection: self.connection.clone(),
            backend: self.backend,
            write_turns: self.write_turns.clone(),
            kind: PhantomData,
        }
    }
}

impl<K> std::fmt::Debug for Database<K>
where
    K: DatabaseKind,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("name", &K::NAME)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl<K: DatabaseKind> Database<K> {
    /// Opens the pool. For SQLite the file's directory is created when missing, and an
    /// unwritable location is reported as a configuration error rather than a driver error.
    pub async fn connect(options: &DatabaseOptions) -> Result<Self, DbError> {
        let backend =
            Backend::from_url(&options.url).ok_or_else(|| DbError::InvalidConfiguration {
                database: K::NAME,
                reason: format!(
                    "unsupported URL `{}`: expected sqlite://…, postgres://… or postgresql://…",
                    redact_url(&options.url)
                ),
            })?;
        let mut connect = ConnectOptions::new(options.url.clone());
        connect
            .max_connections(options.max_connections.max(1))
            .min_connections(options.min_connections.min(options.max_connections.max(1)))
            .acquire_timeout(options.acquire_timeout)
            .connect_timeout(options.acquire_timeout)
            .idle_timeout(options.idle_timeout)
            .max_lifetime(options.max_lifetime)
            .sqlx_logging(true)
            .sqlx_logging_level(log::LevelFilter::Debug)
            .sqlx_slow_statements_logging_settings(
                log::LevelFilter::Warn,
                options.slow_statement_threshold,
            );
        if options.ping_if_idle.is_zero() {
            connect.test_before_acquire(true);
        } else {
            connect.test_before_acquire_if_idle_for(options.ping_if_idle);
        }
        match backend {
            Backend::Sqlite => configure_sqlite::<K>(&mut connect, &options.url)?,
            Backend::Postgres => {
                if let Some(timeout) = options.statement_timeout {
                    connect.statement_timeout(timeout);
                }
            }
        }
        let connection = sea_orm::Database::connect(connect)
            .await
            .map_err(|source| classify_connect_error::<K>(&options.url, source))?;
        Ok(Self {
            connection,
            backend,
            write_turns: (backend == Backend::Sqlite)
                .then(|| Arc::new(tokio::sync::Mutex::new(()))),
            kind: PhantomData,
        })
    }

    /// How many pooled connections are open, and how many of them are idle.
    pub fn pool_status(&self) -> PoolStatus {
        let (size, idle) = match self.backend {
            Backend::Postgres => {
                let pool = self.connection.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            Backend::Sqlite => {
                let pool = self.connection.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
        PoolStatus {
            in_use: size - idle,
            idle,
        }
    }

    /// The logical name of this database.
    pub const fn name(&self) -> &'static str {
        K::NAME
    }

    /// The engine behind this handle.
    pub const fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that a connection can be acquired and answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.connection
            .ping()
            .await
            .map_err(|source| DbError::Unavailable {
                database: K::NAME,
                source,
            })
    }

    /// Starts a transaction; it rolls back when dropped without [`Transaction::commit`]. On
    /// SQLite it first waits its turn (see `write_turns`): a transaction must not begin
    /// another one on the same database while it is open.
    ///
    /// On SQLite the transaction is `BEGIN IMMEDIATE`: it takes the write lock when it starts
    /// (waiting in the busy handler for a writer outside the queue), so a transaction that reads
    /// and then writes can never be refused with "database is locked" because a write outside
    /// the queue committed in between.
    pub async fn begin(&self) -> Result<Transaction<K>, DbError> {
        let (turn, transaction) = match &self.write_turns {
            Some(turns) => {
                let turn = Arc::clone(turns).lock_owned().await;
                let options = TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..TransactionOptions::default()
                };
                let transaction = self.connection.begin_with_options(options).await;
                (Some(turn), transaction)
            }
            None => (None, self.connection.begin().await),
        };
        let transaction = transaction.map_err(DbError::from)?;
        Ok(Transaction {
            transaction,
            _turn: turn,
            kind: PhantomData,
        })
    }

    /// Applies every pending migration.
    pub async fn migrate_up(&self) -> Result<(), DbError> {
        K::Migrator::up(&self.connection, None)
            .await
            .map_err(|source| self.migration_error(source))
    }

    /// Rolls back `steps` migrations (all of them when `None`).
    pub async fn migrate_down(&self, steps: Option<u32>) -> Result<(), DbError> {
        K::Migrator::down(&self.connection, steps)
            .await
            .map_err(|source| self.migration_error(source))
    }

    /// Drops every table and applies all migrations from scratch.
    pub async fn migrate_fresh(&self) -> Result<(), DbError> {
        K::Migrator::fresh(&self.connection)
            .await
            .map_err(|source| self.migration_error(source))
    }

    /// Every known migration, in order, with whether it has been applied.
    pub async fn migration_status(&self) -> Result<Vec<MigrationState>, DbError> {
        let migrations = K::Migrator::get_migration_with_status(&self.connection)
            .await
            .map_err(|source| self.migration_error(source))?;
        Ok(migrations
            .iter()
            .map(|migration| MigrationState {
                name: migration.name().to_owned(),
                applied: matches!(
                    migration.status(),
                    migration::sea_orm_migration::MigrationStatus::Applied
                ),
            })
            .collect())
    }

    /// The names of the migrations that have not been applied yet.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, DbError> {
        Ok(self
            .migration_status()
            .await?
            .into_iter()
            .filter(|state| !state.applied)
            .map(|state| state.name)
            .collect())
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(self) -> Result<(), DbError> {
        self.connection.close().await.map_err(DbError::from)
    }

    fn migration_error(&self, source: DbErr) -> DbError {
        DbError::Migration {
            database: K::NAME,
            source,
        }
    }
}

/// A transaction on one of the two databases.
pub struct Transaction<K> {
    transaction: DatabaseTransaction,
    /// The SQLite write turn, given back when the transaction ends (declared after it, so it
    /// is dropped after it).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    kind: PhantomData<K>,
}

impl<K: DatabaseKind> Transaction<K> {
    /// Makes every write of the transaction durable.
    pub async fn commit(self) -> Result<(), DbError> {
        self.transaction.commit().await.map_err(DbError::from)
    }

    /// Discards every write of the transaction.
    pub async fn rollback(self) -> Result<(), DbError> {
        self.transaction.rollback().await.map_err(DbError::from)
    }
}

/// Anything repositories can run statements on for database `K`: its pool or a transaction.
pub trait Conn<K>: Send + Sync {
    /// The SeaORM connection behind the handle.
    type Raw: ConnectionTrait + Send + Sync;
    /// Gives repositories the SeaORM connection.
    fn raw(&self) -> &Self::Raw;
}

impl<K: DatabaseKind> Conn<K> for Database<K> {
    type Raw = DatabaseConnection;
    fn raw(&self) -> &Self::Raw {
        &self.connection
    }
}

impl<K: DatabaseKind> Conn<K> for Transaction<K> {
    type Raw = DatabaseTransaction;
    fn raw(&self) -> &Self::Raw {
        &self.transaction
    }
}

/// WAL journal, a busy timeout and enforced foreign keys; the file's directory is created.
fn configure_sqlite<K: DatabaseKind>(
    connect: &mut ConnectOptions,
    url: &str,
) -> Result<(), DbError> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if in_memory {
        // Every connection to `sqlite::memory:` would see its own empty database.
        connect.max_connections(1).min_connections(1);
    } else if let Some(path) = sqlite_path(url) {
        prepare_sqlite_directory::<K>(path)?;
    }
    connect.map_sqlx_sqlite_opts(move |options: SqliteConnectOptions| {
        let options = options
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .create_if_missing(true);
        if in_memory {
            options
        } else {
            options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
        }
    });
    Ok(())
}

/// The file path of an SQLite URL (`sqlite://data/x.db?mode=rwc` → `data/x.db`).
pub fn sqlite_path(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty()).then(|| Path::new(path))
}

fn prepare_sqlite_directory<K: DatabaseKind>(path: &Path) -> Result<(), DbError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(directory).map_err(|error| DbError::InvalidConfiguration {
        database: K::NAME,
        reason: format!("cannot create directory `{}`: {error}", directory.display()),
    })?;
    let probe = directory.join(format!(".{}.write-test", K::NAME));
    std::fs::write(&probe, b"ok")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|error| DbError::InvalidConfiguration {
            database: K::NAME,
            reason: format!(
                "directory `{}` is not writable: {error}",
                directory.display()
            ),
        })
}

fn classify_connect_error<K: DatabaseKind>(url: &str, source: DbErr) -> DbError {
    let message = source.to_string();
    let configuration_problem = ["invalid port", "relative URL", "invalid", "parse"]
        .iter()
        .any(|needle| message.contains(needle))
        && !message.contains("password authentication");
    if configuration_problem {
        DbError::InvalidConfiguration {
            database: K::NAME,
            reason: format!("cannot use URL `{}`: {message}", redact_url(url)),
        }
    } else {
        DbError::Unavailable {
            database: K::NAME,
            source,
        }
    }
}

/// The URL with any password replaced by `***`, safe for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_passwords_only() {
        assert_eq!(
            redact_url("postgres://app:secret@db:5432/specs"),
            "postgres://app:***@db:5432/specs"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact_url("sqlite://data/a.db"), "sqlite://data/a.db");
    }

    #[test]
    fn sqlite_path_strips_scheme_and_query() {
        assert_eq!(
            sqlite_path("sqlite://data/socrates_auth.db?mode=rwc"),
            Some(Path::new("data/socrates_auth.db"))
        );
        assert_eq!(sqlite_path("sqlite:x.db"), Some(Path::new("x.db")));
        assert_eq!(sqlite_path("sqlite://"), None);
    }

    #[test]
    fn backend_is_recognised_from_the_scheme() {
        assert_eq!(Backend::from_url("sqlite://a.db"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::from_url("postgresql://h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::from_url("mysql://h/db"), None);
    }
}
