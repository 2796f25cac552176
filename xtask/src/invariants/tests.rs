//! The rules of `invariants.rs` checked against small synthetic dependency graphs.

use super::*;

const OURS: &[&str] = &[
    "socrates-domain",
    "socrates-persistence",
    "socrates-infra",
    "socrates-llm",
    "socrates-reasoner",
    "socrates-auth",
    "socrates-export",
    "socrates-codegen",
    "socrates-agents",
    "socrates-api",
    "socrates-server",
    "migration",
    "xtask",
];

/// Builds a graph whose package ids are the crate names; `OURS` are the workspace members.
fn graph(edges: &[(&str, &str, DependencyKind)]) -> DependencyGraph {
    let mut graph = DependencyGraph::default();
    for name in OURS {
        graph.add_package(name, name, true);
    }
    for (from, to, _) in edges {
        graph.add_package(from, from, false);
        graph.add_package(to, to, false);
    }
    for (from, to, kind) in edges {
        graph.add_dependency(from, to, *kind);
    }
    graph
}

fn normal(from: &'static str, to: &'static str) -> (&'static str, &'static str, DependencyKind) {
    (from, to, DependencyKind::Normal)
}

/// The shape of the real workspace: every layer edge that is allowed, and the external
/// crates each layer legitimately uses.
fn clean_edges() -> Vec<(&'static str, &'static str, DependencyKind)> {
    vec![
        normal("socrates-domain", "serde"),
        normal("socrates-domain", "uuid"),
        normal("socrates-persistence", "socrates-domain"),
        normal("socrates-persistence", "migration"),
        normal("socrates-persistence", "sea-orm"),
        normal("sea-orm", "sqlx"),
        normal("sqlx", "rustls"),
        normal("migration", "sea-orm-migration"),
        normal("sea-orm-migration", "sea-orm"),
        normal("socrates-llm", "socrates-domain"),
        normal("socrates-llm", "reqwest"),
        normal("reqwest", "hyper"),
        normal("socrates-agents", "socrates-domain"),
        normal("socrates-agents", "socrates-persistence"),
        normal("socrates-agents", "socrates-llm"),
        normal("socrates-agents", "tokio"),
        normal("socrates-api", "socrates-domain"),
        normal("socrates-api", "socrates-agents"),
        normal("socrates-api", "actix-web"),
        normal("actix-web", "actix-http"),
        normal("socrates-server", "socrates-api"),
        normal("socrates-server", "socrates-persistence"),
        normal("socrates-server", "actix-web"),
        // Tests may use anything: dev edges are outside the layer and forbidden rules.
        ("socrates-domain", "tokio", DependencyKind::Development),
        (
            "socrates-persistence",
            "socrates-persistence",
            DependencyKind::Development,
        ),
        normal("xtask", "anyhow"),
    ]
}

#[test]
fn clean_graph_passes() {
    assert_eq!(check(&graph(&clean_edges())), Vec::new());
}

#[test]
fn direct_forbidden_dependency_fails() {
    let mut edges = clean_edges();
    edges.push(normal("socrates-domain", "sea-orm"));
    let violations = check(&graph(&edges));
    let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
    // sea-orm brings sqlx along, forbidden on its own account, and the llm crate now
    // reaches both through the domain.
    assert_eq!(
        paths,
        [
            "socrates-domain -> sea-orm",
            "socrates-domain -> sea-orm -> sqlx",
            "socrates-llm -> socrates-domain -> sea-orm",
            "socrates-llm -> socrates-domain -> sea-orm -> sqlx",
        ]
    );
    assert_eq!(
        violations[0].rule,
        "forbidden: socrates-domain must not reach sea-orm (the domain is pure: no \
         database, HTTP, async runtime or cache crates)"
    );
}

#[test]
fn transitive_forbidden_dependency_fails_with_the_path() {
    let mut edges = clean_edges();
    edges.push(normal("socrates-persistence", "foo"));
    edges.push(normal("foo", "bar"));
    edges.push(normal("bar", "actix-http"));
    let violations = check(&graph(&edges));
    let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
    // Persistence reaches it, and so do the agents through persistence; api and server
    // reach it too but are allowed to.
    assert_eq!(
        paths,
        [
            "socrates-agents -> socrates-persistence -> foo -> bar -> actix-http",
            "socrates-persistence -> foo -> bar -> actix-http",
        ]
    );
    assert!(
        violations[1]
            .rule
            .contains("only socrates-api and socrates-server may depend on actix-web")
    );
}

#[test]
fn forbidden_crate_reached_only_through_dev_or_build_edges_passes() {
    let mut edges = clean_edges();
    edges.push(("socrates-domain", "tokio-test", DependencyKind::Development));
    edges.push(normal("tokio-test", "tokio"));
    edges.push(("socrates-domain", "build-helper", DependencyKind::Build));
    edges.push(normal("build-helper", "reqwest"));
    assert_eq!(check(&graph(&edges)), Vec::new());
}

#[test]
fn layer_violation_fails() {
    let mut edges = clean_edges();
    edges.push(normal("socrates-domain", "socrates-persistence"));
    let violations = check(&graph(&edges));
    let layer: Vec<&Violation> = violations
        .iter()
        .filter(|violation| violation.rule.starts_with("layer:"))
        .collect();
    assert_eq!(layer.len(), 1, "{violations:#?}");
    assert_eq!(layer[0].path, "socrates-domain -> socrates-persistence");
    assert_eq!(
        layer[0].rule,
        "layer: socrates-domain may depend on none of our crates, \
         but depends on socrates-persistence"
    );
    // Through persistence the domain now also reaches the database crates.
    assert!(violations.iter().any(
        |violation| violation.path == "socrates-domain -> socrates-persistence -> sea-orm"
    ));
}

#[test]
fn upward_dependency_between_middle_layers_fails() {
    let mut edges = clean_edges();
    edges.push(normal("socrates-api", "socrates-persistence"));
    let violations = check(&graph(&edges));
    assert_eq!(
        violations,
        [Violation {
            rule: "layer: socrates-api may depend only on socrates-domain, socrates-infra, \
                   socrates-auth, socrates-agents, but depends on socrates-persistence"
                .to_owned(),
            path: "socrates-api -> socrates-persistence".to_owned(),
        }]
    );
}

#[test]
fn workspace_member_without_a_layer_rule_fails() {
    let mut graph = graph(&clean_edges());
    graph.add_package("socrates-newcomer", "socrates-newcomer", true);
    let violations = check(&graph);
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert_eq!(violations[0].path, "socrates-newcomer");
}

#[test]
fn openssl_sys_anywhere_fails() {
    let mut edges = clean_edges();
    edges.push((
        "socrates-server",
        "test-helper",
        DependencyKind::Development,
    ));
    edges.push(normal("test-helper", "native-tls"));
    edges.push(normal("native-tls", "openssl-sys"));
    let violations = check(&graph(&edges));
    let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "socrates-server -[dev]-> test-helper -> native-tls -> openssl-sys",
            "socrates-server -[dev]-> test-helper -> native-tls",
        ]
    );
    assert!(violations[0].rule.contains("rustls only"));
}

#[test]
fn two_versions_of_a_crate_are_told_apart() {
    let mut graph = graph(&clean_edges());
    // Only the old version of `helper` pulls in tokio, and the domain uses the new one.
    graph.add_package("helper@1", "helper", false);
    graph.add_package("helper@2", "helper", false);
    graph.add_dependency("helper@1", "tokio", DependencyKind::Normal);
    graph.add_dependency("socrates-domain", "helper@2", DependencyKind::Normal);
    graph.add_dependency("socrates-agents", "helper@1", DependencyKind::Normal);
    assert_eq!(check(&graph), Vec::new());
}

#[test]
fn the_rule_table_names_only_workspace_crates() {
    for rule in LAYERS {
        assert!(OURS.contains(&rule.krate), "{}", rule.krate);
        for dependency in rule.may_depend_on {
            assert!(OURS.contains(dependency), "{dependency}");
            assert_ne!(*dependency, rule.krate);
        }
    }
    for rule in FORBIDDEN {
        for krate in rule.crates {
            assert!(OURS.contains(krate), "{krate}");
        }
    }
}
