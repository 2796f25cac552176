//! Conflicts: held-back facts, listing by status and resolution exactly once.

use serde_json::json;
use socrates_domain::{
    Category, ConflictId, ConflictResolution, ConflictSeverity, ConflictStatus, ConflictType,
    FactSource, ProjectId, UserId,
};
use socrates_persistence::repositories::conflicts::{self, NewConflict, PendingFact, Resolution};
use socrates_persistence::repositories::projects::{self, Project};
use socrates_persistence::repositories::specifications;
use socrates_persistence::testing::TestDatabases;
use socrates_persistence::{DbError, Page, SpecsDb};
use uuid::Uuid;

use super::support::{self, at};

pub fn new_conflict(project_id: ProjectId, value: &str) -> NewConflict {
    NewConflict {
        project_id,
        session_id: None,
        conflict_type: ConflictType::Technology,
        severity: ConflictSeverity::High,
        old_spec_id: None,
        pending: PendingFact {
            category: Category::TechStack,
            key: "database".to_owned(),
            value: value.to_owned(),
            confidence: 0.75,
            source: FactSource::DirectChat,
            source_id: Some(Uuid::now_v7()),
            reasoning: Some("the user said so".to_owned()),
        },
        description: format!("database: SQLite against {value}"),
        detected_by: "rules".to_owned(),
        options: Some(json!(["keep_old", "replace", "merge"])),
        created_by: Some(UserId::new()),
        pending_slot: support::held_slot(),
    }
}

fn resolution(resolved_by: UserId) -> Resolution {
    Resolution {
        resolution: ConflictResolution::Merge,
        merged_value: Some("SQLite locally, PostgreSQL in production".to_owned()),
        notes: Some("both".to_owned()),
        resolved_by,
        resulting_spec_id: None,
    }
}

/// How many of the project's conflicts are open, read as the status route reads it.
async fn open_conflicts(db: &SpecsDb, project: &Project) -> u64 {
    let (_, open) = projects::find_owned_with_open_conflicts(db, project.id, project.owner_id)
        .await
        .unwrap()
        .unwrap();
    open
}

#[tokio::test]
async fn conflicts_hold_the_pending_fact_and_are_listed_newest_first() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (project, session) = support::project_and_session(db).await;
    let old = support::fact(project.id, Category::TechStack, "database", "SQLite");
    let old = specifications::insert(db, old, at(1)).await.unwrap();

    let mut new = new_conflict(project.id, "PostgreSQL");
    new.session_id = Some(session.id);
    new.old_spec_id = Some(old.id);
    let pending = new.pending.clone();
    let created_by = new.created_by;
    let first = conflicts::insert(db, new, at(2)).await.unwrap();
    assert_eq!(first.status, ConflictStatus::Open);
    assert_eq!(first.pending, pending);
    assert_eq!(first.old_spec_id, Some(old.id));
    assert_eq!(first.session_id, Some(session.id));
    assert_eq!(first.created_by, created_by);
    assert_eq!(first.options, Some(json!(["keep_old", "replace", "merge"])));
    assert_eq!((first.resolution, first.resolved_at), (None, None));
    assert_eq!(first.detected_at, at(2));
    assert_eq!(
        conflicts::find_by_id(db, first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        conflicts::find_by_id(db, ConflictId::new()).await.unwrap(),
        None
    );

    let second = conflicts::insert(db, new_conflict(project.id, "MySQL"), at(3))
        .await
        .unwrap();
    let third = conflicts::insert(db, new_conflict(project.id, "Oracle"), at(4))
        .await
        .unwrap();
    let other = support::project(db).await;
    conflicts::insert(db, new_conflict(other.id, "DB2"), at(5))
        .await
        .unwrap();
    assert_eq!(open_conflicts(db, &project).await, 3);

    conflicts::resolve(db, second.id, resolution(UserId::new()), at(6))
        .await
        .unwrap();
    assert_eq!(open_conflicts(db, &project).await, 2);

    let (all, total) = conflicts::list_for_project(db, project.id, None, Page::default())
        .await
        .unwrap();
    assert_eq!(total, 3);
    let ids: Vec<_> = all.iter().map(|c| c.id).collect();
    assert_eq!(ids, [third.id, second.id, first.id]);

    let open = Some(ConflictStatus::Open);
    let (listed, total) =
        conflicts::list_for_project(db, project.id, open, Page::new(Some(1), None))
            .await
            .unwrap();
    assert_eq!(total, 2);
    assert_eq!(listed, [third]);
    let resolved = Some(ConflictStatus::Resolved);
    let (listed, total) = conflicts::list_for_project(db, project.id, resolved, Page::default())
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(listed[0].id, second.id);
}

#[tokio::test]
async fn a_conflict_is_resolved_exactly_once() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let conflict = conflicts::insert(db, new_conflict(project.id, "PostgreSQL"), at(1))
        .await
        .unwrap();
    let merged = support::fact(project.id, Category::TechStack, "database", "Both");
    let merged = specifications::insert(db, merged, at(2)).await.unwrap();

    let resolver = UserId::new();
    let mut settled = resolution(resolver);
    settled.resulting_spec_id = Some(merged.id);
    let resolved = conflicts::resolve(db, conflict.id, settled, at(3))
        .await
        .unwrap();
    assert_eq!(resolved.status, ConflictStatus::Resolved);
    assert_eq!(resolved.resolution, Some(ConflictResolution::Merge));
    assert_eq!(
        resolved.merged_value.as_deref(),
        Some("SQLite locally, PostgreSQL in production")
    );
    assert_eq!(resolved.resolution_notes.as_deref(), Some("both"));
    assert_eq!(resolved.resolved_by, Some(resolver));
    assert_eq!(resolved.resolved_at, Some(at(3)));
    assert_eq!(resolved.resulting_spec_id, Some(merged.id));
    assert_eq!(resolved.updated_at, at(3));
    assert_eq!(
        resolved.pending, conflict.pending,
        "the pending fact is kept"
    );

    let mut late = resolution(UserId::new());
    late.resolution = ConflictResolution::KeepOld;
    let error = conflicts::resolve(db, conflict.id, late, at(4)).await;
    assert!(
        matches!(error, Err(DbError::StaleVersion { entity: "conflict" })),
        "{error:?}"
    );
    assert_eq!(
        conflicts::find_by_id(db, conflict.id).await.unwrap(),
        Some(resolved)
    );

    let error = conflicts::resolve(db, ConflictId::new(), resolution(resolver), at(5)).await;
    assert!(
        matches!(error, Err(DbError::NotFound { entity: "conflict" })),
        "{error:?}"
    );
}

#[tokio::test]
async fn open_conflicts_holding_a_key_against_a_fact_are_found_oldest_first() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let old = support::fact(project.id, Category::TechStack, "database", "SQLite");
    let old = specifications::insert(db, old, at(1)).await.unwrap();
    let against_old = |value: &str| {
        let mut new = new_conflict(project.id, value);
        new.old_spec_id = Some(old.id);
        new
    };
    let first = conflicts::insert(db, against_old("MongoDB"), at(2))
        .await
        .unwrap();
    let second = conflicts::insert(db, against_old("MySQL"), at(3))
        .await
        .unwrap();
    let resolved = conflicts::insert(db, against_old("Oracle"), at(4))
        .await
        .unwrap();
    conflicts::resolve(db, resolved.id, resolution(UserId::new()), at(5))
        .await
        .unwrap();
    // Not against that fact, another key, another category, another project.
    let unanchored = conflicts::insert(db, new_conflict(project.id, "DB2"), at(6))
        .await
        .unwrap();
    let mut other_key = against_old("Redis");
    other_key.pending.key = "cache".to_owned();
    conflicts::insert(db, other_key, at(7)).await.unwrap();
    let mut other_category = against_old("Redis");
    other_category.pending.category = Category::Performance;
    conflicts::insert(db, other_category, at(8)).await.unwrap();
    let other = support::project(db).await;
    conflicts::insert(db, new_conflict(other.id, "DB2"), at(9))
        .await
        .unwrap();

    let held = conflicts::open_holding(
        db,
        project.id,
        Some(old.id),
        Category::TechStack,
        "database",
    )
    .await
    .unwrap();
    let ids: Vec<_> = held.iter().map(|c| c.id).collect();
    assert_eq!(ids, [first.id, second.id], "open ones only, oldest first");
    assert_eq!(held[0], first);
    let held = conflicts::open_holding(db, project.id, None, Category::TechStack, "database")
        .await
        .unwrap();
    assert_eq!(held, [unanchored]);
}
