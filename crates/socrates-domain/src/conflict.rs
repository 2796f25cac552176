//! Classification of contradictions between specification facts and how they are settled.

use crate::string_enum::string_enum;

string_enum! {
    /// What kind of contradiction a conflict is.
    pub enum ConflictType as "conflict type" {
        /// Incompatible technology choices ("SQLite" against "10 000 concurrent writers").
        Technology = "technology",
        /// Requirements that cannot both hold.
        Requirement = "requirement",
        /// Dates or durations that contradict each other.
        Timeline = "timeline",
        /// Budget, people or capacity that do not add up.
        Resource = "resource",
        /// Components that cannot work together.
        Compatibility = "compatibility",
    }
}

string_enum! {
    /// How much a conflict matters, from least to most severe.
    pub enum ConflictSeverity as "conflict severity" {
        /// Cosmetic.
        Low = "low",
        /// Should be settled before design.
        Medium = "medium",
        /// Blocks a sound design.
        High = "high",
        /// Makes the specification unbuildable.
        Critical = "critical",
    }
}

string_enum! {
    /// Whether a conflict still needs the user's decision.
    pub enum ConflictStatus as "conflict status" {
        /// Waiting for a resolution; the new value is held inside the conflict (`pending` is
        /// accepted as input).
        Open = "open" | "pending",
        /// Settled with a resolution.
        Resolved = "resolved",
        /// Dismissed without changing any fact.
        Ignored = "ignored",
    }
}

string_enum! {
    /// How the user settled a conflict.
    pub enum ConflictResolution as "conflict resolution" {
        /// Keep the existing fact and drop the pending value.
        KeepOld = "keep_old",
        /// Write the pending value as a new version of the fact.
        Replace = "replace",
        /// Write a caller-supplied merged value as a new version of the fact.
        Merge = "merge",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_match_serde() {
        for value in ConflictResolution::ALL {
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(json, format!("\"{value}\""));
        }
        for value in ConflictType::ALL {
            assert_eq!(value.as_str().parse(), Ok(value));
        }
        assert_eq!(ConflictResolution::KeepOld.as_str(), "keep_old");
    }

    #[test]
    fn severity_orders_from_low_to_critical() {
        assert!(ConflictSeverity::Low < ConflictSeverity::Medium);
        assert!(ConflictSeverity::High < ConflictSeverity::Critical);
        let max = ConflictSeverity::ALL.into_iter().max();
        assert_eq!(max, Some(ConflictSeverity::Critical));
    }

    #[test]
    fn parsing_is_strict() {
        assert_eq!("open".parse(), Ok(ConflictStatus::Open));
        assert!("keep-old".parse::<ConflictResolution>().is_err());
        assert!("Open".parse::<ConflictStatus>().is_err());
        let parsed: ConflictResolution = serde_json::from_str("\"merge\"").unwrap();
        assert_eq!(parsed, ConflictResolution::Merge);
    }
}
