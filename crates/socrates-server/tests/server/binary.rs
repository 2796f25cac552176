//! The real `socrates-server` binary: the embedded default, configuration errors, migrations and
//! graceful shutdown on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use socrates_persistence::testing::TestDatabaseUrls;

const BINARY: &str = env!("CARGO_BIN_EXE_socrates-server");

/// A command for the binary with a clean configuration environment, run in `directory`.
pub fn server_command(directory: &Path) -> Command {
    let mut command = Command::new(BINARY);
    command.current_dir(directory).env("RUST_LOG", "info");
    for (name, _) in std::env::vars() {
        let configures_the_server = name.starts_with("SOCRATES_")
            || name.starts_with("DATABASE_")
            || [
                "APP_ENV",
                "REDIS_URL",
                "JWT_SECRET",
                "ANTHROPIC_API_KEY",
                "OPENAI_API_KEY",
                "OLLAMA_URL",
                "SENTRY_DSN",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ]
            .contains(&name.as_str());
        if configures_the_server {
            command.env_remove(name);
        }
    }
    command
}

/// Runs the binary to completion with a time limit.
fn run_to_completion(mut command: Command) -> Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn socrates-server");
    child.wait_with_output().expect("wait for socrates-server")
}

/// Asserts a start-up failure: exit code 1, one line on stderr containing every needle, no panic.
fn assert_clear_failure(output: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert!(lines[0].starts_with("socrates-server: error: "), "{stderr}");
    for needle in needles {
        assert!(
            lines[0].contains(needle),
            "`{needle}` missing from: {stderr}"
        );
    }
}

/// The rest of a child's standard output, line by line.
pub type OutputLines = std::io::Lines<BufReader<std::process::ChildStdout>>;

/// Waits for the "listening" log line and returns the address it names, the lines so far and
/// the reader of the remaining output.
pub fn wait_until_listening(child: &mut Child) -> (String, Vec<String>, OutputLines) {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = Vec::new();
    let mut reader = BufReader::new(stdout).lines();
    for line in reader.by_ref() {
        let line = line.expect("read stdout");
        lines.push(line.clone());
        if line.contains("socrates is listening") {
            let start = line.find("http://").expect("address in the listening line");
            let address: String = line[start..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            return (address, lines, reader);
        }
    }
    panic!("the server exited before listening: {lines:#?}");
}

/// Registers `credentials` with the server at `address` (asserting 201), logs in and returns
/// the access token.
pub async fn sign_up(
    client: &reqwest::Client,
    address: &str,
    credentials: &serde_json::Value,
) -> String {
    let registered = client
        .post(format!("{address}/api/v1/auth/register"))
        .json(credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let login: serde_json::Value = client
        .post(format!("{address}/api/v1/auth/login"))
        .json(credentials)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["access_token"].as_str().unwrap().to_owned()
}

/// Sends SIGTERM and asserts a clean exit.
pub fn terminate(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
}

#[test]
fn embedded_default_creates_both_sqlite_files_serves_health_and_stops_on_sigterm() {
    let directory = tempfile::tempdir().unwrap();
    let mut child = server_command(directory.path())
        .env("SOCRATES_SERVER__PORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (address, _, _output) = wait_until_listening(&mut child);
    assert!(address.starts_with("http://127.0.0.1:"), "{address}");
    assert!(directory.path().join("data/socrates_auth.db").is_file());
    assert!(directory.path().join("data/socrates_specs.db").is_file());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body: serde_json::Value = runtime.block_on(async {
        reqwest::get(format!("{address}/health"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["auth_db"]["kind"], "sqlite");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status after SIGTERM: {exit}");
}

#[test]
fn a_malformed_database_url_stops_the_server_with_one_clear_line() {
    let directory = tempfile::tempdir().unwrap();
    let mut command = server_command(directory.path());
    command.env("DATABASE_AUTH_URL", "mysql://somewhere/db");
    assert_clear_failure(
        &run_to_completion(command),
        &["socrates_auth", "unsupported URL"],
    );
}

#[test]
fn an_unreachable_postgres_stops_the_server_with_one_clear_line() {
    let directory = tempfile::tempdir().unwrap();
    let mut command = server_command(directory.path());
    // Port 1 on the loopback refuses connections immediately.
    command
        .env(
            "DATABASE_AUTH_URL",
            "postgres://app:hunter2@127.0.0.1:1/socrates_auth",
        )
        .env("SOCRATES_DATABASE__ACQUIRE_TIMEOUT_SECONDS", "2");
    let output = run_to_completion(command);
    assert_clear_failure(&output, &["cannot connect to socrates_auth"]);
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("hunter2"),
        "password leaked"
    );
}

#[test]
fn an_unwritable_data_directory_stops_the_server_with_one_clear_line() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let mut command = server_command(directory.path());
    command.env("SOCRATES_SERVER__DATA_DIR", file.join("data"));
    assert_clear_failure(
        &run_to_completion(command),
        &["socrates_auth", "cannot create directory"],
    );
}

#[test]
fn an_unknown_key_in_the_config_file_stops_the_server_with_one_clear_line() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("socrates.toml"),
        "[server]\nport = 0\nporrt = 9000\n",
    )
    .unwrap();
    let command = server_command(directory.path());
    assert_clear_failure(&run_to_completion(command), &["unknown field", "porrt"]);
}

#[test]
fn broken_offline_data_stops_the_server_naming_the_file_and_entry() {
    let directory = tempfile::tempdir().unwrap();
    let data = directory.path().join("offline");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("technologies.toml"),
        "[[technology]]\nname = \"Postgres Fork\"\nkind = \"database\"\naliases = [\"Postgres Fork\"]\n",
    )
    .unwrap();
    let mut command = server_command(directory.path());
    command
        .env("SOCRATES_SERVER__PORT", "0")
        .env("SOCRATES_LLM__OFFLINE_DATA_DIR", &data);
    assert_clear_failure(
        &run_to_completion(command),
        &["technologies.toml", "Postgres Fork", "lowercase"],
    );

    let mut command = server_command(directory.path());
    command.env("SOCRATES_SERVER__PORT", "0").env(
        "SOCRATES_LLM__OFFLINE_DATA_DIR",
        directory.path().join("missing"),
    );
    assert_clear_failure(&run_to_completion(command), &["missing", "does not exist"]);
}

#[test]
fn a_price_without_its_pair_stops_the_server() {
    let directory = tempfile::tempdir().unwrap();
    let mut command = server_command(directory.path());
    command
        .env("SOCRATES_SERVER__PORT", "0")
        .env("ANTHROPIC_API_KEY", "sk-ant-test-0123456789")
        .env("SOCRATES_LLM__BASE_URL", "http://127.0.0.1:9")
        .env("SOCRATES_LLM__INPUT_PRICE_PER_1K_USD", "0.003");
    assert_clear_failure(
        &run_to_completion(command),
        &["input_price_per_1k_usd", "output_price_per_1k_usd"],
    );
}

#[test]
fn a_missing_explicit_config_file_is_an_error() {
    let directory = tempfile::tempdir().unwrap();
    let mut command = server_command(directory.path());
    command.args(["--config", "nope.toml"]);
    assert_clear_failure(
        &run_to_completion(command),
        &["nope.toml", "does not exist"],
    );
}

#[test]
fn migrate_status_up_and_down_work_on_both_databases() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let databases = runtime.block_on(TestDatabaseUrls::create());
    let directory = tempfile::tempdir().unwrap();
    let migrate = |args: &[&str]| {
        let mut command = server_command(directory.path());
        command
            .env("DATABASE_AUTH_URL", &databases.auth_url)
            .env("DATABASE_SPECS_URL", &databases.specs_url)
            .env("RUST_LOG", "warn")
            .arg("migrate")
            .args(args);
        let output = run_to_completion(command);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };

    let status = migrate(&["status"]);
    assert!(
        status.contains("pending  m20261125_000001_create_users"),
        "{status}"
    );
    assert!(
        status.contains("pending  m20261125_000007_create_project_shares"),
        "{status}"
    );

    let up = migrate(&["up"]);
    assert!(up.contains("socrates_auth: applied 5 migration(s)"), "{up}");
    assert!(
        up.contains("socrates_specs: applied 14 migration(s)"),
        "{up}"
    );
    let status = migrate(&["status", "--db", "specs"]);
    assert!(!status.contains("pending"), "{status}");
    assert!(!status.contains("socrates_auth"), "{status}");

    let down = migrate(&["down", "--db", "auth"]);
    assert!(
        down.contains("socrates_auth: rolled back 1 migration(s)"),
        "{down}"
    );
    assert!(down.contains("- m20261125_000005_create_teams"), "{down}");
    let down_all = migrate(&["down", "--all"]);
    assert!(
        down_all.contains("socrates_auth: rolled back 4 migration(s)"),
        "{down_all}"
    );
    assert!(
        down_all.contains("socrates_specs: rolled back 14 migration(s)"),
        "{down_all}"
    );
    let status = migrate(&["status"]);
    assert!(!status.contains("applied "), "{status}");
    drop(databases);
}

/// Drives the account flows against the real binary at debug log level, then searches every
/// line it wrote: no password, hash, token or secret may appear — except the reset link on the
/// embedded mailer's clearly marked line, which is how the embedded default delivers it.
#[test]
fn no_secret_reaches_a_log_line_or_a_response() {
    const SECRET: &str = "log-scan-secret-log-scan-secret-0123456789";
    const FIRST_PASSWORD: &str = "Scan123!first";
    const SECOND_PASSWORD: &str = "Scan456?second";
    let directory = tempfile::tempdir().unwrap();
    let mut child = server_command(directory.path())
        .env("SOCRATES_SERVER__PORT", "0")
        .env("RUST_LOG", "debug")
        .env("JWT_SECRET", SECRET)
        .env("SOCRATES_AUTH__BCRYPT_COST", "4")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (address, mut lines, output) = wait_until_listening(&mut child);
    let reader = std::thread::spawn(move || output.map_while(Result::ok).collect::<Vec<_>>());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (responses, secrets) = runtime.block_on(async {
        let client = reqwest::Client::new();
        let url = |path: &str| format!("{address}/api/v1/auth{path}");
        let mut responses = Vec::new();
        let mut post = async |path: &str, token: Option<&str>, body: serde_json::Value| {
            let mut request = client.post(url(path)).json(&body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let text = request.send().await.unwrap().text().await.unwrap();
            responses.push(text.clone());
            serde_json::from_str::<serde_json::Value>(&text).unwrap()
        };
        let email = "scan@example.com";
        post("/register", None, serde_json::json!({ "email": email, "password": FIRST_PASSWORD })).await;
        let login = post("/login", None, serde_json::json!({ "email": email, "password": FIRST_PASSWORD })).await;
        post("/login", None, serde_json::json!({ "email": email, "password": "Wrong123!" })).await;
        let access = login["access_token"].as_str().unwrap().to_owned();
        let refresh = login["refresh_token"].as_str().unwrap().to_owned();
        let rotated = post("/refresh", None, serde_json::json!({ "refresh_token": refresh })).await;
        post(
            "/change-password",
            Some(&access),
            serde_json::json!({ "current_password": FIRST_PASSWORD, "new_password": SECOND_PASSWORD }),
        )
        .await;
        post("/password-reset/request", None, serde_json::json!({ "email": email })).await;
        let me = client.get(url("/me")).bearer_auth(&access).send().await.unwrap().text().await.unwrap();
        responses.push(me);
        let secrets = vec![
            SECRET.to_owned(),
            FIRST_PASSWORD.to_owned(),
            SECOND_PASSWORD.to_owned(),
            access,
            refresh,
            rotated["access_token"].as_str().unwrap().to_owned(),
            rotated["refresh_token"].as_str().unwrap().to_owned(),
        ];
        (responses, secrets)
    });

    // The reset link reached the log on the mailer's marked line; use it.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap();
    lines.extend(reader.join().unwrap());
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        std::io::Read::read_to_string(&mut pipe, &mut stderr).unwrap();
    }
    lines.extend(stderr.lines().map(str::to_owned));
    let mailer_lines: Vec<&String> = lines
        .iter()
        .filter(|line| line.contains("EMBEDDED MAILER"))
        .collect();
    assert_eq!(
        mailer_lines.len(),
        1,
        "the embedded mailer logs the reset link once; responses: {responses:?}; last lines: {:?}",
        &lines[lines.len().saturating_sub(5)..]
    );
    let reset_token = mailer_lines[0]
        .split("token=")
        .nth(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect::<String>()
        })
        .unwrap();
    assert_eq!(reset_token.len(), 43, "{}", mailer_lines[0]);

    assert!(
        lines.len() > 20,
        "debug logging produced too little to be meaningful"
    );
    for secret in &secrets {
        for line in &lines {
            assert!(
                !line.contains(secret.as_str()),
                "a secret reached the log: {line}"
            );
        }
        for response in &responses {
            // Tokens appear in the login and refresh answers that issue them, nowhere else.
            if secret.starts_with("Scan") || secret == SECRET {
                assert!(
                    !response.contains(secret.as_str()),
                    "a secret reached a response: {response}"
                );
            }
        }
    }
    for line in lines
        .iter()
        .filter(|line| !line.contains("EMBEDDED MAILER"))
    {
        assert!(
            !line.contains(&reset_token),
            "the reset token escaped the mailer line: {line}"
        );
        assert!(
            !line.contains("$2b$"),
            "a bcrypt hash reached the log: {line}"
        );
    }
    for response in &responses {
        assert!(
            !response.contains("$2b$"),
            "a bcrypt hash reached a response: {response}"
        );
    }
    drop(directory);
}

/// The embedded default generates its JWT secret once under `data/`: a token issued before a
/// restart is still accepted after it.
#[test]
fn tokens_survive_a_restart_of_the_embedded_default() {
    let directory = tempfile::tempdir().unwrap();
    let start = || {
        let mut child = server_command(directory.path())
            .env("SOCRATES_SERVER__PORT", "0")
            .env("SOCRATES_AUTH__BCRYPT_COST", "4")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (address, _, output) = wait_until_listening(&mut child);
        (child, address, output)
    };
    let stop = terminate;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let credentials = serde_json::json!({ "email": "restart@example.com", "password": "Test123!" });

    let (mut first, address, _output) = start();
    let token = runtime.block_on(sign_up(&reqwest::Client::new(), &address, &credentials));
    stop(&mut first);
    let secret = std::fs::read(directory.path().join("data/jwt_secret")).unwrap();
    assert!(secret.len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(directory.path().join("data/jwt_secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the secret file must be private");
    }

    let (mut second, address, _output) = start();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{address}/api/v1/auth/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
    });
    stop(&mut second);
    assert_eq!(status, 200);
    assert_eq!(
        std::fs::read(directory.path().join("data/jwt_secret")).unwrap(),
        secret
    );
}

/// SIGTERM while a request is in flight: the request still gets its answer, then the server
/// exits cleanly. A login at bcrypt cost 13 keeps a request busy for a while; the signal is sent
/// once the server's own debug log shows the login's user lookup, i.e. mid-request.
#[test]
fn sigterm_drains_an_in_flight_request_before_exiting() {
    let directory = tempfile::tempdir().unwrap();
    let mut child = server_command(directory.path())
        .env("SOCRATES_SERVER__PORT", "0")
        .env("SOCRATES_AUTH__BCRYPT_COST", "13")
        .env("RUST_LOG", "info,sqlx=debug,sea_orm=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (address, _, mut output) = wait_until_listening(&mut child);
    let credentials = serde_json::json!({ "email": "drain@example.com", "password": "Test123!" });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{address}/api/v1/auth/register"))
            .json(&credentials)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    });

    let login = {
        let address = address.clone();
        let credentials = credentials.clone();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(async move {
                    let response = reqwest::Client::new()
                        .post(format!("{address}/api/v1/auth/login"))
                        .json(&credentials)
                        .send()
                        .await
                        .unwrap();
                    let status = response.status();
                    let body: serde_json::Value = response.json().await.unwrap();
                    (status, body)
                })
        })
    };
    // Wait until the login handler has looked the user up: bcrypt is now running.
    let mut seen = Vec::new();
    for line in output.by_ref() {
        let line = line.unwrap();
        let in_login = line.contains("/api/v1/auth/login") && line.contains("db.statement");
        seen.push(line);
        if in_login {
            break;
        }
    }
    assert!(
        seen.iter().any(|line| line.contains("db.statement")),
        "{seen:#?}"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    let (status, body) = login.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit}");
    let rest: Vec<String> = output.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|line| line.contains("shutdown complete")),
        "{rest:#?}"
    );
}

#[test]
fn healthcheck_succeeds_against_a_running_server_and_fails_without_one() {
    let directory = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Nothing listens yet: a clear failure naming the address.
    let mut probe = server_command(directory.path());
    probe
        .arg("healthcheck")
        .env("SOCRATES_SERVER__PORT", port.to_string());
    let output = run_to_completion(probe);
    assert_clear_failure(&output, &[&format!("127.0.0.1:{port}")]);

    let mut child = server_command(directory.path())
        .env("SOCRATES_SERVER__PORT", port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = wait_until_listening(&mut child);
    let mut probe = server_command(directory.path());
    probe
        .arg("healthcheck")
        .env("SOCRATES_SERVER__HOST", "0.0.0.0")
        .env("SOCRATES_SERVER__PORT", port.to_string());
    let output = run_to_completion(probe);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
