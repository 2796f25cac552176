//! A code generation job whose server is killed with SIGKILL mid-run is taken over by the next
//! server once its lease runs out, and completes once — on SQLite files, or on PostgreSQL when
//! `SOCRATES_TEST_POSTGRES_URL` is set.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use socrates_persistence::testing::TestDatabaseUrls;

use super::binary::{server_command, sign_up, wait_until_listening};

/// Every category with its maturity weight: a fact entered by hand counts 1.0.
fn weights() -> impl Iterator<Item = (&'static str, usize)> {
    socrates_domain::Category::ALL
        .into_iter()
        .map(|category| (category.as_str(), category.weight() as usize))
}

fn start(
    directory: &std::path::Path,
    databases: &TestDatabaseUrls,
    pause_ms: u64,
) -> (Child, String) {
    let mut child = server_command(directory)
        .env("SOCRATES_SERVER__PORT", "0")
        .env("SOCRATES_AUTH__BCRYPT_COST", "4")
        .env("SOCRATES_RATE_LIMIT__ENABLED", "false")
        .env("DATABASE_AUTH_URL", &databases.auth_url)
        .env("DATABASE_SPECS_URL", &databases.specs_url)
        .env("SOCRATES_CODEGEN__WORKERS", "1")
        .env("SOCRATES_CODEGEN__LEASE_SECONDS", "3")
        .env("SOCRATES_CODEGEN__POLL_INTERVAL_MS", "100")
        .env(
            "SOCRATES_CODEGEN__PAUSE_BETWEEN_FILES_MS",
            pause_ms.to_string(),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn socrates-server");
    let (address, _, lines) = wait_until_listening(&mut child);
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, address)
}

async fn post(client: &reqwest::Client, url: String, token: &str, body: Value) -> (u16, Value) {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn status(client: &reqwest::Client, address: &str, token: &str, generation: &str) -> Value {
    client
        .get(format!("{address}/api/v1/code/{generation}/status"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[test]
fn a_job_whose_server_is_killed_mid_run_is_taken_over_after_its_lease_and_completes_once() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let databases = runtime.block_on(TestDatabaseUrls::create());
    let directory = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();

    // The first server generates slowly (a pause after each file), so it is killed mid-run.
    let (mut first, address) = start(directory.path(), &databases, 400);
    let credentials = json!({"email": "kill@example.com", "password": "Test123!"});
    let token = runtime.block_on(sign_up(&client, &address, &credentials));
    let generation = runtime.block_on(async {
        let (code, project) = post(
            &client,
            format!("{address}/api/v1/projects"),
            &token,
            json!({"name": "Clinic Booking"}),
        )
        .await;
        assert_eq!(code, 201);
        let project = project["project_id"].as_str().unwrap().to_owned();
        let add = |category: &str, key: String, value: String| {
            post(
                &client,
                format!("{address}/api/v1/specifications"),
                &token,
                json!({"project_id": project, "category": category, "key": key, "value": value}),
            )
        };
        assert_eq!(
            add("tech_stack", "programming_language".into(), "Python".into())
                .await
                .0,
            201
        );
        assert_eq!(
            add(
                "requirements",
                "requirement_book".into(),
                "Receptionists must be able to book, move and cancel appointments".into()
            )
            .await
            .0,
            201
        );
        for (category, weight) in weights() {
            let have = usize::from(matches!(category, "tech_stack" | "requirements"));
            for n in have..weight {
                let (code, _) = add(category, format!("detail_{n}"), format!("Detail {n}")).await;
                assert_eq!(code, 201);
            }
        }
        let (code, requested) = post(
            &client,
            format!("{address}/api/v1/code/generate"),
            &token,
            json!({"project_id": project}),
        )
        .await;
        assert_eq!(code, 202, "{requested}");
        requested["generation_id"].as_str().unwrap().to_owned()
    });

    // Wait until the first server is writing files, then kill it.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = runtime.block_on(status(&client, &address, &token, &generation));
        if now["status"] == "in_progress" {
            break;
        }
        assert!(Instant::now() < deadline, "never started: {now}");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(600));
    let killed = Command::new("kill")
        .args(["-KILL", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = first.wait();

    // The second server takes the job over once the lease (3 s) has run out.
    let restarted = Instant::now();
    let (mut second, address) = start(directory.path(), &databases, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = loop {
        let now = runtime.block_on(status(&client, &address, &token, &generation));
        if now["status"] == "completed" || now["status"] == "failed" {
            break now;
        }
        assert_eq!(now["status"], "in_progress", "{now}");
        assert!(Instant::now() < deadline, "not taken over: {now}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(done["status"], "completed", "{done}");
    assert!(
        restarted.elapsed() >= Duration::from_secs(1),
        "it waited for the lease"
    );
    let files = done["files_generated"].as_u64().unwrap();
    assert!(files >= 10, "{done}");
    // Completed once: the download has each file once, as many as the status says.
    let zip = runtime.block_on(async {
        client
            .get(format!("{address}/api/v1/code/{generation}/download"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
    });
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap();
    assert_eq!(archive.len() as u64, files);
    super::binary::terminate(&mut second);
}
