//! The ten specification categories, their maturity weights and the alias table that maps the
//! free-form categories a model or a user invents onto them.

use crate::DomainError;
use crate::string_enum::string_enum;

string_enum! {
    /// One of the ten areas a specification must cover. Declaration order is the canonical
    /// order: reports list categories in it and ties are broken by it.
    pub enum Category as "category" {
        /// Why the project exists and what success looks like.
        Goals = "goals",
        /// What the software must do, for whom, within which constraints.
        Requirements = "requirements",
        /// Languages, frameworks, databases and hosting.
        TechStack = "tech_stack",
        /// Growth in users, data and load.
        Scalability = "scalability",
        /// Authentication, authorisation, privacy and compliance.
        Security = "security",
        /// Latency and throughput targets.
        Performance = "performance",
        /// How the software is verified.
        Testing = "testing",
        /// Logging, metrics and alerting.
        Monitoring = "monitoring",
        /// What data is kept, where and for how long.
        DataRetention = "data_retention",
        /// Backups, recovery objectives and availability.
        DisasterRecovery = "disaster_recovery",
    }
}

impl Category {
    /// Sum of all category weights; a project at 100 % maturity has this much capped confidence.
    pub const TOTAL_WEIGHT: u32 = 90;

    /// Extracted category names that are not one of the ten values but clearly mean one of them.
    ///
    /// Keys are already normalised (lower case, `_` instead of spaces and hyphens), so they are
    /// compared against the output of the same normalisation [`Category::normalise`] applies.
    pub const ALIASES: &[(&str, Category)] = &[
        ("deployment", Category::TechStack),
        ("infrastructure", Category::TechStack),
        ("infra", Category::TechStack),
        ("hosting", Category::TechStack),
        ("architecture", Category::TechStack),
        ("database", Category::TechStack),
        ("databases", Category::TechStack),
        ("framework", Category::TechStack),
        ("frameworks", Category::TechStack),
        ("language", Category::TechStack),
        ("languages", Category::TechStack),
        ("technology", Category::TechStack),
        ("technologies", Category::TechStack),
        ("tech", Category::TechStack),
        ("stack", Category::TechStack),
        ("platform", Category::TechStack),
        ("constraints", Category::Requirements),
        ("requirement", Category::Requirements),
        ("features", Category::Requirements),
        ("feature", Category::Requirements),
        ("functionality", Category::Requirements),
        ("functional_requirements", Category::Requirements),
        ("non_functional_requirements", Category::Requirements),
        ("use_cases", Category::Requirements),
        ("user_stories", Category::Requirements),
        ("users", Category::Requirements),
        ("user_segments", Category::Requirements),
        ("scope", Category::Requirements),
        ("timeline", Category::Goals),
        ("goal", Category::Goals),
        ("business", Category::Goals),
        ("business_goals", Category::Goals),
        ("success_criteria", Category::Goals),
        ("objectives", Category::Goals),
        ("objective", Category::Goals),
        ("vision", Category::Goals),
        ("purpose", Category::Goals),
        ("budget", Category::Goals),
        ("scale", Category::Scalability),
        ("scaling", Category::Scalability),
        ("capacity", Category::Scalability),
        ("load", Category::Scalability),
        ("auth", Category::Security),
        ("authentication", Category::Security),
        ("authorization", Category::Security),
        ("authorisation", Category::Security),
        ("privacy", Category::Security),
        ("compliance", Category::Security),
        ("latency", Category::Performance),
        ("speed", Category::Performance),
        ("throughput", Category::Performance),
        ("tests", Category::Testing),
        ("test", Category::Testing),
        ("qa", Category::Testing),
        ("quality", Category::Testing),
        ("observability", Category::Monitoring),
        ("logging", Category::Monitoring),
        ("alerting", Category::Monitoring),
        ("metrics", Category::Monitoring),
        ("retention", Category::DataRetention),
        ("data", Category::DataRetention),
        ("storage", Category::DataRetention),
        ("backup_retention", Category::DataRetention),
        ("dr", Category::DisasterRecovery),
        ("backup", Category::DisasterRecovery),
        ("backups", Category::DisasterRecovery),
        ("recovery", Category::DisasterRecovery),
        ("availability", Category::DisasterRecovery),
        ("resilience", Category::DisasterRecovery),
    ];

    /// Maturity weight: how much summed confidence saturates this category.
    #[must_use]
    pub const fn weight(self) -> u32 {
        match self {
            Self::Goals => 10,
            Self::Requirements => 15,
            Self::TechStack => 12,
            Self::Scalability => 8,
            Self::Security => 10,
            Self::Performance => 8,
            Self::Testing => 8,
            Self::Monitoring => 6,
            Self::DataRetention => 5,
            Self::DisasterRecovery => 8,
        }
    }

    /// Human title for headings in exports and prompts ("Tech Stack").
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Goals => "Goals",
            Self::Requirements => "Requirements",
            Self::TechStack => "Tech Stack",
            Self::Scalability => "Scalability",
            Self::Security => "Security",
            Self::Performance => "Performance",
            Self::Testing => "Testing",
            Self::Monitoring => "Monitoring",
            Self::DataRetention => "Data Retention",
            Self::DisasterRecovery => "Disaster Recovery",
        }
    }

    /// Maps a free-form category name onto one of the ten categories.
    ///
    /// The input is trimmed, lower-cased, and spaces and hyphens become `_`; the result must be
    /// one of the ten stored values or a key of [`Category::ALIASES`]. Anything else is an
    /// [`DomainError`], so the caller can report the item back instead of dropping it.
    ///
    /// # Errors
    /// Returns [`DomainError`] when the name maps to no category.
    pub fn normalise(raw: &str) -> Result<Category, DomainError> {
        let key: String = raw
            .trim()
            .chars()
            .flat_map(char::to_lowercase)
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        if let Some(category) = Self::ALL.into_iter().find(|c| c.as_str() == key) {
            return Ok(category);
        }
        Self::ALIASES
            .iter()
            .find(|(alias, _)| *alias == key)
            .map(|&(_, category)| category)
            .ok_or_else(|| {
                DomainError::unknown_value("category", raw, &Self::ALL.map(Self::as_str))
            })
    }
}

/// A category as a request may name it: one of the ten values or an alias
/// ([`Category::ALIASES`]). It stands for the accepted names in the API document; requests
/// read a string and resolve it with [`Category::normalise`], which also forgives case,
/// spaces and hyphens.
#[derive(Debug, Clone, Copy)]
pub struct CategoryName;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for CategoryName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A category: one of the ten, or an alias of one (`deployment` is `tech_stack`).",
            ))
            .enum_values(Some(
                Category::ALL
                    .iter()
                    .map(|category| category.as_str())
                    .chain(Category::ALIASES.iter().map(|(alias, _)| *alias)),
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for CategoryName {}

/// The weights must add up to [`Category::TOTAL_WEIGHT`]; checked when the crate compiles.
const _: () = {
    let mut sum = 0;
    let mut index = 0;
    while index < Category::ALL.len() {
        sum += Category::ALL[index].weight();
        index += 1;
    }
    assert!(sum == Category::TOTAL_WEIGHT);
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn canonical_order_and_weights_match_the_spec() {
        let table: Vec<(&str, u32)> = Category::ALL
            .iter()
            .map(|c| (c.as_str(), c.weight()))
            .collect();
        assert_eq!(
            table,
            [
                ("goals", 10),
                ("requirements", 15),
                ("tech_stack", 12),
                ("scalability", 8),
                ("security", 10),
                ("performance", 8),
                ("testing", 8),
                ("monitoring", 6),
                ("data_retention", 5),
                ("disaster_recovery", 8),
            ]
        );
        assert_eq!(Category::ALL.iter().map(|c| c.weight()).sum::<u32>(), 90);
    }

    #[test]
    fn serde_and_from_str_use_the_stored_value() {
        for category in Category::ALL {
            let json = serde_json::to_string(&category).unwrap();
            assert_eq!(json, format!("\"{category}\""));
            assert_eq!(category.as_str().parse::<Category>(), Ok(category));
        }
    }

    #[test]
    fn from_str_is_strict() {
        assert!("Goals".parse::<Category>().is_err());
        assert!("deployment".parse::<Category>().is_err());
        assert!("tech stack".parse::<Category>().is_err());
    }

    #[test]
    fn titles_are_human_readable() {
        assert_eq!(Category::Goals.title(), "Goals");
        assert_eq!(Category::TechStack.title(), "Tech Stack");
        assert_eq!(Category::DataRetention.title(), "Data Retention");
        assert_eq!(Category::DisasterRecovery.title(), "Disaster Recovery");
    }

    #[test]
    fn normalise_accepts_canonical_values_in_any_spelling() {
        assert_eq!(Category::normalise("goals"), Ok(Category::Goals));
        assert_eq!(
            Category::normalise("  Tech Stack "),
            Ok(Category::TechStack)
        );
        assert_eq!(
            Category::normalise("DATA-RETENTION"),
            Ok(Category::DataRetention)
        );
        assert_eq!(
            Category::normalise("disaster recovery"),
            Ok(Category::DisasterRecovery)
        );
    }

    #[test]
    fn normalise_maps_the_aliases_named_in_the_spec() {
        let cases = [
            ("deployment", Category::TechStack),
            ("Database", Category::TechStack),
            ("constraints", Category::Requirements),
            ("Non-Functional Requirements", Category::Requirements),
            ("user stories", Category::Requirements),
            ("timeline", Category::Goals),
            ("success-criteria", Category::Goals),
            ("load", Category::Scalability),
            ("Authentication", Category::Security),
            ("latency", Category::Performance),
            ("QA", Category::Testing),
            ("observability", Category::Monitoring),
            ("backup_retention", Category::DataRetention),
            ("DR", Category::DisasterRecovery),
        ];
        for (raw, expected) in cases {
            assert_eq!(Category::normalise(raw), Ok(expected), "{raw}");
        }
    }

    #[test]
    fn normalise_rejects_unknown_names_with_the_original_input() {
        let error = Category::normalise(" Marketing ").unwrap_err();
        let DomainError::UnknownValue {
            kind,
            value,
            expected,
        } = error
        else {
            panic!("not an unknown value: {error:?}");
        };
        assert_eq!(kind, "category");
        assert_eq!(value, " Marketing ");
        assert!(expected.starts_with("goals, requirements, tech_stack"));
        assert!(Category::normalise("").is_err());
        assert!(Category::normalise("goals!").is_err());
    }

    #[test]
    fn every_alias_is_normalised_unique_and_not_a_canonical_value() {
        let mut seen = HashSet::new();
        for &(alias, target) in Category::ALIASES {
            assert!(seen.insert(alias), "duplicate alias {alias}");
            assert!(
                alias.parse::<Category>().is_err(),
                "{alias} shadows a value"
            );
            assert_eq!(Category::normalise(alias), Ok(target));
            assert!(
                alias.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{alias} is not normalised"
            );
        }
    }
}
