use std::collections::HashSet;

use socrates_domain::FactSource;

use super::*;

fn data() -> &'static OfflineData {
    static DATA: std::sync::OnceLock<OfflineData> = std::sync::OnceLock::new();
    DATA.get_or_init(|| OfflineData::builtin().expect("built-in data is valid"))
}

fn input(text: &str) -> ExtractionInput {
    ExtractionInput {
        question_text: None,
        question_category: None,
        text: text.to_owned(),
        existing: Vec::new(),
        source: FactSource::SocraticQuestion,
    }
}

fn pairs(text: &str) -> Vec<(String, String)> {
    extract(data(), &input(text))
        .into_iter()
        .map(|f| (f.key, f.value))
        .collect()
}

fn value_of(facts: &[(String, String)], key: &str) -> Option<String> {
    facts.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

#[test]
fn seed_answer_yields_framework_and_project_type_only() {
    let facts = extract(data(), &input("I want to build a web app with FastAPI"));
    let keys: Vec<(&str, &str)> = facts
        .iter()
        .map(|f| (f.key.as_str(), f.value.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("backend_framework", "FastAPI"),
            ("project_type", "web app")
        ]
    );
    assert!(facts.iter().all(|f| f.confidence == EXPLICIT_CONFIDENCE));
    assert_eq!(facts[0].category, Category::TechStack);
    assert_eq!(facts[1].category, Category::Goals);
}

#[test]
fn technologies_fill_their_keys() {
    let facts = pairs("We'll use Postgres 16 and Redis, deploy on AWS with Kubernetes.");
    assert_eq!(
        value_of(&facts, "primary_database").as_deref(),
        Some("PostgreSQL")
    );
    assert_eq!(value_of(&facts, "cache").as_deref(), Some("Redis"));
    assert_eq!(value_of(&facts, "cloud_provider").as_deref(), Some("AWS"));
    assert_eq!(
        value_of(&facts, "container_platform").as_deref(),
        Some("Kubernetes")
    );
    assert_eq!(facts.len(), 4);
}

#[test]
fn quantities_fill_numeric_keys() {
    let facts =
        pairs("p95 latency under 200 ms, 10k concurrent users, 99.9% uptime, keep data 90 days");
    assert_eq!(
        value_of(&facts, "latency_p95_ms").as_deref(),
        Some("200 ms")
    );
    assert_eq!(
        value_of(&facts, "concurrent_users").as_deref(),
        Some("10000")
    );
    assert_eq!(
        value_of(&facts, "availability_target_percent").as_deref(),
        Some("99.9 %")
    );
    assert_eq!(
        value_of(&facts, "retention_period_days").as_deref(),
        Some("90 days")
    );
    assert_eq!(facts.len(), 4);
}

#[test]
fn more_quantities() {
    let facts = pairs(
        "We need an RPO of 15 minutes and recovery within 1 hour. Budget is $50k. \
         Expect 1.5M requests/day and 80% test coverage. 20,000 users in total.",
    );
    assert_eq!(
        value_of(&facts, "rpo_minutes").as_deref(),
        Some("15 minutes")
    );
    assert_eq!(
        value_of(&facts, "rto_minutes").as_deref(),
        Some("60 minutes")
    );
    assert_eq!(value_of(&facts, "budget_usd").as_deref(), Some("50000 USD"));
    assert_eq!(
        value_of(&facts, "throughput_rps").as_deref(),
        Some("17.36 requests/s")
    );
    assert_eq!(
        value_of(&facts, "test_coverage_target_percent").as_deref(),
        Some("80 %")
    );
    assert_eq!(value_of(&facts, "total_users").as_deref(), Some("20000"));
}

#[test]
fn hedged_statements_get_lower_confidence() {
    let facts = extract(data(), &input("Maybe MongoDB. The frontend is React."));
    assert_eq!(facts.len(), 2);
    assert_eq!(facts[0].confidence, HEDGED_CONFIDENCE);
    assert_eq!(facts[1].confidence, EXPLICIT_CONFIDENCE);
}

#[test]
fn requirement_sentences_become_requirement_facts() {
    let facts = extract(
        data(),
        &input("Users must be able to export reports as PDF. It is nice."),
    );
    assert_eq!(facts.len(), 1);
    assert_eq!(facts[0].category, Category::Requirements);
    assert_eq!(facts[0].key, "requirement_users_able_export_reports_as_pdf");
    assert_eq!(
        facts[0].value,
        "Users must be able to export reports as PDF"
    );
}

#[test]
fn nothing_is_invented() {
    assert!(pairs("I am not sure yet, let us talk about it later.").is_empty());
    assert!(pairs("We will not use MongoDB.").is_empty());
    assert!(pairs("We go live soon and have 3 developers.").is_empty());
}

#[test]
fn an_undecided_answer_to_a_question_is_no_value_of_its_key() {
    for text in [
        "hmm, not sure yet",
        "No idea at this point.",
        "We don't know yet, honestly.",
    ] {
        let mut answer = input(text);
        answer.question_text = Some(
            "What kind of product are you building, and who will use it day to day?".to_owned(),
        );
        answer.question_category = Some(Category::Goals);
        assert!(extract(data(), &answer).is_empty(), "{text}");
    }
}

#[test]
fn question_text_gives_context_to_bare_numbers() {
    let mut answer = input("About 15 minutes.");
    answer.question_text =
        Some("How much recent data could you afford to lose after a failure?".to_owned());
    let facts = extract(data(), &answer);
    assert_eq!(facts.len(), 1);
    assert_eq!(
        (facts[0].key.as_str(), facts[0].value.as_str()),
        ("rpo_minutes", "15 minutes")
    );
}

#[test]
fn decisive_phrases_feed_the_exclusion_rules() {
    let facts = pairs("It runs on a single server, in-memory only.");
    assert_eq!(
        value_of(&facts, "deployment_topology").as_deref(),
        Some("single server")
    );
    assert!(value_of(&facts, "data_persistence").is_some());
}

#[test]
fn a_long_answer_yields_facts_in_several_categories() {
    let text = "We are building a SaaS platform for clinics. The backend is Django on Python, \
        with PostgreSQL and RabbitMQ for background jobs, hosted on Azure. Doctors sign in \
        with SAML and we must comply with HIPAA. Pages should load in under 2 seconds and \
        we expect about 3,000 concurrent users. Records are kept for 7 years, we run nightly \
        backups and need 99.95% availability. We'll monitor with Prometheus and Grafana and \
        aim for 85% test coverage with pytest.";
    let facts = extract(data(), &input(text));
    let categories: HashSet<Category> = facts.iter().map(|f| f.category).collect();
    assert!(categories.len() >= 8, "{categories:?}");
    let pairs: Vec<(String, String)> = facts
        .iter()
        .map(|f| (f.key.clone(), f.value.clone()))
        .collect();
    for (key, value) in [
        ("project_type", "SaaS platform"),
        ("backend_framework", "Django"),
        ("programming_language", "Python"),
        ("primary_database", "PostgreSQL"),
        ("message_queue", "RabbitMQ"),
        ("cloud_provider", "Azure"),
        ("authentication_method", "SAML"),
        ("compliance_standard", "HIPAA"),
        ("latency_p95_ms", "2000 ms"),
        ("concurrent_users", "3000"),
        ("retention_period_days", "2555 days"),
        ("backup_frequency", "daily"),
        ("availability_target_percent", "99.95 %"),
        ("monitoring_tool", "Prometheus"),
        ("test_coverage_target_percent", "85 %"),
        ("testing_framework", "pytest"),
    ] {
        assert_eq!(value_of(&pairs, key).as_deref(), Some(value), "{key}");
    }
}

#[test]
fn extracted_keys_and_values_are_valid_and_odd_input_is_safe() {
    let texts = [
        "Benutzer müssen Berichte exportieren können. Ünïcödé İİİ 5İİİİ users!",
        "...;;;!!!",
        "We need to support 12 languages, and it has to be accessible.",
        "Latency p99 of 1.2 s; p95 of 300ms. RTO 4 hours, RPO 15m RPO.",
    ];
    for text in texts {
        for fact in extract(data(), &input(text)) {
            assert!(
                socrates_domain::FactKey::parse(&fact.key).is_ok(),
                "{}",
                fact.key
            );
            assert!(
                socrates_domain::FactValue::parse(&fact.value).is_ok(),
                "{}",
                fact.value
            );
            assert!((0.0..=1.0).contains(&fact.confidence));
        }
    }
    let facts = pairs(texts[3]);
    assert_eq!(
        value_of(&facts, "latency_p99_ms").as_deref(),
        Some("1200 ms")
    );
    assert_eq!(
        value_of(&facts, "latency_p95_ms").as_deref(),
        Some("300 ms")
    );
    assert_eq!(
        value_of(&facts, "rto_minutes").as_deref(),
        Some("240 minutes")
    );
    assert_eq!(
        value_of(&facts, "rpo_minutes").as_deref(),
        Some("15 minutes")
    );
}

#[test]
fn clauses_about_the_old_system_or_undecided_options_state_nothing() {
    let facts = pairs("We're on MySQL today, but the new system will use PostgreSQL.");
    assert_eq!(
        facts,
        [("primary_database".to_owned(), "PostgreSQL".to_owned())]
    );
    assert!(pairs("What would you recommend, Kafka or RabbitMQ?").is_empty());
    assert!(
        pairs("Haven't decided yet. Could be Azure, could be GCP.")
            .iter()
            .all(|(key, _)| key != "cloud_provider")
    );
    let facts = pairs("We tried New Relic years ago but dropped it. Datadog for everything.");
    assert_eq!(
        value_of(&facts, "monitoring_tool").as_deref(),
        Some("Datadog")
    );
    assert_eq!(
        facts.iter().filter(|(k, _)| k == "monitoring_tool").count(),
        1
    );
    let facts = pairs("The old target was two seconds. For the new one we want p95 under 500 ms.");
    assert_eq!(
        value_of(&facts, "latency_p95_ms").as_deref(),
        Some("500 ms")
    );
}

#[test]
fn goals_stated_in_prose_are_read() {
    let facts = pairs("It's a mobile app for dog walkers to find clients in their neighbourhood.");
    assert_eq!(
        value_of(&facts, "target_audience").as_deref(),
        Some("dog walkers")
    );
    assert_eq!(
        value_of(&facts, "project_goal").as_deref(),
        Some("find clients in their neighbourhood")
    );
    let facts = pairs("If support tickets about billing drop by half, I'd call it a win.");
    assert_eq!(
        value_of(&facts, "success_metric").as_deref(),
        Some("support tickets about billing drop by half")
    );
    let facts = pairs("We want an MVP live by end of October 2026.");
    assert_eq!(
        value_of(&facts, "deadline").as_deref(),
        Some("end of October 2026")
    );
}

#[test]
fn requirement_clauses_each_become_a_requirement() {
    let facts = extract(
        data(),
        &input(
            "Customers can track their parcel in real time, and dispatchers can reassign a \
             delivery with one click.",
        ),
    );
    let requirements: Vec<&str> = facts
        .iter()
        .filter(|f| f.category == Category::Requirements)
        .map(|f| f.value.as_str())
        .collect();
    assert_eq!(
        requirements,
        [
            "Customers can track their parcel in real time",
            "dispatchers can reassign a delivery with one click"
        ]
    );
}

#[test]
fn numbers_in_words_and_lowercase_versioned_names_are_read() {
    let facts = pairs("pg 15 on RDS. We can lose at most five minutes of data.");
    assert_eq!(
        value_of(&facts, "primary_database").as_deref(),
        Some("PostgreSQL")
    );
    assert_eq!(
        value_of(&facts, "rpo_minutes").as_deref(),
        Some("5 minutes")
    );
    let facts = pairs("We have a budget of 40k, and need to be live by 2027.");
    assert_eq!(value_of(&facts, "budget_usd").as_deref(), Some("40000 USD"));
    assert_eq!(facts.iter().filter(|(k, _)| k == "budget_usd").count(), 1);
}

#[test]
fn a_product_kind_ruled_out_is_not_the_project_type() {
    let types = |text: &str| -> Vec<String> {
        extract(data(), &input(text))
            .into_iter()
            .filter(|fact| fact.key == "project_type")
            .map(|fact| fact.value)
            .collect()
    };
    assert_eq!(
        types("No mobile app for now, a web app is fine."),
        ["web app"]
    );
    assert_eq!(
        types("The patient mobile app is out of scope; staff use a web app."),
        ["web app"]
    );
    assert_eq!(types("We are building a mobile app."), ["mobile app"]);
}

#[test]
fn a_list_of_verbs_is_one_requirement_per_verb() {
    assert_eq!(
        split_coordinated("patients can book, move or cancel appointments online"),
        [
            "patients can book appointments online",
            "patients can move appointments online",
            "patients can cancel appointments online"
        ]
    );
    assert_eq!(
        split_coordinated("patients able to book online, and to move or cancel their appointment"),
        [
            "patients able to book online",
            "to move their appointment",
            "to cancel their appointment"
        ]
    );
    // Adjectives after "be", names and a list with nothing after it stay whole.
    for whole in [
        "it needs to be fast and reliable",
        "we want to use Stripe and Xero",
        "staff can read and write",
    ] {
        assert_eq!(split_coordinated(whole), [whole]);
    }
}

#[test]
fn today_s_rate_is_no_clause_about_today_s_system() {
    let facts = pairs(
        "The agency is American, but they quote in dollars - that's roughly $57,000 at today's \
         rate, so that's our budget.",
    );
    assert!(
        facts.contains(&("budget_usd".to_owned(), "57000 USD".to_owned())),
        "{facts:?}"
    );
}

#[test]
fn a_count_of_clinics_is_no_count_of_people() {
    let facts = pairs("A website for our 12 physio clinics. About 400 patients a week now.");
    assert!(
        facts.contains(&("total_users".to_owned(), "400".to_owned())),
        "{facts:?}"
    );
    assert!(!facts.contains(&("total_users".to_owned(), "12".to_owned())));
}

#[test]
fn a_doubt_about_one_figure_leaves_the_rest_of_the_sentence_decided() {
    let facts = pairs(
        "The budget is $45k but could be €50k, the deadline is end of June 2027, Postgres on AWS.",
    );
    assert!(
        facts.contains(&("primary_database".to_owned(), "PostgreSQL".to_owned())),
        "{facts:?}"
    );
    assert!(facts.contains(&("cloud_provider".to_owned(), "AWS".to_owned())));
    assert!(pairs("Not sure, Kafka or RabbitMQ.").is_empty());
}

#[test]
fn an_app_for_now_names_no_audience() {
    for text in [
        "No mobile app for now, maybe next year.",
        "A simple web app for the time being.",
        "We'd like an app for free.",
    ] {
        let facts = pairs(text);
        assert!(
            !facts.iter().any(|(key, _)| key == "target_audience"),
            "{text}: {facts:?}"
        );
    }
    let facts = pairs("A booking app for physio patients to book appointments online.");
    assert!(
        facts.contains(&("target_audience".to_owned(), "physio patients".to_owned())),
        "{facts:?}"
    );
}
