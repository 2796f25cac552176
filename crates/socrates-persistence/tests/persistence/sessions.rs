//! Sessions: opening, ending and counting (activity is recorded with the question or answer
//! that caused it: see `writes`).

use socrates_domain::{SessionId, SessionMode, SessionStatus, UserId};
use socrates_persistence::DbError;
use socrates_persistence::repositories::sessions;
use socrates_persistence::testing::TestDatabases;

use super::support::{self, at};

#[tokio::test]
async fn sessions_are_opened_and_ended_once() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let user = UserId::new();
    let session = sessions::create(db, project.id, user, SessionMode::DirectChat, at(1))
        .await
        .unwrap();
    assert_eq!(session.project_id, project.id);
    assert_eq!(session.user_id, user);
    assert_eq!(session.mode, SessionMode::DirectChat);
    assert_eq!(session.status, SessionStatus::Active);
    assert_eq!(
        (session.started_at, session.last_activity_at),
        (at(1), at(1))
    );
    assert_eq!(session.ended_at, None);
    assert_eq!(
        sessions::find_by_id(db, session.id).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(
        sessions::find_by_id(db, SessionId::new()).await.unwrap(),
        None
    );

    assert_eq!(sessions::count_active(db).await.unwrap(), 1);
    let ended = sessions::end(db, session.id, at(10)).await.unwrap();
    assert_eq!(ended.status, SessionStatus::Ended);
    assert_eq!(ended.ended_at, Some(at(10)));
    assert_eq!(ended.updated_at, at(10));
    assert_eq!(ended.started_at, at(1));
    assert_eq!(sessions::count_active(db).await.unwrap(), 0);

    // Ending again is harmless and keeps the first end.
    let again = sessions::end(db, session.id, at(20)).await.unwrap();
    assert_eq!(again, ended);

    let missing = SessionId::new();
    let error = sessions::end(db, missing, at(21)).await;
    assert!(
        matches!(error, Err(DbError::NotFound { entity: "session" })),
        "{error:?}"
    );
}

#[tokio::test]
async fn active_sessions_are_counted_across_projects() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let other = support::project(db).await;
    let mut ids = Vec::new();
    for index in 0..4 {
        let session = sessions::create(
            db,
            project.id,
            project.owner_id,
            SessionMode::Socratic,
            at(index),
        )
        .await
        .unwrap();
        ids.push(session.id);
    }
    sessions::create(db, other.id, other.owner_id, SessionMode::Socratic, at(9))
        .await
        .unwrap();
    sessions::end(db, ids[0], at(10)).await.unwrap();
    assert_eq!(
        sessions::count_active(db).await.unwrap(),
        4,
        "active across all projects"
    );
}

#[tokio::test]
async fn a_session_is_found_with_its_project_only_by_the_projects_owner() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (project, session) = support::project_and_session(db).await;
    assert_eq!(
        sessions::find_with_owned_project(db, session.id, project.owner_id)
            .await
            .unwrap(),
        Some((session.clone(), project.clone()))
    );
    // Someone else's project, or no such session: nothing, alike.
    assert_eq!(
        sessions::find_with_owned_project(db, session.id, UserId::new())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        sessions::find_with_owned_project(db, SessionId::new(), project.owner_id)
            .await
            .unwrap(),
        None
    );
}
