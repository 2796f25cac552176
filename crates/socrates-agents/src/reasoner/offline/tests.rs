use std::collections::HashSet;

use socrates_domain::technology::find_technologies;
use socrates_domain::{Category, ConflictType, ConversationRole, ExistingFact, FactSource};

use super::question_bank::{QUESTION_BANK, templates_of};
use super::*;

fn context(category: Category, asked: &[&str], facts: Vec<ExistingFact>) -> QuestionContext {
    QuestionContext {
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

#[test]
fn every_bank_has_eight_good_questions_with_unique_ids() {
    let mut ids = HashSet::new();
    for category in Category::ALL {
        let bank: Vec<_> = templates_of(category).collect();
        assert!(bank.len() >= 8, "{category} has {} questions", bank.len());
        for template in bank {
            assert!(
                ids.insert(template.template_id),
                "duplicate {}",
                template.template_id
            );
            assert!(template.template_id.starts_with(&format!("{category}.")));
            let lower = template.text.to_lowercase();
            assert!(!lower.contains("should we use"), "{}", template.template_id);
            assert!(
                !lower.contains("should you use"),
                "{}",
                template.template_id
            );
            assert!(template.text.ends_with('?'), "{}", template.template_id);
            assert_eq!(
                template.text.matches('?').count(),
                1,
                "{}",
                template.template_id
            );
            assert!(
                find_technologies(template.text).is_empty(),
                "{}",
                template.template_id
            );
            assert!(!template.context.is_empty());
            assert!(
                ["pm", "ba", "ux", "frontend", "backend", "dba", "devops"]
                    .contains(&template.persona)
            );
            for key in template.target_keys {
                let entry = socrates_domain::fact_vocabulary::vocabulary_key(key);
                assert_eq!(entry.map(|e| e.category), Some(category), "{key}");
            }
        }
    }
    assert_eq!(ids.len(), QUESTION_BANK.len());
}

#[tokio::test]
async fn questions_never_repeat_and_the_bank_runs_out_with_a_typed_error() {
    let reasoner = OfflineReasoner::new();
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
    assert_eq!(asked.len(), templates_of(Category::Security).count());
}

#[tokio::test]
async fn questions_prefer_keys_still_missing() {
    let reasoner = OfflineReasoner::new();
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
    let draft = OfflineReasoner::new()
        .generate_question(&request)
        .await
        .unwrap();
    assert_eq!(draft.template_id.as_deref(), Some("tech_stack.004"));
}

#[tokio::test]
async fn extraction_rejects_blank_text_and_keeps_the_seed_answer() {
    let reasoner = OfflineReasoner::new();
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
    let reasoner = OfflineReasoner::new();
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
    let reasoner = OfflineReasoner::new();
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
