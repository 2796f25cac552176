//! How the interview picks its questions, through HTTP with the offline reasoner: `/status`
//! names the category `next-question` asks about at every step (a waiting question, a
//! follow-up, a category closed when its bank runs dry or its coverage is full); a question
//! never asks for a key the project holds; a vague answer gets one follow-up asking for the
//! number or the choice; leaving a finished category is announced; and when nothing is left to
//! ask anywhere the interview says so.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::support::{
    TestApp, answer, expect_error, json_of, new_project, new_session, next_question, spawn_app,
    spawn_app_without_rate_limits,
};

/// Precise answers the offline extractor reads, per key.
const PRECISE: &[(&str, &str)] = &[
    (
        "latency_p95_ms",
        "A typical request may take at most 300 ms at the 95th percentile.",
    ),
    ("concurrent_users", "About 400 concurrent users at peak."),
    (
        "total_users",
        "We expect about 20,000 users after the first year.",
    ),
    ("budget_usd", "The budget is $120,000."),
    ("deadline", "We want to launch by end of March 2027."),
    ("primary_database", "The data goes into PostgreSQL."),
    ("programming_language", "The team writes Python."),
    ("availability_target_percent", "Uptime should be 99.9%."),
    ("rpo_minutes", "We can lose at most 15 minutes of data."),
    (
        "rto_minutes",
        "We must be back within 2 hours after an outage.",
    ),
    (
        "throughput_rps",
        "Roughly 150 requests per second at the busiest moment.",
    ),
    ("test_coverage_target_percent", "We want 80% test coverage."),
];

/// Keys answered vaguely the first time, so that a follow-up asks again.
const VAGUE_FIRST: &[(&str, &str)] = &[
    ("latency_p95_ms", "Honestly, it just has to be fast."),
    ("budget_usd", "As cheap as possible."),
    ("concurrent_users", "Lots of users, hopefully."),
    ("primary_database", "The usual, I suppose."),
];

/// Capabilities stated in answers to free-form requirement questions.
const CAPABILITIES: &[&str] = &[
    "Receptionists must be able to book an appointment in under a minute.",
    "Therapists must be able to dictate treatment notes.",
    "Patients must be able to cancel their own appointments online.",
    "Clinic admins must be able to decide which therapists see which patients.",
    "Invoices must be exported to the accounting tool every evening.",
    "Patients must receive a reminder the day before an appointment.",
    "Every change to a patient record must leave an audit trail entry.",
    "Admins must be able to import existing patient lists from spreadsheets.",
    "The calendar must keep working when a tablet briefly loses its connection.",
    "Clinic owners must see a monthly report of booked and cancelled sessions.",
    "Staff must be able to search patients by name or date of birth.",
    "The product must be usable with a keyboard and a screen reader.",
    "Receptionists must be able to move an appointment by dragging it.",
    "Therapists must be able to attach exercise sheets to a treatment plan.",
    "Two receptionists editing the same booking must see a warning.",
    "Patients must be able to pay an invoice by card.",
    "The interface must be available in German and English.",
    "New clinics must be able to sign up and invite their staff themselves.",
    "Admins must be able to deactivate a therapist who leaves the clinic.",
    "Other programs must be able to read the daily schedule of a clinic.",
    "A half-filled booking must be kept as a draft for a day.",
    "Patients must be able to download all their data as a file.",
    "Therapists must be warned before they double-book a treatment room.",
    "Cancellations less than a day ahead must be charged a fee.",
    "Receptionists must be able to print the daily schedule.",
    "Therapists must be able to see a patient's previous treatments.",
    "Clinic admins must be able to change opening hours per weekday.",
    "Patients must be able to choose their preferred therapist.",
];

struct Interview<'a> {
    app: &'a TestApp,
    token: String,
    project: String,
    session: String,
}

impl Interview<'_> {
    async fn status(&self) -> Value {
        let path = format!("/api/v1/projects/{}/status", self.project);
        json_of(self.app.get_authed(&path, &self.token).await, 200).await
    }

    async fn held_keys(&self) -> HashSet<String> {
        let path = format!("/api/v1/specifications/project/{}?limit=100", self.project);
        let page = json_of(self.app.get_authed(&path, &self.token).await, 200).await;
        assert!(page["total"].as_u64().unwrap() <= 100, "{page}");
        page["specifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|fact| fact["key"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn next(&self) -> reqwest::Response {
        let path = format!("/api/v1/sessions/{}/next-question", self.session);
        self.app.post_authed(&path, &self.token, &json!({})).await
    }
}

fn keys_of(question: &Value) -> Vec<String> {
    question["target_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_status_names_the_category_next_question_asks_at_every_step_until_nothing_is_left() {
    // A whole interview takes more requests than one user may send in a minute.
    let app = spawn_app_without_rate_limits().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Clinic").await;
    let session = new_session(&app, &token, &project).await;
    let interview = Interview {
        app: &app,
        token,
        project,
        session,
    };
    let precise: HashMap<&str, &str> = PRECISE.iter().copied().collect();
    let vague_first: HashMap<&str, &str> = VAGUE_FIRST.iter().copied().collect();
    let mut capabilities = CAPABILITIES.iter();
    let mut vague_given: HashMap<String, String> = HashMap::new();
    let mut follow_ups: HashSet<String> = HashSet::new();
    let mut completed: Vec<Value> = Vec::new();
    let mut previous: Option<Value> = None;
    let mut expect_follow_up: Option<(String, String)> = None;
    let mut steps = 0;
    loop {
        steps += 1;
        assert!(steps < 400, "the interview does not end");
        let status = interview.status().await;
        let held = interview.held_keys().await;
        let response = interview.next().await;
        if response.status() == 409 {
            // Nothing is left to ask: the status said so first.
            let refused = expect_error(response, 409, "QUESTIONS_EXHAUSTED").await;
            assert!(
                refused["details"]["maturity_score"].is_number(),
                "{refused}"
            );
            assert_eq!(status["next_category"], Value::Null, "{status}");
            break;
        }
        let question = json_of(response, 200).await;
        assert_eq!(
            status["next_category"], question["category"],
            "step {steps}: the status named another category than the question's: {question}"
        );
        // Asked again, the waiting question is the same one, and the status still names it.
        let again = json_of(interview.next().await, 200).await;
        assert_eq!(again["question_id"], question["question_id"]);
        assert_eq!(again["category_completed"], Value::Null);
        assert_eq!(
            interview.status().await["next_category"],
            question["category"]
        );

        let keys = keys_of(&question);
        assert!(
            keys.iter().all(|key| !held.contains(key)),
            "step {steps}: asks for a key already held: {question} held {held:?}"
        );
        if let Some((key, said)) = expect_follow_up.take() {
            assert_eq!(question["follow_up"], true, "{question}");
            assert_eq!(keys, [key], "{question}");
            let text = question["text"].as_str().unwrap();
            assert!(
                text.starts_with(&format!("You said \"{said}\". ")) && text.ends_with('?'),
                "{text}"
            );
        }
        if question["follow_up"] == true {
            assert!(
                follow_ups.insert(keys[0].clone()),
                "followed up twice: {question}"
            );
        }
        if let Some(done) = question["category_completed"].as_object() {
            let previous = previous.as_ref().unwrap();
            assert_eq!(done["category"], previous["category"], "{question}");
            assert_eq!(done["next_category"], question["category"], "{question}");
            assert_ne!(done["category"], question["category"]);
            assert!(done["message"].as_str().unwrap().contains("moving on to"));
            completed.push(Value::Object(done.clone()));
        }

        let category = question["category"].as_str().unwrap();
        let first_key = keys.first().cloned();
        let text = match (category, first_key.as_deref()) {
            ("requirements", None) => capabilities
                .next()
                .copied()
                .unwrap_or("Nothing more comes to mind."),
            (_, Some(key)) if question["follow_up"] == false && vague_first.contains_key(key) => {
                let said = vague_first[key];
                vague_given.insert(key.to_owned(), said.to_owned());
                said
            }
            (_, Some(key)) if precise.contains_key(key) => precise[key],
            (_, Some(_)) => "Not sure yet.",
            (_, None) => "Nothing to add there.",
        };
        let result = json_of(
            answer(&app, &interview.token, &interview.session, &question, text).await,
            200,
        )
        .await;
        let stated: HashSet<&str> = result["specifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|fact| fact["key"].as_str().unwrap())
            .collect();
        if let Some(key) = first_key.filter(|key| {
            question["follow_up"] == false
                && vague_first.get(key.as_str()) == Some(&text)
                && !stated.contains(key.as_str())
        }) {
            let said = text.trim_end_matches('.').to_owned();
            expect_follow_up = Some((key, said));
        }
        previous = Some(question);
    }

    // Each vaguely answered key got its follow-up, and the precise answer to it was kept.
    let held = interview.held_keys().await;
    for key in vague_given.keys() {
        assert!(follow_ups.contains(key), "no follow-up for {key}");
        assert!(
            held.contains(key),
            "{key} was not stated after the follow-up"
        );
    }
    // Requirements filled up (from answers to all kinds of questions, so not necessarily
    // while the interview was asking about them); categories whose questions ran dry were
    // announced when the interview left them.
    let status = interview.status().await;
    assert_eq!(
        status["coverage_breakdown"]["requirements"], 100.0,
        "{status}"
    );
    let reasons: HashSet<(&str, &str)> = completed
        .iter()
        .map(|done| {
            (
                done["category"].as_str().unwrap(),
                done["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        reasons
            .iter()
            .any(|(_, reason)| *reason == "nothing_left_to_ask"),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn a_vague_answer_is_followed_up_once_and_the_follow_up_waits_like_any_question() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Latency").await;
    // Every category but performance already has facts, so performance is asked first.
    for (category, key, value) in [
        ("goals", "project_type", "web app"),
        (
            "requirements",
            "requirement_book_appointments",
            "Patients book appointments",
        ),
        ("tech_stack", "primary_database", "PostgreSQL"),
        ("scalability", "concurrent_users", "400"),
        ("security", "authentication_method", "OAuth2"),
        ("testing", "test_coverage_target_percent", "80"),
        ("monitoring", "monitoring_tool", "Prometheus"),
        ("data_retention", "retention_period_days", "365"),
        ("disaster_recovery", "rpo_minutes", "15"),
    ] {
        let fact = json!({"project_id": project, "category": category, "key": key, "value": value});
        json_of(
            app.post_authed("/api/v1/specifications", &token, &fact)
                .await,
            201,
        )
        .await;
    }
    let session = new_session(&app, &token, &project).await;
    let first = next_question(&app, &token, &session).await;
    assert_eq!(first["category"], "performance", "{first}");
    assert_eq!(first["follow_up"], false);
    let key = keys_of(&first)[0].clone();

    let vague = "Pretty fast, I guess. Nobody likes waiting.";
    let result = json_of(answer(&app, &token, &session, &first, vague).await, 200).await;
    assert_eq!(result["success"], true);
    let follow_up = next_question(&app, &token, &session).await;
    assert_eq!(follow_up["follow_up"], true, "{follow_up}");
    assert_eq!(follow_up["category"], "performance");
    assert_eq!(follow_up["target_keys"], json!([key]));
    assert!(
        follow_up["text"]
            .as_str()
            .unwrap()
            .starts_with("You said \"Pretty fast, I guess\". "),
        "{follow_up}"
    );
    assert_eq!(follow_up["persona"], first["persona"]);
    // It waits like any question: asked again, it is the same one.
    let again = next_question(&app, &token, &session).await;
    assert_eq!(again["question_id"], follow_up["question_id"]);

    // A vague answer to the follow-up is not followed up again.
    json_of(
        answer(
            &app,
            &token,
            &session,
            &follow_up,
            "Not sure yet, fast enough.",
        )
        .await,
        200,
    )
    .await;
    let next = next_question(&app, &token, &session).await;
    assert_eq!(next["follow_up"], false, "{next}");
    assert_ne!(next["target_keys"], json!([key]), "{next}");

    // A precise answer to a question with keys gets no follow-up.
    let precise_session = new_session(&app, &token, &project).await;
    let asked = next_question(&app, &token, &precise_session).await;
    assert_eq!(asked["follow_up"], false);
    let said = "We expect about 150 requests per second and a p99 under 800 ms.";
    json_of(
        answer(&app, &token, &precise_session, &asked, said).await,
        200,
    )
    .await;
    let after = next_question(&app, &token, &precise_session).await;
    assert_eq!(after["follow_up"], false, "{after}");
}

#[tokio::test]
async fn covering_the_category_just_asked_about_is_announced_with_the_next_question() {
    let app = spawn_app_without_rate_limits().await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Nearly").await;
    // Every category covered by facts stated directly, except tech stack (empty) and
    // requirements (14 of 15).
    let mut facts: Vec<(&str, String)> = (1..=14)
        .map(|n| ("requirements", format!("requirement_capability_{n}")))
        .collect();
    for (category, weight) in [
        ("goals", 10),
        ("scalability", 8),
        ("security", 10),
        ("performance", 8),
        ("testing", 8),
        ("monitoring", 6),
        ("data_retention", 5),
        ("disaster_recovery", 8),
    ] {
        facts.extend((1..=weight).map(|n| (category, format!("{category}_note_{n}"))));
    }
    for (category, key) in facts {
        let fact = json!({"project_id": project, "category": category, "key": key, "value": format!("{key} holds")});
        json_of(
            app.post_authed("/api/v1/specifications", &token, &fact)
                .await,
            201,
        )
        .await;
    }
    let session = new_session(&app, &token, &project).await;
    let status_path = format!("/api/v1/projects/{project}/status");

    // Tech stack first (no facts at all); thirteen languages leave it open at 97.5 %.
    let tech = next_question(&app, &token, &session).await;
    assert_eq!(tech["category"], "tech_stack", "{tech}");
    let languages = "The teams write Python, Java, Kotlin, TypeScript, JavaScript, Ruby, PHP, \
                     Elixir, Scala, C#, C++, Haskell and Clojure.";
    let result = json_of(answer(&app, &token, &session, &tech, languages).await, 200).await;
    assert_eq!(result["coverage_breakdown"]["tech_stack"], 97.5, "{result}");

    // Then requirements, now the open category with the fewest facts for its weight.
    let status = json_of(app.get_authed(&status_path, &token).await, 200).await;
    assert_eq!(status["next_category"], "requirements", "{status}");
    let requirement = next_question(&app, &token, &session).await;
    assert_eq!(requirement["category"], "requirements");
    assert_eq!(requirement["category_completed"], Value::Null);
    let said = "Receptionists must be able to book an appointment from the calendar view. \
                Patients must be able to cancel their own appointments online.";
    let result = json_of(
        answer(&app, &token, &session, &requirement, said).await,
        200,
    )
    .await;
    assert_eq!(
        result["coverage_breakdown"]["requirements"], 100.0,
        "{result}"
    );

    // Requirements is covered: the interview moves on and says so.
    let status = json_of(app.get_authed(&status_path, &token).await, 200).await;
    assert_eq!(status["next_category"], "tech_stack", "{status}");
    let next = next_question(&app, &token, &session).await;
    assert_eq!(next["category"], "tech_stack");
    assert_eq!(
        next["category_completed"],
        json!({
            "category": "requirements",
            "reason": "covered",
            "coverage_percent": 100.0,
            "next_category": "tech_stack",
            "message": "Requirements is complete (coverage 100 %); moving on to tech stack.",
        }),
        "{next}"
    );
    // Asked again, the waiting question no longer announces anything.
    let again = next_question(&app, &token, &session).await;
    assert_eq!(again["question_id"], next["question_id"]);
    assert_eq!(again["category_completed"], Value::Null);
}
