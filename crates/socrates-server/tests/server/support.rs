//! Spawning the application for tests, and small HTTP helpers.

use std::sync::Arc;

use secrecy::SecretString;
use serde_json::{Value, json};
use socrates_domain::UserId;
use socrates_infra::{Clock, ManualClock, SystemClock};
use socrates_persistence::AuthDb;
use socrates_persistence::testing::TestDatabaseUrls;
use socrates_server::settings::Environment;
use socrates_server::{Application, Settings};

/// The password every test account uses unless a test says otherwise.
pub const PASSWORD: &str = "Test123!";

/// A running application and what keeps its databases alive.
pub struct TestApp {
    pub address: String,
    /// The application's own container (the same memos and caches its routes use).
    pub services: socrates_agents::ServiceContainer,
    pub client: reqwest::Client,
    pub handle: actix_web::dev::ServerHandle,
    pub databases: TestDatabaseUrls,
}

/// Settings pointing at the given throw-away databases, on a free port.
pub fn settings_for(databases: &TestDatabaseUrls, environment: Environment) -> Settings {
    let mut settings = Settings {
        environment,
        ..Settings::default()
    };
    settings.server.port = 0;
    settings.server.workers = Some(1);
    settings.database.auth_url = Some(SecretString::from(databases.auth_url.clone()));
    settings.database.specs_url = Some(SecretString::from(databases.specs_url.clone()));
    settings.database.max_connections = 5;
    settings.auth.jwt_secret = Some(SecretString::from("test-secret-test-secret-test-secret-42"));
    settings.auth.bcrypt_cost = 4;
    settings
}

/// Starts the real application in the background and returns its address.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}, Arc::new(SystemClock)).await
}

/// Starts the application with adjusted settings and the given clock.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings), clock: Arc<dyn Clock>) -> TestApp {
    let databases = TestDatabaseUrls::create().await;
    let mut settings = settings_for(&databases, Environment::Test);
    adjust(&mut settings);
    spawn_on(databases, &settings, clock).await
}

/// Starts the application on existing databases.
pub async fn spawn_on(
    databases: TestDatabaseUrls,
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> TestApp {
    let application = Application::build_with_clock(settings, clock)
        .await
        .expect("build the application");
    let address = format!("http://127.0.0.1:{}", application.port());
    let handle = application.handle();
    let services = application.services().clone();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        services,
        client: reqwest::Client::new(),
        handle,
        databases,
    }
}

/// A clock stopped now, shared with the application.
pub fn manual_clock() -> (ManualClock, Arc<dyn Clock>) {
    let clock = ManualClock::new(chrono::Utc::now());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    (clock, shared)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_authed(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Registers `email` and fails its login five times (the per-account quota): the next
    /// attempt is refused with 429. Returns the wrong credentials.
    pub async fn use_up_logins(&self, email: &str) -> Value {
        self.register(email).await;
        let wrong = serde_json::json!({ "email": email, "password": "Wrong123!" });
        for _ in 0..5 {
            assert_eq!(self.post("/api/v1/auth/login", &wrong).await.status(), 401);
        }
        wrong
    }

    pub async fn get_authed(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn send_authed(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    /// Registers a fresh account, logs it in and returns its access token.
    pub async fn signed_in_user(&self) -> String {
        let email = unique_email();
        self.register(&email).await;
        let tokens = self.login(&email, PASSWORD).await;
        tokens["access_token"].as_str().unwrap().to_owned()
    }

    /// Registers `email` with [`PASSWORD`], asserting 201.
    pub async fn register(&self, email: &str) -> Value {
        let response = self
            .post(
                "/api/v1/auth/register",
                &json!({ "email": email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    /// Logs in, asserting 200, and returns the token body.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        let response = self
            .post(
                "/api/v1/auth/login",
                &json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
        response.json().await.unwrap()
    }

    /// A connection of the test's own to the app's specs database.
    pub async fn specs_db(&self) -> socrates_persistence::SpecsDb {
        socrates_persistence::SpecsDb::connect(&self.databases.options().1)
            .await
            .unwrap()
    }

    /// A connection of the test's own to the app's auth database.
    pub async fn auth_db(&self) -> AuthDb {
        AuthDb::connect(&self.databases.options().0).await.unwrap()
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// Asserts the status and returns the JSON body (the body is shown when the status differs).
/// Asks the session's next question (200) and returns it.
pub async fn next_question(app: &TestApp, token: &str, session: &str) -> Value {
    let path = format!("/api/v1/sessions/{session}/next-question");
    json_of(
        app.post_authed(&path, token, &serde_json::json!({})).await,
        200,
    )
    .await
}

/// Starts the application with the rate limits off: a scripted interview sends more requests
/// in a minute than one person may.
pub async fn spawn_app_without_rate_limits() -> TestApp {
    spawn_app_with(
        |settings| settings.rate_limit.enabled = false,
        Arc::new(SystemClock),
    )
    .await
}

/// Creates a project named `name` (201); its id.
pub async fn new_project(app: &TestApp, token: &str, name: &str) -> String {
    let body = serde_json::json!({ "name": name });
    let project = json_of(app.post_authed("/api/v1/projects", token, &body).await, 201).await;
    project["project_id"].as_str().unwrap().to_owned()
}

/// Opens a Socratic session on `project`; its id.
pub async fn new_session(app: &TestApp, token: &str, project: &str) -> String {
    let session = json_of(
        app.post_authed(
            &format!("/api/v1/projects/{project}/sessions"),
            token,
            &serde_json::json!({}),
        )
        .await,
        201,
    )
    .await;
    session["session_id"].as_str().unwrap().to_owned()
}

/// Sends `text` as the answer to `question` (a next-question body) in `session`.
pub async fn answer(
    app: &TestApp,
    token: &str,
    session: &str,
    question: &Value,
    text: &str,
) -> reqwest::Response {
    let path = format!("/api/v1/sessions/{session}/answer");
    app.post_authed(
        &path,
        token,
        &serde_json::json!({"question_id": question["question_id"], "answer": text}),
    )
    .await
}

pub async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let code = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(code, status, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Asserts the error envelope and returns it.
pub async fn expect_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], code, "{body}");
    assert_eq!(body["request_id"], request_id);
    assert!(body["error"].is_string());
    assert!(body["details"].is_object());
    body
}

/// A unique e-mail address per test.
pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Ids of everything the writing routes act on.
pub struct Owned {
    /// The caller's own account.
    pub user: String,
    pub project: String,
    pub session: String,
    pub question: String,
    pub fact: String,
    pub conflict: String,
    /// A knowledge-base document of the project.
    pub document: String,
    /// A code generation id (of none: the project is not mature enough to generate).
    pub generation: String,
}

/// A project with a session, an asked question, a fact and an open conflict.
pub async fn owned_things(app: &TestApp, token: &str) -> Owned {
    let post = |path: String, body: Value| async move {
        json_of(app.post_authed(&path, token, &body).await, 201).await
    };
    let project = post("/api/v1/projects".to_owned(), json!({"name": "Kept"})).await;
    let project = project["project_id"].as_str().unwrap().to_owned();
    let session = post(format!("/api/v1/projects/{project}/sessions"), json!({})).await;
    let session = session["session_id"].as_str().unwrap().to_owned();
    let fact = json!({"project_id": project, "category": "tech_stack", "key": "primary_database"});
    let mut postgres = fact.clone();
    postgres["value"] = json!("PostgreSQL");
    let saved = post("/api/v1/specifications".to_owned(), postgres).await;
    let mut mysql = fact;
    mysql["value"] = json!("MySQL");
    // Held in a conflict, nothing saved: 200.
    let held = json_of(
        app.post_authed("/api/v1/specifications", token, &mysql)
            .await,
        200,
    )
    .await;
    let question = json_of(
        app.post_authed(
            &format!("/api/v1/sessions/{session}/next-question"),
            token,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    let me = json_of(app.get_authed("/api/v1/auth/me", token).await, 200).await;
    let document = json_of(
        upload(
            app,
            token,
            &project,
            "notes.md",
            b"# Notes\n\nClinics book online.",
        )
        .await,
        201,
    )
    .await;
    Owned {
        generation: uuid::Uuid::new_v4().to_string(),
        document: document["document_id"].as_str().unwrap().to_owned(),
        user: me["user_id"].as_str().unwrap().to_owned(),
        fact: saved["specification"]["spec_id"]
            .as_str()
            .unwrap()
            .to_owned(),
        conflict: held["conflicts"][0]["conflict_id"]
            .as_str()
            .unwrap()
            .to_owned(),
        question: question["question_id"].as_str().unwrap().to_owned(),
        project,
        session,
    }
}

/// Uploads `bytes` as the file `name` to the project's knowledge base.
pub async fn upload(
    app: &TestApp,
    token: &str,
    project: &str,
    name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned());
    app.client
        .post(app.url(&format!(
            "/api/v1/learning/project/{project}/upload-document"
        )))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

/// Registers and logs in a fresh account: its access token and id.
pub async fn sign_in(app: &TestApp) -> (String, UserId) {
    let email = unique_email();
    let registered = app.register(&email).await;
    let tokens = app.login(&email, PASSWORD).await;
    let user = UserId::from_uuid(registered["user_id"].as_str().unwrap().parse().unwrap());
    (tokens["access_token"].as_str().unwrap().to_owned(), user)
}
