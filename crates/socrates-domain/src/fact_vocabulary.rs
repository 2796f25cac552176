//! The fixed vocabulary of fact keys.
//!
//! Keys are **flat snake_case within their category** (`tech_stack` / `primary_database`,
//! `performance` / `latency_p95_ms`) rather than dotted paths: a fact is already stored with its
//! category, flat keys read well in exports and API responses, and they stay valid
//! [`FactKey`](crate::FactKey)s. Numeric keys carry their unit in the name (`_ms`, `_days`,
//! `_minutes`, `_percent`, `_usd`, `_rps`) so a value can always be compared after unit
//! normalisation. Free-form requirements use `requirement_<slug>`.

use crate::Category;
use crate::technology::TechnologyKind;

/// How the values of a key are compared and displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A technology or other name, compared after canonicalisation.
    Name,
    /// Free text, compared after trimming and case-folding.
    Text,
    /// A duration in milliseconds.
    Milliseconds,
    /// A duration in minutes.
    Minutes,
    /// A duration in days.
    Days,
    /// A percentage.
    Percent,
    /// An amount of US dollars.
    Usd,
    /// A rate per second.
    PerSecond,
    /// A plain count.
    Count,
}

/// One key of the vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VocabularyKey {
    /// The category the key belongs to.
    pub category: Category,
    /// The flat snake_case key.
    pub key: &'static str,
    /// How its values compare.
    pub value_kind: ValueKind,
}

macro_rules! keys {
    ($($category:ident $key:literal $kind:ident;)+) => {
        /// Every fixed key, grouped by category.
        pub const VOCABULARY: &[VocabularyKey] = &[
            $(VocabularyKey {
                category: Category::$category,
                key: $key,
                value_kind: ValueKind::$kind,
            },)+
        ];
    };
}

keys! {
    Goals "project_type" Text;
    Goals "project_goal" Text;
    Goals "target_audience" Text;
    Goals "deadline" Text;
    Goals "budget_usd" Usd;
    Goals "success_metric" Text;
    TechStack "programming_language" Name;
    TechStack "backend_framework" Name;
    TechStack "frontend_framework" Name;
    TechStack "primary_database" Name;
    TechStack "cache" Name;
    TechStack "message_queue" Name;
    TechStack "cloud_provider" Name;
    TechStack "container_platform" Name;
    TechStack "deployment_topology" Text;
    Security "authentication_method" Name;
    Security "authorization_model" Text;
    Security "compliance_standard" Name;
    Security "data_encryption" Text;
    Performance "latency_p95_ms" Milliseconds;
    Performance "latency_p99_ms" Milliseconds;
    Performance "throughput_rps" PerSecond;
    Scalability "concurrent_users" Count;
    Scalability "total_users" Count;
    Scalability "concurrent_writers" Count;
    Scalability "data_volume" Text;
    DisasterRecovery "availability_target_percent" Percent;
    DisasterRecovery "rpo_minutes" Minutes;
    DisasterRecovery "rto_minutes" Minutes;
    DisasterRecovery "backup_frequency" Text;
    DataRetention "retention_period_days" Days;
    DataRetention "data_persistence" Text;
    DataRetention "data_deletion_policy" Text;
    Monitoring "monitoring_tool" Name;
    Monitoring "logging_tool" Name;
    Monitoring "alerting_channel" Text;
    Testing "test_coverage_target_percent" Percent;
    Testing "testing_framework" Name;
    Testing "testing_strategy" Text;
}

/// Prefix of the free-form requirement keys.
pub const REQUIREMENT_PREFIX: &str = "requirement_";

/// Looks a key up in the vocabulary.
#[must_use]
pub fn vocabulary_key(key: &str) -> Option<&'static VocabularyKey> {
    VOCABULARY.iter().find(|entry| entry.key == key)
}

/// How the values of `key` compare; unknown and free-form keys are [`ValueKind::Text`].
#[must_use]
pub fn value_kind(key: &str) -> ValueKind {
    vocabulary_key(key).map_or(ValueKind::Text, |entry| entry.value_kind)
}

/// The keys of one category, in vocabulary order.
pub fn keys_of(category: Category) -> impl Iterator<Item = &'static str> {
    VOCABULARY
        .iter()
        .filter(move |e| e.category == category)
        .map(|e| e.key)
}

/// The category and key a technology of this kind fills.
#[must_use]
pub const fn key_for_technology(kind: TechnologyKind) -> (Category, &'static str) {
    match kind {
        TechnologyKind::Language => (Category::TechStack, "programming_language"),
        TechnologyKind::BackendFramework => (Category::TechStack, "backend_framework"),
        TechnologyKind::FrontendFramework => (Category::TechStack, "frontend_framework"),
        TechnologyKind::Database => (Category::TechStack, "primary_database"),
        TechnologyKind::Cache => (Category::TechStack, "cache"),
        TechnologyKind::MessageQueue => (Category::TechStack, "message_queue"),
        TechnologyKind::Cloud => (Category::TechStack, "cloud_provider"),
        TechnologyKind::ContainerPlatform => (Category::TechStack, "container_platform"),
        TechnologyKind::AuthMethod => (Category::Security, "authentication_method"),
        TechnologyKind::ComplianceStandard => (Category::Security, "compliance_standard"),
        TechnologyKind::MonitoringTool => (Category::Monitoring, "monitoring_tool"),
        TechnologyKind::LoggingTool => (Category::Monitoring, "logging_tool"),
        TechnologyKind::TestingFramework => (Category::Testing, "testing_framework"),
    }
}

/// Turns a sentence into a `requirement_<slug>` key: the first six meaningful words, lowercase,
/// joined by underscores, at most 60 characters.
#[must_use]
pub fn requirement_key(sentence: &str) -> String {
    const STOP: &[&str] = &[
        "the", "a", "an", "to", "be", "it", "must", "should", "need", "needs",
    ];
    let words: Vec<String> = sentence
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::to_ascii_lowercase)
        .filter(|w| !w.is_empty() && !STOP.contains(&w.as_str()))
        .take(6)
        .collect();
    let mut slug = words.join("_");
    slug.truncate(60);
    let slug = slug.trim_end_matches('_');
    if slug.is_empty() {
        format!("{REQUIREMENT_PREFIX}unnamed")
    } else {
        format!("{REQUIREMENT_PREFIX}{slug}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_are_unique_snake_case_and_cover_every_category() {
        let mut seen = HashSet::new();
        for entry in VOCABULARY {
            assert!(seen.insert(entry.key), "duplicate {}", entry.key);
            assert!(
                entry
                    .key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            );
        }
        for category in Category::ALL {
            if category != Category::Requirements {
                assert!(keys_of(category).count() >= 3, "{category}");
            }
        }
    }

    #[test]
    fn technology_kinds_map_to_vocabulary_keys() {
        let (category, key) = key_for_technology(TechnologyKind::Database);
        assert_eq!((category, key), (Category::TechStack, "primary_database"));
        assert_eq!(value_kind("latency_p95_ms"), ValueKind::Milliseconds);
        assert_eq!(value_kind("requirement_export_pdf"), ValueKind::Text);
    }

    #[test]
    fn requirement_keys_are_slugs() {
        assert_eq!(
            requirement_key("Users must be able to export reports as PDF."),
            "requirement_users_able_export_reports_as_pdf"
        );
        assert_eq!(requirement_key("!!!"), "requirement_unnamed");
        let long =
            requirement_key("Benutzer müssen Berichte über sehr lange Zeiträume exportieren");
        assert!(crate::FactKey::parse(&long).is_ok(), "{long}");
        assert!(long.len() <= REQUIREMENT_PREFIX.len() + 60);
    }

    #[test]
    fn every_key_is_a_valid_fact_key() {
        for entry in VOCABULARY {
            assert!(crate::FactKey::parse(entry.key).is_ok(), "{}", entry.key);
        }
    }
}
