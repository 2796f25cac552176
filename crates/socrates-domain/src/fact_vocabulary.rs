//! The fixed vocabulary of fact keys, listed in `data/vocabulary.toml`.
//!
//! Keys are **flat snake_case within their category** (`tech_stack` / `primary_database`,
//! `performance` / `latency_p95_ms`) rather than dotted paths: a fact is already stored with its
//! category, flat keys read well in exports and API responses, and they stay valid
//! [`FactKey`](crate::FactKey)s. Numeric keys carry their unit in the name (`_ms`, `_days`,
//! `_minutes`, `_percent`, `_usd`, `_rps`) so a value can always be compared after unit
//! normalisation. Free-form requirements use `requirement_<slug>`.

use std::collections::HashMap;

use serde::Deserialize;

use crate::Category;
use crate::technology::TechnologyKind;

/// How the values of a key are compared and displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    /// An amount of data, compared in gigabytes ("2 TB" = "2,000 GB").
    Gigabytes,
    /// A deadline: a month, a quarter or a span ("end of Q1 2027", "3 months").
    Date,
}

impl ValueKind {
    /// Whether values of this kind are quantities compared numerically.
    #[must_use]
    pub const fn is_numeric(self) -> bool {
        !matches!(self, Self::Name | Self::Text | Self::Date)
    }
}

/// One key of the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VocabularyKey {
    /// The category the key belongs to.
    pub category: Category,
    /// The flat snake_case key.
    pub key: String,
    /// How its values compare.
    #[serde(rename = "kind")]
    pub value_kind: ValueKind,
    /// Whether the key holds several values at once; a new value is then an addition.
    #[serde(default)]
    pub multi: bool,
    /// The technology kind whose mentions fill this key.
    #[serde(default)]
    pub technology: Option<TechnologyKind>,
    /// Open free text ("who the users are"): wording alone cannot tell whether two values
    /// disagree, so the deterministic rules never call it a conflict; a model judge may.
    #[serde(default)]
    pub free_text: bool,
}

/// The vocabulary, indexed by key.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    keys: Vec<VocabularyKey>,
    by_key: HashMap<String, usize>,
    by_technology: HashMap<TechnologyKind, usize>,
}

impl Vocabulary {
    /// Indexes `keys`.
    ///
    /// # Errors
    /// A message naming the problem when a key is not snake_case, is listed twice, uses the
    /// free-form requirement prefix, or two keys claim the same technology kind.
    pub fn new(keys: Vec<VocabularyKey>) -> Result<Self, String> {
        let mut vocabulary = Self::default();
        for (position, entry) in keys.iter().enumerate() {
            if crate::FactKey::parse(&entry.key).is_err() {
                return Err(format!(
                    "key \"{}\" is not a snake_case fact key",
                    entry.key
                ));
            }
            if entry.key.starts_with(REQUIREMENT_PREFIX) {
                return Err(format!(
                    "key \"{}\" uses the reserved prefix {REQUIREMENT_PREFIX}",
                    entry.key
                ));
            }
            if vocabulary
                .by_key
                .insert(entry.key.clone(), position)
                .is_some()
            {
                return Err(format!("key \"{}\" is listed twice", entry.key));
            }
            if let Some(kind) = entry.technology {
                if entry.value_kind != ValueKind::Name {
                    return Err(format!(
                        "key \"{}\" is filled by technologies, so its kind must be name",
                        entry.key
                    ));
                }
                if vocabulary.by_technology.insert(kind, position).is_some() {
                    return Err(format!(
                        "two keys are filled by the technology kind {kind:?}; keep one"
                    ));
                }
            }
        }
        vocabulary.keys = keys;
        Ok(vocabulary)
    }

    /// Every key, in file order.
    #[must_use]
    pub fn all(&self) -> &[VocabularyKey] {
        &self.keys
    }

    /// Looks a key up.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&VocabularyKey> {
        self.by_key.get(key).map(|&position| &self.keys[position])
    }

    /// How the values of `key` compare; unknown and free-form keys are [`ValueKind::Text`].
    #[must_use]
    pub fn value_kind(&self, key: &str) -> ValueKind {
        self.get(key)
            .map_or(ValueKind::Text, |entry| entry.value_kind)
    }

    /// Whether `key` holds several values at once.
    #[must_use]
    pub fn is_multi(&self, key: &str) -> bool {
        self.get(key).is_some_and(|entry| entry.multi)
    }

    /// Whether the deterministic rules may call two different values of `key` in `category`
    /// a contradiction: not for multi-valued keys, open free text or free-form requirements
    /// (any key of the requirements category outside the vocabulary, `requirement_…` above
    /// all: they accumulate). Any other key outside the vocabulary (one a user typed) holds
    /// one value, as a new value of it replaces the current one: a different value is a
    /// contradiction to resolve, not a silent replacement.
    #[must_use]
    pub fn is_exclusive(&self, category: Category, key: &str) -> bool {
        match self.get(key) {
            Some(entry) => !entry.multi && !entry.free_text,
            None => category != Category::Requirements && !key.starts_with(REQUIREMENT_PREFIX),
        }
    }

    /// The keys of one category, in file order.
    pub fn keys_of(&self, category: Category) -> impl Iterator<Item = &str> {
        self.keys
            .iter()
            .filter(move |e| e.category == category)
            .map(|e| e.key.as_str())
    }

    /// The category and key a technology of this kind fills, if any key takes it.
    #[must_use]
    pub fn key_for_technology(&self, kind: TechnologyKind) -> Option<(Category, &str)> {
        self.by_technology.get(&kind).map(|&position| {
            let entry = &self.keys[position];
            (entry.category, entry.key.as_str())
        })
    }
}

/// Prefix of the free-form requirement keys.
pub const REQUIREMENT_PREFIX: &str = "requirement_";

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
    use crate::Knowledge;

    #[test]
    fn builtin_keys_cover_every_category_and_technology_kinds_map_to_keys() {
        let knowledge = Knowledge::builtin().expect("built-in data is valid");
        let vocabulary = knowledge.vocabulary();
        for category in Category::ALL {
            if category != Category::Requirements {
                assert!(vocabulary.keys_of(category).count() >= 3, "{category}");
            }
        }
        assert_eq!(
            vocabulary.key_for_technology(TechnologyKind::Database),
            Some((Category::TechStack, "primary_database"))
        );
        assert_eq!(
            vocabulary.value_kind("latency_p95_ms"),
            ValueKind::Milliseconds
        );
        assert_eq!(
            vocabulary.value_kind("requirement_export_pdf"),
            ValueKind::Text
        );
        assert!(vocabulary.is_multi("programming_language"));
        assert!(!vocabulary.is_multi("primary_database"));
    }

    #[test]
    fn invalid_vocabularies_are_rejected_with_the_reason() {
        let key = |key: &str, kind: ValueKind, technology: Option<TechnologyKind>| VocabularyKey {
            category: Category::TechStack,
            key: key.to_owned(),
            value_kind: kind,
            multi: false,
            technology,
            free_text: false,
        };
        let twice = Vocabulary::new(vec![
            key("cache", ValueKind::Name, None),
            key("cache", ValueKind::Name, None),
        ]);
        assert!(twice.unwrap_err().contains("listed twice"));
        let bad = Vocabulary::new(vec![key("Primary-DB", ValueKind::Name, None)]);
        assert!(bad.unwrap_err().contains("snake_case"));
        let reserved = Vocabulary::new(vec![key("requirement_x", ValueKind::Text, None)]);
        assert!(reserved.unwrap_err().contains("reserved prefix"));
        let numeric_tech = Vocabulary::new(vec![key(
            "cache_ms",
            ValueKind::Milliseconds,
            Some(TechnologyKind::Cache),
        )]);
        assert!(numeric_tech.unwrap_err().contains("must be name"));
        let two_keys = Vocabulary::new(vec![
            key("cache", ValueKind::Name, Some(TechnologyKind::Cache)),
            key("other_cache", ValueKind::Name, Some(TechnologyKind::Cache)),
        ]);
        assert!(two_keys.unwrap_err().contains("two keys"));
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
}
