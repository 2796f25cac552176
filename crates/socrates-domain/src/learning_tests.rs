use super::*;

fn stats(template: &str, category: Category, role: &str) -> TemplateStats {
    TemplateStats {
        template_id: template.to_owned(),
        category: Some(category),
        role: role.to_owned(),
        times_asked: 0,
        times_answered: 0,
        times_answered_well: 0,
        facts_yielded: 0,
        conflicts_raised: 0,
        answer_chars_total: 0,
        answer_seconds_total: 0,
    }
}

#[test]
fn an_answer_is_good_when_it_gives_the_facts_its_question_aims_at() {
    assert!((answer_quality(1, 1) - 1.0).abs() < 1e-9);
    assert!((answer_quality(1, 3) - 0.5).abs() < 1e-9);
    assert!((answer_quality(2, 3) - 1.0).abs() < 1e-9);
    assert!((answer_quality(5, 0) - 1.0).abs() < 1e-9);
    assert!(answer_quality(0, 2).abs() < 1e-9);
    assert!(answered_well(1, answer_quality(1, 1)));
    assert!(!answered_well(1, answer_quality(1, 3)));
    assert!(!answered_well(0, 1.0));
}

#[test]
fn effectiveness_is_good_answers_per_ask_and_neutral_before_the_first() {
    // Digest A6: a first ask answered well is 1.0; a second answered with nothing is 0.5.
    let mut s = stats("goals.001", Category::Goals, "pm");
    assert!((s.effectiveness() - 0.5).abs() < 1e-9);
    s.times_asked = 1;
    s.times_answered_well = 1;
    assert!((s.effectiveness() - 1.0).abs() < 1e-9);
    s.times_asked = 2;
    assert!((s.effectiveness() - 0.5).abs() < 1e-9);
}

#[test]
fn preference_is_neutral_without_data_and_falls_behind_after_a_poor_answer() {
    let none = Tally::default();
    assert!((preference(none, none) - 0.5).abs() < 1e-9);
    let poor = preference(
        Tally {
            answered: 1,
            well: 0,
        },
        none,
    );
    assert!((poor - 1.0 / 3.0).abs() < 1e-9, "{poor}");
    let good = preference(
        Tally {
            answered: 1,
            well: 1,
        },
        none,
    );
    assert!((good - 2.0 / 3.0).abs() < 1e-9, "{good}");
    // Digest 6d: five good answers of five beat an unseen template.
    assert!(
        preference(
            Tally {
                answered: 5,
                well: 5
            },
            none
        ) > preference(none, none)
    );
    // People like the user moved the prior: an unseen template that their cohort answers
    // poorly falls behind one they answer well.
    let cohort_poor = preference(
        none,
        Tally {
            answered: 8,
            well: 0,
        },
    );
    let cohort_good = preference(
        none,
        Tally {
            answered: 8,
            well: 8,
        },
    );
    assert!((cohort_poor - 0.1).abs() < 1e-9, "{cohort_poor}");
    assert!((cohort_good - 0.9).abs() < 1e-9, "{cohort_good}");
    // More good answers than asks (counted before a restore) never lift it over 1.
    assert!(
        preference(
            Tally {
                answered: 1,
                well: 9
            },
            Tally {
                answered: 0,
                well: 4
            }
        ) <= 1.0
    );
}

#[test]
fn no_pattern_is_learned_before_the_first_answer() {
    let mut s = stats("goals.001", Category::Goals, "pm");
    s.times_asked = 3;
    assert!(learn_patterns(&[s]).is_empty());
}

#[test]
fn patterns_read_length_detail_pace_and_categories() {
    let mut goals = stats("goals.001", Category::Goals, "pm");
    goals.times_asked = 2;
    goals.times_answered = 2;
    goals.times_answered_well = 2;
    goals.facts_yielded = 6;
    goals.answer_chars_total = 900;
    goals.answer_seconds_total = 400;
    let mut security = stats("security.001", Category::Security, "backend");
    security.times_asked = 3;
    security.times_answered = 1;
    security.answer_chars_total = 20;
    security.answer_seconds_total = 20;
    let patterns = learn_patterns(&[goals, security]);
    let kinds: Vec<PatternType> = patterns.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, PatternType::ALL.to_vec());
    // 3 answers: 920 / 3 = 306.67 characters, 2 facts each, 140 s each.
    assert_eq!(patterns[0].label, Some("detailed"));
    assert_eq!(
        patterns[0].data,
        PatternData::CommunicationStyle {
            style: CommunicationStyle::Detailed,
            mean_answer_chars: 306.67,
            answers: 3
        }
    );
    assert_eq!(patterns[1].label, Some("moderate"));
    assert_eq!(patterns[3].label, Some("steady"));
    assert!((patterns[0].confidence - 3.0 / 8.0).abs() < 1e-9);
    match &patterns[2].data {
        PatternData::CategoryStrengths {
            strong,
            weak,
            skipped,
            per_category,
        } => {
            assert_eq!(strong, &[Category::Goals]);
            assert!(weak.is_empty());
            assert_eq!(skipped, &[Category::Security]);
            assert_eq!(per_category[&Category::Security].asked, 3);
        }
        other => panic!("not category strengths: {other:?}"),
    }
}

#[test]
fn pattern_data_is_stored_as_plain_json_and_read_back() {
    let data = PatternData::Pace {
        pace: Pace::Quick,
        mean_seconds_per_answer: 12.5,
        answers: 4,
    };
    let json = serde_json::to_value(&data).expect("serialises");
    assert_eq!(
        json,
        serde_json::json!({"pace": "quick", "mean_seconds_per_answer": 12.5, "answers": 4})
    );
    let back: PatternData = serde_json::from_value(json).expect("reads back");
    assert_eq!(back, data);
}

#[test]
fn preferred_roles_are_the_three_best_by_mean_effectiveness() {
    let mut rows = Vec::new();
    for (template, role, asked, well) in [
        ("goals.001", "pm", 2, 2),
        ("goals.002", "pm", 2, 1),
        ("ux.001", "ux", 3, 0),
        ("tech.001", "backend", 1, 1),
        ("ops.001", "devops", 2, 1),
        ("never.001", "dba", 0, 0),
    ] {
        let mut s = stats(template, Category::Goals, role);
        s.times_asked = asked;
        s.times_answered_well = well;
        rows.push(s);
    }
    assert_eq!(
        preferred_roles(&rows),
        [Persona::Backend, Persona::Pm, Persona::Devops]
    );
}
