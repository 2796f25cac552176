use super::*;

fn knowledge() -> &'static Knowledge {
    static KNOWLEDGE: std::sync::OnceLock<Knowledge> = std::sync::OnceLock::new();
    KNOWLEDGE.get_or_init(|| Knowledge::builtin().expect("built-in knowledge is valid"))
}

fn draft(category: Category, key: &str, value: &str) -> FactDraft {
    FactDraft {
        category,
        key: key.to_owned(),
        value: value.to_owned(),
        confidence: 0.9,
        reasoning: None,
    }
}

fn fact(category: Category, key: &str, value: &str) -> ExistingFact {
    ExistingFact {
        id: Some(Uuid::nil()),
        category,
        key: key.to_owned(),
        value: value.to_owned(),
        confidence: 0.9,
    }
}

fn conflicts(new: FactDraft, old: ExistingFact) -> Vec<ConflictFinding> {
    knowledge().detect_conflicts(&[new], &[old])
}

#[test]
fn postgres_spellings_normalise_equal_and_do_not_conflict() {
    let key = "primary_database";
    for value in ["Postgres", "PostgreSQL 16", "postgresql", "pg"] {
        assert_eq!(
            knowledge().normalise_value(key, value),
            "postgresql",
            "{value}"
        );
    }
    let found = conflicts(
        draft(Category::TechStack, key, "PostgreSQL 16"),
        fact(Category::TechStack, key, "postgresql"),
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn different_databases_are_a_high_technology_conflict_naming_both() {
    let found = conflicts(
        draft(Category::TechStack, "primary_database", "MongoDB"),
        fact(Category::TechStack, "primary_database", "PostgreSQL"),
    );
    assert_eq!(found.len(), 1);
    let finding = &found[0];
    assert_eq!(finding.rule_id, RULE_SAME_KEY);
    assert_eq!(finding.conflict_type, ConflictType::Technology);
    assert_eq!(finding.severity, ConflictSeverity::High);
    assert!(finding.description.contains("PostgreSQL"));
    assert!(finding.description.contains("MongoDB"));
    assert_eq!(finding.existing.id, Some(Uuid::nil()));
}

#[test]
fn non_pivotal_and_non_tech_keys_are_medium_requirement_conflicts() {
    let found = conflicts(
        draft(Category::TechStack, "cache", "Memcached"),
        fact(Category::TechStack, "cache", "Redis"),
    );
    assert_eq!(found[0].severity, ConflictSeverity::Medium);
    let found = conflicts(
        draft(Category::DisasterRecovery, "backup_frequency", "weekly"),
        fact(Category::DisasterRecovery, "backup_frequency", "daily"),
    );
    assert_eq!(found[0].conflict_type, ConflictType::Requirement);
    // Multi-valued keys accumulate: a second authentication method is an addition.
    assert!(
        conflicts(
            draft(Category::Security, "authentication_method", "SAML"),
            fact(Category::Security, "authentication_method", "JWT"),
        )
        .is_empty()
    );
}

#[test]
fn latency_of_200_ms_contradicts_2_s_but_not_0_2_s() {
    let key = "latency_p95_ms";
    let found = conflicts(
        draft(Category::Performance, key, "2 s"),
        fact(Category::Performance, key, "200 ms"),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule_id, RULE_NUMERIC);
    assert_eq!(found[0].conflict_type, ConflictType::Requirement);
    assert!(found[0].description.contains("200 ms") && found[0].description.contains("2 s"));
    assert!(
        conflicts(
            draft(Category::Performance, key, "0.2 s"),
            fact(Category::Performance, key, "200 ms")
        )
        .is_empty()
    );
    assert!(
        conflicts(
            draft(Category::Performance, key, "220 ms"),
            fact(Category::Performance, key, "200")
        )
        .is_empty()
    );
}

#[test]
fn numeric_values_normalise_to_the_key_unit() {
    assert_eq!(
        knowledge().normalise_value("latency_p95_ms", "2 s"),
        "2000 ms"
    );
    assert_eq!(
        knowledge().normalise_value("retention_period_days", "1 year"),
        "365 days"
    );
    assert_eq!(
        knowledge().normalise_value("rpo_minutes", "1 hour"),
        "60 minutes"
    );
    assert_eq!(
        knowledge().normalise_value("availability_target_percent", "99.9%"),
        "99.9 %"
    );
    assert_eq!(
        knowledge().normalise_value("budget_usd", "$50k"),
        "50000 usd"
    );
    assert_eq!(
        knowledge().normalise_value("concurrent_users", "10k users"),
        "10000"
    );
    assert_eq!(
        knowledge().normalise_value("project_type", "  Web   App. "),
        "web app"
    );
}

#[test]
fn seven_year_legal_retention_contradicts_30_days() {
    let key = "retention_period_days";
    let found = conflicts(
        draft(Category::DataRetention, key, "7 years"),
        fact(Category::DataRetention, key, "30 days"),
    );
    assert_eq!(found.len(), 1);
}

#[test]
fn sqlite_cannot_serve_ten_thousand_concurrent_writers() {
    let found = conflicts(
        draft(
            Category::Scalability,
            "concurrent_writers",
            "10 000 concurrent writers",
        ),
        fact(Category::TechStack, "primary_database", "SQLite"),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule_id, "sqlite_vs_high_concurrency");
    assert_eq!(found[0].conflict_type, ConflictType::Technology);
    assert_eq!(found[0].severity, ConflictSeverity::High);
    assert!(found[0].description.contains("SQLite"));
    assert!(found[0].description.contains("10 000 concurrent writers"));

    let reversed = conflicts(
        draft(Category::TechStack, "primary_database", "sqlite3"),
        fact(Category::Scalability, "concurrent_users", "5000"),
    );
    assert_eq!(reversed.len(), 1);
    let small = conflicts(
        draft(Category::TechStack, "primary_database", "SQLite"),
        fact(Category::Scalability, "concurrent_writers", "5"),
    );
    assert!(small.is_empty());
}

#[test]
fn no_persistence_contradicts_retention() {
    let found = conflicts(
        draft(Category::DataRetention, "retention_period_days", "90 days"),
        fact(
            Category::DataRetention,
            "data_persistence",
            "In-memory only, nothing stored",
        ),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule_id, "no_persistence_vs_retention");
    assert_eq!(found[0].severity, ConflictSeverity::High);
}

#[test]
fn single_server_contradicts_four_nines() {
    let found = conflicts(
        draft(
            Category::TechStack,
            "deployment_topology",
            "a single server",
        ),
        fact(
            Category::DisasterRecovery,
            "availability_target_percent",
            "99.99 %",
        ),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].conflict_type, ConflictType::Resource);
    assert_eq!(found[0].severity, ConflictSeverity::Medium);
    let relaxed = conflicts(
        draft(
            Category::TechStack,
            "deployment_topology",
            "a single server",
        ),
        fact(
            Category::DisasterRecovery,
            "availability_target_percent",
            "99.5 %",
        ),
    );
    assert!(relaxed.is_empty());
}

#[test]
fn no_authentication_contradicts_sso() {
    let found = conflicts(
        draft(Category::Security, "authentication_method", "SSO"),
        fact(
            Category::Requirements,
            "requirement_public_access",
            "No login, anonymous access",
        ),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule_id, "no_authentication_vs_sso");
}

#[test]
fn clarification_that_normalises_equal_is_not_a_conflict() {
    let cases = [
        ("backend_framework", "FastAPI", "fastapi"),
        ("cloud_provider", "Amazon Web Services", "AWS"),
        ("container_platform", "k8s", "Kubernetes"),
        ("availability_target_percent", "99.9 percent", "99.9%"),
        ("project_type", "Web app", "web app."),
    ];
    for (key, old, new) in cases {
        let found = conflicts(
            draft(Category::TechStack, key, new),
            fact(Category::TechStack, key, old),
        );
        assert!(found.is_empty(), "{key}: {old} vs {new}: {found:?}");
    }
}

#[test]
fn unrelated_facts_do_not_conflict() {
    let found = knowledge().detect_conflicts(
        &[draft(Category::TechStack, "cache", "Redis")],
        &[
            fact(Category::TechStack, "primary_database", "PostgreSQL"),
            fact(Category::Performance, "latency_p95_ms", "200 ms"),
        ],
    );
    assert!(found.is_empty());
}

#[test]
fn text_refinements_and_equivalent_values_are_not_conflicts() {
    let key = "backup_frequency";
    for (old, new) in [
        ("daily", "every night"),
        ("daily", "daily at 02:00"),
        ("RBAC", "role-based access control"),
    ] {
        let key = if old == "RBAC" {
            "authorization_model"
        } else {
            key
        };
        let category = if old == "RBAC" {
            Category::Security
        } else {
            Category::DisasterRecovery
        };
        let found = conflicts(draft(category, key, new), fact(category, key, old));
        assert!(found.is_empty(), "{old} vs {new}: {found:?}");
    }
    let found = conflicts(
        draft(Category::DisasterRecovery, key, "weekly"),
        fact(Category::DisasterRecovery, key, "daily"),
    );
    assert_eq!(found.len(), 1);
}

#[test]
fn contradictions_inside_one_answer_are_found() {
    let found = knowledge().detect_conflicts_within(&[
        draft(Category::TechStack, "primary_database", "PostgreSQL"),
        draft(Category::TechStack, "programming_language", "Python"),
        draft(Category::TechStack, "programming_language", "TypeScript"),
        draft(Category::TechStack, "primary_database", "MySQL"),
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].existing.value, "PostgreSQL");
    assert_eq!(found[0].new.value, "MySQL");
    assert_eq!(found[0].existing.id, None);
}

#[test]
fn a_more_specific_text_refines_a_vaguer_one() {
    let k = knowledge();
    assert!(k.refines(
        "target_audience",
        "dog walkers",
        "professional dog walkers in cities"
    ));
    assert!(!k.refines("target_audience", "professional dog walkers", "dog walkers"));
    assert!(!k.refines("target_audience", "dog walkers", "Dog Walkers."));
    assert!(!k.refines("primary_database", "PostgreSQL", "PostgreSQL on RDS"));
}

#[test]
fn amounts_and_rates_compare_over_the_same_period() {
    let knowledge = knowledge();
    let pair = |key: &str, old: &str, new: &str| {
        knowledge.detect_conflicts(
            &[FactDraft {
                category: knowledge.vocabulary().get(key).unwrap().category,
                key: key.to_owned(),
                value: new.to_owned(),
                confidence: 0.9,
                reasoning: None,
            }],
            &[ExistingFact {
                id: None,
                category: knowledge.vocabulary().get(key).unwrap().category,
                key: key.to_owned(),
                value: old.to_owned(),
                confidence: 0.9,
            }],
        )
    };
    assert!(pair("budget_usd", "$25k/month", "$300k per year").is_empty());
    // A rate read per second is not divided by its period again.
    assert!(
        pair(
            "throughput_rps",
            "500 requests/s",
            "30,000 requests per minute"
        )
        .is_empty()
    );
    assert!(
        !pair(
            "throughput_rps",
            "50 requests/s",
            "30,000 requests per minute"
        )
        .is_empty()
    );
    assert!(pair("budget_usd", "$6k/month", "$6,000 per month").is_empty());
    assert!(!pair("budget_usd", "$6k/month", "$6,000 per year").is_empty());
    assert!(pair("throughput_rps", "300 per minute", "5 rps").is_empty());
    // Availability compares the downtime each allows.
    assert!(!pair("availability_target_percent", "99.5%", "99.95%").is_empty());
    assert!(pair("availability_target_percent", "99.9%", "99.9 %").is_empty());
}

#[test]
fn a_lesser_key_above_its_greater_one_is_a_conflict() {
    let knowledge = knowledge();
    let draft = |key: &str, value: &str| FactDraft {
        category: knowledge.vocabulary().get(key).unwrap().category,
        key: key.to_owned(),
        value: value.to_owned(),
        confidence: 0.9,
        reasoning: None,
    };
    let p95 = draft("latency_p95_ms", "2 s").as_existing();
    assert!(
        !knowledge
            .detect_conflicts(
                &[draft("latency_p99_ms", "1 s")],
                std::slice::from_ref(&p95)
            )
            .is_empty()
    );
    assert!(
        knowledge
            .detect_conflicts(&[draft("latency_p99_ms", "3 s")], &[p95])
            .is_empty()
    );
    let total = draft("total_users", "180").as_existing();
    assert!(
        !knowledge
            .detect_conflicts(
                &[draft("concurrent_users", "400")],
                std::slice::from_ref(&total)
            )
            .is_empty()
    );
    assert!(
        knowledge
            .detect_conflicts(&[draft("concurrent_users", "40")], &[total])
            .is_empty()
    );
}
