//! Projects through HTTP: create, read, list with filters and paging, update, archive, status
//! and phase advance; ownership (another user's project is 404) and validation.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{expect_error, spawn_app};

#[tokio::test]
async fn a_project_is_created_read_updated_and_archived_by_its_owner_only() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let other = app.signed_in_user().await;

    let created = app
        .post_authed(
            "/api/v1/projects",
            &token,
            &json!({"name": "Clinic booking", "description": "Appointments for physios"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let project: Value = created.json().await.unwrap();
    assert_eq!(project["name"], "Clinic booking");
    assert_eq!(project["phase"], "discovery");
    assert_eq!(project["status"], "active");
    assert_eq!(project["maturity_score"], 0.0);
    let id = project["project_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/projects/{id}");

    let read: Value = app.get_authed(&path, &token).await.json().await.unwrap();
    assert_eq!(read["description"], "Appointments for physios");
    expect_error(
        app.get_authed(&path, &other).await,
        404,
        "PROJECT_NOT_FOUND",
    )
    .await;
    let missing = format!("/api/v1/projects/{}", uuid::Uuid::now_v7());
    expect_error(
        app.get_authed(&missing, &token).await,
        404,
        "PROJECT_NOT_FOUND",
    )
    .await;
    expect_error(
        app.get_authed("/api/v1/projects/not-a-uuid", &token).await,
        400,
        "INVALID_PATH",
    )
    .await;

    let patched = app
        .send_authed(
            Method::PATCH,
            &path,
            &token,
            Some(&json!({"name": "Clinic booking v2", "description": null})),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["name"], "Clinic booking v2");
    assert_eq!(patched["description"], Value::Null);
    let hijack = app
        .send_authed(Method::PATCH, &path, &other, Some(&json!({"name": "Mine"})))
        .await;
    expect_error(hijack, 404, "PROJECT_NOT_FOUND").await;

    let deleted = app.send_authed(Method::DELETE, &path, &other, None).await;
    expect_error(deleted, 404, "PROJECT_NOT_FOUND").await;
    let deleted = app.send_authed(Method::DELETE, &path, &token, None).await;
    assert_eq!(deleted.status(), 200);
    let archived: Value = app.get_authed(&path, &token).await.json().await.unwrap();
    assert_eq!(archived["status"], "archived");
}

#[tokio::test]
async fn invalid_projects_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    for body in [
        json!({"name": ""}),
        json!({"name": "<script>"}),
        json!({"name": "x".repeat(256)}),
        json!({"name": "ok", "description": "d".repeat(2001)}),
    ] {
        let response = app.post_authed("/api/v1/projects", &token, &body).await;
        let error = expect_error(response, 400, "VALIDATION_ERROR").await;
        assert!(error["details"]["field"].is_string(), "{error}");
    }
    let unknown = app
        .post_authed(
            "/api/v1/projects",
            &token,
            &json!({"name": "ok", "owner": "x"}),
        )
        .await;
    assert_eq!(unknown.status(), 400);
    let anonymous = app.post("/api/v1/projects", &json!({"name": "ok"})).await;
    expect_error(anonymous, 401, "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn listing_is_per_owner_newest_first_filtered_and_paged() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let other = app.signed_in_user().await;
    let mut ids = Vec::new();
    for index in 0..3 {
        let created: Value = app
            .post_authed(
                "/api/v1/projects",
                &token,
                &json!({"name": format!("Project {index}")}),
            )
            .await
            .json()
            .await
            .unwrap();
        ids.push(created["project_id"].as_str().unwrap().to_owned());
    }
    app.post_authed("/api/v1/projects", &other, &json!({"name": "Not yours"}))
        .await;
    let archived = format!("/api/v1/projects/{}", ids[0]);
    app.send_authed(Method::DELETE, &archived, &token, None)
        .await;

    let list: Value = app
        .get_authed("/api/v1/projects", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 2);
    let names: Vec<&str> = list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Project 2", "Project 1"]);

    let page: Value = app
        .get_authed("/api/v1/projects?limit=1&offset=1", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (page["total"].as_u64(), page["limit"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(page["projects"][0]["name"], "Project 1");
    let largest: Value = app
        .get_authed("/api/v1/projects?limit=100", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(largest["limit"], 100);
    expect_error(
        app.get_authed("/api/v1/projects?limit=5000", &token).await,
        400,
        "INVALID_QUERY",
    )
    .await;
    let only_archived: Value = app
        .get_authed("/api/v1/projects?status=archived", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(only_archived["total"], 1);
    assert_eq!(only_archived["projects"][0]["project_id"], ids[0].as_str());
    expect_error(
        app.get_authed("/api/v1/projects?status=deleted", &token)
            .await,
        400,
        "INVALID_QUERY",
    )
    .await;
}

#[tokio::test]
async fn a_new_project_has_empty_status_and_cannot_advance_with_the_reasons_listed() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let other = app.signed_in_user().await;
    let created: Value = app
        .post_authed("/api/v1/projects", &token, &json!({"name": "Empty"}))
        .await
        .json()
        .await
        .unwrap();
    let id = created["project_id"].as_str().unwrap();

    let status_path = format!("/api/v1/projects/{id}/status");
    let status: Value = app
        .get_authed(&status_path, &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["maturity_score"], 0.0);
    assert_eq!(status["phase"], "discovery");
    assert_eq!(status["specifications_count"], 0);
    assert_eq!(status["unresolved_conflicts"], 0);
    assert_eq!(status["next_category"], "goals");
    assert_eq!(status["coverage_breakdown"].as_object().unwrap().len(), 10);
    assert_eq!(status["coverage_breakdown"]["requirements"], 0.0);
    assert_eq!(status["categories"].as_array().unwrap().len(), 10);
    assert_eq!(status["can_advance"], false);
    expect_error(
        app.get_authed(&status_path, &other).await,
        404,
        "PROJECT_NOT_FOUND",
    )
    .await;

    let advance_path = format!("/api/v1/projects/{id}/phase/advance");
    let refused = app.post_authed(&advance_path, &token, &json!({})).await;
    let error = expect_error(refused, 409, "PHASE_ADVANCE_REFUSED").await;
    let reasons: Vec<&str> = error["details"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"maturity_below_threshold"), "{error}");
    assert_eq!(error["details"]["phase"], "discovery");
    let hidden = app.post_authed(&advance_path, &other, &json!({})).await;
    expect_error(hidden, 404, "PROJECT_NOT_FOUND").await;
}

/// Archiving makes a project read-only: every change is refused with 409 `PROJECT_ARCHIVED`,
/// through every route that writes, and every read still answers.
#[tokio::test]
async fn an_archived_project_can_be_read_and_exported_but_not_changed() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let created: Value = app
        .post_authed("/api/v1/projects", &token, &json!({"name": "Archive me"}))
        .await
        .json()
        .await
        .unwrap();
    let id = created["project_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/projects/{id}");
    let fact = |value: &str| json!({"project_id": id, "category": "tech_stack", "key": "primary_database", "value": value});
    let first: Value = app
        .post_authed("/api/v1/specifications", &token, &fact("PostgreSQL"))
        .await
        .json()
        .await
        .unwrap();
    let spec_id = first["specification"]["spec_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second: Value = app
        .post_authed("/api/v1/specifications", &token, &fact("MySQL"))
        .await
        .json()
        .await
        .unwrap();
    let conflict_id = second["conflicts"][0]["conflict_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let session: Value = app
        .post_authed(&format!("{path}/sessions"), &token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let session_id = session["session_id"].as_str().unwrap().to_owned();
    let question: Value = app
        .post_authed(
            &format!("/api/v1/sessions/{session_id}/next-question"),
            &token,
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let question_id = question["question_id"].as_str().unwrap().to_owned();

    let archived = app.send_authed(Method::DELETE, &path, &token, None).await;
    assert_eq!(archived.status(), 200);

    let spec_path = format!("/api/v1/specifications/{spec_id}");
    let refused = [
        app.post_authed(&format!("{path}/sessions"), &token, &json!({}))
            .await,
        app.post_authed(
            &format!("/api/v1/sessions/{session_id}/next-question"),
            &token,
            &json!({}),
        )
        .await,
        app.post_authed(
            &format!("/api/v1/sessions/{session_id}/answer"),
            &token,
            &json!({"question_id": question_id, "answer": "We use Rust on AWS."}),
        )
        .await,
        app.post_authed("/api/v1/specifications", &token, &fact("SQLite"))
            .await,
        app.send_authed(
            Method::PUT,
            &spec_path,
            &token,
            Some(&json!({"value": "Oracle"})),
        )
        .await,
        app.send_authed(Method::DELETE, &spec_path, &token, None)
            .await,
        app.post_authed(
            &format!("/api/v1/conflicts/{conflict_id}/resolve"),
            &token,
            &json!({"resolution": "keep_old"}),
        )
        .await,
        app.send_authed(
            Method::PATCH,
            &path,
            &token,
            Some(&json!({"name": "Renamed"})),
        )
        .await,
        app.post_authed(&format!("{path}/phase/advance"), &token, &json!({}))
            .await,
    ];
    for response in refused {
        let url = response.url().path().to_owned();
        let body = expect_error(response, 409, "PROJECT_ARCHIVED").await;
        assert!(
            body["error"].as_str().unwrap().contains("archived"),
            "{url}"
        );
    }

    // Nothing changed, and every read still answers.
    let status =
        super::support::json_of(app.get_authed(&format!("{path}/status"), &token).await, 200).await;
    assert_eq!(status["specifications_count"], 1);
    assert_eq!(status["unresolved_conflicts"], 1);
    let facts = super::support::json_of(
        app.get_authed(&format!("/api/v1/specifications/project/{id}"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(facts["total"], 1);
    for read in [
        format!("{path}/export/markdown"),
        format!("{path}/export/json"),
        format!("/api/v1/conflicts/project/{id}"),
        format!("{spec_path}/history"),
        format!("/api/v1/sessions/{session_id}/history"),
    ] {
        assert_eq!(app.get_authed(&read, &token).await.status(), 200, "{read}");
    }
}
