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

use serde_json::json;
use socrates_agents::agent::{Agent, AgentContext};
use socrates_agents::agents::project_manager::ProjectManager;
use socrates_agents::agents::socratic::SocraticCounselor;
use socrates_agents::clock::SystemClock;
use socrates_agents::reasoner::OfflineReasoner;
use socrates_domain::{Code, ErrorCode, UserId};
use socrates_persistence::testing::TestDatabases;

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
    let context = AgentContext {
        user_id: UserId::new(),
    };
    let project = projects
        .handle(&context, "create", json!({"name": "Exhaust"}))
        .await
        .unwrap();
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let session = counselor
            .handle(
                &context,
                "start_session",
                json!({"project_id": project["project_id"]}),
            )
            .await
            .unwrap();
        sessions.push(session["session_id"].clone());
    }
    let mut texts = HashSet::new();
    for index in 0..bank_size {
        let question = counselor
            .handle(
                &context,
                "next_question",
                json!({"session_id": sessions[index % 2]}),
            )
            .await
            .unwrap();
        assert!(
            texts.insert(question["text"].as_str().unwrap().to_owned()),
            "asked twice: {question}"
        );
    }
    let exhausted = counselor
        .handle(
            &context,
            "next_question",
            json!({"session_id": sessions[0]}),
        )
        .await
        .unwrap_err();
    assert_eq!(exhausted.code(), Code::QuestionsExhausted);
    assert_eq!(texts.len(), bank_size);
}
