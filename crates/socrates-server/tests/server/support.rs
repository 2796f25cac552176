//! Spawning the application for tests.

use secrecy::SecretString;
use socrates_persistence::testing::TestDatabaseUrls;
use socrates_server::settings::Environment;
use socrates_server::{Application, Settings};

/// A running application and what keeps its databases alive.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub handle: actix_web::dev::ServerHandle,
    pub _databases: TestDatabaseUrls,
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
    let databases = TestDatabaseUrls::create().await;
    let settings = settings_for(&databases, Environment::Test);
    let application = Application::build(&settings)
        .await
        .expect("build the application");
    let address = format!("http://127.0.0.1:{}", application.port());
    let handle = application.handle();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        handle,
        _databases: databases,
    }
}
