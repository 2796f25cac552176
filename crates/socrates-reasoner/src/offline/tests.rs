use std::collections::HashSet;

use socrates_domain::{Category, ConflictType, ConversationRole, ExistingFact, FactSource};

use super::*;

fn context(category: Category, asked: &[&str], facts: Vec<ExistingFact>) -> QuestionContext {
    QuestionContext {
        asked_questions: Vec::new(),
        project_name: "Demo".to_owned(),
        project_description: String::new(),
        focus_category: category,
        persona: None,
        asked_template_ids: asked.iter().map(|id| (*id).to_owned()).collect(),
        existing_facts: facts,
    }
}

fn fact(category: Category, key: &str, value: &str) -> ExistingFact {
    ExistingFact {
        id: None,
        category,
        key: key.to_owned(),
        value: value.to_owned(),
        confidence: 0.9,
    }
}

fn reasoner() -> OfflineReasoner {
    OfflineReasoner::builtin().expect("built-in data is valid")
}

#[test]
fn every_bank_has_eight_questions_and_bad_banks_are_refused() {
    let reasoner = reasoner();
    let bank = reasoner.data().questions();
    for category in Category::ALL {
        assert!(bank.of(category).count() >= 8, "{category}");
    }
    let ids: HashSet<&str> = bank.all().iter().map(|q| q.template_id.as_str()).collect();
    assert_eq!(ids.len(), bank.all().len());

    let refuse = |from: &str, to: &str, expected: &str| {
        let questions = data::BUILTIN_QUESTIONS.replacen(from, to, 1);
        assert_ne!(questions, data::BUILTIN_QUESTIONS, "{from}");
        let mut sources = data::OfflineSources::builtin();
        sources.questions = &questions;
        let error = OfflineData::parse(sources).expect_err(expected);
        let (file, message) = file_and_message(&error);
        assert_eq!(file, data::QUESTIONS_FILE);
        assert!(message.contains(expected), "{error}");
    };
    refuse(
        "What kind of product are you building, and who will use it day to day?",
        "Should we use Django for the product?",
        "suggests a solution",
    );
    refuse(
        "What kind of product are you building, and who will use it day to day?",
        "Is the product built with PostgreSQL?",
        "names PostgreSQL",
    );
    refuse(
        "What kind of product are you building, and who will use it day to day?",
        "Describe the product.",
        "exactly one question",
    );
    refuse("id = \"goals.002\"", "id = \"goals.001\"", "used twice");
    refuse("persona = \"pm\"", "persona = \"ceo\"", "persona \"ceo\"");
    refuse(
        "keys = [\"project_type\"]",
        "keys = [\"latency_p95_ms\"]",
        "belongs to performance",
    );
    refuse(
        "id = \"goals.008\"",
        "id = \"tech_stack.999\"",
        "must start with",
    );
}

#[test]
fn a_data_directory_replaces_single_files_and_bad_ones_stop_the_load() {
    let directory = tempfile::tempdir().expect("temp dir");
    let technologies = format!(
        "{}\n[[technology]]\nname = \"YugabyteDB\"\nkind = \"database\"\naliases = [\"yugabytedb\"]\n",
        socrates_domain::knowledge::BUILTIN_TECHNOLOGIES
    );
    std::fs::write(directory.path().join("technologies.toml"), technologies).expect("write");
    let data = OfflineData::load(Some(directory.path())).expect("valid");
    let reasoner = OfflineReasoner::new(Arc::new(data));
    let facts = extraction::extract(
        reasoner.data(),
        &ExtractionInput {
            question_text: None,
            question_category: None,
            text: "The data lives in YugabyteDB.".to_owned(),
            existing: Vec::new(),
            source: FactSource::SocraticQuestion,
        },
    );
    assert_eq!(facts[0].value, "YugabyteDB");
    std::fs::write(directory.path().join("lexicon.toml"), "hedges = 3\n").expect("write");
    let error = OfflineData::load(Some(directory.path())).expect_err("invalid lexicon");
    assert_eq!(file_and_message(&error).0, data::LEXICON_FILE);
    let missing = OfflineData::load(Some(&directory.path().join("nope"))).expect_err("missing");
    assert!(
        file_and_message(&missing).1.contains("does not exist"),
        "{missing}"
    );
}

#[tokio::test]
async fn questions_never_repeat_and_the_bank_runs_out_with_a_typed_error() {
    let reasoner = reasoner();
    let mut asked: Vec<String> = Vec::new();
    loop {
        let ids: Vec<&str> = asked.iter().map(String::as_str).collect();
        match reasoner
            .generate_question(&context(Category::Security, &ids, Vec::new()))
            .await
        {
            Ok(draft) => {
                assert_eq!(draft.category, Category::Security);
                let id = draft.template_id.unwrap();
                assert!(!asked.contains(&id), "{id} repeated");
                asked.push(id);
            }
            Err(error) => {
                assert_eq!(
                    error,
                    ReasonerError::QuestionBankExhausted {
                        category: Category::Security
                    }
                );
                break;
            }
        }
    }
    assert_eq!(
        asked.len(),
        reasoner.data().questions().of(Category::Security).count()
    );
}

#[tokio::test]
async fn questions_prefer_keys_still_missing() {
    let reasoner = reasoner();
    let empty = reasoner
        .generate_question(&context(Category::Goals, &[], Vec::new()))
        .await
        .unwrap();
    assert_eq!(empty.template_id.as_deref(), Some("goals.001"));
    let facts = vec![
        fact(Category::Goals, "project_type", "web app"),
        fact(Category::Goals, "project_goal", "faster invoicing"),
    ];
    let draft = reasoner
        .generate_question(&context(Category::Goals, &[], facts.clone()))
        .await
        .unwrap();
    assert_eq!(draft.template_id.as_deref(), Some("goals.003"));
    let draft = reasoner
        .generate_question(&context(Category::Goals, &["goals.003"], facts))
        .await
        .unwrap();
    assert_eq!(draft.template_id.as_deref(), Some("goals.004"));
    assert_eq!(draft.persona.as_deref(), Some("pm"));
    assert!(!draft.context.is_empty());
}

#[tokio::test]
async fn a_requested_persona_is_preferred_within_a_tier() {
    let mut request = context(Category::TechStack, &[], Vec::new());
    request.persona = Some("dba".to_owned());
    let draft = reasoner().generate_question(&request).await.unwrap();
    assert_eq!(draft.template_id.as_deref(), Some("tech_stack.004"));
}

#[tokio::test]
async fn extraction_rejects_blank_text_and_keeps_the_seed_answer() {
    let reasoner = reasoner();
    let mut input = ExtractionInput {
        question_text: Some("What kind of product are you building?".to_owned()),
        question_category: Some(Category::Goals),
        text: "   ".to_owned(),
        existing: Vec::new(),
        source: FactSource::SocraticQuestion,
    };
    assert_eq!(
        reasoner.extract_facts(&input).await,
        Err(ReasonerError::EmptyInput { field: "text" })
    );
    input.text = "I want to build a web app with FastAPI".to_owned();
    let extraction = reasoner.extract_facts(&input).await.unwrap();
    assert!(!extraction.facts.is_empty());
    assert!(extraction.rejected.is_empty());
}

#[tokio::test]
async fn judge_conflicts_applies_the_domain_rules() {
    let reasoner = reasoner();
    let input = ExtractionInput {
        question_text: None,
        question_category: None,
        text: "Actually we will use MongoDB.".to_owned(),
        existing: Vec::new(),
        source: FactSource::DirectChat,
    };
    let new = reasoner.extract_facts(&input).await.unwrap().facts;
    let existing = [fact(Category::TechStack, "primary_database", "Postgres")];
    let found = reasoner.judge_conflicts(&new, &existing).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].conflict_type, ConflictType::Technology);
    assert!(found[0].description.contains("Postgres") && found[0].description.contains("MongoDB"));
}

#[tokio::test]
async fn chat_reply_acknowledges_facts_and_asks_about_the_least_covered_category() {
    let reasoner = reasoner();
    let history = [
        ChatTurn {
            role: ConversationRole::Assistant,
            text: "Hello!".to_owned(),
        },
        ChatTurn {
            role: ConversationRole::User,
            text: "We use Postgres and React.".to_owned(),
        },
    ];
    let facts = [fact(Category::Goals, "project_type", "web app")];
    let reply = reasoner.chat_reply(&history, &facts).await.unwrap();
    assert!(reply.contains("primary database is PostgreSQL"), "{reply}");
    assert!(reply.contains("frontend framework is React"), "{reply}");
    assert!(reply.contains("requirements"), "{reply}");
    assert_eq!(reply, reasoner.chat_reply(&history, &facts).await.unwrap());
    assert_eq!(
        reasoner.chat_reply(&history[..1], &facts).await,
        Err(ReasonerError::EmptyInput { field: "message" })
    );
    assert_eq!(reasoner.name(), "offline");
}

#[tokio::test]
async fn judge_conflicts_also_finds_contradictions_inside_the_answer() {
    let reasoner = reasoner();
    let input = ExtractionInput {
        question_text: None,
        question_category: None,
        text: "The database is PostgreSQL. On second thought, MySQL is the database.".to_owned(),
        existing: Vec::new(),
        source: FactSource::DirectChat,
    };
    let new = reasoner.extract_facts(&input).await.unwrap().facts;
    let found = reasoner.judge_conflicts(&new, &[]).await.unwrap();
    assert_eq!(found.len(), 1, "{new:?} {found:?}");
    assert_eq!(found[0].existing.value, "PostgreSQL");
    assert_eq!(found[0].new.value, "MySQL");
}

#[tokio::test]
async fn the_offline_chat_reply_streams_sentence_by_sentence() {
    use futures_util::StreamExt;
    let reasoner = reasoner();
    let history = [ChatTurn {
        role: ConversationRole::User,
        text: "We use Postgres and React.".to_owned(),
    }];
    let whole = reasoner.chat_reply(&history, &[]).await.unwrap();
    let deltas: Vec<String> = reasoner
        .chat_reply_stream(&history, &[])
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert!(deltas.len() >= 2, "{deltas:?}");
    assert_eq!(deltas.concat(), whole);
}

/// The file and the message of a knowledge-file error.
fn file_and_message(error: &DomainError) -> (&str, &str) {
    match error {
        DomainError::Knowledge { file, message } => (file, message),
        other => panic!("not a knowledge-file error: {other:?}"),
    }
}
