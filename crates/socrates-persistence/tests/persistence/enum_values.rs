//! Every value of every domain enum that a repository stores is accepted by the database's
//! CHECK constraints and reads back as the same value. The migrations freeze their value lists
//! on purpose; these tests fail as soon as the domain grows a value the schema does not allow.

use socrates_domain::{
    Category, ConflictResolution, ConflictSeverity, ConflictStatus, ConflictType, ConversationRole,
    FactSource, MessageKind, ProjectPhase, SessionMode, SessionStatus, UserId, UserStatus,
};
use socrates_persistence::repositories::conflicts::{self, NewConflict, PendingFact, Resolution};
use socrates_persistence::repositories::conversation::{self, NewConversationEntry};
use socrates_persistence::repositories::questions::{self, NewQuestion};
use socrates_persistence::repositories::{Writes, projects, sessions, specifications, users};
use socrates_persistence::testing::TestDatabases;

use super::support::{self, at};

fn pending(category: Category) -> PendingFact {
    PendingFact {
        category,
        key: "primary_database".to_owned(),
        value: "PostgreSQL".to_owned(),
        confidence: 0.8,
        source: FactSource::SocraticQuestion,
        source_id: None,
        reasoning: None,
    }
}

fn new_conflict(
    project: &projects::Project,
    conflict_type: ConflictType,
    severity: ConflictSeverity,
    category: Category,
) -> NewConflict {
    NewConflict {
        project_id: project.id,
        session_id: None,
        conflict_type,
        severity,
        old_spec_id: None,
        pending: pending(category),
        description: "contradiction".to_owned(),
        detected_by: "rules".to_owned(),
        options: None,
        created_by: None,
        pending_slot: support::held_slot(),
    }
}

#[tokio::test]
async fn project_and_session_values_are_accepted() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let first = project.phase;
    let mut from = first;
    for phase in ProjectPhase::ALL
        .into_iter()
        .filter(|phase| *phase != first)
    {
        assert!(
            projects::advance_phase(db, project.id, from, phase, at(1))
                .await
                .unwrap()
        );
        let stored = projects::find_owned(db, project.id, project.owner_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.phase, phase);
        from = phase;
    }
    for mode in SessionMode::ALL {
        let session = sessions::create(db, project.id, project.owner_id, mode, at(2))
            .await
            .unwrap();
        let stored = sessions::find_by_id(db, session.id).await.unwrap().unwrap();
        assert_eq!((stored.mode, stored.status), (mode, SessionStatus::Active));
        let ended = sessions::end(db, session.id, at(3)).await.unwrap();
        assert_eq!(ended.status, SessionStatus::Ended);
    }
    assert_eq!(
        SessionStatus::ALL.len(),
        2,
        "a new session status needs a test"
    );
}

#[tokio::test]
async fn user_status_values_are_accepted() {
    let databases = TestDatabases::new().await;
    let db = &databases.auth;
    let user = support::user(db, "status@example.com").await;
    for status in UserStatus::ALL {
        users::set_status(db, user.id, status, at(1)).await.unwrap();
        let stored = users::find_by_id(db, user.id).await.unwrap().unwrap();
        assert_eq!(stored.status, status);
    }
}

#[tokio::test]
async fn fact_and_question_values_are_accepted() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (project, session) = support::project_and_session(db).await;
    for category in Category::ALL {
        let question = questions::insert_with(
            db,
            NewQuestion {
                project_id: project.id,
                session_id: session.id,
                text: format!("What about {category}?"),
                category,
                context: None,
                template_id: None,
                persona: None,
                quality_score: 1.0,
                bias_score: None,
            },
            at(2),
            Writes::new(),
        )
        .await
        .unwrap();
        let stored = questions::find_by_id(db, question.id)
            .await
            .unwrap()
            .unwrap();
        // Answered, so that the session can be asked the next one.
        assert!(
            questions::mark_answered_with(db, question.id, 0, at(2), Writes::new())
                .await
                .unwrap()
        );
        assert_eq!(stored.category, category);

        let new = support::fact(project.id, category, "some_key", "some value");
        let fact = specifications::insert(db, new, at(2)).await.unwrap();
        let stored = specifications::find_by_id(db, fact.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.category, category);
    }
    for source in FactSource::ALL {
        let key = format!("sourced_by_{}", source.as_str());
        let mut new = support::fact(project.id, Category::Goals, &key, "a value");
        new.source = source;
        let fact = specifications::insert(db, new, at(3)).await.unwrap();
        let stored = specifications::find_by_id(db, fact.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.source, source);
    }
}

#[tokio::test]
async fn conversation_values_are_accepted() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (project, session) = support::project_and_session(db).await;
    let mut expected = Vec::new();
    let mut entries = Vec::new();
    for role in ConversationRole::ALL {
        for kind in MessageKind::ALL {
            entries.push(NewConversationEntry {
                session_id: session.id,
                project_id: project.id,
                role,
                kind,
                content: format!("{role} {kind}"),
                question_id: None,
                metadata: None,
            });
            expected.push((role, kind));
        }
    }
    support::write_conversation(db, &session, entries, at(2)).await;
    let page = socrates_persistence::Page::new(Some(100), None);
    let (entries, total) = conversation::list_for_session(db, session.id, page)
        .await
        .unwrap();
    assert_eq!(total, u64::try_from(expected.len()).unwrap());
    let stored: Vec<_> = entries
        .iter()
        .map(|entry| (entry.role, entry.kind))
        .collect();
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn conflict_values_are_accepted() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let mut categories = Category::ALL.into_iter().cycle();
    for conflict_type in ConflictType::ALL {
        for severity in ConflictSeverity::ALL {
            let category = categories.next().unwrap();
            let new = new_conflict(&project, conflict_type, severity, category);
            let conflict = conflicts::insert(db, new, at(1)).await.unwrap();
            let stored = conflicts::find_by_id(db, conflict.id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.conflict_type, conflict_type);
            assert_eq!(stored.severity, severity);
            assert_eq!(stored.pending.category, category);
            assert_eq!(stored.status, ConflictStatus::Open);
        }
    }
    for category in Category::ALL {
        let new = new_conflict(
            &project,
            ConflictType::Requirement,
            ConflictSeverity::Low,
            category,
        );
        conflicts::insert(db, new, at(2)).await.unwrap();
    }
    for source in FactSource::ALL {
        let mut new = new_conflict(
            &project,
            ConflictType::Timeline,
            ConflictSeverity::High,
            Category::Goals,
        );
        new.pending.source = source;
        let conflict = conflicts::insert(db, new, at(3)).await.unwrap();
        let stored = conflicts::find_by_id(db, conflict.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.pending.source, source);
    }
    for resolution in ConflictResolution::ALL {
        let new = new_conflict(
            &project,
            ConflictType::Technology,
            ConflictSeverity::Medium,
            Category::TechStack,
        );
        let conflict = conflicts::insert(db, new, at(4)).await.unwrap();
        let resolved = conflicts::resolve(
            db,
            conflict.id,
            Resolution {
                resolution,
                merged_value: None,
                notes: None,
                resolved_by: UserId::new(),
                resulting_spec_id: None,
            },
            at(5),
        )
        .await
        .unwrap();
        assert_eq!(resolved.resolution, Some(resolution));
        assert_eq!(resolved.status, ConflictStatus::Resolved);
    }
}
