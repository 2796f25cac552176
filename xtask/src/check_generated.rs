//! `cargo xtask check-generated`: the projects the code generator writes pass their own tests.
//!
//! Renders the sample specification's project for every stack (the `render` example of
//! socrates-codegen) into a directory outside the workspace (a project inside it would be taken
//! for a member), then runs each with its own toolchain:
//! pytest in a virtual environment with pinned FastAPI, httpx and pytest (installed from PyPI on
//! first use); `cargo test --offline` for the Rust project, with its own target directory; and
//! `npm install`, `tsc --noEmit` and `npm test` for the TypeScript project when Node.js is on the
//! machine. A stack whose toolchain is missing is reported as not checked, never as passed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use crate::process;

const VENV: &str = "target/xtask/generated-python-venv";
/// The packages the generated Python project's tests need, pinned.
const PYTHON_PACKAGES: [&str; 4] = [
    "fastapi==0.115.6",
    "httpx==0.28.1",
    "pytest==8.3.4",
    "anyio==4.7.0",
];

/// Renders the sample projects and runs their tests; fails when one fails.
pub fn run(root: &Path) -> Result<()> {
    let out = std::env::temp_dir().join(format!("socrates-generated-{}", std::process::id()));
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("remove {}", out.display()))?;
    }
    process::run(
        process::cargo(root)
            .args([
                "run",
                "--locked",
                "--quiet",
                "--package",
                "socrates-codegen",
                "--example",
                "render",
                "--",
            ])
            .arg(&out),
    )?;
    let mut report = Vec::new();

    let started = Instant::now();
    let python = python(root)?;
    process::run(
        Command::new(python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .current_dir(out.join("python_fastapi")),
    )
    .context("the generated Python project's tests")?;
    report.push(format!(
        "python_fastapi      pytest passed        {:>6.1} s",
        started.elapsed().as_secs_f64()
    ));

    let started = Instant::now();
    process::run(
        process::cargo(root)
            .args(["test", "--offline", "--quiet"])
            .env(
                "CARGO_TARGET_DIR",
                root.join("target/xtask/generated-rust-target"),
            )
            .current_dir(out.join("rust_actix")),
    )
    .context("the generated Rust project's tests (cargo test --offline)")?;
    report.push(format!(
        "rust_actix          cargo test passed    {:>6.1} s",
        started.elapsed().as_secs_f64()
    ));

    let typescript = out.join("typescript_express");
    if process::is_on_path("npm") && process::is_on_path("node") {
        let started = Instant::now();
        process::run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent"])
                .current_dir(&typescript),
        )
        .context("npm install in the generated TypeScript project")?;
        process::run(
            Command::new("npx")
                .args(["tsc", "--noEmit"])
                .current_dir(&typescript),
        )
        .context("tsc --noEmit in the generated TypeScript project")?;
        process::run(Command::new("npm").args(["test"]).current_dir(&typescript))
            .context("npm test in the generated TypeScript project")?;
        report.push(format!(
            "typescript_express  tsc + npm test passed {:>5.1} s",
            started.elapsed().as_secs_f64()
        ));
    } else {
        report.push(
            "typescript_express  NOT CHECKED: node and npm are not on this machine".to_owned(),
        );
    }
    println!("\ngenerated projects ({}):", out.display());
    for line in report {
        println!("  {line}");
    }
    std::fs::remove_dir_all(&out).with_context(|| format!("remove {}", out.display()))?;
    Ok(())
}

/// The virtual environment's python, with [`PYTHON_PACKAGES`] installed.
fn python(root: &Path) -> Result<PathBuf> {
    let venv = root.join(VENV);
    let python = venv.join("bin/python");
    let marker = venv.join("socrates-packages.txt");
    let wanted = PYTHON_PACKAGES.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    if !process::is_on_path("python3") {
        bail!("python3 is not installed; it is needed to test the generated Python project");
    }
    println!(
        "installing {} into {}",
        PYTHON_PACKAGES.join(" "),
        venv.display()
    );
    if venv.exists() {
        std::fs::remove_dir_all(&venv).with_context(|| format!("remove {}", venv.display()))?;
    }
    process::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    process::run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--disable-pip-version-check", "--quiet"])
            .args(PYTHON_PACKAGES),
    )?;
    std::fs::write(&marker, wanted).with_context(|| format!("write {}", marker.display()))?;
    Ok(python)
}
