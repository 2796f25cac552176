//! The hot reads — `GET /projects/{id}` and its fact list — each cost at most two database
//! statements, the status three (two of them at once), and each step of the journey (create,
//! open a session, next question, answer, export) no more than it does today. Every statement sqlx runs is a `sqlx::query` tracing event; a global
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

use socrates_agents::Caller;
use socrates_agents::agents::export::{ExportMarkdown, Exporter};
use socrates_agents::agents::facts::{AddFact, ContextAnalyzer, ListFacts};
use socrates_agents::agents::project_manager::{
    CreateProject, GetProject, GetProjectStatus, ProjectManager,
};
use socrates_agents::agents::socratic::{
    AnswerQuestion, NextQuestion, SocraticCounselor, StartSession,
};
use socrates_agents::orchestrator::{EveryAccountMayWrite, Orchestrator};
use socrates_agents::quality::PassThroughGate;
use socrates_domain::UserId;
use socrates_infra::clock::SystemClock;
use socrates_infra::metrics::Metrics;
use socrates_persistence::Backend;
use socrates_persistence::testing::TestDatabases;
use socrates_reasoner::OfflineReasoner;
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

async fn count<T, F: Future<Output = T>>(label: &str, read: F) -> usize {
    STATEMENTS.store(0, Ordering::SeqCst);
    LOG.lock().unwrap().clear();
    read.await;
    let statements = STATEMENTS.load(Ordering::SeqCst);
    println!("{label}: {statements} statements {:?}", LOG.lock().unwrap());
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
    let reasoner = OfflineReasoner::builtin().unwrap();
    let offline = Arc::new(reasoner.data().clone());
    let reasoner = Arc::new(reasoner);
    let agents = Orchestrator::builder(
        Arc::new(PassThroughGate),
        Arc::new(EveryAccountMayWrite),
        Arc::new(Metrics::new()),
    )
    .agent(ProjectManager::new(
        databases.specs.clone(),
        Arc::new(OfflineReasoner::builtin().unwrap().data().clone()),
        clock.clone(),
    ))
    .agent(ContextAnalyzer::new(
        databases.specs.clone(),
        reasoner.clone(),
        offline.clone(),
        clock.clone(),
    ))
    .agent(SocraticCounselor::new(
        databases.specs.clone(),
        reasoner,
        offline,
        clock.clone(),
    ))
    .agent(Exporter::new(databases.specs.clone(), clock))
    .build();
    let caller = Caller::user(UserId::new());
    let new_project = |name: &str| CreateProject {
        name: name.to_owned(),
        description: None,
    };
    let id = agents
        .run(caller, new_project("Hot reads"))
        .await
        .unwrap()
        .project_id;
    for (category, key, value) in [
        ("goals", "project_type", "web app"),
        ("tech_stack", "primary_database", "PostgreSQL"),
        ("tech_stack", "primary_database", "MySQL"),
        ("security", "authentication_method", "OAuth2"),
    ] {
        agents
            .run(
                caller,
                AddFact {
                    project_id: id,
                    category: category.to_owned(),
                    key: key.to_owned(),
                    value: value.to_owned(),
                    source: None,
                },
            )
            .await
            .unwrap();
    }
    // Warm the pool (the status read runs two statements at once, on two connections).
    agents
        .run(caller, GetProject { project_id: id })
        .await
        .unwrap();
    agents
        .run(caller, GetProjectStatus { project_id: id })
        .await
        .unwrap();

    let get = count("GET /projects/{id}", async {
        agents
            .run(caller, GetProject { project_id: id })
            .await
            .unwrap()
    })
    .await;
    let status = count("GET /projects/{id}/status", async {
        let report = agents
            .run(caller, GetProjectStatus { project_id: id })
            .await
            .unwrap();
        assert_eq!(report.unresolved_conflicts, 1);
        assert_eq!(report.specifications_count, 3);
    })
    .await;
    let list = count("GET /specifications/project/{id}", async {
        let page = agents
            .run(
                caller,
                ListFacts {
                    project_id: id,
                    category: None,
                    limit: Some(2),
                    offset: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(page.total, 3);
        assert_eq!(page.specifications.len(), 2);
    })
    .await;
    assert!((1..=2).contains(&get), "get: {get}");
    // The status also reads the project's questions, for the interview's next category (the
    // one next-question asks about), at the same time as the facts.
    assert!((1..=3).contains(&status), "status: {status}");
    assert!((1..=2).contains(&list), "list: {list}");

    // The journey's writes, in the order a user makes them.
    let create = count("POST /projects", async {
        agents.run(caller, new_project("Journey")).await.unwrap()
    })
    .await;
    let id = agents
        .run(caller, new_project("Clinic booking"))
        .await
        .unwrap()
        .project_id;
    let mut session = None;
    let open = count("POST /projects/{id}/sessions", async {
        session = Some(
            agents
                .run(
                    caller,
                    StartSession {
                        project_id: id,
                        mode: None,
                    },
                )
                .await
                .unwrap()
                .session_id,
        );
    })
    .await;
    let session_id = session.unwrap();
    let mut question = None;
    let next = count("POST /sessions/{id}/next-question", async {
        question = Some(
            agents
                .run(caller, NextQuestion { session_id })
                .await
                .unwrap()
                .question_id,
        );
    })
    .await;
    let answer = count("POST /sessions/{id}/answer", async {
        let result = agents
            .run(
                caller,
                AnswerQuestion {
                    session_id,
                    question_id: question.unwrap(),
                    answer: "It is a web app for physiotherapy clinics, built with Rust and \
                             PostgreSQL, deployed on Kubernetes."
                        .to_owned(),
                },
            )
            .await
            .unwrap();
        assert!(result.specs_extracted >= 2, "{result:?}");
    })
    .await;
    let export = count("GET /projects/{id}/export/markdown", async {
        let document = agents
            .run(caller, ExportMarkdown { project_id: id })
            .await
            .unwrap();
        assert!(document.content.len() > 100);
    })
    .await;
    println!("create {create}, open {open}, next {next}, answer {answer}, export {export}");
    // On PostgreSQL the writes that return nothing ride along with another statement (a
    // data-modifying CTE) and COMMIT is counted; SQLite sends them one by one, in process.
    // The next question reads the project's questions in one statement: the one the session
    // waits on (asked again rather than replaced), the templates already asked and the
    // session's previous category, all the interview plan needs besides the facts. The
    // question's quality record rides with its insert (one more statement on SQLite only).
    // Learning adds to the next question the user's own counters and, at most once a minute
    // per category and style (here: the first time), the cohort's; its ask counter rides with
    // the insert. To the answer it adds its counter (riding with the maturity's writes) and,
    // after the commit, the patterns recomputed: the counters read, the old patterns read
    // (the projects they were learned in), one upsert.
    let (most_next, most_answer) = match databases.specs.backend() {
        Backend::Postgres => (6, 10),
        Backend::Sqlite => (9, 13),
    };
    assert!(create <= 3, "create: {create}");
    assert!(open <= 2, "open: {open}");
    assert!(next <= most_next, "next question: {next}");
    assert!(answer <= most_answer, "answer: {answer}");
    assert!(export <= 3, "export: {export}");
}
