//! Builders shared by the tests: fixed instants and the parent rows most tests need.

use chrono::{DateTime, Utc};
use socrates_domain::{
    Category, Confidence, ConversationRole, Email, FactKey, FactSource, FactValue, MessageKind,
    ProjectId, ProjectName, QuestionId, SessionMode, UserId,
};
use socrates_persistence::SpecsDb;
use socrates_persistence::repositories::Writes;
use socrates_persistence::repositories::conversation::{self, NewConversationEntry};
use socrates_persistence::repositories::projects::{self, NewProject, Project};
use socrates_persistence::repositories::questions::{self, NewQuestion};
use socrates_persistence::repositories::sessions::{self, Session};
use socrates_persistence::repositories::specifications::NewSpecification;
use socrates_persistence::repositories::users::{self, NewUser, User};

/// A fixed instant `seconds` after 2026-01-01T00:00:00Z. Whole seconds survive every backend's
/// timestamp precision, so records read back compare equal to what was written.
pub fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + seconds, 0).unwrap()
}

/// A project owned by a fresh (auth-side) user id.
pub async fn project(db: &SpecsDb) -> Project {
    project_of(db, UserId::new(), "Test project").await
}

/// A project owned by `owner`, created at `at(0)`.
pub async fn project_of(db: &SpecsDb, owner: UserId, name: &str) -> Project {
    let new = NewProject {
        owner_id: owner,
        name: ProjectName::parse(name).unwrap(),
        description: None,
    };
    projects::create(db, new, at(0)).await.unwrap()
}

/// A project and an active Socratic session on it.
pub async fn project_and_session(db: &SpecsDb) -> (Project, Session) {
    let project = project(db).await;
    let session = sessions::create(
        db,
        project.id,
        project.owner_id,
        SessionMode::Socratic,
        at(1),
    )
    .await
    .unwrap();
    (project, session)
}

/// An account with this e-mail address.
pub async fn user(db: &socrates_persistence::AuthDb, email: &str) -> User {
    let new = NewUser {
        email: Email::parse(email).unwrap(),
        password_hash: "$2b$04$hash".to_owned(),
        name: None,
    };
    users::create(db, new, at(0)).await.unwrap()
}

/// The slot the application gives `value` under `key`, by the built-in vocabulary.
pub fn slot(key: &str, value: &str) -> socrates_domain::ValueSlot {
    static KNOWLEDGE: std::sync::LazyLock<socrates_domain::Knowledge> =
        std::sync::LazyLock::new(|| socrates_domain::Knowledge::builtin().unwrap());
    socrates_domain::ValueSlot::of(&KNOWLEDGE, key, value)
}

/// A slot for a held statement no other conflict of the test shares.
pub fn held_slot() -> socrates_domain::ValueSlot {
    socrates_domain::ValueSlot::held(
        &socrates_domain::Knowledge::builtin().unwrap(),
        Some(uuid::Uuid::now_v7()),
        "database",
        "a value",
    )
}

/// A directly entered fact with confidence 0.9.
pub fn fact(project_id: ProjectId, category: Category, key: &str, value: &str) -> NewSpecification {
    NewSpecification {
        value_slot: slot(key, value),
        project_id,
        session_id: None,
        category,
        key: FactKey::parse(key).unwrap(),
        value: FactValue::parse(value).unwrap(),
        source: FactSource::DirectInput,
        source_id: None,
        confidence: Confidence::new(0.9).unwrap(),
        reasoning: None,
        created_by: None,
        metadata: None,
    }
}

/// A 64-character hex string standing in for a SHA-256 token hash.
pub fn token_hash(seed: u64) -> String {
    format!("{seed:064x}")
}

/// A conversation entry of `session`, about `question` when given.
pub fn entry(
    session: &Session,
    question: Option<QuestionId>,
    role: ConversationRole,
    kind: MessageKind,
    content: &str,
) -> NewConversationEntry {
    NewConversationEntry {
        session_id: session.id,
        project_id: session.project_id,
        role,
        kind,
        content: content.to_owned(),
        question_id: question,
        metadata: None,
    }
}

/// A plain question of `session` (no context, persona or scores beyond 1.0).
pub fn question(
    session: &Session,
    text: &str,
    category: Category,
    template_id: Option<&str>,
) -> NewQuestion {
    NewQuestion {
        project_id: session.project_id,
        session_id: session.id,
        text: text.to_owned(),
        category,
        context: None,
        template_id: template_id.map(str::to_owned),
        persona: None,
        quality_score: 1.0,
        bias_score: None,
    }
}

/// Writes `entries` at `now` the way the product does: as one insert sent with the answer to a
/// question of `session` (a fresh question, answered without facts).
pub async fn write_conversation(
    db: &SpecsDb,
    session: &Session,
    entries: Vec<NewConversationEntry>,
    now: DateTime<Utc>,
) {
    // The question the session waits on, or a fresh one.
    let asked = match questions::waiting_for_session(db, session.id)
        .await
        .unwrap()
    {
        Some(waiting) => waiting,
        None => {
            let asked = question(session, "What else?", Category::Goals, None);
            questions::insert_with(db, asked, now, Writes::new())
                .await
                .unwrap()
        }
    };
    let conversation = conversation::append_all_later(entries, now);
    assert!(
        questions::mark_answered_with(db, asked.id, 0, now, conversation)
            .await
            .unwrap()
    );
}
