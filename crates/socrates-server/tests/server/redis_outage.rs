//! Redis is never critical. Hung (every byte held, as under SIGSTOP) behind a proxy, it costs
//! requests a command deadline until its circuit opens and nothing after; rate limits stay
//! enforced in the process; `/health` says so; and when Redis answers again the circuit
//! closes by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use socrates_infra::SystemClock;
use socrates_persistence::testing::{TestDatabaseUrls, redis_url};
use socrates_server::settings::Environment;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::support::{PASSWORD, json_of, settings_for, spawn_on, unique_email};

/// A TCP proxy to Redis that can hold every byte in both directions.
struct FreezableProxy {
    address: String,
    frozen: Arc<AtomicBool>,
}

impl FreezableProxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let frozen = Arc::new(AtomicBool::new(false));
        let held = Arc::clone(&frozen);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pump(client_read, server_write, Arc::clone(&held)));
                tokio::spawn(pump(server_read, client_write, Arc::clone(&held)));
            }
        });
        Self { address, frozen }
    }

    fn freeze(&self, frozen: bool) {
        self.frozen.store(frozen, Ordering::SeqCst);
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<AtomicBool>,
) {
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        let Ok(n) = from.read(&mut buffer).await else {
            return;
        };
        if n == 0 {
            return;
        }
        while frozen.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn a_hung_redis_costs_nothing_once_its_circuit_opens_and_limits_stay_enforced() {
    let Some(redis) = redis_url() else {
        eprintln!(
            "SOCRATES_TEST_REDIS_URL is not set: the Redis outage test runs in the Redis pass"
        );
        return;
    };
    let upstream = redis
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let proxy = FreezableProxy::start(upstream).await;
    let databases = TestDatabaseUrls::create().await;
    let mut settings = settings_for(&databases, Environment::Test);
    settings.redis.url = Some(secrecy::SecretString::from(format!(
        "redis://{}",
        proxy.address
    )));
    settings.redis.key_prefix = format!("socrates-test-{}", uuid::Uuid::new_v4().simple());
    settings.redis.command_timeout_milliseconds = 500;
    settings.redis.circuit_pause_milliseconds = 3000;
    let app = spawn_on(databases, &settings, Arc::new(SystemClock)).await;

    let token = app.signed_in_user().await;
    let project = json_of(
        app.post_authed("/api/v1/projects", &token, &json!({"name": "Outage"}))
            .await,
        201,
    )
    .await;
    let status_path = format!(
        "/api/v1/projects/{}/status",
        project["project_id"].as_str().unwrap()
    );
    json_of(app.get_authed(&status_path, &token).await, 200).await;

    proxy.freeze(true);
    // The first requests wait out command deadlines (500 ms) while the circuit counts
    // failures; after that, only the one probe per pause (3 s) waits on Redis.
    let started = Instant::now();
    let mut waited_on_redis = Vec::new();
    for n in 0..40 {
        let asked = Instant::now();
        json_of(app.get_authed(&status_path, &token).await, 200).await;
        if n >= 10 && asked.elapsed() >= Duration::from_millis(400) {
            waited_on_redis.push(n);
        }
    }
    let probes_allowed = 1 + started.elapsed().as_secs() / 3;
    assert!(
        u64::try_from(waited_on_redis.len()).unwrap() <= probes_allowed,
        "requests {waited_on_redis:?} waited on a hung Redis with the circuit open"
    );

    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    let cache_error = health["cache"]["error"].as_str().unwrap_or_default();
    assert!(cache_error.contains("circuit is open"), "{health}");
    assert!(
        cache_error.contains("rate limits are enforced in this process"),
        "{health}"
    );

    // Login attempts are still limited (5 a minute per account), now in this process.
    let email = unique_email();
    app.register(&email).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let response = app
            .post(
                "/api/v1/auth/login",
                &json!({"email": email, "password": format!("{PASSWORD}-wrong")}),
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses[0], 401, "{statuses:?}");
    assert!(
        statuses.contains(&429),
        "the limit failed open: {statuses:?}"
    );

    // Redis answers again: after the pause one probe closes the circuit.
    proxy.freeze(false);
    let recovered = async {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let health: Value = app.get("/health").await.json().await.unwrap();
            if health["status"] == "healthy" {
                return health;
            }
        }
    };
    let health = tokio::time::timeout(Duration::from_secs(10), recovered)
        .await
        .expect("the circuit did not close after Redis recovered");
    assert_eq!(health["cache"]["status"], "ok", "{health}");
    json_of(app.get_authed(&status_path, &token).await, 200).await;
}
