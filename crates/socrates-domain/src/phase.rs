//! The rules for moving a project to its next lifecycle phase.
//!
//! | from → to | requires |
//! |---|---|
//! | discovery → analysis | maturity ≥ 60 % and no open conflicts |
//! | analysis → design | maturity 100 % |
//! | design → implementation | maturity 100 % and no open conflicts |
//! | implementation | nothing follows |
//!
//! Every advance also needs at most [`MAX_GAPS`](crate::quality::MAX_GAPS) coverage gaps
//! (categories with fewer than three facts; see [`quality`](crate::quality)).

use std::fmt;

use serde::Serialize;

use crate::{Category, MaturityReport, ProjectPhase};

/// Maturity in percent a project needs to enter the analysis phase.
pub const ANALYSIS_MATURITY_THRESHOLD: f64 = 60.0;

/// Maturity in percent a project needs to enter design and implementation.
const FULL_MATURITY: f64 = 100.0;

/// One reason a phase advance was refused. A refusal lists every reason that applies, so the
/// user sees all of the work left in one answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum AdvanceRefusal {
    /// Overall maturity is below what the next phase needs.
    MaturityBelowThreshold {
        /// Maturity the next phase needs, in percent.
        required: f64,
        /// The project's current maturity, in percent.
        actual: f64,
    },
    /// Categories that are not yet fully covered, in canonical order.
    MissingCategories {
        /// The categories under 100 % coverage.
        categories: Vec<Category>,
    },
    /// Too many categories have fewer than three facts: the specification is too thin in
    /// too many places, whatever its maturity.
    CoverageGaps {
        /// The categories with fewer than three facts, most important first.
        categories: Vec<Category>,
    },
    /// Conflicts that must be resolved first.
    OpenConflicts {
        /// How many conflicts are open.
        count: u32,
    },
    /// The project is already in the last phase.
    AlreadyFinalPhase,
}

impl fmt::Display for AdvanceRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MaturityBelowThreshold { required, actual } => write!(
                f,
                "maturity is {actual:.2} %, {required} % is required to enter the next phase"
            ),
            Self::MissingCategories { categories } => {
                f.write_str("these categories are not fully covered yet: ")?;
                for (position, category) in categories.iter().enumerate() {
                    if position > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(category.as_str())?;
                }
                Ok(())
            }
            Self::CoverageGaps { categories } => {
                write!(
                    f,
                    "{} categories have fewer than {} facts (at most {} may): ",
                    categories.len(),
                    crate::quality::GAP_FACTS,
                    crate::quality::MAX_GAPS
                )?;
                for (position, category) in categories.iter().enumerate() {
                    if position > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(category.as_str())?;
                }
                Ok(())
            }
            Self::OpenConflicts { count: 1 } => {
                f.write_str("1 open conflict must be resolved first")
            }
            Self::OpenConflicts { count } => {
                write!(f, "{count} open conflicts must be resolved first")
            }
            Self::AlreadyFinalPhase => {
                f.write_str("the project is already in its final phase (implementation)")
            }
        }
    }
}

/// The maturity in percent a project needs to enter `target`.
#[must_use]
pub const fn required_maturity(target: ProjectPhase) -> f64 {
    match target {
        ProjectPhase::Discovery => 0.0,
        ProjectPhase::Analysis => ANALYSIS_MATURITY_THRESHOLD,
        ProjectPhase::Design | ProjectPhase::Implementation => FULL_MATURITY,
    }
}

/// Decides whether a project in `current` may move to the next phase.
///
/// Returns the phase to move to, or every reason the move is refused. When maturity is too low,
/// the categories under 100 % coverage are listed as well.
///
/// # Errors
/// Returns the non-empty list of [`AdvanceRefusal`]s when the advance is not allowed.
pub fn check_phase_advance(
    current: ProjectPhase,
    maturity: &MaturityReport,
    open_conflicts: u32,
) -> Result<ProjectPhase, Vec<AdvanceRefusal>> {
    let Some(next) = current.next() else {
        return Err(vec![AdvanceRefusal::AlreadyFinalPhase]);
    };
    let required = required_maturity(next);
    // Design may be entered with conflicts open; analysis and implementation may not.
    let conflicts_block = matches!(next, ProjectPhase::Analysis | ProjectPhase::Implementation);

    let mut refusals = Vec::new();
    let maturity_reached = if required >= FULL_MATURITY {
        maturity.is_complete()
    } else {
        maturity.overall >= required
    };
    if !maturity_reached {
        refusals.push(AdvanceRefusal::MaturityBelowThreshold {
            required,
            actual: maturity.overall,
        });
        let categories = maturity.missing_categories();
        if !categories.is_empty() {
            refusals.push(AdvanceRefusal::MissingCategories { categories });
        }
    }
    let gaps = crate::quality::coverage_gaps(maturity);
    if crate::quality::gaps_block(&gaps) {
        refusals.push(AdvanceRefusal::CoverageGaps {
            categories: gaps.iter().map(|gap| gap.category).collect(),
        });
    }
    if conflicts_block && open_conflicts > 0 {
        refusals.push(AdvanceRefusal::OpenConflicts {
            count: open_conflicts,
        });
    }

    if refusals.is_empty() {
        Ok(next)
    } else {
        Err(refusals)
    }
}

/// Whether code generation may start: the maturity is complete (every category saturated), no
/// coverage gap blocks, no conflict is open.
///
/// # Errors
/// Every reason it may not, in the order of [`check_phase_advance`].
pub fn check_code_generation(
    maturity: &MaturityReport,
    open_conflicts: u32,
) -> Result<(), Vec<AdvanceRefusal>> {
    let mut refusals = Vec::new();
    if !maturity.is_complete() {
        refusals.push(AdvanceRefusal::MaturityBelowThreshold {
            required: FULL_MATURITY,
            actual: maturity.overall,
        });
        let categories = maturity.missing_categories();
        if !categories.is_empty() {
            refusals.push(AdvanceRefusal::MissingCategories { categories });
        }
    }
    let gaps = crate::quality::coverage_gaps(maturity);
    if crate::quality::gaps_block(&gaps) {
        refusals.push(AdvanceRefusal::CoverageGaps {
            categories: gaps.iter().map(|gap| gap.category).collect(),
        });
    }
    if open_conflicts > 0 {
        refusals.push(AdvanceRefusal::OpenConflicts {
            count: open_conflicts,
        });
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(refusals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute_maturity;

    /// A project whose `full` categories are saturated and whose other categories are empty.
    fn report_with_full_categories(full: &[Category]) -> MaturityReport {
        compute_maturity(
            full.iter()
                .flat_map(|&c| vec![(c, 1.0); c.weight() as usize]),
        )
    }

    fn complete() -> MaturityReport {
        report_with_full_categories(&Category::ALL)
    }

    /// Goals, requirements, tech_stack, scalability, security: 55 of 90 = 61.11 %.
    fn above_sixty() -> MaturityReport {
        report_with_full_categories(&Category::ALL[..5])
    }

    /// Goals, requirements, tech_stack: 37 of 90 = 41.11 %.
    fn below_sixty() -> MaturityReport {
        report_with_full_categories(&Category::ALL[..3])
    }

    #[test]
    fn discovery_advances_at_sixty_percent_without_conflicts() {
        let report = above_sixty();
        assert_eq!(report.overall, 61.11);
        assert_eq!(
            check_phase_advance(ProjectPhase::Discovery, &report, 0),
            Ok(ProjectPhase::Analysis)
        );
    }

    #[test]
    fn discovery_below_sixty_lists_maturity_and_missing_categories() {
        let report = below_sixty();
        let refusals = check_phase_advance(ProjectPhase::Discovery, &report, 0).unwrap_err();
        assert_eq!(
            refusals,
            [
                AdvanceRefusal::MaturityBelowThreshold {
                    required: 60.0,
                    actual: 41.11
                },
                AdvanceRefusal::MissingCategories {
                    categories: Category::ALL[3..].to_vec()
                },
                // Seven categories without facts, most important first.
                AdvanceRefusal::CoverageGaps {
                    categories: vec![
                        Category::Security,
                        Category::Scalability,
                        Category::Performance,
                        Category::Testing,
                        Category::DisasterRecovery,
                        Category::Monitoring,
                        Category::DataRetention,
                    ]
                },
            ]
        );
        assert_eq!(
            refusals[2].to_string(),
            "7 categories have fewer than 3 facts (at most 5 may): security, scalability, \
             performance, testing, disaster_recovery, monitoring, data_retention"
        );
    }

    #[test]
    fn discovery_with_open_conflicts_is_refused_even_when_mature() {
        let refusals = check_phase_advance(ProjectPhase::Discovery, &complete(), 2).unwrap_err();
        assert_eq!(refusals, [AdvanceRefusal::OpenConflicts { count: 2 }]);
    }

    #[test]
    fn discovery_reports_every_reason_at_once() {
        let refusals = check_phase_advance(ProjectPhase::Discovery, &below_sixty(), 1).unwrap_err();
        assert_eq!(refusals.len(), 4);
        assert_eq!(refusals[3], AdvanceRefusal::OpenConflicts { count: 1 });
    }

    #[test]
    fn analysis_needs_full_maturity_but_tolerates_conflicts() {
        let refusals = check_phase_advance(ProjectPhase::Analysis, &above_sixty(), 0).unwrap_err();
        assert_eq!(
            refusals[0],
            AdvanceRefusal::MaturityBelowThreshold {
                required: 100.0,
                actual: 61.11
            }
        );
        assert_eq!(
            check_phase_advance(ProjectPhase::Analysis, &complete(), 3),
            Ok(ProjectPhase::Design)
        );
    }

    #[test]
    fn design_needs_full_maturity_and_no_conflicts() {
        assert_eq!(
            check_phase_advance(ProjectPhase::Design, &complete(), 0),
            Ok(ProjectPhase::Implementation)
        );
        assert_eq!(
            check_phase_advance(ProjectPhase::Design, &complete(), 1),
            Err(vec![AdvanceRefusal::OpenConflicts { count: 1 }])
        );
        let refusals = check_phase_advance(ProjectPhase::Design, &above_sixty(), 0).unwrap_err();
        assert!(matches!(
            refusals[0],
            AdvanceRefusal::MaturityBelowThreshold { required, .. } if required == 100.0
        ));
    }

    #[test]
    fn implementation_is_final() {
        assert_eq!(
            check_phase_advance(ProjectPhase::Implementation, &complete(), 0),
            Err(vec![AdvanceRefusal::AlreadyFinalPhase])
        );
    }

    #[test]
    fn refusals_read_as_sentences() {
        let maturity = AdvanceRefusal::MaturityBelowThreshold {
            required: 60.0,
            actual: 45.0,
        };
        assert_eq!(
            maturity.to_string(),
            "maturity is 45.00 %, 60 % is required to enter the next phase"
        );
        let missing = AdvanceRefusal::MissingCategories {
            categories: vec![Category::Testing, Category::DataRetention],
        };
        assert_eq!(
            missing.to_string(),
            "these categories are not fully covered yet: testing, data_retention"
        );
        assert_eq!(
            AdvanceRefusal::OpenConflicts { count: 1 }.to_string(),
            "1 open conflict must be resolved first"
        );
        assert_eq!(
            AdvanceRefusal::OpenConflicts { count: 4 }.to_string(),
            "4 open conflicts must be resolved first"
        );
        assert!(
            AdvanceRefusal::AlreadyFinalPhase
                .to_string()
                .contains("final phase")
        );
    }

    #[test]
    fn refusals_serialise_with_a_reason_tag() {
        let json = serde_json::to_value([
            AdvanceRefusal::MaturityBelowThreshold {
                required: 60.0,
                actual: 12.5,
            },
            AdvanceRefusal::MissingCategories {
                categories: vec![Category::TechStack],
            },
            AdvanceRefusal::OpenConflicts { count: 2 },
            AdvanceRefusal::AlreadyFinalPhase,
        ])
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"reason": "maturity_below_threshold", "required": 60.0, "actual": 12.5},
                {"reason": "missing_categories", "categories": ["tech_stack"]},
                {"reason": "open_conflicts", "count": 2},
                {"reason": "already_final_phase"},
            ])
        );
    }
}
