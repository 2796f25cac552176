//! Projects: ownership, listing, changes, maturity and archiving.

use socrates_domain::{ProjectId, ProjectName, ProjectPhase, ProjectStatus, UserId};
use socrates_persistence::repositories::maturity;
use socrates_persistence::repositories::projects::{self, ProjectChanges, ProjectFilter};
use socrates_persistence::testing::TestDatabases;
use socrates_persistence::{DbError, Page};

use super::support::{at, project_of};

#[tokio::test]
async fn projects_are_only_found_by_their_owner() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let owner = UserId::new();
    let project = project_of(db, owner, "Shop").await;
    assert_eq!(project.owner_id, owner);
    assert_eq!(project.name, "Shop");
    assert_eq!(project.phase, ProjectPhase::Discovery);
    assert_eq!(project.status, ProjectStatus::Active);
    assert_eq!(project.maturity_score, 0.0);
    assert_eq!(project.archived_at, None);

    let found = projects::find_owned(db, project.id, owner).await.unwrap();
    assert_eq!(found.as_ref(), Some(&project));
    assert_eq!(
        projects::find_owned(db, project.id, UserId::new())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        projects::find_owned(db, ProjectId::new(), owner)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn listing_pages_counts_and_hides_archived_projects() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let owner = UserId::new();
    let mut ids = Vec::new();
    for index in 0..5 {
        let new = projects::NewProject {
            owner_id: owner,
            name: ProjectName::parse(&format!("Project {index}")).unwrap(),
            description: None,
        };
        ids.push(projects::create(db, new, at(index)).await.unwrap().id);
    }
    project_of(db, UserId::new(), "Someone else").await;
    projects::archive(db, ids[0], at(10)).await.unwrap();
    assert!(
        projects::advance_phase(
            db,
            ids[4],
            ProjectPhase::Discovery,
            ProjectPhase::Analysis,
            at(10)
        )
        .await
        .unwrap()
    );

    let (page, total) = projects::list_for_owner(
        db,
        owner,
        ProjectFilter::default(),
        Page::new(Some(2), None),
    )
    .await
    .unwrap();
    assert_eq!(total, 4, "archived projects are hidden by default");
    let names: Vec<_> = page.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Project 4", "Project 3"], "newest first");

    let (rest, total) = projects::list_for_owner(
        db,
        owner,
        ProjectFilter::default(),
        Page::new(Some(2), Some(2)),
    )
    .await
    .unwrap();
    assert_eq!(total, 4);
    let names: Vec<_> = rest.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Project 2", "Project 1"]);

    let archived = ProjectFilter {
        status: Some(ProjectStatus::Archived),
        phase: None,
    };
    let (listed, total) = projects::list_for_owner(db, owner, archived, Page::default())
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(listed[0].id, ids[0]);
    assert_eq!(listed[0].archived_at, Some(at(10)));

    let analysis = ProjectFilter {
        status: None,
        phase: Some(ProjectPhase::Analysis),
    };
    let (listed, total) = projects::list_for_owner(db, owner, analysis, Page::default())
        .await
        .unwrap();
    assert_eq!((listed.len(), total), (1, 1));
    assert_eq!(listed[0].id, ids[4]);
}

#[tokio::test]
async fn updates_maturity_and_archiving_are_stored() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let owner = UserId::new();
    let project = project_of(db, owner, "Before").await;

    let changes = ProjectChanges {
        name: Some(ProjectName::parse("After").unwrap()),
        description: Some(Some("A description".to_owned())),
    };
    let updated = projects::update(db, project.id, changes, at(5))
        .await
        .unwrap();
    assert_eq!(updated.name, "After");
    assert_eq!(updated.description.as_deref(), Some("A description"));
    assert_eq!((updated.created_at, updated.updated_at), (at(0), at(5)));

    let clear = ProjectChanges {
        name: None,
        description: Some(None),
    };
    let cleared = projects::update(db, project.id, clear, at(6))
        .await
        .unwrap();
    assert_eq!(cleared.name, "After");
    assert_eq!(cleared.description, None);

    // One fact at 0.4 of 90 points is 0.44 %: the float must survive, not round to 0.
    let report = socrates_domain::compute_maturity([(socrates_domain::Category::Goals, 0.4)]);
    maturity::record_with(
        db,
        project.id,
        &report,
        "answer",
        None,
        at(7),
        projects::set_maturity_later(project.id, report.overall, at(7)),
    )
    .await
    .unwrap();
    let stored = projects::find_owned(db, project.id, owner)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.maturity_score, 0.44);
    assert_eq!(stored.updated_at, at(7));

    projects::archive(db, project.id, at(8)).await.unwrap();
    let archived = projects::find_owned(db, project.id, owner)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(archived.status, ProjectStatus::Archived);
    assert_eq!(archived.archived_at, Some(at(8)));

    let missing = ProjectId::new();
    let error = projects::update(db, missing, ProjectChanges::default(), at(9)).await;
    assert!(
        matches!(error, Err(DbError::NotFound { entity: "project" })),
        "{error:?}"
    );
    let error = projects::archive(db, missing, at(9)).await;
    assert!(matches!(error, Err(DbError::NotFound { .. })), "{error:?}");
}

#[tokio::test]
async fn the_status_reads_come_with_open_conflicts_and_fact_confidences() {
    use socrates_domain::{Category, ConflictResolution};
    use socrates_persistence::repositories::conflicts::{self, Resolution};
    use socrates_persistence::repositories::specifications;

    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let owner = UserId::new();
    let project = project_of(db, owner, "Status").await;
    let other = project_of(db, owner, "Other").await;

    let (found, open) = projects::find_owned_with_open_conflicts(db, project.id, owner)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, open), (project.id, 0));
    assert!(
        projects::find_owned_with_open_conflicts(db, project.id, UserId::new())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        specifications::current_confidences(db, project.id)
            .await
            .unwrap()
            .is_empty()
    );

    for (category, key) in [
        (Category::Goals, "project_type"),
        (Category::TechStack, "primary_database"),
    ] {
        specifications::insert(
            db,
            super::support::fact(project.id, category, key, "x"),
            at(1),
        )
        .await
        .unwrap();
    }
    specifications::insert(
        db,
        super::support::fact(other.id, Category::Goals, "project_type", "y"),
        at(1),
    )
    .await
    .unwrap();
    let first = conflicts::insert(
        db,
        super::conflicts::new_conflict(project.id, "MySQL"),
        at(2),
    )
    .await
    .unwrap();
    conflicts::insert(
        db,
        super::conflicts::new_conflict(project.id, "Oracle"),
        at(3),
    )
    .await
    .unwrap();
    conflicts::insert(
        db,
        super::conflicts::new_conflict(other.id, "MongoDB"),
        at(3),
    )
    .await
    .unwrap();
    conflicts::resolve(
        db,
        first.id,
        Resolution {
            resolution: ConflictResolution::KeepOld,
            merged_value: None,
            notes: None,
            resolved_by: owner,
            resulting_spec_id: None,
        },
        at(4),
    )
    .await
    .unwrap();

    let (_, open) = projects::find_owned_with_open_conflicts(db, project.id, owner)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(open, 1, "one resolved, one open, one of another project");
    let mut confidences = specifications::current_confidences(db, project.id)
        .await
        .unwrap();
    confidences.sort_by_key(|(category, _)| *category as usize);
    assert_eq!(confidences.len(), 2);
    assert_eq!(confidences[0].0, Category::Goals);

    assert!(
        projects::advance_phase(
            db,
            project.id,
            ProjectPhase::Discovery,
            ProjectPhase::Analysis,
            at(5)
        )
        .await
        .unwrap()
    );
    assert!(
        !projects::advance_phase(
            db,
            project.id,
            ProjectPhase::Discovery,
            ProjectPhase::Analysis,
            at(6)
        )
        .await
        .unwrap(),
        "the second advance from discovery finds the project moved"
    );
}
