//! The CHECK constraints of the specs database against the domain enums (see
//! `check_constraints` for the method).

use sea_orm::{ActiveModelTrait, Set};
use socrates_domain::{
    Category, ConflictResolution, ConflictSeverity, ConflictStatus, ConflictType, ConversationRole,
    FactSource, GenerationStatus, JobStatus, MessageKind, ProjectPhase, ProjectStatus, SessionMode,
    SessionStatus, SharePermission,
};
use socrates_persistence::entities::specs_extra::{
    code_generation_jobs, generated_projects, project_shares,
};
use socrates_persistence::repositories::conversation::{self, NewConversationEntry};
use socrates_persistence::repositories::questions::{self, NewQuestion};
use socrates_persistence::repositories::{Writes, conflicts, specifications};
use socrates_persistence::testing::TestDatabases;
use socrates_persistence::{Conn, Page};
use uuid::Uuid;

use super::check_constraints::{assert_checked, checked, stamp};
use super::support::{self, token_hash};

#[tokio::test]
async fn specs_check_constraints_accept_the_domain_and_refuse_others() {
    let databases = TestDatabases::new().await;
    let specs = &databases.specs;
    let db = specs.raw();
    let (project, session) = support::project_and_session(specs).await;
    let question = questions::insert_with(
        specs,
        NewQuestion {
            project_id: project.id,
            session_id: session.id,
            text: "Which database?".to_owned(),
            category: Category::TechStack,
            context: None,
            template_id: None,
            persona: None,
            quality_score: 0.9,
            bias_score: None,
        },
        stamp(),
        Writes::new(),
    )
    .await
    .unwrap();
    let fact = support::fact(project.id, Category::TechStack, "database", "SQLite");
    let fact = specifications::insert(specs, fact, stamp()).await.unwrap();
    let entry = NewConversationEntry {
        session_id: session.id,
        project_id: project.id,
        role: ConversationRole::User,
        kind: MessageKind::Answer,
        content: "SQLite".to_owned(),
        question_id: Some(question.id),
        metadata: None,
    };
    support::write_conversation(specs, &session, vec![entry], stamp()).await;
    let (entries, _) = conversation::list_for_session(specs, session.id, Page::default())
        .await
        .unwrap();
    let entry = entries.into_iter().next().unwrap();
    let conflict = conflicts::NewConflict {
        project_id: project.id,
        session_id: Some(session.id),
        conflict_type: ConflictType::Technology,
        severity: ConflictSeverity::High,
        old_spec_id: Some(fact.id),
        pending: conflicts::PendingFact {
            category: Category::TechStack,
            key: "database".to_owned(),
            value: "PostgreSQL".to_owned(),
            confidence: 0.9,
            source: FactSource::SocraticQuestion,
            source_id: Some(question.id.into_uuid()),
            reasoning: None,
        },
        description: "two databases".to_owned(),
        detected_by: "rules".to_owned(),
        options: None,
        created_by: None,
        pending_slot: support::held_slot(),
    };
    let conflict = conflicts::insert(specs, conflict, stamp()).await.unwrap();
    let generation = generated_projects::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(project.id.into_uuid()),
        requested_by: Set(project.owner_id.into_uuid()),
        generation_version: Set(1),
        spec_fingerprint: Set(token_hash(2)),
        spec_count: Set(1),
        status: Set("pending".to_owned()),
        total_files: Set(0),
        total_lines: Set(0),
        test_coverage: Set(None),
        quality_score: Set(None),
        traceability_score: Set(None),
        error_message: Set(None),
        started_at: Set(None),
        completed_at: Set(None),
        created_at: Set(stamp()),
        updated_at: Set(stamp()),
        progress_percent: Set(0),
        stack: Set("python_fastapi".to_owned()),
        fact_versions: Set(None),
        active_project_id: Set(None),
    }
    .insert(db)
    .await
    .unwrap();
    let job = code_generation_jobs::ActiveModel {
        id: Set(Uuid::now_v7()),
        generated_project_id: Set(generation.id),
        status: Set("queued".to_owned()),
        attempts: Set(0),
        max_attempts: Set(3),
        locked_by: Set(None),
        locked_until: Set(None),
        run_after: Set(stamp()),
        last_error: Set(None),
        created_at: Set(stamp()),
        updated_at: Set(stamp()),
    }
    .insert(db)
    .await
    .unwrap();
    let share = project_shares::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(project.id.into_uuid()),
        team_id: Set(Uuid::now_v7()),
        shared_by: Set(project.owner_id.into_uuid()),
        permission: Set("read".to_owned()),
        shared_at: Set(stamp()),
    }
    .insert(db)
    .await
    .unwrap();

    let project_id = project.id.into_uuid();
    let session_id = session.id.into_uuid();
    let conflict_id = conflict.id.into_uuid();
    let targets = [
        checked(
            "projects",
            "phase",
            project_id,
            &ProjectPhase::ALL,
            ProjectPhase::as_str,
        ),
        checked(
            "projects",
            "status",
            project_id,
            &ProjectStatus::ALL,
            ProjectStatus::as_str,
        ),
        checked(
            "sessions",
            "mode",
            session_id,
            &SessionMode::ALL,
            SessionMode::as_str,
        ),
        checked(
            "sessions",
            "status",
            session_id,
            &SessionStatus::ALL,
            SessionStatus::as_str,
        ),
        checked(
            "questions",
            "category",
            question.id.into_uuid(),
            &Category::ALL,
            Category::as_str,
        ),
        checked(
            "specifications",
            "category",
            fact.id.into_uuid(),
            &Category::ALL,
            Category::as_str,
        ),
        checked(
            "specifications",
            "source",
            fact.id.into_uuid(),
            &FactSource::ALL,
            FactSource::as_str,
        ),
        checked(
            "conversation_history",
            "role",
            entry.id,
            &ConversationRole::ALL,
            ConversationRole::as_str,
        ),
        checked(
            "conversation_history",
            "kind",
            entry.id,
            &MessageKind::ALL,
            MessageKind::as_str,
        ),
        checked(
            "conflicts",
            "conflict_type",
            conflict_id,
            &ConflictType::ALL,
            ConflictType::as_str,
        ),
        checked(
            "conflicts",
            "severity",
            conflict_id,
            &ConflictSeverity::ALL,
            ConflictSeverity::as_str,
        ),
        checked(
            "conflicts",
            "status",
            conflict_id,
            &ConflictStatus::ALL,
            ConflictStatus::as_str,
        ),
        checked(
            "conflicts",
            "pending_category",
            conflict_id,
            &Category::ALL,
            Category::as_str,
        ),
        checked(
            "conflicts",
            "pending_source",
            conflict_id,
            &FactSource::ALL,
            FactSource::as_str,
        ),
        checked(
            "conflicts",
            "resolution",
            conflict_id,
            &ConflictResolution::ALL,
            ConflictResolution::as_str,
        ),
        checked(
            "generated_projects",
            "status",
            generation.id,
            &GenerationStatus::ALL,
            GenerationStatus::as_str,
        ),
        checked(
            "code_generation_jobs",
            "status",
            job.id,
            &JobStatus::ALL,
            JobStatus::as_str,
        ),
        checked(
            "project_shares",
            "permission",
            share.id,
            &SharePermission::ALL,
            SharePermission::as_str,
        ),
    ];
    assert_checked(db, &targets).await;
}
