//! The specification in the layouts coding agents start from, each as the files of one ZIP:
//!
//! - **GitHub spec-kit**: `.specify/memory/constitution.md`, `.specify/feature.json` and
//!   `specs/001-<name>/` with `spec.md` (user stories with Given/When/Then scenarios, `FR-001`
//!   requirements, key entities, `SC-001` success criteria, at most three
//!   `[NEEDS CLARIFICATION: …]` markers), `plan.md` (technical context, constitution check,
//!   structure), `tasks.md` (`- [ ] T001 [P] [US1] …` in setup, foundational, one phase per user
//!   story and polish), `data-model.md` and `research.md` (the decision log).
//! - **Kiro**: `.kiro/specs/<name>/` with `.config.kiro`, `requirements.md` (numbered
//!   requirements, a user story each, EARS acceptance criteria: `WHEN …, THE SYSTEM SHALL …`),
//!   `design.md` (overview, architecture, components and interfaces, data models, correctness
//!   properties, error handling, testing strategy) and `tasks.md` (numbered checkboxes citing
//!   criteria as `_Requirements: 1.1, 1.2_`), and the steering files `product.md`, `tech.md`
//!   and `structure.md`.
//! - **OpenSpec** (1.x): `openspec/config.yaml` and one change `openspec/changes/add-<name>/`
//!   with `.openspec.yaml`, `proposal.md`, `design.md`, `tasks.md` and one delta spec per
//!   capability (`## ADDED Requirements`, `### Requirement:` with a SHALL body and at least one
//!   `#### Scenario:` of `- **WHEN**` / `- **THEN**` lines), which `openspec validate --strict`
//!   accepts; archiving the change writes the project's specs.
//!
//! Every file says which specification version it was written from.

use std::fmt::Write as _;

use socrates_domain::{Category, FactSource};

use crate::archive::ArchiveFile;
use crate::brief::{Brief, QualityRequirement, Requirement};
use crate::model::{Specification, slug};

/// The layout to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentFormat {
    /// GitHub spec-kit.
    SpecKit,
    /// Kiro.
    Kiro,
    /// OpenSpec.
    OpenSpec,
}

impl AgentFormat {
    /// The name used in routes and file names.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SpecKit => "spec-kit",
            Self::Kiro => "kiro",
            Self::OpenSpec => "openspec",
        }
    }
}

/// The files of `format` for `spec`.
#[must_use]
pub fn files(format: AgentFormat, spec: &Specification, brief: &Brief) -> Vec<ArchiveFile> {
    let context = Context::new(spec, brief);
    match format {
        AgentFormat::SpecKit => spec_kit(&context),
        AgentFormat::Kiro => kiro(&context),
        AgentFormat::OpenSpec => open_spec(&context),
    }
}

/// Where the source files of a stack go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLayout {
    /// The folder of the models.
    pub models: String,
    /// The folder of the services.
    pub services: String,
    /// The folder of the API handlers.
    pub api: String,
    /// The folder of the tests.
    pub tests: String,
    /// The extension of source files.
    pub extension: &'static str,
    /// The manifest file.
    pub manifest: &'static str,
}

impl SourceLayout {
    /// The layout for a language (as the `programming_language` fact names it).
    #[must_use]
    pub fn for_language(language: Option<&str>, package: &str) -> Self {
        let language = language.unwrap_or("").to_lowercase();
        let package = package.replace('-', "_");
        if language.contains("python") {
            Self {
                models: format!("src/{package}/models"),
                services: format!("src/{package}/services"),
                api: format!("src/{package}/api"),
                tests: "tests".to_owned(),
                extension: "py",
                manifest: "pyproject.toml",
            }
        } else if language.contains("typescript") || language.contains("javascript") {
            Self {
                models: "src/models".to_owned(),
                services: "src/services".to_owned(),
                api: "src/routes".to_owned(),
                tests: "tests".to_owned(),
                extension: if language.contains("typescript") {
                    "ts"
                } else {
                    "js"
                },
                manifest: "package.json",
            }
        } else if language.contains("rust") {
            Self {
                models: "src/models".to_owned(),
                services: "src/services".to_owned(),
                api: "src/api".to_owned(),
                tests: "tests".to_owned(),
                extension: "rs",
                manifest: "Cargo.toml",
            }
        } else if language == "go" || language.contains("golang") {
            Self {
                models: "internal/models".to_owned(),
                services: "internal/services".to_owned(),
                api: "internal/api".to_owned(),
                tests: "internal".to_owned(),
                extension: "go",
                manifest: "go.mod",
            }
        } else {
            Self {
                models: "src/models".to_owned(),
                services: "src/services".to_owned(),
                api: "src/api".to_owned(),
                tests: "tests".to_owned(),
                extension: "txt",
                manifest: "the project manifest",
            }
        }
    }

    fn file(&self, folder: &str, stem: &str) -> String {
        if self.extension == "txt" {
            format!("{folder}/{stem}")
        } else {
            format!("{folder}/{stem}.{}", self.extension)
        }
    }
}

/// Everything the writers share.
struct Context<'a> {
    spec: &'a Specification,
    brief: &'a Brief,
    version_line: String,
    date: String,
    layout: SourceLayout,
    open_questions: Vec<String>,
}

impl<'a> Context<'a> {
    fn new(spec: &'a Specification, brief: &'a Brief) -> Self {
        let version = spec.version();
        let maturity = spec.maturity();
        let mut open_questions: Vec<String> = spec
            .open_conflicts
            .iter()
            .map(|c| {
                format!(
                    "{} (held back: {} = \u{201c}{}\u{201d})",
                    c.description.trim_end_matches('.'),
                    c.key,
                    c.pending_value
                )
            })
            .collect();
        for coverage in &maturity.categories {
            if coverage.fact_count == 0 {
                open_questions.push(format!(
                    "Nothing is known yet about {}",
                    coverage.category.title().to_lowercase()
                ));
            }
        }
        Self {
            spec,
            brief,
            version_line: format!(
                "Written by Socrates from specification version {} ({} facts, maturity {:.2} %).",
                version.hash, version.fact_count, maturity.overall
            ),
            date: spec.taken_at.format("%Y-%m-%d").to_string(),
            layout: SourceLayout::for_language(brief.stack.language.as_deref(), &brief.slug),
            open_questions,
        }
    }

    fn stack_line(&self) -> String {
        let stack = &self.brief.stack;
        let parts: Vec<String> = [
            ("language", &stack.language),
            ("backend framework", &stack.backend_framework),
            ("frontend framework", &stack.frontend_framework),
            ("database", &stack.database),
            ("cache", &stack.cache),
            ("message queue", &stack.message_queue),
            ("cloud", &stack.cloud),
            ("containers", &stack.container_platform),
            ("testing", &stack.testing_framework),
        ]
        .iter()
        .filter_map(|(label, value)| value.as_ref().map(|v| format!("{label}: {v}")))
        .collect();
        if parts.is_empty() {
            "not decided yet".to_owned()
        } else {
            parts.join("; ")
        }
    }

    /// Facts a template or an import wrote rather than a person.
    fn unconfirmed(&self) -> Vec<String> {
        self.spec
            .facts
            .iter()
            .filter(|f| matches!(f.source, FactSource::Template | FactSource::GithubImport))
            .map(|f| format!("{} / {} = {} ({})", f.category, f.key, f.value, f.source))
            .collect()
    }
}

/// "THE SYSTEM SHALL answer" → "The system shall answer".
fn sentence(ears: &str) -> String {
    let mut out = ears
        .replace("THE SYSTEM SHALL", "the system shall")
        .replace("WHEN ", "when ")
        .replace("IF ", "if ")
        .replace(" THEN ", " then ");
    if let Some(first) = out.get(..1) {
        let upper = first.to_uppercase();
        out.replace_range(..1, &upper);
    }
    out
}

fn article(word: &str) -> &'static str {
    let lower = word.to_ascii_lowercase();
    let vowel_sound = (lower.starts_with(['a', 'e', 'i', 'o', 'u'])
        && !["us", "uni", "eu", "one", "ut"]
            .iter()
            .any(|p| lower.starts_with(p)))
        || ["hour", "honest", "heir"]
            .iter()
            .any(|p| lower.starts_with(p));
    if vowel_sound { "an" } else { "a" }
}

/// A capability in the first person ("see their invoices" → "see my invoices").
fn first_person(capability: &str) -> String {
    capability
        .split(' ')
        .map(|word| match word {
            "their" => "my",
            "theirs" => "mine",
            "them" => "me",
            "themselves" => "myself",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The priority spec-kit gives a story, from the strength of its modal verb.
fn priority(requirement: &Requirement) -> u8 {
    let lower = format!(" {} ", requirement.statement.to_lowercase());
    if [
        " could ",
        " later",
        " eventually",
        " nice to have",
        " maybe ",
        " someday ",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        3
    } else if [" should ", " would like ", " want ", " wants ", " prefer"]
        .iter()
        .any(|w| lower.contains(w))
    {
        2
    } else {
        1
    }
}

/// The requirements as spec-kit's user stories: by priority, then in the order stated.
fn stories(brief: &Brief) -> Vec<&Requirement> {
    let mut stories: Vec<&Requirement> = brief.requirements.iter().collect();
    stories.sort_by_key(|r| (priority(r), r.number));
    stories
}

fn system_must(requirement: &Requirement) -> String {
    match &requirement.capability {
        Some(capability) if requirement.by_system => format!("System MUST {capability}."),
        Some(capability) => format!(
            "System MUST allow {} {} to {}.",
            article(requirement.actor_or_user()),
            requirement.actor_or_user(),
            capability
        ),
        None => format!(
            "System MUST satisfy: \u{201c}{}\u{201d}.",
            one_line(requirement.statement.trim_end_matches('.'))
        ),
    }
}

fn ears_main(requirement: &Requirement) -> String {
    match &requirement.capability {
        Some(capability) if requirement.by_system => format!("THE SYSTEM SHALL {capability}"),
        Some(capability) => format!(
            "WHEN {} {} asks to {}, THE SYSTEM SHALL carry it out and confirm the result to the {}",
            article(requirement.actor_or_user()),
            requirement.actor_or_user(),
            capability,
            requirement.actor_or_user()
        ),
        None => format!(
            "THE SYSTEM SHALL meet this requirement: \u{201c}{}\u{201d}",
            one_line(requirement.statement.trim_end_matches('.'))
        ),
    }
}

/// The EARS criteria of a functional requirement, in order.
fn criteria(context: &Context<'_>, requirement: &Requirement) -> Vec<String> {
    let mut out = vec![ears_main(requirement)];
    if requirement.capability.is_none() || requirement.by_system {
        return out;
    }
    out.push(
        "IF the request is incomplete or invalid, THEN THE SYSTEM SHALL refuse it with an \
         explanation and change nothing"
            .to_owned(),
    );
    if let Some(auth) = context
        .spec
        .value(Category::Security, "authentication_method")
    {
        out.push(format!(
            "IF the {} is not signed in, THEN THE SYSTEM SHALL refuse the request and ask them \
             to sign in with {auth}",
            requirement.actor_or_user()
        ));
    }
    if let (Some(latency), Some(capability)) = (
        context.spec.value(Category::Performance, "latency_p95_ms"),
        &requirement.capability,
    ) {
        out.push(format!(
            "WHEN {} {} asks to {capability}, THE SYSTEM SHALL answer within {latency} for 95 % of requests",
            article(requirement.actor_or_user()),
            requirement.actor_or_user()
        ));
    }
    out
}

fn benefit(brief: &Brief) -> String {
    brief.goal.as_ref().map_or_else(
        || format!("{} does what I need it for", brief.name),
        |goal| {
            let goal = one_line(goal.trim_end_matches('.'));
            format!("{} meets its goal: {goal}", brief.name)
        },
    )
}

// ---------------------------------------------------------------------------------------
// spec-kit

fn spec_kit(context: &Context<'_>) -> Vec<ArchiveFile> {
    let brief = context.brief;
    let feature = format!("001-{}", brief.slug);
    let dir = format!("specs/{feature}");
    vec![
        ArchiveFile::new(".specify/memory/constitution.md", constitution(context)),
        ArchiveFile::new(
            ".specify/feature.json",
            format!("{{\n  \"feature_directory\": \"{dir}\"\n}}\n"),
        ),
        ArchiveFile::new(format!("{dir}/spec.md"), spec_kit_spec(context, &feature)),
        ArchiveFile::new(format!("{dir}/plan.md"), spec_kit_plan(context, &feature)),
        ArchiveFile::new(format!("{dir}/tasks.md"), spec_kit_tasks(context, &feature)),
        ArchiveFile::new(format!("{dir}/data-model.md"), data_model(context)),
        ArchiveFile::new(format!("{dir}/research.md"), research(context)),
    ]
}

fn constitution(context: &Context<'_>) -> String {
    let brief = context.brief;
    let mut out = format!("# {} Constitution\n\n## Core Principles\n\n", brief.name);
    let testing = context
        .spec
        .value(Category::Testing, "testing_strategy")
        .map_or_else(String::new, |s| format!(" Strategy: {s}."));
    let coverage = context
        .spec
        .value(Category::Testing, "test_coverage_target_percent")
        .map_or_else(String::new, |c| format!(" Coverage target: {c}."));
    let principles = [
        (
            "I. The Specification Rules",
            "Every change traces to a requirement of `spec.md` (FR-### or SC-###). A behaviour \
             the specification does not ask for is not built; a gap is written back into the \
             specification first."
                .to_owned(),
        ),
        (
            "II. Tested Before Done",
            format!(
                "Each user story is covered by automated tests that fail when it breaks.{testing}{coverage}"
            ),
        ),
        ("III. Secure by Default", {
            let mut text = "Every request is authenticated and authorised; secrets never \
                                reach logs or the repository."
                .to_owned();
            for fact in context.spec.in_category(Category::Security) {
                let _ = write!(text, " {}: {}.", fact.key, fact.value);
            }
            text
        }),
        ("IV. Measured Performance", {
            let facts: Vec<String> = context
                .spec
                .in_category(Category::Performance)
                .chain(context.spec.in_category(Category::Scalability))
                .map(|f| format!("{}: {}", f.key, f.value))
                .collect();
            if facts.is_empty() {
                "Targets are set before optimising, and checked by a benchmark rather than by \
                     guesswork."
                    .to_owned()
            } else {
                format!(
                    "The targets of the specification are checked by a benchmark: {}.",
                    facts.join("; ")
                )
            }
        }),
        ("V. Observable and Recoverable", {
            let facts: Vec<String> = context
                .spec
                .in_category(Category::Monitoring)
                .chain(context.spec.in_category(Category::DisasterRecovery))
                .chain(context.spec.in_category(Category::DataRetention))
                .map(|f| format!("{}: {}", f.key, f.value))
                .collect();
            if facts.is_empty() {
                "Failures are visible in logs and metrics, and data can be restored from \
                     backups."
                    .to_owned()
            } else {
                format!("Operations follow the specification: {}.", facts.join("; "))
            }
        }),
    ];
    for (name, text) in principles {
        let _ = writeln!(out, "### {name}\n\n{text}\n");
    }
    let _ = writeln!(
        out,
        "## Technology Constraints\n\nStack: {}.\n\n## Development Workflow\n\nThe \
         specification is kept in Socrates; this folder is regenerated from it, so a change of \
         requirement is made there first.\n\n## Governance\n\nThis constitution supersedes other \
         practices. {}\n\n**Version**: 1.0.0 | **Ratified**: {} | **Last Amended**: {}",
        context.stack_line(),
        context.version_line,
        context.date,
        context.date
    );
    out
}

fn spec_kit_spec(context: &Context<'_>, feature: &str) -> String {
    let brief = context.brief;
    let mut out = format!(
        "# Feature Specification: {}\n\n**Feature Branch**: `{feature}`\n\n**Created**: {}\n\n\
         **Status**: Draft\n\n**Input**: User description: \"{}\"\n\n> {}\n\n\
         ## User Scenarios & Testing *(mandatory)*\n\n",
        brief.name,
        context.date,
        one_line(&brief.summary).replace('"', "'"),
        context.version_line
    );
    let stories = stories(brief);
    if stories.is_empty() {
        let _ = writeln!(
            out,
            "No user story has been stated yet. [NEEDS CLARIFICATION: who uses {} and what must \
             they be able to do?]\n",
            brief.name
        );
    }
    let auth = context
        .spec
        .value(Category::Security, "authentication_method");
    for (index, requirement) in stories.iter().enumerate() {
        let actor = requirement.actor_or_user();
        let _ = writeln!(
            out,
            "### User Story {} - {} (Priority: P{})\n\n{}\n\n**Why this priority**: {}\n\n\
             **Independent Test**: {}\n\n**Acceptance Scenarios**:\n",
            index + 1,
            requirement.title,
            priority(requirement),
            one_line(&requirement.statement),
            match priority(requirement) {
                1 => "stated as a must; the product is not usable without it.",
                2 => "stated as wanted; valuable but not blocking the first release.",
                _ => "stated as possible or later; it can follow the first release.",
            },
            requirement.capability.as_ref().map_or_else(
                || "Check the statement above against a running build.".to_owned(),
                |c| format!("As {} {actor}, {c}, and see the result.", article(actor))
            ),
        );
        let mut scenarios = vec![match &requirement.capability {
            Some(capability) if requirement.by_system => format!(
                "**Given** a running build, **When** it is checked that the system can \
                 {capability}, **Then** it can"
            ),
            Some(capability) => format!(
                "**Given** {} {actor} who is signed in, **When** they {capability}, **Then** the \
                 result is saved and shown to them",
                article(actor)
            ),
            None => format!(
                "**Given** a running build, **When** it is checked against \u{201c}{}\u{201d}, \
                 **Then** the statement holds",
                one_line(requirement.statement.trim_end_matches('.'))
            ),
        }];
        let interactive = requirement.capability.is_some() && !requirement.by_system;
        if interactive {
            scenarios.push(format!(
                "**Given** {} {actor}, **When** they send an incomplete or invalid request, \
                 **Then** it is refused with an explanation and nothing changes",
                article(actor)
            ));
        }
        if let Some(auth) = auth.filter(|_| interactive) {
            scenarios.push(format!(
                "**Given** a visitor who is not signed in, **When** they try it, **Then** they \
                 are asked to sign in with {auth}"
            ));
        }
        for (n, scenario) in scenarios.iter().enumerate() {
            let _ = writeln!(out, "{}. {scenario}", n + 1);
        }
        let _ = writeln!(out, "\n---\n");
    }
    let _ = writeln!(out, "### Edge Cases\n");
    let mut markers = 0;
    for question in &context.open_questions {
        if markers < 3 {
            let _ = writeln!(out, "- [NEEDS CLARIFICATION: {question}]");
            markers += 1;
        } else {
            let _ = writeln!(out, "- Open: {question}");
        }
    }
    let _ = writeln!(
        out,
        "- What happens when two people change the same record at the same time?\n\
         - What happens when a request is repeated after a timeout?\n"
    );
    let _ = writeln!(
        out,
        "## Requirements *(mandatory)*\n\n### Functional Requirements\n"
    );
    let mut fr = 0;
    for requirement in &brief.requirements {
        fr += 1;
        let _ = writeln!(out, "- **FR-{fr:03}**: {}", system_must(requirement));
    }
    if fr == 0 {
        let _ = writeln!(
            out,
            "- **FR-001**: System MUST [NEEDS CLARIFICATION: no functional requirement stated yet]"
        );
    }
    if !brief.entities.is_empty() {
        let _ = writeln!(
            out,
            "\n### Key Entities *(include if feature involves data)*\n"
        );
        for entity in &brief.entities {
            let named: Vec<String> = entity
                .named_by
                .iter()
                .map(|n| format!("FR-{n:03}"))
                .collect();
            let _ = writeln!(
                out,
                "- **{}**: the {} the requirements keep track of ({}).",
                entity.name,
                entity.plural,
                named.join(", ")
            );
        }
    }
    let _ = writeln!(
        out,
        "\n## Success Criteria *(mandatory)*\n\n### Measurable Outcomes\n"
    );
    let mut sc = 0;
    if let Some(metric) = &brief.success_metric {
        sc += 1;
        let _ = writeln!(out, "- **SC-{sc:03}**: {}", one_line(metric));
    }
    for quality in &brief.quality {
        sc += 1;
        let _ = writeln!(out, "- **SC-{sc:03}**: {}", sentence(&quality.ears));
    }
    if sc == 0 {
        let _ = writeln!(
            out,
            "- **SC-001**: Every user story above passes its acceptance scenarios."
        );
    }
    let _ = writeln!(out, "\n## Assumptions\n");
    for (label, value) in [
        ("Audience", &brief.audience),
        ("Deadline", &brief.deadline),
        ("Budget", &brief.budget),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "- {label}: {value}");
        }
    }
    for (key, value) in &brief.other_goals {
        let _ = writeln!(out, "- {key}: {value}");
    }
    for excluded in &brief.out_of_scope {
        let _ = writeln!(out, "- Out of scope: {excluded}");
    }
    for fact in context.unconfirmed() {
        let _ = writeln!(out, "- Not yet confirmed by a person: {fact}");
    }
    let _ = writeln!(out, "- Stack: {}.", context.stack_line());
    out
}

fn or_clarify(value: Option<&String>) -> String {
    value.map_or_else(|| "NEEDS CLARIFICATION".to_owned(), Clone::clone)
}

fn spec_kit_plan(context: &Context<'_>, feature: &str) -> String {
    let brief = context.brief;
    let stack = &brief.stack;
    let spec = context.spec;
    let dependencies: Vec<&String> = [
        &stack.backend_framework,
        &stack.frontend_framework,
        &stack.cache,
        &stack.message_queue,
    ]
    .into_iter()
    .flatten()
    .collect();
    let performance: Vec<String> = spec
        .in_category(Category::Performance)
        .map(|f| format!("{} {}", f.key, f.value))
        .collect();
    let scale: Vec<String> = spec
        .in_category(Category::Scalability)
        .map(|f| format!("{} {}", f.key, f.value))
        .collect();
    let constraints: Vec<String> = spec
        .in_category(Category::Security)
        .chain(spec.in_category(Category::DataRetention))
        .chain(spec.in_category(Category::DisasterRecovery))
        .map(|f| format!("{} {}", f.key, f.value))
        .collect();
    let join_or = |items: &[String], fallback: &str| {
        if items.is_empty() {
            fallback.to_owned()
        } else {
            items.join("; ")
        }
    };
    let layout = &context.layout;
    let platform: Vec<&str> = [&stack.cloud, &stack.container_platform]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let platform = if platform.is_empty() {
        "NEEDS CLARIFICATION".to_owned()
    } else {
        platform.join(", ")
    };
    let mut out = format!(
        "# Implementation Plan: {name}\n\n**Branch**: `{feature}` | **Date**: {date} | **Spec**: \
         [spec.md](spec.md)\n\n**Input**: Feature specification from `/specs/{feature}/spec.md`\n\n\
         ## Summary\n\n{summary}\n\n{version}\n\n## Technical Context\n\n\
         **Language/Version**: {language}\n\n**Primary Dependencies**: {dependencies}\n\n\
         **Storage**: {storage}\n\n**Testing**: {testing}\n\n**Target Platform**: {platform}\n\n\
         **Project Type**: {project_type}\n\n**Performance Goals**: {performance}\n\n\
         **Constraints**: {constraints}\n\n**Scale/Scope**: {scale}\n\n## Constitution Check\n\n\
         *GATE: Must pass before Phase 0 research. Re-check after Phase 1 design.*\n\n\
         - [x] I. The Specification Rules: every task of tasks.md names its requirement.\n\
         - [x] II. Tested Before Done: each user story phase starts with its tests.\n\
         - [x] III. Secure by Default: authentication is a foundational task.\n\
         - [x] IV. Measured Performance: the polish phase benchmarks the targets.\n\
         - [x] V. Observable and Recoverable: logging, metrics and backups are tasks.\n\n\
         ## Project Structure\n\n### Documentation (this feature)\n\n```text\nspecs/{feature}/\n\
         ├── spec.md\n├── plan.md\n├── research.md\n├── data-model.md\n└── tasks.md\n```\n\n\
         ### Source Code (repository root)\n\n```text\n{models}/\n{services}/\n{api}/\n{tests}/\n\
         {manifest}\n```\n\n**Structure Decision**: a single service with models, services and \
         an API layer, tests beside it; chosen from the stack above.\n\n## Complexity Tracking\n\n\
         No violation of the constitution needs justifying.\n",
        name = brief.name,
        date = context.date,
        summary = one_line(&brief.summary),
        version = context.version_line,
        language = or_clarify(stack.language.as_ref()),
        dependencies = if dependencies.is_empty() {
            "NEEDS CLARIFICATION".to_owned()
        } else {
            dependencies
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
        storage = or_clarify(stack.database.as_ref()),
        testing = or_clarify(stack.testing_framework.as_ref()),
        platform = platform,
        project_type = spec
            .value(Category::Goals, "project_type")
            .unwrap_or("web service"),
        performance = join_or(&performance, "NEEDS CLARIFICATION"),
        constraints = join_or(&constraints, "none stated"),
        scale = join_or(&scale, "NEEDS CLARIFICATION"),
        models = layout.models,
        services = layout.services,
        api = layout.api,
        tests = layout.tests,
        manifest = layout.manifest,
    );
    if !context.open_questions.is_empty() {
        let _ = writeln!(out, "\n## Open Questions\n");
        for question in &context.open_questions {
            let _ = writeln!(out, "- {question}");
        }
    }
    out
}

fn spec_kit_tasks(context: &Context<'_>, feature: &str) -> String {
    let brief = context.brief;
    let layout = &context.layout;
    let mut next = 0;
    let mut id = || {
        next += 1;
        format!("T{next:03}")
    };
    let mut out = format!(
        "# Tasks: {}\n\n**Input**: Design documents from `/specs/{feature}/`\n\n\
         **Prerequisites**: plan.md (required), spec.md (required for user stories), \
         research.md, data-model.md\n\n## Format: `[ID] [P?] [Story] Description`\n\n\
         - **[P]**: can run in parallel (different files, no dependencies)\n\
         - **[Story]**: the user story a task belongs to (US1, US2, …)\n\n\
         ## Phase 1: Setup (Shared Infrastructure)\n\n",
        brief.name
    );
    let _ = writeln!(
        out,
        "- [ ] {} Create the project structure of plan.md ({}, {}, {}, {})",
        id(),
        layout.models,
        layout.services,
        layout.api,
        layout.tests
    );
    let _ = writeln!(
        out,
        "- [ ] {} Declare the dependencies of the stack ({}) in {}",
        id(),
        context.stack_line(),
        layout.manifest
    );
    let _ = writeln!(
        out,
        "- [ ] {} [P] Configure formatting, linting and the CI pipeline in .github/workflows/ci.yml",
        id()
    );
    let _ = writeln!(out, "\n## Phase 2: Foundational (Blocking Prerequisites)\n");
    let database = brief
        .stack
        .database
        .clone()
        .unwrap_or_else(|| "the database".to_owned());
    let _ = writeln!(
        out,
        "- [ ] {} Set up {database}, its connection and migrations in {}",
        id(),
        layout.file(&layout.services, "database")
    );
    let auth = context
        .spec
        .value(Category::Security, "authentication_method")
        .unwrap_or("the chosen authentication method");
    let _ = writeln!(
        out,
        "- [ ] {} [P] Implement authentication with {auth} in {}",
        id(),
        layout.file(&layout.api, "auth")
    );
    let _ = writeln!(
        out,
        "- [ ] {} [P] Implement error handling and request logging in {}",
        id(),
        layout.file(&layout.api, "errors")
    );
    let _ = writeln!(
        out,
        "- [ ] {} [P] Load configuration from the environment in {}",
        id(),
        layout.file(&layout.services, "config")
    );
    let _ = writeln!(
        out,
        "\n**Checkpoint**: the foundation is ready; user stories can start.\n"
    );
    let stories = stories(brief);
    for (index, requirement) in stories.iter().enumerate() {
        let story = index + 1;
        let phase = story + 2;
        let stem = slug(&requirement.title).replace('-', "_");
        let _ = writeln!(
            out,
            "## Phase {phase}: User Story {story} - {} (Priority: P{}){}\n\n**Goal**: {}\n\n\
             **Independent Test**: the acceptance scenarios of User Story {story} pass.\n\n\
             ### Tests for User Story {story}\n",
            requirement.title,
            priority(requirement),
            if story == 1 { " 🎯 MVP" } else { "" },
            one_line(&requirement.statement)
        );
        let _ = writeln!(
            out,
            "- [ ] {} [P] [US{story}] Write the acceptance tests of User Story {story} (FR-{:03}) in {}",
            id(),
            requirement.number,
            layout.file(&layout.tests, &format!("test_{stem}"))
        );
        let _ = writeln!(out, "\n### Implementation for User Story {story}\n");
        for &entity in &requirement.entities {
            if let Some(entity) = brief.entities.get(entity) {
                let _ = writeln!(
                    out,
                    "- [ ] {} [P] [US{story}] Create the {} model in {}",
                    id(),
                    entity.name,
                    layout.file(&layout.models, &entity.snake)
                );
            }
        }
        let _ = writeln!(
            out,
            "- [ ] {} [US{story}] Implement {} in {}",
            id(),
            requirement
                .capability
                .as_deref()
                .map_or_else(|| one_line(&requirement.statement), one_line),
            layout.file(&layout.services, &stem)
        );
        let _ = writeln!(
            out,
            "- [ ] {} [US{story}] Expose it through the API in {}",
            id(),
            layout.file(&layout.api, &stem)
        );
        let _ = writeln!(
            out,
            "\n**Checkpoint**: User Story {story} works and is tested on its own.\n"
        );
    }
    let _ = writeln!(
        out,
        "## Phase {}: Polish & Cross-Cutting Concerns\n",
        stories.len() + 3
    );
    for quality in &brief.quality {
        let _ = writeln!(
            out,
            "- [ ] {} [P] Check SC: {} ({} / {})",
            id(),
            sentence(&quality.ears).trim_end_matches('.'),
            quality.category,
            quality.key
        );
    }
    let _ = writeln!(
        out,
        "- [ ] {} [P] Document setup and operation in README.md",
        id()
    );
    let _ = writeln!(
        out,
        "\n## Dependencies & Execution Order\n\n- Setup (Phase 1) has no dependencies.\n\
         - Foundational (Phase 2) depends on Setup and blocks every user story.\n\
         - User stories depend on Foundational only and can then proceed in priority order or \
         in parallel.\n- Polish depends on the user stories it measures.\n\n\
         ## Implementation Strategy\n\nMVP first: Setup, Foundational, then User Story 1; stop \
         and validate it; then add one story at a time.\n\n## Notes\n\n- Tests are written \
         first and fail before the implementation.\n- {}",
        context.version_line
    );
    out
}

fn data_model(context: &Context<'_>) -> String {
    let brief = context.brief;
    let mut out = format!(
        "# Data Model: {}\n\n{}\n\n",
        brief.name, context.version_line
    );
    if brief.entities.is_empty() {
        let _ = writeln!(
            out,
            "The requirements name no entity yet. [NEEDS CLARIFICATION: which records does the \
             system keep?]"
        );
    }
    for entity in &brief.entities {
        let _ = writeln!(out, "## {}\n", entity.name);
        let named: Vec<String> = entity
            .named_by
            .iter()
            .filter_map(|n| brief.requirements.get(n - 1))
            .map(|r| format!("FR-{:03} ({})", r.number, one_line(&r.statement)))
            .collect();
        let _ = writeln!(
            out,
            "Named by: {}\n\n| Field | Type | Notes |\n|---|---|---|\n| id | identifier | \
             primary key |\n| created_at | timestamp | set on creation |\n| updated_at | \
             timestamp | set on every change |\n| status | text | its state in the workflow |\n",
            named.join("; ")
        );
    }
    out
}

fn research(context: &Context<'_>) -> String {
    let mut out = format!(
        "# Research: {}\n\nDecisions taken while the specification was written, from its \
         decision log.\n\n",
        context.brief.name
    );
    if context.spec.decisions.is_empty() {
        let _ = writeln!(out, "No decision has been recorded yet.\n");
    }
    for decision in &context.spec.decisions {
        let _ = writeln!(
            out,
            "## {}\n\n**Decision**: {}{}\n\n**Rationale**: {}\n\n**Alternatives considered**: \
             the value that lost ({}).\n",
            one_line(&decision.description),
            decision.outcome,
            decision
                .merged_value
                .as_ref()
                .map_or_else(String::new, |m| format!(" — {m}")),
            decision
                .notes
                .as_deref()
                .map_or_else(|| "not given".to_owned(), one_line),
            decision.decided_at.map_or_else(
                || "undated".to_owned(),
                |at| at.format("%Y-%m-%d").to_string()
            )
        );
    }
    out
}

// ---------------------------------------------------------------------------------------
// Kiro

/// A requirement of Kiro's `requirements.md`, with its number and criteria.
struct KiroRequirement {
    title: String,
    story: String,
    criteria: Vec<String>,
}

fn kiro_requirements(context: &Context<'_>) -> Vec<KiroRequirement> {
    let brief = context.brief;
    let mut out: Vec<KiroRequirement> = brief
        .requirements
        .iter()
        .map(|requirement| KiroRequirement {
            title: requirement.title.clone(),
            story: match &requirement.capability {
                Some(capability) if requirement.by_system => format!(
                    "As a user, I want the System to {capability}, so that {}.",
                    benefit(brief)
                ),
                Some(capability) => format!(
                    "As {} {}, I want to {}, so that {}.",
                    article(requirement.actor_or_user()),
                    requirement.actor_or_user(),
                    first_person(capability),
                    benefit(brief)
                ),
                None => format!(
                    "As a user, I want this to hold: \u{201c}{}\u{201d}, so that {}.",
                    one_line(requirement.statement.trim_end_matches('.')),
                    benefit(brief)
                ),
            },
            criteria: criteria(context, requirement),
        })
        .collect();
    for category in Category::ALL {
        let rules: Vec<&QualityRequirement> = brief
            .quality
            .iter()
            .filter(|q| q.category == category)
            .collect();
        if rules.is_empty() {
            continue;
        }
        out.push(KiroRequirement {
            title: category.title().to_owned(),
            story: format!(
                "As an operator of {}, I want the {} targets met, so that people can rely on it.",
                brief.name,
                category.title().to_lowercase()
            ),
            criteria: rules
                .iter()
                .map(|q| q.ears.trim_end_matches('.').to_owned())
                .collect(),
        });
    }
    out
}

fn kiro(context: &Context<'_>) -> Vec<ArchiveFile> {
    let brief = context.brief;
    let dir = format!(".kiro/specs/{}", brief.slug);
    let requirements = kiro_requirements(context);
    vec![
        ArchiveFile::new(
            format!("{dir}/.config.kiro"),
            format!(
                "{{\"specId\": \"{}\", \"workflowType\": \"requirements-first\", \"specType\": \"feature\"}}\n",
                context.spec.project.id
            ),
        ),
        ArchiveFile::new(
            format!("{dir}/requirements.md"),
            kiro_requirements_md(context, &requirements),
        ),
        ArchiveFile::new(
            format!("{dir}/design.md"),
            kiro_design(context, &requirements),
        ),
        ArchiveFile::new(
            format!("{dir}/tasks.md"),
            kiro_tasks(context, &requirements),
        ),
        ArchiveFile::new(".kiro/steering/product.md", steering_product(context)),
        ArchiveFile::new(".kiro/steering/tech.md", steering_tech(context)),
        ArchiveFile::new(".kiro/steering/structure.md", steering_structure(context)),
    ]
}

fn kiro_requirements_md(context: &Context<'_>, requirements: &[KiroRequirement]) -> String {
    let brief = context.brief;
    let mut out = format!(
        "# Requirements Document\n\n## Introduction\n\n{}\n\n",
        one_line(&brief.summary)
    );
    if let Some(audience) = &brief.audience {
        let _ = writeln!(out, "It is for {}.\n", one_line(audience));
    }
    if let Some(goal) = &brief.goal {
        let _ = writeln!(out, "Goal: {}.\n", one_line(goal.trim_end_matches('.')));
    }
    let _ = writeln!(out, "{}\n\n## Glossary\n", context.version_line);
    let _ = writeln!(
        out,
        "- **System**: {}, the software these requirements describe",
        brief.name
    );
    for actor in &brief.actors {
        let term: String = actor
            .split_whitespace()
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
            })
            .collect::<Vec<_>>()
            .join("_");
        let _ = writeln!(
            out,
            "- **{term}**: someone who uses the System as {} {actor}",
            article(actor)
        );
    }
    for entity in &brief.entities {
        let _ = writeln!(
            out,
            "- **{}**: a record the System keeps ({})",
            entity.name, entity.plural
        );
    }
    let _ = writeln!(out, "\n## Requirements\n");
    if requirements.is_empty() {
        let _ = writeln!(
            out,
            "### Requirement 1: First use\n\n**User Story:** As a user, I want to know what {} \
             will do, so that the interview can continue.\n\n#### Acceptance Criteria\n\n1. THE \
             SYSTEM SHALL do what the specification states once it states a requirement\n",
            brief.name
        );
    }
    for (index, requirement) in requirements.iter().enumerate() {
        let _ = writeln!(
            out,
            "### Requirement {}: {}\n\n**User Story:** {}\n\n#### Acceptance Criteria\n",
            index + 1,
            requirement.title,
            requirement.story
        );
        for (n, criterion) in requirement.criteria.iter().enumerate() {
            let _ = writeln!(out, "{}. {criterion}", n + 1);
        }
        let _ = writeln!(out);
    }
    out
}

fn refs(requirement: usize, criteria: &[String]) -> String {
    (1..=criteria.len())
        .map(|m| format!("{requirement}.{m}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn kiro_design(context: &Context<'_>, requirements: &[KiroRequirement]) -> String {
    let brief = context.brief;
    let stack = &brief.stack;
    let mut out = format!(
        "# Design Document: {}\n\n## Overview\n\n{}\n\nStack: {}.\n\n{}\n\n## Architecture\n\n\
         ```mermaid\nflowchart LR\n    client[Client] --> api[API]\n    api --> services[Services]\n    services --> db[({})]\n",
        brief.name,
        one_line(&brief.summary),
        context.stack_line(),
        context.version_line,
        stack.database.as_deref().unwrap_or("Database")
    );
    if let Some(cache) = &stack.cache {
        let _ = writeln!(out, "    services --> cache[({cache})]");
    }
    if let Some(queue) = &stack.message_queue {
        let _ = writeln!(out, "    services --> queue[[{queue}]]");
    }
    let _ = writeln!(
        out,
        "```\n\nA client calls the API; the API checks who is calling and hands the request to a \
         service; services keep their records in {}.\n\n## Components and Interfaces\n",
        stack.database.as_deref().unwrap_or("the database")
    );
    for entity in &brief.entities {
        let _ = writeln!(
            out,
            "### {name} service\n\n- `GET /api/{plural}`: list, paged\n- `POST /api/{plural}`: \
             create\n- `GET /api/{plural}/{{id}}`: read one\n- `PATCH /api/{plural}/{{id}}`: \
             change\n- `DELETE /api/{plural}/{{id}}`: remove\n",
            name = entity.name,
            plural = entity.plural
        );
    }
    if brief.entities.is_empty() {
        let _ = writeln!(
            out,
            "The requirements name no entity yet; components follow once they do.\n"
        );
    }
    let _ = writeln!(out, "## Data Models\n");
    for entity in &brief.entities {
        let _ = writeln!(
            out,
            "### {}\n\n| Field | Type | Notes |\n|---|---|---|\n| id | identifier | primary key |\n\
             | status | text | its state in the workflow |\n| created_at | timestamp | |\n\
             | updated_at | timestamp | |\n",
            entity.name
        );
    }
    if brief.entities.is_empty() {
        let _ = writeln!(out, "None yet.\n");
    }
    let _ = writeln!(
        out,
        "## Correctness Properties\n\n*A property is a characteristic or behavior that should \
         hold true across all valid executions of a system.*\n"
    );
    let mut property = 0;
    for entity in &brief.entities {
        property += 1;
        let validates = entity
            .named_by
            .iter()
            .map(|n| format!("{n}.1"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "### Property {property}: {} round trip\n\n*For any* valid {}, saving it and reading it \
             back gives the same fields.\n\n**Validates: Requirements {validates}**\n",
            entity.name, entity.snake
        );
    }
    for (index, requirement) in requirements.iter().enumerate() {
        if requirement.criteria.len() > 1
            && requirement.criteria[1].starts_with("IF the request is incomplete")
        {
            property += 1;
            let _ = writeln!(
                out,
                "### Property {property}: Invalid requests change nothing ({})\n\n*For any* \
                 invalid request, the stored state before and after it is the same.\n\n\
                 **Validates: Requirements {}.2**\n",
                requirement.title,
                index + 1
            );
        }
    }
    let _ = writeln!(
        out,
        "## Error Handling\n\nEvery error answers with a status code and one error shape \
         (a machine-readable code and a message); invalid input is a 4xx and changes nothing; \
         unexpected failures are logged with a request id and answered with a 5xx that reveals \
         no internals.\n\n## Testing Strategy\n\n- Unit tests for services and models{}.\n- \
         Property tests for the correctness properties above.\n- Integration tests through the \
         API against a real {}.\n{}",
        stack
            .testing_framework
            .as_ref()
            .map_or_else(String::new, |t| format!(" with {t}")),
        stack.database.as_deref().unwrap_or("database"),
        context
            .spec
            .value(Category::Testing, "test_coverage_target_percent")
            .map_or_else(String::new, |c| format!("- Coverage target: {c}.\n"))
    );
    out
}

fn kiro_tasks(context: &Context<'_>, requirements: &[KiroRequirement]) -> String {
    let brief = context.brief;
    let layout = &context.layout;
    let mut out = format!(
        "# Implementation Plan: {}\n\n## Overview\n\nTasks in order; each cites the acceptance \
         criteria it satisfies. {}\n\n## Tasks\n\n",
        brief.name, context.version_line
    );
    let mut task = 0;
    task += 1;
    let _ = writeln!(
        out,
        "- [ ] {task}. Set up the project structure and core interfaces\n  - Create {}, {}, {} \
         and {}\n  - Declare the dependencies in {}\n  - _Requirements: 1.1_\n",
        layout.models, layout.services, layout.api, layout.tests, layout.manifest,
    );
    if !brief.entities.is_empty() {
        task += 1;
        let _ = writeln!(out, "- [ ] {task}. Implement the data models");
        for (index, entity) in brief.entities.iter().enumerate() {
            let cited = entity
                .named_by
                .iter()
                .map(|n| format!("{n}.1"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                out,
                "  - [ ] {task}.{} Create the {} model in {}\n    - _Requirements: {cited}_",
                index + 1,
                entity.name,
                layout.file(&layout.models, &entity.snake)
            );
        }
        let _ = writeln!(out);
    }
    for (index, requirement) in requirements.iter().enumerate() {
        task += 1;
        let number = index + 1;
        let stem = slug(&requirement.title).replace('-', "_");
        let _ = writeln!(
            out,
            "- [ ] {task}. {}\n  - [ ] {task}.1 Write tests for the acceptance criteria of \
             requirement {number} in {}\n    - _Requirements: {}_\n  - [ ] {task}.2 Implement it \
             in {}\n    - _Requirements: {}_\n",
            requirement.title,
            layout.file(&layout.tests, &format!("test_{stem}")),
            refs(number, &requirement.criteria),
            layout.file(&layout.services, &stem),
            refs(number, &requirement.criteria),
        );
    }
    task += 1;
    let _ = writeln!(
        out,
        "- [ ] {task}. Checkpoint - Ensure all tests pass, ask the user if questions arise\n"
    );
    out
}

fn steering_product(context: &Context<'_>) -> String {
    let brief = context.brief;
    let mut out = format!(
        "---\ninclusion: always\n---\n\n# Product Overview\n\n{}\n\n",
        one_line(&brief.summary)
    );
    for (label, value) in [
        ("Goal", &brief.goal),
        ("Audience", &brief.audience),
        ("Success metric", &brief.success_metric),
        ("Deadline", &brief.deadline),
        ("Budget", &brief.budget),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "- **{label}**: {}", one_line(value));
        }
    }
    let _ = writeln!(out, "\n## Features\n");
    for requirement in &brief.requirements {
        let _ = writeln!(out, "- {}", one_line(&requirement.statement));
    }
    let _ = writeln!(
        out,
        "\nThe full requirements are in `.kiro/specs/{}/requirements.md`.",
        brief.slug
    );
    out
}

fn steering_tech(context: &Context<'_>) -> String {
    let mut out = "---\ninclusion: always\n---\n\n# Technology Stack\n\n".to_owned();
    let facts: Vec<_> = context.spec.in_category(Category::TechStack).collect();
    if facts.is_empty() {
        let _ = writeln!(out, "Not decided yet.");
    }
    for fact in facts {
        let _ = writeln!(out, "- **{}**: {}", fact.key, one_line(&fact.value));
    }
    let _ = writeln!(out, "\n## Constraints\n");
    for quality in &context.brief.quality {
        let _ = writeln!(out, "- {}", sentence(&quality.ears));
    }
    out
}

fn steering_structure(context: &Context<'_>) -> String {
    let layout = &context.layout;
    format!(
        "---\ninclusion: always\n---\n\n# Project Structure\n\n- `{}/`: the data models, one \
         file per entity\n- `{}/`: the business rules, one file per requirement\n- `{}/`: the \
         HTTP handlers\n- `{}/`: the tests, named after the requirement they check\n- `{}`: the \
         manifest\n\nNames follow the entities of `design.md`: a model file is the entity's \
         name in snake case.\n",
        layout.models, layout.services, layout.api, layout.tests, layout.manifest
    )
}

// ---------------------------------------------------------------------------------------
// OpenSpec

/// A capability of the OpenSpec change: a folder name and its requirements.
struct Capability {
    name: String,
    purpose: String,
    requirements: Vec<OpenSpecRequirement>,
}

struct OpenSpecRequirement {
    name: String,
    body: String,
    scenarios: Vec<(String, String, String)>,
}

fn capabilities(context: &Context<'_>) -> Vec<Capability> {
    let brief = context.brief;
    let mut out: Vec<Capability> = Vec::new();
    for requirement in &brief.requirements {
        let (name, purpose) = match requirement
            .entities
            .first()
            .and_then(|&e| brief.entities.get(e))
        {
            Some(entity) => (
                slug(&entity.plural),
                format!(
                    "Lets the people who use {} work with {}: the requirements that name them.",
                    brief.name, entity.plural
                ),
            ),
            None => (
                "core".to_owned(),
                format!(
                    "The requirements of {} that name no particular record: what the product \
                     must do as a whole.",
                    brief.name
                ),
            ),
        };
        let at = if let Some(at) = out.iter().position(|c| c.name == name) {
            at
        } else {
            out.push(Capability {
                name,
                purpose,
                requirements: Vec::new(),
            });
            out.len() - 1
        };
        let actor = requirement.actor_or_user();
        let mut scenarios = vec![match &requirement.capability {
            Some(capability) if requirement.by_system => (
                requirement.title.clone(),
                format!("the system is checked to {capability}"),
                "it does".to_owned(),
            ),
            Some(capability) => (
                requirement.title.clone(),
                format!("{} {actor} asks to {capability}", article(actor)),
                "the system carries it out and confirms the result".to_owned(),
            ),
            None => (
                requirement.title.clone(),
                "the system is checked against the statement".to_owned(),
                "the statement holds".to_owned(),
            ),
        }];
        if requirement.capability.is_some() && !requirement.by_system {
            scenarios.push((
                "Invalid request".to_owned(),
                format!(
                    "{} {actor} sends an incomplete or invalid request",
                    article(actor)
                ),
                "the system refuses it with an explanation and changes nothing".to_owned(),
            ));
        }
        let capability = &mut out[at];
        let mut name = requirement.title.clone();
        if capability.requirements.iter().any(|r| r.name == name) {
            name = format!("{name} ({})", requirement.number);
        }
        capability.requirements.push(OpenSpecRequirement {
            name,
            body: system_must(requirement).replace("System MUST", "The system SHALL"),
            scenarios,
        });
    }
    for category in Category::ALL {
        let rules: Vec<&QualityRequirement> = brief
            .quality
            .iter()
            .filter(|q| q.category == category)
            .collect();
        if rules.is_empty() {
            continue;
        }
        let mut requirements: Vec<OpenSpecRequirement> = Vec::new();
        for rule in rules {
            let mut name = format!("{} {}", category.title(), rule.key.replace('_', " "));
            if requirements.iter().any(|r| r.name == name) {
                name = format!("{name} ({})", rule.number);
            }
            requirements.push(OpenSpecRequirement {
                name,
                body: sentence(&rule.ears)
                    .replace("the system shall", "the system SHALL")
                    .replace("The system shall", "The system SHALL"),
                scenarios: vec![(
                    "Target checked".to_owned(),
                    format!("the {} target is measured", category.title().to_lowercase()),
                    format!("it meets {}", one_line(&rule.value)),
                )],
            });
        }
        out.push(Capability {
            name: slug(category.as_str()),
            purpose: format!(
                "The {} targets of {}, as the specification states them, each one checked.",
                category.title().to_lowercase(),
                brief.name
            ),
            requirements,
        });
    }
    out
}

fn open_spec(context: &Context<'_>) -> Vec<ArchiveFile> {
    let brief = context.brief;
    let change = format!("add-{}", brief.slug);
    let dir = format!("openspec/changes/{change}");
    let capabilities = capabilities(context);
    let mut files = vec![
        ArchiveFile::new("openspec/config.yaml", open_spec_config(context)),
        ArchiveFile::new(
            format!("{dir}/.openspec.yaml"),
            format!("schema: spec-driven\ncreated: {}\n", context.date),
        ),
        ArchiveFile::new(
            format!("{dir}/proposal.md"),
            open_spec_proposal(context, &capabilities),
        ),
        ArchiveFile::new(format!("{dir}/design.md"), open_spec_design(context)),
        ArchiveFile::new(
            format!("{dir}/tasks.md"),
            open_spec_tasks(context, &capabilities),
        ),
    ];
    for capability in &capabilities {
        let mut out = format!(
            "## Purpose\n\n{}\n\n## ADDED Requirements\n\n",
            capability.purpose
        );
        for requirement in &capability.requirements {
            let _ = writeln!(
                out,
                "### Requirement: {}\n\n{}\n",
                requirement.name, requirement.body
            );
            for (name, when, then) in &requirement.scenarios {
                let _ = writeln!(
                    out,
                    "#### Scenario: {name}\n\n- **WHEN** {when}\n- **THEN** {then}\n"
                );
            }
        }
        files.push(ArchiveFile::new(
            format!("{dir}/specs/{}/spec.md", capability.name),
            out,
        ));
    }
    files
}

fn yaml_block(text: &str) -> String {
    text.lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn open_spec_config(context: &Context<'_>) -> String {
    let brief = context.brief;
    let mut context_text = format!(
        "Project: {}\n{}\nStack: {}\n",
        brief.name,
        one_line(&brief.summary),
        context.stack_line()
    );
    for quality in &brief.quality {
        let _ = writeln!(context_text, "Constraint: {}", sentence(&quality.ears));
    }
    let _ = writeln!(context_text, "{}", context.version_line);
    format!(
        "schema: spec-driven\ncontext: |\n{}\nrules:\n  tasks:\n    - Every task names the \
         requirement it implements and how to verify it.\n",
        yaml_block(&context_text)
    )
}

fn open_spec_proposal(context: &Context<'_>, capabilities: &[Capability]) -> String {
    let brief = context.brief;
    let mut why = format!(
        "{} does not exist yet. {}",
        brief.name,
        one_line(&brief.summary)
    );
    if let Some(goal) = &brief.goal {
        let _ = write!(why, " Its goal: {}.", one_line(goal.trim_end_matches('.')));
    }
    if why.chars().count() < 50 {
        why.push_str(" This change builds it as the specification describes.");
    }
    let why: String = why.chars().take(1_000).collect();
    let mut out = format!("## Why\n\n{why}\n\n## What Changes\n\n");
    for requirement in &brief.requirements {
        let _ = writeln!(out, "- {}", one_line(&requirement.statement));
    }
    if brief.requirements.is_empty() {
        let _ = writeln!(out, "- Build the foundation of {}.", brief.name);
    }
    let _ = writeln!(out, "\n## Capabilities\n\n### New Capabilities\n");
    for capability in capabilities {
        let _ = writeln!(
            out,
            "- `{}`: {} requirement{}",
            capability.name,
            capability.requirements.len(),
            if capability.requirements.len() == 1 {
                ""
            } else {
                "s"
            }
        );
    }
    let _ = writeln!(
        out,
        "\n### Modified Capabilities\n\n## Impact\n\n- A new codebase on {}.\n- {}",
        context.stack_line(),
        context.version_line
    );
    out
}

fn open_spec_design(context: &Context<'_>) -> String {
    let brief = context.brief;
    let mut out = format!(
        "## Context\n\n{}\n\nStack: {}.\n\n## Goals / Non-Goals\n\n**Goals:**\n",
        one_line(&brief.summary),
        context.stack_line()
    );
    for requirement in &brief.requirements {
        let _ = writeln!(out, "- {}", one_line(&requirement.statement));
    }
    let _ = writeln!(
        out,
        "\n**Non-Goals:**\n- Anything the specification does not state."
    );
    for excluded in &brief.out_of_scope {
        let _ = writeln!(out, "- {excluded}");
    }
    let _ = writeln!(out, "\n## Decisions\n");
    if context.spec.decisions.is_empty() {
        let _ = writeln!(out, "- None recorded yet.");
    }
    for decision in &context.spec.decisions {
        let _ = writeln!(
            out,
            "- {}: {}",
            one_line(&decision.description),
            decision.outcome
        );
    }
    let _ = writeln!(out, "\n## Risks / Trade-offs\n");
    if context.open_questions.is_empty() {
        let _ = writeln!(out, "- None known.");
    }
    for question in &context.open_questions {
        let _ = writeln!(out, "- {question}");
    }
    if !context.open_questions.is_empty() {
        let _ = writeln!(out, "\n## Open Questions\n");
        for question in &context.open_questions {
            let _ = writeln!(out, "- {question}");
        }
    }
    out
}

fn open_spec_tasks(context: &Context<'_>, capabilities: &[Capability]) -> String {
    let layout = &context.layout;
    let mut out = format!(
        "## 1. Setup\n\n- [ ] 1.1 Create {}, {}, {} and {}, and declare the dependencies in {}; \
         verify the project builds\n- [ ] 1.2 Set up the database and its migrations; verify \
         a migration test passes\n",
        layout.models, layout.services, layout.api, layout.tests, layout.manifest
    );
    for (index, capability) in capabilities.iter().enumerate() {
        let group = index + 2;
        let _ = writeln!(out, "\n## {group}. {}\n", capability.name);
        for (n, requirement) in capability.requirements.iter().enumerate() {
            let _ = writeln!(
                out,
                "- [ ] {group}.{} Implement \u{201c}{}\u{201d}; verify its scenarios pass",
                n + 1,
                requirement.name
            );
        }
    }
    out
}
