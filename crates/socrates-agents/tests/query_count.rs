//! The hot reads — `GET /projects/{id}`, its status and its fact list — each cost at most two
//! database statements, and each step of the journey (create, open a session, next question,
//! answer, export) no more than it does today. Every statement sqlx runs is a `sqlx::query` tracing event; a global
//! subscriber (this test binary holds only this test) counts them around each read.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "tests fail loudly and report the counts"
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use socrates_agents::agent::{Agent, AgentContext};
use socrates_agents::agents::export::Exporter;
use socrates_agents::agents::facts::ContextAnalyzer;
use socrates_agents::agents::project_manager::ProjectManager;
use socrates_agents::agents::socratic::SocraticCounselor;
use socrates_agents::clock::SystemClock;
use socrates_agents::reasoner::OfflineReasoner;
use socrates_domain::UserId;
use socrates_persistence::Backend;
use socrates_persistence::testing::TestDatabases;
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Counts `sqlx::query` events and keeps their statement text.
struct CountStatements;

struct Statement(String);

impl tracing::field::Visit for Statement {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0.push_str(&format!("{value:?} "));
        }
    }
}

impl<S: Subscriber> Layer<S> for CountStatements {
    fn on_event(&self, event: &tracing::Event<'_>, _context: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            let mut statement = Statement(String::new());
            event.record(&mut statement);
            // A connection the pool opens mid-read runs its set-up pragmas once in its life;
            // they are not the read's statements.
            if statement
                .0
                .trim_start_matches(['"', '\\'])
                .starts_with("PRAGMA")
            {
                return;
            }
            STATEMENTS.fetch_add(1, Ordering::SeqCst);
            LOG.lock().unwrap().push(statement.0);
        }
    }
}

async fn count<F: Future<Output = Value>>(label: &str, read: F) -> usize {
    STATEMENTS.store(0, Ordering::SeqCst);
    LOG.lock().unwrap().clear();
    let value = read.await;
    let statements = STATEMENTS.load(Ordering::SeqCst);
    println!("{label}: {statements} statements {:?}", LOG.lock().unwrap());
    assert!(!value.is_null());
    statements
}

#[tokio::test]
async fn hot_reads_and_the_journey_take_few_statements() {
    let subscriber = tracing_subscriber::registry().with(
        CountStatements.with_filter(
            tracing_subscriber::filter::Targets::new()
                .with_target("sqlx::query", tracing::Level::TRACE),
        ),
    );
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let databases = TestDatabases::new().await;
    let clock = Arc::new(SystemClock);
    let projects = ProjectManager::new(databases.specs.clone(), clock.clone());
    let reasoner = OfflineReasoner::builtin().unwrap();
    let offline = Arc::new(reasoner.data().clone());
    let facts = ContextAnalyzer::new(
        databases.specs.clone(),
        Arc::new(reasoner),
        offline,
        clock.clone(),
    );
    let context = AgentContext {
        user_id: UserId::new(),
    };
    let project = projects
        .handle(&context, "create", json!({"name": "Hot reads"}))
        .await
        .unwrap();
    let id = project["project_id"].clone();
    for (category, key, value) in [
        ("goals", "project_type", "web app"),
        ("tech_stack", "primary_database", "PostgreSQL"),
        ("tech_stack", "primary_database", "MySQL"),
        ("security", "authentication_method", "OAuth2"),
    ] {
        facts
            .handle(
                &context,
                "add",
                json!({"project_id": id, "category": category, "key": key, "value": value}),
            )
            .await
            .unwrap();
    }
    // Warm the pool (the status read runs two statements at once, on two connections).
    for action in ["get", "status"] {
        projects
            .handle(&context, action, json!({"project_id": id}))
            .await
            .unwrap();
    }

    let get = count("GET /projects/{id}", async {
        projects
            .handle(&context, "get", json!({"project_id": id}))
            .await
            .unwrap()
    })
    .await;
    let status = count("GET /projects/{id}/status", async {
        let report = projects
            .handle(&context, "status", json!({"project_id": id}))
            .await
            .unwrap();
        assert_eq!(report["unresolved_conflicts"], 1);
        assert_eq!(report["specifications_count"], 3);
        report
    })
    .await;
    let list = count("GET /specifications/project/{id}", async {
        let page = facts
            .handle(&context, "list", json!({"project_id": id, "limit": 2}))
            .await
            .unwrap();
        assert_eq!(page["total"], 3);
        assert_eq!(page["specifications"].as_array().unwrap().len(), 2);
        page
    })
    .await;
    assert!((1..=2).contains(&get), "get: {get}");
    assert!((1..=2).contains(&status), "status: {status}");
    assert!((1..=2).contains(&list), "list: {list}");

    // The journey's writes, in the order a user makes them.
    let offline = Arc::new(OfflineReasoner::builtin().unwrap().data().clone());
    let counselor = SocraticCounselor::new(
        databases.specs.clone(),
        Arc::new(OfflineReasoner::builtin().unwrap()),
        offline,
        clock.clone(),
    );
    let exporter = Exporter::new(databases.specs.clone(), clock);
    let create = count("POST /projects", async {
        projects
            .handle(&context, "create", json!({"name": "Journey"}))
            .await
            .unwrap()
    })
    .await;
    let project = projects
        .handle(&context, "create", json!({"name": "Clinic booking"}))
        .await
        .unwrap();
    let id = project["project_id"].clone();
    let mut session = Value::Null;
    let open = count("POST /projects/{id}/sessions", async {
        session = counselor
            .handle(&context, "start_session", json!({"project_id": id}))
            .await
            .unwrap();
        session.clone()
    })
    .await;
    let session_id = session["session_id"].clone();
    let mut question = Value::Null;
    let next = count("POST /sessions/{id}/next-question", async {
        question = counselor
            .handle(&context, "next_question", json!({"session_id": session_id}))
            .await
            .unwrap();
        question.clone()
    })
    .await;
    let answer = count("POST /sessions/{id}/answer", async {
        let result = counselor
            .handle(
                &context,
                "answer",
                json!({
                    "session_id": session_id,
                    "question_id": question["question_id"],
                    "answer": "It is a web app for physiotherapy clinics, built with Rust and \
                               PostgreSQL, deployed on Kubernetes.",
                }),
            )
            .await
            .unwrap();
        assert!(result["specs_extracted"].as_u64().unwrap() >= 2, "{result}");
        result
    })
    .await;
    let export = count("GET /projects/{id}/export/markdown", async {
        exporter
            .handle(&context, "markdown", json!({"project_id": id}))
            .await
            .unwrap()
    })
    .await;
    println!("create {create}, open {open}, next {next}, answer {answer}, export {export}");
    // On PostgreSQL the writes that return nothing ride along with another statement (a
    // data-modifying CTE) and COMMIT is counted; SQLite sends them one by one, in process.
    let (most_next, most_answer) = match databases.specs.backend() {
        Backend::Postgres => (4, 7),
        Backend::Sqlite => (5, 9),
    };
    assert!(create <= 3, "create: {create}");
    assert!(open <= 2, "open: {open}");
    assert!(next <= most_next, "next question: {next}");
    assert!(answer <= most_answer, "answer: {answer}");
    assert!(export <= 3, "export: {export}");
}
