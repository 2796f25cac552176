//! The OpenAPI description and the embedded docs page.

use std::sync::Arc;

use serde_json::{Value, json};
use socrates_infra::SystemClock;

use super::support::{
    Owned, expect_error, json_of, owned_things, sign_in, spawn_app, spawn_app_with,
};

#[tokio::test]
async fn the_openapi_description_documents_every_auth_route_and_its_security() {
    let app = spawn_app().await;
    let document: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let routes = [
        ("post", "/api/v1/auth/register", false),
        ("post", "/api/v1/auth/login", false),
        ("post", "/api/v1/auth/refresh", false),
        ("post", "/api/v1/auth/logout", true),
        ("get", "/api/v1/auth/me", true),
        ("post", "/api/v1/auth/change-password", true),
        ("post", "/api/v1/auth/password-reset/request", false),
        ("post", "/api/v1/auth/password-reset/confirm", false),
        ("get", "/health", false),
    ];
    for (method, path, secured) in routes {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert_eq!(
            operation["security"].is_array(),
            secured,
            "{method} {path} security"
        );
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|status| status.starts_with('2')),
            "{path} has no success response"
        );
    }
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let error = &document["components"]["schemas"]["ErrorBody"]["properties"];
    for field in ["error", "error_code", "details", "request_id"] {
        assert!(error[field].is_object(), "ErrorBody lacks {field}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_docs_page_is_served_from_the_binary() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger-ui-bundle.js"));
    let bundle = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
    let initializer = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    app.stop().await;
}

/// Each documented operation with ids of things the caller owns in its path.
fn operations(document: &Value, owned: &Owned) -> Vec<(String, String, Value)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let concrete = path
                .replace("{user_id}", &owned.user)
                .replace("{document_id}", &owned.document)
                .replace("{project_id}", &owned.project)
                .replace("{session_id}", &owned.session)
                .replace("{spec_id}", &owned.fact)
                .replace("{conflict_id}", &owned.conflict)
                .replace("{generation_id}", &owned.generation);
            assert!(!concrete.contains('{'), "unknown path parameter in {path}");
            operations.push((method.clone(), concrete, operation.clone()));
        }
    }
    operations
}

fn documented(operation: &Value, status: u16) -> bool {
    operation["responses"][status.to_string()].is_object()
}

fn has_path_parameter(operation: &Value) -> bool {
    operation["parameters"]
        .as_array()
        .is_some_and(|parameters| parameters.iter().any(|p| p["in"] == "path"))
}

/// The contract a generated client relies on: every status an operation really answers for a
/// missing token, a malformed id, a body of the wrong type or size and a spent quota is in the
/// document, with the error envelope.
#[tokio::test]
async fn every_operation_documents_the_statuses_it_answers() {
    let app = spawn_app_with(
        |settings| settings.http.json_limit_bytes = 4_096,
        Arc::new(SystemClock),
    )
    .await;
    let document: Value = json_of(app.get("/openapi.json").await, 200).await;
    let (token, _) = sign_in(&app).await;
    let owned = owned_things(&app, &token).await;
    let mut checked = 0;
    for (method, path, operation) in operations(&document, &owned) {
        let method: reqwest::Method = method.to_uppercase().parse().unwrap();
        let secured = operation["security"].is_array();
        let with_body = operation["requestBody"].is_object();
        if secured {
            let response = app
                .client
                .request(method.clone(), app.url(&path))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 401, "{method} {path} without a token");
            assert!(documented(&operation, 401), "{method} {path} lacks 401");
            checked += 1;
        }
        if has_path_parameter(&operation) {
            let malformed = path
                .replace(&owned.project, "not-an-id")
                .replace(&owned.session, "not-an-id")
                .replace(&owned.fact, "not-an-id")
                .replace(&owned.conflict, "not-an-id")
                .replace(&owned.user, "not-an-id")
                .replace(&owned.document, "not-an-id")
                .replace(&owned.generation, "not-an-id");
            let response = app
                .client
                .request(method.clone(), app.url(&malformed))
                .bearer_auth(&token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400, "{method} {malformed}");
            assert!(documented(&operation, 400), "{method} {path} lacks 400");
            checked += 1;
        }
        if with_body {
            let wrong_type = app
                .client
                .request(method.clone(), app.url(&path))
                .bearer_auth(&token)
                .header("Content-Type", "text/plain")
                .body("x")
                .send()
                .await
                .unwrap();
            assert_eq!(wrong_type.status(), 415, "{method} {path} with text/plain");
            assert!(documented(&operation, 415), "{method} {path} lacks 415");
            let multipart = operation["requestBody"]["content"]["multipart/form-data"].is_object();
            let oversized = app
                .client
                .request(method.clone(), app.url(&path))
                .bearer_auth(&token);
            // A form takes a document of up to 10 MiB; a JSON body, the JSON limit (4 kB here).
            let oversized = if multipart {
                let file = reqwest::multipart::Part::bytes(vec![b'x'; 10 * 1024 * 1024 + 1])
                    .file_name("big.txt");
                oversized.multipart(reqwest::multipart::Form::new().part("file", file))
            } else {
                oversized.json(&json!({ "value": "x".repeat(5_000) }))
            };
            let oversized = oversized.send().await.unwrap();
            assert_eq!(oversized.status(), 413, "{method} {path} oversized");
            assert!(documented(&operation, 413), "{method} {path} lacks 413");
            checked += 2;
        }
        assert!(
            operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .any(|status| status.starts_with('2')),
            "{method} {path} documents no success"
        );
    }
    assert!(checked > 60, "only {checked} checks ran");
    app.stop().await;

    // A spent quota: every operation behind a token answers 429 with `Retry-After`.
    let app = spawn_app_with(
        |settings| settings.rate_limit.requests_per_minute = 1,
        Arc::new(SystemClock),
    )
    .await;
    let (token, _) = sign_in(&app).await;
    let spent = app.get_authed("/api/v1/auth/me", &token).await;
    assert_eq!(spent.status(), 200);
    let fake = Owned {
        user: uuid::Uuid::new_v4().to_string(),
        document: uuid::Uuid::new_v4().to_string(),
        project: uuid::Uuid::new_v4().to_string(),
        session: uuid::Uuid::new_v4().to_string(),
        question: uuid::Uuid::new_v4().to_string(),
        fact: uuid::Uuid::new_v4().to_string(),
        conflict: uuid::Uuid::new_v4().to_string(),
        generation: uuid::Uuid::new_v4().to_string(),
    };
    for (method, path, operation) in operations(&document, &fake) {
        if !operation["security"].is_array() {
            continue;
        }
        let method: reqwest::Method = method.to_uppercase().parse().unwrap();
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(response.headers().contains_key("retry-after"));
        expect_error(response, 429, "RATE_LIMITED").await;
        assert!(documented(&operation, 429), "{method} {path} lacks 429");
        assert!(
            operation["responses"]["429"]["headers"]["Retry-After"].is_object()
                || operation["responses"]["429"]["description"]
                    .as_str()
                    .is_some_and(|text| text.contains("Retry-After")),
            "{method} {path}: 429 without Retry-After"
        );
    }
    app.stop().await;
}

/// Every change to an archived project is refused with 409 `PROJECT_ARCHIVED`, and every
/// operation that can refuse it so documents a 409 (schemathesis found PATCH answering it
/// undocumented).
#[tokio::test]
async fn every_change_to_an_archived_project_answers_a_documented_409() {
    let app = spawn_app().await;
    let document: Value = json_of(app.get("/openapi.json").await, 200).await;
    let (token, _) = sign_in(&app).await;
    let owned = owned_things(&app, &token).await;
    let archived = app
        .send_authed(
            reqwest::Method::DELETE,
            &format!("/api/v1/projects/{}", owned.project),
            &token,
            None,
        )
        .await;
    json_of(archived, 200).await;
    let changes = [
        (
            "patch",
            "/api/v1/projects/{project_id}",
            json!({"name": "Renamed"}),
        ),
        (
            "post",
            "/api/v1/projects/{project_id}/phase/advance",
            json!({}),
        ),
        ("post", "/api/v1/projects/{project_id}/sessions", json!({})),
        (
            "post",
            "/api/v1/sessions",
            json!({"project_id": owned.project}),
        ),
        (
            "post",
            "/api/v1/sessions/{session_id}/answer",
            json!({"question_id": owned.question, "answer": "A web app"}),
        ),
        (
            "post",
            "/api/v1/sessions/{session_id}/next-question",
            json!({}),
        ),
        (
            "post",
            "/api/v1/specifications",
            json!({"project_id": owned.project, "category": "goals", "key": "project_type", "value": "web app"}),
        ),
        (
            "put",
            "/api/v1/specifications/{spec_id}",
            json!({"value": "MariaDB"}),
        ),
        ("delete", "/api/v1/specifications/{spec_id}", json!({})),
        (
            "post",
            "/api/v1/conflicts/{conflict_id}/resolve",
            json!({"resolution": "keep_old"}),
        ),
    ];
    for (method, template, body) in changes {
        let operation = &document["paths"][template][method];
        assert!(
            operation.is_object(),
            "{method} {template} is not documented"
        );
        let path = template
            .replace("{project_id}", &owned.project)
            .replace("{session_id}", &owned.session)
            .replace("{spec_id}", &owned.fact)
            .replace("{conflict_id}", &owned.conflict);
        let response = app
            .send_authed(
                method.to_uppercase().parse().unwrap(),
                &path,
                &token,
                Some(&body),
            )
            .await;
        let answered = response.status();
        let error = response.text().await.unwrap();
        assert_eq!(answered, 409, "{method} {template}: {error}");
        assert!(
            error.contains("PROJECT_ARCHIVED"),
            "{method} {template}: {error}"
        );
        assert!(documented(operation, 409), "{method} {template} lacks 409");
    }
    app.stop().await;
}

#[tokio::test]
async fn docs_redirects_to_the_swagger_ui_and_a_session_needs_no_body() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let docs = client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 308);
    assert_eq!(docs.headers()["location"], "/docs/");

    let (token, _) = sign_in(&app).await;
    let project = json_of(
        app.post_authed("/api/v1/projects", &token, &json!({"name": "Bodiless"}))
            .await,
        201,
    )
    .await;
    let path = format!(
        "/api/v1/projects/{}/sessions",
        project["project_id"].as_str().unwrap()
    );
    let bodiless = app
        .client
        .post(app.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(bodiless, 201).await["mode"], "socratic");
    // A body that is there is read, never silently dropped: an unknown mode is refused.
    let robot = app
        .post_authed(&path, &token, &json!({"mode": "robot"}))
        .await;
    expect_error(robot, 400, "INVALID_JSON").await;
    let chat = app
        .post_authed(&path, &token, &json!({"mode": "chat"}))
        .await;
    assert_eq!(json_of(chat, 201).await["mode"], "direct_chat");

    let document: Value = json_of(app.get("/openapi.json").await, 200).await;
    let body = &document["paths"]["/api/v1/projects/{project_id}/sessions"]["post"]["requestBody"];
    assert_ne!(body["required"], true, "{body}");
    app.stop().await;
}
