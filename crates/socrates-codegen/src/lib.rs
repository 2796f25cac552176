//! Projects generated from a specification. The offline generator writes a scaffold from the
//! template files under `templates/<stack>/` (Jinja syntax, rendered by minijinja): a README that
//! states the specification, a data model with one type per entity the requirements name, an API
//! with the entity's routes, tests of that API, a Dockerfile, a CI workflow, `TRACEABILITY.md`
//! (requirement → files) and `.socrates/spec-version.json` (the specification version and every
//! fact version it came from).
//!
//! [`plan`] lists the files; [`render`] writes one, so a worker can report progress and keep its
//! lease between files. Rendering is deterministic: the same specification version and stack
//! give the same files, byte for byte.

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use socrates_domain::{Category, Stack};
use socrates_export::model::Specification;
use socrates_export::{Brief, brief};
use uuid::Uuid;

mod manifest;

use manifest::{Each, TemplateFile};

/// A generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Its path in the project, `/`-separated.
    pub path: String,
    /// Its text.
    pub content: String,
    /// The facts it traces to.
    pub spec_ids: Vec<Uuid>,
}

/// A file of the plan: its path and what it is rendered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// Its path in the project.
    pub path: String,
    /// The template's name.
    template: &'static str,
    /// The entity it is about, for per-entity files.
    entity: Option<usize>,
}

/// Why a file could not be generated.
#[derive(Debug, thiserror::Error)]
#[error("the template {template} could not be rendered: {message}")]
pub struct CodegenError {
    /// The template.
    pub template: String,
    /// What went wrong.
    pub message: String,
}

/// What the templates see.
#[derive(Debug, Clone, Serialize)]
struct Context {
    project: ProjectContext,
    version: VersionContext,
    stack: StackContext,
    requirements: Vec<RequirementContext>,
    quality: Vec<QualityContext>,
    entities: Vec<EntityContext>,
    out_of_scope: Vec<String>,
    facts: Vec<FactContext>,
    entity: Option<EntityContext>,
}

#[derive(Debug, Clone, Serialize)]
struct ProjectContext {
    name: String,
    slug: String,
    package: String,
    summary: String,
    goal: Option<String>,
    audience: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct VersionContext {
    hash: String,
    fact_count: usize,
    version_sum: u64,
}

#[derive(Debug, Clone, Serialize)]
struct StackContext {
    id: &'static str,
    language: Option<String>,
    framework: Option<String>,
    database: Option<String>,
    cache: Option<String>,
    testing: Option<String>,
    chosen_by_default: bool,
}

#[derive(Debug, Clone, Serialize)]
struct RequirementContext {
    id: String,
    fact_id: String,
    statement: String,
    title: String,
    actor: Option<String>,
    capability: Option<String>,
    entities: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
struct QualityContext {
    fact_id: String,
    category: String,
    key: String,
    value: String,
    rule: String,
}

#[derive(Debug, Clone, Serialize)]
struct EntityContext {
    name: String,
    snake: String,
    plural: String,
    kebab_plural: String,
    requirements: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
struct FactContext {
    spec_id: String,
    category: String,
    key: String,
    value: String,
    version: u32,
}

/// The generator of one specification and stack.
pub struct Generator {
    stack: Stack,
    context: Context,
    /// The facts each entity traces to (the requirements naming it).
    entity_facts: Vec<Vec<Uuid>>,
    all_facts: Vec<Uuid>,
    environment: Environment<'static>,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("stack", &self.stack)
            .finish_non_exhaustive()
    }
}

fn environment(files: &[TemplateFile]) -> Result<Environment<'static>, CodegenError> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|error| CodegenError {
            template: "(syntax)".to_owned(),
            message: error.to_string(),
        })?;
    environment.set_syntax(syntax);
    // Strings as literals of the generated languages: JSON string syntax is valid Python,
    // TypeScript and (for ASCII-safe escapes) Rust.
    environment.add_filter("quoted", |value: String| {
        serde_json::to_string(&value).unwrap_or_else(|_| "\"\"".to_owned())
    });
    environment.add_filter("comment", |value: String| {
        value.split_whitespace().collect::<Vec<_>>().join(" ")
    });
    for file in files {
        environment
            .add_template(file.name, file.source)
            .map_err(|error| CodegenError {
                template: file.name.to_owned(),
                message: error.to_string(),
            })?;
    }
    Ok(environment)
}

fn kebab(text: &str) -> String {
    text.replace('_', "-")
}

impl Generator {
    /// A generator of `stack` for `spec`, read as `brief`.
    ///
    /// # Errors
    /// [`CodegenError`] when a template of the stack does not parse (the test suite rules it
    /// out).
    pub fn new(
        spec: &Specification,
        brief: &Brief,
        stack: Stack,
        chosen_by_default: bool,
    ) -> Result<Self, CodegenError> {
        let version = spec.version();
        let package = brief.slug.replace('-', "_");
        let package = if package.starts_with(|c: char| c.is_ascii_digit()) {
            format!("app_{package}")
        } else {
            package
        };
        let entities: Vec<EntityContext> = brief
            .entities
            .iter()
            .map(|entity| EntityContext {
                name: entity.name.clone(),
                snake: entity.snake.clone(),
                plural: entity.plural.clone(),
                kebab_plural: kebab(&entity.plural),
                requirements: entity
                    .named_by
                    .iter()
                    .map(|n| format!("FR-{n:03}"))
                    .collect(),
            })
            .collect();
        let entity_facts = brief
            .entities
            .iter()
            .map(|entity| {
                entity
                    .named_by
                    .iter()
                    .filter_map(|n| brief.requirements.get(n - 1))
                    .map(|r| r.fact_id)
                    .collect()
            })
            .collect();
        let context = Context {
            project: ProjectContext {
                name: brief.name.clone(),
                slug: brief.slug.clone(),
                package,
                summary: brief.summary.clone(),
                goal: brief.goal.clone(),
                audience: brief.audience.clone(),
            },
            version: VersionContext {
                hash: version.hash,
                fact_count: version.fact_count,
                version_sum: version.version_sum,
            },
            stack: StackContext {
                id: stack.as_str(),
                language: brief.stack.language.clone(),
                framework: brief.stack.backend_framework.clone(),
                database: brief.stack.database.clone(),
                cache: brief.stack.cache.clone(),
                testing: brief.stack.testing_framework.clone(),
                chosen_by_default,
            },
            requirements: brief
                .requirements
                .iter()
                .map(|r| requirement_context(brief, r))
                .collect(),
            quality: brief
                .quality
                .iter()
                .map(|q| QualityContext {
                    fact_id: q.fact_id.to_string(),
                    category: q.category.as_str().to_owned(),
                    key: q.key.clone(),
                    value: q.value.clone(),
                    rule: q.ears.clone(),
                })
                .collect(),
            entities,
            out_of_scope: brief.out_of_scope.clone(),
            facts: Category::ALL
                .iter()
                .flat_map(|c| spec.in_category(*c))
                .map(|f| FactContext {
                    spec_id: f.id.to_string(),
                    category: f.category.as_str().to_owned(),
                    key: f.key.clone(),
                    value: f.value.clone(),
                    version: f.version,
                })
                .collect(),
            entity: None,
        };
        Ok(Self {
            stack,
            context,
            entity_facts,
            all_facts: spec.facts.iter().map(|f| f.id).collect(),
            environment: environment(&manifest::files(stack))?,
        })
    }

    /// The stack it writes.
    #[must_use]
    pub const fn stack(&self) -> Stack {
        self.stack
    }

    /// The ids of every fact of the specification.
    #[must_use]
    pub fn fact_ids(&self) -> &[Uuid] {
        &self.all_facts
    }

    /// The files it writes, in order.
    #[must_use]
    pub fn plan(&self) -> Vec<PlannedFile> {
        let mut planned = Vec::new();
        for file in manifest::files(self.stack) {
            match file.each {
                Each::Once => planned.push(PlannedFile {
                    path: file.path.to_owned(),
                    template: file.name,
                    entity: None,
                }),
                Each::Entity => {
                    for (index, entity) in self.context.entities.iter().enumerate() {
                        planned.push(PlannedFile {
                            path: file
                                .path
                                .replace("{entity}", &entity.snake)
                                .replace("{package}", &self.context.project.package),
                            template: file.name,
                            entity: Some(index),
                        });
                    }
                }
            }
        }
        for file in &mut planned {
            file.path = file
                .path
                .replace("{package}", &self.context.project.package);
        }
        planned
    }

    /// Writes one planned file.
    ///
    /// # Errors
    /// [`CodegenError`] when its template fails to render.
    pub fn render(&self, file: &PlannedFile) -> Result<GeneratedFile, CodegenError> {
        let mut context = self.context.clone();
        context.entity = file.entity.and_then(|i| context.entities.get(i).cloned());
        let failed = |error: minijinja::Error| CodegenError {
            template: file.template.to_owned(),
            message: format!("{error:#}"),
        };
        let template = self
            .environment
            .get_template(file.template)
            .map_err(failed)?;
        let content = template
            .render(minijinja::value::Serde(&context))
            .map_err(failed)?;
        let spec_ids = match file.entity {
            Some(index) => self.entity_facts.get(index).cloned().unwrap_or_default(),
            None => self.all_facts.clone(),
        };
        Ok(GeneratedFile {
            path: file.path.clone(),
            content,
            spec_ids,
        })
    }

    /// The files every generation has whoever writes the rest: the README, the traceability
    /// table and the spec-version file (a model writes the others when one is configured).
    #[must_use]
    pub fn fixed_plan(&self) -> Vec<PlannedFile> {
        self.plan()
            .into_iter()
            .filter(|file| file.template.starts_with("common/"))
            .collect()
    }

    /// The specification as a model reads it when it writes the project: the summary, the
    /// stack, every requirement with its number, the quality rules, the entities and what is
    /// out of scope.
    #[must_use]
    pub fn prompt_context(&self) -> String {
        use std::fmt::Write as _;
        let context = &self.context;
        let mut out = format!(
            "Project: {}\n{}\nSpecification version: {}\nStack: {} (language: {}, framework: {}, database: {})\n\nFunctional requirements:\n",
            context.project.name,
            context.project.summary,
            context.version.hash,
            context.stack.id,
            context.stack.language.as_deref().unwrap_or("not stated"),
            context.stack.framework.as_deref().unwrap_or("not stated"),
            context.stack.database.as_deref().unwrap_or("not stated"),
        );
        for requirement in &context.requirements {
            let _ = writeln!(out, "- {}: {}", requirement.id, requirement.statement);
        }
        let _ = writeln!(out, "\nQuality requirements:");
        for rule in &context.quality {
            let _ = writeln!(out, "- {}", rule.rule);
        }
        let _ = writeln!(out, "\nEntities of the data model:");
        for entity in &context.entities {
            let _ = writeln!(
                out,
                "- {} (named by {})",
                entity.name,
                entity.requirements.join(", ")
            );
        }
        if !context.out_of_scope.is_empty() {
            let _ = writeln!(out, "\nOut of scope:");
            for item in &context.out_of_scope {
                let _ = writeln!(out, "- {item}");
            }
        }
        out
    }

    /// Every file, in order.
    ///
    /// # Errors
    /// [`CodegenError`].
    pub fn render_all(&self) -> Result<Vec<GeneratedFile>, CodegenError> {
        self.plan().iter().map(|file| self.render(file)).collect()
    }
}

fn requirement_context(brief: &Brief, requirement: &brief::Requirement) -> RequirementContext {
    RequirementContext {
        id: format!("FR-{:03}", requirement.number),
        fact_id: requirement.fact_id.to_string(),
        statement: requirement.statement.clone(),
        title: requirement.title.clone(),
        actor: requirement.actor.clone(),
        capability: requirement.capability.clone(),
        entities: requirement
            .entities
            .iter()
            .filter_map(|&e| brief.entities.get(e))
            .map(|e| e.name.clone())
            .collect(),
    }
}
