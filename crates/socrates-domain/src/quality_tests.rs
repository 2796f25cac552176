use super::*;
use crate::compute_maturity;

fn kinds<K: Copy>(findings: &[QuestionFinding<K>]) -> Vec<K> {
    findings.iter().map(|finding| finding.kind).collect()
}

#[test]
fn a_question_that_suggests_a_solution_is_refused() {
    // Digest A2: solution bias and "the best framework".
    let quality = score_question(
        "Should we use React for the frontend? It's the best framework.",
        &["React".to_owned()],
    );
    assert!(!quality.approved, "{quality:?}");
    assert!(quality.bias_score > 0.5);
    assert_eq!(
        kinds(&quality.issues),
        [
            QuestionIssueKind::SolutionBias,
            QuestionIssueKind::SolutionBias,
            QuestionIssueKind::TechnologyBias
        ],
        "React is named in \"use react\" once, not twice"
    );
    assert_eq!(quality.score, 0.4);
}

#[test]
fn an_open_question_scores_one() {
    let quality = score_question("What is the primary goal of your project?", &[]);
    assert_eq!(quality.score, 1.0);
    assert_eq!(quality.bias_score, 0.0);
    assert!(quality.approved && quality.issues.is_empty() && quality.warnings.is_empty());
}

#[test]
fn issues_and_warnings_cost_what_the_rules_say() {
    // Digest A3: one issue and one jargon warning → 0.75, approved with a warning.
    let quality = score_question("Should we use a queue to meet the RPO?", &[]);
    assert_eq!(quality.score, 0.75);
    assert!(quality.approved);
    assert_eq!(kinds(&quality.warnings), [QuestionWarningKind::Jargon]);
    assert_eq!(quality.warnings[0].found, "RPO");
    // Two issues → 0.6 → regenerate.
    let quality = score_question(
        "Don't you think we should use Kafka?",
        &["Kafka".to_owned()],
    );
    assert_eq!(
        kinds(&quality.issues),
        [
            QuestionIssueKind::SolutionBias,
            QuestionIssueKind::Leading,
            QuestionIssueKind::UnmentionedTechnology
        ]
    );
    assert!(!quality.approved);
    // An explained acronym, a known one and a long double question.
    assert!(
        score_question("What recovery point objective (RPO) do you need?", &[])
            .warnings
            .is_empty()
    );
    assert!(
        score_question("Which API must the app call?", &[])
            .warnings
            .is_empty()
    );
    let long = format!("{}? And who?", "word ".repeat(60));
    assert_eq!(
        kinds(&score_question(&long, &[]).warnings),
        [
            QuestionWarningKind::TooLong,
            QuestionWarningKind::DoubleQuestion
        ]
    );
    // Words are matched whole: "unclearly" is not "clearly".
    assert!(score_question("Which parts are unclearly specified today?", &[]).approved);
    assert_eq!(
        score_question("Which parts are unclearly specified today?", &[]).score,
        1.0
    );
}

#[test]
fn gaps_are_categories_with_fewer_than_three_facts() {
    // Digest A4: facts only in goals (3) and requirements (4) → 8 gaps → blocking.
    let report = compute_maturity(
        std::iter::repeat_n((Category::Goals, 0.9), 3)
            .chain(std::iter::repeat_n((Category::Requirements, 0.9), 4)),
    );
    let gaps = coverage_gaps(&report);
    assert_eq!(gaps.len(), 8);
    assert!(gaps_block(&gaps));
    assert_eq!(
        gaps[0].category,
        Category::TechStack,
        "the critical gap first"
    );
    assert_eq!(gaps[0].priority, GapPriority::Critical);
    assert!(gaps.iter().all(|gap| gap.facts == 0));
    let five = compute_maturity(
        [
            Category::Goals,
            Category::Requirements,
            Category::TechStack,
            Category::Security,
            Category::Testing,
        ]
        .into_iter()
        .flat_map(|category| std::iter::repeat_n((category, 0.9), 3)),
    );
    assert_eq!(coverage_gaps(&five).len(), 5);
    assert!(!gaps_block(&coverage_gaps(&five)), "five gaps do not block");
}

#[test]
fn paths_are_costed_by_expected_rework() {
    // Digest A5: two critical gaps → 0.60, one open conflict → 0.80, averaged with the
    // historical 0.5 → 0.65.
    let report = compute_maturity(
        Category::ALL
            .into_iter()
            .filter(|c| !matches!(c, Category::Requirements | Category::TechStack))
            .flat_map(|category| std::iter::repeat_n((category, 1.0), 3)),
    );
    let gaps = coverage_gaps(&report);
    assert_eq!(gaps.len(), 2);
    let analysis = analyse_paths(&gaps, 1, 60.0, 60.0, ProjectPhase::Design);
    let proceed = analysis
        .paths
        .iter()
        .find(|path| path.path == PathKind::ProceedNow)
        .unwrap();
    assert_eq!(proceed.rework_probability, 0.65);
    assert_eq!(proceed.expected_cost, 0.65 * 5_000.0);
    assert_eq!(proceed.risk, Risk::High);
    let thorough = &analysis.paths[0];
    assert_eq!(thorough.path, PathKind::AddressGapsFirst);
    // 800 + 0.05 × 100 = 805.
    assert_eq!(thorough.expected_cost, 805.0);
    assert_eq!(thorough.risk, Risk::Low);
    assert_eq!(analysis.recommended, PathKind::AddressGapsFirst);
    assert_eq!(analysis.cost_difference, 3_250.0 - 805.0);
    // Nothing to address: moving on is the only path.
    let nothing = analyse_paths(&[], 0, 100.0, 100.0, ProjectPhase::Design);
    assert_eq!(nothing.recommended, PathKind::ProceedNow);
    assert_eq!(nothing.paths.len(), 1);
    assert_eq!(nothing.paths[0].expected_cost, 5.0);
    // Six thin categories of lesser weight still make skipping them the dearer path.
    let thin = compute_maturity(
        [
            Category::Requirements,
            Category::TechStack,
            Category::Goals,
            Category::Security,
        ]
        .into_iter()
        .flat_map(|category| std::iter::repeat_n((category, 1.0), category.weight() as usize))
        .chain(
            [
                Category::Scalability,
                Category::Performance,
                Category::Testing,
                Category::Monitoring,
                Category::DataRetention,
                Category::DisasterRecovery,
            ]
            .into_iter()
            .flat_map(|category| std::iter::repeat_n((category, 1.0), 2)),
        ),
    );
    let thin_gaps = coverage_gaps(&thin);
    assert_eq!(thin_gaps.len(), 6);
    let analysis = analyse_paths(&thin_gaps, 0, thin.overall, 60.0, ProjectPhase::Analysis);
    // 4 medium and 2 low gaps: 0.5, averaged with 0.5 → 0.5 × 3 000 = 1 500 against
    // 4 × 150 + 2 × 100 + 5 = 805.
    assert_eq!(analysis.recommended, PathKind::AddressGapsFirst);
    assert_eq!(analysis.paths[1].expected_cost, 1_500.0);
    assert_eq!(analysis.paths[0].expected_cost, 805.0);
    // Far below the target with conflicts, the probability is capped.
    let capped = analyse_paths(&gaps, 9, 0.0, 100.0, ProjectPhase::Implementation);
    assert!(
        capped
            .paths
            .iter()
            .all(|path| path.rework_probability <= 0.99)
    );
}

#[test]
fn words_quoted_from_the_user_are_not_scored() {
    let quality = score_question(
        "You said \"obviously fast, use React\". How long may a typical page take to load?",
        &[],
    );
    assert_eq!(quality.score, 1.0, "{quality:?}");
}
