//! `cargo xtask bench-reasoner`: runs the criterion bench of the offline reasoner and checks
//! its means against issue 4's targets (each under 1 ms on this machine).

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::process;

/// Bench ids and the largest mean each may take, in nanoseconds.
const TARGETS: &[(&str, f64)] = &[
    ("extract_2000_chars", 1_000_000.0),
    ("next_question", 1_000_000.0),
    ("follow_up", 1_000_000.0),
];

/// Runs the bench, then compares each mean with its target.
pub fn run(root: &Path) -> Result<()> {
    process::run(process::cargo(root).args([
        "bench",
        "-p",
        "socrates-reasoner",
        "--bench",
        "offline_reasoner",
    ]))?;
    let mut failures = Vec::new();
    for (id, limit) in TARGETS {
        let path = root
            .join("target/criterion")
            .join(id)
            .join("new/estimates.json");
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
        let estimates: serde_json::Value = serde_json::from_str(&text)?;
        let mean = estimates["mean"]["point_estimate"]
            .as_f64()
            .context("estimates.json has no mean")?;
        let verdict = if mean <= *limit { "ok" } else { "TOO SLOW" };
        println!(
            "{id}: mean {:.1} µs (target < {:.0} µs) {verdict}",
            mean / 1_000.0,
            limit / 1_000.0
        );
        if mean > *limit {
            failures.push(*id);
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        bail!("over target: {}", failures.join(", "))
    }
}
