//! Facts through HTTP: add by hand (confidence 1.0, same conflict path), list with category
//! filter and paging, change (new version), delete (soft), history, extraction from text;
//! ownership everywhere.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{expect_error, json_of, spawn_app};

#[tokio::test]
async fn facts_are_added_listed_versioned_deleted_and_kept_in_history() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let stranger = app.signed_in_user().await;
    let project = json_of(
        app.post_authed("/api/v1/projects", &token, &json!({"name": "Facts"}))
            .await,
        201,
    )
    .await;
    let project_id = project["project_id"].as_str().unwrap();
    let add = |category: &str, key: &str, value: &str| json!({"project_id": project_id, "category": category, "key": key, "value": value});

    let added = json_of(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &add("database", "primary_database", "PostgreSQL"),
        )
        .await,
        201,
    )
    .await;
    let fact = &added["specification"];
    assert_eq!(
        fact["category"], "tech_stack",
        "the alias maps to its category"
    );
    assert_eq!(fact["confidence"], 1.0);
    assert_eq!(fact["source"], "direct_input");
    assert!(added["maturity_score"].as_f64().unwrap() > 0.0);
    let spec_id = fact["spec_id"].as_str().unwrap().to_owned();

    let contradiction = json_of(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &add("tech_stack", "primary_database", "MongoDB"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(contradiction["conflicts_detected"], true);
    assert_eq!(contradiction["specification"], Value::Null);
    // The same value entered again while its conflict is open is that conflict, not a second.
    let again = json_of(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &add("tech_stack", "primary_database", "mongodb"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(again["conflicts_detected"], true);
    assert_eq!(
        again["conflicts"][0]["conflict_id"],
        contradiction["conflicts"][0]["conflict_id"]
    );
    let open_conflicts = json_of(
        app.get_authed(
            &format!("/api/v1/conflicts/project/{project_id}?status=pending"),
            &token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(open_conflicts["total"], 1, "{open_conflicts}");
    expect_error(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &add("astrology", "sign", "leo"),
        )
        .await,
        400,
        "INVALID_CATEGORY",
    )
    .await;
    expect_error(
        app.post_authed(
            "/api/v1/specifications",
            &stranger,
            &add("goals", "project_type", "x"),
        )
        .await,
        404,
        "PROJECT_NOT_FOUND",
    )
    .await;
    json_of(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &add("goals", "project_type", "web app"),
        )
        .await,
        201,
    )
    .await;

    // The same fact in other words is known, not stored twice; a free-text refinement
    // becomes the next version of its fact.
    let known = json_of(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &add("tech_stack", "primary_database", "Postgres"),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(known["specification"]["spec_id"], fact["spec_id"]);
    assert_eq!(known["conflicts_detected"], false);
    json_of(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &add("goals", "target_audience", "dog walkers"),
        )
        .await,
        201,
    )
    .await;
    let refined = json_of(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &add(
                "goals",
                "target_audience",
                "professional dog walkers in large cities",
            ),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(refined["specification"]["version"], 2, "{refined}");
    let audience_id = refined["specification"]["spec_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.send_authed(
        Method::DELETE,
        &format!("/api/v1/specifications/{audience_id}"),
        &token,
        None,
    )
    .await;

    let list_path = format!("/api/v1/specifications/project/{project_id}");
    let all = json_of(app.get_authed(&list_path, &token).await, 200).await;
    assert_eq!(all["total"], 2);
    let goals = json_of(
        app.get_authed(&format!("{list_path}?category=goals&limit=1"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        (goals["total"].as_u64(), goals["limit"].as_u64()),
        (Some(1), Some(1))
    );
    expect_error(
        app.get_authed(&list_path, &stranger).await,
        404,
        "PROJECT_NOT_FOUND",
    )
    .await;

    let path = format!("/api/v1/specifications/{spec_id}");
    let changed = json_of(
        app.send_authed(
            Method::PUT,
            &path,
            &token,
            Some(&json!({"value": "PostgreSQL 16"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["version"], 2);
    let stale = app
        .send_authed(
            Method::PUT,
            &path,
            &token,
            Some(&json!({"value": "PostgreSQL 17"})),
        )
        .await;
    expect_error(stale, 409, "STALE_VERSION").await;
    let hidden = app
        .send_authed(Method::PUT, &path, &stranger, Some(&json!({"value": "x"})))
        .await;
    expect_error(hidden, 404, "SPECIFICATION_NOT_FOUND").await;

    let new_id = changed["spec_id"].as_str().unwrap();
    let deleted = json_of(
        app.send_authed(
            Method::DELETE,
            &format!("/api/v1/specifications/{new_id}"),
            &token,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(deleted["message"], "Specification removed");
    let remaining = json_of(app.get_authed(&list_path, &token).await, 200).await;
    assert_eq!(remaining["total"], 1);

    let history = json_of(
        app.get_authed(&format!("/api/v1/specifications/{spec_id}/history"), &token)
            .await,
        200,
    )
    .await;
    let values: Vec<&str> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["PostgreSQL", "PostgreSQL 16"]);
    assert_eq!(history["total"], 2);
    // Paged like every list: the second version alone.
    let second = json_of(
        app.get_authed(
            &format!("/api/v1/specifications/{spec_id}/history?limit=1&offset=1"),
            &token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(second["versions"].as_array().unwrap().len(), 1);
    assert_eq!(second["versions"][0]["value"], "PostgreSQL 16");
    assert_eq!(
        (second["total"].as_u64(), second["limit"].as_u64()),
        (Some(2), Some(1))
    );

    let extracted = json_of(
        app.post_authed(
            "/api/v1/specifications/extract",
            &token,
            &json!({"project_id": project_id, "text": "We deploy on AWS and need 99.9% uptime."}),
        )
        .await,
        200,
    )
    .await;
    assert!(
        extracted["facts"].as_array().unwrap().len() >= 2,
        "{extracted}"
    );
    let unchanged = json_of(app.get_authed(&list_path, &token).await, 200).await;
    assert_eq!(unchanged["total"], 1, "extraction saves nothing");
}

#[tokio::test]
async fn a_fact_entered_by_hand_can_only_claim_the_direct_input_source() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let project = json_of(
        app.post_authed("/api/v1/projects", &token, &json!({"name": "Sources"}))
            .await,
        201,
    )
    .await;
    let fact = |source: &str| {
        json!({"project_id": project["project_id"], "category": "goals", "key": "project_type",
               "value": "web app", "source": source})
    };
    let claimed = app
        .post_authed("/api/v1/specifications", &token, &fact("socratic_question"))
        .await;
    let refused = expect_error(claimed, 400, "VALIDATION_ERROR").await;
    assert_eq!(refused["details"]["field"], "source");
    let unknown = app
        .post_authed("/api/v1/specifications", &token, &fact("telepathy"))
        .await;
    expect_error(unknown, 400, "INVALID_JSON").await;
    let listed = json_of(
        app.get_authed(
            &format!(
                "/api/v1/specifications/project/{}",
                project["project_id"].as_str().unwrap()
            ),
            &token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(listed["total"], 0, "nothing was saved: {listed}");
    let saved = json_of(
        app.post_authed("/api/v1/specifications", &token, &fact("direct_input"))
            .await,
        201,
    )
    .await;
    assert_eq!(saved["specification"]["source"], "direct_input");
    app.stop().await;
}

/// A key the user made up holds one value, as any single-valued key: a different value entered
/// by hand is held in a conflict (200, nothing saved), never a silent new version; the same
/// value in other words is no conflict, and an intended change goes through PUT.
#[tokio::test]
async fn a_different_value_of_a_made_up_key_is_a_conflict_not_a_silent_replacement() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let project = json_of(
        app.post_authed("/api/v1/projects", &token, &json!({"name": "Keys"}))
            .await,
        201,
    )
    .await;
    let project_id = project["project_id"].as_str().unwrap();
    let add = |value: &str| json!({"project_id": project_id, "category": "tech_stack", "key": "backend_language", "value": value});

    let rust = json_of(
        app.post_authed("/api/v1/specifications", &token, &add("Rust"))
            .await,
        201,
    )
    .await;
    assert_eq!(rust["specification"]["value"], "Rust", "{rust}");
    let go = json_of(
        app.post_authed("/api/v1/specifications", &token, &add("Go"))
            .await,
        200,
    )
    .await;
    assert_eq!(go["conflicts_detected"], true, "{go}");
    assert_eq!(go["specification"], Value::Null, "{go}");
    assert_eq!(go["conflicts"][0]["new_spec_value"], "Go", "{go}");
    let same = json_of(
        app.post_authed("/api/v1/specifications", &token, &add("rust"))
            .await,
        201,
    )
    .await;
    assert_eq!(same["conflicts_detected"], false, "{same}");

    let facts = json_of(
        app.get_authed(
            &format!("/api/v1/specifications/project/{project_id}?category=tech_stack"),
            &token,
        )
        .await,
        200,
    )
    .await;
    let values: Vec<&str> = facts["specifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|fact| fact["key"] == "backend_language")
        .map(|fact| fact["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["Rust"], "{facts}");

    // Free-form requirements are never held against each other.
    for value in ["Staff export bookings as CSV", "Patients cancel online"] {
        let added = json_of(
            app.post_authed(
                "/api/v1/specifications",
                &token,
                &json!({"project_id": project_id, "category": "requirements", "key": "requirement_exports", "value": value}),
            )
            .await,
            201,
        )
        .await;
        assert_eq!(added["conflicts_detected"], false, "{added}");
    }
}
