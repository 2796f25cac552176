//! The exports for people and coding agents through HTTP: the PDF read back by `pdftotext`, the
//! spec-kit, Kiro and OpenSpec ZIPs unpacked and checked, one specification version across them,
//! byte-identical archives for an unchanged specification, and the same 404 for a stranger.

use std::collections::BTreeMap;
use std::io::{Cursor, Read as _};

use serde_json::json;

use super::support::{expect_error, json_of, new_project, spawn_app};

fn unzip(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a ZIP");
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).expect("entry");
        let mut text = String::new();
        file.read_to_string(&mut text).expect("utf-8");
        files.insert(file.name().expect("a UTF-8 name").into_owned(), text);
    }
    files
}

const EXPORTS: [&str; 4] = ["pdf", "spec-kit", "kiro", "openspec"];

#[tokio::test]
async fn a_specification_exports_as_pdf_and_in_the_layouts_of_coding_agents() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Clinic Booking").await;
    for (category, key, value) in [
        ("goals", "project_goal", "Cut phone bookings by half"),
        (
            "requirements",
            "requirement_book",
            "Receptionists must be able to book, move and cancel appointments",
        ),
        (
            "requirements",
            "requirement_invoices",
            "Patients should see their past invoices; no mobile app for now",
        ),
        ("tech_stack", "programming_language", "Python"),
        ("tech_stack", "primary_database", "PostgreSQL"),
        ("security", "authentication_method", "Google OAuth"),
        ("performance", "latency_p95_ms", "300 ms"),
    ] {
        json_of(
            app.post_authed(
                "/api/v1/specifications",
                &token,
                &json!({"project_id": project, "category": category, "key": key, "value": value}),
            )
            .await,
            201,
        )
        .await;
    }
    // One contradiction stays open.
    let held = json_of(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &json!({"project_id": project, "category": "tech_stack", "key": "primary_database", "value": "MySQL"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(held["conflicts_detected"], true);

    let mut versions = Vec::new();
    let mut archives = BTreeMap::new();
    for export in EXPORTS {
        let response = app
            .get_authed(
                &format!("/api/v1/projects/{project}/export/{export}"),
                &token,
            )
            .await;
        assert_eq!(response.status(), 200, "{export}");
        let headers = response.headers().clone();
        let content_type = headers["content-type"].to_str().unwrap().to_owned();
        let disposition = headers["content-disposition"].to_str().unwrap().to_owned();
        versions.push(headers["x-spec-version"].to_str().unwrap().to_owned());
        let bytes = response.bytes().await.unwrap().to_vec();
        if export == "pdf" {
            assert_eq!(content_type, "application/pdf");
            assert_eq!(disposition, "attachment; filename=\"clinic-booking.pdf\"");
            assert!(bytes.starts_with(b"%PDF-"));
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("spec.pdf");
            std::fs::write(&path, &bytes).unwrap();
            let text = std::process::Command::new("pdftotext")
                .arg(&path)
                .arg("-")
                .output()
                .expect("pdftotext (poppler-utils, installed by .ci/run)");
            let text = String::from_utf8(text.stdout).unwrap();
            for expected in [
                "Clinic Booking",
                "Maturity by category",
                "Receptionists must be able to book, move and cancel appointments",
                "held back: primary_database = MySQL",
                "Decision log",
            ] {
                assert!(
                    text.contains(expected),
                    "{expected} not in the PDF:\n{text}"
                );
            }
        } else {
            assert_eq!(content_type, "application/zip");
            assert_eq!(
                disposition,
                format!("attachment; filename=\"clinic-booking-{export}.zip\"")
            );
            archives.insert(export, bytes);
        }
    }
    assert!(versions[0].starts_with("sha256:"), "{versions:?}");
    assert!(versions.iter().all(|v| v == &versions[0]), "{versions:?}");

    let spec_kit = unzip(&archives["spec-kit"]);
    let spec = &spec_kit["specs/001-clinic-booking/spec.md"];
    assert!(spec.starts_with("# Feature Specification: Clinic Booking\n"));
    assert!(spec.contains(
        "- **FR-001**: System MUST allow a receptionist to book, move and cancel appointments."
    ));
    assert!(
        spec.contains("- Out of scope: no mobile app for now"),
        "{spec}"
    );
    assert!(
        spec.contains("[NEEDS CLARIFICATION: "),
        "the open conflict: {spec}"
    );
    assert!(spec.contains(&versions[0]));
    for file in ["plan.md", "tasks.md", "data-model.md", "research.md"] {
        assert!(spec_kit.contains_key(&format!("specs/001-clinic-booking/{file}")));
    }

    let kiro = unzip(&archives["kiro"]);
    let requirements = &kiro[".kiro/specs/clinic-booking/requirements.md"];
    assert!(requirements.contains(
        "1. WHEN a receptionist asks to book, move and cancel appointments, THE SYSTEM SHALL"
    ));
    assert!(requirements.contains("sign in with Google OAuth"));
    assert!(kiro.contains_key(".kiro/steering/tech.md"));

    let openspec = unzip(&archives["openspec"]);
    let appointments = &openspec["openspec/changes/add-clinic-booking/specs/appointments/spec.md"];
    assert!(appointments.contains("## ADDED Requirements"));
    assert!(appointments.contains("#### Scenario: "));
    assert!(openspec["openspec/config.yaml"].contains("PostgreSQL"));

    // Unchanged specification: the same archives, byte for byte.
    for export in ["spec-kit", "kiro", "openspec"] {
        let again = app
            .get_authed(
                &format!("/api/v1/projects/{project}/export/{export}"),
                &token,
            )
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(again.as_ref(), archives[export].as_slice(), "{export}");
    }
    // A change of a fact is a new version.
    json_of(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &json!({"project_id": project, "category": "testing", "key": "testing_framework", "value": "pytest"}),
        )
        .await,
        201,
    )
    .await;
    let changed = app
        .get_authed(&format!("/api/v1/projects/{project}/export/kiro"), &token)
        .await;
    assert_ne!(
        changed.headers()["x-spec-version"].to_str().unwrap(),
        versions[0]
    );
}

#[tokio::test]
async fn exports_of_someone_elses_or_no_project_are_404_and_need_a_token() {
    let app = spawn_app().await;
    let owner = app.signed_in_user().await;
    let stranger = app.signed_in_user().await;
    let project = new_project(&app, &owner, "Private").await;
    for export in EXPORTS {
        let path = format!("/api/v1/projects/{project}/export/{export}");
        expect_error(
            app.get_authed(&path, &stranger).await,
            404,
            "PROJECT_NOT_FOUND",
        )
        .await;
        expect_error(app.get(&path).await, 401, "UNAUTHENTICATED").await;
        expect_error(
            app.get_authed(
                &format!("/api/v1/projects/{}/export/{export}", uuid::Uuid::new_v4()),
                &owner,
            )
            .await,
            404,
            "PROJECT_NOT_FOUND",
        )
        .await;
        expect_error(
            app.get_authed(
                &format!("/api/v1/projects/not-a-uuid/export/{export}"),
                &owner,
            )
            .await,
            400,
            "INVALID_PATH",
        )
        .await;
        // An empty project exports too.
        let response = app.get_authed(&path, &owner).await;
        assert_eq!(response.status(), 200, "{export}");
    }
}
