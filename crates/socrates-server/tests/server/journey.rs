//! The seed's end-to-end journey through HTTP with the offline reasoner, and the rules of the
//! answer path: one transaction per answer, no answer twice, no question of another session,
//! no repeated question, conflicts held back with the status agreeing.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{
    PASSWORD, answer, expect_error, json_of, next_question, spawn_app, unique_email,
};

#[tokio::test]
async fn the_seed_journey_and_a_contradiction_held_in_a_conflict() {
    let app = spawn_app().await;
    // register 201 → login 200 access_token
    let email = unique_email();
    let registered = app
        .post(
            "/api/v1/auth/register",
            &json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(registered.status(), 201);
    let login = json_of(
        app.post(
            "/api/v1/auth/login",
            &json!({"email": email, "password": PASSWORD}),
        )
        .await,
        200,
    )
    .await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    // POST /projects 201 project_id
    let project = json_of(
        app.post_authed(
            "/api/v1/projects",
            &token,
            &json!({"name": "Test Project", "description": "A web app"}),
        )
        .await,
        201,
    )
    .await;
    let project_id = project["project_id"].as_str().unwrap().to_owned();
    // POST /projects/{id}/sessions 201 session_id
    let session = json_of(
        app.post_authed(
            &format!("/api/v1/projects/{project_id}/sessions"),
            &token,
            &json!({"mode": "socratic"}),
        )
        .await,
        201,
    )
    .await;
    let session_id = session["session_id"].as_str().unwrap().to_owned();
    assert_eq!(session["mode"], "socratic");
    assert_eq!(session["status"], "active");
    // next-question 200 question_id
    let first = next_question(&app, &token, &session_id).await;
    assert!(first["question_id"].is_string(), "{first}");
    assert_eq!(first["category"], "goals");
    assert!(first["text"].as_str().unwrap().ends_with('?'));
    // answer 200 specs_extracted > 0
    let answered = json_of(
        answer(
            &app,
            &token,
            &session_id,
            &first,
            "I want to build a web app with FastAPI",
        )
        .await,
        200,
    )
    .await;
    assert!(
        answered["specs_extracted"].as_u64().unwrap() > 0,
        "{answered}"
    );
    assert_eq!(answered["conflicts_detected"], false);
    let maturity = answered["maturity_score"].as_f64().unwrap();
    assert!(maturity > 0.0);
    // status 200 maturity_score > 0, agreeing with the answer
    let status_path = format!("/api/v1/projects/{project_id}/status");
    let status = json_of(app.get_authed(&status_path, &token).await, 200).await;
    assert_eq!(status["maturity_score"].as_f64(), Some(maturity));
    assert_eq!(status["coverage_breakdown"], answered["coverage_breakdown"]);
    assert_eq!(
        status["specifications_count"].as_u64(),
        answered["specs_extracted"].as_u64()
    );

    // The same question again: 409, nothing written twice.
    let again = answer(&app, &token, &session_id, &first, "Also a mobile app").await;
    expect_error(again, 409, "QUESTION_ALREADY_ANSWERED").await;

    // A second answer with several facts, then a contradiction.
    let second = next_question(&app, &token, &session_id).await;
    assert_ne!(second["question_id"], first["question_id"]);
    let several = json_of(
        answer(
            &app,
            &token,
            &session_id,
            &second,
            "The data lives in PostgreSQL 16, we deploy on AWS with Kubernetes, and pages \
             should load with a p95 under 300 ms.",
        )
        .await,
        200,
    )
    .await;
    assert!(
        several["specs_extracted"].as_u64().unwrap() >= 4,
        "{several}"
    );
    // The database in other words is already known: nothing new, nothing contradicted.
    let restated_question = next_question(&app, &token, &session_id).await;
    let restated = json_of(
        answer(
            &app,
            &token,
            &session_id,
            &restated_question,
            "As I said, Postgres.",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(restated["specs_extracted"], 0, "{restated}");
    assert_eq!(restated["conflicts_detected"], false);
    let third = next_question(&app, &token, &session_id).await;
    let contradiction = json_of(
        answer(
            &app,
            &token,
            &session_id,
            &third,
            "Actually the database will be MySQL.",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(contradiction["conflicts_detected"], true, "{contradiction}");
    let conflict = &contradiction["conflicts"][0];
    assert_eq!(conflict["new_spec_value"], "MySQL");
    assert_eq!(conflict["old_spec"]["value"], "PostgreSQL");
    // Said again while the conflict is open, the same contradiction is the same conflict.
    let fourth = next_question(&app, &token, &session_id).await;
    let repeated = json_of(
        answer(
            &app,
            &token,
            &session_id,
            &fourth,
            "As I said: the database will be mysql.",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(repeated["conflicts_detected"], true, "{repeated}");
    assert_eq!(
        repeated["conflicts"][0]["conflict_id"], conflict["conflict_id"],
        "{repeated}"
    );
    assert_eq!(repeated["conflicts"][0]["new_spec_value"], "MySQL");
    assert_eq!(conflict["type"], "technology");
    let status = json_of(app.get_authed(&status_path, &token).await, 200).await;
    assert_eq!(status["unresolved_conflicts"], 1);
    assert_eq!(
        status["maturity_score"].as_f64(),
        contradiction["maturity_score"].as_f64()
    );

    // The conflict: options, resolution by replacement, and no second resolution.
    let conflict_id = conflict["conflict_id"].as_str().unwrap().to_owned();
    let listed = json_of(
        app.get_authed(
            &format!("/api/v1/conflicts/project/{project_id}?status=pending"),
            &token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["conflicts"][0]["old_spec"]["value"], "PostgreSQL");
    let options = json_of(
        app.get_authed(&format!("/api/v1/conflicts/{conflict_id}/options"), &token)
            .await,
        200,
    )
    .await;
    let actions: Vec<&str> = options["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["keep_old", "replace", "merge"]);
    let resolve_path = format!("/api/v1/conflicts/{conflict_id}/resolve");
    let merge_without_value = app
        .post_authed(&resolve_path, &token, &json!({"resolution": "merge"}))
        .await;
    expect_error(merge_without_value, 400, "VALIDATION_ERROR").await;
    let resolved = json_of(
        app.post_authed(
            &resolve_path,
            &token,
            &json!({"resolution": "replace", "notes": "the team knows MySQL"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(resolved["status"], "resolved");
    assert!(resolved["resulting_spec_id"].is_string());
    // The replacing version is the answer's statement: it keeps its source.
    let history = json_of(
        app.get_authed(
            &format!(
                "/api/v1/specifications/{}/history",
                resolved["resulting_spec_id"].as_str().unwrap()
            ),
            &token,
        )
        .await,
        200,
    )
    .await;
    let versions = history["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["source"], "socratic_question", "{history}");
    assert_eq!(versions[1]["is_current"], true);
    let twice = app
        .post_authed(&resolve_path, &token, &json!({"resolution": "keep_old"}))
        .await;
    expect_error(twice, 409, "CONFLICT_ALREADY_RESOLVED").await;
    let status = json_of(app.get_authed(&status_path, &token).await, 200).await;
    assert_eq!(status["unresolved_conflicts"], 0);
    assert_eq!(status["maturity_score"], resolved["maturity_score"]);

    // Both exports.
    let markdown = app
        .get_authed(
            &format!("/api/v1/projects/{project_id}/export/markdown"),
            &token,
        )
        .await;
    assert_eq!(markdown.status(), 200);
    assert!(
        markdown.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    assert_eq!(
        markdown.headers()["content-disposition"],
        "attachment; filename=\"test-project.md\""
    );
    let markdown = markdown.text().await.unwrap();
    assert!(markdown.len() > 100);
    // A category with one fact says "1 fact", not "1 facts".
    assert!(markdown.contains(" (1 fact, weight "), "{markdown}");
    assert!(!markdown.contains("(1 facts"), "{markdown}");
    assert!(markdown.starts_with("# Test Project"), "{markdown}");
    assert!(markdown.contains("## Maturity by category"));
    assert!(
        markdown.contains("| `primary_database` | MySQL |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("→ **replace** — the team knows MySQL"),
        "{markdown}"
    );
    let exported = app
        .get_authed(
            &format!("/api/v1/projects/{project_id}/export/json"),
            &token,
        )
        .await;
    assert_eq!(
        exported.headers()["content-disposition"],
        "attachment; filename=\"test-project.json\""
    );
    let exported = json_of(exported, 200).await;
    assert_eq!(exported["schema_version"], "socrates.specification/1");
    assert_eq!(exported["project"]["name"], "Test Project");
    assert_eq!(
        exported["specifications"].as_array().unwrap().len() as u64,
        status["specifications_count"].as_u64().unwrap()
    );
    assert_eq!(exported["conflicts"][0]["resolution"], "replace");

    // The history holds every question and answer, in order.
    let history = json_of(
        app.get_authed(&format!("/api/v1/sessions/{session_id}/history"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(history["total"], 10);
    assert_eq!(history["entries"][0]["kind"], "question");
    assert_eq!(
        history["entries"][1]["content"],
        "I want to build a web app with FastAPI"
    );
    assert_eq!(
        (history["limit"].as_u64(), history["offset"].as_u64()),
        (Some(50), Some(0))
    );
    // It is paged: the third page of three entries starts at the fourth entry.
    let page = json_of(
        app.get_authed(
            &format!("/api/v1/sessions/{session_id}/history?limit=3&offset=3"),
            &token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(page["total"], 10);
    assert_eq!(page["entries"].as_array().unwrap().len(), 3);
    assert_eq!(page["entries"][0], history["entries"][3]);
    assert_eq!(page["entries"][2], history["entries"][5]);
    let past_the_end = json_of(
        app.get_authed(
            &format!("/api/v1/sessions/{session_id}/history?offset=10"),
            &token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(past_the_end["entries"], json!([]));
    assert_eq!(past_the_end["total"], 10);
    // A page larger than the maximum and an unknown parameter are refused.
    expect_error(
        app.get_authed(
            &format!("/api/v1/sessions/{session_id}/history?limit=100000"),
            &token,
        )
        .await,
        400,
        "INVALID_QUERY",
    )
    .await;
    expect_error(
        app.get_authed(
            &format!("/api/v1/sessions/{session_id}/history?page=2"),
            &token,
        )
        .await,
        400,
        "INVALID_QUERY",
    )
    .await;
}

#[tokio::test]
async fn questions_never_repeat_and_belong_to_their_session_and_owner() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let stranger = app.signed_in_user().await;
    let project = json_of(
        app.post_authed("/api/v1/projects", &token, &json!({"name": "Rules"}))
            .await,
        201,
    )
    .await;
    let project_id = project["project_id"].as_str().unwrap();
    let open = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move {
            json_of(
                app.post_authed("/api/v1/sessions", &token, &body).await,
                201,
            )
            .await
        }
    };
    let one = open(json!({"project_id": project_id})).await;
    let two = open(json!({"project_id": project_id, "mode": "chat"})).await;
    assert_eq!(two["mode"], "direct_chat");
    let one_id = one["session_id"].as_str().unwrap();
    let two_id = two["session_id"].as_str().unwrap();

    // A question waiting for its answer is asked again, not replaced by a fresh one.
    let waiting = next_question(&app, &token, one_id).await;
    let again = next_question(&app, &token, one_id).await;
    assert_eq!(again["question_id"], waiting["question_id"], "{again}");
    assert_eq!(again["text"], waiting["text"], "{again}");

    let mut seen = std::collections::HashSet::new();
    for session in [one_id, two_id, one_id, two_id, one_id, two_id] {
        let question = next_question(&app, &token, session).await;
        assert!(
            seen.insert(question["text"].as_str().unwrap().to_owned()),
            "repeated: {question}"
        );
        // Answered (with nothing to record), the next call asks a new question.
        let text = "Not sure yet, let me think about it.";
        json_of(answer(&app, &token, session, &question, text).await, 200).await;
    }

    let question = next_question(&app, &token, one_id).await;
    // A question of another session is refused; another user's session is not found.
    let wrong = answer(&app, &token, two_id, &question, "Small teams").await;
    expect_error(wrong, 404, "QUESTION_NOT_FOUND").await;
    let hidden = answer(&app, &stranger, one_id, &question, "Small teams").await;
    expect_error(hidden, 404, "SESSION_NOT_FOUND").await;
    expect_error(
        app.get_authed(&format!("/api/v1/sessions/{one_id}"), &stranger)
            .await,
        404,
        "SESSION_NOT_FOUND",
    )
    .await;
    let empty = answer(&app, &token, one_id, &question, "   ").await;
    expect_error(empty, 400, "VALIDATION_ERROR").await;

    // An answer that states nothing may be given again.
    let nothing = json_of(
        answer(&app, &token, one_id, &question, "Hmm, not sure yet.").await,
        200,
    )
    .await;
    assert_eq!(nothing["specs_extracted"], 0);
    let retried = json_of(
        answer(
            &app,
            &token,
            one_id,
            &question,
            "Small accounting firms will use it.",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(retried["success"], true);

    // An ended session takes no more questions.
    let ended = app
        .send_authed(
            Method::POST,
            &format!("/api/v1/sessions/{one_id}/end"),
            &token,
            None,
        )
        .await;
    assert_eq!(json_of(ended, 200).await["status"], "ended");
    let refused = app
        .post_authed(
            &format!("/api/v1/sessions/{one_id}/next-question"),
            &token,
            &json!({}),
        )
        .await;
    expect_error(refused, 409, "SESSION_ENDED").await;
}

#[tokio::test]
async fn an_answer_as_people_write_it_is_saved_whole_or_reported() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let project = json_of(
        app.post_authed(
            "/api/v1/projects",
            &token,
            &json!({"name": "Clinic booking"}),
        )
        .await,
        201,
    )
    .await;
    let project_id = project["project_id"].as_str().unwrap();
    let session = json_of(
        app.post_authed(
            &format!("/api/v1/projects/{project_id}/sessions"),
            &token,
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    let session = session["session_id"].as_str().unwrap();
    let question = next_question(&app, &token, session).await;
    let answered = json_of(
        answer(
            &app,
            &token,
            session,
            &question,
            "A web app for small clinics to book appointments; we will use PostgreSQL and \
             deploy on AWS. No mobile app for now.",
        )
        .await,
        200,
    )
    .await;
    assert!(
        answered["specs_extracted"].as_u64().unwrap() >= 2,
        "{answered}"
    );
    let facts = json_of(
        app.get_authed(
            &format!("/api/v1/specifications/project/{project_id}"),
            &token,
        )
        .await,
        200,
    )
    .await;
    let project_types = facts["specifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|fact| fact["key"] == "project_type")
        .count();
    assert!(project_types <= 1, "{facts}");
}
