//! The view cache: a project's status and pages of its facts are served from the cache, every
//! write that changes them is visible on the next read, and a cache that goes away only costs
//! speed — requests are still answered, `/health` says `degraded`, the metrics count it.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};
use socrates_infra::SystemClock;
use socrates_persistence::testing::{TestDatabaseUrls, redis_url};
use socrates_server::settings::Environment;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::support::{TestApp, json_of, settings_for, spawn_app, spawn_on};

async fn metric(app: &TestApp, series: &str) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(series))
        .map_or(0, |value| value.trim().parse().unwrap())
}

const STATUS_HIT: &str = r#"socrates_cache_requests_total{outcome="hit",view="status"}"#;
const FACTS_HIT: &str = r#"socrates_cache_requests_total{outcome="hit",view="facts"}"#;

struct Project<'a> {
    app: &'a TestApp,
    token: String,
    id: String,
}

impl Project<'_> {
    async fn status(&self) -> Value {
        let path = format!("/api/v1/projects/{}/status", self.id);
        json_of(self.app.get_authed(&path, &self.token).await, 200).await
    }

    async fn facts(&self) -> Value {
        let path = format!("/api/v1/specifications/project/{}?limit=10", self.id);
        json_of(self.app.get_authed(&path, &self.token).await, 200).await
    }

    /// Adds a fact: 201 when saved, 200 when a conflict holds it.
    async fn add(&self, key: &str, value: &str) -> Value {
        let body =
            json!({"project_id": self.id, "category": "tech_stack", "key": key, "value": value});
        let response = self
            .app
            .post_authed("/api/v1/specifications", &self.token, &body)
            .await;
        let status = response.status().as_u16();
        let added: Value = response.json().await.unwrap();
        let expected = if added["conflicts_detected"] == true {
            200
        } else {
            201
        };
        assert_eq!(status, expected, "{added}");
        added
    }
}

async fn project(app: &TestApp) -> Project<'_> {
    let token = app.signed_in_user().await;
    let created = json_of(
        app.post_authed("/api/v1/projects", &token, &json!({"name": "Cached"}))
            .await,
        201,
    )
    .await;
    Project {
        app,
        token,
        id: created["project_id"].as_str().unwrap().to_owned(),
    }
}

/// Every kind of write is visible on the next read of the cached views.
async fn writes_are_visible_on_the_next_read(app: &TestApp) {
    let project = project(app).await;
    let stranger = app.signed_in_user().await;
    assert_eq!(project.status().await["specifications_count"], 0);
    assert_eq!(project.status().await["specifications_count"], 0);
    assert_eq!(metric(app, STATUS_HIT).await, 1, "the second read is a hit");
    // A cached view is still only its owner's.
    let path = format!("/api/v1/projects/{}/status", project.id);
    assert_eq!(app.get_authed(&path, &stranger).await.status(), 404);

    // A manual fact.
    let added = project.add("primary_database", "PostgreSQL").await;
    let spec_id = added["specification"]["spec_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(project.status().await["specifications_count"], 1);
    assert_eq!(project.facts().await["total"], 1);
    assert_eq!(project.facts().await["total"], 1);
    assert_eq!(metric(app, FACTS_HIT).await, 1);

    // A new version.
    let fact_path = format!("/api/v1/specifications/{spec_id}");
    let changed = json_of(
        app.send_authed(
            Method::PUT,
            &fact_path,
            &project.token,
            Some(&json!({"value": "PostgreSQL 16"})),
        )
        .await,
        200,
    )
    .await;
    let facts = project.facts().await;
    assert_eq!(facts["specifications"][0]["value"], "PostgreSQL 16");

    // A contradiction held in a conflict, then its resolution.
    let held = project.add("primary_database", "MongoDB").await;
    assert_eq!(held["conflicts_detected"], true);
    assert_eq!(project.status().await["unresolved_conflicts"], 1);
    let conflicts = json_of(
        app.get_authed(
            &format!("/api/v1/conflicts/project/{}", project.id),
            &project.token,
        )
        .await,
        200,
    )
    .await;
    let conflict_id = conflicts["conflicts"][0]["conflict_id"].as_str().unwrap();
    json_of(
        app.post_authed(
            &format!("/api/v1/conflicts/{conflict_id}/resolve"),
            &project.token,
            &json!({"resolution": "replace"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(project.status().await["unresolved_conflicts"], 0);
    assert_eq!(
        project.facts().await["specifications"][0]["value"],
        "MongoDB"
    );

    // A soft delete of the current version.
    let current = project.facts().await["specifications"][0]["spec_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(current, changed["spec_id"].as_str().unwrap());
    json_of(
        app.send_authed(
            Method::DELETE,
            &format!("/api/v1/specifications/{current}"),
            &project.token,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(project.status().await["specifications_count"], 0);
    assert_eq!(project.facts().await["total"], 0);

    // An answer in a Socratic session.
    let session = json_of(
        app.post_authed(
            &format!("/api/v1/projects/{}/sessions", project.id),
            &project.token,
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    let session_id = session["session_id"].as_str().unwrap();
    let question = json_of(
        app.post_authed(
            &format!("/api/v1/sessions/{session_id}/next-question"),
            &project.token,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    let answered = json_of(
        app.post_authed(
            &format!("/api/v1/sessions/{session_id}/answer"),
            &project.token,
            &json!({"question_id": question["question_id"],
                    "answer": "It is a web app in Rust on PostgreSQL, deployed on AWS."}),
        )
        .await,
        200,
    )
    .await;
    let extracted = answered["specs_extracted"].as_u64().unwrap();
    assert!(extracted >= 2, "{answered}");
    let status = project.status().await;
    assert_eq!(status["specifications_count"], extracted);
    assert_eq!(status["maturity_score"], answered["maturity_score"]);
    assert_eq!(project.facts().await["total"], extracted);
}

#[tokio::test]
async fn in_process_cache_serves_reads_and_every_write_is_visible_on_the_next_read() {
    let app = spawn_app().await;
    let health = json_of(app.get("/health").await, 200).await;
    assert_eq!(health["cache"]["kind"], "in_process");
    writes_are_visible_on_the_next_read(&app).await;
}

/// A TCP relay to the real Redis that the test can cut, as if Redis went away.
struct Relay {
    port: u16,
    tasks: JoinSet<()>,
}

impl Relay {
    async fn to(redis: &str) -> Self {
        Self::on(0, redis).await
    }

    /// A relay on `port` (0: any free port).
    async fn on(port: u16, redis: &str) -> Self {
        let upstream = redis
            .trim_start_matches("redis://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let (mut client, _) = listener.accept().await.unwrap();
                let upstream = upstream.clone();
                connections.spawn(async move {
                    let mut server = tokio::net::TcpStream::connect(upstream).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        Self { port, tasks }
    }

    /// Closes the listener and every relayed connection.
    async fn cut(mut self) {
        self.tasks.shutdown().await;
    }
}

/// The same on Redis, and then Redis goes away. Runs in the PostgreSQL + Redis pass.
#[tokio::test]
async fn redis_cache_serves_reads_and_its_loss_degrades_health_without_failing_requests() {
    let Some(redis) = redis_url() else {
        eprintln!(
            "SOCRATES_TEST_REDIS_URL is not set: the Redis cache test runs in the Redis pass"
        );
        return;
    };
    let relay = Relay::to(&redis).await;
    let port = relay.port;
    let databases = TestDatabaseUrls::create().await;
    let mut settings = settings_for(&databases, Environment::Test);
    settings.redis.url = Some(secrecy::SecretString::from(format!(
        "redis://127.0.0.1:{}/0",
        relay.port
    )));
    settings.redis.timeout_milliseconds = 500;
    // Once Redis is back, the open circuit lets a probe through after this pause.
    settings.redis.circuit_pause_milliseconds = 300;
    settings.redis.key_prefix = format!("socrates-test-{}", uuid::Uuid::new_v4().simple());
    let app = spawn_on(databases, &settings, Arc::new(SystemClock)).await;
    let health = json_of(app.get("/health").await, 200).await;
    assert_eq!(health["cache"]["kind"], "redis");
    writes_are_visible_on_the_next_read(&app).await;

    let project = project(&app).await;
    project.add("primary_database", "PostgreSQL").await;
    assert_eq!(project.status().await["specifications_count"], 1);
    relay.cut().await;

    // Reads are still answered: from the database, then from this process's cache, which
    // keeps views while Redis is out.
    let hits_before = metric(&app, STATUS_HIT).await;
    assert_eq!(project.status().await["specifications_count"], 1);
    assert_eq!(project.status().await["specifications_count"], 1);
    assert!(
        metric(&app, STATUS_HIT).await > hits_before,
        "views are not kept in the process while Redis is out"
    );
    // A write drops the process's view at once.
    project.add("primary_language", "Rust").await;
    assert_eq!(project.status().await["specifications_count"], 2);
    assert_eq!(project.facts().await["total"], 2);
    let health = json_of(app.get("/health").await, 200).await;
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["cache"]["status"], "error", "{health}");
    // The write could not drop the project's views in Redis: its reads bypass the cache
    // until the failed invalidation has been retried.
    assert!(
        metric(
            &app,
            r#"socrates_cache_requests_total{outcome="bypass",view="status"}"#
        )
        .await
            >= 1
    );
    assert!(
        metric(
            &app,
            r#"socrates_cache_requests_total{outcome="invalidate_error",view="any"}"#
        )
        .await
            >= 1
    );

    // Redis comes back on the same address: the pool drops the connections that died and
    // makes new ones, so health recovers and views are cached again.
    let relay = Relay::on(port, &redis).await;
    let mut recovered = false;
    for _ in 0..40 {
        let health = json_of(app.get("/health").await, 200).await;
        if health["cache"]["status"] == "ok" {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(recovered, "the Redis pool never recovered");
    let before = metric(&app, STATUS_HIT).await;
    assert_eq!(project.status().await["specifications_count"], 2);
    assert_eq!(project.status().await["specifications_count"], 2);
    assert!(
        metric(&app, STATUS_HIT).await > before,
        "status is not cached again"
    );
    relay.cut().await;
}
