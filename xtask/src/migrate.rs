//! `cargo xtask migrate`: forwards to `socrates-server migrate`, which owns the migrations, so
//! development and production run the one implementation.

use std::path::Path;

use anyhow::{Result, bail};

use crate::process;

/// The actions `socrates-server migrate` understands.
const ACTIONS: &[&str] = &["up", "down", "status", "fresh"];

/// Runs `cargo run --quiet --package socrates-server -- migrate <args>`. Only the action is
/// checked here, for a quick usage message; the server validates everything else.
pub fn migrate(root: &Path, args: &[String]) -> Result<()> {
    match args.first() {
        Some(action) if ACTIONS.contains(&action.as_str()) => {}
        Some(action) => {
            bail!("unknown migrate action `{action}`; expected one of up, down, status, fresh")
        }
        None => bail!(
            "`cargo xtask migrate` needs an action: up, down, status or fresh \
             (e.g. `cargo xtask migrate status --db all`)"
        ),
    }
    let mut command = process::cargo(root);
    command
        .args([
            "run",
            "--quiet",
            "--package",
            "socrates-server",
            "--",
            "migrate",
        ])
        .args(args);
    process::run(&mut command)
}
