//! The offline reasoner's hot paths: extracting facts from a 2 000-character answer and
//! choosing the next question. Target (issue 4): each under 1 ms on the CI machine.
//! `cargo xtask bench-reasoner` runs this and fails when a mean exceeds the target.

#![allow(clippy::expect_used, reason = "a benchmark fails loudly on bad set-up")]

use std::collections::HashSet;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use socrates_domain::{Category, ExistingFact, FactSource, compute_maturity};
use socrates_reasoner::offline::InterviewPlan;
use socrates_reasoner::offline::extraction::extract;
use socrates_reasoner::{ExtractionInput, OfflineReasoner, QuestionContext};

/// A long answer about a real system, touching every category.
const ANSWER: &str = "We're building a SaaS platform for physiotherapy clinics to handle \
appointment booking, treatment notes and invoicing in one place. Our customers are small \
clinics with 3 to 15 therapists. The backend will be Django on Python, the frontend React, \
and data goes into PostgreSQL 16 with Redis in front of it for sessions. Everything runs on \
AWS in Frankfurt, deployed with Kubernetes across three availability zones. GDPR applies, and \
since a few clinics bill US insurers, HIPAA too; patient data has to be encrypted at rest and \
in transit. Logins go through OpenID Connect with MFA for clinic admins. Clinics must be able \
to send SMS reminders before appointments. We expect about 20,000 users after the first year \
and up to 400 concurrent users at peak, with roughly 150 requests per second. Pages should \
load with a p95 under 300 ms and a p99 under 1 s. We can lose at most 15 minutes of data and \
must be back within 2 hours after an outage; uptime should be 99.9%. Backups run every night \
and are kept for 35 days, while treatment records must be kept for 10 years. When a clinic \
leaves, we have to delete their personal data within 30 days. Monitoring is Prometheus and \
Grafana, logs go to Loki, and alerts reach the on-call person via PagerDuty. We test with \
pytest and Playwright and want 80% coverage. The budget is $120,000 and we want to launch by \
end of March 2027. We tried MongoDB years ago but dropped it. Reception staff spend most of \
the day in the calendar view, so it has to feel fast even on the old laptops some clinics use, \
and the schedule must keep working when a therapist's tablet briefly loses its connection. \
Therapists should be able to dictate notes and have them attached to the right appointment. \
Invoices are exported to the clinics' accounting tools every evening, and each clinic admin \
must be able to decide which therapists see which patients. Every change to a patient record \
needs an audit trail entry. We'd like the first pilot clinic live by January 2027, with two \
more clinics joining in the spring once the pilot has run for six weeks without problems.";

fn bench(c: &mut Criterion) {
    let reasoner = OfflineReasoner::builtin().expect("built-in data");
    assert!(
        ANSWER.len() >= 2_000,
        "the answer is {} bytes",
        ANSWER.len()
    );
    let input = ExtractionInput {
        question_text: Some("Could you describe the system you want to build?".to_owned()),
        question_category: Some(Category::Goals),
        text: ANSWER.to_owned(),
        existing: Vec::new(),
        source: FactSource::SocraticQuestion,
    };
    let facts = extract(reasoner.data(), &input);
    assert!(facts.len() >= 25, "only {} facts", facts.len());
    c.bench_function("extract_2000_chars", |b| {
        b.iter(|| extract(reasoner.data(), black_box(&input)));
    });

    let existing: Vec<ExistingFact> = facts
        .iter()
        .map(socrates_domain::FactDraft::as_existing)
        .collect();
    let asked: HashSet<String> = ["security.001", "security.002", "security.003"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let context = QuestionContext {
        asked_questions: Vec::new(),
        project_name: "Clinic booking".to_owned(),
        project_description: "Appointments, notes and invoices for physio clinics".to_owned(),
        focus_category: Category::Security,
        persona: Some("backend".to_owned()),
        asked_template_ids: asked,
        existing_facts: existing,
        preferences: std::collections::HashMap::new(),
        documents: Vec::new(),
    };
    // The whole choice `next-question` makes: the interview plan over every category (maturity,
    // held keys, asked templates), then the template of the open category most in need.
    c.bench_function("next_question", |b| {
        b.iter(|| {
            let facts = black_box(&context.existing_facts);
            let report = compute_maturity(facts.iter().map(|f| (f.category, f.confidence)));
            let held: HashSet<&str> = facts.iter().map(|f| f.key.as_str()).collect();
            let plan = InterviewPlan::new(
                reasoner.data().questions(),
                &report,
                &held,
                &context.asked_template_ids,
            );
            let mut focused = context.clone();
            focused.focus_category = plan.next_category().expect("a category is open");
            reasoner
                .select_template(&focused)
                .expect("a question is left")
                .template_id
                .len()
        });
    });
    // A vague answer to a question with keys: the follow-up's choice and wording.
    let latency = reasoner
        .data()
        .questions()
        .get("performance.001")
        .expect("the latency question");
    let none = HashSet::new();
    c.bench_function("follow_up", |b| {
        b.iter(|| {
            reasoner
                .data()
                .follow_ups()
                .after_answer(
                    latency,
                    black_box("Honestly it just has to be fast, users hate waiting around."),
                    &none,
                    &none,
                )
                .expect("a follow-up")
                .text
                .len()
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
