//! Sessions: opening, activity, mode switches, ending and listing.

use socrates_domain::{SessionId, SessionMode, SessionStatus, UserId};
use socrates_persistence::repositories::sessions;
use socrates_persistence::testing::TestDatabases;
use socrates_persistence::{DbError, Page};

use super::support::{self, at};

#[tokio::test]
async fn sessions_are_opened_touched_switched_and_ended_once() {
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

    sessions::touch(db, session.id, at(5)).await.unwrap();
    let touched = sessions::find_by_id(db, session.id).await.unwrap().unwrap();
    assert_eq!(
        (touched.last_activity_at, touched.updated_at),
        (at(5), at(5))
    );
    assert_eq!(touched.started_at, at(1));

    let switched = sessions::set_mode(db, session.id, SessionMode::Socratic, at(6))
        .await
        .unwrap();
    assert_eq!(switched.mode, SessionMode::Socratic);
    assert_eq!(switched.updated_at, at(6));

    assert_eq!(sessions::count_active(db).await.unwrap(), 1);
    let ended = sessions::end(db, session.id, at(10)).await.unwrap();
    assert_eq!(ended.status, SessionStatus::Ended);
    assert_eq!(ended.ended_at, Some(at(10)));
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
    let error = sessions::touch(db, missing, at(21)).await;
    assert!(matches!(error, Err(DbError::NotFound { .. })), "{error:?}");
    let error = sessions::set_mode(db, missing, SessionMode::Socratic, at(21)).await;
    assert!(matches!(error, Err(DbError::NotFound { .. })), "{error:?}");
}

#[tokio::test]
async fn sessions_are_counted_and_listed_per_project_newest_first() {
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

    let (first, total) = sessions::list_for_project(db, project.id, Page::new(Some(3), None))
        .await
        .unwrap();
    assert_eq!(total, 4);
    let listed: Vec<_> = first.iter().map(|session| session.id).collect();
    assert_eq!(listed, [ids[3], ids[2], ids[1]]);
    let (rest, _) = sessions::list_for_project(db, project.id, Page::new(Some(3), Some(3)))
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].id, ids[0]);
    assert_eq!(rest[0].status, SessionStatus::Ended);
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
