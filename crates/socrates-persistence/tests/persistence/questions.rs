//! Questions: storage, templates and the answer-once rule.

use socrates_domain::{Category, QuestionId};
use socrates_persistence::DbError;
use socrates_persistence::repositories::Writes;
use socrates_persistence::repositories::questions::{self, NewQuestion, Question};
use socrates_persistence::testing::TestDatabases;

use super::support::{self, at};

fn new_question(
    session: &socrates_persistence::repositories::sessions::Session,
    text: &str,
    template_id: Option<&str>,
) -> NewQuestion {
    NewQuestion {
        project_id: session.project_id,
        session_id: session.id,
        text: text.to_owned(),
        category: Category::Security,
        context: Some("Security has no facts yet.".to_owned()),
        template_id: template_id.map(str::to_owned),
        persona: Some("developer".to_owned()),
        quality_score: 0.85,
        bias_score: Some(0.1),
    }
}

async fn reload(db: &socrates_persistence::SpecsDb, question: &Question) -> Question {
    questions::find_by_id(db, question.id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn questions_are_stored_and_their_templates_are_distinct() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (project, session) = support::project_and_session(db).await;
    let first = questions::insert_with(
        db,
        new_question(&session, "Who may log in?", Some("sec_1")),
        at(1),
        Writes::new(),
    )
    .await
    .unwrap();
    assert_eq!(first.text, "Who may log in?");
    assert_eq!(first.category, Category::Security);
    assert_eq!(first.quality_score, 0.85);
    assert_eq!(first.bias_score, Some(0.1));
    assert_eq!(first.answered_at, None);
    assert_eq!(first.facts_extracted, 0);
    assert_eq!(reload(db, &first).await, first);
    assert_eq!(
        questions::find_by_id(db, QuestionId::new()).await.unwrap(),
        None
    );

    // The session waits on its first question: a second one is refused until it is answered.
    let refused = questions::insert_with(
        db,
        new_question(&session, "Another?", None),
        at(1),
        Writes::new(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(refused, DbError::AlreadyExists { .. }),
        "{refused:?}"
    );
    assert_eq!(
        questions::waiting_for_session(db, session.id)
            .await
            .unwrap(),
        Some(first.clone())
    );
    assert!(
        questions::mark_answered_with(db, first.id, 0, at(1), Writes::new())
            .await
            .unwrap()
    );
    assert_eq!(
        questions::waiting_for_session(db, session.id)
            .await
            .unwrap(),
        None
    );

    for (seconds, text, template) in [
        (2, "How are secrets kept?", Some("sec_2")),
        (3, "Again?", Some("sec_1")),
        (4, "Free-form", None),
    ] {
        let question = new_question(&session, text, template);
        let stored = questions::insert_with(db, question, at(seconds), Writes::new())
            .await
            .unwrap();
        assert!(
            questions::mark_answered_with(db, stored.id, 0, at(seconds), Writes::new())
                .await
                .unwrap()
        );
        let stored = reload(db, &stored).await;
        assert_eq!(reload(db, &stored).await, stored);
        assert_eq!(
            (stored.created_at, stored.session_id),
            (at(seconds), session.id)
        );
    }
    let (_, elsewhere) = support::project_and_session(db).await;
    questions::insert_with(
        db,
        new_question(&elsewhere, "Elsewhere", Some("sec_9")),
        at(5),
        Writes::new(),
    )
    .await
    .unwrap();

    let templates = questions::template_ids_for_project(db, project.id)
        .await
        .unwrap();
    assert_eq!(templates, ["sec_1", "sec_2"]);
}

#[tokio::test]
async fn a_question_is_answered_with_facts_only_once() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (_, session) = support::project_and_session(db).await;
    let question = questions::insert_with(
        db,
        new_question(&session, "Which cloud?", None),
        at(1),
        Writes::new(),
    )
    .await
    .unwrap();

    // An answer that produced no facts may be retried.
    assert!(
        questions::mark_answered_with(db, question.id, 0, at(2), Writes::new())
            .await
            .unwrap()
    );
    let stored = reload(db, &question).await;
    assert_eq!(
        (stored.answered_at, stored.facts_extracted),
        (Some(at(2)), 0)
    );

    assert!(
        questions::mark_answered_with(db, question.id, 3, at(3), Writes::new())
            .await
            .unwrap()
    );
    let stored = reload(db, &question).await;
    assert_eq!(
        (stored.answered_at, stored.facts_extracted),
        (Some(at(3)), 3)
    );
    assert_eq!(stored.updated_at, at(3));

    // Once answered with facts, further answers are refused and change nothing.
    assert!(
        !questions::mark_answered_with(db, question.id, 5, at(4), Writes::new())
            .await
            .unwrap()
    );
    assert!(
        !questions::mark_answered_with(db, question.id, 0, at(5), Writes::new())
            .await
            .unwrap()
    );
    assert_eq!(reload(db, &question).await, stored);

    let missing =
        questions::mark_answered_with(db, QuestionId::new(), 1, at(6), Writes::new()).await;
    assert!(
        matches!(missing, Err(DbError::NotFound { entity: "question" })),
        "{missing:?}"
    );
}
