//! Code generation through HTTP: the gates (maturity, open conflicts), the job run by the
//! server's workers, its status and ZIP, the latest code of a project, one generation per
//! project however many requests arrive at once, the same files for an unchanged specification,
//! and the same 404 for a stranger.

use std::collections::BTreeMap;
use std::io::{Cursor, Read as _};
use std::time::Duration;

use serde_json::{Value, json};

use super::support::{TestApp, expect_error, json_of, new_project, spawn_app_with};

/// The categories and their maturity weights: a fact entered by hand counts 1.0.
/// Every category with its maturity weight: a fact entered by hand counts 1.0.
fn weights() -> impl Iterator<Item = (&'static str, usize)> {
    socrates_domain::Category::ALL
        .into_iter()
        .map(|category| (category.as_str(), category.weight() as usize))
}

const REQUIREMENTS: [&str; 3] = [
    "Receptionists must be able to book, move and cancel appointments",
    "Patients should see their upcoming appointments and past invoices",
    "No mobile app for now; the web app must work on phones",
];

async fn add(app: &TestApp, token: &str, project: &str, category: &str, key: &str, value: &str) {
    let response = app
        .post_authed(
            "/api/v1/specifications",
            token,
            &json!({"project_id": project, "category": category, "key": key, "value": value}),
        )
        .await;
    let body = json_of(response, 201).await;
    assert_eq!(body["conflicts_detected"], false, "{body}");
}

/// A project at 100 % maturity whose stack is `language`.
async fn mature_project(app: &TestApp, token: &str, language: &str) -> String {
    let project = new_project(app, token, "Clinic Booking").await;
    add(
        app,
        token,
        &project,
        "tech_stack",
        "programming_language",
        language,
    )
    .await;
    add(
        app,
        token,
        &project,
        "tech_stack",
        "primary_database",
        "PostgreSQL",
    )
    .await;
    for (index, statement) in REQUIREMENTS.iter().enumerate() {
        add(
            app,
            token,
            &project,
            "requirements",
            &format!("requirement_{index}"),
            statement,
        )
        .await;
    }
    for (category, weight) in weights() {
        let have = match category {
            "tech_stack" => 2,
            "requirements" => REQUIREMENTS.len(),
            _ => 0,
        };
        for n in have..weight {
            add(
                app,
                token,
                &project,
                category,
                &format!("detail_{n}"),
                &format!("Detail {n} of {category}"),
            )
            .await;
        }
    }
    let status = json_of(
        app.get_authed(&format!("/api/v1/projects/{project}/status"), token)
            .await,
        200,
    )
    .await;
    assert_eq!(status["maturity_score"], 100.0, "{status}");
    project
}

async fn spawn() -> TestApp {
    spawn_app_with(
        |settings| {
            settings.codegen.poll_interval_ms = 50;
            // Ninety facts and a poll every 50 ms are far beyond a person's quota.
            settings.rate_limit.enabled = false;
        },
        std::sync::Arc::new(socrates_infra::clock::SystemClock),
    )
    .await
}

async fn wait_until_done(app: &TestApp, token: &str, generation: &str) -> Value {
    for _ in 0..400 {
        let status = json_of(
            app.get_authed(&format!("/api/v1/code/{generation}/status"), token)
                .await,
            200,
        )
        .await;
        if status["status"] == "completed" || status["status"] == "failed" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the generation did not finish within 20 s");
}

fn unzip(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a ZIP");
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).expect("entry");
        let mut text = String::new();
        file.read_to_string(&mut text).expect("utf-8");
        files.insert(file.name().expect("name").into_owned(), text);
    }
    files
}

#[tokio::test]
async fn a_mature_specification_generates_a_project_that_states_its_version() {
    let app = spawn().await;
    let token = app.signed_in_user().await;

    // Below 100 %: refused with the score and what is missing.
    let young = new_project(&app, &token, "Young").await;
    let refused = expect_error(
        app.post_authed(
            "/api/v1/code/generate",
            &token,
            &json!({"project_id": young}),
        )
        .await,
        409,
        "MATURITY_NOT_REACHED",
    )
    .await;
    assert_eq!(refused["details"]["maturity_score"], 0.0);
    assert_eq!(
        refused["details"]["missing_categories"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    expect_error(
        app.get_authed(&format!("/api/v1/projects/{young}/export/code"), &token)
            .await,
        409,
        "GENERATION_NOT_READY",
    )
    .await;

    let project = mature_project(&app, &token, "Python").await;
    let requested = json_of(
        app.post_authed(
            "/api/v1/code/generate",
            &token,
            &json!({"project_id": project}),
        )
        .await,
        202,
    )
    .await;
    assert_eq!(requested["created"], true);
    assert_eq!(requested["generation"]["stack"], "python_fastapi");
    let generation = requested["generation_id"].as_str().unwrap().to_owned();
    let done = wait_until_done(&app, &token, &generation).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["progress_percent"], 100);
    assert!(done["files_generated"].as_u64().unwrap() >= 15, "{done}");
    assert!(done["lines_of_code"].as_u64().unwrap() > 200, "{done}");
    assert_eq!(done["fact_count"], 90);
    assert_eq!(
        done["download_url"],
        format!("/api/v1/code/{generation}/download")
    );

    let response = app
        .get_authed(&format!("/api/v1/code/{generation}/download"), &token)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"clinic-booking-v1.zip\""
    );
    let version = response.headers()["x-spec-version"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(version, done["spec_version"].as_str().unwrap());
    let files = unzip(&response.bytes().await.unwrap());
    for path in [
        "README.md",
        "TRACEABILITY.md",
        "Dockerfile",
        ".github/workflows/ci.yml",
        "app/main.py",
        "app/models/appointment.py",
        "app/api/invoice.py",
        "tests/test_appointment.py",
    ] {
        assert!(
            files.contains_key(&format!("clinic-booking/{path}")),
            "{path}: {:?}",
            files.keys()
        );
    }
    let stated: Value =
        serde_json::from_str(&files["clinic-booking/.socrates/spec-version.json"]).unwrap();
    assert_eq!(stated["spec_version"], version.as_str());
    assert_eq!(stated["facts"].as_array().unwrap().len(), 90);
    assert!(files["clinic-booking/README.md"].contains("- No mobile app for now"));
    // The same version as the exports of the same specification.
    let export = app
        .get_authed(&format!("/api/v1/projects/{project}/export/kiro"), &token)
        .await;
    assert_eq!(
        export.headers()["x-spec-version"].to_str().unwrap(),
        version
    );

    // The project's latest code is that ZIP.
    let latest = app
        .get_authed(&format!("/api/v1/projects/{project}/export/code"), &token)
        .await;
    assert_eq!(latest.status(), 200);

    // Regenerating the unchanged specification gives the same files.
    let again = json_of(
        app.post_authed(
            "/api/v1/code/generate",
            &token,
            &json!({"project_id": project}),
        )
        .await,
        202,
    )
    .await;
    let second = again["generation_id"].as_str().unwrap().to_owned();
    assert_ne!(second, generation);
    assert_eq!(again["generation"]["generation_version"], 2);
    wait_until_done(&app, &token, &second).await;
    let regenerated = app
        .get_authed(&format!("/api/v1/code/{second}/download"), &token)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(unzip(&regenerated), files);

    // A stranger sees nothing.
    let stranger = app.signed_in_user().await;
    for path in [
        format!("/api/v1/code/{generation}/status"),
        format!("/api/v1/code/{generation}/download"),
    ] {
        expect_error(
            app.get_authed(&path, &stranger).await,
            404,
            "GENERATION_NOT_FOUND",
        )
        .await;
    }
    expect_error(
        app.post_authed(
            "/api/v1/code/generate",
            &stranger,
            &json!({"project_id": project}),
        )
        .await,
        404,
        "PROJECT_NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn an_open_conflict_blocks_generation_and_a_queued_job_is_not_downloadable() {
    // No workers here: the job waits, so its status and download can be seen before it runs.
    let app = spawn_app_with(
        |settings| {
            settings.codegen.workers = 0;
            settings.rate_limit.enabled = false;
        },
        std::sync::Arc::new(socrates_infra::clock::SystemClock),
    )
    .await;
    let token = app.signed_in_user().await;
    let project = mature_project(&app, &token, "Rust").await;

    // Two clients at once: one generation.
    let body = json!({"project_id": project});
    let (first, second) = tokio::join!(
        app.post_authed("/api/v1/code/generate", &token, &body),
        app.post_authed("/api/v1/code/generate", &token, &body),
    );
    let first = json_of(first, 202).await;
    let second = json_of(second, 202).await;
    assert_eq!(first["generation_id"], second["generation_id"]);
    assert_ne!(first["created"], second["created"]);
    assert_eq!(first["generation"]["stack"], "rust_actix");
    let generation = first["generation_id"].as_str().unwrap();
    let status = json_of(
        app.get_authed(&format!("/api/v1/code/{generation}/status"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(status["status"], "pending");
    assert_eq!(status["download_url"], Value::Null);
    let refused = expect_error(
        app.get_authed(&format!("/api/v1/code/{generation}/download"), &token)
            .await,
        409,
        "GENERATION_NOT_READY",
    )
    .await;
    assert_eq!(refused["details"]["status"], "pending");

    // An open conflict blocks a new generation of another mature project.
    let other = mature_project(&app, &token, "Python").await;
    let held = json_of(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &json!({"project_id": other, "category": "tech_stack", "key": "primary_database", "value": "MySQL"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(held["conflicts_detected"], true);
    let blocked = expect_error(
        app.post_authed(
            "/api/v1/code/generate",
            &token,
            &json!({"project_id": other}),
        )
        .await,
        409,
        "GENERATION_BLOCKED",
    )
    .await;
    assert_eq!(blocked["details"]["reasons"][0]["reason"], "open_conflicts");

    // Bad input.
    for body in [
        json!({}),
        json!({"project_id": "nope"}),
        json!({"project_id": project, "x": 1}),
    ] {
        expect_error(
            app.post_authed("/api/v1/code/generate", &token, &body)
                .await,
            400,
            "INVALID_JSON",
        )
        .await;
    }
    expect_error(
        app.get_authed("/api/v1/code/not-a-uuid/status", &token)
            .await,
        400,
        "INVALID_PATH",
    )
    .await;
}
