//! Writers racing on one project's facts, through HTTP: the database keeps one current value
//! of a single-valued key and one current copy of a value of a multi-valued key, and the
//! losers of the race get the conflict or the fact already stated, never a 500 and never a
//! second current value.

use futures_util::future::join_all;
use serde_json::{Value, json};

use super::support::{TestApp, json_of, new_project, new_session, next_question, spawn_app};

/// The current values of `key` in the project.
async fn current_values(app: &TestApp, token: &str, project: &str, key: &str) -> Vec<String> {
    let path = format!("/api/v1/specifications/project/{project}?limit=100");
    let facts = json_of(app.get_authed(&path, token).await, 200).await;
    facts["specifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|fact| fact["key"] == key)
        .map(|fact| fact["value"].as_str().unwrap().to_owned())
        .collect()
}

async fn open_conflicts(app: &TestApp, token: &str, project: &str) -> Vec<Value> {
    let path = format!("/api/v1/conflicts/project/{project}?status=open");
    let conflicts = json_of(app.get_authed(&path, token).await, 200).await;
    conflicts["conflicts"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hand_entered_values_of_one_key_at_once_leave_one_current_value() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Race on a single-valued key").await;
    let values = ["PostgreSQL", "MySQL"];
    let responses = join_all((0..20).map(|n| {
        let body = json!({"project_id": project, "category": "tech_stack",
                          "key": "primary_database", "value": values[n % 2]});
        let (app, token) = (&app, &token);
        async move {
            let response = app
                .post_authed("/api/v1/specifications", token, &body)
                .await;
            // 201 when saved, 200 when held in a conflict.
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            let held = body["specification"].is_null();
            assert_eq!(status, if held { 200 } else { 201 }, "{body}");
            body
        }
    }))
    .await;

    let current = current_values(&app, &token, &project, "primary_database").await;
    assert_eq!(current.len(), 1, "{current:?}");
    let winner = current[0].clone();
    let loser = values.iter().find(|value| **value != winner).unwrap();
    for response in &responses {
        let saved = &response["specification"];
        if saved.is_null() {
            assert_eq!(response["conflicts_detected"], true, "{response}");
        } else {
            assert_eq!(saved["value"], winner.as_str(), "{response}");
        }
    }
    // The other value waits in a conflict against the one current fact.
    let conflicts = open_conflicts(&app, &token, &project).await;
    assert_eq!(
        conflicts.len(),
        1,
        "one conflict holds the other value: {conflicts:?}"
    );
    assert!(
        conflicts
            .iter()
            .any(|conflict| conflict.to_string().contains(loser)),
        "{conflicts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_value_of_a_multi_valued_key_at_once_is_one_fact() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Race on a multi-valued key").await;
    let responses = join_all((0..20).map(|n| {
        let value = if n % 2 == 0 { "Rust" } else { "rust" };
        let body = json!({"project_id": project, "category": "tech_stack",
                          "key": "programming_language", "value": value});
        let (app, token) = (&app, &token);
        async move {
            json_of(
                app.post_authed("/api/v1/specifications", token, &body)
                    .await,
                201,
            )
            .await
        }
    }))
    .await;
    let ids: std::collections::HashSet<&str> = responses
        .iter()
        .map(|response| response["specification"]["spec_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "every writer gets the one fact: {responses:?}"
    );
    let current = current_values(&app, &token, &project, "programming_language").await;
    assert_eq!(current.len(), 1, "{current:?}");
    assert!(open_conflicts(&app, &token, &project).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn answers_in_four_sessions_naming_different_databases_raise_conflicts() {
    let app = spawn_app().await;
    let databases = ["PostgreSQL", "MySQL", "MongoDB", "SQLite"];
    for round in 0..3 {
        let token = app.signed_in_user().await;
        let project = new_project(&app, &token, &format!("Four sessions {round}")).await;
        let mut asked = Vec::new();
        for _ in &databases {
            let session = json_of(
                app.post_authed(
                    &format!("/api/v1/projects/{project}/sessions"),
                    &token,
                    &json!({}),
                )
                .await,
                201,
            )
            .await;
            let session = session["session_id"].as_str().unwrap().to_owned();
            let question = next_question(&app, &token, &session).await;
            asked.push((session, question["question_id"].clone()));
        }
        let answers = join_all(
            asked
                .iter()
                .zip(databases)
                .map(|((session, question), db)| {
                    let (app, token) = (&app, &token);
                    async move {
                        let body = json!({"question_id": question,
                                  "answer": format!("We will use {db} as the database.")});
                        json_of(
                            app.post_authed(
                                &format!("/api/v1/sessions/{session}/answer"),
                                token,
                                &body,
                            )
                            .await,
                            200,
                        )
                        .await
                    }
                }),
        )
        .await;
        let current = current_values(&app, &token, &project, "primary_database").await;
        assert_eq!(current.len(), 1, "round {round}: {current:?}");
        let held = answers
            .iter()
            .filter(|answer| answer["conflicts_detected"] == true)
            .count();
        assert_eq!(held, 3, "round {round}: {answers:?}");
        assert_eq!(open_conflicts(&app, &token, &project).await.len(), 3);
    }
}

/// Ten clients asking one session for its next question at once all get the same question:
/// the session waits on one question at a time, whichever call stored it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn next_question_asked_at_once_stores_one_question() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Race on the next question").await;
    let session = new_session(&app, &token, &project).await;
    let session = session.as_str();
    let questions = join_all((0..10).map(|_| next_question(&app, &token, session))).await;
    let ids: std::collections::HashSet<&str> = questions
        .iter()
        .map(|question| question["question_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{questions:?}");
    let history = json_of(
        app.get_authed(&format!("/api/v1/sessions/{session}/history"), &token)
            .await,
        200,
    )
    .await;
    let asked = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "question")
        .count();
    assert!(asked <= 1, "{history}");
}
