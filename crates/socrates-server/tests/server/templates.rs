//! Product templates through HTTP: the catalogue (paged), a project started from one with its
//! facts (source `template`) in one transaction, the conflict rules against them afterwards,
//! and clean refusals that write nothing.

use serde_json::{Value, json};

use super::support::{expect_error, json_of, spawn_app};

async fn project_count(app: &super::support::TestApp, token: &str) -> u64 {
    json_of(app.get_authed("/api/v1/projects", token).await, 200).await["total"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_project_starts_from_a_template_with_its_facts_and_they_meet_the_conflict_rules() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;

    let catalogue = json_of(app.get_authed("/api/v1/templates", &token).await, 200).await;
    assert!(catalogue["total"].as_u64().unwrap() >= 5, "{catalogue}");
    let templates = catalogue["templates"].as_array().unwrap();
    let booking = templates
        .iter()
        .find(|t| t["template_id"] == "booking-web-app")
        .expect("the booking template");
    assert!(booking["facts"].as_array().unwrap().len() >= 10);
    let page = json_of(
        app.get_authed("/api/v1/templates?limit=2&offset=1", &token)
            .await,
        200,
    )
    .await;
    assert_eq!(page["templates"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["templates"][0]["template_id"],
        templates[1]["template_id"]
    );

    let created = json_of(
        app.post_authed(
            "/api/v1/projects/from-template",
            &token,
            &json!({"template_id": "booking-web-app", "name": "Physio bookings"}),
        )
        .await,
        201,
    )
    .await;
    let project = created["project"]["project_id"].as_str().unwrap();
    assert_eq!(created["project"]["name"], "Physio bookings");
    assert_eq!(created["template_id"], "booking-web-app");
    let facts = created["specifications"].as_array().unwrap();
    assert_eq!(facts.len(), booking["facts"].as_array().unwrap().len());
    assert!(
        facts
            .iter()
            .all(|f| f["source"] == "template" && f["confidence"] == 0.7)
    );
    assert!(created["project"]["maturity_score"].as_f64().unwrap() > 0.0);
    assert_eq!(
        created["project"]["description"], booking["summary"],
        "the summary when no description is given"
    );

    // The project and its facts are there, counted by the status.
    let status = json_of(
        app.get_authed(&format!("/api/v1/projects/{project}/status"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(status["specifications_count"], facts.len());
    assert_eq!(
        status["maturity_score"],
        created["project"]["maturity_score"]
    );

    // A different database from the template's is a contradiction like any other.
    let contradiction = json_of(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &json!({"project_id": project, "category": "tech_stack", "key": "primary_database", "value": "MySQL"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(contradiction["conflicts_detected"], true, "{contradiction}");

    // The specification exports: the template's requirements are read like any others.
    let spec_kit = app
        .get_authed(
            &format!("/api/v1/projects/{project}/export/spec-kit"),
            &token,
        )
        .await;
    assert_eq!(spec_kit.status(), 200);
}

#[tokio::test]
async fn an_unknown_template_or_a_bad_name_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let before = project_count(&app, &token).await;
    let refused: [(Value, u16, &str); 5] = [
        (
            json!({"template_id": "no-such-template"}),
            404,
            "TEMPLATE_NOT_FOUND",
        ),
        // Too long to be an id: refused without being echoed back.
        (
            json!({"template_id": "x".repeat(100_000)}),
            400,
            "VALIDATION_ERROR",
        ),
        (
            json!({"template_id": "online-store", "name": "x".repeat(300)}),
            400,
            "VALIDATION_ERROR",
        ),
        (
            json!({"template_id": "online-store", "colour": "red"}),
            400,
            "INVALID_JSON",
        ),
        (json!({"name": "no template"}), 400, "INVALID_JSON"),
    ];
    for (body, status, code) in refused {
        let error = expect_error(
            app.post_authed("/api/v1/projects/from-template", &token, &body)
                .await,
            status,
            code,
        )
        .await;
        assert!(
            error.to_string().len() < 1_000,
            "{code}: the answer stays short"
        );
    }
    assert_eq!(project_count(&app, &token).await, before);
    expect_error(app.get("/api/v1/templates").await, 401, "UNAUTHENTICATED").await;
    expect_error(
        app.get_authed("/api/v1/templates?limit=0", &token).await,
        400,
        "INVALID_QUERY",
    )
    .await;
}
