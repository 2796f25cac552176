//! Writes sent along with another statement (`…_with`, `…_later`): each reaches the database
//! with the statement that takes it, on PostgreSQL as one statement, and rolls back with it.

use socrates_domain::{Category, ConversationRole, MessageKind, QuestionId, compute_maturity};
use socrates_persistence::repositories::conversation;
use socrates_persistence::repositories::questions;
use socrates_persistence::repositories::{Page, Writes, maturity, projects, sessions};
use socrates_persistence::testing::TestDatabases;

use super::support::{self, at};

#[tokio::test]
async fn a_question_and_the_sessions_activity_are_written_together() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (project, session) = support::project_and_session(db).await;
    let question = questions::insert_with(
        db,
        support::question(
            &session,
            "Who are the users?",
            Category::Goals,
            Some("goals_1"),
        ),
        at(40),
        sessions::touch_later(session.id, at(40)),
    )
    .await
    .unwrap();
    assert_eq!(question.text, "Who are the users?");
    assert_eq!(question.created_at, at(40));
    assert_eq!(
        questions::find_by_id(db, question.id).await.unwrap(),
        Some(question.clone())
    );
    let touched = sessions::find_by_id(db, session.id).await.unwrap().unwrap();
    assert_eq!(
        (touched.last_activity_at, touched.updated_at),
        (at(40), at(40))
    );
    assert_eq!(touched.started_at, at(1));

    // The session, its project and the question, in one read; anyone else's, or another
    // session's question, is not found.
    let found = sessions::find_with_owned_project_and_question(
        db,
        session.id,
        project.owner_id,
        question.id,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(found, (touched.clone(), project.clone(), question.clone()));
    let stranger = socrates_domain::UserId::new();
    for (owner, asked) in [
        (stranger, question.id),
        (project.owner_id, QuestionId::new()),
    ] {
        assert_eq!(
            sessions::find_with_owned_project_and_question(db, session.id, owner, asked)
                .await
                .unwrap(),
            None
        );
    }
    let other = sessions::create(
        db,
        project.id,
        project.owner_id,
        socrates_domain::SessionMode::Socratic,
        at(41),
    )
    .await
    .unwrap();
    assert_eq!(
        sessions::find_with_owned_project_and_question(db, other.id, project.owner_id, question.id)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn an_answers_writes_go_together_and_roll_back_together() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (project, session) = support::project_and_session(db).await;
    let question = questions::insert_with(
        db,
        support::question(&session, "Which database?", Category::TechStack, None),
        at(50),
        Writes::new(),
    )
    .await
    .unwrap();
    let pair = |answer: &str| {
        conversation::append_all_later(
            vec![
                support::entry(
                    &session,
                    Some(question.id),
                    ConversationRole::Assistant,
                    MessageKind::Question,
                    "Which database?",
                ),
                support::entry(
                    &session,
                    Some(question.id),
                    ConversationRole::User,
                    MessageKind::Answer,
                    answer,
                ),
            ],
            at(51),
        )
    };
    assert_eq!(pair("PostgreSQL").len(), 1, "one multi-row insert");
    assert!(conversation::append_all_later(Vec::new(), at(51)).is_empty());

    // The answer, its conversation, the project's maturity, its history row and the
    // session's activity.
    let tx = db.begin().await.unwrap();
    assert!(
        questions::mark_answered_with(&tx, question.id, 1, at(51), pair("PostgreSQL"))
            .await
            .unwrap()
    );
    let report = compute_maturity([(Category::TechStack, 0.9)]);
    maturity::record_with(
        &tx,
        project.id,
        &report,
        "answer",
        Some(question.id.into_uuid()),
        at(52),
        projects::set_maturity_later(project.id, report.overall, at(52))
            .and(sessions::touch_later(session.id, at(52))),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let (entries, total) = conversation::list_for_session(db, session.id, Page::default())
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        entries
            .iter()
            .map(|e| e.content.as_str())
            .collect::<Vec<_>>(),
        ["Which database?", "PostgreSQL"]
    );
    let stored = questions::find_by_id(db, question.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.answered_at, stored.facts_extracted),
        (Some(at(51)), 1)
    );
    let project_now = projects::find_owned(db, project.id, project.owner_id)
        .await
        .unwrap()
        .unwrap();
    assert!((project_now.maturity_score - report.overall).abs() < 1e-9);
    assert!(report.overall > 0.0);
    assert_eq!(project_now.updated_at, at(52));
    let latest = maturity::history(db, project.id, 1).await.unwrap();
    assert_eq!(
        (latest[0].reason.as_str(), latest[0].calculated_at),
        ("answer", at(52))
    );
    assert_eq!(
        sessions::find_by_id(db, session.id)
            .await
            .unwrap()
            .unwrap()
            .last_activity_at,
        at(52)
    );

    // A second answer is refused; its conversation rows go with the rolled-back transaction.
    let tx = db.begin().await.unwrap();
    assert!(
        !questions::mark_answered_with(&tx, question.id, 2, at(53), pair("MySQL"))
            .await
            .unwrap()
    );
    tx.rollback().await.unwrap();
    let (_, total) = conversation::list_for_session(db, session.id, Page::default())
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(Writes::new().and(Writes::new()).len(), 0);
}
