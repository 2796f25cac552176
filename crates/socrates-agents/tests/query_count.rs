//! The hot reads — `GET /projects/{id}`, its status and its fact list — each cost at most two
//! database statements. Every statement sqlx runs is a `sqlx::query` tracing event; a global
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
use socrates_agents::agents::facts::ContextAnalyzer;
use socrates_agents::agents::project_manager::ProjectManager;
use socrates_agents::clock::SystemClock;
use socrates_agents::reasoner::OfflineReasoner;
use socrates_domain::UserId;
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
async fn hot_reads_take_at_most_two_statements() {
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
    let facts = ContextAnalyzer::new(databases.specs.clone(), Arc::new(reasoner), offline, clock);
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
}
