//! `GET /metrics`: requests by route pattern, latency histograms, rate-limit rejections, the
//! pool and session gauges, model calls, and the optional bearer token.

use serde_json::json;

use super::support::{
    TestApp, expect_error, manual_clock, spawn_app, spawn_app_with, unique_email,
};

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn requests_are_counted_by_route_pattern_with_the_gauges() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let project = app
        .post_authed("/api/v1/projects", &token, &json!({"name": "Metered"}))
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let project_id = project["project_id"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let response = app
            .get_authed(&format!("/api/v1/projects/{project_id}"), &token)
            .await;
        assert_eq!(response.status(), 200);
    }
    let session = app
        .post_authed(
            &format!("/api/v1/projects/{project_id}/sessions"),
            &token,
            &json!({"mode": "socratic"}),
        )
        .await;
    assert_eq!(session.status(), 201);
    let missing = app.get("/no/such/page").await;
    assert_eq!(missing.status(), 404);

    let text = scrape(&app).await;
    for expected in [
        r#"socrates_requests_total{endpoint="/api/v1/projects/{project_id}",method="GET",status="200"} 2"#,
        r#"socrates_requests_total{endpoint="/api/v1/projects",method="POST",status="201"} 1"#,
        r#"socrates_requests_total{endpoint="unmatched",method="GET",status="404"} 1"#,
        r#"socrates_request_duration_seconds_count{endpoint="/api/v1/projects/{project_id}",method="GET"} 2"#,
        "socrates_active_sessions 1",
        r#"socrates_db_pool_connections{database="auth",state="idle"}"#,
        r#"socrates_db_pool_connections{database="specs",state="in_use"}"#,
    ] {
        assert!(text.contains(expected), "missing `{expected}` in\n{text}");
    }
    // The raw path never becomes a label: the set of series stays bounded.
    assert!(!text.contains(&project_id), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn rate_limit_rejections_are_counted() {
    let (_clock, shared) = manual_clock();
    let app = spawn_app_with(|_| {}, shared).await;
    let wrong = app.use_up_logins(&unique_email()).await;
    assert_eq!(app.post("/api/v1/auth/login", &wrong).await.status(), 429);
    let text = scrape(&app).await;
    let expected = r#"socrates_rate_limit_rejections_total{endpoint="/api/v1/auth/login"} 1"#;
    assert!(text.contains(expected), "missing `{expected}` in\n{text}");
    app.stop().await;
}

#[tokio::test]
async fn a_configured_token_protects_the_metrics() {
    let (_clock, shared) = manual_clock();
    let app = spawn_app_with(
        |settings| settings.telemetry.metrics_token = Some("scrape-me-please".to_owned().into()),
        shared,
    )
    .await;
    let anonymous = app.get("/metrics").await;
    expect_error(anonymous, 401, "UNAUTHENTICATED").await;
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me-pleasE")
        .send()
        .await
        .unwrap();
    expect_error(wrong, 401, "UNAUTHENTICATED").await;
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me-please")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("socrates_requests_total")
    );
    // The scheme is case-insensitive, as on every other route.
    let lower = app
        .client
        .get(app.url("/metrics"))
        .header("Authorization", "bearer scrape-me-please")
        .send()
        .await
        .unwrap();
    assert_eq!(lower.status(), 200);
    app.stop().await;
}
