//! The specification at one moment, as every renderer of this crate reads it: the project, its
//! current facts, its open conflicts and its decision log. The agents fill it from the database;
//! nothing here touches one.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use socrates_domain::{Category, FactSource, MaturityReport, compute_maturity};
use uuid::Uuid;

/// The project a specification belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectInfo {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// What it is about.
    pub description: Option<String>,
    /// Its lifecycle phase, as stored (`discovery`, …).
    pub phase: String,
}

/// A current fact.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// This version's id.
    pub id: Uuid,
    /// Its category.
    pub category: Category,
    /// Its key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// 0..=1.
    pub confidence: f64,
    /// Where it came from.
    pub source: FactSource,
    /// Its version number.
    pub version: u32,
}

/// An open conflict: a value held back against a current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenConflict {
    /// Its id.
    pub id: Uuid,
    /// In words.
    pub description: String,
    /// `low` … `critical`.
    pub severity: String,
    /// The category of the value held back.
    pub category: Category,
    /// The key of the value held back.
    pub key: String,
    /// The value held back.
    pub pending_value: String,
    /// When it was found.
    pub detected_at: DateTime<Utc>,
}

/// A settled conflict: one entry of the decision log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// In words: what contradicted what.
    pub description: String,
    /// `keep_old`, `replace`, `merge`, or `ignored`.
    pub outcome: String,
    /// The merged value of a merge.
    pub merged_value: Option<String>,
    /// The notes given with it.
    pub notes: Option<String>,
    /// When it was settled.
    pub decided_at: Option<DateTime<Utc>>,
}

/// The whole specification at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Specification {
    /// The project.
    pub project: ProjectInfo,
    /// The current facts, in category order then age.
    pub facts: Vec<Fact>,
    /// The open conflicts, oldest first.
    pub open_conflicts: Vec<OpenConflict>,
    /// The settled conflicts, oldest first.
    pub decisions: Vec<Decision>,
    /// When the snapshot was taken.
    pub taken_at: DateTime<Utc>,
}

/// Which version of a specification something was made from: a digest of its current facts
/// and how many there were. Two snapshots with the same facts (keys, values, versions) have the
/// same version, whenever they were taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecVersion {
    /// `sha256:` and the hex digest of the facts' category, key, value and version, sorted.
    pub hash: String,
    /// How many current facts went into it.
    pub fact_count: usize,
    /// The sum of their version numbers: grows with every change of a fact.
    pub version_sum: u64,
}

impl Specification {
    /// The maturity of its current facts.
    #[must_use]
    pub fn maturity(&self) -> MaturityReport {
        compute_maturity(self.facts.iter().map(|f| (f.category, f.confidence)))
    }

    /// The facts of one category, in their order.
    pub fn in_category(&self, category: Category) -> impl Iterator<Item = &Fact> {
        self.facts.iter().filter(move |f| f.category == category)
    }

    /// The value of one fact, when the specification has it.
    #[must_use]
    pub fn value(&self, category: Category, key: &str) -> Option<&str> {
        self.facts
            .iter()
            .find(|f| f.category == category && f.key == key)
            .map(|f| f.value.as_str())
    }

    /// Its version; see [`SpecVersion`].
    #[must_use]
    pub fn version(&self) -> SpecVersion {
        let mut lines: Vec<String> = self
            .facts
            .iter()
            .map(|f| {
                format!(
                    "{}\u{1f}{}\u{1f}{}\u{1f}{}",
                    f.category, f.key, f.value, f.version
                )
            })
            .collect();
        lines.sort_unstable();
        let mut hasher = Sha256::new();
        for line in &lines {
            hasher.update(line.as_bytes());
            hasher.update([b'\n']);
        }
        let mut hash = String::from("sha256:");
        for byte in hasher.finalize() {
            let _ = write!(hash, "{byte:02x}");
        }
        SpecVersion {
            hash,
            fact_count: self.facts.len(),
            version_sum: self.facts.iter().map(|f| u64::from(f.version)).sum(),
        }
    }
}

/// The project's name in lower-case ASCII words joined by `-` (`specification` when nothing is
/// left): a file and folder name.
#[must_use]
pub fn slug(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        "specification".to_owned()
    } else {
        slug
    }
}
