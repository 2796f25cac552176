//! Both migrators go up, down and up again, and the two schemas never share a table.

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use socrates_persistence::testing::TestDatabases;
use socrates_persistence::{Conn, Database, DatabaseKind};

const AUTH_TABLES: &[&str] = &[
    "api_keys",
    "audit_logs",
    "password_reset_requests",
    "refresh_tokens",
    "team_invitations",
    "team_members",
    "teams",
    "user_rules",
    "users",
];

const SPECS_TABLES: &[&str] = &[
    "code_generation_jobs",
    "conflicts",
    "conversation_history",
    "generated_files",
    "generated_projects",
    "knowledge_base_documents",
    "knowledge_chunks",
    "knowledge_terms",
    "llm_usage_tracking",
    "maturity_tracking",
    "project_shares",
    "projects",
    "quality_metrics",
    "question_effectiveness",
    "questions",
    "sessions",
    "specifications",
    "user_behavior_patterns",
];

/// The migrator's own bookkeeping table, which `down` leaves in place.
const MIGRATIONS_TABLE: &str = "seaql_migrations";

async fn strings(connection: &impl ConnectionTrait, sql: &str) -> BTreeSet<String> {
    let backend = connection.get_database_backend();
    connection
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect()
}

/// The application tables in the database, from the catalogue.
async fn tables<K: DatabaseKind>(db: &Database<K>) -> BTreeSet<String> {
    let sql = match db.raw().get_database_backend() {
        DatabaseBackend::Sqlite => {
            "SELECT name AS name FROM sqlite_master \
             WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        }
    };
    let mut names = strings(db.raw(), sql).await;
    names.remove(MIGRATIONS_TABLE);
    names
}

/// Every table some foreign key of the database points to.
async fn foreign_key_targets<K: DatabaseKind>(db: &Database<K>) -> BTreeSet<String> {
    let sql = match db.raw().get_database_backend() {
        DatabaseBackend::Sqlite => {
            "SELECT DISTINCT fk.\"table\" AS name FROM sqlite_master AS m \
             JOIN pragma_foreign_key_list(m.name) AS fk WHERE m.type = 'table'"
        }
        _ => {
            "SELECT DISTINCT ccu.table_name AS name \
             FROM information_schema.table_constraints AS tc \
             JOIN information_schema.constraint_column_usage AS ccu \
               ON ccu.constraint_name = tc.constraint_name \
              AND ccu.constraint_schema = tc.constraint_schema \
             WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'"
        }
    };
    strings(db.raw(), sql).await
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

/// Up, down, up again on one database, checking the catalogue and the migrator's status.
async fn round_trip<K: DatabaseKind>(db: &Database<K>, expected: &[&str]) {
    let initial = db.migration_status().await.unwrap();
    assert!(!initial.is_empty());
    assert!(initial.iter().all(|state| !state.applied), "{initial:?}");
    assert!(tables(db).await.is_empty());

    db.migrate_up().await.unwrap();
    let status = db.migration_status().await.unwrap();
    assert_eq!(status.len(), initial.len());
    assert!(status.iter().all(|state| state.applied), "{status:?}");
    assert_eq!(tables(db).await, set(expected));

    db.migrate_down(None).await.unwrap();
    assert_eq!(tables(db).await, BTreeSet::new(), "down left tables behind");
    let status = db.migration_status().await.unwrap();
    assert!(status.iter().all(|state| !state.applied), "{status:?}");
    assert_eq!(db.pending_migrations().await.unwrap().len(), initial.len());

    db.migrate_up().await.unwrap();
    assert!(
        db.migration_status()
            .await
            .unwrap()
            .iter()
            .all(|state| state.applied)
    );
    assert!(db.pending_migrations().await.unwrap().is_empty());
    assert_eq!(tables(db).await, set(expected));
}

#[tokio::test]
async fn auth_migrations_go_up_down_and_up_again() {
    let databases = TestDatabases::unmigrated().await;
    round_trip(&databases.auth, AUTH_TABLES).await;
}

#[tokio::test]
async fn specs_migrations_go_up_down_and_up_again() {
    let databases = TestDatabases::unmigrated().await;
    round_trip(&databases.specs, SPECS_TABLES).await;
}

#[tokio::test]
async fn no_table_or_foreign_key_crosses_the_two_databases() {
    let databases = TestDatabases::new().await;
    let auth = tables(&databases.auth).await;
    let specs = tables(&databases.specs).await;
    assert_eq!(auth, set(AUTH_TABLES));
    assert_eq!(specs, set(SPECS_TABLES));
    assert!(auth.is_disjoint(&specs), "{:?}", auth.intersection(&specs));

    let auth_targets = foreign_key_targets(&databases.auth).await;
    let specs_targets = foreign_key_targets(&databases.specs).await;
    // The catalogue query must see the foreign keys at all, or the subset checks prove nothing.
    assert!(auth_targets.contains("users"), "{auth_targets:?}");
    assert!(specs_targets.contains("projects"), "{specs_targets:?}");
    assert!(auth_targets.is_subset(&auth), "{auth_targets:?}");
    assert!(specs_targets.is_subset(&specs), "{specs_targets:?}");
}
