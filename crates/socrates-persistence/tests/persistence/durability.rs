//! Data written through one pool is there for a fresh connection to the same databases.

use socrates_domain::{Category, Email};
use socrates_persistence::repositories::{specifications, users};
use socrates_persistence::testing::TestDatabases;
use socrates_persistence::{AuthDb, SpecsDb};

use super::support::{self, at};

#[tokio::test]
async fn data_survives_closing_and_reconnecting() {
    let TestDatabases { auth, specs, urls } = TestDatabases::new().await;
    let user = support::user(&auth, "durable@example.com").await;
    let project = support::project_of(&specs, user.id, "Durable").await;
    let new = support::fact(project.id, Category::Goals, "purpose", "Keep data");
    let fact = specifications::insert(&specs, new, at(1)).await.unwrap();
    auth.close().await.unwrap();
    specs.close().await.unwrap();

    let (auth_options, specs_options) = urls.options();
    let auth = AuthDb::connect(&auth_options).await.unwrap();
    let specs = SpecsDb::connect(&specs_options).await.unwrap();
    assert!(auth.pending_migrations().await.unwrap().is_empty());
    let email = Email::parse("durable@example.com").unwrap();
    assert_eq!(
        users::find_by_email(&auth, &email).await.unwrap(),
        Some(user)
    );
    assert_eq!(
        specifications::all_current(&specs, project.id)
            .await
            .unwrap(),
        [fact]
    );
    auth.close().await.unwrap();
    specs.close().await.unwrap();
}

/// A pooled connection that sat idle past `ping_if_idle` is pinged before use, so one the
/// server dropped meanwhile is replaced instead of failing the next statement.
#[tokio::test]
async fn a_connection_dropped_while_idle_is_replaced_before_use() {
    use sea_orm::{ConnectionTrait, Statement};
    use socrates_persistence::{Backend, Conn};
    use std::time::Duration;

    let TestDatabases { auth, specs, urls } = TestDatabases::new().await;
    let (_, specs_options) = urls.options();
    let idle = Duration::from_millis(200);
    let pool = SpecsDb::connect(&socrates_persistence::DatabaseOptions {
        max_connections: 1,
        min_connections: 1,
        ping_if_idle: idle,
        ..specs_options
    })
    .await
    .unwrap();
    let backend = pool.backend();
    let query = |sql: &str| Statement::from_string(pool.raw().get_database_backend(), sql);
    if backend == Backend::Postgres {
        let row = pool
            .raw()
            .query_one_raw(query("SELECT pg_backend_pid() AS pid"))
            .await
            .unwrap()
            .unwrap();
        let pid: i32 = row.try_get("", "pid").unwrap();
        // The server ends the pool's only connection behind its back.
        let terminate = Statement::from_string(
            auth.raw().get_database_backend(),
            format!("SELECT pg_terminate_backend({pid})"),
        );
        auth.raw().execute_raw(terminate).await.unwrap();
    }
    // Idle past the threshold: the waiting is what is under test.
    tokio::time::sleep(idle * 2).await;
    let answered = pool.raw().query_one_raw(query("SELECT 1 AS one")).await;
    assert!(answered.unwrap().is_some());
    pool.close().await.unwrap();
    auth.close().await.unwrap();
    specs.close().await.unwrap();
}
