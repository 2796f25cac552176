//! Health, the error envelope and start-up rules, through HTTP.

use serde_json::Value;
use socrates_persistence::testing::{TestDatabaseUrls, TestDatabases, uses_postgres};
use socrates_server::Application;
use socrates_server::settings::Environment;

use super::support::{expect_error, settings_for, spawn_app};

fn expected_backend() -> &'static str {
    if uses_postgres() {
        "postgres"
    } else {
        "sqlite"
    }
}

#[tokio::test]
async fn health_reports_both_databases_as_healthy() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/health", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "healthy");
    for database in ["auth_db", "specs_db"] {
        assert_eq!(body[database]["status"], "ok", "{database}: {body}");
        assert_eq!(body[database]["kind"], expected_backend());
        assert!(body[database]["latency_ms"].as_f64().unwrap() >= 0.0);
    }
    assert_eq!(body["llm"]["kind"], "offline");
    assert_eq!(body["cache"]["kind"], "in_process");
    app.handle.stop(true).await;
}

#[tokio::test]
async fn liveness_and_readiness_answer() {
    let app = spawn_app().await;
    let live = app
        .client
        .get(format!("{}/health/live", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    let ready: Value = app
        .client
        .get(format!("{}/health/ready", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    // Load balancers that probe with HEAD get the status without a body.
    for path in ["/health", "/health/live", "/health/ready"] {
        let head = app
            .client
            .head(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has a body"
        );
    }
    app.handle.stop(true).await;
}

#[tokio::test]
async fn unknown_route_answers_the_error_envelope_with_the_request_id() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/api/v1/nothing-here", app.address))
        .header("X-Request-Id", "client-chosen-id-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-request-id"], "client-chosen-id-42");
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], "ROUTE_NOT_FOUND");
    assert_eq!(body["request_id"], "client-chosen-id-42");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("/api/v1/nothing-here")
    );
    assert!(body["details"].is_object());
    app.handle.stop(true).await;
}

#[tokio::test]
async fn an_unsafe_request_id_is_replaced() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/health/live", app.address))
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let echoed = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(echoed, "bad id with spaces");
    assert!(uuid::Uuid::parse_str(&echoed).is_ok(), "{echoed}");
    app.handle.stop(true).await;
}

#[tokio::test]
async fn wrong_method_answers_405_in_the_envelope() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/health", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], "METHOD_NOT_ALLOWED");
    assert_eq!(body["request_id"], request_id);
    app.handle.stop(true).await;
}

#[tokio::test]
async fn production_refuses_to_start_with_pending_migrations_and_names_them() {
    let databases = TestDatabaseUrls::create().await;
    let settings = settings_for(&databases, Environment::Production);
    let error = Application::build(&settings)
        .await
        .err()
        .expect("start must be refused");
    let message = format!("{error:#}");
    assert!(message.contains("refusing to start"), "{message}");
    assert!(message.contains("socrates_auth"), "{message}");
    assert!(
        message.contains("m20261125_000001_create_users"),
        "{message}"
    );
}

#[tokio::test]
async fn production_starts_once_migrations_are_applied() {
    let databases = TestDatabases::new().await;
    let mut settings = settings_for(&databases.urls, Environment::Production);
    // Production refuses a bcrypt cost below 12.
    settings.auth.bcrypt_cost = 12;
    let application = Application::build(&settings)
        .await
        .expect("migrated databases start");
    let handle = application.handle();
    let port = application.port();
    let server = tokio::spawn(application.run_until_stopped());
    let response = reqwest::get(format!("http://127.0.0.1:{port}/health"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    handle.stop(true).await;
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn production_refuses_a_missing_or_short_jwt_secret() {
    let databases = TestDatabases::new().await;
    let mut settings = settings_for(&databases.urls, Environment::Production);
    settings.auth.bcrypt_cost = 12;
    settings.auth.jwt_secret = None;
    let error = Application::build(&settings)
        .await
        .err()
        .expect("no secret must be refused");
    assert!(
        format!("{error:#}").contains("JWT_SECRET is required in production"),
        "{error:#}"
    );
    settings.auth.jwt_secret = Some(secrecy::SecretString::from("too-short"));
    let error = Application::build(&settings)
        .await
        .err()
        .expect("a short secret must be refused");
    assert!(
        format!("{error:#}").contains("at least 32 bytes"),
        "{error:#}"
    );
}

/// A database that goes away makes `/health` and `/health/ready` answer 503 with their report,
/// not the error envelope, so operators see which check failed. Runs in the PostgreSQL pass
/// (a SQLite file cannot be taken away from the connections that hold it open).
#[tokio::test]
async fn a_lost_database_answers_503_with_the_report() {
    let Ok(admin_url) = std::env::var(socrates_persistence::testing::POSTGRES_URL_VAR) else {
        eprintln!(
            "SOCRATES_TEST_POSTGRES_URL is not set: the lost-database test runs in the PostgreSQL pass"
        );
        return;
    };
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    // A pooled connection to the specs database is open when it goes away.
    assert_eq!(
        app.get_authed("/api/v1/projects", &token).await.status(),
        200
    );
    let name = app
        .databases
        .specs_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let admin = sea_orm::Database::connect(admin_url.as_str())
        .await
        .unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(
        &admin,
        &format!("DROP DATABASE \"{name}\" WITH (FORCE)"),
    )
    .await
    .unwrap();
    admin.close().await.unwrap();

    // The very first request after the loss is a 503 too, not a 500: the pooled connection
    // was terminated by the server (SQLSTATE 57P01), which means unavailable.
    // It says when to come back (`Retry-After`), as every 503 does.
    for _ in 0..2 {
        let read = app.get_authed("/api/v1/projects", &token).await;
        assert_eq!(read.headers()["retry-after"], "5");
        expect_error(read, 503, "DATABASE_UNAVAILABLE").await;
    }
    let health = app.get("/health").await;
    assert_eq!(health.status(), 503);
    let report: Value = health.json().await.unwrap();
    assert_eq!(report["status"], "unhealthy", "{report}");
    assert_eq!(report["specs_db"]["status"], "error", "{report}");
    assert_eq!(report["auth_db"]["status"], "ok", "{report}");
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), 503);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "not_ready", "{ready}");
    assert_eq!(ready["specs_db"], "error", "{ready}");
}
