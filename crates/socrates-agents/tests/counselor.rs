//! The counselor asks every question of the offline banks once per project, never one twice,
//! and then says so with a typed refusal.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::collections::HashSet;
use std::sync::Arc;

use socrates_agents::Caller;
use socrates_agents::agents::project_manager::{CreateProject, ProjectManager};
use socrates_agents::agents::socratic::{
    AnswerQuestion, NextQuestion, SocraticCounselor, StartSession,
};
use socrates_agents::orchestrator::{EveryAccountMayWrite, Orchestrator};
use socrates_agents::quality::PassThroughGate;
use socrates_domain::{Code, ErrorCode, UserId};
use socrates_infra::clock::SystemClock;
use socrates_infra::metrics::Metrics;
use socrates_persistence::testing::TestDatabases;
use socrates_reasoner::OfflineReasoner;

#[tokio::test]
async fn every_question_is_asked_once_per_project_then_the_banks_are_exhausted() {
    let databases = TestDatabases::new().await;
    let clock = Arc::new(SystemClock);
    let reasoner = OfflineReasoner::builtin().unwrap();
    let bank_size = reasoner.data().questions().all().len();
    let projects = ProjectManager::new(databases.specs.clone(), clock.clone());
    let offline = Arc::new(reasoner.data().clone());
    let counselor =
        SocraticCounselor::new(databases.specs.clone(), Arc::new(reasoner), offline, clock);
    let agents = Orchestrator::builder(
        Arc::new(PassThroughGate),
        Arc::new(EveryAccountMayWrite),
        Arc::new(Metrics::new()),
    )
    .agent(projects)
    .agent(counselor)
    .build();
    let caller = Caller::user(UserId::new());
    let project = agents
        .run(
            caller,
            CreateProject {
                name: "Exhaust".to_owned(),
                description: None,
            },
        )
        .await
        .unwrap();
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let session = agents
            .run(
                caller,
                StartSession {
                    project_id: project.project_id,
                    mode: None,
                },
            )
            .await
            .unwrap();
        sessions.push(session.session_id);
    }
    let mut texts = HashSet::new();
    for index in 0..bank_size {
        let question = agents
            .run(
                caller,
                NextQuestion {
                    session_id: sessions[index % 2],
                },
            )
            .await
            .unwrap();
        assert!(
            texts.insert(question.text.clone()),
            "asked twice: {question:?}"
        );
        // A question waits for its answer; answered (with nothing to record), the next call
        // asks a new one.
        agents
            .run(
                caller,
                AnswerQuestion {
                    session_id: sessions[index % 2],
                    question_id: question.question_id,
                    answer: "Not sure yet.".to_owned(),
                },
            )
            .await
            .unwrap();
    }
    let exhausted = agents
        .run(
            caller,
            NextQuestion {
                session_id: sessions[0],
            },
        )
        .await
        .unwrap_err();
    assert_eq!(exhausted.code(), Code::QuestionsExhausted);
    assert_eq!(texts.len(), bank_size);
}
