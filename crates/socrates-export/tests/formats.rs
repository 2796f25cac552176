//! The coding-agent layouts and the PDF of a realistic specification, checked against the
//! headings and line patterns each tool documents (spec-kit's templates, Kiro's requirements /
//! design / tasks conventions, OpenSpec's validator rules), and the PDF's text read back by
//! `pdftotext`.
//!
//! `SOCRATES_EXPORT_SAMPLES=DIR` writes every file there, to look at.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions fail the test loudly"
)]

use std::collections::BTreeMap;
use std::process::Command;

use chrono::{TimeZone as _, Utc};
use regex::Regex;
use socrates_domain::knowledge::Knowledge;
use socrates_domain::{Category, FactSource};
use socrates_export::agent_formats::{self, AgentFormat};
use socrates_export::archive::ArchiveFile;
use socrates_export::model::{Decision, Fact, OpenConflict, ProjectInfo, Specification};
use socrates_export::{Brief, pdf};
use uuid::Uuid;

fn fact(category: Category, key: &str, value: &str) -> Fact {
    Fact {
        id: Uuid::new_v4(),
        category,
        key: key.to_owned(),
        value: value.to_owned(),
        confidence: 0.9,
        source: FactSource::SocraticQuestion,
        version: 1,
    }
}

fn clinic() -> Specification {
    use Category::*;
    Specification {
        project: ProjectInfo {
            id: Uuid::new_v4(),
            name: "Clinic Booking — Physio & Co".to_owned(),
            description: Some(
                "Appointments for a chain of physiotherapy clinics; receptionists work on desktops, patients on phones."
                    .to_owned(),
            ),
            phase: "analysis".to_owned(),
        },
        facts: vec![
            fact(Goals, "project_goal", "cut phone bookings by half"),
            fact(Goals, "target_audience", "receptionists and patients of 12 clinics"),
            fact(Goals, "deadline", "end of Q2 2027"),
            fact(Goals, "budget_usd", "$40,000"),
            fact(Requirements, "requirement_receptionists_able_book_move_and_cancel", "Receptionists must be able to book, move and cancel appointments"),
            fact(Requirements, "requirement_patients_see_upcoming", "Patients should see their upcoming appointments and past invoices"),
            fact(Requirements, "requirement_reminders_sms", "Reminders go out by SMS through Twilio 24 hours before each appointment"),
            fact(Requirements, "requirement_export_invoices_xero", "The clinic must be able to export invoices to Xero every night"),
            fact(Requirements, "requirement_no_mobile_app", "No mobile app for now; the web app must work on phones"),
            fact(TechStack, "programming_language", "Python"),
            fact(TechStack, "backend_framework", "FastAPI"),
            fact(TechStack, "primary_database", "PostgreSQL"),
            fact(Security, "authentication_method", "Google OAuth"),
            fact(Security, "compliance_standard", "GDPR"),
            fact(Performance, "latency_p95_ms", "2000 ms"),
            fact(Scalability, "concurrent_users", "500"),
            fact(Testing, "testing_framework", "pytest"),
            fact(Testing, "test_coverage_target_percent", "80 %"),
            fact(DataRetention, "retention_period_days", "3650 days"),
            fact(DisasterRecovery, "rpo_minutes", "15 minutes"),
            fact(Monitoring, "alerting_channel", "Slack"),
        ],
        open_conflicts: vec![OpenConflict {
            id: Uuid::new_v4(),
            description: "primary_database is PostgreSQL; the value is now stated as MySQL".to_owned(),
            severity: "high".to_owned(),
            category: TechStack,
            key: "primary_database".to_owned(),
            pending_value: "MySQL".to_owned(),
            detected_at: Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
        }],
        decisions: vec![Decision {
            description: "latency_p95_ms was 500 ms; the value was stated as 2000 ms".to_owned(),
            outcome: "replace".to_owned(),
            merged_value: None,
            notes: Some("pages on a phone over 4G".to_owned()),
            decided_at: Some(Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap()),
        }],
        taken_at: Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap(),
    }
}

fn brief(spec: &Specification) -> Brief {
    let knowledge = Knowledge::builtin().expect("knowledge");
    Brief::read(spec, Some(knowledge.technologies()))
}

fn by_path(files: Vec<ArchiveFile>) -> BTreeMap<String, String> {
    if let Ok(dir) = std::env::var("SOCRATES_EXPORT_SAMPLES") {
        for file in &files {
            let path = std::path::Path::new(&dir).join(&file.path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, &file.content).expect("write");
        }
    }
    files.into_iter().map(|f| (f.path, f.content)).collect()
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("regex")
}

fn lines_matching<'a>(text: &'a str, pattern: &str) -> Vec<&'a str> {
    let re = re(pattern);
    text.lines().filter(|l| re.is_match(l)).collect()
}

#[test]
fn the_reading_finds_actors_entities_and_quality_rules() {
    let spec = clinic();
    let brief = brief(&spec);
    let entities: Vec<&str> = brief.entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(entities, ["Appointment", "Invoice", "Reminder"]);
    assert_eq!(brief.actors, ["receptionist", "patient", "clinic"]);
    assert_eq!(brief.requirements.len(), 5);
    assert_eq!(
        brief.requirements[0].capability.as_deref(),
        Some("book, move and cancel appointments")
    );
    assert!(brief.requirements[2].capability.is_none(), "no modal verb");
    assert_eq!(brief.stack.language.as_deref(), Some("Python"));
    assert!(
        brief
            .quality
            .iter()
            .any(|q| q.ears == "THE SYSTEM SHALL answer 95 % of requests within 2000 ms.")
    );
}

#[test]
fn spec_kit_follows_the_templates() {
    let spec = clinic();
    let files = by_path(agent_formats::files(
        AgentFormat::SpecKit,
        &spec,
        &brief(&spec),
    ));
    let dir = "specs/001-clinic-booking-physio-co";
    for name in ["spec", "plan", "tasks", "data-model", "research"] {
        assert!(
            files.contains_key(&format!("{dir}/{name}.md")),
            "{name}: {:?}",
            files.keys()
        );
    }
    assert!(files.contains_key(".specify/memory/constitution.md"));
    assert!(files[".specify/feature.json"].contains(&format!("\"feature_directory\": \"{dir}\"")));

    let spec_md = &files[&format!("{dir}/spec.md")];
    assert!(spec_md.starts_with("# Feature Specification: Clinic Booking"));
    for pattern in [
        r"^\*\*Feature Branch\*\*: `001-clinic-booking-physio-co`$",
        r"^\*\*Created\*\*: \d{4}-\d{2}-\d{2}$",
        r"^\*\*Status\*\*: Draft$",
        r#"^\*\*Input\*\*: User description: ".*"$"#,
    ] {
        assert_eq!(lines_matching(spec_md, pattern).len(), 1, "{pattern}");
    }
    let h2: Vec<&str> = lines_matching(spec_md, r"^## ");
    assert_eq!(
        h2,
        [
            "## User Scenarios & Testing *(mandatory)*",
            "## Requirements *(mandatory)*",
            "## Success Criteria *(mandatory)*",
            "## Assumptions"
        ]
    );
    let stories = lines_matching(spec_md, r"^### User Story (\d+) - .+ \(Priority: P(\d+)\)$");
    assert_eq!(stories.len(), 5);
    for (index, story) in stories.iter().enumerate() {
        assert!(
            story.starts_with(&format!("### User Story {} - ", index + 1)),
            "{story}"
        );
    }
    // Musts first: P1 stories come before the P2 one.
    assert!(stories[0].ends_with("(Priority: P1)"));
    assert!(stories[4].ends_with("(Priority: P2)"), "{stories:?}");
    assert!(
        lines_matching(
            spec_md,
            r"^\d+\. \*\*Given\*\* .+, \*\*When\*\* .+, \*\*Then\*\* .+$"
        )
        .len()
            >= 10
    );
    let frs = lines_matching(spec_md, r"^- \*\*FR-\d{3}\*\*: .+$");
    assert_eq!(frs.len(), 5);
    assert!(frs[0].contains(
        "FR-001**: System MUST allow a receptionist to book, move and cancel appointments."
    ));
    assert!(lines_matching(spec_md, r"^- \*\*SC-\d{3}\*\*: .+$").len() >= 7);
    let markers = re(r"\[NEEDS CLARIFICATION: [^\]]+\]")
        .find_iter(spec_md)
        .count();
    assert!((1..=3).contains(&markers), "{markers}");
    assert!(spec_md.contains("- **Appointment**:"));

    let plan = &files[&format!("{dir}/plan.md")];
    assert!(plan.starts_with("# Implementation Plan: "));
    for heading in [
        "## Summary",
        "## Technical Context",
        "## Constitution Check",
        "## Project Structure",
    ] {
        assert!(plan.lines().any(|l| l == heading), "{heading}");
    }
    assert!(plan.contains("**Language/Version**: Python"));
    assert!(plan.contains("**Storage**: PostgreSQL"));

    let tasks = &files[&format!("{dir}/tasks.md")];
    assert!(tasks.starts_with("# Tasks: "));
    assert!(tasks.contains("\n## Phase 1: Setup"));
    assert!(tasks.contains("\n## Phase 2: Foundational"));
    assert_eq!(
        lines_matching(
            tasks,
            r"^## Phase \d+: User Story \d+ - .+ \(Priority: P\d+\)"
        )
        .len(),
        5
    );
    let task_line = re(r"^- \[[ xX]\] T(\d{3})( \[P\])?( \[US(\d+)\])? \S.*$");
    let mut in_story = false;
    let mut last = 0;
    for line in tasks.lines() {
        if line.starts_with("## ") {
            in_story = line.contains("User Story");
        }
        if line.starts_with("- [") {
            let captures = task_line
                .captures(line)
                .unwrap_or_else(|| panic!("bad task: {line}"));
            let id: u32 = captures[1].parse().expect("id");
            assert_eq!(id, last + 1, "ascending: {line}");
            last = id;
            assert_eq!(
                captures.get(3).is_some(),
                in_story,
                "[USn] iff in a story phase: {line}"
            );
            if let Some(story) = captures.get(4) {
                let n: usize = story.as_str().parse().expect("n");
                assert!((1..=5).contains(&n));
            }
        }
    }
    assert!(tasks.contains("src/clinic_booking_physio_co/models/appointment.py"));
    assert!(
        files[".specify/memory/constitution.md"].contains("**Version**: 1.0.0 | **Ratified**: ")
    );
}

#[test]
fn kiro_has_ears_criteria_and_tasks_citing_them() {
    let spec = clinic();
    let files = by_path(agent_formats::files(
        AgentFormat::Kiro,
        &spec,
        &brief(&spec),
    ));
    let dir = ".kiro/specs/clinic-booking-physio-co";
    let config = &files[&format!("{dir}/.config.kiro")];
    assert!(config.contains("\"workflowType\": \"requirements-first\""));
    assert!(config.contains(&spec.project.id.to_string()));
    let requirements = &files[&format!("{dir}/requirements.md")];
    for heading in [
        "# Requirements Document",
        "## Introduction",
        "## Glossary",
        "## Requirements",
    ] {
        assert!(requirements.lines().any(|l| l == heading), "{heading}");
    }
    for term in lines_matching(requirements, r"^- \*\*") {
        assert!(re(r"^- \*\*[A-Za-z0-9_]+\*\*: .+").is_match(term), "{term}");
    }
    let headings = lines_matching(requirements, r"^### Requirement (\d+)(: .+)?$");
    // Five functional requirements, then one per quality category stated (7).
    assert_eq!(headings.len(), 12, "{headings:?}");
    assert_eq!(
        lines_matching(
            requirements,
            r"^\*\*User Story:\*\* As an? .+, I want .+, so that .+$"
        )
        .len(),
        12
    );
    assert_eq!(
        lines_matching(requirements, r"^#### Acceptance Criteria$").len(),
        12
    );
    let criterion = re(r"^\d+\. (WHEN|IF|WHILE|WHERE|THE)\b.*\bSHALL\b");
    let mut criteria: Vec<(usize, usize)> = Vec::new();
    let mut requirement = 0;
    for line in requirements.lines() {
        if line.starts_with("### Requirement ") {
            requirement += 1;
        }
        if re(r"^\d+\. ").is_match(line) {
            assert!(criterion.is_match(line), "not EARS: {line}");
            if re(r"^\d+\. IF ").is_match(line) {
                assert!(line.contains(", THEN THE SYSTEM SHALL"), "{line}");
            }
            let m: usize = line.split('.').next().expect("n").parse().expect("n");
            criteria.push((requirement, m));
        }
    }
    assert!(requirements.contains(
        "1. WHEN a receptionist asks to book, move and cancel appointments, THE SYSTEM SHALL"
    ));
    assert!(requirements.contains("THE SYSTEM SHALL answer within 2000 ms for 95 % of requests"));
    assert!(requirements.contains("IF the receptionist is not signed in, THEN THE SYSTEM SHALL refuse the request and ask them to sign in with Google OAuth"));

    let design = &files[&format!("{dir}/design.md")];
    for heading in [
        "## Overview",
        "## Architecture",
        "## Components and Interfaces",
        "## Data Models",
        "## Error Handling",
        "## Testing Strategy",
    ] {
        assert!(design.lines().any(|l| l == heading), "{heading}");
    }
    for validates in re(r"\*\*Validates: Requirements ([0-9., ]+)\*\*").captures_iter(design) {
        for cited in validates[1].split(", ") {
            let (n, m) = cited.split_once('.').expect("N.M");
            let pair = (n.parse().expect("n"), m.parse().expect("m"));
            assert!(
                criteria.contains(&pair),
                "design cites a missing criterion {cited}"
            );
        }
    }

    let tasks = &files[&format!("{dir}/tasks.md")];
    let task = re(r"^(  )?- \[[ x]\]\*? (\d+)(\.\d+)?\.? \S.*$");
    let reference = re(r"^\s+- _Requirements: \d+\.\d+(, \d+\.\d+)*_$");
    let mut top = 0;
    for line in tasks.lines() {
        if line.trim_start().starts_with("- [") {
            let captures = task
                .captures(line)
                .unwrap_or_else(|| panic!("bad task: {line}"));
            if captures.get(1).is_none() {
                top += 1;
                assert_eq!(captures[2].parse::<usize>().expect("n"), top, "{line}");
            } else {
                assert_eq!(captures[2].parse::<usize>().expect("n"), top, "{line}");
            }
        }
        if line.contains("_Requirements:") {
            assert!(reference.is_match(line), "{line}");
            let list = line
                .trim()
                .trim_start_matches("- _Requirements: ")
                .trim_end_matches('_');
            for cited in list.split(", ") {
                let (n, m) = cited.split_once('.').expect("N.M");
                let pair = (n.parse().expect("n"), m.parse().expect("m"));
                assert!(
                    criteria.contains(&pair),
                    "tasks cite a missing criterion {cited}"
                );
            }
        }
    }
    for steering in ["product", "tech", "structure"] {
        let text = &files[&format!(".kiro/steering/{steering}.md")];
        assert!(
            text.starts_with("---\ninclusion: always\n---\n"),
            "{steering}"
        );
    }
}

#[test]
fn openspec_passes_the_validator_rules() {
    let spec = clinic();
    let files = by_path(agent_formats::files(
        AgentFormat::OpenSpec,
        &spec,
        &brief(&spec),
    ));
    assert!(files["openspec/config.yaml"].starts_with("schema: spec-driven\n"));
    assert!(!files.keys().any(|p| p.ends_with("AGENTS.md")));
    let change = "openspec/changes/add-clinic-booking-physio-co";
    let proposal = &files[&format!("{change}/proposal.md")];
    for heading in ["## Why", "## What Changes", "## Capabilities", "## Impact"] {
        assert!(proposal.lines().any(|l| l == heading), "{heading}");
    }
    let why = proposal
        .split("## Why\n\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n## ").next())
        .expect("why");
    assert!((50..=1000).contains(&why.chars().count()), "{why}");
    let listed: Vec<String> = re(r"(?m)^- `([a-z0-9-]+(?:/[a-z0-9-]+)*)`: ")
        .captures_iter(proposal)
        .map(|c| c[1].to_owned())
        .collect();
    assert!(listed.contains(&"appointments".to_owned()), "{listed:?}");
    let deltas: Vec<&String> = files
        .keys()
        .filter(|p| p.starts_with(&format!("{change}/specs/")))
        .collect();
    assert!(!files.contains_key(&format!("{change}/specs/spec.md")));
    assert_eq!(deltas.len(), listed.len());
    let delta_path =
        re(r"^openspec/changes/[a-z0-9]+(-[a-z0-9]+)*/specs/[a-z0-9-]+(/[a-z0-9-]+)*/spec\.md$");
    for path in deltas {
        assert!(delta_path.is_match(path), "{path}");
        let capability = path
            .trim_start_matches(&format!("{change}/specs/"))
            .trim_end_matches("/spec.md");
        assert!(
            listed.iter().any(|l| l == capability),
            "{capability} not in the proposal"
        );
        let text = &files[path];
        let purpose = text
            .split("## Purpose\n\n")
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .expect("purpose");
        assert!(purpose.chars().count() >= 50, "{path}: {purpose}");
        assert!(text.contains("\n## ADDED Requirements\n"));
        assert!(!re(r"(?m)^### Scenario").is_match(text));
        // Each requirement: a SHALL/MUST body before the next heading, and a scenario.
        let mut names = Vec::new();
        for block in text.split("\n### Requirement: ").skip(1) {
            let (name, rest) = block.split_once('\n').expect("name");
            assert!(!names.contains(&name), "duplicate {name}");
            names.push(name);
            let body: String = rest
                .lines()
                .take_while(|l| !l.starts_with('#'))
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                re(r"\b(SHALL|MUST)\b").is_match(&body),
                "{path} {name}: {body}"
            );
            let scenarios = rest.matches("\n#### Scenario: ").count()
                + usize::from(rest.starts_with("#### Scenario: "));
            assert!(scenarios >= 1, "{name}");
            for scenario in rest.split("#### Scenario: ").skip(1) {
                assert!(scenario.contains("\n- **WHEN** "), "{name}");
                assert!(scenario.contains("\n- **THEN** "), "{name}");
            }
        }
        assert!(!names.is_empty(), "{path}");
    }
    let tasks = &files[&format!("{change}/tasks.md")];
    let mut group = 0;
    for line in tasks.lines() {
        if let Some(captures) = re(r"^## (\d+)\. .+$").captures(line) {
            group = captures[1].parse().expect("group");
        }
        if line.starts_with("- [") {
            let captures = re(r"^- \[[ x]\] (\d+)\.(\d+) .+$")
                .captures(line)
                .unwrap_or_else(|| panic!("bad task: {line}"));
            assert_eq!(captures[1].parse::<u32>().expect("g"), group, "{line}");
        }
    }
}

#[test]
fn an_empty_specification_still_gives_valid_layouts() {
    let mut spec = clinic();
    spec.facts.clear();
    spec.open_conflicts.clear();
    spec.decisions.clear();
    spec.project.name = "日本".to_owned();
    spec.project.description = None;
    let brief = brief(&spec);
    for format in [
        AgentFormat::SpecKit,
        AgentFormat::Kiro,
        AgentFormat::OpenSpec,
    ] {
        let files = agent_formats::files(format, &spec, &brief);
        assert!(files.len() >= 4, "{format:?}");
        for file in &files {
            assert!(!file.content.trim().is_empty(), "{}", file.path);
            assert!(file.path.contains("specification") || !file.path.contains("//"));
        }
    }
    let bytes = pdf::render(&spec).expect("pdf");
    assert!(bytes.starts_with(b"%PDF-"));
}

#[test]
fn the_pdf_reads_back_with_every_section() {
    let spec = clinic();
    let bytes = pdf::render(&spec).expect("pdf");
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("spec.pdf");
    std::fs::write(&path, &bytes).expect("write");
    if let Ok(samples) = std::env::var("SOCRATES_EXPORT_SAMPLES") {
        std::fs::write(std::path::Path::new(&samples).join("spec.pdf"), &bytes).expect("write");
    }
    let output = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils, which .ci/run installs)");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    for expected in [
        "Clinic Booking — Physio & Co",
        "Software specification",
        "Maturity by category",
        "Facts by category",
        "Tech Stack",
        "PostgreSQL",
        "Receptionists must be able to book, move and cancel",
        "Open conflicts",
        "held back: primary_database = MySQL",
        "Decision log",
        "pages on a phone over 4G",
        "page 1 of",
    ] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
    let info = Command::new("pdfinfo")
        .arg(&path)
        .output()
        .expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        re(r"(?m)^Title: +Clinic Booking — Physio & Co$").is_match(&info),
        "{info}"
    );
    assert!(
        re(r"(?m)^Page size: +595 x 842 pts \(A4\)$").is_match(&info),
        "{info}"
    );
}
