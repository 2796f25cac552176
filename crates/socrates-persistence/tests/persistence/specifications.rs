//! Versioned facts: insert, new versions in a transaction, stale writers, soft delete,
//! history and the current-facts listings.

use serde_json::json;
use socrates_domain::{
    Category, Confidence, FactSource, FactValue, ProjectId, SpecificationId, UserId,
};
use socrates_persistence::repositories::MAX_PAGE_SIZE;
use socrates_persistence::repositories::specifications::{self, FactChange, Specification};
use socrates_persistence::testing::TestDatabases;
use socrates_persistence::{DbError, Page, SpecsDb};
use uuid::Uuid;

use super::support::{self, at};

/// The current fact with this category and key, found in the listing the product reads.
async fn current_by_key(
    db: &SpecsDb,
    project_id: ProjectId,
    category: Category,
    key: &str,
) -> Option<Specification> {
    specifications::all_current(db, project_id)
        .await
        .unwrap()
        .into_iter()
        .find(|fact| fact.category == category && fact.key == key)
}

fn change(value: &str) -> FactChange {
    FactChange {
        // The facts these tests change are of single-valued keys.
        value_slot: support::slot("primary_database", value),
        value: FactValue::parse(value).unwrap(),
        confidence: None,
        source: FactSource::DirectInput,
        source_id: None,
        reasoning: Some("changed by hand".to_owned()),
        created_by: Some(UserId::new()),
    }
}

async fn reload(db: &SpecsDb, id: SpecificationId) -> Specification {
    specifications::find_by_id(db, id).await.unwrap().unwrap()
}

async fn insert(
    db: &SpecsDb,
    project_id: ProjectId,
    category: Category,
    key: &str,
    seconds: i64,
) -> Specification {
    let new = support::fact(project_id, category, key, "a value");
    specifications::insert(db, new, at(seconds)).await.unwrap()
}

#[tokio::test]
async fn a_new_fact_is_version_one_of_its_own_lineage() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (project, session) = support::project_and_session(db).await;
    let mut new = support::fact(
        project.id,
        Category::TechStack,
        "primary_database",
        "PostgreSQL",
    );
    new.session_id = Some(session.id);
    new.source = FactSource::SocraticQuestion;
    new.source_id = Some(Uuid::now_v7());
    new.metadata = Some(json!({"extractor": "offline"}));
    new.reasoning = Some("stated in the answer".to_owned());
    let source_id = new.source_id;
    let fact = specifications::insert(db, new, at(1)).await.unwrap();
    assert_eq!(
        (fact.version, fact.lineage_id, fact.is_current),
        (1, fact.id, true)
    );
    assert_eq!(fact.key, "primary_database");
    assert_eq!(fact.value, "PostgreSQL");
    assert_eq!(fact.confidence, 0.9);
    assert_eq!(fact.session_id, Some(session.id));
    assert_eq!(fact.source, FactSource::SocraticQuestion);
    assert_eq!(fact.source_id, source_id);
    assert_eq!(fact.metadata, Some(json!({"extractor": "offline"})));
    assert_eq!(
        (fact.superseded_at, fact.superseded_by, fact.deleted_at),
        (None, None, None)
    );
    assert_eq!(reload(db, fact.id).await, fact);
    assert_eq!(
        specifications::find_by_id(db, SpecificationId::new())
            .await
            .unwrap(),
        None
    );
    let found = current_by_key(db, project.id, Category::TechStack, "primary_database").await;
    assert_eq!(found, Some(fact));
    let wrong_category = current_by_key(db, project.id, Category::Goals, "primary_database").await;
    assert_eq!(wrong_category, None);
}

#[tokio::test]
async fn a_new_version_supersedes_the_current_one_and_history_lists_both() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (project, session) = support::project_and_session(db).await;
    let mut new = support::fact(
        project.id,
        Category::TechStack,
        "primary_database",
        "SQLite",
    );
    new.session_id = Some(session.id);
    new.metadata = Some(json!({"turn": 1}));
    let first = specifications::insert(db, new, at(1)).await.unwrap();

    let tx = db.begin().await.unwrap();
    let mut update = change("PostgreSQL");
    update.source = FactSource::DirectChat;
    let created_by = update.created_by;
    let second = specifications::new_version(&tx, first.id, update, at(5))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        (second.version, second.lineage_id, second.is_current),
        (2, first.id, true)
    );
    assert_ne!(second.id, first.id);
    assert_eq!(second.value, "PostgreSQL");
    assert_eq!(
        (second.category, second.key.as_str()),
        (Category::TechStack, "primary_database")
    );
    assert_eq!(
        (second.project_id, second.session_id),
        (project.id, Some(session.id))
    );
    assert_eq!(
        second.confidence, 0.9,
        "confidence carries over when not restated"
    );
    assert_eq!(second.source, FactSource::DirectChat);
    assert_eq!(second.created_by, created_by);
    assert_eq!(second.metadata, Some(json!({"turn": 1})));
    assert_eq!(second.created_at, at(5));
    assert_eq!(reload(db, second.id).await, second);

    let old = reload(db, first.id).await;
    assert!(!old.is_current);
    assert_eq!(old.superseded_by, Some(second.id));
    assert_eq!(old.superseded_at, Some(at(5)));
    assert_eq!(
        old.value, "SQLite",
        "an old version never changes its value"
    );
    assert_eq!(old.deleted_at, None);

    let current = current_by_key(db, project.id, Category::TechStack, "primary_database").await;
    assert_eq!(current, Some(second.clone()));
    let all = specifications::all_current(db, project.id).await.unwrap();
    assert_eq!(all, std::slice::from_ref(&second));

    // A writer holding the superseded version loses instead of forking the history.
    let tx = db.begin().await.unwrap();
    let stale = specifications::new_version(&tx, first.id, change("MySQL"), at(6)).await;
    assert!(
        matches!(
            stale,
            Err(DbError::StaleVersion {
                entity: "specification"
            })
        ),
        "{stale:?}"
    );
    let missing =
        specifications::new_version(&tx, SpecificationId::new(), change("MySQL"), at(6)).await;
    assert!(
        matches!(missing, Err(DbError::NotFound { .. })),
        "{missing:?}"
    );
    let mut restated = change("CockroachDB");
    restated.confidence = Some(Confidence::new(0.6).unwrap());
    let third = specifications::new_version(&tx, second.id, restated, at(7))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((third.version, third.confidence), (3, 0.6));

    let history = specifications::history(db, first.id, Page::default())
        .await
        .unwrap()
        .0;
    let versions: Vec<_> = history
        .iter()
        .map(|v| (v.version, v.value.as_str(), v.is_current))
        .collect();
    assert_eq!(
        versions,
        [
            (1, "SQLite", false),
            (2, "PostgreSQL", false),
            (3, "CockroachDB", true)
        ]
    );
    assert_eq!(
        specifications::history(db, third.id, Page::default())
            .await
            .unwrap()
            .0,
        history
    );
    assert!(
        specifications::history(db, SpecificationId::new(), Page::default())
            .await
            .unwrap()
            .0
            .is_empty()
    );
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_no_new_version() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let fact = insert(db, project.id, Category::Security, "auth_method", 1).await;
    {
        let tx = db.begin().await.unwrap();
        let draft = specifications::new_version(&tx, fact.id, change("OAuth"), at(2))
            .await
            .unwrap();
        assert_eq!(draft.version, 2);
        // Dropped without commit: everything it wrote is rolled back.
        drop(tx);
    }
    assert_eq!(reload(db, fact.id).await, fact);
    assert_eq!(
        specifications::history(db, fact.id, Page::default())
            .await
            .unwrap()
            .0,
        std::slice::from_ref(&fact)
    );

    let tx = db.begin().await.unwrap();
    specifications::new_version(&tx, fact.id, change("SAML"), at(3))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        specifications::all_current(db, project.id).await.unwrap(),
        std::slice::from_ref(&fact)
    );

    // The fact is still current, so a later change succeeds as version 2.
    let tx = db.begin().await.unwrap();
    let next = specifications::new_version(&tx, fact.id, change("Passkeys"), at(4))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(next.version, 2);
}

#[tokio::test]
async fn a_soft_deleted_fact_disappears_from_the_current_facts_but_keeps_its_history() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let kept = insert(db, project.id, Category::Goals, "purpose", 1).await;
    let first = insert(db, project.id, Category::Testing, "coverage_target", 2).await;
    let tx = db.begin().await.unwrap();
    let second = specifications::new_version(&tx, first.id, change("90 %"), at(3))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let deleted = specifications::soft_delete(db, second.id, at(4))
        .await
        .unwrap();
    assert_eq!(deleted.id, second.id);
    assert!(!deleted.is_current);
    assert_eq!(deleted.deleted_at, Some(at(4)));

    assert_eq!(
        specifications::all_current(db, project.id).await.unwrap(),
        std::slice::from_ref(&kept)
    );
    let (listed, total) =
        specifications::list_current_counted(db, project.id, None, Page::default())
            .await
            .unwrap();
    assert_eq!((listed, total), (vec![kept.clone()], 1));
    let by_key = current_by_key(db, project.id, Category::Testing, "coverage_target").await;
    assert_eq!(by_key, None);

    let again = specifications::soft_delete(db, second.id, at(5)).await;
    assert!(
        matches!(again, Err(DbError::StaleVersion { .. })),
        "{again:?}"
    );
    let superseded = specifications::soft_delete(db, first.id, at(5)).await;
    assert!(
        matches!(superseded, Err(DbError::StaleVersion { .. })),
        "{superseded:?}"
    );
    let missing = specifications::soft_delete(db, SpecificationId::new(), at(5)).await;
    assert!(
        matches!(missing, Err(DbError::NotFound { .. })),
        "{missing:?}"
    );
    let tx = db.begin().await.unwrap();
    let revive = specifications::new_version(&tx, second.id, change("95 %"), at(6)).await;
    assert!(
        matches!(revive, Err(DbError::StaleVersion { .. })),
        "{revive:?}"
    );
    drop(tx);

    let history = specifications::history(db, first.id, Page::default())
        .await
        .unwrap()
        .0;
    assert_eq!(history.len(), 2);
    assert_eq!(history[1], deleted);
}

#[tokio::test]
async fn current_facts_are_listed_by_category_then_age_and_pages_are_capped() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let other = support::project(db).await;
    let security_late = insert(db, project.id, Category::Security, "late", 20).await;
    let goals = insert(db, project.id, Category::Goals, "purpose", 30).await;
    let security_early = insert(db, project.id, Category::Security, "early", 10).await;
    insert(db, other.id, Category::Goals, "elsewhere", 5).await;

    let all = specifications::all_current(db, project.id).await.unwrap();
    assert_eq!(
        all,
        [goals.clone(), security_early.clone(), security_late.clone()]
    );
    let (security, total) = specifications::list_current_counted(
        db,
        project.id,
        Some(Category::Security),
        Page::default(),
    )
    .await
    .unwrap();
    assert_eq!(total, 2);
    assert_eq!(security, [security_early, security_late.clone()]);
    let (window, total) =
        specifications::list_current_counted(db, project.id, None, Page::new(Some(1), Some(2)))
            .await
            .unwrap();
    assert_eq!((window, total), (vec![security_late], 3));

    let huge = Page::new(Some(1000), None);
    assert_eq!(huge.limit, MAX_PAGE_SIZE);
    assert_eq!(huge.limit, 100);
    for index in 0..(MAX_PAGE_SIZE + 2) {
        let seconds = 100 + i64::try_from(index).unwrap();
        insert(
            db,
            project.id,
            Category::Requirements,
            &format!("req_{index}"),
            seconds,
        )
        .await;
    }
    let (page, total) = specifications::list_current_counted(db, project.id, None, huge)
        .await
        .unwrap();
    assert_eq!(total, MAX_PAGE_SIZE + 5);
    assert_eq!(u64::try_from(page.len()).unwrap(), MAX_PAGE_SIZE);
    assert_eq!(
        specifications::all_current(db, project.id)
            .await
            .unwrap()
            .len(),
        105
    );
}

#[tokio::test]
async fn facts_inserted_together_come_back_in_order_exactly_as_stored() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (project, _) = support::project_and_session(db).await;
    let keys = ["primary_database", "frontend_framework", "hosting"];
    let news = keys
        .iter()
        .map(|key| support::fact(project.id, Category::TechStack, key, "a value"))
        .collect();
    // A sub-second instant: what comes back must be what a later read sees.
    let now = at(5) + chrono::Duration::nanoseconds(123_456_789);
    let facts = specifications::insert_all(db, news, now).await.unwrap();
    let returned: Vec<&str> = facts.iter().map(|fact| fact.key.as_str()).collect();
    assert_eq!(returned, keys);
    for fact in &facts {
        assert_eq!((fact.version, fact.lineage_id), (1, fact.id));
        assert_eq!(*fact, reload(db, fact.id).await);
    }
    assert!(
        specifications::insert_all(db, Vec::new(), now)
            .await
            .unwrap()
            .is_empty()
    );
    let current = specifications::all_current(db, project.id).await.unwrap();
    assert_eq!(current.len(), 3);
}

#[tokio::test]
async fn the_database_keeps_one_current_value_per_slot() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let fact = |key: &str, value: &str| support::fact(project.id, Category::TechStack, key, value);

    // A single-valued key: a second current value is refused, whatever its value.
    let postgres = specifications::insert(db, fact("primary_database", "PostgreSQL"), at(1))
        .await
        .unwrap();
    let second = specifications::insert(db, fact("primary_database", "MySQL"), at(2)).await;
    assert!(
        matches!(second, Err(DbError::AlreadyExists { entity }) if entity == specifications::ENTITY),
        "{second:?}"
    );
    // In a multi-row insert the whole statement is refused: nothing of it is written.
    let batch = specifications::insert_all(
        db,
        vec![
            fact("hosting_provider", "AWS"),
            fact("primary_database", "MongoDB"),
        ],
        at(3),
    )
    .await;
    assert!(
        matches!(batch, Err(DbError::AlreadyExists { .. })),
        "{batch:?}"
    );
    let all = specifications::all_current(db, project.id).await.unwrap();
    assert_eq!(all, std::slice::from_ref(&postgres));

    // Its next version frees the slot as it takes it.
    let tx = db.begin().await.unwrap();
    let mysql = specifications::new_version(&tx, postgres.id, change("MySQL"), at(4))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(mysql.is_current);

    // A multi-valued key: different values coexist, the same value (however written) does not.
    specifications::insert(db, fact("programming_language", "Rust"), at(5))
        .await
        .unwrap();
    specifications::insert(db, fact("programming_language", "Python"), at(6))
        .await
        .unwrap();
    let again = specifications::insert(db, fact("programming_language", " rust "), at(7)).await;
    assert!(
        matches!(again, Err(DbError::AlreadyExists { .. })),
        "{again:?}"
    );

    // A new version onto a value another current fact holds is refused as a duplicate, not
    // reported as a stale version.
    let python = specifications::all_current(db, project.id)
        .await
        .unwrap()
        .into_iter()
        .find(|fact| fact.value == "Python")
        .unwrap();
    let tx = db.begin().await.unwrap();
    let mut onto_rust = change("Rust");
    onto_rust.value_slot = support::slot("programming_language", "Rust");
    let duplicate = specifications::new_version(&tx, python.id, onto_rust, at(8)).await;
    assert!(
        matches!(duplicate, Err(DbError::AlreadyExists { .. })),
        "{duplicate:?}"
    );
}
