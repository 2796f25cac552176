//! Conflicts between two different facts that a rule excludes together ("SQLite" against
//! "10 000 concurrent writers"): the options name both facts, and each resolution keeps one
//! side or amends the new statement — none writes one fact's value into the other's key.

use serde_json::{Value, json};

use super::support::{TestApp, json_of};

/// A project whose `primary_database` is SQLite, and the conflict raised by entering
/// `concurrent_writers = 10000` by hand: (project id, SQLite fact id, conflict id).
async fn excluded_pair(app: &TestApp, token: &str) -> (String, String, String) {
    let project = json_of(
        app.post_authed("/api/v1/projects", token, &json!({"name": "Exclusion"}))
            .await,
        201,
    )
    .await;
    let project_id = project["project_id"].as_str().unwrap().to_owned();
    let fact = |category: &str, key: &str, value: &str| json!({"project_id": project_id, "category": category, "key": key, "value": value});
    let sqlite = json_of(
        app.post_authed(
            "/api/v1/specifications",
            token,
            &fact("tech_stack", "primary_database", "SQLite"),
        )
        .await,
        201,
    )
    .await;
    let raised = json_of(
        app.post_authed(
            "/api/v1/specifications",
            token,
            &fact("scalability", "concurrent_writers", "10000"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(raised["conflicts_detected"], true, "{raised}");
    assert_eq!(raised["specification"], Value::Null);
    assert_eq!(
        raised["conflicts"][0]["old_spec"]["key"], "primary_database",
        "{raised}"
    );
    (
        project_id,
        sqlite["specification"]["spec_id"]
            .as_str()
            .unwrap()
            .to_owned(),
        raised["conflicts"][0]["conflict_id"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// The project's current facts as `(key, value)`, sorted.
async fn current_facts(app: &TestApp, token: &str, project_id: &str) -> Vec<(String, String)> {
    let listed = json_of(
        app.get_authed(
            &format!("/api/v1/specifications/project/{project_id}"),
            token,
        )
        .await,
        200,
    )
    .await;
    let mut facts: Vec<(String, String)> = listed["specifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|fact| {
            (
                fact["key"].as_str().unwrap().to_owned(),
                fact["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    facts.sort();
    facts
}

async fn resolve(app: &TestApp, token: &str, conflict_id: &str, body: &Value) -> Value {
    json_of(
        app.post_authed(
            &format!("/api/v1/conflicts/{conflict_id}/resolve"),
            token,
            body,
        )
        .await,
        200,
    )
    .await
}

fn pair(key: &str, value: &str) -> (String, String) {
    (key.to_owned(), value.to_owned())
}

#[tokio::test]
async fn replacing_an_excluded_fact_saves_the_new_one_and_withdraws_the_old() {
    let app = super::support::spawn_app().await;
    let token = app.signed_in_user().await;
    let (project_id, sqlite_id, conflict_id) = excluded_pair(&app, &token).await;

    let options = json_of(
        app.get_authed(&format!("/api/v1/conflicts/{conflict_id}/options"), &token)
            .await,
        200,
    )
    .await;
    let descriptions: Vec<&str> = options["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|option| option["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        descriptions,
        [
            "Keep primary_database = \"SQLite\" and drop concurrent_writers = \"10000\".",
            "Set concurrent_writers to \"10000\" and withdraw primary_database = \"SQLite\".",
            "Set concurrent_writers to a value you supply that fits primary_database = \"SQLite\".",
        ]
    );

    let resolved = resolve(
        &app,
        &token,
        &conflict_id,
        &json!({"resolution": "replace"}),
    )
    .await;
    assert_eq!(
        current_facts(&app, &token, &project_id).await,
        [pair("concurrent_writers", "10000")]
    );
    let listed = json_of(
        app.get_authed(
            &format!("/api/v1/specifications/project/{project_id}"),
            &token,
        )
        .await,
        200,
    )
    .await;
    let writers = &listed["specifications"][0];
    assert_eq!(resolved["resulting_spec_id"], writers["spec_id"]);
    assert_eq!(writers["category"], "scalability");
    assert_eq!(writers["source"], "direct_input");
    // The withdrawn fact keeps its history.
    let history = json_of(
        app.get_authed(
            &format!("/api/v1/specifications/{sqlite_id}/history"),
            &token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(history["versions"][0]["value"], "SQLite", "{history}");
}

#[tokio::test]
async fn keeping_the_old_fact_or_merging_leaves_the_excluded_fact_alone() {
    let app = super::support::spawn_app().await;
    let token = app.signed_in_user().await;

    let (project_id, _, conflict_id) = excluded_pair(&app, &token).await;
    let kept = resolve(
        &app,
        &token,
        &conflict_id,
        &json!({"resolution": "keep_old"}),
    )
    .await;
    assert_eq!(kept["resulting_spec_id"], Value::Null);
    assert_eq!(
        current_facts(&app, &token, &project_id).await,
        [pair("primary_database", "SQLite")]
    );

    let (project_id, _, conflict_id) = excluded_pair(&app, &token).await;
    let merged = resolve(
        &app,
        &token,
        &conflict_id,
        &json!({"resolution": "merge", "merged_value": "5"}),
    )
    .await;
    assert!(merged["resulting_spec_id"].is_string(), "{merged}");
    assert_eq!(
        current_facts(&app, &token, &project_id).await,
        [
            pair("concurrent_writers", "5"),
            pair("primary_database", "SQLite")
        ]
    );
}

#[tokio::test]
async fn a_statement_held_against_no_stored_fact_is_saved_by_replace() {
    use socrates_domain::{
        Category, ConflictSeverity, ConflictType, FactSource, ProjectId, UserId,
    };
    use socrates_persistence::repositories::conflicts::{self, NewConflict, PendingFact};

    let app = super::support::spawn_app().await;
    let token = app.signed_in_user().await;
    let project = json_of(
        app.post_authed("/api/v1/projects", &token, &json!({"name": "Unanchored"}))
            .await,
        201,
    )
    .await;
    let project_id = project["project_id"].as_str().unwrap().to_owned();
    // A model's finding may name no stored fact.
    let conflict = conflicts::insert(
        &app.specs_db().await,
        NewConflict {
            project_id: ProjectId::from_uuid(project_id.parse().unwrap()),
            session_id: None,
            conflict_type: ConflictType::Requirement,
            severity: ConflictSeverity::Medium,
            old_spec_id: None,
            pending: PendingFact {
                category: Category::Scalability,
                key: "concurrent_users".to_owned(),
                value: "500".to_owned(),
                confidence: 0.8,
                source: FactSource::DirectChat,
                source_id: None,
                reasoning: None,
            },
            description: "500 users against a single-user desktop tool".to_owned(),
            detected_by: "llm".to_owned(),
            options: None,
            created_by: Some(UserId::new()),
            pending_slot: socrates_domain::ValueSlot::held(
                &socrates_domain::Knowledge::builtin().unwrap(),
                None,
                "concurrent_users",
                "500",
            ),
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let resolved = resolve(
        &app,
        &token,
        &conflict.id.to_string(),
        &json!({"resolution": "replace"}),
    )
    .await;
    assert!(resolved["resulting_spec_id"].is_string(), "{resolved}");
    assert_eq!(
        current_facts(&app, &token, &project_id).await,
        [pair("concurrent_users", "500")]
    );
}

#[tokio::test]
async fn an_excluded_fact_changed_since_cannot_be_withdrawn_but_a_merge_still_works() {
    let app = super::support::spawn_app().await;
    let token = app.signed_in_user().await;
    let (project_id, sqlite_id, conflict_id) = excluded_pair(&app, &token).await;
    json_of(
        app.send_authed(
            reqwest::Method::PUT,
            &format!("/api/v1/specifications/{sqlite_id}"),
            &token,
            Some(&json!({"value": "SQLite 3"})),
        )
        .await,
        200,
    )
    .await;
    super::support::expect_error(
        app.post_authed(
            &format!("/api/v1/conflicts/{conflict_id}/resolve"),
            &token,
            &json!({"resolution": "replace"}),
        )
        .await,
        409,
        "STALE_VERSION",
    )
    .await;
    assert_eq!(
        current_facts(&app, &token, &project_id).await,
        [pair("primary_database", "SQLite 3")],
        "the refused replace wrote nothing"
    );
    resolve(
        &app,
        &token,
        &conflict_id,
        &json!({"resolution": "merge", "merged_value": "5"}),
    )
    .await;
    assert_eq!(
        current_facts(&app, &token, &project_id).await,
        [
            pair("concurrent_writers", "5"),
            pair("primary_database", "SQLite 3")
        ]
    );
}

#[tokio::test]
async fn an_edit_that_contradicts_another_fact_waits_in_a_conflict() {
    let app = super::support::spawn_app().await;
    let token = app.signed_in_user().await;
    let (project_id, _, first_conflict) = excluded_pair(&app, &token).await;
    // A value that fits SQLite is saved by the merge; then the user edits it upwards.
    let merged = resolve(
        &app,
        &token,
        &first_conflict,
        &json!({"resolution": "merge", "merged_value": "5"}),
    )
    .await;
    let writers_id = merged["resulting_spec_id"].as_str().unwrap().to_owned();
    let edit = |value: &str| {
        let path = format!("/api/v1/specifications/{writers_id}");
        let body = json!({ "value": value });
        let app = &app;
        let token = &token;
        async move {
            app.send_authed(reqwest::Method::PUT, &path, token, Some(&body))
                .await
        }
    };

    let held = json_of(edit("10000").await, 200).await;
    assert_eq!(held["conflicts_detected"], true, "{held}");
    assert_eq!(
        held["spec_id"],
        writers_id.as_str(),
        "the fact is unchanged"
    );
    assert_eq!(held["value"], "5");
    assert_eq!(held["version"], 1);
    assert_eq!(
        held["maturity_score"], merged["maturity_score"],
        "nothing changed, nor did the maturity"
    );
    assert_eq!(
        held["message"],
        "The new value contradicts another fact and waits in a conflict; the fact is unchanged"
    );
    let conflict = &held["conflicts"][0];
    assert_eq!(conflict["old_spec"]["key"], "primary_database", "{held}");
    assert_eq!(conflict["new_spec_value"], "10000");
    assert_eq!(
        current_facts(&app, &token, &project_id).await,
        [
            pair("concurrent_writers", "5"),
            pair("primary_database", "SQLite")
        ]
    );

    // Replacing applies the edit to the same fact and withdraws SQLite.
    let conflict_id = conflict["conflict_id"].as_str().unwrap();
    let resolved = resolve(&app, &token, conflict_id, &json!({"resolution": "replace"})).await;
    assert_eq!(
        current_facts(&app, &token, &project_id).await,
        [pair("concurrent_writers", "10000")]
    );
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
    let values: Vec<&str> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|version| version["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["5", "10000"], "{history}");

    // An edit of a superseded version is refused; an edit of the current one that contradicts
    // nothing is saved at once.
    let saved = json_of(edit("8").await, 409).await;
    assert_eq!(
        saved["error_code"], "STALE_VERSION",
        "the edited version is old"
    );
    let current = resolved["resulting_spec_id"].as_str().unwrap();
    let saved = json_of(
        app.send_authed(
            reqwest::Method::PUT,
            &format!("/api/v1/specifications/{current}"),
            &token,
            Some(&json!({"value": "20000"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(saved["conflicts_detected"], false, "{saved}");
    assert_eq!(saved["conflicts"], json!([]));
    assert_eq!(saved["version"], 3);
    assert_eq!(saved["value"], "20000");
}
