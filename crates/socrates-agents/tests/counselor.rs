//! The counselor asks every question of the offline banks once per project, never one twice,
//! follows up vague answers once per key, and then says so with a typed refusal.

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
    let bank = reasoner.data().questions().clone();
    let bank_size = bank.all().len();
    let reasoner_keys: HashSet<String> = reasoner
        .data()
        .questions()
        .all()
        .iter()
        .flat_map(|question| question.target_keys.iter().cloned())
        .collect();
    let projects = ProjectManager::new(
        databases.specs.clone(),
        Arc::new(OfflineReasoner::builtin().unwrap().data().clone()),
        clock.clone(),
    );
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
    // Every answer is vague and states nothing: each bank question is followed up once (on
    // its first key still missing, once per key), a follow-up is never followed up, and no
    // question is asked twice; then the counselor says there is nothing left to ask.
    let mut texts = HashSet::new();
    let mut bank_asked = 0;
    let mut held: HashSet<String> = HashSet::new();
    let mut follow_ups = HashSet::new();
    let mut promised: HashSet<String> = HashSet::new();
    // Per session: the category of the follow-up its next question must be.
    let mut expected: [Option<socrates_domain::Category>; 2] = [None, None];
    let mut exhausted = Vec::new();
    let mut index = 0;
    while exhausted.len() < 2 {
        let slot = index % 2;
        index += 1;
        if exhausted.iter().any(|(done, _)| *done == slot) {
            continue;
        }
        let session_id = sessions[slot];
        let question = match agents.run(caller, NextQuestion { session_id }).await {
            Ok(question) => question,
            Err(error) => {
                exhausted.push((slot, error));
                continue;
            }
        };
        assert!(
            texts.insert(question.text.clone()),
            "asked twice: {question:?}"
        );
        if let Some(category) = expected[slot].take() {
            assert!(question.follow_up, "no follow-up: {question:?}");
            assert_eq!(question.category, category);
        }
        if question.follow_up {
            assert!(
                question.text.starts_with("You said \"Not sure yet\". "),
                "{question:?}"
            );
            assert_eq!(question.target_keys.len(), 1, "{question:?}");
            assert!(
                follow_ups.insert(question.target_keys[0].clone()),
                "followed up twice: {question:?}"
            );
        } else {
            bank_asked += 1;
        }
        // A question waits for its answer; answered (with nothing to record), the next call
        // asks a new one, the follow-up first.
        let result = agents
            .run(
                caller,
                AnswerQuestion {
                    session_id,
                    question_id: question.question_id,
                    answer: "Not sure yet.".to_owned(),
                },
            )
            .await
            .unwrap();
        held.extend(result.specifications.iter().map(|fact| fact.key.clone()));
        // The extractor takes some free-text answers at their word; those state their key.
        let stated = result
            .specifications
            .iter()
            .any(|fact| question.target_keys.contains(&fact.key));
        // A key is followed up once per project, even while its follow-up still waits in the
        // other session.
        if !question.follow_up
            && !stated
            && question
                .target_keys
                .first()
                .is_some_and(|key| promised.insert(key.clone()))
        {
            expected[slot] = Some(question.category);
        }
    }
    for (_, error) in exhausted {
        assert_eq!(error.code(), Code::QuestionsExhausted);
    }
    // Every bank question was asked, except those whose keys an earlier answer stated.
    let mut skipped = 0;
    for template in bank.all() {
        if !texts.contains(&template.text) {
            skipped += 1;
            assert!(
                !template.target_keys.is_empty()
                    && template.target_keys.iter().all(|key| held.contains(key)),
                "never asked: {template:?}"
            );
        }
    }
    assert_eq!(bank_asked + skipped, bank_size);
    // Every key a bank question aims at was followed up once, unless an answer stated it.
    assert!(follow_ups.is_subset(&reasoner_keys));
    assert!(
        follow_ups.len() >= reasoner_keys.len() - 6,
        "{follow_ups:?}"
    );
}
