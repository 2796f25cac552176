//! What stands between the internet and the handlers: headers, CORS, hosts, body limits,
//! rate limits, and failures that must not leak or half-write.

use std::sync::Arc;

use sea_orm::ConnectionTrait;
use serde_json::json;
use socrates_domain::Email;
use socrates_infra::SystemClock;
use socrates_persistence::testing::{TestDatabaseUrls, redis_url};
use socrates_persistence::{Conn, repositories::users};
use socrates_server::settings::Environment;

use super::support::{
    PASSWORD, expect_error, manual_clock, settings_for, spawn_app, spawn_app_with, spawn_on,
    unique_email,
};

fn assert_security_headers(response: &reqwest::Response) {
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert!(headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn security_headers_are_on_success_not_found_and_server_error_responses() {
    let app = spawn_app().await;
    let ok = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_security_headers(&ok);
    let missing = app
        .client
        .get(app.url("/api/v1/missing"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_security_headers(&missing);

    // Break the audit table under the running app: registration now fails inside its
    // transaction, answers a generic 500 and leaves no user behind.
    let db = app.auth_db().await;
    db.raw()
        .execute_unprepared("DROP TABLE audit_logs")
        .await
        .unwrap();
    let email = unique_email();
    let failed = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": email, "password": PASSWORD }),
        )
        .await;
    assert_eq!(failed.status(), 500);
    assert_security_headers(&failed);
    let body = expect_error(failed, 500, "DATABASE_ERROR").await;
    let text = body.to_string();
    assert!(
        !text.contains("audit_logs") && !text.to_lowercase().contains("sql"),
        "cause leaked: {text}"
    );
    let stored = users::find_by_email(&db, &Email::parse(&email).unwrap())
        .await
        .unwrap();
    assert!(stored.is_none(), "the failed registration left a user row");
    app.stop().await;
}

#[tokio::test]
async fn cors_preflight_is_allowed_for_configured_origins_only() {
    let app = spawn_app_with(
        |settings| settings.http.cors_origins = vec!["https://app.example.com".to_owned()],
        Arc::new(SystemClock),
    )
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/login"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type, authorization",
            )
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }
    let refused = preflight("https://evil.example.com").await.unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["error_code"].is_string(), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn only_trusted_hosts_are_served_when_configured() {
    let app = spawn_app_with(
        |settings| {
            settings.http.trusted_hosts =
                vec!["127.0.0.1".to_owned(), "*.socrates.test".to_owned()];
        },
        Arc::new(SystemClock),
    )
    .await;
    assert_eq!(
        app.client
            .get(app.url("/health/live"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("Host", "api.socrates.test")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Probes reach the pod by its address: health answers whatever the Host.
    let probe = app
        .client
        .get(app.url("/health/live"))
        .header("Host", "10.1.2.3:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 200);
    let scrape = app
        .client
        .get(app.url("/metrics"))
        .header("Host", "10.1.2.3:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .header("Host", "evil.example.com")
        .send()
        .await
        .unwrap();
    assert_security_headers(&response);
    expect_error(response, 400, "INVALID_HOST").await;
    app.stop().await;
}

#[tokio::test]
async fn oversized_malformed_and_mistyped_bodies_get_the_error_shape() {
    let app = spawn_app().await;
    let huge = json!({ "email": unique_email(), "password": "x".repeat(1024 * 1024 + 10) });
    expect_error(
        app.post("/api/v1/auth/register", &huge).await,
        413,
        "PAYLOAD_TOO_LARGE",
    )
    .await;
    let malformed = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("Content-Type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    expect_error(malformed, 400, "INVALID_JSON").await;
    let text = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("Content-Type", "text/plain")
        .body("email=a")
        .send()
        .await
        .unwrap();
    expect_error(text, 415, "UNSUPPORTED_MEDIA_TYPE").await;
    let unknown_field = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "a@b.co", "password": PASSWORD, "admin": true }),
        )
        .await;
    expect_error(unknown_field, 400, "INVALID_JSON").await;
    app.stop().await;
}

#[tokio::test]
async fn login_is_limited_per_account_with_retry_after_and_resets_after_a_minute() {
    let (clock, shared) = manual_clock();
    let app = spawn_app_with(|_| {}, shared).await;
    let email = unique_email();
    let wrong = app.use_up_logins(&email).await;
    let limited = app.post("/api/v1/auth/login", &wrong).await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    expect_error(limited, 429, "RATE_LIMITED").await;
    // Even the right password is refused while limited: the limit runs before bcrypt.
    let right = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": PASSWORD }),
        )
        .await;
    assert_eq!(right.status(), 429);
    clock.advance(chrono::Duration::seconds(61));
    app.login(&email, PASSWORD).await;
    app.stop().await;
}

/// A stolen access token must not give more guesses at the password than the login does.
#[tokio::test]
async fn wrong_current_passwords_are_limited_like_logins() {
    let (clock, shared) = manual_clock();
    let app = spawn_app_with(|_| {}, shared).await;
    let email = unique_email();
    app.register(&email).await;
    let tokens = app.login(&email, PASSWORD).await;
    let token = tokens["access_token"].as_str().unwrap();
    let change = |current: &str| json!({"current_password": current, "new_password": "Better456?"});
    for _ in 0..5 {
        let wrong = app
            .post_authed("/api/v1/auth/change-password", token, &change("Guess123!"))
            .await;
        expect_error(wrong, 401, "INVALID_CREDENTIALS").await;
    }
    for _ in 0..25 {
        let limited = app
            .post_authed("/api/v1/auth/change-password", token, &change("Guess123!"))
            .await;
        let retry_after: u64 = limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        expect_error(limited, 429, "RATE_LIMITED").await;
    }
    // Even the right password waits: the limit runs before bcrypt.
    let right = app
        .post_authed("/api/v1/auth/change-password", token, &change(PASSWORD))
        .await;
    expect_error(right, 429, "RATE_LIMITED").await;
    // Logins of the account are counted on their own.
    app.login(&email, PASSWORD).await;
    clock.advance(chrono::Duration::seconds(61));
    let changed = app
        .post_authed("/api/v1/auth/change-password", token, &change(PASSWORD))
        .await;
    assert_eq!(changed.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn authenticated_requests_are_limited_per_user() {
    let app = spawn_app_with(
        |settings| settings.rate_limit.requests_per_minute = 3,
        Arc::new(SystemClock),
    )
    .await;
    let email = unique_email();
    app.register(&email).await;
    let tokens = app.login(&email, PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    for _ in 0..3 {
        assert_eq!(
            app.get_authed("/api/v1/auth/me", access).await.status(),
            200
        );
    }
    let limited = app.get_authed("/api/v1/auth/me", access).await;
    assert!(limited.headers().contains_key("retry-after"));
    expect_error(limited, 429, "RATE_LIMITED").await;
    // Another user has their own budget.
    let other = unique_email();
    app.register(&other).await;
    let other_tokens = app.login(&other, PASSWORD).await;
    let other_access = other_tokens["access_token"].as_str().unwrap();
    assert_eq!(
        app.get_authed("/api/v1/auth/me", other_access)
            .await
            .status(),
        200
    );
    app.stop().await;
}

/// Two instances on one Redis enforce one limit. Runs in the PostgreSQL + Redis pass.
#[tokio::test]
async fn two_instances_on_one_redis_share_the_login_limit() {
    let Some(redis) = redis_url() else {
        eprintln!(
            "SOCRATES_TEST_REDIS_URL is not set: the shared-limit test runs in the Redis pass"
        );
        return;
    };
    let databases = TestDatabaseUrls::create().await;
    let mut settings = settings_for(&databases, Environment::Test);
    settings.redis.url = Some(secrecy::SecretString::from(redis.clone()));
    settings.redis.key_prefix = format!("socrates-test-{}", uuid::Uuid::new_v4().simple());
    // Both instances share the databases and the Redis prefix.
    let first = spawn_on(databases, &settings, Arc::new(SystemClock)).await;
    let second = spawn_on(
        clone_urls(&first.databases),
        &settings,
        Arc::new(SystemClock),
    )
    .await;

    let health: serde_json::Value = first
        .client
        .get(first.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["cache"]["kind"], "redis");
    assert_eq!(health["cache"]["status"], "ok");

    let email = unique_email();
    first.register(&email).await;
    let body = json!({ "email": email, "password": "Wrong123!" });
    for index in 0..5 {
        let app = if index % 2 == 0 { &first } else { &second };
        assert_eq!(app.post("/api/v1/auth/login", &body).await.status(), 401);
    }
    assert_eq!(second.post("/api/v1/auth/login", &body).await.status(), 429);
    assert_eq!(first.post("/api/v1/auth/login", &body).await.status(), 429);
    // The limiter's keys name accounts by digest: no e-mail address is stored in Redis.
    let keys = std::process::Command::new("redis-cli")
        .args(["-u", &redis, "--scan", "--pattern"])
        .arg(format!("{}:*", settings.redis.key_prefix))
        .output()
        .expect("redis-cli (the Redis pass has it)");
    let keys = String::from_utf8_lossy(&keys.stdout);
    assert!(keys.contains(":rl:login:account:"), "{keys}");
    assert!(!keys.contains('@'), "{keys}");
    second.stop().await;
    first.stop().await;
}

fn clone_urls(urls: &TestDatabaseUrls) -> TestDatabaseUrls {
    TestDatabaseUrls::borrowed(&urls.auth_url, &urls.specs_url)
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    for (trusted, expected) in [
        (vec!["127.0.0.1".parse().unwrap()], "203.0.113.9"),
        (vec![], "127.0.0.1"),
    ] {
        let app = spawn_app_with(
            |settings| settings.http.trusted_proxies = trusted,
            Arc::new(SystemClock),
        )
        .await;
        let email = unique_email();
        let response = app
            .client
            .post(app.url("/api/v1/auth/register"))
            .header("X-Forwarded-For", "198.51.100.1, 203.0.113.9")
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let db = app.auth_db().await;
        let entries =
            socrates_persistence::repositories::audit_logs::list_by_action(&db, "user.register", 1)
                .await
                .unwrap();
        assert_eq!(entries[0].ip_address.as_deref(), Some(expected));
        app.stop().await;
    }
}
