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

/// How to reach one database and how to size its pool. Its `Debug` hides the URL's password.
#[derive(Clone, PartialEq)]
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

impl std::fmt::Debug for DatabaseOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseOptions")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("min_connections", &self.min_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_lifetime", &self.max_lifetime)
            .field("statement_timeout", &self.statement_timeout)
            .field("slow_statement_threshold", &self.slow_statement_threshold)
            .field("ping_if_idle", &self.ping_if_idle)
            .finish()
    }
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
        let mut connect = connect_options(&options.url, backend);
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

/// sea-orm's options for `url`, without its password in the URL: sea-orm records its
/// connect options in a `trace` span (`RUST_LOG=trace` would print the password), and its
/// error messages repeat the URL. A PostgreSQL password is handed to the driver's own options
/// instead, which are never recorded.
fn connect_options(url: &str, backend: Backend) -> ConnectOptions {
    let Some(UrlPassword { without, password }) = split_password(url) else {
        return ConnectOptions::new(url.to_owned());
    };
    let mut connect = ConnectOptions::new(without);
    if backend == Backend::Postgres {
        connect.map_sqlx_postgres_opts(move |options| options.password(&password));
    }
    connect
}

/// A URL split into the URL without its password and the password, percent-decoded.
#[derive(Debug, PartialEq, Eq)]
struct UrlPassword {
    without: String,
    password: String,
}

/// Where the user information of a URL with a password is: the scheme with `://`, the user,
/// the password (still percent-encoded), and the rest from the `@` on.
fn url_parts(url: &str) -> Option<(&str, &str, &str, &str)> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    // The authority ends where the path, query or fragment starts; its last `@` ends the
    // user information (an `@` in a password that was not percent-encoded stays in it).
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    let (user, password) = rest[..at].split_once(':')?;
    Some((&url[..scheme_end], user, password, &rest[at..]))
}

fn split_password(url: &str) -> Option<UrlPassword> {
    let (scheme, user, password, host) = url_parts(url)?;
    Some(UrlPassword {
        without: format!("{scheme}{user}{host}"),
        password: percent_decode(password),
    })
}

/// Decodes `%XX` escapes; anything else is kept as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = bytes
            .get(index + 1..index + 3)
            .filter(|_| bytes[index] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// The URL with any password replaced by `***`, safe for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match url_parts(url) {
        Some((scheme, user, _password, host)) => format!("{scheme}{user}:***{host}"),
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
        // An `@` left unescaped in the password, and one in the query, give nothing away.
        assert_eq!(
            redact_url("postgres://app:p@ss@db/specs?application_name=a@b"),
            "postgres://app:***@db/specs?application_name=a@b"
        );
        assert_eq!(
            redact_url("postgres://db/specs?user=a@b:c"),
            "postgres://db/specs?user=a@b:c"
        );
    }

    #[test]
    fn the_password_is_split_out_of_the_url_and_decoded() {
        assert_eq!(
            split_password("postgres://app:s3cr%40t%2F%3A@db:5432/specs?sslmode=require"),
            Some(UrlPassword {
                without: "postgres://app@db:5432/specs?sslmode=require".to_owned(),
                password: "s3cr@t/:".to_owned(),
            })
        );
        assert_eq!(
            split_password("postgres://app:p@ss@db/specs"),
            Some(UrlPassword {
                without: "postgres://app@db/specs".to_owned(),
                password: "p@ss".to_owned(),
            })
        );
        assert_eq!(split_password("postgres://app@db/specs"), None);
        assert_eq!(split_password("sqlite://data/a.db?mode=rwc"), None);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }

    /// Everything a subscriber at `trace` level is handed: span fields and event fields.
    #[derive(Clone, Default)]
    struct Recorded(Arc<std::sync::Mutex<String>>);

    impl Recorded {
        fn text(&self) -> String {
            self.0.lock().map(|text| text.clone()).unwrap_or_default()
        }
    }

    struct Fields<'a>(&'a mut String);

    impl tracing::field::Visit for Fields<'_> {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Recorded {
        fn on_new_span(
            &self,
            attributes: &tracing::span::Attributes<'_>,
            _id: &tracing::span::Id,
            _context: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if let Ok(mut text) = self.0.lock() {
                attributes.record(&mut Fields(&mut text));
            }
        }

        fn on_record(
            &self,
            _id: &tracing::span::Id,
            values: &tracing::span::Record<'_>,
            _context: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if let Ok(mut text) = self.0.lock() {
                values.record(&mut Fields(&mut text));
            }
        }

        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _context: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if let Ok(mut text) = self.0.lock() {
                event.record(&mut Fields(&mut text));
            }
        }
    }

    /// At `RUST_LOG=trace` a connection attempt records sea-orm's connect options; neither
    /// they nor anything else recorded may hold the password. Nothing listens on port 1, so
    /// the attempt fails after the spans are recorded, without a server.
    #[tokio::test]
    async fn a_connection_attempt_records_no_password_at_trace_level() {
        use tracing_subscriber::layer::SubscriberExt;
        let recorded = Recorded::default();
        let subscriber = tracing_subscriber::registry().with(recorded.clone());
        let _guard = tracing::subscriber::set_default(subscriber);
        let options = DatabaseOptions {
            acquire_timeout: Duration::from_millis(500),
            ..DatabaseOptions::new("postgres://app:Sup3rsecret@127.0.0.1:1/socrates_specs")
        };
        let error = SpecsDb::connect(&options).await.unwrap_err();
        let text = recorded.text();
        assert!(text.contains("ConnectOptions"), "nothing recorded: {text}");
        assert!(text.contains("postgres://app@127.0.0.1:1"), "{text}");
        assert!(!text.contains("Sup3rsecret"), "{text}");
        assert!(!error.to_string().contains("Sup3rsecret"), "{error}");
    }

    /// sea-orm records its connect options, URL included, in a `trace` span when it connects;
    /// the options it is given must not hold the password, nor must ours print it.
    #[test]
    fn no_debug_output_of_the_connect_options_holds_the_password() {
        let url = "postgres://app:Sup3r%2Fsecret@db.internal:5432/socrates_specs";
        let connect = connect_options(url, Backend::Postgres);
        let recorded = format!("{connect:?}");
        assert!(!recorded.contains("Sup3r"), "{recorded}");
        assert!(
            recorded.contains("postgres://app@db.internal:5432/socrates_specs"),
            "{recorded}"
        );
        let options = format!("{:?}", DatabaseOptions::new(url));
        assert!(!options.contains("Sup3r"), "{options}");
        assert!(
            options.contains("postgres://app:***@db.internal"),
            "{options}"
        );
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
