//! Specification maturity: how complete a project's specification is, overall and per category.
//!
//! Per category `c`, the capped score is `min(Σ confidence of current facts in c, weight(c))`;
//! overall maturity is `Σ capped / 90 × 100` and a category's coverage is
//! `capped / weight × 100`, both rounded to two decimals. Question selection uses a different
//! measure on purpose: the category with the fewest facts relative to its weight is asked next.

use serde::{Deserialize, Serialize};

use crate::Category;

/// How close a confidence sum must come to a weight to count as saturating it. Summing many
/// fractional confidences (150 × 0.1) lands a hair below the exact total; that is still full.
const SATURATION_EPSILON: f64 = 1e-9;

/// The highest percentage a value that is not truly complete may show, so that rounding never
/// displays 100.00 % for a category or project the phase gate would still refuse.
const BELOW_FULL: f64 = 99.99;

/// One current fact as maturity sees it: its category and its confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FactWeight {
    /// Category the fact belongs to.
    pub category: Category,
    /// Confidence of the fact, nominally 0..=1.
    pub confidence: f64,
}

impl From<FactWeight> for (Category, f64) {
    fn from(fact: FactWeight) -> Self {
        (fact.category, fact.confidence)
    }
}

/// Coverage of one category.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CategoryCoverage {
    /// The category.
    pub category: Category,
    /// Its maturity weight.
    pub weight: u32,
    /// Number of current facts in it.
    pub fact_count: u32,
    /// Sum of the (clamped) confidences of those facts, uncapped.
    pub confidence_sum: f64,
    /// `min(confidence_sum, weight)`.
    pub capped_score: f64,
    /// `capped_score / weight × 100`, two decimals; 100.00 only when saturated.
    pub coverage_percent: f64,
}

impl CategoryCoverage {
    /// Coverage of a category with no facts.
    const fn empty(category: Category) -> Self {
        Self {
            category,
            weight: category.weight(),
            fact_count: 0,
            confidence_sum: 0.0,
            capped_score: 0.0,
            coverage_percent: 0.0,
        }
    }
}

/// Coverage of every category with no facts, used when a report lacks an entry.
static EMPTY_COVERAGE: [CategoryCoverage; Category::ALL.len()] = {
    let mut coverages = [CategoryCoverage::empty(Category::Goals); Category::ALL.len()];
    let mut index = 0;
    while index < Category::ALL.len() {
        coverages[index] = CategoryCoverage::empty(Category::ALL[index]);
        index += 1;
    }
    coverages
};

/// Maturity of a whole project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaturityReport {
    /// Overall maturity in percent, two decimals; 100.00 only when every category is saturated.
    pub overall: f64,
    /// All ten categories, in canonical order.
    pub categories: Vec<CategoryCoverage>,
}

impl MaturityReport {
    /// Coverage of one category.
    #[must_use]
    pub fn coverage(&self, category: Category) -> &CategoryCoverage {
        self.categories
            .iter()
            .find(|coverage| coverage.category == category)
            .unwrap_or(&EMPTY_COVERAGE[category as usize])
    }

    /// The category to ask about next: the lowest `fact_count / weight`, ties going to the
    /// first in canonical order (so an empty project starts with goals).
    #[must_use]
    pub fn next_category(&self) -> Category {
        self.categories_by_need()
            .first()
            .copied()
            .unwrap_or(Category::Goals)
    }

    /// Every category, the one with the fewest facts relative to its weight first; ties keep
    /// the canonical order. The counselor walks it when a category's questions run out.
    #[must_use]
    pub fn categories_by_need(&self) -> Vec<Category> {
        let mut order: Vec<&CategoryCoverage> = Category::ALL
            .iter()
            .map(|category| self.coverage(*category))
            .collect();
        // Compare count_a / weight_a with count_b / weight_b exactly, without floats; the
        // sort is stable, so ties stay in canonical order.
        order.sort_by(|a, b| {
            (u64::from(a.fact_count) * u64::from(b.weight))
                .cmp(&(u64::from(b.fact_count) * u64::from(a.weight)))
        });
        order
            .into_iter()
            .map(|coverage| coverage.category)
            .collect()
    }

    /// Categories whose coverage is below 100 %, in canonical order.
    #[must_use]
    pub fn missing_categories(&self) -> Vec<Category> {
        Category::ALL
            .into_iter()
            .filter(|&category| self.coverage(category).coverage_percent < 100.0)
            .collect()
    }

    /// Whether the specification is complete (overall maturity 100 %).
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.overall >= 100.0
    }
}

/// Rounds to two decimals, half away from zero.
#[must_use]
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Clamps a confidence into 0..=1; NaN counts as 0.
fn clamp_confidence(confidence: f64) -> f64 {
    if confidence.is_nan() {
        0.0
    } else {
        confidence.clamp(0.0, 1.0)
    }
}

/// Rounds a percentage, keeping it below 100 unless the underlying value is truly full.
fn percent(part: f64, whole: f64, full: bool) -> f64 {
    if full {
        100.0
    } else {
        round2(part / whole * 100.0).min(BELOW_FULL)
    }
}

/// Computes the maturity of a project from its current facts.
///
/// Each item is `(category, confidence)`; see [`FactWeight`] for a named form. Only current
/// (latest, not deleted) fact versions should be passed.
#[must_use]
pub fn compute_maturity<I: IntoIterator<Item = (Category, f64)>>(facts: I) -> MaturityReport {
    let mut counts = [0_u32; Category::ALL.len()];
    let mut sums = [0.0_f64; Category::ALL.len()];
    for (category, confidence) in facts {
        let index = category as usize;
        counts[index] = counts[index].saturating_add(1);
        sums[index] += clamp_confidence(confidence);
    }

    let mut total_capped = 0.0;
    let mut all_saturated = true;
    let categories = Category::ALL
        .into_iter()
        .map(|category| {
            let index = category as usize;
            let weight = f64::from(category.weight());
            let saturated = sums[index] >= weight - SATURATION_EPSILON;
            let capped_score = if saturated { weight } else { sums[index] };
            total_capped += capped_score;
            all_saturated &= saturated;
            CategoryCoverage {
                category,
                weight: category.weight(),
                fact_count: counts[index],
                confidence_sum: sums[index],
                capped_score,
                coverage_percent: percent(capped_score, weight, saturated),
            }
        })
        .collect();

    MaturityReport {
        overall: percent(
            total_capped,
            f64::from(Category::TOTAL_WEIGHT),
            all_saturated,
        ),
        categories,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repeat(category: Category, count: usize, confidence: f64) -> Vec<(Category, f64)> {
        vec![(category, confidence); count]
    }

    fn saturated_project() -> Vec<(Category, f64)> {
        Category::ALL
            .into_iter()
            .flat_map(|c| repeat(c, c.weight() as usize, 1.0))
            .collect()
    }

    #[test]
    fn no_facts_is_zero_and_lists_all_categories_in_order() {
        let report = compute_maturity(Vec::new());
        assert_eq!(report.overall, 0.0);
        let order: Vec<Category> = report.categories.iter().map(|c| c.category).collect();
        assert_eq!(order, Category::ALL);
        assert_eq!(report.missing_categories(), Category::ALL);
        assert!(!report.is_complete());
    }

    #[test]
    fn one_goals_fact_at_0_9_is_one_percent() {
        let report = compute_maturity([(Category::Goals, 0.9)]);
        assert_eq!(report.overall, 1.0);
        let goals = report.coverage(Category::Goals);
        assert_eq!(goals.fact_count, 1);
        assert_eq!(goals.capped_score, 0.9);
        assert_eq!(goals.coverage_percent, 9.0);
    }

    #[test]
    fn twelve_goals_facts_cap_at_the_weight() {
        let report = compute_maturity(repeat(Category::Goals, 12, 1.0));
        assert_eq!(report.overall, 11.11);
        let goals = report.coverage(Category::Goals);
        assert_eq!(goals.fact_count, 12);
        assert_eq!(goals.confidence_sum, 12.0);
        assert_eq!(goals.capped_score, 10.0);
        assert_eq!(goals.coverage_percent, 100.0);
    }

    #[test]
    fn every_category_saturated_is_one_hundred() {
        let report = compute_maturity(saturated_project());
        assert_eq!(report.overall, 100.0);
        assert!(report.is_complete());
        assert!(report.missing_categories().is_empty());
    }

    #[test]
    fn many_small_confidences_still_saturate() {
        // 150 × 0.1 sums to 14.999999999999… in floating point; it must count as full.
        let report = compute_maturity(repeat(Category::Requirements, 150, 0.1));
        assert_eq!(report.coverage(Category::Requirements).capped_score, 15.0);
        assert_eq!(
            report.coverage(Category::Requirements).coverage_percent,
            100.0
        );
    }

    #[test]
    fn nearly_complete_never_rounds_up_to_one_hundred() {
        let mut facts = saturated_project();
        facts.retain(|(c, _)| *c != Category::DataRetention);
        facts.extend(repeat(Category::DataRetention, 4, 1.0));
        facts.push((Category::DataRetention, 0.9999));
        let report = compute_maturity(facts);
        assert_eq!(report.overall, 99.99);
        assert!(!report.is_complete());
        assert_eq!(report.missing_categories(), [Category::DataRetention]);
        assert_eq!(
            report.coverage(Category::DataRetention).coverage_percent,
            99.99
        );
    }

    #[test]
    fn confidences_are_clamped_and_nan_counts_as_zero() {
        let report = compute_maturity([
            (Category::Security, 5.0),
            (Category::Security, -3.0),
            (Category::Security, f64::NAN),
            (Category::Security, f64::INFINITY),
        ]);
        let security = report.coverage(Category::Security);
        assert_eq!(security.fact_count, 4);
        assert_eq!(security.confidence_sum, 2.0);
        assert_eq!(report.overall, 2.22);
    }

    #[test]
    fn fact_weight_converts_into_the_tuple_form() {
        let facts = [
            FactWeight {
                category: Category::Testing,
                confidence: 0.5,
            },
            FactWeight {
                category: Category::Testing,
                confidence: 0.5,
            },
        ];
        let report = compute_maturity(facts.into_iter().map(Into::into));
        assert_eq!(report.coverage(Category::Testing).confidence_sum, 1.0);
        assert_eq!(report.coverage(Category::Testing).coverage_percent, 12.5);
    }

    #[test]
    fn next_category_of_an_empty_project_is_goals() {
        assert_eq!(
            compute_maturity(Vec::new()).next_category(),
            Category::Goals
        );
    }

    #[test]
    fn next_category_uses_fact_count_relative_to_weight() {
        // Appendix A1: goals 5/10 = 50 %, requirements 5/15 = 33.3 %, all others higher.
        let mut facts = repeat(Category::Goals, 5, 0.1);
        facts.extend(repeat(Category::Requirements, 5, 0.1));
        for category in &Category::ALL[2..] {
            facts.extend(repeat(*category, category.weight() as usize, 0.1));
        }
        assert_eq!(
            compute_maturity(facts).next_category(),
            Category::Requirements
        );
    }

    #[test]
    fn next_category_ignores_confidence_and_breaks_ties_in_canonical_order() {
        // Goals is full by count despite its tiny confidences, requirements has one fact, and
        // the remaining eight are tied at zero: the first of them in canonical order wins.
        let mut facts = repeat(Category::Goals, 10, 0.01);
        facts.push((Category::Requirements, 1.0));
        let report = compute_maturity(facts);
        assert_eq!(report.next_category(), Category::TechStack);
    }

    #[test]
    fn coverage_falls_back_to_empty_for_a_partial_report() {
        let report = MaturityReport {
            overall: 0.0,
            categories: Vec::new(),
        };
        let coverage = report.coverage(Category::Monitoring);
        assert_eq!(coverage.category, Category::Monitoring);
        assert_eq!(coverage.weight, 6);
        assert_eq!(coverage.fact_count, 0);
    }

    #[test]
    fn report_serialises_with_snake_case_categories() {
        let report = compute_maturity([(Category::TechStack, 0.9)]);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["overall"], 1.0);
        assert_eq!(json["categories"][2]["category"], "tech_stack");
        assert_eq!(json["categories"][2]["fact_count"], 1);
        assert_eq!(json["categories"].as_array().map(Vec::len), Some(10));
    }

    #[test]
    fn round2_rounds_half_away_from_zero() {
        assert_eq!(round2(11.111_111), 11.11);
        assert_eq!(round2(0.125), 0.13);
        assert_eq!(round2(-1.005_1), -1.01);
    }

    #[test]
    fn categories_by_need_put_the_fewest_facts_per_weight_first_and_keep_ties_in_order() {
        let report = compute_maturity([
            (Category::Goals, 0.9),
            (Category::Requirements, 0.9),
            (Category::Requirements, 0.9),
        ]);
        let order = report.categories_by_need();
        assert_eq!(order.len(), Category::ALL.len());
        // Eight empty categories in canonical order, then goals (1/10) before requirements (2/15).
        assert_eq!(order[0], Category::TechStack);
        assert_eq!(&order[8..], [Category::Goals, Category::Requirements]);
        assert_eq!(report.next_category(), Category::TechStack);
    }
}
