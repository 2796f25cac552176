//! Choosing the language-model provider, and its health.

use std::sync::Arc;

use serde_json::{Value, json};
use socrates_infra::SystemClock;
use socrates_persistence::testing::TestDatabaseUrls;
use socrates_server::Application;
use socrates_server::settings::Environment;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{settings_for, spawn_app_with};

fn models_body() -> Value {
    json!({ "object": "list", "data": [{ "id": "gpt-4o-mini", "object": "model", "owned_by": "openai" }] })
}

#[tokio::test]
async fn a_configured_provider_is_probed_by_health_and_the_probe_is_cached() {
    let provider = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(models_body()))
        .expect(1)
        .mount(&provider)
        .await;
    let uri = provider.uri();
    let app = spawn_app_with(
        move |settings| {
            settings.llm.provider = Some("openai".to_owned());
            settings.llm.base_url = Some(uri);
            settings.llm.openai_api_key = Some(secrecy::SecretString::from("sk-test-key"));
        },
        Arc::new(SystemClock),
    )
    .await;
    for _ in 0..3 {
        let health: Value = app
            .client
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(health["status"], "healthy", "{health}");
        assert_eq!(health["llm"]["kind"], "openai");
        assert_eq!(health["llm"]["status"], "ok");
    }
    app.stop().await;
    // `expect(1)`: three health calls, one probe.
    provider.verify().await;
    let requests = provider.received_requests().await.unwrap();
    assert_eq!(requests[0].headers["authorization"], "Bearer sk-test-key");
}

#[tokio::test]
async fn a_failing_provider_degrades_health_without_failing_it() {
    let provider = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream exploded"))
        .mount(&provider)
        .await;
    let uri = provider.uri();
    let app = spawn_app_with(
        move |settings| {
            settings.llm.provider = Some("openai".to_owned());
            settings.llm.base_url = Some(uri);
        },
        Arc::new(SystemClock),
    )
    .await;
    let response = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let health: Value = response.json().await.unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["llm"]["status"], "error");
    assert_eq!(health["auth_db"]["status"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn a_provider_that_cannot_be_used_stops_the_start_with_a_clear_error() {
    let databases = TestDatabaseUrls::create().await;
    let mut settings = settings_for(&databases, Environment::Test);
    settings.llm.provider = Some("claude".to_owned());
    let error = Application::build(&settings)
        .await
        .err()
        .expect("claude without a key");
    assert!(
        format!("{error:#}").contains("ANTHROPIC_API_KEY is not set"),
        "{error:#}"
    );

    settings.llm.provider = Some("gemini".to_owned());
    let error = Application::build(&settings)
        .await
        .err()
        .expect("unknown provider");
    assert!(format!("{error:#}").contains("llm.provider"), "{error:#}");

    settings.llm.provider = Some("openai".to_owned());
    let error = Application::build(&settings)
        .await
        .err()
        .expect("openai without key or URL");
    assert!(format!("{error:#}").contains("OPENAI_API_KEY"), "{error:#}");
}

#[tokio::test]
async fn without_a_provider_the_server_runs_offline_and_says_so() {
    let databases = TestDatabaseUrls::create().await;
    let settings = settings_for(&databases, Environment::Test);
    let application = Application::build_with_clock(&settings, Arc::new(SystemClock))
        .await
        .unwrap();
    let port = application.port();
    let handle = application.handle();
    tokio::spawn(application.run_until_stopped());
    let health: Value = reqwest::get(format!("http://127.0.0.1:{port}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["llm"]["kind"], "offline");
    assert_eq!(health["llm"]["status"], "ok");
    handle.stop(true).await;
}
