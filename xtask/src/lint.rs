//! `cargo xtask lint` and `cargo xtask invariants`.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::{imports, invariants, metadata, process};

/// The manifest of the goose load test, outside the workspace. Its clippy runs when it is built
/// (`cargo xtask loadtest`), so CI does not compile goose's TLS stack on every run.
pub const LOADTEST_MANIFEST: &str = "xtask/loadtest/Cargo.toml";

/// Options of `cargo xtask lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Format the code instead of checking its formatting.
    #[arg(long)]
    pub fix: bool,
}

/// Formatting, clippy with warnings denied, then the architecture invariants. With `fix`,
/// formats the code instead of checking its formatting.
pub fn lint(root: &Path, fix: bool) -> Result<()> {
    // The workspace, then the load test, which is a workspace of its own (xtask/loadtest).
    for manifest in [None, Some(LOADTEST_MANIFEST)] {
        let mut format = process::cargo(root);
        format.arg("fmt");
        if let Some(manifest) = manifest {
            format.args(["--manifest-path", manifest]);
        }
        format.arg("--all");
        if fix {
            process::run(&mut format)?;
        } else {
            format.args(["--", "--check"]);
            process::run(&mut format)
                .context("the code is not formatted; run `cargo xtask lint --fix`")?;
        }
    }

    let mut clippy = process::cargo(root);
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]);
    process::run(&mut clippy)?;

    check_invariants(root)
}

/// Loads the resolved dependency graph and reports every broken architecture invariant.
pub fn check_invariants(root: &Path) -> Result<()> {
    let graph = metadata::load(root)?;
    let violations = invariants::check(&graph);
    let cycles = imports::workspace_cycles(root)?;
    for violation in &violations {
        eprintln!("{violation}");
    }
    for cycle in &cycles {
        eprint!("{cycle}");
    }
    if violations.is_empty() && cycles.is_empty() {
        let members = graph
            .packages
            .values()
            .filter(|package| package.workspace_member)
            .count();
        println!(
            "architecture invariants hold ({members} workspace crates, {} packages, no import \
             cycle between files)",
            graph.packages.len()
        );
        return Ok(());
    }
    bail!(
        "{} architecture invariant violation(s) and {} import cycle(s); the rules are in \
         docs/developer-guide/architecture.md",
        violations.len(),
        cycles.len()
    )
}
