//! Throw-away databases for tests in any crate (feature `test-support`).
//!
//! By default every [`TestDatabases`] is a pair of fresh SQLite files in a temporary directory.
//! When `SOCRATES_TEST_POSTGRES_URL` is set (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`), it is instead a pair of fresh PostgreSQL
//! databases named `socrates_t_<run id>_<random>` that are dropped when the value is dropped;
//! `cargo xtask test` sets the run id (`SOCRATES_TEST_RUN_ID`) and sweeps anything a crashed
//! test left behind. Tests therefore never share state.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly when the test environment is broken"
)]

use sea_orm::ConnectionTrait;

use crate::db::{AuthDb, DatabaseOptions, SpecsDb};

/// The environment variable that switches tests to PostgreSQL.
pub const POSTGRES_URL_VAR: &str = "SOCRATES_TEST_POSTGRES_URL";
/// The environment variable that gives tests a Redis server.
pub const REDIS_URL_VAR: &str = "SOCRATES_TEST_REDIS_URL";
/// The environment variable naming the current test run (used in database names).
pub const RUN_ID_VAR: &str = "SOCRATES_TEST_RUN_ID";

/// The Redis URL tests should use, when the PostgreSQL + Redis pass is running.
pub fn redis_url() -> Option<String> {
    std::env::var(REDIS_URL_VAR)
        .ok()
        .filter(|url| !url.is_empty())
}

/// True when this test run targets PostgreSQL.
pub fn uses_postgres() -> bool {
    postgres_admin_url().is_some()
}

fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|url| !url.is_empty())
}

/// Two empty, isolated databases (auth and specs) and the URLs to reach them.
pub struct TestDatabaseUrls {
    /// URL of the throw-away auth database.
    pub auth_url: String,
    /// URL of the throw-away specs database.
    pub specs_url: String,
    backing: Backing,
}

enum Backing {
    Sqlite(
        #[expect(
            dead_code,
            reason = "kept only so the directory lives as long as the URLs"
        )]
        tempfile::TempDir,
    ),
    Postgres {
        admin_url: String,
        names: [String; 2],
    },
    /// URLs of databases someone else owns (and drops).
    Borrowed,
}

impl TestDatabaseUrls {
    /// Creates two empty databases on the backend chosen by the environment.
    pub async fn create() -> Self {
        match postgres_admin_url() {
            Some(admin_url) => Self::create_postgres(admin_url).await,
            None => Self::create_sqlite(),
        }
    }

    fn create_sqlite() -> Self {
        let directory = tempfile::Builder::new()
            .prefix("socrates-test-")
            .tempdir()
            .expect("create a temporary directory for SQLite test databases");
        let url_for = |name: &str| {
            format!(
                "sqlite://{}?mode=rwc",
                directory.path().join(name).display()
            )
        };
        Self {
            auth_url: url_for("socrates_auth.db"),
            specs_url: url_for("socrates_specs.db"),
            backing: Backing::Sqlite(directory),
        }
    }

    async fn create_postgres(admin_url: String) -> Self {
        let run_id = std::env::var(RUN_ID_VAR)
            .ok()
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or_else(|| "local".to_owned())
            .to_ascii_lowercase();
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let names = [
            format!("socrates_t_{run_id}_{}_auth", &unique[..12]),
            format!("socrates_t_{run_id}_{}_specs", &unique[..12]),
        ];
        let admin = sea_orm::Database::connect(admin_url.as_str())
            .await
            .unwrap_or_else(|error| panic!("connect to {POSTGRES_URL_VAR}: {error}"));
        for name in &names {
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .unwrap_or_else(|error| panic!("create test database {name}: {error}"));
        }
        admin.close().await.expect("close the admin connection");
        Self {
            auth_url: replace_database(&admin_url, &names[0]),
            specs_url: replace_database(&admin_url, &names[1]),
            backing: Backing::Postgres { admin_url, names },
        }
    }

    /// The same URLs without ownership: dropping the result drops nothing (for a second app
    /// instance on the databases of a first one).
    pub fn borrowed(auth_url: &str, specs_url: &str) -> Self {
        Self {
            auth_url: auth_url.to_owned(),
            specs_url: specs_url.to_owned(),
            backing: Backing::Borrowed,
        }
    }

    /// Pool options suitable for tests on these URLs.
    pub fn options(&self) -> (DatabaseOptions, DatabaseOptions) {
        let options = |url: &str| DatabaseOptions {
            max_connections: 5,
            ..DatabaseOptions::new(url)
        };
        (options(&self.auth_url), options(&self.specs_url))
    }
}

impl Drop for TestDatabaseUrls {
    fn drop(&mut self) {
        let Backing::Postgres { admin_url, names } = &self.backing else {
            return;
        };
        let admin_url = admin_url.clone();
        let names = names.clone();
        // Dropping happens outside any async context we could borrow, so a short-lived thread
        // with its own runtime does the cleanup and is joined before the test ends.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("build a cleanup runtime");
            runtime.block_on(async move {
                let Ok(admin) = sea_orm::Database::connect(admin_url.as_str()).await else {
                    return;
                };
                for name in &names {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                }
                let _ = admin.close().await;
            });
        });
        let _ = cleanup.join();
    }
}

/// Replaces the database name (the path) of a PostgreSQL URL, keeping its query string.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |index| index + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |index| scheme_end + index);
    let mut result = format!("{}/{}", &base[..host_end], database);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

/// Two connected, isolated databases, migrated unless built with [`TestDatabases::unmigrated`].
pub struct TestDatabases {
    /// The auth database.
    pub auth: AuthDb,
    /// The specs database.
    pub specs: SpecsDb,
    /// The URLs (and the guard that drops the databases); dropped last.
    pub urls: TestDatabaseUrls,
}

impl TestDatabases {
    /// Fresh, fully migrated databases.
    pub async fn new() -> Self {
        let databases = Self::unmigrated().await;
        databases
            .auth
            .migrate_up()
            .await
            .expect("migrate the auth test database");
        databases
            .specs
            .migrate_up()
            .await
            .expect("migrate the specs test database");
        databases
    }

    /// Fresh databases without any table.
    pub async fn unmigrated() -> Self {
        let urls = TestDatabaseUrls::create().await;
        let (auth_options, specs_options) = urls.options();
        let auth = AuthDb::connect(&auth_options)
            .await
            .expect("connect the auth test database");
        let specs = SpecsDb::connect(&specs_options)
            .await
            .expect("connect the specs test database");
        Self { auth, specs, urls }
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn replace_database_keeps_host_and_query() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database("postgres://u:p@h/db?sslmode=disable", "y"),
            "postgres://u:p@h/y?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://h", "z"), "postgres://h/z");
    }
}
