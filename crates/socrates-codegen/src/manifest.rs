//! The template files of each stack, compiled in, and where their output goes. `{entity}` in a
//! path is the entity's snake-case name (one file per entity), `{package}` the project's package
//! name.

use socrates_domain::Stack;

/// How often a template is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Each {
    /// Once per project.
    Once,
    /// Once per entity.
    Entity,
}

/// A template file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TemplateFile {
    /// Its name in the environment.
    pub name: &'static str,
    /// Its source.
    pub source: &'static str,
    /// Where its output goes.
    pub path: &'static str,
    /// How often it is rendered.
    pub each: Each,
}

macro_rules! template {
    ($file:literal => $path:literal) => {
        TemplateFile {
            name: $file,
            source: include_str!(concat!("../templates/", $file)),
            path: $path,
            each: Each::Once,
        }
    };
    ($file:literal => $path:literal, each entity) => {
        TemplateFile {
            name: $file,
            source: include_str!(concat!("../templates/", $file)),
            path: $path,
            each: Each::Entity,
        }
    };
}

const COMMON: [TemplateFile; 3] = [
    template!("common/README.md.j2" => "README.md"),
    template!("common/TRACEABILITY.md.j2" => "TRACEABILITY.md"),
    template!("common/spec-version.json.j2" => ".socrates/spec-version.json"),
];

const PYTHON: [TemplateFile; 15] = [
    template!("python-fastapi/pyproject.toml.j2" => "pyproject.toml"),
    template!("python-fastapi/requirements.txt.j2" => "requirements.txt"),
    template!("python-fastapi/requirements-dev.txt.j2" => "requirements-dev.txt"),
    template!("python-fastapi/Dockerfile.j2" => "Dockerfile"),
    template!("python-fastapi/ci.yml.j2" => ".github/workflows/ci.yml"),
    template!("python-fastapi/app_init.py.j2" => "app/__init__.py"),
    template!("python-fastapi/main.py.j2" => "app/main.py"),
    template!("python-fastapi/store.py.j2" => "app/store.py"),
    template!("python-fastapi/models_init.py.j2" => "app/models/__init__.py"),
    template!("python-fastapi/model.py.j2" => "app/models/{entity}.py", each entity),
    template!("python-fastapi/api_init.py.j2" => "app/api/__init__.py"),
    template!("python-fastapi/api.py.j2" => "app/api/{entity}.py", each entity),
    template!("python-fastapi/conftest.py.j2" => "tests/conftest.py"),
    template!("python-fastapi/test_health.py.j2" => "tests/test_health.py"),
    template!("python-fastapi/test_entity.py.j2" => "tests/test_{entity}.py", each entity),
];

const TYPESCRIPT: [TemplateFile; 11] = [
    template!("typescript-express/package.json.j2" => "package.json"),
    template!("typescript-express/tsconfig.json.j2" => "tsconfig.json"),
    template!("typescript-express/Dockerfile.j2" => "Dockerfile"),
    template!("typescript-express/ci.yml.j2" => ".github/workflows/ci.yml"),
    template!("typescript-express/app.ts.j2" => "src/app.ts"),
    template!("typescript-express/server.ts.j2" => "src/server.ts"),
    template!("typescript-express/store.ts.j2" => "src/store.ts"),
    template!("typescript-express/model.ts.j2" => "src/models/{entity}.ts", each entity),
    template!("typescript-express/route.ts.j2" => "src/routes/{entity}.ts", each entity),
    template!("typescript-express/health.test.ts.j2" => "test/health.test.ts"),
    template!("typescript-express/entity.test.ts.j2" => "test/{entity}.test.ts", each entity),
];

const RUST: [TemplateFile; 9] = [
    template!("rust-actix/Cargo.toml.j2" => "Cargo.toml"),
    template!("rust-actix/Dockerfile.j2" => "Dockerfile"),
    template!("rust-actix/ci.yml.j2" => ".github/workflows/ci.yml"),
    template!("rust-actix/main.rs.j2" => "src/main.rs"),
    template!("rust-actix/lib.rs.j2" => "src/lib.rs"),
    template!("rust-actix/store.rs.j2" => "src/store.rs"),
    template!("rust-actix/models.rs.j2" => "src/models.rs"),
    template!("rust-actix/routes.rs.j2" => "src/routes.rs"),
    template!("rust-actix/api_test.rs.j2" => "tests/api.rs"),
];

/// The templates of `stack`, then the README, the traceability table and the spec-version file
/// every stack has.
pub(crate) fn files(stack: Stack) -> Vec<TemplateFile> {
    let own: &[TemplateFile] = match stack {
        Stack::PythonFastapi => &PYTHON,
        Stack::TypescriptExpress => &TYPESCRIPT,
        Stack::RustActix => &RUST,
    };
    own.iter().chain(COMMON.iter()).copied().collect()
}
