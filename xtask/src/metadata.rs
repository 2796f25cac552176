//! Builds a [`DependencyGraph`] from the output of `cargo metadata --format-version 1`.
//!
//! The resolve graph cargo prints unifies features across the whole workspace, including
//! features that only dev-dependencies turn on, and covers every target platform, so an optional
//! or platform-specific dependency may show up as a normal edge although a plain build of that
//! crate on Linux would not compile it. The invariants check therefore errs on the strict side,
//! never on the lenient one.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::invariants::{DependencyGraph, DependencyKind};
use crate::process;

/// Runs `cargo metadata` in the workspace at `root` and returns its resolved graph.
pub fn load(root: &Path) -> Result<DependencyGraph> {
    let mut command: Command = process::cargo(root);
    command.args(["metadata", "--format-version", "1", "--locked"]);
    let json = process::output(&mut command)?;
    parse(&json)
}

/// Parses the JSON printed by `cargo metadata --format-version 1`.
pub fn parse(json: &str) -> Result<DependencyGraph> {
    let metadata: Value =
        serde_json::from_str(json).context("cargo metadata did not print valid JSON")?;

    let members: BTreeSet<&str> = array(&metadata, "workspace_members")?
        .iter()
        .map(|member| {
            member
                .as_str()
                .context("a workspace member id is not a string")
        })
        .collect::<Result<_>>()?;

    let mut graph = DependencyGraph::default();
    for package in array(&metadata, "packages")? {
        let id = string(package, "id")?;
        graph.add_package(id, string(package, "name")?, members.contains(id));
    }

    let resolve = metadata
        .get("resolve")
        .filter(|resolve| !resolve.is_null())
        .context("cargo metadata printed no resolve graph (was it run with --no-deps?)")?;
    for node in array(resolve, "nodes")? {
        let from = string(node, "id")?;
        for dependency in array(node, "deps")? {
            let to = string(dependency, "pkg")?;
            let kinds = array(dependency, "dep_kinds")
                .context("cargo is too old to report dependency kinds")?;
            for kind in kinds {
                graph.add_dependency(from, to, dependency_kind(kind)?);
            }
        }
    }
    Ok(graph)
}

fn dependency_kind(dep_kind: &Value) -> Result<DependencyKind> {
    match dep_kind.get("kind") {
        None | Some(Value::Null) => Ok(DependencyKind::Normal),
        Some(Value::String(kind)) if kind == "build" => Ok(DependencyKind::Build),
        Some(Value::String(kind)) if kind == "dev" => Ok(DependencyKind::Development),
        Some(other) => bail!("unknown dependency kind {other} in cargo metadata"),
    }
}

fn array<'value>(value: &'value Value, key: &str) -> Result<&'value Vec<Value>> {
    value
        .get(key)
        .and_then(Value::as_array)
        .with_context(|| format!("cargo metadata: `{key}` is missing or not an array"))
}

fn string<'value>(value: &'value Value, key: &str) -> Result<&'value str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .with_context(|| format!("cargo metadata: `{key}` is missing or not a string"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invariants;

    /// A trimmed-down `cargo metadata` answer: the domain uses serde normally and tokio only in
    /// tests, and tokio in turn has a normal dependency of its own.
    const METADATA: &str = r#"{
        "packages": [
            {"id": "path+file:///w/domain#0.1.0", "name": "socrates-domain"},
            {"id": "registry+x#serde@1.0.0", "name": "serde"},
            {"id": "registry+x#tokio@1.0.0", "name": "tokio"},
            {"id": "registry+x#mio@1.0.0", "name": "mio"}
        ],
        "workspace_members": ["path+file:///w/domain#0.1.0"],
        "resolve": {
            "nodes": [
                {
                    "id": "path+file:///w/domain#0.1.0",
                    "deps": [
                        {"pkg": "registry+x#serde@1.0.0", "dep_kinds": [{"kind": null, "target": null}]},
                        {"pkg": "registry+x#tokio@1.0.0", "dep_kinds": [{"kind": "dev", "target": null}]}
                    ]
                },
                {"id": "registry+x#serde@1.0.0", "deps": []},
                {
                    "id": "registry+x#tokio@1.0.0",
                    "deps": [
                        {"pkg": "registry+x#mio@1.0.0", "dep_kinds": [{"kind": null, "target": "cfg(unix)"}]}
                    ]
                },
                {"id": "registry+x#mio@1.0.0", "deps": []}
            ]
        }
    }"#;

    #[test]
    fn parses_members_names_and_dependency_kinds() {
        let graph = parse(METADATA).unwrap();
        assert_eq!(graph.packages.len(), 4);
        let domain = &graph.packages["path+file:///w/domain#0.1.0"];
        assert_eq!(domain.name, "socrates-domain");
        assert!(domain.workspace_member);
        assert!(!graph.packages["registry+x#tokio@1.0.0"].workspace_member);
        assert_eq!(
            domain.dependencies,
            [
                ("registry+x#serde@1.0.0".to_owned(), DependencyKind::Normal),
                (
                    "registry+x#tokio@1.0.0".to_owned(),
                    DependencyKind::Development
                ),
            ]
        );
        // A dev-dependency on tokio does not make the domain impure.
        assert_eq!(invariants::check(&graph), Vec::new());
    }

    #[test]
    fn an_edge_that_is_both_dev_and_normal_counts_as_normal() {
        let json = METADATA.replace(r#""kind": "dev""#, r#""kind": "dev"}, {"kind": null"#);
        let graph = parse(&json).unwrap();
        let violations = invariants::check(&graph);
        assert_eq!(violations.len(), 1, "{violations:#?}");
        assert_eq!(violations[0].path, "socrates-domain -> tokio");
    }

    #[test]
    fn metadata_without_a_resolve_graph_is_an_error() {
        let json = r#"{"packages": [], "workspace_members": [], "resolve": null}"#;
        let error = parse(json).unwrap_err();
        assert!(error.to_string().contains("--no-deps"), "{error}");
    }
}
