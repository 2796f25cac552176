//! The offline knowledge the rule engine works from — technologies, the fact vocabulary and
//! the conflict rules — parsed from TOML and validated as a whole. The built-in files live in
//! `crates/socrates-domain/data/` and are compiled in; an operator may replace any of them
//! (the agents crate reads a data directory from settings). Adding a technology, a key or an
//! exclusion rule needs no code.

use serde::Deserialize;

use crate::DomainError;

use crate::fact_vocabulary::{Vocabulary, VocabularyKey};
use crate::rule_table::ConflictRules;
use crate::technology::{Technology, TechnologyIndex, TechnologyKind};

/// File name of the technology table.
pub const TECHNOLOGIES_FILE: &str = "technologies.toml";
/// File name of the fact vocabulary.
pub const VOCABULARY_FILE: &str = "vocabulary.toml";
/// File name of the conflict rules.
pub const CONFLICT_RULES_FILE: &str = "conflict_rules.toml";

/// The built-in technology table.
pub const BUILTIN_TECHNOLOGIES: &str = include_str!("../data/technologies.toml");
/// The built-in fact vocabulary.
pub const BUILTIN_VOCABULARY: &str = include_str!("../data/vocabulary.toml");
/// The built-in conflict rules.
pub const BUILTIN_CONFLICT_RULES: &str = include_str!("../data/conflict_rules.toml");

/// The texts of the three knowledge files.
#[derive(Debug, Clone, Copy)]
pub struct KnowledgeSources<'a> {
    /// `technologies.toml`.
    pub technologies: &'a str,
    /// `vocabulary.toml`.
    pub vocabulary: &'a str,
    /// `conflict_rules.toml`.
    pub conflict_rules: &'a str,
}

impl KnowledgeSources<'static> {
    /// The compiled-in files.
    #[must_use]
    pub const fn builtin() -> Self {
        Self {
            technologies: BUILTIN_TECHNOLOGIES,
            vocabulary: BUILTIN_VOCABULARY,
            conflict_rules: BUILTIN_CONFLICT_RULES,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TechnologiesFile {
    technology: Vec<Technology>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VocabularyFile {
    key: Vec<VocabularyKey>,
}

/// Technologies, vocabulary and conflict rules, parsed and cross-checked.
#[derive(Debug, Clone)]
pub struct Knowledge {
    technologies: TechnologyIndex,
    vocabulary: Vocabulary,
    conflict_rules: ConflictRules,
}

impl Knowledge {
    /// The compiled-in knowledge.
    ///
    /// # Errors
    /// Only if the built-in files are invalid, which the test suite rules out.
    pub fn builtin() -> Result<Self, DomainError> {
        Self::parse(KnowledgeSources::builtin())
    }

    /// Parses and validates the three files.
    ///
    /// # Errors
    /// [`DomainError`] naming the file and the problem: TOML syntax, an unknown field, a
    /// duplicate alias or key, a technology kind no key takes, a rule naming an unknown key
    /// or technology.
    pub fn parse(sources: KnowledgeSources<'_>) -> Result<Self, DomainError> {
        let technologies: TechnologiesFile = parse_toml(TECHNOLOGIES_FILE, sources.technologies)?;
        let technologies = TechnologyIndex::new(technologies.technology)
            .map_err(|message| DomainError::knowledge(TECHNOLOGIES_FILE, message))?;
        let vocabulary: VocabularyFile = parse_toml(VOCABULARY_FILE, sources.vocabulary)?;
        let vocabulary = Vocabulary::new(vocabulary.key)
            .map_err(|message| DomainError::knowledge(VOCABULARY_FILE, message))?;
        for technology in technologies.all() {
            if technology.kind != TechnologyKind::ExternalService
                && vocabulary.key_for_technology(technology.kind).is_none()
            {
                return Err(DomainError::knowledge(
                    TECHNOLOGIES_FILE,
                    format!(
                        "technology \"{}\" is of a kind ({:?}) that no key in {VOCABULARY_FILE} \
                         takes",
                        technology.name, technology.kind
                    ),
                ));
            }
        }
        let conflict_rules: ConflictRules =
            parse_toml(CONFLICT_RULES_FILE, sources.conflict_rules)?;
        conflict_rules
            .validate(&vocabulary, &technologies)
            .map_err(|message| DomainError::knowledge(CONFLICT_RULES_FILE, message))?;
        Ok(Self {
            technologies,
            vocabulary,
            conflict_rules,
        })
    }

    /// The technology table.
    #[must_use]
    pub const fn technologies(&self) -> &TechnologyIndex {
        &self.technologies
    }

    /// The fact vocabulary.
    #[must_use]
    pub const fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// The conflict rules.
    #[must_use]
    pub const fn conflict_rules(&self) -> &ConflictRules {
        &self.conflict_rules
    }
}

/// Parses one TOML file, naming it in the error.
///
/// # Errors
/// [`DomainError`] with the parser's message (line and column included).
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, DomainError> {
    toml::from_str(text).map_err(|error| DomainError::knowledge(file, error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file a knowledge error names.
    fn file_of(error: &DomainError) -> &str {
        match error {
            DomainError::Knowledge { file, .. } => file,
            other => panic!("not a knowledge error: {other:?}"),
        }
    }

    fn with(technologies: &str, vocabulary: &str, rules: &str) -> Result<Knowledge, DomainError> {
        Knowledge::parse(KnowledgeSources {
            technologies,
            vocabulary,
            conflict_rules: rules,
        })
    }

    #[test]
    fn builtin_knowledge_is_valid_and_large_enough() {
        let knowledge = Knowledge::builtin().expect("valid");
        assert!(knowledge.technologies().all().len() >= 60);
        assert!(knowledge.vocabulary().all().len() >= 30);
        assert!(knowledge.conflict_rules().exclusions.len() >= 4);
    }

    #[test]
    fn adding_a_technology_is_data_only() {
        let technologies = format!(
            "{BUILTIN_TECHNOLOGIES}\n[[technology]]\nname = \"YugabyteDB\"\nkind = \
             \"database\"\naliases = [\"yugabytedb\", \"yugabyte\"]\n"
        );
        let knowledge =
            with(&technologies, BUILTIN_VOCABULARY, BUILTIN_CONFLICT_RULES).expect("valid");
        let found = knowledge
            .technologies()
            .find("We run YugabyteDB in three regions.");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].technology.name, "YugabyteDB");
        assert_eq!(
            knowledge.normalise_value("primary_database", "yugabyte"),
            "yugabytedb"
        );
    }

    #[test]
    fn adding_an_exclusion_rule_is_data_only() {
        let rules = format!(
            "{BUILTIN_CONFLICT_RULES}\n[[exclusion]]\nid = \"redis_vs_long_retention\"\n\
             conflict_type = \"technology\"\nseverity = \"low\"\nsummary = \"A cache is not \
             an archive\"\nleft = [{{ key = \"primary_database\", technology = [\"Redis\"] \
             }}]\nright = [{{ key = \"retention_period_days\", min = 365 }}]\n"
        );
        let technologies = BUILTIN_TECHNOLOGIES.replace(
            "name = \"Redis\"\nkind = \"cache\"",
            "name = \"Redis\"\nkind = \"database\"",
        );
        let knowledge = with(&technologies, BUILTIN_VOCABULARY, &rules).expect("valid");
        let new = crate::FactDraft {
            category: crate::Category::DataRetention,
            key: "retention_period_days".to_owned(),
            value: "2 years".to_owned(),
            confidence: 0.9,
            reasoning: None,
        };
        let old = crate::ExistingFact {
            id: None,
            category: crate::Category::TechStack,
            key: "primary_database".to_owned(),
            value: "Redis".to_owned(),
            confidence: 0.9,
        };
        let found = knowledge.detect_conflicts(&[new], &[old]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule_id, "redis_vs_long_retention");
    }

    #[test]
    fn invalid_files_name_the_file_and_the_problem() {
        let syntax = with(
            "[[technology]\n",
            BUILTIN_VOCABULARY,
            BUILTIN_CONFLICT_RULES,
        )
        .expect_err("syntax");
        assert_eq!(file_of(&syntax), TECHNOLOGIES_FILE);
        let clash = format!(
            "{BUILTIN_TECHNOLOGIES}\n[[technology]]\nname = \"Postgres Fork\"\nkind = \
             \"database\"\naliases = [\"postgres\"]\n"
        );
        let error = with(&clash, BUILTIN_VOCABULARY, BUILTIN_CONFLICT_RULES).expect_err("clash");
        assert!(
            error
                .to_string()
                .contains("\"postgres\" is claimed by both"),
            "{error}"
        );
        let unknown_field = BUILTIN_VOCABULARY.replacen("multi = true", "mutli = true", 1);
        let error =
            with(BUILTIN_TECHNOLOGIES, &unknown_field, BUILTIN_CONFLICT_RULES).expect_err("typo");
        assert_eq!(file_of(&error), VOCABULARY_FILE);
        assert!(error.to_string().contains("mutli"), "{error}");
        let bad_rule = BUILTIN_CONFLICT_RULES
            .replace("technology = [\"SQLite\"]", "technology = [\"SQLyte\"]");
        let error = with(BUILTIN_TECHNOLOGIES, BUILTIN_VOCABULARY, &bad_rule).expect_err("rule");
        assert_eq!(file_of(&error), CONFLICT_RULES_FILE);
        assert!(error.to_string().contains("SQLyte"), "{error}");
        let orphan = format!(
            "{BUILTIN_TECHNOLOGIES}\n[[technology]]\nname = \"Hostinger\"\nkind = \"cloud\"\naliases = [\"hostinger\"]\n"
        );
        let no_cloud_key = BUILTIN_VOCABULARY.replace("technology = \"cloud\"\n", "");
        let error = with(&orphan, &no_cloud_key, BUILTIN_CONFLICT_RULES).expect_err("orphan");
        assert!(error.to_string().contains("no key"), "{error}");
    }
}
