//! The architecture invariants of the workspace and their evaluation over a dependency graph.
//!
//! The rules are one table ([`LAYERS`], [`FORBIDDEN`], [`FORBIDDEN_EVERYWHERE`]) mirrored in
//! `docs/developer-guide/architecture.md`; change both together. Evaluation is a pure function
//! over [`DependencyGraph`], so it is tested with small synthetic graphs, while `metadata.rs`
//! builds the real graph from `cargo metadata`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// The crates of ours that one workspace crate may name as direct normal dependencies.
pub struct LayerRule {
    /// The workspace crate the rule is about.
    pub krate: &'static str,
    /// The workspace crates below it that it may depend on.
    pub may_depend_on: &'static [&'static str],
}

/// The layer order: server → api → agents → {auth, reasoner} → {persistence, infra, llm} →
/// domain, and `migration` and `xtask` depend on nothing of ours. Every workspace member must
/// have an entry here.
pub const LAYERS: &[LayerRule] = &[
    LayerRule {
        krate: "socrates-domain",
        may_depend_on: &[],
    },
    LayerRule {
        krate: "socrates-persistence",
        may_depend_on: &["socrates-domain", "migration"],
    },
    LayerRule {
        krate: "socrates-infra",
        may_depend_on: &["socrates-domain"],
    },
    LayerRule {
        krate: "socrates-llm",
        may_depend_on: &["socrates-domain"],
    },
    LayerRule {
        krate: "socrates-reasoner",
        may_depend_on: &["socrates-domain", "socrates-llm"],
    },
    LayerRule {
        krate: "socrates-export",
        may_depend_on: &["socrates-domain"],
    },
    LayerRule {
        krate: "socrates-codegen",
        may_depend_on: &["socrates-domain", "socrates-export"],
    },
    LayerRule {
        krate: "socrates-auth",
        may_depend_on: &["socrates-domain", "socrates-persistence", "socrates-infra"],
    },
    LayerRule {
        krate: "socrates-agents",
        may_depend_on: &[
            "socrates-domain",
            "socrates-persistence",
            "socrates-infra",
            "socrates-llm",
            "socrates-reasoner",
            "socrates-auth",
            "socrates-export",
            "socrates-codegen",
        ],
    },
    LayerRule {
        krate: "socrates-api",
        may_depend_on: &[
            "socrates-domain",
            "socrates-infra",
            "socrates-auth",
            "socrates-agents",
        ],
    },
    LayerRule {
        krate: "socrates-server",
        may_depend_on: &[
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
            "migration",
        ],
    },
    LayerRule {
        krate: "migration",
        may_depend_on: &[],
    },
    LayerRule {
        krate: "xtask",
        may_depend_on: &[],
    },
];

/// External crates that some of our crates must not reach, even transitively, through normal
/// dependencies.
pub struct ForbiddenRule {
    /// The workspace crates the rule is about.
    pub crates: &'static [&'static str],
    /// Crate names they must not reach.
    pub forbidden: &'static [&'static str],
    /// Why, in a few words; printed with every violation.
    pub reason: &'static str,
}

/// Which external crates each layer must never see.
pub const FORBIDDEN: &[ForbiddenRule] = &[
    ForbiddenRule {
        crates: &["socrates-domain"],
        forbidden: &[
            "sea-orm",
            "sea-query",
            "sqlx",
            "reqwest",
            "hyper",
            "actix-web",
            "actix-http",
            "tokio",
            "redis",
            "deadpool-redis",
        ],
        reason: "the domain is pure: no database, HTTP, async runtime or cache crates",
    },
    ForbiddenRule {
        crates: &["socrates-export", "socrates-codegen"],
        forbidden: &[
            "sea-orm",
            "sqlx",
            "reqwest",
            "hyper",
            "actix-web",
            "tokio",
            "redis",
        ],
        reason: "exports and generated code are pure functions of a snapshot: no database, HTTP, runtime or cache",
    },
    ForbiddenRule {
        crates: &["socrates-llm", "socrates-reasoner"],
        forbidden: &["sea-orm", "sqlx", "actix-web", "redis"],
        reason: "the LLM transport and the reasoners know no database, cache or web framework",
    },
    ForbiddenRule {
        crates: &["socrates-infra"],
        forbidden: &["sea-orm", "sqlx", "reqwest", "hyper"],
        reason: "infrastructure is Redis and the process: no database or HTTP client",
    },
    ForbiddenRule {
        crates: &["socrates-auth"],
        forbidden: &["reqwest", "hyper"],
        reason: "accounts and tokens call no HTTP service",
    },
    ForbiddenRule {
        crates: &[
            "socrates-persistence",
            "socrates-infra",
            "socrates-llm",
            "socrates-reasoner",
            "socrates-auth",
            "socrates-export",
            "socrates-codegen",
            "socrates-agents",
            "migration",
            "xtask",
        ],
        forbidden: &["actix-web", "actix-http"],
        reason: "only socrates-api and socrates-server may depend on actix-web",
    },
    ForbiddenRule {
        crates: &["socrates-persistence"],
        forbidden: &["reqwest", "redis", "deadpool-redis"],
        reason: "persistence talks to the two SQL databases, never to HTTP services or Redis",
    },
];

/// Crates that must not appear anywhere in the resolved graph, through any kind of dependency.
pub const FORBIDDEN_EVERYWHERE: &[&str] = &["openssl-sys", "openssl", "native-tls"];

/// Why [`FORBIDDEN_EVERYWHERE`] exists; printed with every violation.
pub const FORBIDDEN_EVERYWHERE_REASON: &str = "TLS is rustls only";

/// How one package depends on another. When cargo reports several kinds for one edge, the
/// graph keeps the first in this order, because a normal dependency is what the rules are about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DependencyKind {
    /// A `[dependencies]` entry: compiled into the crate.
    Normal,
    /// A `[build-dependencies]` entry.
    Build,
    /// A `[dev-dependencies]` entry: tests, examples and benches only.
    Development,
}

/// One package of the resolved graph.
#[derive(Debug)]
pub struct Package {
    /// The crate name, e.g. `sea-orm`.
    pub name: String,
    /// Whether the package is a member of our workspace.
    pub workspace_member: bool,
    /// Direct dependencies, by package id, each with its kind.
    pub dependencies: Vec<(String, DependencyKind)>,
}

/// The resolved dependency graph, keyed by package id. Ids tell apart two versions of one crate.
#[derive(Debug, Default)]
pub struct DependencyGraph {
    /// Every package of the graph by package id.
    pub packages: BTreeMap<String, Package>,
}

impl DependencyGraph {
    /// Adds a package without dependencies, or marks an existing one as a workspace member.
    pub fn add_package(&mut self, id: &str, name: &str, workspace_member: bool) {
        let package = self
            .packages
            .entry(id.to_owned())
            .or_insert_with(|| Package {
                name: name.to_owned(),
                workspace_member,
                dependencies: Vec::new(),
            });
        package.workspace_member |= workspace_member;
    }

    /// Records that `from` depends on `to`; keeps the strongest kind if the edge exists.
    pub fn add_dependency(&mut self, from: &str, to: &str, kind: DependencyKind) {
        let Some(package) = self.packages.get_mut(from) else {
            return;
        };
        match package.dependencies.iter_mut().find(|(id, _)| id == to) {
            Some((_, existing)) => *existing = (*existing).min(kind),
            None => package.dependencies.push((to.to_owned(), kind)),
        }
    }

    fn name_of<'graph>(&'graph self, id: &'graph str) -> &'graph str {
        self.packages
            .get(id)
            .map_or(id, |package| package.name.as_str())
    }

    fn members(&self) -> impl Iterator<Item = (&String, &Package)> {
        self.packages
            .iter()
            .filter(|(_, package)| package.workspace_member)
    }
}

/// One broken invariant, with the dependency path that breaks it.
#[derive(Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which rule is broken and why the rule exists.
    pub rule: String,
    /// The chain of crates from one of ours to the offender, e.g. `a -> b -> sea-orm`.
    pub path: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}\n    path: {}", self.rule, self.path)
    }
}

/// Evaluates every rule of the table against `graph` and returns all violations, in a stable
/// order; an empty vector means the architecture holds.
pub fn check(graph: &DependencyGraph) -> Vec<Violation> {
    let mut violations = check_layers(graph);
    violations.extend(check_forbidden(graph));
    violations.extend(check_forbidden_everywhere(graph));
    violations
}

fn check_layers(graph: &DependencyGraph) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (_, member) in graph.members() {
        let Some(rule) = LAYERS.iter().find(|rule| rule.krate == member.name) else {
            violations.push(Violation {
                rule: format!(
                    "layer: workspace crate {} has no layer; add it to LAYERS in \
                     xtask/src/invariants.rs and to docs/developer-guide/architecture.md",
                    member.name
                ),
                path: member.name.clone(),
            });
            continue;
        };
        for (dependency_id, kind) in &member.dependencies {
            let Some(dependency) = graph.packages.get(dependency_id) else {
                continue;
            };
            let ours = dependency.workspace_member && dependency.name != member.name;
            if *kind != DependencyKind::Normal
                || !ours
                || rule.may_depend_on.contains(&dependency.name.as_str())
            {
                continue;
            }
            let allowed = if rule.may_depend_on.is_empty() {
                "on none of our crates".to_owned()
            } else {
                format!("only on {}", rule.may_depend_on.join(", "))
            };
            violations.push(Violation {
                rule: format!(
                    "layer: {} may depend {allowed}, but depends on {}",
                    member.name, dependency.name
                ),
                path: format!("{} -> {}", member.name, dependency.name),
            });
        }
    }
    violations
}

fn check_forbidden(graph: &DependencyGraph) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (member_id, member) in graph.members() {
        for rule in FORBIDDEN
            .iter()
            .filter(|rule| rule.crates.contains(&member.name.as_str()))
        {
            let search = Search::from(graph, [member_id.as_str()], |kind| {
                kind == DependencyKind::Normal
            });
            for forbidden in rule.forbidden {
                if let Some(path) = search.path_to_name(graph, forbidden) {
                    violations.push(Violation {
                        rule: format!(
                            "forbidden: {} must not reach {forbidden} ({})",
                            member.name, rule.reason
                        ),
                        path,
                    });
                }
            }
        }
    }
    violations
}

fn check_forbidden_everywhere(graph: &DependencyGraph) -> Vec<Violation> {
    let member_ids = graph.members().map(|(id, _)| id.as_str());
    let search = Search::from(graph, member_ids, |_| true);
    let mut violations = Vec::new();
    for forbidden in FORBIDDEN_EVERYWHERE {
        // Every package of a resolved graph is reachable from a workspace member; the fallback
        // only keeps a malformed graph from hiding the package.
        let path = search.path_to_name(graph, forbidden).or_else(|| {
            graph
                .packages
                .values()
                .any(|package| package.name == *forbidden)
                .then(|| (*forbidden).to_owned())
        });
        if let Some(path) = path {
            violations.push(Violation {
                rule: format!(
                    "forbidden everywhere: {forbidden} is in the dependency graph \
                     ({FORBIDDEN_EVERYWHERE_REASON})"
                ),
                path,
            });
        }
    }
    violations
}

/// A breadth-first search from some packages, so every reported path is a shortest one.
struct Search<'graph> {
    /// Packages in the order they were reached.
    order: Vec<&'graph str>,
    /// For every reached package but the starts: the package it was reached from, and how.
    parents: BTreeMap<&'graph str, (&'graph str, DependencyKind)>,
}

impl<'graph> Search<'graph> {
    fn from(
        graph: &'graph DependencyGraph,
        starts: impl IntoIterator<Item = &'graph str>,
        follow: impl Fn(DependencyKind) -> bool,
    ) -> Self {
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::new();
        for start in starts {
            if seen.insert(start) {
                queue.push_back(start);
            }
        }
        let mut search = Search {
            order: Vec::new(),
            parents: BTreeMap::new(),
        };
        while let Some(current) = queue.pop_front() {
            search.order.push(current);
            let Some(package) = graph.packages.get(current) else {
                continue;
            };
            for (dependency, kind) in &package.dependencies {
                if follow(*kind) && seen.insert(dependency.as_str()) {
                    search.parents.insert(dependency, (current, *kind));
                    queue.push_back(dependency);
                }
            }
        }
        search
    }

    /// The path to the first reached package named `name`, rendered for humans; dev and build
    /// edges are marked because only normal edges end up in the compiled crate.
    fn path_to_name(&self, graph: &DependencyGraph, name: &str) -> Option<String> {
        let target = self
            .order
            .iter()
            .copied()
            .find(|id| graph.name_of(id) == name && self.parents.contains_key(id))?;
        let mut steps = vec![(target, None)];
        let mut current = target;
        while let Some(&(parent, kind)) = self.parents.get(current) {
            if let Some(last) = steps.last_mut() {
                last.1 = Some(kind);
            }
            steps.push((parent, None));
            current = parent;
        }
        steps.reverse();
        let mut rendered = String::new();
        // Each step holds the kind of the edge leading to it; the first step has none.
        for (id, kind_of_edge_in) in steps {
            rendered.push_str(match kind_of_edge_in {
                Some(DependencyKind::Normal) => " -> ",
                Some(DependencyKind::Build) => " -[build]-> ",
                Some(DependencyKind::Development) => " -[dev]-> ",
                None => "",
            });
            rendered.push_str(graph.name_of(id));
        }
        Some(rendered)
    }
}

#[cfg(test)]
mod tests;
