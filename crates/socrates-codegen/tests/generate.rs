//! The generator on a realistic specification: every stack renders, the plan has the files a
//! project needs, the output is deterministic and states the specification version.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod sample;

use socrates_codegen::Generator;
use socrates_domain::{Knowledge, Stack};
use socrates_export::Brief;

fn generate(stack: Stack, language: &str) -> Vec<socrates_codegen::GeneratedFile> {
    let knowledge = Knowledge::builtin().unwrap();
    let spec = sample::clinic(language);
    let brief = Brief::read(&spec, Some(knowledge.technologies()));
    Generator::new(&spec, &brief, stack, false)
        .unwrap()
        .render_all()
        .unwrap()
}

#[test]
fn every_stack_writes_a_project_with_tests_docker_and_ci() {
    for (stack, language, expected) in [
        (
            Stack::PythonFastapi,
            "Python",
            &[
                "app/models/appointment.py",
                "app/api/invoice.py",
                "tests/test_reminder.py",
                "pyproject.toml",
            ][..],
        ),
        (
            Stack::TypescriptExpress,
            "TypeScript",
            &[
                "src/models/appointment.ts",
                "src/routes/invoice.ts",
                "test/reminder.test.ts",
                "package.json",
            ][..],
        ),
        (
            Stack::RustActix,
            "Rust",
            &[
                "src/models.rs",
                "src/routes.rs",
                "tests/api.rs",
                "Cargo.toml",
            ][..],
        ),
    ] {
        let files = generate(stack, language);
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        for path in expected.iter().chain(&[
            "README.md",
            "TRACEABILITY.md",
            "Dockerfile",
            ".github/workflows/ci.yml",
            ".socrates/spec-version.json",
        ]) {
            assert!(
                paths.contains(path),
                "{stack}: {path} missing from {paths:?}"
            );
        }
        let readme = &files
            .iter()
            .find(|f| f.path == "README.md")
            .unwrap()
            .content;
        assert!(
            readme.contains(
                "- **FR-001** Receptionists must be able to book, move and cancel appointments"
            ),
            "{readme}"
        );
        assert!(
            readme.contains("## Out of scope\n\n- No mobile app for now"),
            "{readme}"
        );
        assert!(readme.contains("THE SYSTEM SHALL answer 95 % of requests within 300 ms."));
        let version: serde_json::Value = serde_json::from_str(
            &files
                .iter()
                .find(|f| f.path == ".socrates/spec-version.json")
                .unwrap()
                .content,
        )
        .expect("valid JSON");
        assert!(
            version["spec_version"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
        assert_eq!(version["facts"].as_array().unwrap().len(), 9);
        for file in &files {
            assert!(
                !file.content.contains("{{") && !file.content.contains("{%"),
                "{}",
                file.path
            );
        }
    }
}

#[test]
fn the_same_specification_gives_the_same_files() {
    for stack in [
        Stack::PythonFastapi,
        Stack::TypescriptExpress,
        Stack::RustActix,
    ] {
        assert_eq!(generate(stack, "Python"), generate(stack, "Python"));
    }
}

#[test]
fn per_entity_files_trace_to_the_requirements_naming_the_entity() {
    let files = generate(Stack::PythonFastapi, "Python");
    let invoice = files
        .iter()
        .find(|f| f.path == "app/models/invoice.py")
        .unwrap();
    assert_eq!(invoice.spec_ids, vec![uuid::Uuid::from_u128(12)]);
    assert!(
        invoice
            .content
            .contains("FR-002: Patients should see their upcoming appointments")
    );
}
